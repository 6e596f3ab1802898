"""The optional LLM engine: numbered passages in, streamed prose out, verified after.

The passages go to the model as delimited, numbered data. When the model's answer cites a
passage it was not given, misquotes one, states things no cited passage supports, errors, or
times out, the extractive answer (already composed) stands, with a note that says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from langchain_core.messages import HumanMessage, SystemMessage

from assistant.answer.chat_model import make_chat_model
from assistant.answer.prompts import render
from assistant.answer.verify import grounded_in, verify_answer
from assistant.types import PROVENANCE_LABELS, Answer, Citation, Evidence

if TYPE_CHECKING:
    from assistant.answer.engine import AnswerEngine, _State


def format_passages(passages: list[Evidence]) -> str:
    blocks = []
    for n, ev in enumerate(passages, start=1):
        c = ev.chunk
        source = "Article" if c.kind == "article" else f"Reference {c.reference}: {c.title}"
        body = c.text.replace("</passage>", "< /passage>")
        blocks.append(
            f'<passage id="{n}" source="{source}" section="{" > ".join(c.section)}" '
            f'provenance="{PROVENANCE_LABELS[c.provenance]}">\n{body}\n</passage>'
        )
    return "\n".join(blocks)


def _messages(engine: AnswerEngine, state: _State, passages: list[Evidence]) -> list:
    from assistant.answer.engine import DECLINE_TEXT

    history = "\n".join(f"Q: {t.question}\nA: {t.answer[:400]}" for t in state.history[-3:])
    system = render(engine.settings, "answer_system", decline_text=DECLINE_TEXT)
    user = render(
        engine.settings,
        "answer_user",
        history=history or "(none)",
        passages=format_passages(passages),
        question=state.question,
    )
    return [SystemMessage(system), HumanMessage(user)]


def _citations(passages: list[Evidence], used: list[int], quotes: dict[int, list[str]]) -> list:
    from assistant.answer.engine import _citation

    out: list[Citation] = []
    for marker in used:
        ev = passages[marker - 1]
        cit = _citation(marker, ev)
        for quote in quotes.get(marker, []):
            # locate the verified quote inside the passage to give its exact span
            pos = ev.chunk.text.find(quote)
            if pos >= 0:
                start = ev.chunk.start + pos
                cit = replace(cit, quote=quote, start=start, end=start + len(quote))
                break
        out.append(cit)
    return out


def _support(engine: AnswerEngine) -> Callable[[str, str], bool]:
    """Statements must be grounded in what they cite (see verification.grounded_in)."""
    from assistant.index import load_threshold

    cut = load_threshold(engine.settings)
    return grounded_in(engine.retriever.similarity, cut, engine.topic_stems())


def generate_answer(engine: AnswerEngine, state: _State) -> Iterator[str]:
    """Stream the model's answer; replace state.answer with it if it passes verification."""
    from assistant.answer.engine import DECLINE_TEXT

    fallback = state.answer
    assert fallback is not None
    passages = state.passages
    t = time.perf_counter()
    pieces: list[str] = []
    try:
        model = engine.chat_model or make_chat_model(engine.settings)
        deadline = time.monotonic() + engine.settings.llm_timeout
        for chunk in model.stream(_messages(engine, state, passages)):
            text = chunk.content if isinstance(chunk.content, str) else str(chunk.content)
            if text:
                pieces.append(text)
                yield text
            if time.monotonic() > deadline:
                raise TimeoutError(f"no complete answer within {engine.settings.llm_timeout}s")
    except Exception as exc:  # any model failure: the extractive answer stands
        state.notes.append(
            f"The language model failed ({type(exc).__name__}: {exc}); "
            "showing the extractive answer."
        )
        state.timings["generate"] = time.perf_counter() - t
        return
    state.timings["generate"] = time.perf_counter() - t
    text = "".join(pieces).strip()
    t = time.perf_counter()
    if text == DECLINE_TEXT:
        state.answer = Answer(question=state.question, text=text, declined=True, engine="llm")
        return
    check = verify_answer(
        text, [ev.chunk.text for ev in passages], support=_support(engine), exempt=[DECLINE_TEXT]
    )
    state.timings["verify"] = time.perf_counter() - t
    if not check.ok:
        state.notes.append(
            "The language model's answer failed verification ("
            + "; ".join(check.problems)
            + "); showing the extractive answer."
        )
        return
    state.answer = Answer(
        question=state.question,
        text=text,
        declined=False,
        citations=_citations(passages, check.used_markers, check.quotes),
        beyond_sources=fallback.beyond_sources,
        engine="llm",
        confidence=fallback.confidence,
    )
