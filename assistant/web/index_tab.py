"""The Index tab: the index's status; documents uploaded as sources of the article (with the
checks of `assistant add`); the rebuild and fetch buttons. One piece of index work runs at a
time, and the tab's controls are off while it runs, so a second click cannot queue another."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.sources import DOCUMENT_TYPES
from assistant.web.backend import BuildProgress, WebBackend
from assistant.web.tables import notice, status_html

EXTRA = "extra"  # the "what is it" choice of a document that is none of the listed references


def status_view(backend: WebBackend) -> str:
    try:
        return status_html(backend.status())
    except AssistantError as exc:
        return notice(f"Index status unavailable: {exc}", "error")


def kinds(backend: WebBackend) -> list[tuple[str, str]]:
    """The "what is it" choices: a further source, or the full text of one reference."""
    try:
        refs = [d for d in backend.documents() if d.kind == "reference" and d.reference]
    except AssistantError:
        refs = []
    out = [("A further source of the article", EXTRA)]
    for doc in sorted(refs, key=lambda d: d.reference or 0):
        name = (doc.citation or doc.title or "").strip()
        short = name if len(name) <= 70 else name[:69].rstrip() + "…"
        out.append((f"The full text of reference {doc.reference}: {short}", str(doc.reference)))
    return out


def index_view(backend: WebBackend) -> tuple[str, Any]:
    """The status and the upload's choices, for the article shown."""
    return status_view(backend), kinds_view(backend)


def kinds_view(backend: WebBackend) -> Any:
    return gr.update(choices=kinds(backend), value=EXTRA)


def progress_html(p: BuildProgress) -> str:
    """The running build: its stage in words and a bar. A stage of unknown size gets a bar
    that sweeps; its animation is offset by the time gone, so redrawing it does not restart
    it."""
    if p.total:
        pct = int(100 * p.done / p.total)
        bar = (
            f'<div class="build-bar" role="progressbar" aria-label="Rebuild progress" '
            f'aria-valuemin="0" aria-valuemax="100" aria-valuenow="{pct}">'
            f'<div style="width:{pct}%"></div></div>'
        )
    else:
        bar = (
            '<div class="build-bar busy" role="progressbar" aria-label="Rebuild progress">'
            f'<div style="animation-delay:-{p.seconds():.1f}s"></div></div>'
        )
    said = f"Rebuilding the index — {p.line()}. The chat keeps answering meanwhile."
    return notice(said) + bar


def rebuild_view(backend: WebBackend, full: bool) -> Iterator[tuple[str, str]]:
    """Progress while the build runs, then its report and the new status."""
    status = status_view(backend)
    for p in backend.rebuild(full=bool(full)):
        if p.finished:
            yield notice(p.message, "ok" if p.ok else "error"), status_view(backend)
            return
        yield progress_html(p), status


def fetch_view(backend: WebBackend) -> tuple[str, str]:
    ok, message = backend.fetch()
    return notice(message, "ok" if ok else "warn"), status_view(backend)


def add_view(
    backend: WebBackend, files: list[Any] | None, what: str, replace: bool
) -> Iterator[tuple[str, str]]:
    """Add the uploaded files, say what was added and what was not, then bring the index up
    to date with them (progress as for a rebuild)."""
    paths = [Path(getattr(f, "name", f)) for f in files or []]
    if not paths:
        yield notice("Choose one or more files to add first.", "warn"), status_view(backend)
        return
    ref = None if what in (None, "", EXTRA) else int(what)
    added, problems = backend.add(paths, ref, bool(replace))
    said = "".join(notice(p, "error") for p in problems)
    if added:
        names = ", ".join(f"“{t}”" for t in added)
        said = notice(f"Added {names}.", "ok") + said
    if not added:
        yield said, status_view(backend)
        return
    for progress, status in rebuild_view(backend, False):
        yield said + progress, status


def index_tab(picker: gr.Dropdown, on: Callable) -> tuple[Callable[..., Any], list, list]:
    """The tab's layout and events; returns how to refresh it for another article."""
    with gr.Tab("Index", id="index") as tab:
        status_out = gr.HTML(elem_id="index-status")
        with gr.Row():
            full = gr.Checkbox(label="Full rebuild (read every document anew)", value=False)
            rebuild = gr.Button("Rebuild index", variant="primary", elem_id="rebuild-btn")
            fetch = gr.Button("Fetch references", elem_id="fetch-btn")
        with gr.Group(elem_id="index-upload"):
            upload = gr.File(
                label="Add documents (text, Markdown, JATS XML, HTML or PDF)",
                file_count="multiple",
                file_types=sorted(DOCUMENT_TYPES),
                type="filepath",
                height=170,
                elem_id="upload-files",
            )
            what = gr.Dropdown(
                [("A further source of the article", EXTRA)],
                value=EXTRA,
                label="What is it?",
                elem_id="upload-kind",
            )
        with gr.Row(equal_height=True):
            replace = gr.Checkbox(label="Replace a document already added", value=False)
            add = gr.Button("Add and index", elem_id="add-btn")
        progress_out = gr.HTML(elem_id="index-progress")

    controls = [full, rebuild, fetch, upload, what, replace, add]

    def lock() -> list[Any]:
        return [gr.update(interactive=False)] * len(controls)

    def unlock() -> list[Any]:
        return [gr.update(interactive=True)] * len(controls)

    work = {"concurrency_limit": 1, "concurrency_id": "index"}
    private = {"api_visibility": "private", "show_progress": "hidden"}
    for button, fn, inputs, name in (
        (rebuild, rebuild_view, [full], "rebuild"),
        (fetch, fetch_view, [], "fetch"),
        (add, add_view, [upload, what, replace], "add"),
    ):
        started = button.click(lock, None, controls, **private)
        ran = started.then(
            on(fn), [*inputs, picker], [progress_out, status_out], api_name=name, **work
        )
        ran.then(unlock, None, controls, **private)
    tab.select(on(status_view), [picker], status_out, api_name="status")
    tab.select(on(kinds_view), [picker], what, api_visibility="private")
    return index_view, [], [status_out, what]
