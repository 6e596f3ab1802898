"""Curated notes on a reference: facts restated in our words where no full text is at hand.

A notes file opens with front matter between ``---`` lines (``reference``, ``pmcid``,
``kind``, ``provenance``), then Markdown: ``# title``, ``## section``, paragraphs and
``- `` items. The provenance statement says the notes are not the authors' text; it becomes
the document's notice, which every chunk and quote from the notes carries.
"""

from __future__ import annotations

from pathlib import Path

from assistant.errors import SourceError
from assistant.sources.markdown import line_spans, markdown_blocks
from assistant.sources.references import format_citation
from assistant.types import Block, Document, ReferenceRecord

DEFAULT_NOTICE = "Curated notes restated in our own words, not the authors' text."


def parse_front_matter(text: str, name: str = "notes") -> tuple[dict[str, str], int]:
    """The ``key: value`` pairs between the opening and closing ``---``, and where it ends."""
    fix = "Start the file with a '---' line, then 'reference: N' and 'provenance: ...' lines, "
    fix += "then a closing '---' line."
    lines = line_spans(text, 0)
    if not lines or text[lines[0][0] : lines[0][1]].strip().lstrip("\ufeff") != "---":
        raise SourceError(f"{name}: no front matter (the first line is not '---'). {fix}")
    fields: dict[str, str] = {}
    for s, e in lines[1:]:
        line = text[s:e].strip()
        if line == "---":
            break
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise SourceError(f"{name}: front matter line {line!r} is not 'key: value'. {fix}")
        fields[key.strip().lower()] = value.strip().strip("\"'")
    else:
        raise SourceError(f"{name}: the front matter has no closing '---' line. {fix}")
    number = fields.get("reference", "")
    if not number.isdigit() or int(number) < 1:
        problem = "has no 'reference' number" if not number else f"reference {number!r}"
        raise SourceError(
            f"{name}: the front matter {problem}; it must be the paper's positive integer "
            f"number in the article's reference list, e.g. 'reference: 2'. {fix}"
        )
    return fields, e


def parse_notes(
    text: str, record: ReferenceRecord | None = None, name: str | Path = "notes"
) -> Document:
    """Parse a notes file into a curated-notes Document whose notice travels with each chunk.

    ``name`` (usually the file path) only serves error messages.
    """
    fields, fm_end = parse_front_matter(text, str(name))
    number = int(fields["reference"])
    if record is not None and record.number != number:
        raise SourceError(
            f"{name}: the front matter says reference {number} but references.toml links this "
            f"file from reference {record.number}. Make the two numbers agree."
        )
    blocks, heading_title = markdown_blocks(text, fm_end, title_heading=True)
    blocks.insert(0, Block("front_matter", 0, fm_end, ()))
    meta = {k: v for k, v in fields.items() if k not in ("reference", "provenance")}
    return Document(
        id=f"ref-{number}",
        kind="reference",
        title=(record.title if record and record.title else heading_title) or f"Reference {number}",
        text=text,
        blocks=blocks,
        provenance="curated_notes",
        citation=format_citation(record) if record else heading_title,
        url=record.url if record else None,
        licence=record.licence if record else None,
        reference=number,
        notice=fields.get("provenance") or DEFAULT_NOTICE,
        meta=meta,
    )
