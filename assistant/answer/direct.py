"""The direct first line of a yes/no question: "Yes", "No", "The sources disagree" or "No
clear yes or no", decided by the claim verifier.

A yes/no question is recognised by English word order: its last clause opens with an auxiliary
or modal verb ("Does magnesium lower CRP?", "Oral magnesium: is it safe?"), and is not a
request put as a question ("Can you tell me which foods...?", "Do you know what...?"); or it is
a title put as a question, its verb left out after a colon or dash, with no question word
("Aspirin: a cause of ulcers?"). The question becomes the statement it asks about (the
auxiliary dropped: "magnesium lower CRP"), and the verifier reads that statement against each
quoted passage of the sources. The article is never evidence for its own claims, and a
bibliographic record states nothing, so only the sources' quoted text is read.

One passage whose support (or contradiction) probability clears the verifier's calibrated bar
is enough for a yes (or a no); both at once is a disagreement; neither is "not_stated", said as
"no clear yes or no". The bars are the calibrated thresholds the audit reads too
(assistant.verifier.calibrate: set on Check-COVID and HealthVer dev for 80% precision), so a
weak verifier says yes or no rarely rather than often and wrongly. Unlike the audit, which
withholds "supported" when the best threshold fell short of 80% (support reached 71%), a yes is
still given at that threshold, under the line's "check the quotes below". Without a
calibration for the weights there is no yes or no at all. `bench pubmedqa` measures the
decision against PubMedQA's expert yes / no / maybe labels.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.types import Citation

__all__ = [
    "DIRECT_ANSWERS",
    "Bars",
    "Direct",
    "Judge",
    "decide",
    "direct_line",
    "polar_claim",
    "source_quotes",
]

# (claim, evidence) pairs -> the verifier's probabilities {"support", "contradict", "nei"}
Judge = Callable[[list[tuple[str, str]]], list[dict[str, float]]]

DIRECT_ANSWERS = ("yes", "no", "mixed", "not_stated")

# English auxiliary and modal verbs: a clause that opens with one (subject-auxiliary inversion)
# asks for a yes or a no.
_AUXILIARIES = frozenset(
    (  # noqa: SIM905 - a word list reads better as words
        "am is are was were be do does did have has had can could will would shall should may "
        "might must isn't aren't wasn't weren't don't doesn't didn't haven't hasn't hadn't can't "
        "couldn't won't wouldn't shouldn't"
    ).split()
)
# A clause holding one of these asks for a thing, not for a yes or a no.
_WH_WORDS = frozenset(["what", "which", "who", "whom", "whose", "when", "where", "why", "how"])
# Where a title-style question's topic ends and its question begins ("X: is it safe?").
_CLAUSE_BREAK = re.compile(r"[:;]\s+|\.\s+|\s*(?:--|—|–)\s*")
_TITLE_BREAK = re.compile(r":\s|\s*(?:--|—|–)\s*")
_WORD = re.compile(r"[\w'’-]+")


@dataclass(frozen=True)
class Bars:
    """The probabilities a support or a contradiction call must reach (1.0: never)."""

    support: float = 1.0
    contradict: float = 1.0


@dataclass(frozen=True)
class Direct:
    """A yes/no question's answer and the citation markers that decided it."""

    answer: str  # one of DIRECT_ANSWERS
    markers: tuple[int, ...] = ()


def polar_claim(question: str) -> str | None:
    """The statement a yes/no question asks about, or None for any other question."""
    text = question.replace("’", "'").strip().rstrip("?").strip()
    parts = _CLAUSE_BREAK.split(text)
    asked = parts[-1].strip()
    words = _WORD.findall(asked.lower())
    lead = " ".join(p.strip() for p in parts[:-1] if p.strip())
    if _titled(text, words):  # a title put as a question, its verb left out
        return f"{lead}: {asked}"
    if not words or words[0] not in _AUXILIARIES or words[1:2] == ["you"]:
        return None
    rest = asked[asked.lower().find(words[0]) + len(words[0]) :].strip(" ,")
    if not rest:
        return None
    return f"{lead}: {rest}" if lead else rest


def _titled(text: str, asked: list[str]) -> bool:
    """ "Aspirin: a cause of ulcers?": a topic, a colon or dash, then a phrase of two words or
    more that opens with no auxiliary, and no question word anywhere."""
    if len(asked) < 2 or asked[0] in _AUXILIARIES or not _TITLE_BREAK.search(text):
        return False
    return not _WH_WORDS & set(_WORD.findall(text.lower()))


def decide(claim: str, quotes: Sequence[tuple[int, str]], judge: Judge, bars: Bars) -> Direct:
    """The verifier's reading of ``claim`` against each (marker, quoted text): a support call
    over its bar and no contradiction call is "yes", the reverse "no", both "mixed", neither
    "not_stated". A quote counts for the label it gives most probability, and only over that
    label's bar. Markers come strongest first."""
    if not quotes:
        return Direct("not_stated")
    scores = judge([(claim, text) for _, text in quotes])
    support, contradict = [], []
    for (marker, _), s in zip(quotes, scores, strict=True):
        best = max(("support", "contradict", "nei"), key=lambda k: s[k])
        if best == "support" and s["support"] >= bars.support:
            support.append((s["support"], marker))
        elif best == "contradict" and s["contradict"] >= bars.contradict:
            contradict.append((s["contradict"], marker))
    support.sort(reverse=True)
    contradict.sort(reverse=True)
    if support and contradict:
        return Direct("mixed", (support[0][1], contradict[0][1]))
    if support:
        return Direct("yes", tuple(m for _, m in support))
    if contradict:
        return Direct("no", tuple(m for _, m in contradict))
    return Direct("not_stated")


def source_quotes(citations: Sequence[Citation]) -> list[tuple[int, str]]:
    """The quotes a direct answer may rest on: the sources' text, never the article's own
    words nor a bibliographic record."""
    return [
        (c.marker, c.quote)
        for c in citations
        if c.evidence.chunk.kind != "article" and c.provenance != "metadata_only"
    ]


def direct_line(direct: Direct) -> str:
    """The answer's first line, in plain words: a machine's reading of the passages it names,
    which the reader can check against the quotes below."""
    marks = " and ".join(f"[{m}]" for m in direct.markers[:2])
    if direct.answer == "yes":
        return f"**Yes**: the verifier reads {marks} as saying so; check the quotes below."
    if direct.answer == "no":
        return f"**No**: the verifier reads {marks} as saying otherwise; check the quotes below."
    if direct.answer == "mixed":
        yes, no = direct.markers[:2]
        return (
            f"**The sources disagree**: the verifier reads [{yes}] as saying so and [{no}] as "
            "saying otherwise."
        )
    return (
        "**No clear yes or no**: the verifier finds none of the passages below plainly saying one."
    )
