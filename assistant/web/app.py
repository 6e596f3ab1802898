"""The Gradio page: Chat, Claim audit, Sources and Index tabs over one WebBackend.

Handlers are plain functions of the backend and the inputs; build_app only lays out the page
and wires events. Conversations live in per-session state, never in a shared object.
"""

from __future__ import annotations

import atexit
import hashlib
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.answer import Turn, clean_question, verdict_to_dict
from assistant.errors import AssistantError, InputError
from assistant.files import atomic_write
from assistant.settings import Settings
from assistant.types import HEADING, Document
from assistant.web.backend import WebBackend, llm_configured
from assistant.web.render import esc, render_answer, render_error, render_streaming, render_user
from assistant.web.tables import (
    VERDICTS,
    audit_csv,
    audit_html,
    audit_json,
    filter_verdicts,
    notice,
    sources_html,
    status_html,
)

MAX_TURNS = 20  # turns kept per conversation (follow-ups lean on the latest ones)
_NUMBERING = re.compile(r"^\s*(?:\d+|[ivx]+|[a-z])[.)]\s+", re.I)


# --- chat --------------------------------------------------------------------------------------
def _message(role: str, html: str) -> dict[str, Any]:
    return {"role": role, "content": [{"type": "text", "text": html}]}


def respond(
    backend: WebBackend, message: str, chat: list, turns: list, engine: str, top_k: float
) -> Iterator[tuple[list, list, str, str]]:
    """Stream one answer into the chat; yields (chat, turns, input box, notice)."""
    chat, turns = list(chat or []), list(turns or [])
    try:
        question = clean_question(message or "", backend.settings.max_question_chars)
    except InputError as exc:  # keep the text in the box so it can be fixed
        yield chat, turns, message, notice(f"Not sent: {exc}", "warn")
        return
    history = [Turn(t["question"], t["answer"]) for t in turns]
    chat += [_message("user", render_user(question)), _message("assistant", render_streaming(""))]
    yield chat, turns, "", ""
    text, answer = "", None
    try:
        for item in backend.stream(question, history, engine, int(top_k)):
            if isinstance(item, str):
                text += item
                chat[-1] = _message("assistant", render_streaming(text))
                yield chat, turns, "", ""
            else:
                answer = item
    except AssistantError as exc:
        chat[-1] = _message("assistant", render_error(f"Could not answer: {exc}"))
        yield chat, turns, "", ""
        return
    except Exception as exc:
        chat[-1] = _message("assistant", render_error(f"Unexpected error: {type(exc).__name__}"))
        yield chat, turns, "", ""
        return
    assert answer is not None
    chat[-1] = _message("assistant", render_answer(answer, backend.links()))
    turns = [*turns, {"question": question, "answer": answer.text}][-MAX_TURNS:]
    pending = ""
    if backend.audit_state() == "running":
        pending = notice(
            "The claim audit is still running: warnings about claims that go beyond their "
            "sources will appear in answers once it is done (see the Claim audit tab)."
        )
    yield chat, turns, "", pending


def example_questions(docs: list[Document], most: int = 4) -> list[str]:
    """Questions a first-time user can click, made from the article's own section headings."""
    headings: list[str] = []
    for doc in docs:
        if doc.kind != "article":
            continue
        used = {b.section[-1] for b in doc.body_blocks() if b.section}
        for b in doc.blocks:
            text = " ".join(doc.text[b.start : b.end].split())
            if b.kind == HEADING and text in used and text not in headings:
                headings.append(text)
    if not headings:
        return []
    step = max(1, len(headings) // most)
    picked = headings[::step][:most]
    return [_as_question(h) for h in picked]


def _as_question(heading: str) -> str:
    text = _NUMBERING.sub("", heading).strip().rstrip(".:")
    if text.endswith("?"):
        return text
    words = text.split()
    titled = sum(w[:1].isupper() for w in words) >= max(2, len(words) // 2)
    if titled:  # Title Case reads oddly mid-sentence; keep acronyms as they are
        words = [w if w.isupper() and len(w) > 1 else w.lower() for w in words]
    return f"What does the article say about {' '.join(words)}?"


# --- audit ------------------------------------------------------------------------------------
_export_root: Path | None = None
_export_lock = threading.Lock()


def _private_root() -> Path:
    """This process's own folder for exports: mkdtemp makes it with mode 0700 under a name no
    one can guess, so another local user cannot plant files or symlinks in it. Removed at
    exit; made again if something (a temp cleaner) removed it meanwhile."""
    global _export_root
    with _export_lock:
        if _export_root is None or not _export_root.is_dir():
            _export_root = Path(tempfile.mkdtemp(prefix="assistant-audit-"))
            atexit.register(shutil.rmtree, _export_root, ignore_errors=True)
        return _export_root


def _export_dir(content: str) -> Path:
    """One subfolder per export content, so two filters' files never overwrite each other."""
    folder = _private_root() / hashlib.sha1(content.encode()).hexdigest()[:16]
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def audit_view(backend: WebBackend, verdict: str) -> tuple[str, Any, Any]:
    """The audit table for one verdict filter, and its JSON / CSV files."""
    try:
        verdicts = backend.audit()
    except AssistantError as exc:
        off = gr.update(value=None, interactive=False)
        return notice(f"The claim audit could not run: {exc}", "error"), off, off
    rows = [verdict_to_dict(v) for v in filter_verdicts(verdicts, verdict)]
    data = audit_json(rows)
    folder = _export_dir(data)
    suffix = "" if verdict in ("", "all") else f"-{verdict}"
    json_path = folder / f"claim-audit{suffix}.json"
    csv_path = folder / f"claim-audit{suffix}.csv"
    atomic_write(json_path, data)  # a concurrent download never reads half a file
    atomic_write(csv_path, audit_csv(rows))
    return (
        audit_html(verdicts, verdict),
        gr.update(value=str(json_path), interactive=True),
        gr.update(value=str(csv_path), interactive=True),
    )


# --- sources and index -------------------------------------------------------------------------
def sources_view(backend: WebBackend) -> str:
    try:
        docs = backend.documents()
    except AssistantError as exc:
        return notice(f"The documents could not be read: {exc}", "error")
    try:
        checks = backend.citation_checks()
    except AssistantError as exc:
        return notice(f"The citation check failed: {exc}", "error") + sources_html(
            docs, backend.fetch_results(), {}, False
        )
    return sources_html(docs, backend.fetch_results(), checks, True)


def status_view(backend: WebBackend) -> str:
    try:
        return status_html(backend.status())
    except AssistantError as exc:
        return notice(f"Index status unavailable: {exc}", "error")


def rebuild_view(backend: WebBackend, full: bool) -> Iterator[tuple[str, str]]:
    """Progress while the build runs, then its report and the new status."""
    status = status_view(backend)
    for p in backend.rebuild(full=bool(full)):
        if p.finished:
            yield notice(p.message, "ok" if p.ok else "error"), status_view(backend)
            return
        width = int(100 * p.done / p.total) if p.total else 0
        bar = f'<div class="build-bar"><div style="width:{width}%"></div></div>'
        yield notice(f"Rebuilding — {p.line()}. The chat keeps answering meanwhile.") + bar, status


def fetch_view(backend: WebBackend) -> tuple[str, str]:
    ok, message = backend.fetch()
    return notice(message, "ok" if ok else "warn"), status_view(backend)


# --- layout ------------------------------------------------------------------------------------
def _header(docs: list[Document]) -> str:
    article = next((d for d in docs if d.kind == "article"), None)
    refs = sum(d.kind == "reference" for d in docs)
    about = f"“{esc(article.title)}” and the {refs} papers it cites" if article else "the article"
    return (
        '<div class="app-header"><h1>Health article assistant</h1>'
        f"<p>Ask about {about}. Every answer quotes the passages it rests on, and says where "
        "the article goes beyond its sources.</p></div>"
    )


def build_app(backend: WebBackend) -> gr.Blocks:
    """The page: a header over the Chat, Claim audit, Sources and Index tabs."""
    try:
        docs = backend.documents()
    except AssistantError:
        docs = []
    with gr.Blocks(title="Health article assistant", analytics_enabled=False) as app:
        turns = gr.State([])
        gr.HTML(_header(docs))
        with gr.Tabs():
            _chat_tab(backend, docs, turns)
            _audit_tab(backend)
            _sources_tab(backend)
            _index_tab(backend)
    return app


def _chat_tab(backend: WebBackend, docs: list[Document], turns: gr.State) -> None:
    """The conversation, its input row, example questions and answer settings."""
    s = backend.settings
    with gr.Tab("Chat", id="chat"):
        chatbot = _chatbot()
        chat_notice = gr.HTML(elem_id="chat-notice")
        with gr.Row():
            box = gr.Textbox(
                elem_id="chat-input",
                show_label=False,
                placeholder=f"Ask about the article or its sources "
                f"(up to {s.max_question_chars} characters)…",
                lines=1,
                max_lines=6,
                scale=8,
                autofocus=True,
            )
            ask = gr.Button("Ask", variant="primary", elem_id="ask-btn", scale=1)
            new = gr.Button("New conversation", elem_id="new-chat", scale=1)
        examples = example_questions(docs)
        with gr.Row(elem_id="examples", visible=bool(examples)):
            example_buttons = [gr.Button(q, size="sm") for q in examples]
        engine, top_k = _answer_settings(s)

    chat_limit = {"concurrency_limit": s.concurrency, "concurrency_id": "chat"}
    chat_io = ([box, chatbot, turns, engine, top_k], [chatbot, turns, box, chat_notice])
    box.submit(partial(respond, backend), *chat_io, api_name="ask", **chat_limit)
    ask.click(partial(respond, backend), *chat_io, api_visibility="private", **chat_limit)
    for button, question in zip(example_buttons, examples, strict=True):
        button.click(lambda q=question: q, None, box, api_visibility="private").then(
            partial(respond, backend), *chat_io, api_visibility="private", **chat_limit
        )
    new.click(
        lambda: ([], [], "", ""),
        None,
        [chatbot, turns, box, chat_notice],
        api_visibility="private",
    )


def _chatbot() -> gr.Chatbot:
    """The conversation: our escaped HTML as is, never rendered as Markdown."""
    return gr.Chatbot(
        elem_id="chat",
        render_markdown=False,
        sanitize_html=True,
        layout="panel",
        height="68vh",
        min_height=420,
        show_label=False,
        feedback_options=None,
        buttons=["copy"],
        group_consecutive_messages=False,
        placeholder="Ask a question below, or click an example.",
    )


def _answer_settings(s: Settings) -> tuple[gr.Radio, gr.Slider]:
    """The folded-away engine choice and passages-per-answer slider."""
    llm_label = (
        f"Language model ({s.llm_model})"
        if llm_configured(s)
        else "Language model (not configured)"
    )
    with gr.Accordion("Answer settings", open=False, elem_id="answer-settings"):
        engine = gr.Radio(
            [
                ("Extractive: quotes only, no language model", "extractive"),
                (llm_label, "llm"),
            ],
            value=s.engine,
            label="Answer engine",
            elem_id="engine",
        )
        top_k = gr.Slider(1, 12, value=s.top_k, step=1, label="Passages per answer")
    return engine, top_k


def _audit_tab(backend: WebBackend) -> None:
    """The claim audit table, its verdict filter and its downloads."""
    with gr.Tab("Claim audit", id="audit") as audit_tab:
        gr.Markdown("Each checkable claim of the article, and whether its sources back it.")
        verdict = gr.Radio(
            ["all", *VERDICTS], value="all", label="Show verdict", elem_id="audit-filter"
        )
        with gr.Row():
            dl_json = gr.DownloadButton("Download JSON", size="sm", interactive=False)
            dl_csv = gr.DownloadButton("Download CSV", size="sm", interactive=False)
        audit_out = gr.HTML(notice("Loading the claim audit…"), elem_id="audit")

    audit_io = ([verdict], [audit_out, dl_json, dl_csv])
    audit_tab.select(partial(audit_view, backend), *audit_io, api_visibility="private")
    verdict.change(partial(audit_view, backend), *audit_io, api_name="audit")


def _sources_tab(backend: WebBackend) -> None:
    """Every document, with its provenance, fetch status and citation check."""
    with gr.Tab("Sources", id="sources") as sources_tab:
        sources_out = gr.HTML(notice("Loading the documents…"), elem_id="sources")

    sources_tab.select(partial(sources_view, backend), None, sources_out, api_name="sources")


def _index_tab(backend: WebBackend) -> None:
    """The index status, and the rebuild and fetch buttons (one of those at a time)."""
    with gr.Tab("Index", id="index") as index_tab:
        status_out = gr.HTML(elem_id="index-status")
        with gr.Row():
            full = gr.Checkbox(label="Full rebuild (re-embed every document)", value=False)
            rebuild = gr.Button("Rebuild index", variant="primary", elem_id="rebuild-btn")
            fetch = gr.Button("Fetch references", elem_id="fetch-btn")
        progress_out = gr.HTML(elem_id="index-progress")

    index_limit = {"concurrency_limit": 1, "concurrency_id": "index"}
    index_tab.select(partial(status_view, backend), None, status_out, api_name="status")
    rebuild.click(
        partial(rebuild_view, backend),
        [full],
        [progress_out, status_out],
        api_name="rebuild",
        **index_limit,
    )
    fetch.click(
        partial(fetch_view, backend),
        None,
        [progress_out, status_out],
        api_name="fetch",
        **index_limit,
    )
