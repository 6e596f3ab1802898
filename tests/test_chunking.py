"""Sentence spans and chunks: exact slices, token limits, sections and blocks respected."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from assistant.chunking import chunk_document, estimate_tokens, split_sentences
from assistant.sources.article import parse_article
from assistant.sources.notes import parse_notes
from assistant.types import Block, Document

SOURCES = Path(__file__).resolve().parents[1] / "index" / "sources"
ARTICLE = SOURCES / "magnesium-glycinate-hair-follicles.txt"


def sentences(text: str, start: int = 0, end: int | None = None) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text, start, end)]


def words(text: str) -> int:
    return len(text.split())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Dr. Lee et al. (2020) saw a 1.5-fold rise, e.g. in mice. It held vs. placebo.",
            ["Dr. Lee et al. (2020) saw a 1.5-fold rise, e.g. in mice.", "It held vs. placebo."],
        ),
        (
            "Study Insight: Research in a journal (2020) found that it worked",
            ["Study Insight: Research in a journal (2020) found that it worked"],
        ),
        (
            "Steps: 1. Mix the powder. 2. Stir well. Done!",
            ["Steps: 1. Mix the powder.", "2. Stir well.", "Done!"],
        ),
        (
            "A. Smith and J. K. Rowling wrote it. See Fig. 2. No. 5 was best.",
            ["A. Smith and J. K. Rowling wrote it.", "See Fig. 2.", "No. 5 was best."],
        ),
        (
            'Was it real? Yes! "Quoted." Then i.e. nothing. We took vitamin D. The end',
            [
                "Was it real?",
                "Yes!",
                '"Quoted."',
                "Then i.e. nothing.",
                "We took vitamin D.",
                "The end",
            ],
        ),
        ("Heading without a stop\n\nA paragraph.", ["Heading without a stop", "A paragraph."]),
        ("Intro:\n  • First point\n  • Second point", ["Intro:", "First point", "Second point"]),
        ("  padded.  ", ["padded."]),
        ("", []),
        ("The U.S. The trial was small.", ["The U.S.", "The trial was small."]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_split_sentences_in_a_window_gives_absolute_spans() -> None:
    text = "Before. Hello there. Bye now. After."
    spans = split_sentences(text, 8, text.index(" After"))
    assert [text[s:e] for s, e in spans] == ["Hello there.", "Bye now."]
    assert spans[0][0] == 8


@pytest.fixture(scope="module")
def article() -> Document:
    return parse_article(ARTICLE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("max_tokens", [20, 60, 200])
def test_chunks_slice_exactly_and_respect_the_limit(article: Document, max_tokens: int) -> None:
    chunks = chunk_document(article, max_tokens, count_tokens=words)
    assert chunks
    body = article.body_blocks()
    for i, c in enumerate(chunks):
        assert c.id == f"article:{i}" and c.document_id == "article"
        assert c.text == article.text[c.start : c.end]
        assert c.sentences[0][0] == c.start and c.sentences[-1][1] == c.end
        for s, e in c.sentences:
            assert c.start <= s < e <= c.end
            # every sentence sits inside one body block
            assert any(b.start <= s and e <= b.end for b in body)
        if words(c.text) > max_tokens:  # only a single over-long sentence may exceed
            assert len(c.sentences) == 1
        first = body[c.paragraph]
        assert first.start <= c.start < first.end and first.section == c.section
        assert c.title == article.title and c.provenance == "full_text"


def test_no_chunk_contains_boilerplate(article: Document) -> None:
    chunks = chunk_document(article, 200)
    boiler = [b for b in article.blocks if not b.is_body and b.kind != "heading"]
    for c in chunks:
        for b in boiler:
            assert b.end <= c.start or b.start >= c.end, (c.id, b)
        assert "Amazon" not in c.text and "Food and Drug Administration" not in c.text
    # Each body character lands in exactly one chunk.
    covered = sorted((c.start, c.end) for c in chunks)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(covered))
    for b in article.body_blocks():
        assert any(c.start <= b.start and b.end <= c.end for c in chunks)


def test_sections_never_mix_and_small_blocks_merge(article: Document) -> None:
    chunks = chunk_document(article, 200)
    by_section = {}
    for c in chunks:
        by_section.setdefault(c.section, []).append(c)
    insight = next(c for c in chunks if "Study Insight:" in c.text)
    assert "Magnesium is essential for DNA synthesis" in insight.text  # paragraph + its bullets
    assert len(insight.section) == 2
    assert len(chunks) < len(article.body_blocks())


def test_long_block_splits_between_sentences() -> None:
    sentence = "This sentence has exactly eight words in it. "
    text = "Title\n\n" + sentence * 10 + "\n\n" + "One " * 30 + "long run-on sentence"
    start = text.index("This")
    mid_end = text.index("\n\nOne")
    blocks = [
        Block("title", 0, 5),
        Block("paragraph", start, mid_end - 1),
        Block("paragraph", mid_end + 2, len(text)),
    ]
    doc = Document(
        "d",
        "reference",
        "Title",
        text,
        blocks,
        provenance="curated_notes",
        reference=7,
        notice="Not the authors' text.",
    )
    chunks = chunk_document(doc, 20, count_tokens=words)
    assert [len(c.sentences) for c in chunks] == [2, 2, 2, 2, 2, 1]
    assert all(words(c.text) <= 20 for c in chunks[:-1])
    assert words(chunks[-1].text) == 33  # the over-long sentence is its own chunk, uncut
    assert all(c.notice == "Not the authors' text." and c.reference == 7 for c in chunks)
    assert [c.paragraph for c in chunks] == [0, 0, 0, 0, 0, 1]
    assert chunk_document(doc, 20, count_tokens=words) == chunks  # stable ids and spans


def test_notes_chunks_carry_the_notice() -> None:
    text = (SOURCES / "notes" / "pmc7761127.md").read_text(encoding="utf-8")
    doc = parse_notes(text)
    chunks = chunk_document(doc)
    assert chunks and all(c.notice == doc.notice and c.kind == "reference" for c in chunks)
    assert all(c.provenance == "curated_notes" and c.id.startswith("ref-4:") for c in chunks)
    assert not any("provenance:" in c.text or c.text.startswith("#") for c in chunks)


def test_estimate_tokens() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("one two three") == 4
