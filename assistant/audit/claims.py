"""What the article claims: its checkable statements, each with its exact span.

A claim is one sentence (or list item) of the article's body that asserts something a source
could confirm: a number, an effect, a mechanism, a study finding, a dose, a prevalence, a safety
statement. Lead-ins ending with ':' , self-description ("This article ...") and advice in the
imperative mood ("Consult a healthcare provider ...") are not claims. A list item under a
lead-in reads as the lead-in's continuation ("Symptoms of X: Chronic fatigue"), so the verifier
and the retriever see that context while the claim keeps its own exact text and span.

Its in-text citations (mentions.py) are kept with the claim and taken out of the statement
the verifier reads; linking.py links them to the reference list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.audit.mentions import Mention, find_mentions, without_mentions
from assistant.text import split_sentences
from assistant.types import Document


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Base-form verbs that open advice in the imperative ("Take ... with meals"). Generic English
# advice vocabulary; a sentence opening with one of these has no subject, so it is advice.
ADVICE_VERBS = _word_set(
    """add adhere adopt aim apply ask avoid be begin buy call check choose combine consider
    consult continue cut decrease discuss divide do don't drink eat ensure exercise explore find
    follow get give go hydrate include incorporate increase inform keep learn let limit look
    maintain make massage maximize maximise measure minimize minimise mix monitor note order pair
    pick plan practice practise protect read record remember replace rest rinse schedule see
    seek shop skip sleep speak split start stay stick stop store supplement swap switch take
    talk tell test track try use visit wait wash watch"""
)
_LEADING_ADVERB = re.compile(
    r"^(?:always|never|please|also|then|first|finally|just|simply|regularly|instead|ideally)\s+",
    re.I,
)
_PURPOSE_CLAUSE = re.compile(r"^(?:to|for|if|when|before|after|during)\b[^,:;]{0,80},\s+", re.I)
_LABEL = re.compile(r"^(?P<label>[^:.!?]{1,60}):\s+(?=\S)")
_SELF_REFERENCE = re.compile(
    r"^(?:this|the present|our)\s+(?:article|post|guide|page|piece|blog|review)\b"
    r"|\bin this (?:article|post|guide|page)\b|^(?:we|i)\s+(?:will|'ll|’ll)\b|^read on\b",
    re.I,
)
_FUTURE_WORK = re.compile(
    r"\b(?:further|future|more|additional)\s+(?:research|studies|trials|work|investigation)\b"
    r"|\bresearch directions?\b|\bremains? (?:to be|unclear|unknown)\b",
    re.I,
)
# Generic cues that a statement is checkable: quantities, study language, effect and causal
# verbs, hedges, safety, prevalence, requirement and definition.
_CUES: dict[str, re.Pattern[str]] = {
    "number": re.compile(r"\d|\b(?:half|third|quarter|twice|double|triple|fold)\b", re.I),
    "study": re.compile(
        r"\b(?:stud(?:y|ies)|trials?|research|evidence|meta-analys[ie]s|reviews?|clinical|"
        r"scientific(?:ally)?|found|show(?:s|ed|n)|demonstrat\w*|report\w*|confirm\w*|"
        r"observ\w*|associat\w*|linked)\b",
        re.I,
    ),
    "effect": re.compile(
        r"\b(?:reduc|increas|improv|enhanc|promot|prevent|caus|lead|result|impair|damag|"
        r"weaken|protect|support|regulat|modulat|inhibit|lower|rais|boost|restor|neutrali|"
        r"mitigat|trigger|contribut|affect|disrupt|help|benefi|hinder|exacerbat|accelerat|"
        r"stimulat|relax|deliver|depend|complement|nourish|repair|heal|treat|cur|slow)\w*",
        re.I,
    ),
    "hedge": re.compile(r"\b(?:can|may|might|could|often|typically|generally|usually)\b", re.I),
    "safety": re.compile(
        r"\b(?:safe\w*|side effects?|tolera\w*|toxic\w*|adverse|overdose|excessive|symptoms?)\b",
        re.I,
    ),
    "prevalence": re.compile(r"\b(?:prevalen\w*|common|rare|population|deficien\w*|risk)\b", re.I),
    "requirement": re.compile(
        r"\b(?:essential|necessary|crucial|critical|vital|required?s?|needed)\b", re.I
    ),
    "definition": re.compile(r"\b(?:is|are|was|were)\b|\b(?:form|type)\s+of\b", re.I),
}


@dataclass(frozen=True)
class Claim:
    """A checkable statement of the article: exact text and span, and what it cites."""

    text: str
    start: int
    end: int
    section: tuple[str, ...]
    kind: str  # the block kind: paragraph, list_item...
    context: str  # what retrieval and the verifier read (lead-in + claim, citations removed)
    statement: str  # the claim itself with its citations removed (no lead-in)
    mentions: tuple[Mention, ...] = ()
    cues: tuple[str, ...] = ()
    lead_in: str | None = None


def strip_label(text: str) -> tuple[str | None, str]:
    """'Study Insight: Research found ...' -> ('Study Insight', 'Research found ...')."""
    m = _LABEL.match(text)
    return (m["label"], text[m.end() :]) if m else (None, text)


def is_imperative(text: str) -> bool:
    """Advice: the sentence (or its label) opens with a bare verb, after any purpose clause
    ("To ensure safety, adhere ...") and leading adverb ("Always consult ..."). A word
    followed by "of" is a noun ("Use of X is associated with ..."), not an order."""
    label, body = strip_label(text.strip())
    for part in (label, body):
        if not part:
            continue
        part = _LEADING_ADVERB.sub("", _PURPOSE_CLAUSE.sub("", part.strip()))
        first = re.match(r"([A-Za-z'’]+)(\s+of\b)?", part)
        noun = first is not None and first.group(2) is not None  # "Use of X is associated..."
        if first and not noun and first.group(1).lower().replace("’", "'") in ADVICE_VERBS:
            return True
    return False


def claim_cues(text: str) -> tuple[str, ...]:
    return tuple(name for name, pattern in _CUES.items() if pattern.search(text))


@dataclass
class _Lead:
    text: str
    advice: bool
    future: bool


def extract_claims(doc: Document) -> list[Claim]:
    """The checkable claims of an article's body blocks, in document order."""
    claims: list[Claim] = []
    lead: _Lead | None = None
    for block in sorted(doc.body_blocks(), key=lambda b: b.start):
        section_text = " ".join(block.section)
        if block.kind != "list_item":
            lead = None
        for s, e in split_sentences(doc.text, block.start, block.end):
            text = doc.text[s:e]
            if text.rstrip().endswith(":"):  # a lead-in: its items carry the claims
                lead = _Lead(text, is_imperative(text), bool(_FUTURE_WORK.search(text)))
                continue
            if _SELF_REFERENCE.search(text) or is_imperative(text):
                continue
            if _FUTURE_WORK.search(section_text) or (lead and lead.future):
                continue
            under = lead.text if lead and block.kind == "list_item" else None
            mentions = tuple(find_mentions(text, s))
            statement = without_mentions(text, s, mentions)
            context = f"{under} {statement}" if under else statement
            cues = claim_cues(context if under else text)
            if not cues:
                continue
            claims.append(
                Claim(
                    text, s, e, block.section, block.kind, context, statement, mentions, cues, under
                )
            )
    return claims


# A claim's dependent clauses ("..., reducing cortisol and mitigating hair loss") are further
# claims: a source that backs the main clause alone backs the sentence only in part.
_CLAUSE_BREAK = re.compile(
    r";\s*|,\s+(?=(?:\w+ing|which|thereby|thus|leading|resulting|making)\b)", re.I
)


def clauses(statement: str) -> list[str]:
    """The statement's main clause, then its dependent clauses (each at least 3 words)."""
    _, body = strip_label(statement)
    parts = [p.strip(" ,.;") for p in _CLAUSE_BREAK.split(body)]
    parts = [p for p in parts if len(p.split()) >= 3]
    return parts if len(parts) > 1 else [statement]
