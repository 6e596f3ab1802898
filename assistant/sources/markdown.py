"""Markdown read in place: blocks whose spans lie in the file's own text.

Nothing is rewritten: emphasis, links and inline code stay as written, so every quote taken
from a block is a verbatim substring of the file. Headings ('#' .. '######') set the section
path; '-', '*', '+' bullets start list items (the bullet is left out of the span); numbered
items ("1. ", "2) ") keep their number, which is content; paragraph lines and lines indented
under an item continue the open block; blank lines close it.
"""

from __future__ import annotations

import re

from assistant.types import Block

_HEADING_RE = re.compile(r"(#{1,6})[ \t]+")
_BULLET_RE = re.compile(r"[-*+][ \t]+")
_NUMBERED_RE = re.compile(r"\d{1,3}[.)][ \t]+")


def line_spans(text: str, start: int) -> list[tuple[int, int]]:
    """(start, end) of each line from ``start`` on, without the line break."""
    out, pos = [], start
    for raw in text[start:].splitlines(keepends=True):
        out.append((pos, pos + len(raw.rstrip("\r\n"))))
        pos += len(raw)
    return out


def markdown_blocks(
    text: str, body_start: int = 0, *, title_heading: bool = False
) -> tuple[list[Block], str]:
    """Blocks of the Markdown from ``body_start`` on, and the text of its first '# ' heading.

    ``title_heading``: the first '# ' heading is the document's title (a "title" block outside
    every section, and '##' starts a top-level section), as curated notes write it; otherwise
    every heading is a "heading" block and its level sets its depth in the section path.
    """
    blocks: list[Block] = []
    path: list[str] = []
    title = ""
    para: list[int] = []  # [start, end] of the open paragraph or item
    kind = ""

    def close() -> None:
        if para:
            blocks.append(Block(kind, para[0], para[1], tuple(path)))
            para.clear()

    for s, e in line_spans(text, body_start):
        line = text[s:e]
        lead = s + len(line) - len(line.lstrip())
        end = s + len(line.rstrip())
        if lead == end:
            close()
            continue
        heading = _HEADING_RE.match(text, lead, end)
        bullet = _BULLET_RE.match(text, lead, end)
        numbered = _NUMBERED_RE.match(text, lead, end)
        if heading and heading.end() < end:
            close()
            level, words = len(heading.group(1)), " ".join(text[heading.end() : end].split())
            first_title = level == 1 and not title
            title = words if first_title else title
            if first_title and title_heading:
                blocks.append(Block("title", heading.end(), end, ()))
                continue
            depth = max(level - 2, 0) if title_heading else level - 1
            del path[depth:]
            blocks.append(Block("heading", heading.end(), end, tuple(path)))
            path.append(words)
        elif (bullet and bullet.end() < end) or numbered:
            close()
            kind = "list_item"
            para.extend([bullet.end() if bullet else lead, end])
        elif para and (kind == "paragraph" or lead > s):  # wrapped line, or indented under item
            para[1] = end
        else:
            close()
            kind = "paragraph"
            para.extend([lead, end])
    close()
    return blocks, title
