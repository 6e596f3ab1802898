"""Plain-text web articles: structure, boilerplate and the numbered reference list.

A web page saved as text keeps its headings, paragraphs and bullets, but also the page's
furniture: the title printed twice, "related articles" links, shop-now banners, an image
caption, a legal disclaimer. Every line is kept and labelled, so that nothing is silently
dropped and nothing but the body is ever taken for the author's claims.

Only generic cues are used: line length and punctuation, bullets, numbering, indentation,
what follows a line, repetition, and standard call-to-action and legal phrases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.sources.references import extract_identifiers
from assistant.types import Block, Document, ReferenceRecord

_BULLET_RE = re.compile(r"[•◦▪▫‣●○■□·∙*\-–]\s+")
_NUMBER_RE = re.compile(r"(?:(\d{1,3})[.)]|\[(\d{1,3})\])\s+")
_CTA_RE = re.compile(
    r"\b(?:shop|buy|order|get yours|subscribe|sign up) now\b|\badd to (?:cart|basket|bag)\b"
    r"|\b(?:now|available|shop|buy|order) (?:it )?on amazon\b|\bfree shipping\b"
    r"|\buse (?:promo |discount |coupon )?code\b|\blimited[- ]time offer\b|\bsave \d+% ?off\b",
    re.IGNORECASE,
)
_DISCLAIMER_RE = re.compile(
    r"for (?:general )?informational (?:and educational )?purposes"
    r"|not (?:been )?intended to (?:diagnose|treat|cure|prevent)"
    r"|not been evaluated by the (?:u\.?s\.? )?food and drug administration"
    r"|should not be (?:construed|taken|considered) as (?:medical|health|professional) advice"
    r"|not (?:a substitute|intended as a substitute|intended to replace) for (?:professional )?"
    r"(?:medical )?(?:advice|care|diagnosis)"
    r"|\baffiliate links?\b|\bwe may earn (?:a )?(?:small )?commission|all rights reserved",
    re.IGNORECASE,
)
_NAV_RE = re.compile(
    r"^(?:you (?:may|might) also (?:like|enjoy)|related(?: articles| posts| reading| stories)?"
    r"|read (?:more|next|also)|see also|recommended(?: for you| reading| articles)?"
    r"|more (?:articles|stories|posts)(?: like this)?|popular (?:posts|articles)"
    r"|trending(?: now)?|also on this site)\b\s*:?",
    re.IGNORECASE,
)
_REF_HEADING_RE = re.compile(
    r"^(?:\w+ )?(?:references|sources|bibliography|works cited|citations|literature cited"
    r"|reference list)\s*:?$",
    re.IGNORECASE,
)
_URL_RE = re.compile(r"https?://[^\s<>\"]+")
_URL_TAIL_RE = re.compile(
    r"\s*(?:(?:retrieved|available|accessed)(?: online)?(?: (?:from|at))?\s*:?\s*)?"
    r"https?://\S+.*$",
    re.IGNORECASE | re.DOTALL,
)
_CITATION_CUE = re.compile(r"https?://|\bdoi:|\(\d{4}[a-z]?\)", re.IGNORECASE)
_TERMINAL = (".", "!", ";", ":", ",")
_BOILERPLATE = {"title", "repeated_title", "advertisement", "disclaimer", "navigation"}


@dataclass
class _Unit:
    """One line, or several when a paragraph or list item wraps onto following lines."""

    line_start: int  # first visible character, marker included
    start: int  # first character after a bullet or list number
    end: int
    indent: int
    marker: str  # "", "bullet" or "number"
    number: int | None
    lines: int = 1


def _segment(text: str) -> list[_Unit]:
    """Split text into units. A wrapped line joins the unit above it: a hanging indent under
    a list item, a lowercase start, or, in hard-wrapped text, a full-width line above."""
    rows = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        stripped = body.strip()
        if stripped:
            indent = len(body) - len(body.lstrip())
            rows.append((pos + indent, pos + len(body.rstrip()), indent))
        else:
            rows.append(None)
        pos += len(raw)
    lengths = [row[1] - row[0] for row in rows if row]
    wrap = max(lengths, default=0)
    hard_wrapped = 40 <= wrap <= 100 and sum(n >= 0.85 * wrap for n in lengths) >= 3
    units: list[_Unit] = []
    previous_row = None
    for row in rows:
        if row is None:
            previous_row = None
            continue
        start, end, indent = row
        content = text[start:end]
        m = _BULLET_RE.match(content) or _NUMBER_RE.match(content)
        if previous_row is not None and units and not m:
            unit, (p_start, p_end, _) = units[-1], previous_row
            hanging = unit.marker and indent > unit.indent
            full = hard_wrapped and p_end - p_start >= 0.7 * wrap
            if hanging or (not unit.marker and (content[0].islower() or full)):
                unit.end, unit.lines, previous_row = end, unit.lines + 1, row
                continue
        marker, number = "", None
        if m is not None:
            marker = "number" if m.re is _NUMBER_RE else "bullet"
            number = int(m.group(1) or m.group(2)) if marker == "number" else None
        units.append(_Unit(start, start + (m.end() if m else 0), end, indent, marker, number))
        previous_row = row
    return units


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold().rstrip(":")


class _Labeller:
    """Decides each unit's block kind; see the module docstring for the cues used."""

    def __init__(self, text: str, units: list[_Unit]):
        self.text, self.units = text, units
        self.labels: list[str | None] = [None] * len(units)
        self.ref_heading: int | None = None

    def visible(self, i: int) -> str:
        return " ".join(self.text[self.units[i].line_start : self.units[i].end].split())

    def content(self, i: int) -> str:
        return " ".join(self.text[self.units[i].start : self.units[i].end].split())

    def heading_shaped(self, i: int) -> bool:
        u, words = self.units[i], self.content(i)
        if u.lines > 1 or u.marker == "bullet" or not words or words[0].islower():
            return False
        if u.marker == "number" and (u.indent > 0 or self.in_numbered_run(i)):
            return False
        return len(words) <= 120 and len(words.split()) <= 18 and not words.endswith(_TERMINAL)

    def next_content(self, i: int) -> int | None:
        for j in range(i + 1, len(self.units)):
            if self.labels[j] not in _BOILERPLATE:
                return j
        return None

    def in_numbered_run(self, i: int) -> bool:
        before = (j for j in range(i - 1, -1, -1) if self.labels[j] not in _BOILERPLATE)
        neighbours = (next(before, None), self.next_content(i))
        return any(j is not None and self.units[j].marker == "number" for j in neighbours)

    def leads_content(self, i: int) -> bool:
        """A heading is followed by body text, or (unnumbered) by a numbered sub-heading."""
        j = self.next_content(i)
        if j is None or self.labels[j] == "heading":
            return False
        if self.labels[j] == "reference_entry" or not self.heading_shaped(j):
            return True
        nested = self.units[i].marker != "number" and self.units[j].marker == "number"
        return nested and self.leads_content(j)

    def label_boilerplate(self) -> None:
        title = _norm(self.visible(0))
        self.labels[0] = "title"
        for i in range(1, len(self.units)):
            line = self.visible(i)
            if _norm(line) == title:
                self.labels[i] = "repeated_title"
            elif _CTA_RE.search(line):
                self.labels[i] = "advertisement"
            elif _DISCLAIMER_RE.search(line):
                self.labels[i] = "disclaimer"
        for i in range(2, len(self.units)):  # the same banner printed twice in a row
            same = _norm(self.visible(i)) == _norm(self.visible(i - 1))
            if same and self.labels[i] is None:
                self.labels[i - 1] = self.labels[i] = "advertisement"

    def label_references(self) -> None:
        for i in range(1, len(self.units)):
            if self.labels[i] or not _REF_HEADING_RE.match(self.content(i)):
                continue
            entries = []
            for j in range(i + 1, len(self.units)):
                if self.labels[j] or not (
                    self.units[j].marker or _CITATION_CUE.search(self.content(j))
                ):
                    break
                entries.append(j)
            if entries:
                self.labels[i], self.ref_heading = "heading", i
                for j in entries:
                    self.labels[j] = "reference_entry"
                return

    def label_navigation(self) -> None:
        for i in range(1, len(self.units)):
            line = self.content(i)
            m = _NAV_RE.match(line)
            if self.labels[i] or not m or len(line) > 80:
                continue
            if line[m.end() :].strip():
                if line[: m.end()].rstrip().endswith(":"):  # "Read more: <link title>"
                    self.labels[i] = "navigation"
                continue
            self.labels[i] = "navigation"
            for j in range(i + 1, len(self.units)):
                u, words = self.units[j], self.content(j)
                link = u.marker == "bullet" and len(words) <= 120 and not words.endswith(".")
                if self.labels[j] or not (
                    link or (self.heading_shaped(j) and not self.leads_content(j))
                ):
                    break
                self.labels[j] = "navigation"


def _reference_entries(text: str, units: list[_Unit], indices: list[int]) -> list[ReferenceRecord]:
    entries = []
    for n, i in enumerate(indices, start=1):
        u = units[i]
        content = text[u.start : u.end]
        cited = " ".join(_URL_TAIL_RE.sub("", content).split()) or " ".join(content.split())
        url_match = _URL_RE.search(content)
        url = url_match.group(0).rstrip(".,;)]") if url_match else None
        ids = extract_identifiers(content)
        entries.append(ReferenceRecord(u.number or n, cited, url, start=u.start, end=u.end, **ids))
    return entries


def parse_article(
    text: str, doc_id: str = "article", url: str | None = None, source_name: str = ""
) -> Document:
    """Parse a plain-text article into labelled blocks with exact spans and section paths."""
    units = _segment(text)
    if not units:
        return Document(doc_id, "article", "", text, [], url=url, meta={"file": source_name})
    lab = _Labeller(text, units)
    lab.label_boilerplate()
    lab.label_references()
    lab.label_navigation()
    blocks: list[Block] = []
    path: tuple[str, ...] = ()
    seen: set[tuple[tuple[str, ...], str]] = set()
    for i, u in enumerate(units):
        kind = lab.labels[i]
        span = (u.line_start, u.end)
        if kind is None and lab.heading_shaped(i):
            parent = path[:1] if u.marker == "number" else ()
            if (parent, _norm(lab.visible(i))) in seen:
                kind = "repeated_heading"
            elif lab.leads_content(i):
                kind = "heading"
            elif u.marker != "number" and lab.next_content(i) is not None:
                kind = "image_caption"
        if kind is None:
            kind = "list_item" if u.marker else "paragraph"
        if kind in ("list_item", "reference_entry"):
            span = (u.start, u.end)
        if kind == "heading":
            parent = path[:1] if u.marker == "number" and path else ()
            seen.add((parent, _norm(lab.visible(i))))
            blocks.append(Block(kind, *span, parent))
            path = (*parent, lab.visible(i))
            continue
        blocks.append(Block(kind, *span, () if kind == "title" else path))
    entries = [i for i, kind in enumerate(lab.labels) if kind == "reference_entry"]
    return Document(
        id=doc_id,
        kind="article",
        title=lab.visible(0),
        text=text,
        blocks=blocks,
        provenance="full_text",
        citation=lab.visible(0),
        url=url,
        meta={"file": source_name} if source_name else {},
        references=_reference_entries(text, units, entries),
    )
