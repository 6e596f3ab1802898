"""Which entry of the reference list an in-text citation points to.

Each numbered entry becomes a ``ReferenceFacts``: its one record (assistant.types
``ReferenceRecord``: the article's wording merged with the facts its reference document
carries) plus what linking and checking derive from it. A citation is linked by journal,
author or organisation name (or its number), then the closest year and the most title
words shared with the claim.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from assistant.audit.citations import journal_matches, parse_cited, surname
from assistant.audit.mentions import Mention
from assistant.text import fold, tokens
from assistant.types import BIBLIOGRAPHIC_FIELDS, Document, ReferenceRecord


@dataclass(frozen=True)
class ReferenceFacts:
    """One entry of the reference list, for linking and checking: its record, and the facts
    derived from it for matching citations."""

    record: ReferenceRecord  # number, cited_as, title, status and remark live here
    label: str  # short human form for reasons: "Veronese et al. 2022, Nutrients"
    journals: tuple[str, ...]
    years: tuple[int, ...]
    surnames: tuple[str, ...]
    searchable: str  # folded text an organisation name may appear in
    actual: dict = field(default_factory=dict)  # the verified facts (fetched or recorded)
    document: str | None = None  # id of the reference's document in the corpus
    provenance: str | None = None

    @property
    def number(self) -> int:
        return self.record.number

    @property
    def cited_as(self) -> str:
        return self.record.cited_as

    @property
    def title(self) -> str:
        return self.record.title or ""

    @property
    def status(self) -> str | None:
        return self.record.status

    @property
    def remark(self) -> str | None:
        return self.record.remark


def _label(
    number: int, surnames: list[str], year: int | None, journal: str | None, title: str
) -> str:
    who = ""
    if surnames:
        who = surnames[0].title() + (" et al." if len(surnames) > 1 else "")
    head = " ".join(str(x) for x in (who, year) if x) or title[:60]
    return f"reference {number} ({head}{', ' + journal if journal else ''})"


def _record(
    number: int, entry: ReferenceRecord | None, meta: dict[str, Any], cited_as: str, title: str
) -> ReferenceRecord:
    """The entry's record: the article's own entry (or a bare one when the article's list
    lacks it) updated with the bibliographic facts its reference document carries."""
    known = {k: meta[k] for k in BIBLIOGRAPHIC_FIELDS if k in meta}
    known.update(
        cited_as=cited_as,
        title=title or None,
        status=meta.get("status"),
        remark=meta.get("remark"),
    )
    return replace(entry, **known) if entry is not None else ReferenceRecord(number, **known)


def _years(parsed: dict[str, Any], actual: dict[str, Any]) -> set[int]:
    years = {int(y) for y in parsed["years"]}
    for key in ("year", "published"):
        if str(actual.get(key) or "")[:4].isdigit():
            years.add(int(str(actual[key])[:4]))
    return years


def _facts(n: int, doc: Document | None, entry: ReferenceRecord | None) -> ReferenceFacts:
    meta = dict(doc.meta) if doc else {}
    cited_as = str(meta.get("cited_as") or (entry.cited_as if entry else ""))
    parsed = parse_cited(cited_as, [])
    actual = {k: v for k, v in meta.items() if k not in ("cited_as", "remark", "status")}
    journals = [j for j in (actual.get("journal"), *parsed["journals"]) if j]
    years = _years(parsed, actual)
    surnames = [surname(a) for a in actual.get("authors") or [] if a.strip()]
    surnames += [fold(a) for a in parsed["authors"]]
    title = str(actual.get("title") or parsed.get("title") or "")
    searchable = fold(
        " ".join(
            [
                cited_as,
                title,
                *journals,
                *(actual.get("authors") or []),
                str(actual.get("publisher") or ""),
            ]
        )
    )
    year = min(years) if years else None
    return ReferenceFacts(
        record=_record(n, entry, meta, cited_as, title),
        label=_label(
            n,
            list(dict.fromkeys(surnames)),
            actual.get("year") or year,
            journals[0] if journals else None,
            title,
        ),
        journals=tuple(dict.fromkeys(journals)),
        years=tuple(sorted(years)),
        surnames=tuple(dict.fromkeys(surnames)),
        searchable=searchable,
        actual=actual,
        document=doc.id if doc else None,
        provenance=doc.provenance if doc else None,
    )


def reference_facts(article: Document, references: list[Document]) -> list[ReferenceFacts]:
    """One ReferenceFacts per numbered entry: the article's wording (cited_as) merged with the
    facts its reference document carries (fetched metadata or the references.toml record)."""
    by_number = {d.reference: d for d in references if d.reference is not None}
    numbers = sorted({e.number for e in article.references} | set(by_number))
    entries = {e.number: e for e in article.references}
    return [_facts(n, by_number.get(n), entries.get(n)) for n in numbers]


@dataclass(frozen=True)
class Link:
    mention: Mention
    reference: ReferenceFacts | None  # None: the cited work is not in the reference list
    candidates: tuple[int, ...] = ()  # every entry that matched the name, best first


def _title_overlap(context: str, ref: ReferenceFacts) -> float:
    want = tokens(ref.title)
    return len(want & tokens(context)) / len(want) if want else 0.0


def link_mention(mention: Mention, context: str, refs: list[ReferenceFacts]) -> Link:
    """The reference-list entry a citation points to: by journal, author or organisation name
    (or its number), then the closest year and the most title words shared with the claim."""
    if mention.kind == "number":
        hits = [r for r in refs if r.number in mention.numbers]
        return Link(mention, hits[0] if hits else None, tuple(r.number for r in hits))
    if mention.kind == "journal":
        hits = [r for r in refs if journal_matches(mention.journal or "", list(r.journals))]
    elif mention.kind == "author":
        wanted = [fold(n.split()[-1]) for n in mention.names]
        hits = [r for r in refs if all(w in r.surnames for w in wanted)]
    else:
        name = fold(" ".join(mention.names))
        hits = [r for r in refs if name and name in r.searchable]

    def rank(r: ReferenceFacts) -> tuple[float, ...]:
        gap = min((abs(y - mention.year) for y in r.years), default=99) if mention.year else 0
        return (-gap, _title_overlap(context, r), -r.number)

    hits.sort(key=rank, reverse=True)
    return Link(mention, hits[0] if hits else None, tuple(r.number for r in hits))
