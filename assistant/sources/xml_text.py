"""The small XML toolkit both JATS readers share: local tag names, children, plain text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

__all__ = ["SKIP", "child", "children", "local", "plain_text"]

_WS = re.compile(r"\s+")
# Elements whose content is not running text (formulas, object ids, images).
SKIP = frozenset({"tex-math", "object-id", "graphic", "media", "inline-graphic"})


def local(tag: object) -> str:
    """Tag name without its namespace (JATS from some services carries one)."""
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


def children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if local(c.tag) == name]


def child(el: ET.Element | None, name: str) -> ET.Element | None:
    if el is None:
        return None
    return next((c for c in el if local(c.tag) == name), None)


def plain_text(el: ET.Element | None) -> str:
    """All text of an element, whitespace collapsed (for titles, names, meta)."""
    if el is None:
        return ""
    parts: list[str] = []

    def walk(node: ET.Element) -> None:
        if local(node.tag) in SKIP:
            parts.append(node.tail or "")
            return
        parts.append(node.text or "")
        for sub in node:
            walk(sub)
        parts.append(node.tail or "")

    parts.append(el.text or "")
    for sub in el:
        walk(sub)
    return _WS.sub(" ", "".join(parts)).strip()
