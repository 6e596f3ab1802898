"""In-text citations: found by shape only, and taken out of the statement they sit in.

"A randomized trial in <Journal> (2021)", "(<Organisation>, 2021)", "<Author> et al. (2020)"
and "[3]" become ``Mention`` objects with exact spans and their checkable facts (journal,
year, names, numbers, the study design the wording names). linking.py links them to the
article's reference list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dateutil import parser as dateparser

from assistant.audit.citations import design_of

_YEAR = r"(?:19|20)\d{2}"
_CAP = r"[A-Z][\w'’&.\-]*"
_LINK_WORD = r"(?:of|and|the|for|in|on|&|de|der|und|y|et)"
_WORK = (
    r"(?i:study|studies|trial|trials|research|review|reviews|meta-analysis|meta-analyses|"
    r"analysis|analyses|paper|papers|report|reports|survey|surveys|experiment|experiments|"
    r"investigation|investigations|data|work|findings|evidence)"
)
# "<designator> (published) in (the) <Journal Name> (<year>)"
_JOURNAL_RE = re.compile(
    rf"(?:\b(?:[\w-]+\s+){{0,3}}?{_WORK}\s+)?(?:(?i:published|appearing|reported)\s+)?"
    rf"\bin\s+(?:[Tt]he\s+)?(?P<journal>{_CAP}(?:\s+(?:{_CAP}|{_LINK_WORD}))*?)"
    rf"\s*[(,]\s*(?P<year>{_YEAR})[a-z]?\)?"
)
# "<Surname> et al. (2020)", "<Surname> and <Surname> (2020)"
_NARRATIVE_RE = re.compile(
    rf"\b(?P<names>[A-Z][\w'’\-]+(?:\s+et\s+al\.?|\s+(?:and|&)\s+[A-Z][\w'’\-]+))"
    rf",?\s+\((?P<year>{_YEAR})[a-z]?\)"
)
_PAREN_RE = re.compile(rf"\((?P<body>[^()]*?{_YEAR}[a-z]?)\)")
_PAREN_PART_RE = re.compile(
    rf"(?<![^\s(;])(?P<names>[A-Z][^\d;()]*?),?\s+(?P<year>{_YEAR})[a-z]?(?=\s*[;)])"
)
_NUMERIC_RE = re.compile(r"\[(?P<body>\d{1,3}(?:\s*[-–,]\s*\d{1,3})*)\]")
_ET_AL = re.compile(r"\s+et\s+al\.?", re.I)
_JOURNAL_LEAD = re.compile(r"(?:^|\s+)(?:(?i:published|appearing|reported)\s+)?in\s+")


@dataclass(frozen=True)
class Mention:
    """One in-text citation: what the article says it cites, where, and its checkable facts."""

    text: str
    start: int
    end: int
    kind: str  # "journal" | "author" | "organization" | "number"
    journal: str | None = None
    year: int | None = None
    names: tuple[str, ...] = ()
    numbers: tuple[int, ...] = ()
    design: str | None = None  # canonical study design the wording names, if any


def _numbers(body: str) -> tuple[int, ...]:
    out: list[int] = []
    for part in re.split(r"\s*,\s*", body):
        lo, _, hi = part.partition("-") if "-" in part else part.partition("–")
        if hi.strip().isdigit() and int(hi) - int(lo) < 50:
            out += range(int(lo), int(hi) + 1)
        elif lo.strip().isdigit():
            out.append(int(lo))
    return tuple(out)


def _names(raw: str) -> tuple[str, tuple[str, ...]]:
    """'Smith & Jones' -> author names; 'National Institutes of Health' -> an organisation."""
    name = _ET_AL.sub("", raw).strip().rstrip(",")
    parts = [p.strip() for p in re.split(r"\s*(?:&|\band\b)\s*", name) if p.strip()]
    if _ET_AL.search(raw) or all(len(p.split()) == 1 for p in parts):
        return "author", tuple(parts)
    return "organization", (name,)


def is_date(text: str) -> bool:
    """Does the text read as a calendar date ("9 December 2011", "Dec. 9, 2011")? dateutil
    decides; a name with a year ("Smith 2011", "WHO, 2021") is not one."""
    try:
        dateparser.parse(text.strip(" ,;"), fuzzy=False)
    except (ValueError, OverflowError):
        return False
    return True


def find_mentions(text: str, offset: int = 0) -> list[Mention]:
    """In-text citations in ``text`` (spans absolute: ``offset`` is where text starts)."""
    found: list[Mention] = []

    def add(start: int, end: int, kind: str, **facts: object) -> None:
        if any(start < m.end - offset and m.start - offset < end for m in found):
            return
        found.append(Mention(text[start:end], offset + start, offset + end, kind, **facts))

    for m in _JOURNAL_RE.finditer(text):
        design = design_of(m.group(0))
        start = m.start() + len(m.group(0)) - len(m.group(0).lstrip())
        add(
            start,
            m.end(),
            "journal",
            journal=m["journal"].strip(),
            year=int(m["year"]),
            design=design[0] if design else None,
        )
    for m in _NARRATIVE_RE.finditer(text):
        kind, names = _names(m["names"])
        add(m.start(), m.end(), kind, year=int(m["year"]), names=names)
    for m in _PAREN_RE.finditer(text):  # "(Org, 2021)", "(Smith & Jones, 2019; Lee, 2020)"
        for p in _PAREN_PART_RE.finditer(text, m.start() + 1, m.end()):
            if is_date(text[m.start() + 1 : p.end()].split(";")[-1]):
                continue  # "(9 December 2011)" dates the sentence; it cites nothing
            kind, names = _names(p["names"])
            add(p.start(), p.end(), kind, year=int(p["year"]), names=names)
    for m in _NUMERIC_RE.finditer(text):
        add(m.start(), m.end(), "number", numbers=_numbers(m["body"]))
    return sorted(found, key=lambda x: x.start)


def without_mentions(text: str, start: int, mentions: tuple[Mention, ...]) -> str:
    """The statement with its citations taken out (a journal citation keeps its designator:
    'A randomized trial in Nutrients (2021) showed' -> 'A randomized trial showed')."""
    out, pos = [], 0
    for m in mentions:
        out.append(text[pos : m.start - start])
        if m.kind == "journal":
            out.append(_JOURNAL_LEAD.split(m.text, maxsplit=1)[0])
        pos = m.end - start
    out.append(text[pos:])
    joined = re.sub(r"\(\s*[;,\s]*\)", "", "".join(out))  # parentheses left empty
    return re.sub(r"\s+([,.;:])", r"\1", " ".join(joined.split()))
