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
from assistant.types import Block, Document

_WS = re.compile(r"\s+")
# Elements that never carry readable text of the paper.
_SKIP = {"tex-math", "object-id", "graphic", "media", "inline-graphic"}
# Elements inside a <p> that become blocks of their own, after the paragraph.
_DEFERRED = {"fig", "table-wrap", "list", "fig-group", "table-wrap-group", "disp-quote"}


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
        if local(node.tag) in _SKIP:
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
        elif name not in _SKIP:
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


def _person(el: ET.Element) -> str:
    """'Given Surname' for a <name>/<string-name>, the name of a <collab>."""
    surname = child(el, "surname")
    if local(el.tag) == "collab" or surname is None:
        return plain_text(el)
    return " ".join(t for t in (plain_text(child(el, "given-names")), plain_text(surname)) if t)


def _names(el: ET.Element | None, contrib_type: str | None = None) -> list[str]:
    """People of a contrib-group (those of ``contrib_type``) or of a reference citation."""
    if el is None:
        return []
    wanted = ("name", "string-name", "collab")
    if contrib_type is None:
        return [_person(n) for n in el.iter() if local(n.tag) in wanted]
    names = []
    for contrib in el.iter():
        if local(contrib.tag) != "contrib":
            continue
        if contrib.get("contrib-type", contrib_type) != contrib_type:
            continue
        found = next((n for n in contrib.iter() if local(n.tag) in wanted), None)
        if found is not None:
            names.append(_person(found))
    return names


def _dates(meta: ET.Element) -> tuple[int | None, list[dict[str, str]]]:
    """The citation year (print / issue date first, then electronic) and every pub-date."""
    dates, best, best_rank = [], None, 9
    for el in children(meta, "pub-date"):
        kind = el.get("pub-type") or el.get("date-type") or el.get("publication-format") or ""
        year = plain_text(child(el, "year"))
        if not year.isdigit():
            continue
        parts = [year] + [plain_text(child(el, n)).zfill(2) for n in ("month", "day")]
        dates.append({"type": kind, "date": "-".join(p for p in parts if p.strip("0"))})
        rank = 0 if kind in ("ppub", "collection", "epub-ppub", "print", "issue") else 1
        rank = 2 if kind in ("pmc-release", "nihms-submitted") else rank
        if rank < best_rank:
            best, best_rank = int(year), rank
    return best, dates


def _licence(meta: ET.Element) -> dict[str, str] | None:
    permissions = child(meta, "permissions")
    lic = child(permissions, "license")
    if lic is None:
        statement = plain_text(child(permissions, "copyright-statement"))
        return {"text": statement, "url": ""} if statement else None
    url = next((v for k, v in lic.attrib.items() if local(k) == "href"), "")
    for el in lic.iter():
        if not url and local(el.tag) in ("license_ref", "ext-link"):
            url = (el.text or "").strip() or next(
                (v for k, v in el.attrib.items() if local(k) == "href"), ""
            )
    text = " ".join(plain_text(p) for p in children(lic, "license-p")) or plain_text(lic)
    return {"text": text, "url": url, "type": lic.get("license-type", "")}


def parse_front(article: ET.Element) -> dict[str, Any]:
    """Bibliographic facts from <front>: the fields the citation check compares."""
    front = child(article, "front")
    journal_meta = child(front, "journal-meta")
    meta = child(front, "article-meta")
    if meta is None:
        meta = ET.Element("article-meta")
    jm = journal_meta if journal_meta is not None else ET.Element("journal-meta")
    journal = next((plain_text(e) for e in jm.iter() if local(e.tag) == "journal-title"), "")
    abbrev = [plain_text(e) for e in jm.iter() if local(e.tag) == "abbrev-journal-title"]
    abbrev += [
        plain_text(e)
        for e in children(jm, "journal-id")
        if e.get("journal-id-type") in ("iso-abbrev", "nlm-ta")
    ]
    ids = {e.get("pub-id-type", ""): plain_text(e) for e in children(meta, "article-id")}
    pmc = ids.get("pmcid") or ids.get("pmc") or ids.get("pmcaid") or ""
    pmcid = f"PMC{pmc.upper().removeprefix('PMC')}" if pmc else None
    year, dates = _dates(meta)
    fpage, lpage = plain_text(child(meta, "fpage")), plain_text(child(meta, "lpage"))
    pages = "-".join(p for p in (fpage, lpage) if p) or plain_text(child(meta, "elocation-id"))
    categories = child(meta, "article-categories")
    subjects = [
        plain_text(e)
        for e in (categories.iter() if categories is not None else [])
        if local(e.tag) == "subject"
    ]
    keywords = [plain_text(e) for e in meta.iter() if local(e.tag) == "kwd"]
    title = plain_text(child(child(meta, "title-group"), "article-title"))
    authors = [n for g in children(meta, "contrib-group") for n in _names(g, "author")]
    facts: dict[str, Any] = {
        "title": title,
        "authors": authors,
        "journal": journal,
        "journal_abbrev": sorted(set(a for a in abbrev if a)),
        "year": year,
        "dates": dates,
        "volume": plain_text(child(meta, "volume")),
        "issue": plain_text(child(meta, "issue")),
        "pages": pages,
        "doi": ids.get("doi") or None,
        "pmid": ids.get("pmid") or None,
        "pmcid": pmcid,
        "article_type": article.get("article-type", ""),
        "subjects": subjects,
        "keywords": keywords,
        "licence": _licence(meta),
    }
    facts["citation"] = format_citation(facts)
    return facts


def format_citation(f: dict[str, Any]) -> str:
    """A short human citation: 'A B, C D, et al. (2020). Title. Journal 12(3):45-67.'"""
    authors = ", ".join(f["authors"][:3]) + (", et al." if len(f["authors"]) > 3 else "")
    where = f["journal"] + (f" {f['volume']}" if f["volume"] else "")
    where += f"({f['issue']})" if f["issue"] else ""
    where += f":{f['pages']}" if f["pages"] else ""
    year = f" ({f['year']})." if f["year"] else ""
    doi = f" doi:{f['doi']}" if f["doi"] else ""
    return f"{authors}{year} {f['title']}. {where}.{doi}".strip()


def parse_ref_list(back: ET.Element | None) -> dict[str, dict[str, Any]]:
    """Reference-list entries by id, with the facts an in-text citation is checked against."""
    refs: dict[str, dict[str, Any]] = {}
    if back is None:
        return refs
    for ref in back.iter():
        if local(ref.tag) != "ref":
            continue
        cit = next((c for c in ref if local(c.tag).endswith("citation")), None)
        if cit is None:
            continue
        title = child(cit, "article-title")
        title = title if title is not None else child(cit, "chapter-title")
        refs[ref.get("id", "")] = {
            "label": plain_text(child(ref, "label")),
            "title": plain_text(title),
            "source": plain_text(child(cit, "source")),
            "year": plain_text(child(cit, "year")),
            "authors": _names(cit),
        }
    return refs


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
