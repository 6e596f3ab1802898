"""Does a reference link point to the work the article says it cites?

The article cites each reference twice over: in its reference list ("cited_as") and in the
text ("A randomized trial in Nutrients (2021)"). This module pulls the checkable facts out of
that wording — author surnames, years, journal, title, study type — and compares them with
what the link really holds (the fetched JATS metadata, else the verified fields of
references.toml). Each disagreement is recorded with both sides, so the product can say
"cited as a 2021 randomized trial, actually a 2022 meta-analysis".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.text import fold, tokens

# Study designs, most specific first. A work's design is the first one its description
# names: "a meta-analysis of randomized trials" is a meta-analysis, not a randomized trial.
DESIGNS: list[tuple[str, re.Pattern[str]]] = [
    ("meta-analysis", re.compile(r"\bmeta[- ]?analys[ie]s\b|\bpooled analysis\b", re.I)),
    (
        "systematic review",
        re.compile(r"\bsystematic(?:\s+\w+)?\s+reviews?\b|\bsystematic-review\b", re.I),
    ),
    (
        "randomized trial",
        re.compile(
            r"\brandomi[sz]ed(?:,?\s+[\w-]+){0,3}\s+(?:clinical\s+|controlled\s+)?"
            r"(?:trials?|study|studies)\b|\bRCTs?\b|\bclinical trials?\b",
            re.I,
        ),
    ),
    (
        "cohort study",
        re.compile(r"\b(?:cohort|longitudinal|prospective)\s+(?:study|studies|analysis)\b", re.I),
    ),
    ("case-control study", re.compile(r"\bcase[- ]control\b", re.I)),
    ("cross-sectional study", re.compile(r"\bcross[- ]sectional\b", re.I)),
    ("case report", re.compile(r"\bcase (?:report|series)\b|\bcase-report\b", re.I)),
    ("review", re.compile(r"\b(?:narrative\s+|literature\s+)?review(?:-article)?s?\b", re.I)),
    ("animal study", re.compile(r"\b(?:animal|mice|mouse|rats?|murine|rodents?)\b", re.I)),
    ("in vitro study", re.compile(r"\bin vitro\b|\bcell cultures?\b", re.I)),
]
# Designs a description may loosely use for another ("a review" of a systematic review).
COMPATIBLE = {
    "review": {"systematic review", "meta-analysis"},
    "systematic review": {"meta-analysis"},
    "meta-analysis": {"systematic review"},
}
_YEAR = re.compile(r"\b(19\d{2}|20\d{2})\b")
_CONNECT = r"(?:of|and|the|for|in|on|&)"
_NAME_WORD = r"[A-Z][\w'&\-]*\.?"  # "Nutrients", "Ecol."
_JOURNAL_IN = re.compile(
    rf"\b(?:in|published in)\s+(?:[Tt]he\s+)?({_NAME_WORD}(?:\s+(?:{_NAME_WORD}|{_CONNECT}))*?)"
    r"\s*\(?,?\s*(?:19|20)\d{2}"
)
_VANCOUVER = re.compile(  # "Smith J, Jones KL, et al. Title. Journal. 2019;3:1-9."
    r"^(?P<authors>[A-Z][\w'\-]+(?: [A-Z][\w'\-]+)* [A-Z]{1,3}"
    r"(?:, [A-Z][\w'\-]+(?: [A-Z][\w'\-]+)* [A-Z]{1,3})*(?:,? et al)?)\.\s+(?P<rest>.+)$"
)
_APA = re.compile(r"^(?P<authors>.+?)\s*\((?P<year>(?:19|20)\d{2})[a-z]?\)\.?\s*(?P<rest>.*)$")
_SURNAME = re.compile(
    r"(?:^|[,&]\s*|and\s+)([A-Z][\w'\-]+(?:\s+[A-Z][\w'\-]+)?),\s+(?:[A-Z]\.\s*)+"
)
_ET_AL = re.compile(r"\b([A-Z][\w'\-]+)(?:\s+and\s+[A-Z][\w'\-]+)?\s+et al\b")
_PAREN = re.compile(r"\(([A-Z][^()\d]*?),\s*(?:19|20)\d{2}\)")


@dataclass
class CitationCheck:
    """The result of checking one citation: how it was cited vs what its link holds. It names
    the reference by its number only; the record itself is assistant.types.ReferenceRecord."""

    status: str  # match | mismatch | unresolved
    mismatches: list[dict[str, str]] = field(default_factory=list)
    summary: str = ""
    reference: int | None = None  # the number of the reference-list entry checked
    cited: dict[str, Any] = field(default_factory=dict)
    actual: dict[str, Any] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)
    source: str = ""  # where the actual facts came from

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def design_of(text: str) -> tuple[str, str] | None:
    """(canonical design, the words that name it) for the first design the text names."""
    for name, pattern in DESIGNS:
        if m := pattern.search(text):
            return name, m.group(0)
    return None


def surname(full_name: str) -> str:
    """'Gisèle Pickering' -> 'pickering'; 'Dominguez, Ligia J.' -> 'dominguez'."""
    name = full_name.split(",", 1)[0] if "," in full_name else full_name.split()[-1]
    return fold(name.strip())


def parse_cited(cited_as: str, in_text: list[str]) -> dict[str, Any]:
    """The checkable facts in how the article cites a work."""
    facts: dict[str, Any] = {"years": [], "journals": [], "authors": [], "designs": []}
    title = None
    text = cited_as.strip()
    apa, vancouver = _APA.match(text), _VANCOUVER.match(text)
    if apa or vancouver:
        if apa:  # "Green, A., et al. (2020). Title. Journal."
            authors = apa["authors"]
            facts["authors"] += _SURNAME.findall(authors + " ") + _ET_AL.findall(authors)
            facts["years"].append(apa["year"])
            rest = apa["rest"]
        else:
            authors, rest = vancouver["authors"], vancouver["rest"]  # type: ignore[index]
            facts["authors"] += [
                a.rsplit(" ", 1)[0]
                for a in re.split(r",\s*", authors)
                if a and not a.startswith("et al")
            ]
            facts["years"] += _YEAR.findall(rest)
        parts = [p.strip() for p in re.split(r"(?<=[.?!])\s+", rest) if p.strip()]
        title = parts[0].rstrip(".") if parts else None
        if len(parts) > 1 and not _YEAR.match(parts[1]):
            facts["journals"].append(re.split(r"[,;]|\s\d", parts[1])[0].rstrip(". "))
    elif text:
        title = text.rstrip(".")  # a bare title, as many reference lists give
        facts["years"] += _YEAR.findall(text)
    for mention in in_text:
        facts["years"] += _YEAR.findall(mention)
        facts["journals"] += [j.strip() for j in _JOURNAL_IN.findall(mention)]
        facts["authors"] += _ET_AL.findall(mention) + _PAREN.findall(mention)
    for piece in [*in_text, title or ""]:
        if d := design_of(piece):
            facts["designs"].append(d)
    facts["title"] = title
    for key in ("years", "journals", "authors", "designs"):
        facts[key] = list(dict.fromkeys(facts[key]))
    return facts


def _design_label(text: str) -> tuple[str, str] | None:
    """The design and a readable label, keeping what a review pools ("... of randomized trials")."""
    found = design_of(text)
    if found is None:
        return None
    name, words = found
    at = fold(text).find(fold(words))
    pooled = re.match(r"\s+of\s+((?:[\w-]+\s+){0,4}?(?:trials|studies))\b", text[at + len(words) :])
    return name, (words + (f" of {pooled.group(1)}" if pooled else "")).lower()


def actual_facts(actual: dict[str, Any]) -> dict[str, Any]:
    """Normalize what the link holds: fetched JATS meta or references.toml's verified fields."""
    years = {actual.get("year")}
    years |= {str(d.get("date", ""))[:4] for d in actual.get("dates") or [] if isinstance(d, dict)}
    years.add(str(actual.get("published") or "")[:4])
    study = actual.get("study_type") or " ".join(
        [
            actual.get("title") or "",
            *(actual.get("subjects") or []),
            actual.get("article_type") or "",
        ]
    )
    design = _design_label(study)
    if design and actual.get("study_type"):
        design = (design[0], str(actual["study_type"]))
    return {
        "title": actual.get("title") or "",
        "authors": [a for a in actual.get("authors") or [] if a],
        "journal": actual.get("journal") or "",
        "journals": [actual.get("journal") or "", *(actual.get("journal_abbrev") or [])],
        "year": actual.get("year"),
        "years": {str(y) for y in years if y and str(y).isdigit()},
        "design": design,
    }


def journal_matches(cited: str, names: list[str]) -> bool:
    """Same journal: equal ignoring case, 'the' and '&', or an abbreviation word by word."""

    def words(s: str) -> list[str]:
        s = fold(s).replace("&", " and ")
        return [w for w in re.findall(r"[a-z0-9]+", s) if w not in ("the", "and", "of")]

    c = words(cited)
    for name in filter(None, names):
        n = words(name)
        if c == n:
            return True
        short, full = (c, n) if len(" ".join(c)) <= len(" ".join(n)) else (n, c)
        if len(short) == len(full) and all(
            f.startswith(s) for s, f in zip(short, full, strict=True)
        ):
            return True
    return False


def _author_found(cited: str, actual_authors: list[str]) -> bool:
    wanted = set(re.findall(r"[a-z0-9]+", fold(cited)))
    return any(wanted <= set(re.findall(r"[a-z0-9]+", fold(a))) for a in actual_authors)


def check_citation(cited_as: str, in_text: list[str], actual: dict[str, Any]) -> CitationCheck:
    """Compare how the article cites a work with what the link really points to."""
    cited = parse_cited(cited_as, in_text)
    facts = actual_facts(actual)
    shown = {k: v for k, v in facts.items() if k != "years"}
    if not any(facts[k] for k in ("title", "authors", "journal", "year")):
        return CitationCheck(
            "unresolved",
            [],
            "Unresolved: what the link points to is not known (not fetched and "
            "no verified record). Run `assistant fetch` online to see what it holds.",
            cited=cited,
            actual=shown,
        )
    out: list[dict[str, str]] = []
    checked: list[str] = []
    if cited["years"] and facts["years"]:
        checked.append("year")
        out += [
            {"field": "year", "cited": y, "actual": str(facts["year"] or min(facts["years"]))}
            for y in cited["years"]
            if y not in facts["years"]
        ]
    if cited["journals"] and facts["journal"]:
        checked.append("journal")
        out += [
            {"field": "journal", "cited": j, "actual": facts["journal"]}
            for j in cited["journals"]
            if not journal_matches(j, facts["journals"])
        ]
    if cited["authors"] and facts["authors"]:
        checked.append("authors")
        first = facts["authors"][0] + (" et al." if len(facts["authors"]) > 1 else "")
        out += [
            {"field": "authors", "cited": a, "actual": first}
            for a in cited["authors"]
            if not _author_found(a, facts["authors"])
        ]
    if cited["title"] and facts["title"] and tokens(cited["title"]):
        checked.append("title")
        want = tokens(cited["title"])
        overlap = len(want & tokens(facts["title"])) / len(want)
        if overlap < 0.5:
            out.append(
                {
                    "field": "title",
                    "cited": cited["title"],
                    "actual": facts["title"],
                    "overlap": f"{overlap:.2f}",
                }
            )
    if cited["designs"] and facts["design"]:
        checked.append("study_type")
        name, label = facts["design"]
        out += [
            {"field": "study_type", "cited": words.lower(), "actual": label}
            for kind, words in cited["designs"]
            if kind != name and name not in COMPATIBLE.get(kind, set())
        ]
    where = ", ".join(str(x) for x in (facts["journal"], facts["year"]) if x)
    what = f"'{facts['title'] or 'untitled'}' ({where})"
    if out:
        diffs = "; ".join(
            f"{m['field']}: cited {m['cited']!r}, actually {m['actual']!r}" for m in out
        )
        summary = f"Mismatch: the link points to {what}. {diffs}."
    elif checked:
        named = [c.replace("_", " ") for c in checked]
        listed = " and ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)
        summary = f"Match: the cited {listed} agree{'s' * (len(named) == 1)} with {what}."
    else:
        summary = f"Nothing in the citation could be compared with the linked work, {what}."
    return CitationCheck(
        "mismatch" if out else "match", out, summary, cited=cited, actual=shown, checked=checked
    )
