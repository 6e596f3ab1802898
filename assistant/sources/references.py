"""The article's reference list as curated in references.toml, and identifiers in citations.

references.toml holds one ``[article]`` table and one ``[[reference]]`` entry per numbered
reference of the article. Each entry says how the article cites the paper and what public
records say about it. When no text of a paper is available, the record itself becomes a
small metadata-only document, so that the assistant can still say what the paper is.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from assistant.errors import SourceError
from assistant.types import Block, Document, ReferenceRecord

# Where a reference's identifiers hide in a URL or in citation text.
_PMCID_RE = re.compile(r"\b(PMC\d{4,})\b", re.IGNORECASE)
_PMID_URL_RE = re.compile(r"(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)(\d+)")
_PMID_TEXT_RE = re.compile(r"\bPMID:?\s*(\d+)", re.IGNORECASE)
_DOI_RE = re.compile(r"(?:doi\.org/|\bdoi:\s*)(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)
_TRAILING_PUNCT = ".,;:)]}>'\""

METADATA_SECTION = ("Bibliographic record",)
METADATA_NOTICE = "Bibliographic record only: facts about the paper, not text from it."


def _clean_id(value: str) -> str:
    return value.rstrip(_TRAILING_PUNCT)


def extract_identifiers(text: str) -> dict[str, str]:
    """PMCID, PMID and DOI found in a URL or a citation's text (keys only when found)."""
    ids: dict[str, str] = {}
    if m := _PMCID_RE.search(text):
        ids["pmcid"] = m.group(1).upper()
    if m := _PMID_URL_RE.search(text) or _PMID_TEXT_RE.search(text):
        ids["pmid"] = m.group(1)
    if m := _DOI_RE.search(text):
        ids["doi"] = _clean_id(m.group(1))
    return ids


def _fail(path: Path, where: str, problem: str, fix: str) -> SourceError:
    return SourceError(f"{path}: {where}: {problem}. {fix}")


def _record(path: Path, index: int, raw: Any) -> ReferenceRecord:
    where = f"[[reference]] entry {index}"
    if not isinstance(raw, dict):
        raise _fail(path, where, "is not a table", "Write each entry as a [[reference]] table.")
    number = raw.get("number")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise _fail(
            path,
            where,
            f"'number' is missing or not a positive integer ({number!r})",
            "Add e.g. `number = 3`, the entry's number in the article's reference list.",
        )
    where = f"[[reference]] number {number}"
    cited_as = raw.get("cited_as")
    if not isinstance(cited_as, str) or not cited_as.strip():
        raise _fail(
            path,
            where,
            "'cited_as' is missing or empty",
            'Add `cited_as = "..."`: the entry as the article\'s reference list gives it.',
        )
    known = {f.name for f in fields(ReferenceRecord)} - {"extra"}
    values: dict[str, Any] = {"extra": {k: v for k, v in raw.items() if k not in known}}
    for key, value in raw.items():
        if key not in known:
            continue
        if key == "authors":
            if isinstance(value, str):
                value = [a.strip() for a in value.split(";") if a.strip()]
            if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
                raise _fail(
                    path,
                    where,
                    "'authors' is not a list of names",
                    'Write authors = ["First Author", "Second Author"].',
                )
        elif key == "year":
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise _fail(
                    path,
                    where,
                    f"'year' is not a number ({value!r})",
                    "Write the year as a number, e.g. `year = 2020`.",
                )
        elif key != "number":
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)  # e.g. pmid = 35277037 or volume = 14
            if not isinstance(value, str):
                raise _fail(
                    path,
                    where,
                    f"'{key}' is not text ({value!r})",
                    f'Quote the value: {key} = "...".',
                )
            value = value.strip() or None
        values[key] = value
    rec = ReferenceRecord(**values)
    if rec.pmcid:
        rec.pmcid = rec.pmcid.upper() if rec.pmcid.upper().startswith("PMC") else f"PMC{rec.pmcid}"
    return rec


def load_references(path: Path) -> tuple[dict[str, Any], list[ReferenceRecord]]:
    """Read references.toml: its [article] table and its records, sorted by number."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(
            f"{path}: cannot be read ({exc}). Check the path and permissions."
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(
            f"{path}: is not valid TOML ({exc}). Fix the syntax at that line, e.g. quote "
            "text values and close every [[reference]] table."
        ) from exc
    article = data.get("article", {})
    if not isinstance(article, dict):
        raise _fail(path, "[article]", "is not a table", "Write it as an [article] table.")
    raw_refs = data.get("reference", [])
    if not isinstance(raw_refs, list):
        raise _fail(
            path,
            "reference",
            "is not a list of tables",
            "Write each entry as a [[reference]] table (double brackets).",
        )
    records = [_record(path, i, raw) for i, raw in enumerate(raw_refs, start=1)]
    seen: set[int] = set()
    for rec in records:
        if rec.number in seen:
            raise _fail(
                path,
                f"[[reference]] number {rec.number}",
                "the number is used twice",
                "Give each entry the unique number it has in the article.",
            )
        seen.add(rec.number)
    return article, sorted(records, key=lambda r: r.number)


def _short_name(name: str) -> str:
    """'Nicola Veronese' -> 'Veronese N'; 'Dominguez, Ligia J.' -> 'Dominguez LJ'."""
    if "," in name:
        surname, given = (p.strip() for p in name.split(",", 1))
    else:
        parts = name.split()
        surname, given = (parts[-1], " ".join(parts[:-1])) if parts else ("", "")
    initials = "".join(p[0] for p in re.split(r"[\s.\-]+", given) if p and p[0].isalpha())
    return f"{surname} {initials.upper()}".strip()


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else f"{text}."


def format_citation(rec: ReferenceRecord) -> str:
    """A compact citation from the verified facts, or the article's wording when unresolved."""
    if not rec.title:
        return rec.cited_as.strip()
    names = [_short_name(a) for a in rec.authors]
    authors = f"{names[0]}, et al." if len(names) > 2 else ", ".join(names)
    head = authors
    if rec.year:
        head = f"{head} ({rec.year}).".strip()
    elif head and not head.endswith("."):
        head += "."
    parts = [head] if head else []
    parts.append(_sentence(rec.title))
    if rec.journal:
        source = rec.journal
        if rec.volume:
            source += f" {rec.volume}" + (f"({rec.issue})" if rec.issue else "")
        if rec.pages:
            source += f":{rec.pages}" if rec.volume else f", {rec.pages}"
        parts.append(_sentence(source))
    if rec.doi:
        parts.append(f"doi:{rec.doi}")
    return " ".join(parts)


def _record_lines(rec: ReferenceRecord) -> list[str]:
    lines = []
    if rec.title:
        lines.append(f"Title: {rec.title}")
    lines.append(f"Cited in the article as: {rec.cited_as.strip()}")
    if rec.authors:
        lines.append(f"Authors: {', '.join(rec.authors)}")
    if rec.journal:
        journal = rec.journal
        if rec.volume:
            journal += f", volume {rec.volume}" + (f", issue {rec.issue}" if rec.issue else "")
        if rec.pages:
            journal += f", pages {rec.pages}"
        lines.append(f"Journal: {journal}")
    if rec.year or rec.published:
        lines.append(f"Published: {rec.published or rec.year}")
    if rec.study_type:
        lines.append(f"Study type: {rec.study_type}")
    ids = [
        f"{k.upper()} {v}"
        for k, v in (("doi", rec.doi), ("pmid", rec.pmid), ("pmcid", rec.pmcid))
        if v
    ]
    if ids:
        lines.append(f"Identifiers: {', '.join(ids)}")
    if rec.url:
        lines.append(f"Link given in the article: {rec.url}")
    if (rec.status and rec.status != "verified") or rec.remark:
        status = f"Status: {rec.status or 'unknown'}"
        lines.append(f"{status}. {rec.remark}" if rec.remark else status)
    return lines


def metadata_document(rec: ReferenceRecord) -> Document:
    """A reference known only from its record: each known fact is one quotable line."""
    text, blocks = "", []
    for line in _record_lines(rec):
        if text:
            text += "\n"
        blocks.append(Block("paragraph", len(text), len(text) + len(line), METADATA_SECTION))
        text += line
    return Document(
        id=f"ref-{rec.number}",
        kind="reference",
        title=rec.title or rec.cited_as.strip(),
        text=text,
        blocks=blocks,
        provenance="metadata_only",
        citation=format_citation(rec),
        url=rec.url,
        licence=rec.licence,
        reference=rec.number,
        notice=METADATA_NOTICE,
        meta=rec.bibliographic(),
    )
