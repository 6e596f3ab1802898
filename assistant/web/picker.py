"""The article the page shows: its header and example questions, the picker that switches
articles (each with its own WebBackend, from a Library), and links that open one."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.types import HEADING, Document
from assistant.web.backend import Library, WebBackend
from assistant.web.render import esc

MAX_EXAMPLES = 4  # example questions shown under the chat
# the chosen article goes into the page's address, so a link reopens it
ARTICLE_IN_URL = """(article) => {
  const url = new URL(window.location.href);
  url.searchParams.set("article", article);
  window.history.replaceState(null, "", url);
  return article;
}"""
_NUMBERING = re.compile(r"^\s*(?:\d+|[ivx]+|[a-z])[.)]\s+", re.I)


def header_html(docs: list[Document]) -> str:
    article = next((d for d in docs if d.kind == "article"), None)
    refs = sum(d.kind == "reference" for d in docs)
    about = f"“{esc(article.title)}” and the {refs} papers it cites" if article else "the article"
    return (
        '<div class="app-header"><h1>Health article assistant</h1>'
        f"<p>Ask about {about}. Every answer quotes the passages it rests on, and says where "
        "the article goes beyond its sources.</p>"
        '<p class="disclaimer">Not medical advice: it reports what the article and the papers '
        "it cites say. Ask a clinician about your own health.</p></div>"
    )


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


def per_article(library: Library, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn(backend, *inputs)`` as an event handler whose last input is the article picker."""
    if inspect.isgeneratorfunction(fn):

        def stream(*args: Any) -> Iterator[Any]:
            yield from fn(library.get(args[-1]), *args[:-1])

        return stream

    def call(*args: Any) -> Any:
        return fn(library.get(args[-1]), *args[:-1])

    return call


def docs_of(backend: WebBackend) -> list[Document]:
    try:
        return backend.documents()
    except AssistantError:
        return []


def article_view(backend: WebBackend) -> tuple[Any, ...]:
    """The header, example questions and an empty conversation for the chosen article."""
    docs = docs_of(backend)
    examples = example_questions(docs, MAX_EXAMPLES)
    buttons = [gr.update(value=q, visible=True) for q in examples]
    buttons += [gr.update(visible=False)] * (MAX_EXAMPLES - len(examples))
    return (header_html(docs), gr.update(visible=bool(examples)), *buttons, [], [], "", "")


def link_question(request: gr.Request | None, most: int) -> str:
    """The question of a page opened from an answer's link (``&q=QUESTION``), else ""."""
    params = request.query_params if request else {}
    return (params.get("q") or "").strip()[:most]


def article_from_link(library: Library, request: gr.Request) -> tuple[Any, ...]:
    """A page opened with ``?article=ID`` starts on that article; with ``&q=QUESTION`` (an
    answer's link) the question waits in the box, and the page asks it next."""
    params = request.query_params if request else {}
    wanted = params.get("article") or ""
    question = link_question(request, library.settings.max_question_chars)
    ids = {i for _, i in library.choices()}
    if not wanted or wanted == library.default or wanted not in ids:
        out = [gr.skip() for _ in range(7 + MAX_EXAMPLES)]  # picker + article_view
    else:
        out = [wanted, *article_view(library.get(wanted))]
    if question:
        out[-2] = question  # the input box
    return tuple(out)
