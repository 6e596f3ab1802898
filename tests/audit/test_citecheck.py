"""Citation check: how the article cites a work vs what its link really points to."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import JATS_FIXTURES, SOURCES, make_settings

from assistant.audit import check_reference_list
from assistant.audit.citations import (
    check_citation,
    design_of,
    journal_matches,
    parse_cited,
)
from assistant.sources import load_references
from assistant.sources.jats import parse_jats


def record(number: int) -> dict:
    _, records = load_references(SOURCES / "references.toml")
    rec = next(r for r in records if r.number == number)
    return {k: v for k, v in rec.bibliographic().items() if k != "cited_as"}


def test_a_2021_randomized_trial_that_is_a_2022_meta_analysis() -> None:
    actual = record(2)  # the verified record: a 2022 meta-analysis of RCTs in Nutrients
    check = check_citation(actual["title"], ["A randomized trial in Nutrients (2021)"], actual)
    assert check.status == "mismatch"
    assert {"field": "year", "cited": "2021", "actual": "2022"} in check.mismatches
    design = next(m for m in check.mismatches if m["field"] == "study_type")
    assert design["cited"] == "randomized trial"
    assert "meta-analysis of randomized controlled trials" in design["actual"]
    assert not any(m["field"] in ("journal", "title") for m in check.mismatches)
    assert "2021" in check.summary and "2022" in check.summary
    assert set(check.checked) >= {"year", "journal", "study_type", "title"}


def test_the_same_citation_with_the_right_facts_matches() -> None:
    actual = record(2)
    mention = "A meta-analysis in Nutrients (2022)"
    check = check_citation(actual["title"], [mention], actual)
    assert check.status == "match", check.mismatches
    assert check.summary.startswith("Match")


def test_study_designs() -> None:
    assert design_of("A Meta-Analysis of Randomized Controlled Trials")[0] == "meta-analysis"
    assert design_of("a randomised, double-blind, placebo-controlled trial")[0] == (
        "randomized trial"
    )
    assert design_of("The Role of Vitamins and Minerals in Hair Loss: A Review")[0] == "review"
    assert design_of("a prospective cohort study")[0] == "cohort study"
    assert design_of("Research in a Journal (2020)") is None
    review = {"title": "T", "year": 2020, "study_type": "systematic review and meta-analysis"}
    assert check_citation("T", ["A review in J (2020)"], review).status == "match"
    trial = {"title": "T", "year": 2020, "study_type": "randomized controlled trial"}
    assert check_citation("T", ["A review in J (2020)"], trial).status == "mismatch"


def test_journal_year_author_and_title_mismatches_from_an_apa_citation() -> None:
    cited = "Green, A., et al. (2020). Moth Repair Mechanisms. Urban Ecology Letters."
    mention = "Research in Urban Ecology Letters (2020)"
    facts = parse_cited(cited, [mention])
    assert facts["authors"] == ["Green"]
    assert facts["years"] == ["2020"]
    assert facts["journals"] == ["Urban Ecology Letters"]
    assert facts["title"] == "Moth Repair Mechanisms"
    actual = json.loads(
        json.dumps(parse_jats((JATS_FIXTURES / "metadata_only.xml").read_bytes(), doc_id="x").meta)
    )
    check = check_citation(cited, [mention], actual)
    fields = {m["field"]: m for m in check.mismatches}
    assert fields["year"] == {"field": "year", "cited": "2020", "actual": "2022"}
    assert fields["journal"] == {
        "field": "journal",
        "cited": "Urban Ecology Letters",
        "actual": "Coastal Agronomy",
    }
    assert fields["authors"]["cited"] == "Green" and "Petra Marsh" in fields["authors"]["actual"]
    assert fields["title"]["actual"].startswith("Effect of Sea Spray")


def test_lenient_where_citations_legitimately_differ() -> None:
    actual = {
        "title": "Street Lighting Shortens Night-Time Foraging of Urban Moths: A Field Experiment",
        "authors": ["Maja Lindqvist", "Chidi E. Okafor"],
        "journal": "Urban Ecology Letters",
        "journal_abbrev": ["Urban Ecol Lett"],
        "year": 2021,
        "dates": [{"type": "epub", "date": "2020-12-14"}],
    }
    # the e-pub year, an abbreviated journal, a shortened title, accents and case
    cited = "Lindqvist, M., & Okafor, C. (2020). Street lighting shortens foraging of moths."
    mention = "Lindqvist et al. in Urban Ecol. Lett. (2021)"
    check = check_citation(cited, [mention], actual)
    assert check.status == "match", check.mismatches
    assert set(check.checked) == {"year", "journal", "authors", "title"}
    assert check.cited["journals"] == ["Urban Ecol. Lett."]
    assert check.cited["authors"] == ["Lindqvist", "Okafor"]
    wrong = check_citation(cited.replace("Okafor", "Okonkwo"), [mention], actual)
    assert wrong.mismatches == [
        {"field": "authors", "cited": "Okonkwo", "actual": "Maja Lindqvist et al."}
    ]
    assert journal_matches("Urban Ecol. Lett.", ["Urban Ecology Letters"])
    assert not journal_matches("Urban Ecology", ["Urban Ecology Letters"])


def test_unknown_link_is_unresolved() -> None:
    check = check_citation("Green, A., et al. (2020). Title. Journal.", [], {"pmcid": "PMC1"})
    assert check.status == "unresolved" and check.mismatches == []
    assert "assistant fetch" in check.summary


def test_reference_list_offline_then_with_fetched_metadata(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    checks = {c.reference: c for c in check_reference_list(settings)}
    assert checks[1].status == "unresolved"  # reference 1 offline: nothing known about its link
    assert {checks[n].status for n in (3, 4)} == {"match"}
    # reference 2's list entry matches, but the text cites it as "A randomized trial in
    # Nutrients (2021)": the record says a 2022 meta-analysis
    assert checks[2].status == "mismatch"
    assert {m["field"] for m in checks[2].mismatches} == {"year", "study_type"}
    assert checks[2].source == "references.toml"
    assert checks[1].summary.startswith("Reference 1: Unresolved")

    # once fetched, reference 1's link shows what it really holds
    _, records = load_references(settings.sources_path / "references.toml")
    pmcid = records[0].pmcid
    fetched = settings.sources_path / "fetched"
    fetched.mkdir()
    doc = parse_jats(
        (JATS_FIXTURES / "metadata_only.xml").read_bytes(), doc_id="ref-1", reference=1
    )
    (fetched / f"{pmcid}.meta.json").write_text(json.dumps(doc.to_dict()))
    one = next(c for c in check_reference_list(settings) if c.reference == 1)
    assert one.status == "mismatch" and one.source == "fetched metadata"
    assert {m["field"] for m in one.mismatches} >= {"year", "journal", "authors", "title"}
    assert "Coastal Agronomy" in one.summary


def test_vancouver_style_reference() -> None:
    facts = parse_cited(
        "Night A, Owl BC, et al. Moths as pollinators. J Invented Pollin. 2015;3:1-9.", []
    )
    assert facts["authors"] == ["Night", "Owl"]
    assert facts["title"] == "Moths as pollinators"
    assert facts["journals"] == ["J Invented Pollin"]
    assert facts["years"] == ["2015"]
    actual = {
        "title": "Moths as pollinators",
        "authors": ["A. Night", "B. C. Owl"],
        "journal": "Journal of Invented Pollination",
        "year": 2015,
    }
    assert (
        check_citation(
            "Night A, Owl BC, et al. Moths as pollinators. J Invented Pollin. 2015;3:1-9.",
            [],
            actual,
        ).status
        == "match"
    )


def test_fetched_metadata_replaces_an_unresolved_record_in_the_corpus(tmp_path: Path) -> None:
    """Reference 1 has no notes; once a fetch brings what its link really holds, that record
    is the document answers and the audit read, no longer 'unresolved'."""
    from assistant.sources.corpus import corpus_files, load_corpus

    settings = make_settings(tmp_path)
    before = next(d for d in load_corpus(settings) if d.id == "ref-1")
    assert before.meta.get("status") == "unresolved"
    _, records = load_references(settings.sources_path / "references.toml")
    fetched = settings.sources_path / "fetched"
    fetched.mkdir()
    record = parse_jats((JATS_FIXTURES / "metadata_only.xml").read_bytes(), doc_id="x", reference=1)
    meta = fetched / f"{records[0].pmcid}.meta.json"
    meta.write_text(json.dumps(record.to_dict()))
    after = next(d for d in load_corpus(settings) if d.id == "ref-1")
    assert after.provenance == "metadata_only" and after.reference == 1
    assert after.title == record.title != before.title
    assert "status" not in after.meta and after.meta["cited_as"] == records[0].cited_as
    assert meta in corpus_files(settings)  # a change to it makes the index stale
