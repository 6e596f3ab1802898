"""Curated notes on a reference: facts restated in our words where no full text is at hand.

A notes file opens with front matter between ``---`` lines (``reference``, ``pmcid``,
``kind``, ``provenance``), then Markdown: ``# title``, ``## section``, paragraphs and
``- `` items. The provenance statement says the notes are not the authors' text; it becomes
the document's notice, which every chunk and quote from the notes carries.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.errors import SourceError
from assistant.sources.references import format_citation
from assistant.types import Block, Document, ReferenceRecord

DEFAULT_NOTICE = "Curated notes restated in our own words, not the authors' text."
_HEADING_RE = re.compile(r"(#{1,6})[ \t]+")
_ITEM_RE = re.compile(r"(?:[-*+]|\d{1,3}[.)])[ \t]+")


def _lines(text: str, start: int) -> list[tuple[int, int]]:
    """(start, end) of each line from ``start`` on, without the line break."""
    out, pos = [], start
    for raw in text[start:].splitlines(keepends=True):
        out.append((pos, pos + len(raw.rstrip("\r\n"))))
        pos += len(raw)
    return out


def parse_front_matter(text: str, name: str = "notes") -> tuple[dict[str, str], int]:
    """The ``key: value`` pairs between the opening and closing ``---``, and where it ends."""
    fix = "Start the file with a '---' line, then 'reference: N' and 'provenance: ...' lines, "
    fix += "then a closing '---' line."
    lines = _lines(text, 0)
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


def _markdown_blocks(text: str, body_start: int) -> tuple[list[Block], str]:
    """Blocks of the Markdown body, and the text of its first '# ' heading."""
    blocks: list[Block] = []
    path: list[str] = []
    title = ""
    para: list[int] = []  # [start, end, kind] of the open paragraph or item
    kind = ""

    def close() -> None:
        if para:
            blocks.append(Block(kind, para[0], para[1], tuple(path)))
            para.clear()

    for s, e in _lines(text, body_start):
        line = text[s:e]
        stripped = line.strip()
        lead = s + len(line) - len(line.lstrip())
        end = s + len(line.rstrip())
        if not stripped:
            close()
            continue
        heading = _HEADING_RE.match(text, lead, end)
        item = _ITEM_RE.match(text, lead, end)
        if heading:
            close()
            level, words = len(heading.group(1)), " ".join(text[heading.end() : end].split())
            if level == 1 and not title:
                title = words
                blocks.append(Block("title", heading.end(), end, ()))
                continue
            depth = max(level - 2, 0)  # '##' is a top-level section under the '# ' title
            del path[depth:]
            blocks.append(Block("heading", heading.end(), end, tuple(path)))
            path.append(words)
        elif item:
            close()
            kind = "list_item"
            para.extend([item.end(), end])
        elif para and (kind == "paragraph" or lead > s):  # wrapped line, or indented under item
            para[1] = end
        else:
            close()
            kind = "paragraph"
            para.extend([lead, end])
    close()
    return blocks, title


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
    blocks, heading_title = _markdown_blocks(text, fm_end)
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
