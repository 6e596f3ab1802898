"""An article from a file or a web page, as the plain text the product quotes (`assistant new`).

The article is stored as plain text with its reference list at the end, the form
``parse_article`` reads; the original file or page is kept beside it, so every quote can be
checked against what the user gave. Each format is read by a maintained library:

- HTML: trafilatura finds the main text (menus, footers and banners stay out). Before it
  runs, what the page shows but plain text would lose is written out: a citation in
  superscript becomes ``[n]``, an ordered list keeps its numbers, and a link to a paper
  (PubMed, PMC or a DOI) shows its address.
- PDF: pypdf reads the text layer, page by page.
- JATS XML: the article's own parser, with its reference list written out as numbered lines.
- Markdown and plain text: kept as they are.

Whatever the format, a link to a paper in the body (not in the reference list) becomes a
numbered citation: ``[n]`` in place of the address, and the address as reference ``n``
(the same paper linked twice is one reference).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from assistant.errors import FetchError, InputError, SourceError
from assistant.settings import Settings
from assistant.sources.article import parse_article
from assistant.sources.fetch import http_client
from assistant.sources.html import read_html
from assistant.sources.jats import find_article, parse_jats, parse_xml
from assistant.sources.jats_meta import parse_ref_list
from assistant.sources.references import extract_identifiers
from assistant.sources.xml_text import local
from assistant.types import Document

FORMATS = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xml": "jats",
    ".nxml": "jats",
    ".pdf": "pdf",
}
_CONTENT_TYPES = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "application/xml": "jats",
    "text/xml": "jats",
    "text/markdown": "markdown",
    "text/plain": "text",
}
_SUFFIX = {"markdown": "md", "text": "txt", "jats": "xml"}
_SUP_CITATION_RE = re.compile(r"[\[(]?\s*\d{1,3}(?:\s*[,–-]\s*\d{1,3})*\s*[\])]?")
_URL_RE = re.compile(r"https?://[^\s<>\"]+")
_URL_END = ".,;:)]}>'\""
_LIST_NUMBER_RE = re.compile(r"^- (?=\d{1,3}[.)] )", re.MULTILINE)


@dataclass
class ArticleSource:
    """The bytes of an article as the user gave it, and what kind of document they are."""

    name: str  # a file name for the original (from the path, or the URL's last part)
    fmt: str  # text | markdown | html | jats | pdf
    data: bytes
    url: str | None = None


@dataclass
class ArticleText:
    text: str  # plain text, the reference list at its end
    title: str
    linked: int  # links to papers in the body that became numbered citations
    document: Document  # the text parsed (blocks, reference list)
    source_map: list[dict[str, int]] = field(default_factory=list)  # text span -> file span


def _format_of(name: str, content_type: str = "", data: bytes = b"") -> str | None:
    kind = content_type.split(";")[0].strip().lower()
    if kind in _CONTENT_TYPES:
        return _CONTENT_TYPES[kind]
    fmt = FORMATS.get(Path(name).suffix.lower())
    if fmt is None and data.startswith(b"%PDF"):
        return "pdf"
    if fmt is None and data.lstrip()[:1] == b"<":
        return "html"
    return fmt


def _download(url: str, settings: Settings, client: httpx.Client | None) -> ArticleSource:
    http = client or http_client(settings)
    try:
        reply = http.get(url, timeout=settings.http_timeout)
    except httpx.HTTPError as exc:
        raise FetchError(
            f"cannot fetch {url} ({exc.__class__.__name__}: {exc}). Check the address and the "
            "connection, or save the page and give the file instead."
        ) from exc
    finally:
        if client is None:
            http.close()
    if reply.status_code >= 400:
        raise FetchError(f"{url} answered HTTP {reply.status_code}. Check the address.")
    data = reply.content
    if len(data) > settings.max_upload_bytes:
        raise InputError(
            f"{url} sent {len(data):,} bytes, over the {settings.max_upload_bytes:,}-byte limit "
            "(setting max_upload_bytes)."
        )
    name = Path(urlsplit(str(reply.url)).path).name or "page.html"
    fmt = _format_of(name, reply.headers.get("content-type", ""), data)
    if fmt is None:
        raise InputError(
            f"{url} sent {reply.headers.get('content-type', 'no content type')}, which is not "
            "an article page, PDF, XML or text."
        )
    if Path(name).suffix.lower() not in FORMATS:  # a page at "/article/123": name it by kind
        name = f"{Path(name).stem or 'page'}.{_SUFFIX.get(fmt, fmt)}"
    return ArticleSource(name, fmt, data, url=str(reply.url))


def read_source(
    source: str, settings: Settings, client: httpx.Client | None = None
) -> ArticleSource:
    """The article named by ``source``: an http(s) URL (downloaded) or a file."""
    if re.match(r"https?://", source, re.IGNORECASE):
        return _download(source, settings, client)
    path = Path(source).expanduser()
    if not path.is_file():
        what = "a folder" if path.is_dir() else "no such file"
        raise InputError(f"{source}: {what}. Give an article file or an http(s) link.")
    fmt = _format_of(path.name)
    if fmt is None:
        raise InputError(
            f"{path.name}: unsupported file type {path.suffix or '(none)'!r}. "
            f"Give one of: {', '.join(sorted(FORMATS))}, or a link."
        )
    size = path.stat().st_size
    if size > settings.max_upload_bytes:
        raise InputError(
            f"{path} is {size:,} bytes, over the {settings.max_upload_bytes:,}-byte limit "
            "(setting max_upload_bytes)."
        )
    return ArticleSource(path.name, fmt, path.read_bytes())


# --- formats ---------------------------------------------------------------------------------
def decode_text(data: bytes, name: str) -> str:
    """A text document's bytes as text, or an InputError saying why they are not text."""
    if b"\0" in data:
        raise InputError(f"{name} looks binary (it holds NUL bytes). Give a text document.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name} is not UTF-8 text ({exc.reason} at byte {exc.start}). Save it as UTF-8."
        ) from exc


def _prepare_html(data: bytes) -> bytes:
    """Write out what plain text would lose: superscript citations, list numbers, paper links."""
    import lxml.html  # lazy: only HTML articles need lxml

    try:
        root = lxml.html.fromstring(data)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise InputError(f"the page cannot be parsed as HTML ({exc}).") from exc
    for sup in list(root.iter("sup")):
        content = sup.text_content().strip()
        if content and _SUP_CITATION_RE.fullmatch(content):
            tail = sup.tail
            sup.clear()
            sup.tag, sup.text, sup.tail = "span", f"[{content.strip('[]() ')}]", tail
    for ol in root.iter("ol"):
        first = ol.get("start", "1")
        n = int(first) if first.strip().isdigit() else 1
        for li in (c for c in ol if c.tag == "li"):
            value = li.get("value", "")
            n = int(value) if value.strip().isdigit() else n
            li.text = f"{n}. {li.text or ''}"
            n += 1
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if href.startswith("http") and (extract_identifiers(href) or "doi.org/" in href):
            shown = a.text_content().strip()
            if href not in shown:
                a.tail = f" {href}{a.tail or ''}"
    return lxml.html.tostring(root, encoding="utf-8")


def _html_text(src: ArticleSource) -> tuple[str, str]:
    import trafilatura  # lazy: only HTML articles need the extractor

    prepared = _prepare_html(src.data)
    text = trafilatura.extract(
        prepared, output_format="txt", favor_recall=True, include_tables=True, url=src.url
    )
    if not text or not text.strip():
        raise InputError(
            f"{src.name}: no article text found on the page (it may be built by scripts, or "
            "be a login or error page). Save the article's text and give that file instead."
        )
    meta = trafilatura.extract_metadata(src.data)
    title = (meta.title if meta is not None else None) or ""
    text = _LIST_NUMBER_RE.sub("", text)
    first = text.lstrip().split("\n", 1)[0]
    if title and (first.endswith(".") or len(first.split()) > 20):  # no heading: name it
        return f"{title}\n\n{text}", title
    return text, ""  # the page's own first heading is its title


def pdf_text(data: bytes, name: str) -> tuple[str, str]:
    """The text layer of a PDF (pages joined by blank lines) and its title, if it has one."""
    from pypdf import PdfReader  # lazy: only PDF documents need pypdf
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = str((reader.metadata or {}).get("/Title") or "")
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise InputError(f"{name}: not a readable PDF ({exc}).") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise InputError(
            f"{name}: the PDF has no text layer (a scan, or empty). Run it through OCR "
            "or give the document's text instead."
        )
    return text, title


def _jats_text(src: ArticleSource) -> tuple[str, str]:
    try:
        doc = parse_jats(src.data, doc_id="article")
        article = find_article(parse_xml(src.data))
    except SourceError as exc:
        raise InputError(f"{src.name}: {exc}") from exc
    back = next((c for c in article if local(c.tag) == "back"), None) if article else None
    lines = []
    for n, ref in enumerate(parse_ref_list(back).values(), start=1):
        label = ref["label"].strip(" .[]()")
        facts = [", ".join(ref["authors"][:3]), ref["title"], ref["source"], ref["year"]]
        lines.append(f"{label if label.isdigit() else n}. " + ". ".join(f for f in facts if f))
    text = doc.text + ("\n\nReferences\n" + "\n".join(lines) if lines else "")
    return text, doc.title


def _link_citations(text: str) -> tuple[str, int]:
    """Links to papers in the body become ``[n]``; a paper the reference list lacks is added."""
    doc = parse_article(text)
    refs = doc.references
    entry_spans = [(r.start, r.end) for r in refs]
    number_of: dict[str, int] = {}
    for r in refs:
        for key in (r.pmcid, r.pmid, r.doi):
            if key:
                number_of.setdefault(key.lower(), r.number)
    added: list[str] = []
    next_number = max((r.number for r in refs), default=0) + 1
    out, pos, linked = [], 0, 0
    for m in _URL_RE.finditer(text):
        url = m.group(0).rstrip(_URL_END)
        ids = extract_identifiers(url)
        if not ids and "doi.org/" not in url:
            continue
        if any(s <= m.start() < e for s, e in entry_spans):
            continue
        keys = [v.lower() for v in ids.values()] or [url.lower()]
        number = next((number_of[k] for k in keys if k in number_of), None)
        if number is None:
            number, next_number = next_number, next_number + 1
            added.append(f"{number}. {url}")
            number_of.update(dict.fromkeys(keys, number))
        start = m.start() - 1 if m.start() > 0 and text[m.start() - 1] == " " else m.start()
        out += [text[pos:start], f" [{number}]"]
        pos, linked = m.start() + len(url), linked + 1
    out.append(text[pos:])
    text = "".join(out)
    if added:
        if refs:  # right after the last entry, so the list stays one list
            last = parse_article(text).references[-1].end
            text = text[:last] + "\n" + "\n".join(added) + text[last:]
        else:
            text = text.rstrip() + "\n\nReferences\n" + "\n".join(added) + "\n"
    return text, linked


def _letters(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def map_to_source(doc: Document, original: str, fmt: str) -> list[dict[str, int]]:
    """Each block of the article's text with the span of the original file it was read from
    (HTML: tags and entities in it; text and Markdown: the paragraph itself), where it is
    found: in order, its letters and digits at least 90% the same. PDF and JATS: none."""
    if fmt == "html":
        read, _ = read_html(original)
        source = [
            (_letters(read.text[b.start : b.end]), span)
            for b, span in zip(read.blocks, read.sources, strict=True)
            if span
        ]
    elif fmt in ("text", "markdown"):
        source = [
            (_letters(original[m.start() : m.end()]), [m.start(), m.end()])
            for m in re.finditer(r"\S(?:.*\S)?", original)  # each non-blank line
        ]
    else:
        return []
    out, j = [], 0
    for block in doc.blocks:
        want = _letters(doc.text[block.start : block.end])
        for k in range(j, min(j + 8, len(source))):  # look a little ahead, never back
            have, span = source[k]
            if want and SequenceMatcher(None, want, have, autojunk=False).ratio() >= 0.9:
                out.append({"start": block.start, "end": block.end, "source": list(span)})
                j = k + 1
                break
    return out


def article_text(src: ArticleSource) -> ArticleText:
    """The article as plain text with its reference list, whatever format it came in."""
    if src.fmt == "html":
        text, title = _html_text(src)
    elif src.fmt == "pdf":
        text, title = pdf_text(src.data, src.name)
    elif src.fmt == "jats":
        text, title = _jats_text(src)
    else:
        text, title = decode_text(src.data, src.name), ""
    if not text.strip():
        raise InputError(f"{src.name} is empty. Give an article with some text.")
    text, linked = _link_citations(text)
    text = text if text.endswith("\n") else text + "\n"
    doc = parse_article(text)
    original = src.data.decode("utf-8", errors="replace") if src.fmt != "pdf" else ""
    return ArticleText(text, title or doc.title, linked, doc, map_to_source(doc, original, src.fmt))
