"""Sentences and chunks with exact character spans.

Chunks are what the index embeds and retrieves; sentences are what answers quote. Both are
spans into ``Document.text``, so a quote can always be located and shown in place. Chunks
never mix sections or cross a non-body block (an ad line between two paragraphs must not
end up inside a passage), and sentences never cross blocks.

Every chunk fits the embedding model's window as the embedder counts tokens, title and section
prefix included (``Chunk.embed_text``): the model silently drops whatever lies beyond it, so
an over-long passage would be retrieved on its first lines and quoted whole. A "sentence"
that alone is too long (a table, a run-on list) is cut at line breaks, then at clause
punctuation, then between words, each piece still an exact span.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable

from assistant.text import split_sentences
from assistant.types import Block, Chunk, Document

_TOKEN_RE = re.compile(r"\S+")


def estimate_tokens(text: str) -> int:
    """About 1.3 model tokens per word: the default when no tokenizer is at hand."""
    return math.ceil(len(_TOKEN_RE.findall(text)) * 1.3)


Span = tuple[int, int]
Fits = Callable[[int, int], bool]

# Where an over-long sentence may be cut, coarsest first. Lines (table rows) stay pieces of
# their own; clauses and words are packed back together up to the limit.
_LINE_BREAK_RE = re.compile(r"\n")
_CLAUSE_BREAK_RE = re.compile(r"(?<=[,;:–—])\s+|(?<=—)(?=\w)")
_WORD_BREAK_RE = re.compile(r"\s+")


def _prefix(doc: Document, section: tuple[str, ...]) -> str:
    """What ``Chunk.embed_text`` puts before a passage's text, taken from it so they agree."""
    empty = Chunk("", "", section, 0, 0, 0, "", (), title=doc.title)
    return empty.embed_text()


def _fits(
    doc: Document, section: tuple[str, ...], max_tokens: int, count: Callable[[str], int]
) -> Fits:
    """Whether a span of ``doc.text``, embedded with its title and section, fits max_tokens.

    A prefix that alone takes over half the window cannot be budgeted in full (the passage
    would be cut into scraps); the text then gets half the window, and the model may drop
    the end of the longest passages, as it would have before.
    """
    prefix = _prefix(doc, section)
    if count(prefix) > max_tokens // 2:
        prefix, max_tokens = "", max_tokens - max_tokens // 2
    return lambda start, end: count(prefix + doc.text[start:end]) <= max_tokens


def _cut(text: str, start: int, end: int, breaks: re.Pattern[str]) -> list[Span]:
    """``text[start:end]`` cut at every match of ``breaks``, each piece whitespace-trimmed."""
    spans, lo = [], start
    for m in breaks.finditer(text, start, end):
        spans.append((lo, m.start()))
        lo = m.end()
    spans.append((lo, end))
    trimmed = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            trimmed.append((s, e))
    return trimmed


def _longest_fit(start: int, end: int, fits: Fits) -> int:
    """The end of the longest fitting span from start (at least one character)."""
    lo, hi = start + 1, end
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(start, mid) else (lo, mid - 1)
    return lo


def _split_long(text: str, start: int, end: int, fits: Fits, level: int = 0) -> list[Span]:
    """A too-long span as pieces that fit: cut at lines, clauses, words, last characters."""
    if fits(start, end):
        return [(start, end)]
    if level == 3:  # one word longer than the window (a sequence, a URL): cut inside it
        cuts = [start]
        while cuts[-1] < end:
            cuts.append(_longest_fit(cuts[-1], end, fits))
        return list(itertools.pairwise(cuts))
    breaks = (_LINE_BREAK_RE, _CLAUSE_BREAK_RE, _WORD_BREAK_RE)[level]
    pieces: list[Span] = []
    packable = False  # whether the last piece may take in the next part
    for s, e in _cut(text, start, end, breaks):
        if not fits(s, e):
            pieces += _split_long(text, s, e, fits, level + 1)
            packable = False
        elif packable and level > 0 and fits(pieces[-1][0], e):
            pieces[-1] = (pieces[-1][0], e)
        else:
            pieces.append((s, e))
            packable = True
    return pieces


def _pieces(doc: Document, block: Block, fits: Fits) -> list[list[Span]]:
    """A block as lists of sentences: whole if it fits, else sentence runs that fit.

    A sentence too long for a chunk of its own is replaced by its pieces (_split_long).
    """
    sentences = split_sentences(doc.text, block.start, block.end) or [(block.start, block.end)]
    if fits(block.start, block.end):
        return [sentences]
    runs: list[list[Span]] = [[]]
    for sentence in sentences:
        for s in _split_long(doc.text, *sentence, fits):
            run = runs[-1]
            if run and not fits(run[0][0], s[1]):
                runs.append(run := [])
            run.append(s)
    return runs


def _groups(doc: Document) -> list[list[tuple[int, Block]]]:
    """Runs of body blocks of one section with no other block between them."""
    groups: list[list[tuple[int, Block]]] = []
    current: list[tuple[int, Block]] = []
    body_index = 0
    for block in sorted(doc.blocks, key=lambda b: (b.start, b.end)):
        if not block.is_body:
            current = []
            continue
        if not current or current[-1][1].section != block.section:
            groups.append(current := [])
        current.append((body_index, block))
        body_index += 1
    return groups


def chunk_document(
    doc: Document, max_tokens: int = 200, count_tokens: Callable[[str], int] | None = None
) -> list[Chunk]:
    """Pack consecutive body blocks of a section into chunks of at most max_tokens.

    The limit counts what is embedded: the chunk's text with its title and section prefix.
    A block that is too long is split between sentences; a sentence longer than the limit
    is cut into pieces that fit (at line breaks, clause punctuation, then words).
    """
    count = count_tokens or estimate_tokens
    chunks: list[Chunk] = []

    def emit(paragraph: int, section: tuple[str, ...], sentences: list[Span]) -> None:
        start, end = sentences[0][0], sentences[-1][1]
        chunks.append(
            Chunk(
                id=f"{doc.id}:{len(chunks)}",
                document_id=doc.id,
                section=section,
                paragraph=paragraph,
                start=start,
                end=end,
                text=doc.text[start:end],
                sentences=tuple(sentences),
                kind=doc.kind,
                provenance=doc.provenance,
                reference=doc.reference,
                title=doc.title,
                url=doc.url,
                notice=doc.notice,
            )
        )

    for group in _groups(doc):
        section = group[0][1].section
        fits = _fits(doc, section, max_tokens, count)
        paragraph, sentences = -1, []
        for body_index, block in group:
            for piece in _pieces(doc, block, fits):
                if sentences and not fits(sentences[0][0], piece[-1][1]):
                    emit(paragraph, section, sentences)
                    sentences = []
                if not sentences:
                    paragraph = body_index
                sentences = sentences + piece
        if sentences:
            emit(paragraph, section, sentences)
    return chunks
