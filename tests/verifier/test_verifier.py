"""The claim verifier: pairs, scoring, aggregation, a tiny real training run, the shipped model.

The training test runs on a small invented dataset in SciFact's file format (written into
tmp_path), so it needs no external data and takes seconds; the real SciFact run is the
`assistant train-verifier` command, whose figures live in the model card.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from conftest import REPO, RunCli

from assistant.errors import ModelError
from assistant.settings import Settings
from assistant.verifier import Verifier, aggregate, label_of, train_verifier
from assistant.verifier.data import build_pairs, load_scifact, split_holdout
from assistant.verifier.evaluate import scores

SHIPPED = REPO / "assistant" / "models" / "verifier"

_SUBJECTS = ["zinc", "vitamin d", "caffeine", "iron", "folate", "aspirin", "melatonin", "omega-3"]
_OUTCOMES = ["bone density", "sleep latency", "fatigue", "blood pressure", "muscle strength"]
_FILLER = [
    "Participants were recruited from three outpatient clinics.",
    "Data were analysed with mixed-effects models.",
    "The study was approved by the local ethics committee.",
    "Funding came from a national research council.",
]


def _write_dataset(folder: Path, n_claims: int = 40) -> None:
    """Invented claims and abstracts in SciFact's schema; a third of each label."""
    rng = random.Random(0)
    folder.mkdir(parents=True)
    corpus, claims = [], []
    for n in range(n_claims):
        subject, outcome = _SUBJECTS[n % len(_SUBJECTS)], _OUTCOMES[n % len(_OUTCOMES)]
        kind = ("SUPPORT", "CONTRADICT", None)[n % 3]
        finding = {
            "SUPPORT": f"Supplementation with {subject} improved {outcome} compared with placebo.",
            "CONTRADICT": f"Supplementation with {subject} did not change {outcome} at all.",
            None: f"We measured {outcome} in adults taking several supplements.",
        }[kind]
        sentences = [*rng.sample(_FILLER, 2), finding, rng.choice(_FILLER)]
        doc_id = 1000 + n
        corpus.append({"doc_id": doc_id, "title": f"{subject} trial", "abstract": sentences})
        evidence = {str(doc_id): [{"sentences": [2], "label": kind}]} if kind else {}
        claim = f"{subject.capitalize()} improves {outcome}."
        claims.append({"id": n, "claim": claim, "evidence": evidence, "cited_doc_ids": [doc_id]})
    for name, rows in (("corpus", corpus), ("claims_train", claims), ("claims_dev", claims[:6])):
        lines = [json.dumps(row) for row in rows]
        (folder / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def tiny_scifact(tmp_path: Path) -> Settings:
    _write_dataset(tmp_path / "scifact")
    return Settings(scifact_dir=tmp_path / "scifact", verifier_dir=tmp_path / "unused")


def test_aggregate_takes_the_strongest_sentence() -> None:
    nei = {"support": 0.1, "contradict": 0.1, "nei": 0.8}
    strong = {"support": 0.7, "contradict": 0.1, "nei": 0.2}
    combined = aggregate([nei, strong, nei])
    assert label_of(combined) == "support"
    assert abs(sum(combined.values()) - 1.0) < 1e-9
    assert label_of(aggregate([nei, nei])) == "nei"
    assert aggregate([]) == {"support": 0.0, "contradict": 0.0, "nei": 1.0}


def test_scores_match_a_hand_count() -> None:
    gold = ["support", "support", "contradict", "nei"]
    predicted = ["support", "contradict", "contradict", "nei"]
    result = scores(gold, predicted)
    assert result["accuracy"] == pytest.approx(0.75)
    assert result["per_class"]["support"]["f1"] == pytest.approx(2 / 3)  # p 1, r 1/2
    assert result["per_class"]["contradict"]["f1"] == pytest.approx(2 / 3)  # p 1/2, r 1
    assert result["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    assert result["confusion"]["support"]["contradict"] == 1


def test_pairs_use_gold_labels_and_keep_rationales_out_of_nei(tiny_scifact: Settings) -> None:
    data = load_scifact(tiny_scifact.scifact_path)
    fit, held = split_holdout(data.train, 0.25, seed=13)
    assert {c["id"] for c in fit}.isdisjoint(c["id"] for c in held)
    assert split_holdout(data.train, 0.25, seed=13)[1] == held  # seeded: same split again
    pairs = build_pairs(fit, data, seed=13)
    assert pairs == build_pairs(fit, data, seed=13)  # deterministic order and sampling
    by_claim = {c["claim"]: c for c in fit}
    for pair in pairs:
        claim = by_claim[pair.claim]
        doc_id = claim["cited_doc_ids"][0]
        rationale = data.corpus[doc_id]["abstract"][2]
        gold = claim["evidence"].get(str(doc_id), [{"label": "NEI"}])[0]["label"].lower()
        if pair.label == "nei":
            assert rationale not in pair.evidence or gold == "nei"
        else:
            assert pair.label == gold and rationale in pair.evidence
    assert {p.label for p in pairs} == {"support", "contradict", "nei"}


def test_tiny_training_learns_saves_and_reloads(tiny_scifact: Settings, tmp_path: Path) -> None:
    out = tmp_path / "verifier"
    metrics = train_tiny(tiny_scifact, out)
    training = metrics["training"]
    assert training["probe_loss_after"] < training["probe_loss_before"]
    assert training["losses"] and all(loss > 0 for loss in training["losses"])
    for name in ("model.safetensors", "config.json", "MODEL_CARD.md", "metrics.json"):
        assert (out / name).exists(), name
    assert json.loads((out / "metrics.json").read_text())["seed"] == 13
    reloaded = Verifier.load(out)
    probes = metrics["probes"]
    again = reloaded.predict([(p["claim"], p["evidence"]) for p in probes])
    for probe, prediction in zip(probes, again, strict=True):
        for name in ("support", "contradict", "nei"):
            assert prediction[name] == pytest.approx(probe["probs"][name], abs=1e-4)


def train_tiny(settings: Settings, out: Path) -> dict:
    return train_verifier(
        settings, out_dir=out, epochs=3, max_claims=16, progress=False, evaluate_dev=False
    )


def test_missing_model_names_the_training_command(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="train-verifier"):
        Verifier.load(tmp_path / "nothing-here")


@pytest.fixture(scope="module")
def shipped() -> Verifier:
    return Verifier.load(SHIPPED)


def test_shipped_model_is_small_and_labelled() -> None:
    assert (SHIPPED / "model.safetensors").stat().st_size < 50_000_000
    card = (SHIPPED / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "SciFact" in card and "Apache-2.0" in card
    metrics = json.loads((SHIPPED / "metrics.json").read_text(encoding="utf-8"))
    # measured on dev when trained: SciFact-only models on SciFact dev, mixture models on each set
    dev = metrics.get("dev_sets") or {"scifact": metrics["dev"]["oracle"]}
    assert dev and all(figures["n"] > 0 for figures in dev.values())


def test_shipped_model_prefers_a_stating_sentence(shipped: Verifier) -> None:
    claim = "Daily brisk walking lowers systolic blood pressure in older adults."
    stating = (
        "In this randomized trial, older adults assigned to daily brisk walking had significantly "
        "lower systolic blood pressure after 12 weeks than the control group."
    )
    unrelated = "The new library building opened to students in the autumn of 2019."
    on_topic, off_topic = shipped.predict([(claim, stating), (claim, unrelated)])
    assert on_topic["support"] > off_topic["support"]
    assert label_of(off_topic) == "nei"
    assert all(abs(sum(p.values()) - 1.0) < 1e-4 for p in (on_topic, off_topic))


def test_train_verifier_command_on_a_tiny_set(
    tiny_scifact: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: RunCli
) -> None:
    """The command users run, end to end on a tiny SciFact-shaped set: it trains, saves a
    loadable model with its card, and measures dev (never trains on it)."""
    monkeypatch.setenv("ASSISTANT_SCIFACT_DIR", str(tiny_scifact.scifact_path))
    out = tmp_path / "cli-verifier"
    result = cli("train-verifier", "--epochs", "2", "--max-claims", "12", "--out", str(out))
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["training"]["probe_loss_after"] < metrics["training"]["probe_loss_before"]
    assert metrics["seed"] == 13 and "dev" in json.dumps(metrics)
    assert (out / "MODEL_CARD.md").exists()
    assert Verifier.load(out).predict([("Zinc improves fatigue.", "Zinc improved fatigue.")])
