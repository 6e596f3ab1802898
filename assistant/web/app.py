"""The Gradio page: Chat, Claim audit, Sources and Index tabs over one WebBackend.

Handlers are plain functions of the backend and the inputs; build_app only lays out the page
and wires events. Conversations live in per-session state, never in a shared object.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import gradio as gr

from assistant.answer import Turn, answer_to_dict, clean_question, local_model_ready
from assistant.errors import AssistantError, InputError
from assistant.settings import Settings
from assistant.types import Document
from assistant.web.audit_tab import audit_tab
from assistant.web.backend import Library, WebBackend, llm_configured
from assistant.web.conversation import conversation_files
from assistant.web.index_tab import index_tab
from assistant.web.picker import (
    ARTICLE_IN_URL,
    MAX_EXAMPLES,
    article_from_link,
    article_view,
    docs_of,
    example_questions,
    header_html,
    link_question,
    per_article,
)
from assistant.web.render import render_answer, render_error, render_streaming, render_user
from assistant.web.tables import notice, sources_html

MAX_TURNS = 20  # turns kept per conversation (follow-ups lean on the latest ones)


LOG = logging.getLogger("assistant.web")


# --- chat --------------------------------------------------------------------------------------
def _message(role: str, html: str) -> dict[str, Any]:
    return {"role": role, "content": [{"type": "text", "text": html}]}


def respond(
    backend: WebBackend, message: str, chat: list, turns: list, engine: str, top_k: float
) -> Iterator[tuple[list, list, str, str]]:
    """Stream one answer into the chat; yields (chat, turns, input box, notice). The box is
    emptied once, when the question is taken; after that it is left alone, so what the user
    types while the answer streams is not wiped. The chat as the browser shows it decides the
    memory: its clear icon empties it at once, before any event could reach `turns`."""
    chat = list(chat or [])
    turns = list(turns or []) if any(m.get("role") == "assistant" for m in chat) else []
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
                yield chat, turns, gr.skip(), ""
            else:
                answer = item
    except AssistantError as exc:
        chat[-1] = _message("assistant", render_error(f"Could not answer: {exc}"))
        yield chat, turns, gr.skip(), ""
        return
    except Exception as exc:  # a bug: the user sees its kind, the page's log its traceback
        LOG.exception("answering %r failed", question)
        chat[-1] = _message("assistant", render_error(f"Unexpected error: {type(exc).__name__}"))
        yield chat, turns, gr.skip(), ""
        return
    assert answer is not None
    chat[-1] = _message("assistant", render_answer(answer, backend.links(), backend.article_id))
    turn = {"question": question, "answer": answer.text, "data": answer_to_dict(answer)}
    turns = [*turns, turn][-MAX_TURNS:]
    pending = ""
    state = backend.audit_state()
    if state == "running":
        pending = notice(
            "The claim audit is still running: warnings about claims that go beyond their "
            "sources will appear in answers once it is done (see the Claim audit tab)."
        )
    elif state == "updating":
        pending = notice(
            "The sources changed and the claim audit is running again: until it is done, "
            "warnings come from the previous audit, for claims the article still makes."
        )
    yield chat, turns, gr.skip(), pending


# --- sources -------------------------------------------------------------------------
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


def asked_by_link(
    backend: WebBackend, message: str, chat: list, turns: list, engine: str, top_k: float
) -> Iterator[tuple[Any, ...]]:
    """A page opened from an answer's link (``?q=...``) asks its question at once; a page
    opened without one does nothing here."""
    if not (message or "").strip():
        yield tuple(gr.skip() for _ in range(4))
        return
    yield from respond(backend, message, chat, turns, engine, top_k)


def conversation_view(backend: WebBackend, turns: list) -> tuple[Any, Any]:
    """The conversation as Markdown and JSON files to download (none while it is empty)."""
    files = conversation_files(turns or [], backend.article_id)
    if files is None:
        off = gr.update(value=None, interactive=False)
        return off, off
    markdown, data = files
    return gr.update(value=markdown, interactive=True), gr.update(value=data, interactive=True)


# --- layout ------------------------------------------------------------------------------------
def build_app(backend: WebBackend, library: Library | None = None) -> gr.Blocks:
    """The page: a header and article picker over the Chat, Claim audit, Sources and Index
    tabs. Each handler works on the article the picker shows."""
    library = library or Library(backend.settings, backend)
    docs = docs_of(backend)
    choices = library.choices()
    with gr.Blocks(title="Health article assistant", analytics_enabled=False) as app:
        turns = gr.State([])
        header = gr.HTML(header_html(docs))
        picker = gr.Dropdown(
            choices,
            value=library.default,
            label="Article",
            elem_id="article-picker",
            visible=len(choices) > 1,
        )
        on = partial(per_article, library)
        with gr.Tabs():
            chat, ask_link, saved = _chat_tab(backend.settings, docs, turns, picker, on)
            refresh = [
                audit_tab(picker, on),
                _sources_tab(picker, on),
                index_tab(picker, on),
            ]
        switched = picker.change(
            on(article_view), [picker], [header, *chat], js=ARTICLE_IN_URL, api_name="article"
        )
        saved(switched)  # another article: a new, empty conversation to save
        for fn, inputs, outputs in refresh:
            switched = switched.then(on(fn), [*inputs, picker], outputs, api_visibility="private")

        def opened(request: gr.Request) -> tuple[Any, ...]:
            return article_from_link(library, request)

        _warming(app, backend, chat[-1])

        loaded = app.load(
            opened, None, [picker, header, *chat], api_visibility="private", show_progress="hidden"
        )  # not faded while it runs: the header is already right for most opened pages
        ask_link(loaded)
    return app


WARMING = (
    "Getting ready: loading the models and the index. The first answer may take a few seconds."
)


def _warming(app: gr.Blocks, backend: WebBackend, chat_notice: gr.HTML) -> None:
    """While the models load, the chat says so; the notice goes once they are loaded. Only
    that notice goes: one the reader got meanwhile ("Not sent: the question is empty") stays.
    The timer runs only on a page opened before the models were loaded."""
    timer = gr.Timer(1.0, active=False)
    warming = notice(WARMING)

    def loaded() -> tuple[Any, Any]:
        if backend.warm.is_set():
            return gr.skip(), gr.skip()
        return warming, gr.Timer(active=True)

    def tick(shown: str | None) -> tuple[Any, Any]:
        if backend.warm.is_set():
            return ("" if shown == warming else gr.skip()), gr.Timer(active=False)
        return gr.skip(), gr.skip()

    app.load(loaded, None, [chat_notice, timer], api_visibility="private")
    timer.tick(tick, chat_notice, [chat_notice, timer], api_visibility="private")


def _chat_tab(
    s: Settings, docs: list[Document], turns: gr.State, picker: gr.Dropdown, on: Callable
) -> tuple[list[Any], Callable[[Any], None], Callable[[Any], None]]:
    """The conversation, its input row, example questions, exports and answer settings.
    Returns what changing the article resets (the examples row and buttons, chat, memory, box,
    notice), how to ask an answer link's question (read from the URL) after an event, and how
    to refresh the conversation's files after one."""
    with gr.Tab("Chat", id="chat"):  # (a State outside a tab would be taken for a tab)
        by_link = gr.State("")  # the question of a page opened from an answer's link
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
        examples = example_questions(docs, MAX_EXAMPLES)
        with gr.Row(elem_id="examples", visible=bool(examples)) as example_row:
            example_buttons = [
                gr.Button(
                    examples[i] if i < len(examples) else "", size="sm", visible=i < len(examples)
                )
                for i in range(MAX_EXAMPLES)
            ]
        with gr.Row(elem_id="conversation-exports"):
            dl_md = gr.DownloadButton("Save conversation (Markdown)", size="sm", interactive=False)
            dl_json = gr.DownloadButton("Save conversation (JSON)", size="sm", interactive=False)
        engine, top_k = _answer_settings(s)

    chat_limit = {"concurrency_limit": s.concurrency, "concurrency_id": "chat"}
    chat_io = ([box, chatbot, turns, engine, top_k, picker], [chatbot, turns, box, chat_notice])
    exports = ([turns, picker], [dl_md, dl_json])

    def saved(event: Any) -> None:  # after each answer, the conversation's files follow it
        event.then(
            on(conversation_view), *exports, api_visibility="private", show_progress="hidden"
        )

    private = {"api_visibility": "private", **chat_limit}
    saved(box.submit(on(respond), *chat_io, api_name="ask", **chat_limit))
    saved(ask.click(on(respond), *chat_io, **private))
    for button in example_buttons:
        picked = button.click(lambda q: q, button, box, api_visibility="private")
        saved(picked.then(on(respond), *chat_io, **private))
    new.click(
        lambda: ([], [], "", "", *(gr.update(value=None, interactive=False),) * 2),
        None,
        [chatbot, turns, box, chat_notice, dl_md, dl_json],
        api_visibility="private",
    )
    # the chat's own clear icon starts a new conversation too; its memory goes with it in
    # `respond`, which reads the emptied chat: a clear event writing `turns` here would race
    # the next question (read before the clear lands, or wiped after that answer)
    chatbot.clear(
        lambda: ("", *(gr.update(value=None, interactive=False),) * 2),
        None,
        [chat_notice, dl_md, dl_json],
        api_visibility="private",
    )

    # a page opened from an answer's link asks its question: the link's, read from the URL,
    # never the box's (a question typed while the page loads is asked once, by its Enter)
    def from_url(request: gr.Request) -> str:
        return link_question(request, s.max_question_chars)

    def ask_link(event: Any) -> None:
        found = event.then(
            from_url, None, by_link, api_visibility="private", show_progress="hidden"
        )
        saved(found.then(on(asked_by_link), [by_link, *chat_io[0][1:]], chat_io[1], **private))

    return [example_row, *example_buttons, chatbot, turns, box, chat_notice], ask_link, saved


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
        buttons=[],  # each answer has its own copy links (Markdown, text), not raw HTML
        autoscroll=False,  # page.js scrolls to a new answer's first line instead of its end
        group_consecutive_messages=False,
        placeholder="Ask a question below, or click an example.",
    )


def _answer_settings(s: Settings) -> tuple[gr.Radio, gr.Slider]:
    """The folded-away engine choice and passages-per-answer slider. A language model that
    is not set up is not offered (choosing it would only fall back to quotes)."""
    choices = [("Extractive: quotes only, no language model", "extractive")]
    if local_model_ready(s):
        choices.append(
            ("Local language model (on this machine), checked against the quotes", "local")
        )
    if llm_configured(s):
        choices.append((f"Language model ({s.llm_model}), checked against the quotes", "llm"))
    offered = [value for _, value in choices]
    with gr.Accordion("Answer settings", open=False, elem_id="answer-settings"):
        engine = gr.Radio(
            choices,
            value=s.engine if s.engine in offered else "extractive",
            label="Answer engine",
            info=None if len(offered) > 1 else "No language model is set up on this server.",
            elem_id="engine",
        )
        top_k = gr.Slider(1, 12, value=s.top_k, step=1, label="Passages per answer")
    return engine, top_k


Refresh = tuple[Callable[..., Any], list[Any], list[Any]]  # (handler, inputs, outputs)


def _sources_tab(picker: gr.Dropdown, on: Callable) -> Refresh:
    """Every document, with its provenance, fetch status and citation check."""
    with gr.Tab("Sources", id="sources") as sources_tab:
        sources_out = gr.HTML(notice("Loading the documents…"), elem_id="sources")

    sources_tab.select(on(sources_view), [picker], sources_out, api_name="sources")
    return sources_view, [], [sources_out]
