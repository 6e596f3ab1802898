"""HTML for one chat answer: its text, the beyond-the-sources callout, and the source cards.

Everything that comes from a document or a user is escaped here, before it reaches the page:
documents may contain markup or instructions, and the chat shows our HTML as is (Markdown
rendering is off, so a passage's asterisks or brackets cannot turn into links or emphasis).
Only the tags written in this module reach the browser, and links are limited to http(s).
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote as url_quote
from urllib.parse import urlparse

from assistant.types import PROVENANCE_LABELS, Answer, Citation, ClaimVerdict
from assistant.web.conversation import answer_link, answer_markdown, answer_plain

# Our own answer text's layout (assistant/answer.py): bold section headers, "- " bullets, a
# "Sources:" list at the end (replaced by cards here) and a "Beyond the sources" section
# (replaced by the callout when the answer carries structured verdicts).
SOURCES_LINE = "Sources:"
BEYOND_HEADER = "beyond the sources"
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_MARKER = re.compile(r"\[(\d+)\]")
_HEADER = re.compile(r"^\*\*(.+)\*\*$")


def esc(text: object) -> str:
    """Escape text for HTML content and attribute values."""
    return html.escape("" if text is None else str(text), quote=True)


def safe_url(url: str | None) -> str | None:
    """The URL if it is plain http(s), else None: no javascript: or data: links from documents."""
    if not url:
        return None
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return None
    return url.strip()


def link(url: str | None, label: str) -> str:
    good = safe_url(url)
    if good is None:
        return ""
    return f'<a href="{esc(good)}" target="_blank" rel="noopener noreferrer">{esc(label)}</a>'


def paper_links(url: str | None, doi: str | None = None, pmid: str | None = None) -> list[str]:
    """Links to a paper: its recorded URL, then DOI and PubMed when known."""
    out = []
    if url:
        host = urlparse(url).netloc.lower()
        label = "PubMed Central" if "ncbi.nlm.nih.gov" in host and "/pmc" in url.lower() else host
        out.append(link(url, f"Open in {label or 'browser'}"))
    if doi:
        out.append(link(f"https://doi.org/{url_quote(doi, safe='/.:;()-_')}", f"DOI {doi}"))
    if pmid and str(pmid).isdigit():
        out.append(link(f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/", f"PubMed {pmid}"))
    return [x for x in out if x]


def provenance_badge(provenance: str) -> str:
    label = PROVENANCE_LABELS.get(provenance, provenance.replace("_", " "))
    return f'<span class="prov prov-{esc(provenance)}">{esc(label)}</span>'


def verdict_badge(verdict: str) -> str:
    return f'<span class="verdict v-{esc(verdict)}">{esc(verdict)}</span>'


def _inline(text: str, markers: set[int]) -> str:
    """Escape a line, then turn our own **bold** and [n] citation markers into markup."""
    out = _BOLD.sub(r"<strong>\1</strong>", esc(text))

    def marker(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return cite_link(n) if n in markers else m.group(0)

    return _MARKER.sub(marker, out)


def cite_link(n: int) -> str:
    """A citation marker as a link: the page's script (web/page.js) opens source card n of
    the same answer; a keyboard reaches it with Tab and opens it with Enter. (The chat's
    sanitizer keeps only class, href and title, so the card is named by class and href.)"""
    return f'<a class="cite" href="#source-{n}" title="Show source {n}">[{n}]</a>'


def answer_body(text: str, markers: set[int], drop_beyond: bool) -> str:
    """The answer's text as HTML: headers, bullet lists and paragraphs.

    The trailing "Sources:" list is left out when there are cards to show instead, and the
    "Beyond the sources" section when the callout shows it."""
    parts: list[str] = []
    items: list[str] = []
    skipping = False

    def flush() -> None:
        if items:
            parts.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
            items.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if markers and line == SOURCES_LINE:
            break
        header = _HEADER.match(line)
        if header:
            flush()
            skipping = drop_beyond and header.group(1).strip().lower() == BEYOND_HEADER
            if not skipping:
                parts.append(f'<h4 class="ans-h">{_inline(header.group(1), markers)}</h4>')
            continue
        if skipping:
            continue
        if line.startswith(("- ", "* ")):
            items.append(_inline(line[2:], markers))
        elif line:
            flush()
            parts.append(f"<p>{_inline(line, markers)}</p>")
        else:
            flush()
    flush()
    return "".join(parts)


def _opening(text: str) -> tuple[str, str]:
    """The answer's lines before its first section header, and the rest."""
    lines = text.splitlines(keepends=True)
    cut = next((i for i, ln in enumerate(lines) if _HEADER.match(ln.strip())), len(lines))
    return "".join(lines[:cut]), "".join(lines[cut:])


def highlighted_passage(passage: str, quote: str) -> str:
    """The passage with the quoted sentence marked; the quote alone if it is not inside."""
    if not passage:
        return f"<mark>{esc(quote)}</mark>"
    pos = passage.find(quote) if quote else -1
    if pos < 0:
        return f"<mark>{esc(quote)}</mark>" if quote else esc(passage)
    before, after = passage[:pos], passage[pos + len(quote) :]
    return f"{esc(before)}<mark>{esc(quote)}</mark>{esc(after)}"


def who(c: Citation) -> str:
    return "Article" if c.reference == "article" else f"Reference {c.reference}"


def source_card(c: Citation, doi: str | None = None, pmid: str | None = None) -> str:
    """One collapsible card: document, section, provenance, the highlighted quote, links."""
    section = f'<span class="src-section">{esc(c.section)}</span>' if c.section else ""
    notice = f'<p class="src-notice">{esc(c.notice)}</p>' if c.notice else ""
    links = paper_links(c.url, doi, pmid) if c.reference != "article" else []
    if c.reference == "article" and c.url:
        links = [link(c.url, "Open the article")]
    links_html = f'<div class="src-links">{" · ".join(x for x in links if x)}</div>'
    return (
        f'<details class="src-card src-{c.marker}" data-marker="{c.marker}" '
        f'data-document="{esc(c.document)}" data-start="{c.start}" data-end="{c.end}">'
        f'<summary><span class="src-marker">[{c.marker}]</span> '
        f'<span class="src-doc">{esc(who(c))}</span> {section} {provenance_badge(c.provenance)}'
        f'<span class="src-quote-preview">“{esc(_short(c.quote, 110))}”</span></summary>'
        f'<div class="src-body"><div class="src-title">{esc(c.title)}</div>'
        f'<blockquote class="src-passage">{highlighted_passage(c.passage, c.quote)}</blockquote>'
        '<div class="src-span">Quoted word for word from this source.</div>'
        f"{notice}{links_html}</div></details>"
    )


def _evidence_marker(v: ClaimVerdict, citations: list[Citation]) -> str:
    """A link to the source card of the verdict's best evidence quote, when it is among the
    answer's cited sources."""
    if not v.evidence:
        return ""
    e = v.evidence[0]
    for c in citations:
        if c.document == e.document and (c.start, c.end) == (e.start, e.end):
            return " " + cite_link(c.marker)
    return ""


def beyond_callout(verdicts: list[ClaimVerdict], citations: list[Citation]) -> str:
    """The visible warning: claims the answer touches that the sources do not back, each
    reason pointing to the source card of the passage it quotes."""
    if not verdicts:
        return ""
    rows = "".join(
        f'<li data-verdict="{esc(v.verdict)}">{verdict_badge(v.verdict)} '
        f'<span class="callout-claim">“{esc(_short(v.claim, 220))}”</span>'
        f'<div class="callout-reason">{esc(v.reason)}{_evidence_marker(v, citations)}'
        "</div></li>"
        for v in verdicts
    )
    return (
        '<div class="ans-callout" role="alert"><div class="callout-title">'
        "⚠ The article goes beyond its sources here</div>"
        f"<ul>{rows}</ul></div>"
    )


def answer_actions(answer: Answer, article: str | None) -> str:
    """Copy the answer as Markdown or as plain text (quotes and source list included; the
    page's script copies the hidden text), and a link that asks its question again."""
    link = answer_link(article, answer.question)
    return (
        '<div class="ans-actions">'
        '<a class="copy-md" href="#copy-markdown">Copy as Markdown</a> · '
        '<a class="copy-text" href="#copy-text">Copy as text</a> · '
        f'<a class="answer-link" href="{esc(link)}" target="_blank" rel="noopener">'
        "Link to this answer</a>"
        f'<pre class="ans-copy ans-copy-md">{esc(answer_markdown(answer.question, answer.text))}'
        f'</pre><pre class="ans-copy ans-copy-text">'
        f"{esc(answer_plain(answer.question, answer.text))}</pre></div>"
    )


def render_answer(
    answer: Answer, links: dict[str, dict[str, str]] | None = None, article: str | None = None
) -> str:
    """The whole answer as one HTML block for the chat.

    ``links`` maps a document id to extra identifiers ({"doi": ..., "pmid": ...}) for the cards;
    ``article`` is the article's id, for the answer's link.
    """
    links = links or {}
    markers = {c.marker for c in answer.citations}
    drop = bool(answer.beyond_sources)
    opening, rest = _opening(answer.text)
    # the first lines (the yes / no or the quote that answers, and what the quotes show), then
    # the warnings about the article's claims, then the evidence
    body = (
        answer_body(opening, markers, drop)
        + beyond_callout(answer.beyond_sources, answer.citations)
        + answer_body(rest, markers, drop)
    )
    cards = "".join(
        source_card(c, links.get(c.document, {}).get("doi"), links.get(c.document, {}).get("pmid"))
        for c in answer.citations
    )
    sources = (
        f'<div class="ans-sources"><div class="ans-sources-title">Sources ({len(markers)}) '
        "— click a card to see the quote in its passage</div>"
        f"{cards}</div>"
        if cards
        else ""
    )
    notes = "".join(f"<li>{esc(n)}</li>" for n in answer.notes)
    notes_html = (
        f'<details class="ans-notes"><summary>Notes ({len(answer.notes)})</summary>'
        f"<ul>{notes}</ul></details>"
        if notes
        else ""
    )
    kind = "ans ans-final ans-declined" if answer.declined else "ans ans-final"
    total = answer.timings.get("total")
    meta = f"{esc(answer.engine)} engine" + (f" · {total:.2f}s" if total is not None else "")
    return (
        f'<div class="{kind}" data-declined="{str(answer.declined).lower()}" '
        f'data-citations="{len(answer.citations)}">'
        f'<div class="ans-text">{body}</div>{sources}{notes_html}'
        f'<div class="ans-meta">{meta}</div>{answer_actions(answer, article)}</div>'
    )


def render_streaming(text: str) -> str:
    """The answer while it is being written: plain escaped text."""
    shown = esc(text) if text.strip() else "Searching the article and its sources…"
    return f'<div class="ans ans-streaming">{shown}</div>'


def render_error(message: str) -> str:
    return f'<div class="ans ans-error" role="alert">{esc(message)}</div>'


def render_user(question: str) -> str:
    return f'<div class="user-q">{esc(question)}</div>'


def _short(text: str, most: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"
