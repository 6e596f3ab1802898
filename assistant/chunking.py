"""Sentences and chunks with exact character spans.

Chunks are what the index embeds and retrieves; sentences are what answers quote. Both are
spans into ``Document.text``, so a quote can always be located and shown in place. Chunks
never mix sections or cross a non-body block (an ad line between two paragraphs must not
end up inside a passage), and sentences never cross blocks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from assistant.types import Block, Chunk, Document


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Abbreviations after which a period does not end a sentence.
_ABBREVIATIONS = _words(
    "e.g i.e al dr mr mrs ms prof vs cf viz approx ca st jr sr inc ltd corp dept univ "
    "spp sp resp incl est jan feb mar apr jun jul aug sep sept oct nov dec"
)
# Abbreviations that do not end a sentence when a number follows ("Fig. 2", "No. 5").
_BEFORE_NUMBER = _words("no nos fig figs eq eqs ref refs vol vols pp p ch sec tab pt")
# Words that start sentences far more often than they follow an initial ("A. Smith").
_STARTERS = _words(
    "the this that these those it its in on at we our they their there he she his her a an "
    "however but and or so thus therefore also although while when if as for to of by with "
    "after before during since because some many most all no one two each both"
)
_NAME_LINKS = _words("by and & to with from of")
_CLOSERS = "\"'”’)]»"
_OPENERS = "\"'“‘([«•"
_HARD_BREAK_RE = re.compile(r"\n[ \t]*\n\s*|\n[ \t]*(?=[•◦▪‣●*\-–]\s|\d{1,3}[.)]\s)")
_TOKEN_RE = re.compile(r"\S+")
_BULLET_RE = re.compile(r"[•◦▪‣●*\-–][ \t]+")


def estimate_tokens(text: str) -> int:
    """About 1.3 model tokens per word: the default when no tokenizer is at hand."""
    return math.ceil(len(_TOKEN_RE.findall(text)) * 1.3)


def _word_before(text: str, pos: int, lo: int) -> tuple[str, int]:
    """The whitespace-delimited token ending at pos (exclusive), and where it starts."""
    start = pos
    while start > lo and not text[start - 1].isspace():
        start -= 1
    return text[start:pos], start


def _is_enumerator(text: str, word_start: int, lo: int) -> bool:
    """'1.' opening a text, a line, or following a colon or a finished sentence."""
    before = text[lo:word_start].rstrip(" \t")
    if before.endswith("."):  # "Fig. 2." is a reference, "done. 2." an enumerator
        token = _word_before(before, len(before) - 1, 0)[0].lstrip(_OPENERS).lower()
        return token not in _BEFORE_NUMBER and token not in _ABBREVIATIONS
    return not before or before.endswith(("\n", ":", "!", "?"))


def _period_ends_sentence(text: str, k: int, nxt: int, lo: int) -> bool:
    word, word_start = _word_before(text, k, lo)
    core = word.lstrip(_OPENERS).lower()
    next_word = _TOKEN_RE.match(text, nxt)
    next_text = next_word.group(0).strip(_OPENERS + ",;:").lower() if next_word else ""
    if core in _ABBREVIATIONS:
        return False
    if core in _BEFORE_NUMBER and text[nxt].isdigit():
        return False
    if core.isdigit() and len(core) <= 3 and _is_enumerator(text, word_start, lo):
        return False
    bare = word.lstrip(_OPENERS)
    dotted = re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", bare)  # U.S, J.K
    initial = len(bare) == 1 and bare.isupper()
    if (dotted or initial) and next_text not in _STARTERS:
        if dotted:
            return False
        p = word_start
        while p > lo and text[p - 1].isspace():
            p -= 1
        prev = _word_before(text, p, lo)[0].strip(_OPENERS)
        name_like = not prev or prev.endswith((",", ".")) or prev[:1].isupper()
        return not (name_like or prev.lower() in _NAME_LINKS)
    return True


def _split_segment(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    spans, start, k = [], lo, lo
    while k < hi:
        ch = text[k]
        if ch not in ".!?…":
            k += 1
            continue
        end = k + 1
        while end < hi and (text[end] in ".!?…" or text[end] in _CLOSERS):
            end += 1
        nxt = end
        while nxt < hi and text[nxt].isspace():
            nxt += 1
        if end < hi and nxt == end:  # "1.5", "word.word": no space after the mark
            k = end
            continue
        if nxt < hi:
            starts_ok = text[nxt].isupper() or text[nxt].isdigit() or text[nxt] in _OPENERS
            if not starts_ok or (ch == "." and not _period_ends_sentence(text, k, nxt, lo)):
                k = end
                continue
        spans.append((start, end))
        start = k = nxt
    spans.append((start, hi))
    trimmed = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        if bullet := _BULLET_RE.match(text, s, e):  # a list glyph is not part of the sentence
            s = bullet.end()
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            trimmed.append((s, e))
    return trimmed


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Absolute, whitespace-trimmed sentence spans of ``text[start:end]``.

    Blank lines and lines opening with a bullet or list number always break; a period breaks
    only before an uppercase letter, digit or opening quote, and not after abbreviations,
    initials or list numbers. A "Label: sentence" item stays one sentence.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    seg_start = start
    for m in _HARD_BREAK_RE.finditer(text, start, end):
        spans += _split_segment(text, seg_start, m.start())
        seg_start = m.end()
    spans += _split_segment(text, seg_start, end)
    return spans


def _pieces(
    doc: Document, block: Block, max_tokens: int, count: Callable[[str], int]
) -> list[list[tuple[int, int]]]:
    """A block as lists of sentences: whole if it fits, else sentence runs that fit."""
    sentences = split_sentences(doc.text, block.start, block.end) or [(block.start, block.end)]
    if count(doc.text[block.start : block.end]) <= max_tokens:
        return [sentences]
    runs: list[list[tuple[int, int]]] = [[]]
    for s in sentences:
        run = runs[-1]
        if run and count(doc.text[run[0][0] : s[1]]) > max_tokens:
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

    A block that is too long is split between sentences; one sentence longer than the limit
    becomes a chunk of its own (it is never cut mid-sentence).
    """
    count = count_tokens or estimate_tokens
    chunks: list[Chunk] = []

    def emit(paragraph: int, section: tuple[str, ...], sentences: list[tuple[int, int]]) -> None:
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
        paragraph, sentences = -1, []
        for body_index, block in group:
            for piece in _pieces(doc, block, max_tokens, count):
                if sentences and count(doc.text[sentences[0][0] : piece[-1][1]]) > max_tokens:
                    emit(paragraph, section, sentences)
                    sentences = []
                if not sentences:
                    paragraph = body_index
                sentences = sentences + piece
        if sentences:
            emit(paragraph, section, sentences)
    return chunks
