"""HTML for the Audit, Sources and Index tabs, and the audit's JSON / CSV downloads.

Same rule as render.py: every string from a document, the audit or a fetch is escaped.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import datetime
from typing import Any

from assistant.audit import VERDICT_MEANINGS
from assistant.types import ClaimVerdict, Document
from assistant.web.render import esc, paper_links, provenance_badge, verdict_badge

VERDICTS = ("supported", "partial", "unsupported", "contradicted", "miscited")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def notice(message: str, kind: str = "info") -> str:
    """A message box that screen readers announce (errors at once, the rest when idle)."""
    live = 'role="alert"' if kind == "error" else 'role="status" aria-live="polite"'
    return f'<div class="notice notice-{esc(kind)}" {live}>{esc(message)}</div>'


# --- audit --------------------------------------------------------------------------------
def verdict_counts(verdicts: list[ClaimVerdict]) -> dict[str, int]:
    counts = Counter(v.verdict for v in verdicts)
    return {v: counts.get(v, 0) for v in VERDICTS} | {
        k: n for k, n in counts.items() if k not in VERDICTS
    }


SORTS = ("article order", "verdict", "reference")


def filter_verdicts(
    verdicts: list[ClaimVerdict], verdict: str, query: str = "", order: str = SORTS[0]
) -> list[ClaimVerdict]:
    """The claims with that verdict ("all": any) holding every word of ``query`` (in the claim,
    its reason, what it cites or its section), in ``order`` (SORTS)."""
    shown = [v for v in verdicts if not verdict or verdict == "all" or v.verdict == verdict]
    terms = query.lower().split()
    if terms:
        shown = [v for v in shown if all(t in _searched(v) for t in terms)]
    if order == "verdict":
        rank = {name: i for i, name in enumerate(VERDICTS)}
        shown.sort(key=lambda v: rank.get(v.verdict, len(rank)))
    elif order == "reference":
        shown.sort(key=lambda v: (v.reference is None, v.reference or 0))
    return shown


def _searched(v: ClaimVerdict) -> str:
    parts = (v.claim, v.context or "", v.summary, v.reason, v.cited or "", v.section or "")
    return " ".join(parts).lower()


def _evidence_html(v: ClaimVerdict) -> str:
    if not v.evidence:
        return '<p class="muted">No passage from the references was found for this claim.</p>'
    items = []
    for e in v.evidence:
        where = f"Reference {e.reference}" if e.reference is not None else e.document
        section = f" › {esc(e.section)}" if e.section else ""
        items.append(
            f'<li class="audit-quote"><div class="audit-quote-where">{esc(where)}{section} '
            f"{provenance_badge(e.provenance)}</div>"
            f"<blockquote>{esc(e.quote)}</blockquote></li>"
        )
    return f'<ul class="audit-evidence">{"".join(items)}</ul>'


def _chips(counts: dict[str, int], total: int, verdict: str) -> str:
    """One button per verdict with its count, and "all": pressing one shows only its claims
    (page.js sets the verdict filter); the one shown is pressed."""
    current = verdict if verdict in counts else "all"
    chips = [("all", total), *counts.items()]
    return "".join(
        f'<button type="button" class="count-chip v-{esc(k)}" data-verdict="{esc(k)}" '
        f'aria-pressed="{"true" if k == current else "false"}" '
        f'title="{esc(VERDICT_MEANINGS.get(k, "every claim"))}">{esc(k)} <b>{n}</b></button>'
        for k, n in chips
    )


def _legend() -> str:
    items = "".join(
        f"<li>{verdict_badge(k)} {esc(meaning)}</li>" for k, meaning in VERDICT_MEANINGS.items()
    )
    return (
        '<details class="audit-legend"><summary>What the verdicts mean</summary>'
        f"<ul>{items}</ul></details>"
    )


def _row(v: ClaimVerdict) -> str:
    """A claim's row: claim (under its list's lead-in), what it cites, verdict, short
    reason; opened, the full reason, its section and the evidence quoted."""
    cited = v.cited or "—"
    if v.reference is not None:
        cited = f"{cited} → reference {v.reference}" if v.cited else f"reference {v.reference}"
    none = "" if v.cited or v.reference is not None else " none"  # hidden on a phone
    under = f'<span class="c-context">{esc(v.context)}</span> ' if v.context else ""
    section = f'<div class="muted">Section: {esc(v.section)}</div>' if v.section else ""
    return (
        f'<details class="audit-row" data-verdict="{esc(v.verdict)}"><summary>'
        f'<span class="c-claim">{under}{esc(v.claim)}</span>'
        f'<span class="c-cited{none}">{esc(cited)}</span>'
        f'<span class="c-verdict">{verdict_badge(v.verdict)}</span>'
        f'<span class="c-reason">{esc(v.summary or v.reason)}</span></summary>'
        f'<div class="audit-detail" data-start="{v.span[0]}" data-end="{v.span[1]}">'
        f'<p class="audit-why">{esc(v.reason)}</p>{section}'
        f"{_evidence_html(v)}</div></details>"
    )


def audit_html(
    verdicts: list[ClaimVerdict], verdict: str = "all", query: str = "", order: str = SORTS[0]
) -> str:
    """Counts per verdict over all claims (buttons that filter), what each verdict means,
    then the (filtered, searched, sorted) rows, each expandable."""
    counts = verdict_counts(verdicts)
    shown = filter_verdicts(verdicts, verdict, query, order)
    rows = [_row(v) for v in shown]
    label = "all verdicts" if verdict in ("", "all") else f"verdict “{verdict}”"
    if query.strip():
        label += f", matching “{query.strip()}”"
    empty = "" if rows else notice(f"No claim has {label}.")
    return (
        f'<div class="audit"><div class="audit-counts" role="group" aria-label="Show verdict">'
        f"{len(verdicts)} claims: {_chips(counts, len(verdicts), verdict)}</div>{_legend()}"
        f'<div class="audit-shown">Showing {len(shown)} ({esc(label)}). '
        "Click a row for its evidence.</div>"
        '<div class="audit-head"><span>Claim</span><span>Cites</span><span>Verdict</span>'
        f"<span>Reason</span></div>{''.join(rows)}{empty}</div>"
    )


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def audit_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    header = ["claim", "context", "start", "end", "section", "cited", "reference", "verdict"]
    header += ["summary", "reason"]
    writer.writerow([*header, "evidence"])
    for r in rows:
        quotes = " | ".join(
            f"[{e.get('document')} › {e.get('section')}] {e.get('quote')}"
            for e in r.get("evidence", [])
        )
        span = r.get("span") or [None, None]
        values = [r.get("claim"), r.get("context"), span[0], span[1], r.get("section")]
        values += [r.get("cited"), r.get("reference"), r.get("verdict"), r.get("summary")]
        values += [r.get("reason"), quotes]
        writer.writerow([_cell(x) for x in values])
    return buf.getvalue()


def audit_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, indent=2, ensure_ascii=False)


# --- sources -------------------------------------------------------------------------------
def _bib_rows(doc: Document) -> list[tuple[str, str]]:
    m = doc.meta
    authors = m.get("authors") or []
    if isinstance(authors, list):
        authors = ", ".join(str(a) for a in authors)
    where = ", ".join(
        str(x)
        for x in (
            m.get("journal"),
            m.get("year"),
            f"vol. {m['volume']}" if m.get("volume") else None,
            f"no. {m['issue']}" if m.get("issue") else None,
            f"pp. {m['pages']}" if m.get("pages") else None,
        )
        if x
    )
    pairs = [
        ("Cited in the article as", m.get("cited_as")),
        ("Title", m.get("title") or doc.title),
        ("Authors", authors),
        ("Published in", where),
        ("Study type", m.get("study_type")),
        (
            "Identifiers",
            " · ".join(f"{k.upper()} {m[k]}" for k in ("pmcid", "pmid", "doi") if m.get(k)),
        ),
        ("Record status", m.get("status")),
        ("Remark", m.get("remark")),
    ]
    return [(k, str(v)) for k, v in pairs if v]


def _fetch_html(result: dict[str, Any] | None) -> str:
    if result is None:
        return '<span class="fetch fetch-none">not fetched yet</span>'
    status = str(result.get("status", "unknown"))
    detail = result.get("detail") or ""
    return (
        f'<span class="fetch fetch-{esc(status)}">{esc(status.replace("_", " "))}</span> '
        f'<span class="muted">{esc(detail)}</span>'
    )


def _check_html(check: Any, available: bool) -> str:
    if not available:
        return '<span class="muted">citation check not available yet</span>'
    if check is None:
        return '<span class="muted">not checked</span>'
    items = "".join(
        f"<li><b>{esc(m.get('field'))}</b>: cited {esc(m.get('cited'))}, "
        f"actually {esc(m.get('actual'))}</li>"
        for m in getattr(check, "mismatches", []) or []
    )
    source = getattr(check, "source", "")
    return (
        f'<span class="check check-{esc(check.status)}">{esc(check.status)}</span> '
        f"{esc(check.summary)}"
        + (f'<ul class="check-mismatches">{items}</ul>' if items else "")
        + (f'<div class="muted">facts from {esc(source)}</div>' if source else "")
    )


def sources_html(
    docs: list[Document],
    fetch_results: dict[int, dict[str, Any]],
    checks: dict[int, Any],
    checks_available: bool,
) -> str:
    """A card per document: bibliographic data, provenance, licence, fetch and check results."""
    cards = []
    for doc in docs:
        head = "Article" if doc.kind == "article" else f"Reference {doc.reference or '?'}"
        if doc.kind == "article":
            rows = [("Title", doc.title), ("Reference list", f"{len(doc.references)} entries")]
            rows += [("Source file", str(doc.meta["file"]))] if doc.meta.get("file") else []
        else:
            rows = _bib_rows(doc)
        rows.append(("Licence", doc.licence or "not recorded"))
        table = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
        extra = ""
        if doc.kind == "reference":
            number = doc.reference or -1
            fetched = _fetch_html(fetch_results.get(number))
            checked = _check_html(checks.get(number), checks_available)
            table += f"<tr><th>Fetch status</th><td>{fetched}</td></tr>"
            table += f"<tr><th>Citation check</th><td>{checked}</td></tr>"
        if doc.notice:
            extra = f'<p class="src-notice">{esc(doc.notice)}</p>'
        links = paper_links(doc.url, doc.meta.get("doi"), doc.meta.get("pmid"))
        cards.append(
            f'<div class="doc-card" data-document="{esc(doc.id)}"><div class="doc-head">'
            f'<span class="doc-kind">{esc(head)}</span> {provenance_badge(doc.provenance)}</div>'
            f'<table class="doc-table" tabindex="0" aria-label="About this document">'
            f"{table}</table>{extra}"
            f'<div class="src-links">{" · ".join(links)}</div></div>'
        )
    return f'<div class="docs">{"".join(cards)}</div>'


# --- index ---------------------------------------------------------------------------------
def status_html(status: Any) -> str:
    """Documents, their passages (chunks), fresh or stale, last build."""
    if not status.built:
        return notice("No index yet. Press “Rebuild index” to build it.", "warn")
    state = "fresh" if status.fresh else "stale — press “Rebuild index”"
    if not status.settings_match:
        state = "built with other settings — a full rebuild is needed"
    total = sum(d.chunks for d in status.documents)
    rows = "".join(
        f'<tr data-state="{esc(d.state)}" data-document="{esc(d.id)}">'
        f'<td class="doc">{esc(_label(d.id))}</td><td class="title">{esc(d.title)}</td>'
        f"<td>{provenance_badge(d.provenance)}</td><td class=num>{d.chunks}</td>"
        f'<td><span class="state state-{esc(d.state)}">{esc(d.state)}</span></td></tr>'
        for d in status.documents
    )
    return (
        f'<div class="index-status"><div class="index-summary">'
        f"<b>{len(status.documents)}</b> documents, <b>{total}</b> passages · "
        f'<span class="index-state">{esc(state)}</span> · last build {esc(_when(status.built_at))}'
        "</div>"
        '<table class="index-table" tabindex="0" aria-label="Documents in the index">'
        "<tr><th>Document</th><th>Title</th><th>Text</th>"
        f"<th>Passages</th><th>State</th></tr>{rows}</table></div>"
    )


def _label(doc_id: str) -> str:
    """A document id as a reader names it: 'ref-2' is Reference 2, 'article' the Article."""
    if doc_id == "article":
        return "Article"
    if doc_id.startswith("ref-") and doc_id[4:].isdigit():
        return f"Reference {doc_id[4:]}"
    if doc_id.startswith("added-"):
        return f"Added: {doc_id[6:]}"
    return doc_id


def _when(stamp: str | None) -> str:
    """An ISO time stamp as '2 Dec 2026, 06:59 UTC'."""
    if not stamp:
        return "never"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return f"{moment.day} {moment:%b %Y, %H:%M} {moment.tzname() or 'UTC'}"
