"""The annotated article: the article's own text with each audited claim highlighted in its
verdict's colour and linked to its verdict, reason and evidence.

`annotated_body` is the fragment the page's audit tab shows; `annotated_report` wraps it in one
self-contained HTML file (`assistant audit --html FILE`, the page's download): its styles are
inline, it has no script and loads nothing from elsewhere, so it reads offline, prints, and can
be shared as it is. Links between a claim in the text and its verdict are plain anchors.

Every string from the article, the audit or a source is escaped here.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlparse

from assistant.audit.cache import VERDICTS
from assistant.types import PROVENANCE_LABELS, ClaimVerdict, Document, EvidenceQuote

__all__ = ["VERDICT_MEANINGS", "annotated_body", "annotated_report"]

# What each verdict means, in the words a reader needs (the page's legend, the report's).
VERDICT_MEANINGS = {
    "supported": "a source the claim cites states it",
    "partial": "a source backs part of it, but not a named part: a figure, a term, the design",
    "unsupported": "no source states it",
    "contradicted": "a source says otherwise",
    "miscited": "the citation does not match the article's reference list",
}
_HEADING_TAGS = ("h2", "h3", "h4")

STYLE = """
body { font: 16px/1.55 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto;
  padding: 0 1rem; color: #111827; background: #fff; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
.meta, .muted { color: #4b5563; font-size: .9em; }
.legend { display: flex; flex-wrap: wrap; gap: .4rem .9rem; padding: 0; list-style: none; }
.claim { border-radius: 3px; padding: 0 .1em; color: inherit; text-decoration: none;
  border-bottom: 2px solid; }
.claim:target, .verdict-item:target { outline: 3px solid #0f766e; }
.v-supported { background: rgba(34, 197, 94, .18); border-color: #15803d; }
.v-partial { background: rgba(234, 179, 8, .22); border-color: #a16207; }
.v-unsupported { background: rgba(249, 115, 22, .18); border-color: #c2410c; }
.v-contradicted { background: rgba(239, 68, 68, .18); border-color: #b91c1c; }
.v-miscited { background: rgba(168, 85, 247, .18); border-color: #7e22ce; }
.badge { display: inline-block; border: 1px solid; border-radius: 999px; padding: 0 .5em;
  font-size: .85em; font-weight: 600; }
.verdict-item { margin: .9rem 0; padding: .5rem .7rem; border-left: 4px solid #d1d5db; }
blockquote { margin: .3rem 0 .3rem 1rem; padding-left: .6rem; border-left: 3px solid #d1d5db; }
.article-text { border: 1px solid #e5e7eb; border-radius: 8px; padding: .2rem 1rem; }
@media print { .claim, .badge { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
"""


def _esc(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _link(url: str | None, label: str) -> str:
    """An http(s) link, else nothing: no javascript: or data: links from documents."""
    parsed = urlparse((url or "").strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return ""
    return f'<a href="{_esc(url)}" rel="noopener noreferrer">{_esc(label)}</a>'


def _legend(verdicts: Sequence[ClaimVerdict]) -> str:
    counts = Counter(v.verdict for v in verdicts)
    items = "".join(
        f'<li><span class="badge v-{k}">{k} {counts.get(k, 0)}</span> '
        f'<span class="muted">{_esc(VERDICT_MEANINGS[k])}</span></li>'
        for k in VERDICTS
    )
    return f'<ul class="legend">{items}</ul>'


def _marked(article: Document, start: int, end: int, claims: list[tuple[int, ClaimVerdict]]) -> str:
    """The text of article[start:end] with the claims inside it as links to their verdicts;
    a claim that overlaps one already marked is listed below but not marked twice."""
    out, at = [], start
    for n, v in claims:
        s, e = max(v.span[0], start), min(v.span[1], end)
        if s < at or s >= e:
            continue
        out.append(_esc(article.text[at:s]))
        out.append(
            f'<a class="claim v-{_esc(v.verdict)}" id="claim-{n}" href="#verdict-{n}" '
            f'title="{_esc(v.verdict)}: {_esc((v.summary or v.reason)[:200])}">'
            f"{_esc(article.text[s:e])}</a>"
        )
        at = e
    out.append(_esc(article.text[at:end]))
    return "".join(out)


def _text(article: Document, verdicts: Sequence[ClaimVerdict]) -> str:
    """The article block by block (headings, paragraphs, list items), claims marked."""
    numbered = sorted(enumerate(verdicts, start=1), key=lambda nv: nv[1].span)
    parts: list[str] = []
    in_list = False
    for block in article.blocks:
        inside = [(n, v) for n, v in numbered if v.span[0] < block.end and block.start < v.span[1]]
        body = _marked(article, block.start, block.end, inside)
        if block.kind == "list_item":
            parts.append(("" if in_list else "<ul>") + f"<li>{body}</li>")
            in_list = True
            continue
        if in_list:
            parts.append("</ul>")
            in_list = False
        if block.kind == "heading":
            tag = _HEADING_TAGS[min(len(block.section), len(_HEADING_TAGS) - 1)]
            parts.append(f"<{tag}>{body}</{tag}>")
        else:
            parts.append(f"<p>{body}</p>")
    if in_list:
        parts.append("</ul>")
    return f'<div class="article-text">{"".join(parts)}</div>'


def _evidence(e: EvidenceQuote) -> str:
    where = f"Reference {e.reference}" if e.reference is not None else e.document
    section = f" › {_esc(e.section)}" if e.section else ""
    cited = " (not a reference this claim cites)" if e.cited is False else ""
    label = PROVENANCE_LABELS.get(e.provenance, e.provenance)
    link = _link(e.url, "open the source")
    return (
        f"<li><div class='muted'>{_esc(where)}{section}{_esc(cited)} · {_esc(label)}"
        f"{' · ' + link if link else ''}</div><blockquote>{_esc(e.quote)}</blockquote></li>"
    )


def _verdicts(verdicts: Sequence[ClaimVerdict]) -> str:
    items = []
    for n, v in enumerate(verdicts, start=1):
        cites = f" · cites {_esc(v.cited)}" if v.cited else ""
        evidence = "".join(_evidence(e) for e in v.evidence)
        under = f'<span class="muted">{_esc(v.context)}</span> ' if v.context else ""
        short = f"<p><strong>{_esc(v.summary)}</strong></p>" if v.summary else ""
        items.append(
            f'<li class="verdict-item" id="verdict-{n}">'
            f'<span class="badge v-{_esc(v.verdict)}">{_esc(v.verdict)}</span> '
            f'{under}<a href="#claim-{n}">“{_esc(v.claim)}”</a>'
            f'<div class="muted">{_esc(v.section or "")}{cites}</div>'
            f'{short}<p class="muted">{_esc(v.reason)}</p>'
            + (f"<ul>{evidence}</ul>" if evidence else "")
            + "</li>"
        )
    return f'<ol class="verdicts">{"".join(items)}</ol>'


def annotated_body(article: Document, verdicts: Sequence[ClaimVerdict]) -> str:
    """The legend, the article with its claims marked, and every verdict with its evidence."""
    return (
        f"{_legend(verdicts)}"
        '<p class="muted">Each highlighted passage is a claim the audit checked; select it for '
        "the verdict, the reason and the sources' own words.</p>"
        f"{_text(article, verdicts)}<h2>The claims, one by one</h2>{_verdicts(verdicts)}"
    )


def annotated_report(
    article: Document, verdicts: Sequence[ClaimVerdict], verifier: str | None
) -> str:
    """One self-contained HTML file: the annotated article and its audit (``verifier``: the
    model the audit used, None for deterministic checks only)."""
    shown = list(verdicts)
    made = datetime.now(UTC).strftime("%d %B %Y, %H:%M UTC")
    how = "with the claim verifier" if verifier else "with deterministic checks only"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Claim audit: {_esc(article.title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>Claim audit: {_esc(article.title)}</h1>"
        f'<p class="meta">{len(shown)} claims, checked {how}; report made {_esc(made)}. '
        "A verdict says what the article's sources state, not whether a claim is true or "
        "safe; it is not medical advice.</p>"
        f"{annotated_body(article, shown)}</body></html>"
    )
