"""Claim strength: the data loader, the stratified split, the exaggeration rule and its words,
the embedding design trained end to end on a tiny invented set (the hashing embedder at the
seam), and the shipped classifier on two obvious sentences.

The tiny set is written to tmp_path in the real files' CSV formats (pubmed: sentence,label;
eureka: sentId,sentence,label), so no external data is read.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO

from assistant.errors import ModelError
from assistant.settings import Settings
from assistant.verifier.strength import (
    StrengthClassifier,
    describe_strength_gap,
    exaggerates,
    load_claim_strength,
    scores,
    stratified_split,
    train_strength,
)

SHIPPED = REPO / "assistant" / "models" / "strength"
_TEMPLATES = {
    0: "{s} levels of {o} were measured in the cohort.",
    1: "{s} was associated with {o} in adults.",
    2: "{s} may increase {o} in adults.",
    3: "{s} causes {o}.",
}
_SUBJECTS = ["Coffee", "Zinc", "Running", "Sugar", "Sleep loss", "Aspirin"]
_OUTCOMES = ["blood pressure", "fatigue", "bone density", "depression", "weight gain"]


def write_sets(folder: Path, per_level: int = 10) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        (_TEMPLATES[level].format(s=_SUBJECTS[n % 6], o=_OUTCOMES[n % 5]), level)
        for level in _TEMPLATES
        for n in range(per_level)
    ]
    with (folder / "annotated_pubmed.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["sentence", "label"])
        writer.writerows(rows[::2])
    with (folder / "annotated_eureka.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["sentId", "sentence", "label"])
        writer.writerows(
            (f"{i}-x-0-sentence", text, level) for i, (text, level) in enumerate(rows[1::2])
        )
    return folder


def test_loader_reads_both_formats(tmp_path: Path) -> None:
    items = load_claim_strength(write_sets(tmp_path / "cs"))
    assert len(items) == 40
    assert Counter(s.source for s in items) == {"pubmed": 20, "eureka": 20}
    assert Counter(s.strength for s in items) == {0: 10, 1: 10, 2: 10, 3: 10}
    assert items[0].text == "Coffee levels of blood pressure were measured in the cohort."
    with pytest.raises(ModelError, match="missing"):
        load_claim_strength(tmp_path / "nowhere")


def test_split_is_stratified_seeded_and_disjoint(tmp_path: Path) -> None:
    items = load_claim_strength(write_sets(tmp_path / "cs", per_level=20))
    fit, held = stratified_split(items, 0.2, seed=3)
    assert len(fit) + len(held) == len(items) and not set(fit) & set(held)
    groups = Counter((s.source, s.strength) for s in held)
    assert set(groups.values()) == {2}  # 20% of each (source, level) group of 10
    assert stratified_split(items, 0.2, seed=3) == (fit, held)
    assert stratified_split(items, 0.2, seed=4)[1] != held


def test_scores_macro_f1_and_confusion() -> None:
    result = scores([0, 0, 1, 3], [0, 1, 1, 3])
    assert result["accuracy"] == 0.75
    assert result["confusion"][0] == [1, 1, 0, 0]
    assert result["f1_per_level"] == [
        pytest.approx(2 / 3, abs=1e-4),
        pytest.approx(2 / 3, abs=1e-4),
        0.0,
        1.0,
    ]


def test_exaggerates_and_its_words() -> None:
    assert exaggerates(3, 1) and exaggerates(2, 0)
    assert not exaggerates(1, 1) and not exaggerates(1, 3)
    assert describe_strength_gap(3, 1) == (
        "the article states a direct cause; the source reports an association"
    )
    assert describe_strength_gap(2, 0) == (
        "the article states a possible cause; the source reports no relation"
    )
    assert len({describe_strength_gap(c, 0) for c in range(4)}) == 4


def test_embedding_design_trains_saves_and_reloads(tmp_path: Path) -> None:
    settings = Settings(root_dir=REPO, embedding_model="hash:64", scifact_dir=tmp_path / "scifact")
    write_sets(tmp_path / "claim-strength", per_level=15)  # beside scifact_dir: the default
    out = tmp_path / "model"
    metrics = train_strength(settings, out, design="embedding", holdout_fraction=0.2, seed=1)
    assert metrics["heldout"]["n"] == 12
    assert set(metrics["heldout"]) >= {"accuracy", "macro_f1", "pubmed", "eureka"}
    assert metrics["heldout"]["macro_f1"] > 0.5  # the templates are separable by their words
    assert (out / "head.json").exists() and (out / "metrics.json").exists()
    texts = ["Sugar causes depression.", "Zinc was associated with fatigue in adults."]
    first = StrengthClassifier.load(out, settings).predict(texts)
    again = StrengthClassifier.load(out, Settings(root_dir=REPO)).predict(texts)  # meta's embedder
    assert first == again
    for row in first:
        assert row["strength"] in range(4) and sum(row["probabilities"]) == pytest.approx(
            1, abs=1e-4
        )
    assert StrengthClassifier.load(out, settings).predict([]) == []


def test_missing_model_says_how_to_train(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="assistant train-strength"):
        StrengthClassifier.load(tmp_path / "empty")


@pytest.mark.slow
def test_shipped_classifier_tells_cause_from_no_relation() -> None:
    classifier = StrengthClassifier.load(SHIPPED)
    causal, none = classifier.predict(
        ["Smoking causes lung cancer.", "The study enrolled 300 patients from two hospitals."]
    )
    assert causal["strength"] == 3
    assert causal["probabilities"][3] > none["probabilities"][3]
    assert none["strength"] < causal["strength"]
