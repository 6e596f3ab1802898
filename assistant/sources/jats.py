"""JATS XML (PubMed Central, Europe PMC) -> Document with exact spans and bibliographic meta.

The text is rebuilt from the XML: title, abstract, nested body sections, paragraphs, list
items, figure and table captions and table rows, each one Block joined by blank lines, so
that every quote can be sliced back out of ``Document.text``. In-text citations
(``<xref ref-type="bibr">``) keep their spans and the reference-list entry they point to,
which is what the citation check and the claim audit need. Parsing goes through defusedxml:
the XML comes from the network.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from defusedxml import ElementTree as SafeET

from assistant.errors import SourceError
from assistant.sources.jats_meta import parse_front, parse_ref_list
from assistant.sources.xml_text import SKIP, child, children, local, plain_text
from assistant.types import Block, Document

_WS = re.compile(r"\s+")
# Elements inside a <p> that become blocks of their own, after the paragraph.
_DEFERRED = {"fig", "table-wrap", "list", "fig-group", "table-wrap-group", "disp-quote"}


class _Inline:
    """Collects a paragraph's text with collapsed whitespace, tracking xref spans."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.length = 0
        self.xrefs: list[dict[str, Any]] = []
        self.deferred: list[ET.Element] = []

    def feed(self, text: str | None) -> None:
        if not text:
            return
        text = _WS.sub(" ", text)
        if text.startswith(" ") and (self.length == 0 or self.out[-1].endswith(" ")):
            text = text[1:]
        if text:
            self.out.append(text)
            self.length += len(text)

    def walk(self, node: ET.Element) -> None:
        name = local(node.tag)
        if name in _DEFERRED:
            self.deferred.append(node)
        elif name not in SKIP:
            start = self.length
            self.feed(node.text)
            for sub in node:
                self.walk(sub)
            if name == "xref" and node.get("ref-type") == "bibr":
                self.xrefs.append({"start": start, "end": self.length, "rids": node.get("rid")})
        self.feed(node.tail)

    def finish(self) -> tuple[str, list[dict[str, Any]]]:
        text = "".join(self.out)
        stripped = text.rstrip()
        for x in self.xrefs:
            x["end"] = min(x["end"], len(stripped))
            x["start"] = min(x["start"], x["end"])
        return stripped, self.xrefs


class _Builder:
    """Appends blocks to the document text and records spans and citations."""

    def __init__(self, refs: dict[str, dict[str, Any]]) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.blocks: list[Block] = []
        self.citations: list[dict[str, Any]] = []
        self.refs = refs

    def add(self, kind: str, text: str, section: tuple[str, ...]) -> int | None:
        text = text.strip()
        if not text:
            return None
        if self.parts:
            self.parts.append("\n\n")
            self.length += 2
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        self.blocks.append(Block(kind, start, self.length, section))
        return start

    def paragraph(self, el: ET.Element, section: tuple[str, ...], kind: str = "paragraph") -> None:
        inline = _Inline()
        inline.feed(el.text)
        for sub in el:
            inline.walk(sub)
        text, xrefs = inline.finish()
        start = self.add(kind, text, section)
        if start is not None:
            for x in xrefs:
                self._cite(text, x, start)
        for node in inline.deferred:
            self.element(node, section)

    def _cite(self, text: str, xref: dict[str, Any], offset: int) -> None:
        s, e = xref["start"], xref["end"]
        while s < e and text[s].isspace():
            s += 1
        if e <= s:
            return
        rids = (xref["rids"] or "").split()
        self.citations.append(
            {
                "text": text[s:e],
                "start": offset + s,
                "end": offset + e,
                "rids": rids,
                "refs": [self.refs[r] for r in rids if r in self.refs],
            }
        )

    def section(self, sec: ET.Element, path: tuple[str, ...]) -> None:
        title = plain_text(child(sec, "title"))
        here = (*path, title) if title else path
        if title:  # like the article's headings: a heading's section is its parent's path
            self.add("heading", title, path)
        for node in sec:
            if local(node.tag) not in ("title", "label"):
                self.element(node, here)

    def element(self, node: ET.Element, path: tuple[str, ...]) -> None:
        name = local(node.tag)
        if name == "p":
            self.paragraph(node, path)
        elif name in ("sec", "boxed-text", "app"):
            self.section(node, path)
        elif name == "list":
            for item in children(node, "list-item"):
                self._list_item(item, path)
        elif name == "fig":
            self._caption(node, path, "Figure")
        elif name == "table-wrap":
            self._table(node, path)
        elif name not in ("title", "label", "caption", "ref-list", "fn-group"):
            for sub in node:  # containers (fig-group, disp-quote, def-list...): their paragraphs
                self.element(sub, path)

    def _list_item(self, item: ET.Element, path: tuple[str, ...]) -> None:
        paras = children(item, "p")
        if not paras:
            self.paragraph(item, path, kind="list_item")
        for p in paras:
            self.paragraph(p, path, kind="list_item")
        for sub in children(item, "list"):
            self.element(sub, path)

    def _caption(self, node: ET.Element, path: tuple[str, ...], default: str) -> tuple[str, ...]:
        label = plain_text(child(node, "label")) or default
        here = (*path, label)
        caption = child(node, "caption")
        if caption is not None:
            title = plain_text(child(caption, "title"))
            paras = [plain_text(p) for p in children(caption, "p")]
            self.add("caption", " ".join(t for t in (title, *paras) if t), here)
        return here

    def _table(self, node: ET.Element, path: tuple[str, ...]) -> None:
        here = self._caption(node, path, "Table")
        rows = []
        for tr in node.iter():
            if local(tr.tag) == "tr":
                cells = [plain_text(c) for c in tr if local(c.tag) in ("td", "th")]
                if any(cells):
                    rows.append(" | ".join(cells))
        if rows:
            self.add("table", "\n".join(rows), here)
        foot = child(node, "table-wrap-foot")
        if foot is not None:
            self.add("caption", plain_text(foot), here)


def parse_xml(xml: bytes | str) -> ET.Element:
    """Parse untrusted XML safely; malformed input becomes a SourceError."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    try:
        return SafeET.fromstring(data)
    except (ET.ParseError, ValueError) as exc:
        raise SourceError(
            f"malformed JATS XML ({exc}). Re-fetch it with `assistant fetch --force`, "
            "or check the file."
        ) from exc
    except Exception as exc:  # defusedxml's DTD / entity refusals
        raise SourceError(f"unsafe or unsupported XML refused: {exc}") from exc


def find_article(root: ET.Element) -> ET.Element | None:
    """The <article> element: the root, or inside efetch's <pmc-articleset> wrapper."""
    if local(root.tag) == "article":
        return root
    return next((el for el in root.iter() if local(el.tag) == "article"), None)


def _has_body_text(article: ET.Element) -> bool:
    body = child(article, "body")
    return body is not None and any(local(el.tag) == "p" and plain_text(el) for el in body.iter())


def is_open_access_body(xml: bytes | str) -> bool:
    """True when the reply holds the article's body (not just front matter and abstract)."""
    try:
        article = find_article(parse_xml(xml))
    except SourceError:
        return False
    return article is not None and _has_body_text(article)


def _abstract(builder: _Builder, front: ET.Element | None) -> None:
    meta = child(front, "article-meta")
    abstracts = [a for a in (meta if meta is not None else []) if local(a.tag) == "abstract"]
    main = [a for a in abstracts if not a.get("abstract-type")] or abstracts[:1]
    for abstract in main:
        builder.add("heading", "Abstract", ())
        for node in abstract:
            if local(node.tag) not in ("title", "label"):
                builder.element(node, ("Abstract",))


def parse_jats(
    xml: bytes | str, *, doc_id: str, reference: int | None = None, url: str | None = None
) -> Document:
    """Parse one JATS article into a Document (full text when it has a body)."""
    article = find_article(parse_xml(xml))
    if article is None:
        raise SourceError(
            "the XML holds no <article> (the service may have answered with an error "
            "message instead of the paper)."
        )
    front = child(article, "front")
    meta = parse_front(article)
    back = child(article, "back")
    refs = parse_ref_list(back)
    builder = _Builder(refs)
    if meta["title"]:
        builder.add("title", meta["title"], ())
    _abstract(builder, front)
    body = child(article, "body")
    if body is not None:
        for node in body:
            builder.element(node, ())
    floats = child(article, "floats-group")
    if floats is not None:
        for node in floats:
            builder.element(node, ())
    full = _has_body_text(article)
    meta["in_text_citations"] = builder.citations
    meta["reference_count"] = len(refs)
    pmcid = meta.get("pmcid")
    if url is None and pmcid:
        url = f"https://pmc.ncbi.nlm.nih.gov/articles/{pmcid}/"
    licence = meta.get("licence") or {}
    text, link = licence.get("text", ""), licence.get("url", "")
    licence_text = (f"{text} ({link})" if link and link not in text else text or link) or None
    return Document(
        id=doc_id,
        kind="reference",
        title=meta["title"] or doc_id,
        text="".join(builder.parts),
        blocks=builder.blocks,
        provenance="full_text" if full else "metadata_only",
        citation=meta["citation"],
        url=url,
        licence=licence_text,
        reference=reference,
        meta=meta,
    )
