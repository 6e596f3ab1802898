"""The Claim audit tab: the claims table with its verdict filter, search and sort; its
downloads (JSON, CSV, Markdown, which follow what is shown, and the HTML report of the whole
audit); and the article annotated by verdict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from assistant.answer import verdict_to_dict
from assistant.audit import VERDICTS, format_markdown
from assistant.errors import AssistantError
from assistant.files import atomic_write
from assistant.web.backend import WebBackend
from assistant.web.exports import export_dir
from assistant.web.tables import SORTS, audit_csv, audit_html, audit_json, filter_verdicts, notice


def audit_view(
    backend: WebBackend, verdict: str, query: str = "", order: str = SORTS[0]
) -> tuple[Any, ...]:
    """The audit table for one verdict filter, search and order, and its JSON / CSV /
    Markdown files; the annotated article (every claim) and its HTML report."""
    try:
        verdicts = backend.audit()
        annotated, report = backend.annotated(verdicts)
    except AssistantError as exc:
        off = gr.update(value=None, interactive=False)
        failed = notice(f"The claim audit could not run: {exc}", "error")
        return failed, off, off, off, failed, off
    shown = filter_verdicts(verdicts, verdict, query or "", order)
    rows = [verdict_to_dict(v) for v in shown]
    data = audit_json(rows)
    folder = export_dir(data)
    suffix = "" if verdict in ("", "all") else f"-{verdict}"
    paths = {kind: folder / f"claim-audit{suffix}.{kind}" for kind in ("json", "csv", "md")}
    html_path = export_dir(report) / "claim-audit.html"
    atomic_write(paths["json"], data)  # a concurrent download never reads half a file
    atomic_write(paths["csv"], audit_csv(rows))
    atomic_write(paths["md"], format_markdown(None, shown) + "\n")
    atomic_write(html_path, report)
    return (
        audit_html(verdicts, verdict, query or "", order),
        *(gr.update(value=str(paths[k]), interactive=True) for k in ("json", "csv", "md")),
        f'<div class="annotated">{annotated}</div>',
        gr.update(value=str(html_path), interactive=True),
    )


def audit_tab(picker: gr.Dropdown, on: Callable) -> tuple[Callable[..., Any], list[Any], list[Any]]:
    """The tab's components and events; returns (handler, inputs, outputs) for a refresh."""
    with gr.Tab("Claim audit", id="audit") as tab:
        gr.Markdown("Each checkable claim of the article, and whether its sources back it.")
        verdict = gr.Radio(
            ["all", *VERDICTS], value="all", label="Show verdict", elem_id="audit-filter"
        )
        with gr.Row():
            query = gr.Textbox(
                label="Search claims (Enter)",
                placeholder="a word of the claim, its reason or citation",
                elem_id="audit-search",
                scale=3,
            )
            order = gr.Dropdown(list(SORTS), value=SORTS[0], label="Sort by", scale=1)
        with gr.Row():
            dl_json = gr.DownloadButton("Download JSON", size="sm", interactive=False)
            dl_csv = gr.DownloadButton("Download CSV", size="sm", interactive=False)
            dl_md = gr.DownloadButton("Download Markdown", size="sm", interactive=False)
            dl_html = gr.DownloadButton("Download report (HTML)", size="sm", interactive=False)
        with gr.Accordion("The article, annotated: every claim in its place", open=False):
            annotated = gr.HTML("", elem_id="annotated")
        out = gr.HTML(notice("Loading the claim audit…"), elem_id="audit")

    inputs = [verdict, query, order]
    io = ([*inputs, picker], [out, dl_json, dl_csv, dl_md, annotated, dl_html])
    tab.select(on(audit_view), *io, api_visibility="private")
    verdict.change(on(audit_view), *io, api_name="audit")
    query.submit(on(audit_view), *io, api_visibility="private")
    order.change(on(audit_view), *io, api_visibility="private")
    return audit_view, inputs, io[1]
