"""The claim audit: verdict rules with a fake verifier at the seam, the whole audit on a real
index, its cache, the span lookup answers use, and the `assistant audit` command."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import REPO, RunCli, make_settings

from assistant.audit import VERDICTS, audit_lookup, load_or_run_audit, run_audit
from assistant.audit import run as audit_run
from assistant.audit.cache import AUDIT_FILE
from assistant.audit.claims import clauses, extract_claims
from assistant.audit.linking import reference_facts
from assistant.audit.verdict import NOTES_SUFFIX, decide
from assistant.index import build_index
from assistant.settings import Settings
from assistant.sources import load_corpus
from assistant.sources.article import parse_article
from assistant.text import negated
from assistant.types import EvidenceQuote


class FakeVerifier:
    """Support when the evidence says 'lowered', contradict when it says 'did not', else nei."""

    path = "fake-verifier"

    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []

    def predict(self, pairs: list[tuple[str, str]]) -> list[dict[str, float]]:
        self.pairs += pairs
        out = []
        for _, evidence in pairs:
            if "did not" in evidence:
                out.append({"support": 0.1, "contradict": 0.8, "nei": 0.1})
            elif "lowered" in evidence:
                out.append({"support": 0.8, "contradict": 0.1, "nei": 0.1})
            else:
                out.append({"support": 0.1, "contradict": 0.1, "nei": 0.8})
        return out


@pytest.fixture(scope="module")
def refs(tmp_path_factory: pytest.TempPathFactory):
    docs = load_corpus(make_settings(tmp_path_factory.mktemp("refs")))
    article = next(d for d in docs if d.kind == "article")
    return reference_facts(article, [d for d in docs if d.kind == "reference"])


def claim(sentence: str):
    """The one claim of a one-paragraph article (extracted as the audit would)."""
    [c] = extract_claims(parse_article(f"A Title\n\n{sentence}\n"))
    return c


def ev(quote: str, provenance: str = "curated_notes", reference: int = 2) -> EvidenceQuote:
    return EvidenceQuote(f"ref-{reference}", "Pooled results", quote, provenance, reference)  # type: ignore[arg-type]


def judge(sentence: str, evidence: list[EvidenceQuote], refs, verifier=None):
    c = claim(sentence)
    scores = (verifier or FakeVerifier()).predict([(c.context, e.quote) for e in evidence])
    return decide(c, evidence, scores, refs)


# --- verdict rules ----------------------------------------------------------------------------
def test_a_number_counts_only_if_the_evidence_carries_it(refs) -> None:
    sentence = "Magnesium supplementation lowered serum CRP by 35% in adults."
    without = judge(sentence, [ev("Magnesium supplementation lowered serum CRP.")], refs)
    assert without.verdict == "partial"
    assert "35%" in without.reason and without.checks["missing"] == ["the figure 35%"]
    with_it = judge(sentence, [ev("Supplements lowered CRP by 35 percent.", "full_text")], refs)
    assert with_it.verdict == "supported", with_it.reason
    assert "curated notes" not in with_it.reason
    assert with_it.evidence[0].quote == "Supplements lowered CRP by 35 percent."


def test_named_terms_and_dependent_clauses_must_be_backed_too(refs) -> None:
    term = judge(
        "Magnesium lowers cytokines such as interleukin-6 (IL-6).",
        [ev("Magnesium supplementation lowered interleukin-1.")],
        refs,
    )
    assert term.verdict == "partial" and "IL-6" in term.reason
    spelled = judge(
        "Magnesium lowers interleukin-6 (IL-6).", [ev("Supplements lowered interleukin-6.")], refs
    )
    assert spelled.verdict == "supported"
    c = claim("Magnesium supplementation lowers CRP, reducing hair loss in adults.")
    assert clauses(c.statement)[1:] == ["reducing hair loss in adults"]
    evidence = [ev("Magnesium supplementation lowered serum CRP.")]
    scores = [{"support": 0.8, "contradict": 0.1, "nei": 0.1}]  # the whole sentence
    clause_scores = [[{"support": 0.1, "contradict": 0.1, "nei": 0.8}]]  # its second clause
    v = decide(c, evidence, scores, refs, clause_scores)
    assert v.verdict == "partial" and "'reducing hair loss in adults'" in v.reason
    assert decide(c, evidence, scores, refs).verdict == "supported"  # clause unchecked


def test_curated_notes_are_named_as_such(refs) -> None:
    v = judge("Magnesium supplementation lowers CRP.", [ev("Supplements lowered CRP.")], refs)
    assert v.verdict == "supported"
    assert v.reason.endswith(NOTES_SUFFIX + ".")
    assert v.evidence[0].provenance == "curated_notes"


def test_a_randomized_trial_is_not_a_meta_analysis(refs) -> None:
    sentence = (
        "A randomized trial in Nutrients (2022) showed that magnesium supplementation "
        "reduced inflammatory markers."
    )
    v = judge(sentence, [ev("Magnesium supplementation lowered serum CRP.")], refs)
    assert v.verdict == "miscited"
    assert v.reference == 2 and v.cited == "A randomized trial in Nutrients (2022)"
    assert "randomized trial" in v.reason and "meta-analysis" in v.reason  # both sides
    [link] = v.checks["links"]
    assert [m["field"] for m in link["mismatches"]] == ["study_type"]
    assert v.checks["content_verdict"] == "partial"  # backed, by a meta-analysis


def test_wrong_year_and_uncited_design_mismatch(refs) -> None:
    wrong_year = judge(
        "A meta-analysis in Nutrients (2021) found magnesium lowered CRP.",
        [ev("Magnesium supplementation lowered serum CRP.")],
        refs,
    )
    assert wrong_year.verdict == "miscited"
    assert "2021" in wrong_year.reason and "2022" in wrong_year.reason
    uncited = judge(
        "A randomized trial showed magnesium lowers CRP.",
        [ev("Magnesium supplementation lowered serum CRP.")],
        refs,
    )
    assert uncited.verdict == "partial" and "Study type differs" in uncited.reason


def test_a_work_missing_from_the_reference_list_is_miscited(refs) -> None:
    v = judge(
        "A study in Journal of Imaginary Results (2019) found magnesium lowers CRP.",
        [ev("Magnesium supplementation lowered serum CRP.")],
        refs,
    )
    assert v.verdict == "miscited" and v.reference is None
    assert "Journal of Imaginary Results (2019)" in v.reason and "no entry" in v.reason


def test_contradicted_and_unsupported(refs) -> None:
    contra = judge("Magnesium raises CRP.", [ev("Supplementation did not raise CRP.")], refs)
    assert contra.verdict == "contradicted" and "did not raise CRP" in contra.reason
    nothing = judge("Magnesium raises CRP by 12%.", [ev("Trials pooled 889 adults.")], refs)
    assert nothing.verdict == "unsupported" and "No source gives 12%" in nothing.reason
    empty = decide(claim("Magnesium raises CRP."), [], [], refs)
    assert empty.verdict == "unsupported" and empty.evidence == []


def test_support_needs_one_sentence_that_supports(refs) -> None:
    c = claim("Magnesium supplementation lowers CRP.")
    evidence = [ev("CRP sentence one."), ev("CRP sentence two.")]
    # the aggregate leans to support, yet neither sentence on its own supports the claim
    scores = [
        {"support": 0.45, "contradict": 0.05, "nei": 0.5},
        {"support": 0.3, "contradict": 0.4, "nei": 0.3},
    ]
    v = decide(c, evidence, scores, refs)
    assert v.verdict == "unsupported" and v.checks["verifier"]["label"] == "nei"
    scores[1] = {"support": 0.6, "contradict": 0.1, "nei": 0.3}
    assert decide(c, evidence, scores, refs).verdict == "supported"


def test_support_must_clear_the_calibrated_bar(refs) -> None:
    c = claim("Magnesium supplementation lowers CRP.")
    evidence = [ev("Supplements lowered CRP.", "full_text")]
    scores = [{"support": 0.7, "contradict": 0.1, "nei": 0.2}]
    assert decide(c, evidence, scores, refs, support_bar=0.6).verdict == "supported"
    below = decide(c, evidence, scores, refs, support_bar=0.8)
    assert below.verdict == "unsupported" and "not sure enough" in below.reason
    assert below.checks["support_bar"] == 0.8
    never = decide(c, evidence, scores, refs, support_bar=float("inf"))
    assert never.verdict == "unsupported"


def test_contradiction_must_clear_its_own_bar_and_needs_no_negation_word(refs) -> None:
    c = claim("Magnesium supplementation reduced CRP.")
    evidence = [ev("Magnesium supplementation raised serum CRP compared with placebo.")]
    scores = [{"support": 0.1, "contradict": 0.8, "nei": 0.1}]
    v = decide(c, evidence, scores, refs, contradict_bar=0.7)
    assert v.verdict == "contradicted" and "says otherwise" in v.reason  # no 'not' anywhere
    unsure = decide(c, evidence, scores, refs, contradict_bar=0.9)
    assert unsure.verdict == "unsupported" and "may say otherwise" in unsure.reason


def test_the_passage_read_as_one_can_carry_the_call(refs) -> None:
    c = claim("Magnesium supplementation lowers CRP.")
    evidence = [ev("CRP fell in the treated group.", "full_text"), ev("It rose on placebo.")]
    nei = {"support": 0.2, "contradict": 0.1, "nei": 0.7}
    passage = {"support": 0.8, "contradict": 0.1, "nei": 0.1}
    assert decide(c, evidence, [nei, nei], refs).verdict == "unsupported"
    v = decide(c, evidence, [nei, nei], refs, passage=passage)
    assert v.verdict == "supported" and "CRP fell in the treated group" in v.reason


def test_the_cited_reference_decides_and_another_that_backs_it_is_named(refs) -> None:
    c = claim("Magnesium supplementation lowers CRP [2].")
    cited = replace(ev("Trials pooled 889 adults.", "full_text"), cited=True)
    other = replace(ev("Supplements lowered CRP.", "full_text", reference=4), cited=False)
    support = {"support": 0.8, "contradict": 0.1, "nei": 0.1}
    nei = {"support": 0.1, "contradict": 0.1, "nei": 0.8}
    v = decide(c, [cited, other], [nei, support], refs)
    assert v.verdict == "unsupported", v.reason  # reference 2 does not say it
    assert v.evidence[0] is cited and "(not cited for this claim) backs it" in v.reason
    both = decide(c, [replace(other, cited=True)], [support], refs)
    assert both.verdict == "supported"


def test_precision_threshold_finds_the_lowest_cut_meeting_the_target() -> None:
    import numpy as np

    from assistant.verifier.calibrate import precision_threshold

    probs = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    truth = np.array([True, True, False, True, False, False])
    cut, precision, recall = precision_threshold(probs, truth, target=0.75)
    assert (cut, round(precision, 2), recall) == (0.6, 0.75, 1.0)
    cut, precision, _ = precision_threshold(probs, truth, target=0.99)
    assert cut == 0.8 and precision == 1.0  # the lowest cut that stays perfect


def test_without_a_verifier_nothing_is_called_supported(refs) -> None:
    c = claim("Magnesium supplementation lowers CRP.")
    v = decide(c, [ev("Supplements lowered CRP.")], None, refs)
    assert v.verdict == "unsupported" and "no verifier" in v.reason
    assert v.checks["verifier"] is None


# --- the whole audit, its cache and lookups ----------------------------------------------------
@pytest.fixture
def indexed(tmp_path: Path) -> Settings:
    settings = make_settings(tmp_path, verifier_dir=tmp_path / "no-verifier")
    build_index(settings)
    return settings


def test_run_audit_quotes_only_references_at_exact_spans(indexed: Settings) -> None:
    fake = FakeVerifier()
    report = run_audit(indexed, verifier=fake)
    docs = {d.id: d for d in load_corpus(indexed)}
    article = docs["article"]
    assert report.verdicts and sum(report.counts.values()) == len(report.verdicts)
    assert report.verifier == "fake-verifier" and report.article_hash == article.content_hash
    for v in report.verdicts:
        assert article.text[v.span[0] : v.span[1]] == v.claim
        for e in v.evidence:
            assert e.document != "article" and e.provenance != "metadata_only"
            assert docs[e.document].text[e.start : e.end] == e.quote
    by_claim = {v.claim: v for v in report.verdicts}
    frbm = next(v for c, v in by_claim.items() if "Free Radical Biology" in c)
    assert frbm.verdict == "miscited" and frbm.reference is None
    trial = next(v for c, v in by_claim.items() if "Nutrients (2021) showed" in c)
    assert trial.verdict == "miscited" and trial.reference == 2
    assert "2021" in trial.reason and "2022" in trial.reason
    assert not any("(2021)" in claim for claim, _ in fake.pairs)  # citations not verified


def test_overstated_needs_a_relation_in_the_evidence() -> None:
    from assistant.audit.verdict import overstated
    from assistant.types import ClaimVerdict

    v = ClaimVerdict("Zinc cures acne.", (0, 16), "", "supported", "Reference 1: 'x'.")
    assert overstated(v, 3, 0).verdict == "supported"  # the evidence states no relation
    assert overstated(v, 1, 1).verdict == "supported"  # as strong as its evidence
    assert overstated(v, 2, 1).verdict == "partial"


def test_without_weights_the_audit_says_it_is_deterministic(indexed: Settings) -> None:
    report = run_audit(indexed)
    assert report.verifier is None and "no verifier" in report.notes[0]
    assert report.counts["supported"] == 0


def _count_runs(monkeypatch) -> list[int]:
    """A list that grows by one each time the audit really runs."""
    calls: list[int] = []
    real = audit_run.run_audit

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(audit_run, "run_audit", counting)
    return calls


def test_cache_is_reused_and_invalidated(indexed: Settings, monkeypatch) -> None:
    calls = _count_runs(monkeypatch)
    first = load_or_run_audit(indexed, verifier=FakeVerifier())
    again = load_or_run_audit(indexed, verifier=FakeVerifier())
    assert len(calls) == 1 and (indexed.index_path / AUDIT_FILE).exists()
    assert [v.verdict for v in again.verdicts] == [v.verdict for v in first.verdicts]
    assert again.verdicts[0].evidence == first.verdicts[0].evidence  # round-trips
    notes = indexed.sources_path / "notes" / "pmc7761127.md"
    notes.write_text(notes.read_text(encoding="utf-8") + "\nA new line.\n", encoding="utf-8")
    load_or_run_audit(indexed, verifier=FakeVerifier())
    assert len(calls) == 2  # a source changed
    build_index(indexed)
    load_or_run_audit(indexed, verifier=FakeVerifier())
    assert len(calls) == 3  # a new index build
    load_or_run_audit(indexed, verifier=FakeVerifier())
    assert len(calls) == 3


def test_lookup_by_article_span(indexed: Settings, tmp_path: Path) -> None:
    assert audit_lookup(make_settings(tmp_path / "empty")) is None  # no index yet
    lookup = audit_lookup(indexed)
    assert lookup is not None
    report = load_or_run_audit(indexed)
    target = report.verdicts[3]
    s, _ = target.span
    assert target in lookup(s + 2, s + 5)
    assert lookup(0, 68) == []  # the title holds no claim


def test_lookup_never_runs_the_audit_unless_its_caller_says_so(
    indexed: Settings, monkeypatch
) -> None:
    calls = _count_runs(monkeypatch)
    cached_only = audit_lookup(indexed)
    assert cached_only is not None
    assert cached_only(0, 10**9) == [] and calls == []  # no audit yet: none is run
    report = load_or_run_audit(indexed, verifier=FakeVerifier())
    assert len(calls) == 1
    seen = cached_only(0, 10**9)  # the audit file changed: read again, still not run
    assert [v.span for v in seen] == [v.span for v in report.verdicts] and len(calls) == 1
    runs = audit_lookup(indexed, load=lambda: load_or_run_audit(indexed, force=True))
    assert runs is not None and runs(0, 10**9) and len(calls) == 2  # asked for: run


# --- the command, on the real index (and the real verifier when shipped) ------------------------
@pytest.mark.slow
def test_audit_command_json_schema_filters_and_gold(
    real_settings: Settings, monkeypatch, cli: RunCli, tmp_path
) -> None:
    monkeypatch.setenv("ASSISTANT_SOURCES_DIR", str(real_settings.sources_path))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(real_settings.index_path))
    result = cli("audit", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    text = (real_settings.sources_path / "magnesium-glycinate-hair-follicles.txt").read_text(
        encoding="utf-8"
    )
    assert len(rows) > 20
    for row in rows:
        assert {"claim", "span", "cited", "reference", "verdict", "reason", "evidence"} <= set(row)
        assert text[row["span"][0] : row["span"][1]] == row["claim"]
        assert row["verdict"] in VERDICTS and row["reason"]
        for e in row["evidence"]:
            assert {"document", "section", "quote", "provenance"} <= set(e)
            assert e["document"].startswith("ref-")
    miscited = cli("audit", "--json", "--verdict", "miscited")
    picked = json.loads(miscited.output)
    assert picked and {r["verdict"] for r in picked} == {"miscited"}
    assert any(r["cited"] and "Free Radical Biology" in r["cited"] for r in picked)
    md = cli("audit", "--markdown").output
    assert md.startswith("| # | Claim |") and f"{len(rows)} claims:" in md
    gold_path = str(REPO / "eval" / "claims_gold.jsonl")
    scores = json.loads(cli("audit", "--gold", gold_path, "--json").output)
    table = cli("audit", "--gold", gold_path).output
    assert f"accuracy {scores['accuracy']:.3f}" in table and "gold \\ audit" in table
    assert scores["gold_claims"] >= 50 and 0 <= scores["accuracy"] <= 1
    assert scores["matched"] == scores["gold_claims"]
    shipped = (real_settings.verifier_path / "model.safetensors").exists()
    assert (scores["verifier"] is not None) == shipped
    out = tmp_path / "audit.html"
    written = cli("audit", "--verdict", "miscited", "--html", str(out))
    assert written.exit_code == 0, written.output
    report = out.read_text(encoding="utf-8")
    assert report.count('class="verdict-item"') == len(picked)  # the filter is followed
    assert all(f'href="#verdict-{n}"' in report for n in range(1, len(picked) + 1))
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    unwritable = cli("audit", "--html", str(blocker / "audit.html"))  # its folder is a file
    assert unwritable.exit_code == 1 and "error:" in unwritable.output
    assert "Traceback" not in unwritable.output and str(blocker) in unwritable.output


def test_an_abbreviation_in_capitals_is_not_a_negation() -> None:
    assert not negated("Supplementation lowered CRP and raised NO (nitric oxide).")
    assert negated("Supplementation did not lower CRP.")
    assert negated("There is no good evidence for biotin.")
    assert negated("NO EFFECT WAS SEEN.")  # a sentence in capitals keeps its words


def test_bars_hold_only_for_evidence_found_by_search_and_calls_say_how_often_right(
    refs,
) -> None:
    c = claim("Magnesium supplementation lowers CRP [2].")
    found = ev("Supplements lowered CRP.", "full_text")
    scores = [{"support": 0.6, "contradict": 0.2, "nei": 0.2}]
    assert decide(c, [found], scores, refs, support_bar=0.8).verdict == "unsupported"
    curves = {"support": [{"cut": 0.3, "precision": 0.55}, {"cut": 0.5, "precision": 0.7}]}
    cited = replace(found, cited=True)
    v = decide(c, [cited], scores, refs, support_bar=0.8, curves=curves)
    assert v.verdict == "supported" and v.checks["dev_precision"] == 0.7
    assert "right 70% of the time" in v.reason


def test_a_contradiction_names_the_figure_no_source_gives(refs) -> None:
    c = claim("Magnesium supplementation reduced CRP by 35%.")
    evidence = [ev("Magnesium supplementation lowered serum CRP compared with placebo.")]
    scores = [{"support": 0.1, "contradict": 0.8, "nei": 0.1}]
    v = decide(c, evidence, scores, refs)
    assert v.verdict == "contradicted"
    assert v.reason.startswith("No source gives 35%;") and "says otherwise" in v.reason


def test_each_verdict_has_a_short_reason_read_off_its_decision(refs) -> None:
    """The summary says the same as the long reason, in a sentence or two, naming only the
    reference and the missing part."""
    lowered = [ev("Magnesium supplementation lowered serum CRP.")]
    backed = judge("Magnesium supplementation lowers CRP.", lowered, refs)
    assert backed.summary == "Reference 2 states it."
    part = judge("Magnesium supplementation lowered serum CRP by 35% in adults.", lowered, refs)
    assert part.summary == "Reference 2 backs part of it, but not the figure 35%."
    contra = judge("Magnesium raises CRP.", [ev("Supplementation did not raise CRP.")], refs)
    assert contra.summary == "Reference 2 says otherwise."
    absent = judge("Magnesium raises CRP by 12%.", [ev("Trials pooled 889 adults.")], refs)
    assert absent.summary == "No source gives 12%."
    silent = judge("Magnesium raises CRP in adults.", [ev("Trials pooled 889 adults.")], refs)
    assert silent.summary == "No source states it."
    wrong_year = judge(
        "A meta-analysis in Nutrients (2021) found magnesium lowered CRP.", lowered, refs
    )
    assert wrong_year.summary == (
        "Its citation does not match reference 2 (year). Reference 2 states it."
    )
    missing = judge(
        "A study in Journal of Imaginary Results (2019) found X lowers CRP.", lowered, refs
    )
    assert missing.summary.startswith("What it cites is not in the reference list.")
    for v in (backed, part, contra, absent, silent, wrong_year, missing):
        assert len(v.summary) < len(v.reason)


def test_a_list_item_keeps_the_lead_in_it_continues(refs) -> None:
    article = parse_article(
        "A Title\n\nExcessive magnesium intake may cause:\n\n- Nausea\n- Low blood pressure\n"
    )
    claims = extract_claims(article)
    assert [c.text for c in claims] == ["Nausea", "Low blood pressure"]
    v = decide(claims[0], [], [], refs)
    assert v.context == "Excessive magnesium intake may cause:"
    assert v.summary == "No reference passage relates to it."
