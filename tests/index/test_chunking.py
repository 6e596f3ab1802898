"""Sentence spans and chunks: exact slices, token limits, sections and blocks respected."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from conftest import JATS_FIXTURES, SOURCES

from assistant.index.chunking import chunk_document, estimate_tokens
from assistant.index.embeddings import SentenceEmbedder, model_path
from assistant.sources.article import parse_article
from assistant.sources.jats import parse_jats
from assistant.sources.notes import parse_notes
from assistant.text import split_sentences
from assistant.types import Block, Chunk, Document

ARTICLE = SOURCES / "magnesium-glycinate-hair-follicles.txt"


def sentences(text: str, start: int = 0, end: int | None = None) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text, start, end)]


def words(text: str) -> int:
    return len(text.split())


def fits(chunk: Chunk, max_tokens: int, count: Callable[[str], int]) -> bool:
    """What is embedded fits, unless the title and section alone take over half the limit."""
    prefix = chunk.embed_text()[: -len(chunk.text)]
    if count(prefix) > max_tokens // 2:
        return count(chunk.text) <= max_tokens - max_tokens // 2
    return count(chunk.embed_text()) <= max_tokens


def assert_exact(doc: Document, chunks: list[Chunk]) -> None:
    for c in chunks:
        assert c.text == doc.text[c.start : c.end]
        assert c.sentences[0][0] == c.start and c.sentences[-1][1] == c.end
        for s, e in c.sentences:
            assert c.start <= s < e <= c.end
            assert doc.text[s:e] == doc.text[s:e].strip() != ""


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
        (
            "Levels fell. p53 rose in 50 cases. miR-375 bound it, e.g. mRNA. The pH was 7.4.",
            [
                "Levels fell.",
                "p53 rose in 50 cases.",
                "miR-375 bound it, e.g. mRNA.",
                "The pH was 7.4.",
            ],
        ),
        (
            "It fell by half.[1] The effect held.[1, 2] Then it stopped [3]. Done.",
            ["It fell by half.[1]", "The effect held.[1, 2]", "Then it stopped [3].", "Done."],
        ),
        ("It held in mice. then it did not.", ["It held in mice. then it did not."]),
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
        assert fits(c, max_tokens, words)  # even a single over-long sentence is cut
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
    assert [len(c.sentences) for c in chunks] == [2, 2, 2, 2, 2, 1, 1]
    assert all(words(c.embed_text()) <= 20 for c in chunks)  # "Title" counts too
    # the over-long run-on sentence (33 words) is cut between words: 19 + "Title" = 20
    assert [words(c.text) for c in chunks[-2:]] == [19, 14]
    assert " ".join(c.text for c in chunks[-2:]) == text[mid_end + 2 :]
    assert all(c.notice == "Not the authors' text." and c.reference == 7 for c in chunks)
    assert [c.paragraph for c in chunks] == [0, 0, 0, 0, 0, 1, 1]
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


@pytest.fixture(scope="module")
def minilm() -> SentenceEmbedder:
    return SentenceEmbedder(*model_path("bundled:all-MiniLM-L6-v2"))


def test_a_long_table_is_chunked_by_rows_within_the_minilm_window(
    minilm: SentenceEmbedder,
) -> None:
    """60 rows (~1,700 tokens) were one chunk, of which MiniLM embedded the first 256."""
    doc = parse_jats((JATS_FIXTURES / "long_table.xml").read_bytes(), doc_id="ref-9", reference=9)
    (table,) = [b for b in doc.blocks if b.kind == "table"]
    rows = doc.text[table.start : table.end].split("\n")
    assert len(rows) == 61 and minilm.count_tokens("\n".join(rows)) > 1000
    chunks = chunk_document(doc, 200, minilm.count_tokens)
    assert_exact(doc, chunks)
    for c in chunks:
        assert minilm.count_tokens(c.embed_text()) <= 200, c.id
    in_table = [c for c in chunks if c.start < table.end and table.start < c.end]
    assert len(in_table) >= 9  # ~1,700 tokens in chunks of at most 200, prefix included
    quoted = [doc.text[s:e] for c in in_table for s, e in c.sentences if table.start <= s]
    assert quoted == rows  # each row is a sentence of its own: a quote is a row, not a table
    assert all(c.section == ("Results", "Table 1") for c in in_table)


def doc_of(text: str, title: str = "T", section: tuple[str, ...] = ()) -> Document:
    return Document("d", "reference", title, text, [Block("paragraph", 0, len(text), section)])


def test_an_over_long_sentence_is_cut_at_clauses_then_between_words() -> None:
    clauses = "One two three four five six, seven eight nine ten eleven; twelve thirteen fourteen"
    run_on = " ".join(f"w{i}" for i in range(25))
    text = f"Short first sentence here. {clauses}, {run_on} end."
    doc = doc_of(text)
    chunks = chunk_document(doc, 12, count_tokens=words)
    assert_exact(doc, chunks)
    assert all(words(c.embed_text()) <= 12 for c in chunks)
    pieces = [t for c in chunks for t in c.sentence_texts()]
    assert pieces[:4] == [
        "Short first sentence here.",  # sentence boundaries are kept where they fit
        "One two three four five six, seven eight nine ten eleven;",  # packed clauses
        "twelve thirteen fourteen,",
        "w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10",  # no punctuation left: between words
    ]
    assert " ".join(pieces) == text


def test_the_title_and_section_prefix_counts_against_the_limit() -> None:
    text = "Alpha beta gamma delta epsilon zeta. Eta theta iota kappa lambda mu."
    doc = doc_of(text, title="Paper", section=("Results", "Table 2"))
    assert doc.text == text and words(text) == 12
    (whole,) = chunk_document(doc_of(text), 16, count_tokens=words)  # "T" + 12 words fit
    assert whole.text == text
    chunks = chunk_document(doc, 16, count_tokens=words)  # "Paper > Results > Table 2": 6
    assert [c.text for c in chunks] == [
        "Alpha beta gamma delta epsilon zeta.",
        "Eta theta iota kappa lambda mu.",
    ]
    assert all(words(c.embed_text()) <= 16 for c in chunks)


def test_a_word_longer_than_the_limit_is_cut_inside_it() -> None:
    text = "Sequence: " + "ACGT" * 50 + " ends."
    doc = doc_of(text)
    chunks = chunk_document(doc, 32, count_tokens=len)  # a count of characters
    assert_exact(doc, chunks)
    assert all(len(c.embed_text()) <= 32 for c in chunks)
    assert "".join(c.text for c in chunks).replace(" ", "") == text.replace(" ", "")


def test_a_prefix_over_half_the_limit_leaves_the_text_half() -> None:
    title = " ".join(["long"] * 15)
    doc = doc_of(" ".join(f"w{i}" for i in range(30)) + ".", title=title)
    chunks = chunk_document(doc, 20, count_tokens=words)
    assert [words(c.text) for c in chunks] == [10, 10, 10]  # not scraps of 4 words
    assert all(fits(c, 20, words) for c in chunks)
