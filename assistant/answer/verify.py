"""Check a written answer against the passages it was given.

Three checks, each a reason to distrust the answer:
- every citation marker [n] names a passage that was given;
- every quotation is verbatim in a passage it cites (whitespace, quote marks and dashes
  normalized; "..." may join pieces that stand in order);
- every statement carries a citation, and is grounded in the passage it cites (a `support`
  function decides; `grounded_in` is the one the LLM engine uses).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.text import carried, content_stems, normalize, quantities, split_sentences

MARKER = re.compile(r"\[(\d+)\]")
_QUOTE = re.compile(r"[\"“”]([^\"“”]{2,}?)[\"“”]")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”')\]]*\s+(?=[A-Z\"“(\[*-])")


def quote_in(quote: str, passage: str) -> bool:
    """True when the quote, allowing '...' between pieces, stands verbatim in the passage."""
    hay = normalize(passage)
    pos = 0
    for piece in re.split(r"\s*(?:\.\.\.|…)\s*", normalize(quote)):
        piece = piece.strip(" ,;:")
        if not piece:
            continue
        found = hay.find(piece, pos)
        if found < 0:
            return False
        pos = found + len(piece)
    return True


def split_statements(text: str) -> list[str]:
    lines = [ln.strip(" \t-*•>#") for ln in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line:
            out.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return out


@dataclass
class Verification:
    ok: bool
    problems: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    used_markers: list[int] = field(default_factory=list)
    quotes: dict[int, list[str]] = field(default_factory=dict)  # marker -> verified quotes


def verify_answer(
    text: str,
    passages: Sequence[str],
    *,
    support: Callable[[str, str], bool] | None = None,
    exempt: Sequence[str] = (),
) -> Verification:
    """Verify `text` against `passages` (numbered from 1). See the module docstring."""
    result = Verification(ok=True)
    n = len(passages)
    exempt_norm = {normalize(e) for e in exempt}
    for statement in split_statements(text):
        markers = [int(m) for m in MARKER.findall(statement)]
        bad = [m for m in markers if not 1 <= m <= n]
        if bad:
            result.problems.append(f"cites passage {bad} that was not given ({n} were)")
        good = [m for m in markers if 1 <= m <= n]
        result.used_markers.extend(m for m in good if m not in result.used_markers)
        for quote in _QUOTE.findall(statement):
            targets = good or list(range(1, n + 1))
            hit = next((m for m in targets if quote_in(quote, passages[m - 1])), None)
            if hit is None:
                where = f"passage {good}" if good else "any passage"
                result.problems.append(f'quotation "{quote[:80]}" is not verbatim in {where}')
            else:
                result.quotes.setdefault(hit, []).append(quote)
        bare = MARKER.sub("", statement).strip()
        if not bare or normalize(bare) in exempt_norm or bare.endswith(":"):
            continue
        if not good or (
            support is not None and not any(support(bare, passages[m - 1]) for m in good)
        ):
            result.unsupported.append(statement)
    if result.unsupported:
        result.problems.append(
            f"{len(result.unsupported)} statement(s) without support in the cited passages"
        )
    result.ok = not result.problems
    return result


def grounded_in(
    similarity: Callable[[str, list[str]], np.ndarray], cut: float, topic: set[str]
) -> Callable[[str, str], bool]:
    """A support test for a written statement and the passage it cites.

    Some sentence of the passage must (1) address the statement: cosine similarity at or above
    ``cut``, the claim-to-evidence relevance threshold calibrated on SciFact train claims and
    their rationale sentences (`assistant calibrate`), not the looser question-level decline
    bar; and (2) share a content word with it beyond the corpus's topic words (sharing only
    "magnesium" is on-topic, not on-claim). And (3) every number, percentage or dose in the
    statement must be in the passage. Paraphrase passes; new facts, figures and claims that
    only sit near a passage's subject do not.
    """

    def support(statement: str, passage: str) -> bool:
        if not all(carried(q, passage) for q in quantities(statement)):
            return False
        sentences = [passage[s:e] for s, e in split_sentences(passage)] or [passage]
        sims = similarity(statement, sentences)
        words = content_stems(statement)
        return any(
            sim >= cut and (words & content_stems(sentence)) - topic
            for sentence, sim in zip(sentences, sims, strict=True)
        )

    return support
