"""Structure-aware evidence: a lead-in sentence and the list it opens are one quotable unit."""

from __future__ import annotations

from assistant.answer.extractive import one_line
from assistant.index.chunking import chunk_document
from assistant.index.retrieve import list_units
from assistant.sources.article import parse_article

TEXT = (
    "Magnesium and you\n\n"
    "Magnesium glycinate is well tolerated by most adults in trials.\n\n"
    "However, excessive intake may cause:\n\n"
    "  • Nausea\n"
    "  • Diarrhea\n"
    "  • Low blood pressure\n\n"
    "Ask a doctor first: this is the end of it.\n"
)


def _chunks(text: str):
    doc = parse_article(text)
    return doc, chunk_document(doc, 200, lambda t: len(t.split()))


def test_a_lead_in_and_its_list_are_one_unit() -> None:
    doc, chunks = _chunks(TEXT)
    units = [(c, u) for c in chunks for u in list_units(c)]
    assert len(units) == 1
    _, (start, end) = units[0]
    quote = doc.text[start:end]
    assert quote.startswith("However, excessive intake may cause:")
    assert quote.endswith("Low blood pressure")
    assert one_line(quote) == (
        "However, excessive intake may cause: • Nausea • Diarrhea • Low blood pressure"
    )


def test_a_colon_inside_prose_opens_no_unit() -> None:
    _, chunks = _chunks("T\n\nAsk a doctor first: this is it. Then rest. Then more.\n")
    assert [u for c in chunks for u in list_units(c)] == []
