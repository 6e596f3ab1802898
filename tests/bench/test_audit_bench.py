"""`assistant bench audit`: the whole audit on an article made of a claim set. The article
and its references are built from a tiny Check-COVID-shaped set, indexed for real, and
audited with a fake verifier at the seam, so every verdict, and so every figure, is known."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.audit import run_audit
from assistant.bench import format_audit_table, run_audit_bench
from assistant.bench.audit import article_claims
from assistant.settings import Settings
from assistant.verifier.datasets import ClaimItem

ABSTRACT = [
    "Face masks were studied in 40 schools during the pandemic.",
    "Mask wearing reduced transmission of the virus among pupils.",
    "Ventilation was not measured.",
]
OTHER = ["Vitamin D levels were measured in 300 adults.", "Vitamin D did not change outcomes."]
OFFICES = ["Hand washing was surveyed in 12 offices.", "Soap use was recorded each week."]


def test_article_claims_group_by_claim_and_leave_out_conflicts() -> None:
    rows = [
        ClaimItem("1", "Masks cut spread.", ("s",), "support", "x", "g", ("a", "s"), (1,)),
        ClaimItem("2", "Masks cut spread.", ("a",), "nei", "x", "g", ("a", "s"), (0,)),
        ClaimItem("3", "Both ways.", ("p",), "support", "x"),
        ClaimItem("4", "Both ways.", ("q",), "contradict", "x"),
        ClaimItem("5", "Nothing.", ("r",), "nei", "x"),
    ]
    claims, dropped = article_claims(rows)
    assert dropped == 1 and [c.claim for c in claims] == ["Masks cut spread.", "Nothing."]
    masks = claims[0]
    # the whole abstract (its label holds), or the abstract without its gold sentence (nei)
    assert (masks.sources, masks.label) in [((("a", "s"),), "support"), ((("a",),), "nei")]
    assert claims[1].label == "nei" and claims[1].sources == (("r",),)


class ByWord:
    """The seam: support when the evidence says 'reduced', contradict on 'did not'."""

    path = "by-word"

    def predict(self, pairs: list[tuple[str, str]]) -> list[dict[str, float]]:
        out = []
        for _, evidence in pairs:
            p = {"support": 0.1, "contradict": 0.1, "nei": 0.8}
            if "reduced" in evidence:
                p = {"support": 0.8, "contradict": 0.1, "nei": 0.1}
            elif "did not" in evidence:
                p = {"support": 0.1, "contradict": 0.8, "nei": 0.1}
            out.append(p)
        return out


def _benchmarks(folder: Path) -> Path:
    (folder / "check-covid").mkdir(parents=True)
    docs = [
        {"cord_id": "m", "abstract": ABSTRACT},
        {"cord_id": "v", "abstract": OTHER},
        {"cord_id": "h", "abstract": OFFICES},
    ]
    (folder / "check-covid" / "corpus.json").write_text("".join(json.dumps(d) for d in docs))
    rows = [  # (claim, abstract, label, gold sentence)
        ("Wearing masks reduced transmission of the virus in schools.", "m", "SUPPORT", 1),
        ("Vitamin D improved outcomes in adults.", "v", "REFUTE", 1),
        ("Hand washing lowers infections in offices.", "h", "NOTENOUGHINFO", 0),
    ]
    lines = [
        {"id": str(n), "claim": c, "cord_id": d, "label": label,
         "evidence_set": [{"sent_index": i, "type": "PRIMARY"}]}
        for n, (c, d, label, i) in enumerate(rows)
    ]  # fmt: skip
    (folder / "check-covid" / "dev.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    return folder


def _bench_by_word(tmp_path: Path, ask: bool = False) -> dict:
    """The bench on the tiny set, its audit judged by the ByWord seam."""
    settings = Settings(benchmarks_dir=_benchmarks(tmp_path / "benchmarks"))
    return run_audit_bench(
        settings,
        tmp_path / "work",
        audit=lambda s: run_audit(s, verifier=ByWord()),
        log=lambda _: None,
        ask=ask,
    )


def test_the_audit_of_the_built_article_is_scored_against_gold(tmp_path: Path) -> None:
    result = _bench_by_word(tmp_path)
    assert result["n"] == 3 and result["references"] == 3
    article = (tmp_path / "work" / "sources" / "article.txt").read_text()
    assert "in schools [1]." in article and "in adults [2]." in article
    confusion = result["confusion"]
    assert confusion["support"]["supported"] == 1  # 'reduced' in its cited abstract
    assert confusion["contradict"]["contradicted"] == 1  # 'did not change outcomes'
    assert confusion["nei"]["unsupported"] == 1
    assert result["accuracy"] == 1.0 and result["macro_f1"] == pytest.approx(1.0)
    assert result["cited_reference_first"] == 1.0
    table = format_audit_table(result)
    assert "| supported | 1 | 0 | 0 | 0 | 0 | 0 |" in table and "accuracy 1.000" in table


class CausalMasks:
    """The seam for the claim-strength model: the masks claim states a direct cause (3),
    everything else an association (1)."""

    def predict(self, texts: list[str]) -> list[dict]:
        return [{"strength": 3 if t.startswith("Wearing masks") else 1} for t in texts]


def test_a_claim_stated_stronger_than_its_source_is_partial(tmp_path: Path) -> None:
    settings = Settings(benchmarks_dir=_benchmarks(tmp_path / "benchmarks"))
    seen = {}

    def audit(s: Settings):
        seen["report"] = run_audit(s, verifier=ByWord(), strength=CausalMasks())
        return seen["report"]

    result = run_audit_bench(settings, tmp_path / "work", audit=audit, log=lambda _: None)
    assert result["confusion"]["support"]["partial"] == 1  # was supported without the check
    masks = next(v for v in seen["report"].verdicts if v.claim.startswith("Wearing masks"))
    assert masks.checks["strength"] == {"claim": 3, "evidence": 1}
    assert masks.reason.startswith(
        "Overstated: the article states a direct cause; the source reports an association."
    )
    # its fetched text was checked: no "could not be checked (... no text)" lead-in
    assert "could not be checked" not in masks.reason
    others = [v for v in seen["report"].verdicts if v is not masks]
    assert all(not v.checks.get("overstated") for v in others)


def test_each_claim_asked_back_gets_its_own_warning_and_few_others(tmp_path: Path) -> None:
    result = _bench_by_word(tmp_path, ask=True)
    answers = result["answers"]
    assert answers["asked"] == 3 and answers["declined"] == 0
    # the vitamin D (contradicted) and hand-washing (unsupported) claims have warnings to give
    assert answers["asked_with_a_warning_to_give"] == 2 and answers["asked_warned"] == 1.0
    # each answer warns about the claim asked, never about another paragraph it quotes
    assert answers["warnings_on_asked"] == 1.0
    assert "each claim asked back (3, 0 declined)" in format_audit_table(result)
