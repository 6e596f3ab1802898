"""The first line of a what / which / how-many answer: the quote that answers it."""

from __future__ import annotations

from conftest import quoted

from assistant.answer.extractive import lead_line, lead_quote
from assistant.text import content_stems
from assistant.types import Citation


def _cite(marker: int, text: str, reference: int | None = None) -> Citation:
    return quoted(marker, text, reference)


def _lead(question: str, quotes: list[Citation]) -> Citation | None:
    return lead_quote(question, content_stems(question) - {"magnesium"}, quotes)


def test_the_quote_holding_most_of_the_questions_words_leads() -> None:
    quotes = [
        _cite(1, "Magnesium is found in many tissues."),
        _cite(2, "Adult women need 310 mg of magnesium each day, men 400 mg.", reference=2),
    ]
    lead = _lead("How much magnesium do adult women need each day?", quotes)
    assert lead is not None and lead.marker == 2
    quote = "Adult women need 310 mg of magnesium each day, men 400 mg."
    assert lead_line(lead) == f'**In short**, Reference 2: "{quote}" [2]'


def test_ties_go_to_the_better_ranked_quote() -> None:
    quotes = [_cite(1, "Glycinate is gentle on the stomach."), _cite(2, "Glycinate is gentle.")]
    assert _lead("What is gentle about glycinate?", quotes).marker == 1


def test_a_question_asking_for_a_figure_takes_only_a_quote_with_one() -> None:
    worded = _cite(1, "The trials enrolled participants of many ages in the meta-analysis.")
    counted = _cite(2, "Together they enrolled 889 people.")
    assert (
        _lead("How many participants did the meta-analysis trials enroll?", [worded, counted])
        == counted
    )
    assert _lead("How many participants did the meta-analysis trials enroll?", [worded]) is None


def test_a_lead_in_without_its_list_never_leads() -> None:
    heading = _cite(1, "Symptoms of magnesium deficiency include:")
    assert _lead("What are the symptoms of magnesium deficiency?", [heading]) is None
    listed = _cite(2, "Symptoms of magnesium deficiency include: cramps, fatigue")
    assert _lead("What are the symptoms of magnesium deficiency?", [heading, listed]) == listed


def test_yes_no_questions_and_unaddressed_ones_get_no_lead() -> None:
    quotes = [_cite(1, "Magnesium lowered CRP.")]
    assert _lead("Does magnesium lower CRP?", quotes) is None  # its yes or no opens instead
    assert _lead("What does magnesium do to CRP?", []) is None
