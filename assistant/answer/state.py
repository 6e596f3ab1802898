"""What the answer chain passes along, and the small pieces every answer stage shares.

``AnswerState`` flows through the chain (question -> retrieved passages -> selected sentences
-> the extractive Answer -> maybe the model's). ``citation_of`` turns a piece of evidence into
the numbered citation an answer shows.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from assistant.errors import InputError
from assistant.text import content_stems
from assistant.types import PROVENANCE_LABELS, Answer, Citation, ClaimVerdict, Evidence

DECLINE_TEXT = "The article and its sources do not cover this question."
# The lines around a language model's answer, streamed under the extractive one, so whoever
# shows the stream as it comes says what the model's words are and whether they were kept
# (not when they failed verification, errored or timed out).
WRITING = "\n\n--- the language model's answer, kept only if it checks out: ---\n\n"
KEPT = "\n\n--- verified: every statement is grounded in the passage it cites ---\n"
NOT_KEPT = "\n\n--- not verified, so not kept: the extractive answer above stands ---\n"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_REFERRING = re.compile(r"\b(it|its|that|this|these|those|they|them|same|such|above)\b", re.I)
_CONTINUING = re.compile(r"(?:and|or|but|also|then|what about|how about)\b", re.I)
# a question whose answer is a number: a count, an amount, a dose, a share, a duration
_QUANTITY = re.compile(
    r"\bhow (?:many|much|long|often|old|large|big|high|low)\b|\bwhat (?:percentage|proportion|"
    r"share|fraction|number|dose|dosage|amount|size)\b|\bat what (?:dose|age)\b",
    re.I,
)

AuditLookup = Callable[[int, int], list[ClaimVerdict]]  # article span -> verdicts touching it


@dataclass
class Turn:
    question: str
    answer: str = ""


def clean_question(question: str, max_chars: int) -> str:
    """Strip control characters and surrounding space; refuse empty or over-long input."""
    if not isinstance(question, str):
        raise InputError("the question must be text.")
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", question)).strip()
    if not text:
        raise InputError("the question is empty: type a question about the article.")
    if len(text) > max_chars:
        raise InputError(
            f"the question is {len(text)} characters long; the limit is {max_chars}. Shorten it."
        )
    return text


def refers_back(question: str) -> bool:
    """Does the question lean on the conversation? A pronoun pointing back ("is that
    supported?"), an opening that continues the last question ("And for women?", "What about
    men?"), or no content word of its own ("Why?"). Its length does not matter: "What is the
    capital of France?" stands alone."""
    return bool(
        _REFERRING.search(question)
        or _CONTINUING.match(question.strip())
        or not content_stems(question)
    )


def asks_for_quantity(question: str) -> bool:
    """The question asks how many, how much, how long, what percentage or dose...: its answer
    is a figure, so a passage's sentence holding one answers it better than one without."""
    return _QUANTITY.search(question) is not None


def retrieval_query(question: str, history: Sequence[Turn]) -> str:
    """A follow-up that leans on the conversation (``refers_back``) borrows the previous
    question's words for retrieval; a self-contained question is retrieved alone."""
    if history and refers_back(question):
        return f"{history[-1].question} {question}"
    return question


@dataclass
class AnswerState:
    """What flows along the answer chain: each stage fills its part."""

    question: str
    history: Sequence[Turn]
    engine: str
    query: str = ""
    article: list[tuple[Evidence, float]] = field(default_factory=list)
    sources: list[tuple[Evidence, float]] = field(default_factory=list)
    passages: list[Evidence] = field(default_factory=list)
    answer: Answer | None = None
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)


def source_label(ev: Evidence) -> str:
    c = ev.chunk
    if c.kind == "article":
        return "Article"
    who = f"Reference {c.reference}" if c.reference is not None else c.title
    if c.provenance != "full_text":
        who += f" ({PROVENANCE_LABELS[c.provenance]})"
    return who


def citation_of(marker: int, ev: Evidence) -> Citation:
    """Citation [marker] quoting ``ev`` (its selected sentence, or the whole passage)."""
    if ev.sentence is None:
        ev = replace(ev, sentence=(ev.chunk.start, ev.chunk.end))
    return Citation(marker, ev)
