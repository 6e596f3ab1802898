"""The public claim sets (datasets.py) and the training mixture (mixture.py), on tiny files
written here in each set's real format: Check-COVID's concatenated corpus.json and JSON Lines
claims, HealthVer's CSV, SciFact's JSON Lines, COVID-Fact's RTE TSV."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from assistant.errors import SourceError, UsageError
from assistant.settings import Settings
from assistant.verifier import Verifier, load_claims, train_verifier
from assistant.verifier.mixture import build_mixture, describe, held_out_groups

_FILLER = [
    "Participants were recruited from three outpatient clinics.",
    "The study was approved by the local ethics committee.",
    "Funding came from a national research council.",
]


def _check_covid(folder: Path, n_docs: int = 12) -> None:
    docs, rows = [], {"train": [], "dev": []}
    for d in range(n_docs):
        sentences = [
            _FILLER[0],
            f"Masks of type {d} reduced transmission of the virus by half in schools.",
            f"Vaccine {d} raised antibody levels in older adults within two weeks.",
            _FILLER[1],
        ]
        docs.append({"cord_id": f"doc{d}", "title": f"Study {d}", "abstract": sentences})
        split = "dev" if d % 4 == 0 else "train"
        claims = [
            ("SUPPORT", f"Masks of type {d} cut virus transmission in schools.", 1),
            ("REFUTE", f"Masks of type {d} increased virus transmission in schools.", 1),
            ("NOTENOUGHINFO", f"Masks of type {d} cause headaches.", 0),
        ]
        for v, (label, claim, index) in enumerate(claims):
            rows[split].append(
                {"id": f"stem{d}_{v}", "claim": claim, "cord_id": f"doc{d}", "label": label,
                 "evidence_set": [{"sent_index": index, "type": "PRIMARY"}], "is_auth": False}
            )  # fmt: skip
        rows[split].append(
            {"id": f"vax{d}_0", "claim": f"Vaccine {d} raises antibodies in older adults.",
             "cord_id": f"doc{d}", "label": "SUPPORT",
             "evidence_set": [{"sent_index": 2, "type": "PRIMARY"}], "is_auth": True}
        )  # fmt: skip
    (folder / "check-covid").mkdir(parents=True)
    text = "\n".join(json.dumps(doc) for doc in docs) + "\n"  # objects one after another
    (folder / "check-covid" / "corpus.json").write_text(text, encoding="utf-8")
    for split, items in rows.items():
        lines = "".join(json.dumps(r) + "\n" for r in items)
        (folder / "check-covid" / f"{split}.jsonl").write_text(lines, encoding="utf-8")


def _healthver(folder: Path, n_topics: int = 8) -> None:
    (folder / "healthver").mkdir(parents=True)
    with (folder / "healthver" / "healthver_dev.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "evidence", "claim", "label", "topic_ip", "question"])
        n = 0
        for topic in range(1, n_topics + 1):
            for label in ("Supports", "Refutes", "Neutral"):
                evidence = f"Topic {topic} evidence, with a comma, about vitamin C and colds."
                writer.writerow([n, evidence, f"Claim {n} on topic {topic}", label, topic, "q?"])
                n += 1


def _scifact(folder: Path, n_claims: int = 12) -> None:
    (folder / "scifact").mkdir(parents=True)
    corpus, claims = [], []
    for n in range(n_claims):
        doc_id = 100 + n
        finding = f"Zinc dose {n} lowered fatigue scores compared with placebo."
        corpus.append(
            {"doc_id": doc_id, "title": "t", "abstract": [_FILLER[0], finding, _FILLER[2]]}
        )
        kind = ("SUPPORT", "CONTRADICT", None)[n % 3]
        evidence = {str(doc_id): [{"sentences": [1], "label": kind}]} if kind else {}
        claims.append({"id": n, "claim": f"Zinc dose {n} lowers fatigue.", "evidence": evidence,
                       "cited_doc_ids": [doc_id]})  # fmt: skip
    for name, rows in (("corpus", corpus), ("claims_train", claims), ("claims_dev", claims[:3])):
        lines = "".join(json.dumps(r) + "\n" for r in rows)
        (folder / "scifact" / f"{name}.jsonl").write_text(lines, encoding="utf-8")


def _covidfact(folder: Path, n: int = 20) -> None:
    (folder / "covidfact").mkdir(parents=True)
    for split in ("train", "dev"):
        lines = ["index\tsentence1\tSentence2\tlabel"]
        for i in range(n):
            evidence = f"Report {i // 2}: the drug cut deaths in trial {i // 2}."
            label = "entailment" if i % 2 == 0 else "not_entailment"
            lines.append(f"{i}\t{evidence}\tDrug {i // 2} claim {i}\t{label}")
        (folder / "covidfact" / f"rte_{split}.tsv").write_text("\n".join(lines) + "\n")


@pytest.fixture
def benchmarks(tmp_path: Path) -> Path:
    folder = tmp_path / "benchmarks"
    for write in (_check_covid, _healthver, _scifact, _covidfact):
        write(folder)
    return folder


def test_each_loader_reads_its_real_format(benchmarks: Path) -> None:
    cc = load_claims(benchmarks, "check-covid", "train")
    assert {i.label for i in cc} == {"support", "contradict", "nei"}
    refuted = next(i for i in cc if i.id == "stem1_1")
    assert refuted.label == "contradict" and refuted.evidence == (refuted.context[1],)
    assert refuted.group == "doc1" and refuted.picked == (1,)
    assert {i.group for i in load_claims(benchmarks, "check-covid", "dev")} == {
        "doc0",
        "doc4",
        "doc8",
    }

    fit, dev = (
        load_claims(benchmarks, "healthver", "fit"),
        load_claims(benchmarks, "healthver", "dev"),
    )
    assert {i.group for i in dev} == {"topic-4", "topic-8"}  # one topic in four is measured
    assert not {i.group for i in fit} & {i.group for i in dev}
    assert fit[0].evidence_text.startswith("Topic 1 evidence, with a comma")
    assert {i.label for i in fit} == {"support", "contradict", "nei"}

    sf = load_claims(benchmarks, "scifact", "train")
    assert [i.label for i in sf[:3]] == ["support", "contradict", "nei"]
    assert sf[0].evidence == ("Zinc dose 0 lowered fatigue scores compared with placebo.",)
    assert len(sf[2].evidence) == 2  # nei: the 2 best-matching sentences, label-blind

    cf = load_claims(benchmarks, "covidfact", "dev")
    assert [i.label for i in cf[:2]] == ["support", "contradict"]
    assert cf[0].claim == "Drug 0 claim 0" and cf[0].evidence_text.startswith("Report 0")
    assert cf[0].group == cf[1].group != cf[2].group  # same evidence passage, same group


def test_unknown_sets_splits_and_missing_files_say_so(benchmarks: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="check-covid"):
        load_claims(benchmarks, "nope", "dev")
    with pytest.raises(UsageError, match="fit"):
        load_claims(benchmarks, "healthver", "train")
    with pytest.raises(SourceError, match="BENCHMARKS_DIR"):
        load_claims(tmp_path / "empty", "covidfact", "train")


def test_mixture_has_hard_negatives_balanced_classes_and_disjoint_groups(benchmarks: Path) -> None:
    mix = build_mixture(benchmarks, seed=13)
    fit, held = mix["fit"], mix["held"]
    counts = describe(fit)
    kinds = counts["pairs_by_kind"]
    assert kinds["check-covid/hard-sentence"] > 0 and kinds["scifact/hard-sentence"] > 0
    assert kinds["check-covid/same-abstract-other-claim"] > 0
    hard = [p for p in fit if p.kind == "check-covid/hard-sentence"]
    assert all(p.label == "nei" and "Masks" not in p.evidence for p in hard if "Masks" in p.claim)
    by_label = counts["pairs_by_label"]
    assert by_label["nei"] <= 1.4 * (by_label["support"] + by_label["contradict"]) / 2 + 1
    assert min(by_label.values()) > 0
    assert held and {p.group for p in fit}.isdisjoint({p.group for p in held})
    assert set(counts["pairs_by_set"]) == {"check-covid", "healthver", "scifact", "covidfact"}
    assert build_mixture(benchmarks, seed=13)["fit"] == fit  # seeded: the same again


def test_held_out_groups_are_a_seeded_fraction() -> None:
    groups = {f"g{i}" for i in range(50)}
    held = held_out_groups(groups, 0.1, seed=1)
    assert len(held) == 5 and held == held_out_groups(groups, 0.1, seed=1)
    assert held != held_out_groups(groups, 0.1, seed=2)
    assert len(held_out_groups({"a", "b"}, 0.1, seed=1)) == 1


@pytest.mark.slow
def test_mixture_training_saves_a_calibrated_256_token_model(benchmarks: Path, tmp_path) -> None:
    settings = Settings(benchmarks_dir=benchmarks, verifier_dir=tmp_path / "unused")
    out = tmp_path / "mixture"
    metrics = train_verifier(
        settings, out_dir=out, data="mixture", epochs=1, progress=False, dev_limit=6
    )
    config = json.loads((out / "verifier.json").read_text())
    assert config["max_length"] == 256 and config["windows"] is True
    assert config["temperature"] == metrics["calibration"]["temperature"] > 0
    assert set(metrics["dev_sets"]) == {"check-covid", "healthver", "scifact"}
    card = (out / "MODEL_CARD.md").read_text()
    assert "MIT" in card and "CC BY 4.0" in card and "pairs/s" in card and "ECE" in card
    verifier = Verifier.load(out)
    assert (verifier.max_length, verifier.windows) == (256, True)


def test_synthetic_pairs_come_from_train_abstracts_and_train_only(benchmarks: Path) -> None:
    from assistant.verifier.synthetic import synthetic_pairs

    pairs = synthetic_pairs(benchmarks, per_label=6, seed=13)
    by_kind = {
        k: [p for p in pairs if p.kind == f"synthetic/{k}"]
        for k in ("restated", "reversed", "elsewhere")
    }
    assert [len(v) for v in by_kind.values()] == [6, 6, 6]
    assert {p.label for p in by_kind["restated"]} == {"support"}
    assert {p.label for p in by_kind["reversed"]} == {"contradict"}
    assert {p.label for p in by_kind["elsewhere"]} == {"nei"}
    for p in by_kind["restated"]:
        assert p.claim.rstrip(".") in p.evidence  # the sentence (or its first clause) is there
    for p in by_kind["reversed"]:
        assert p.claim not in p.evidence
    dev_docs = {d for d in range(12) if d % 4 == 0}  # _check_covid puts these in dev
    for p in pairs:
        for d in dev_docs:
            for text in (p.claim, p.evidence):
                assert f"type {d} " not in text and f"Vaccine {d} " not in text, p
    mix = build_mixture(benchmarks, seed=13, synthetic=6)
    assert not [p for p in mix["held"] if p.kind.startswith("synthetic/")]
    assert {p.kind for p in mix["fit"]} >= {"synthetic/restated", "synthetic/reversed"}


@pytest.mark.parametrize(
    ("sentence", "flipped"),
    [
        ("Masks reduced transmission.", "Masks increased transmission."),
        ("Higher doses worked.", "Lower doses worked."),
        ("Smoking was associated with stroke.", "Smoking was not associated with stroke."),
        ("The trial enrolled 40 adults.", None),
    ],
)
def test_a_reversed_claim_says_the_opposite(sentence: str, flipped: str | None) -> None:
    from assistant.verifier.synthetic import reversed_claim

    assert reversed_claim(sentence) == flipped
