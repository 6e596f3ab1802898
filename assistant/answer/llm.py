"""The optional LLM engine: numbered passages in, streamed prose out, verified after.

The passages go to the model as delimited, numbered data. When the model's answer cites a
passage it was not given, misquotes one, states things no cited passage supports, says the
passages do not answer (the search found some over its bar: their quotes are the answer),
cites only the article where the extractive answer quotes its sources, errors, or times out,
the extractive answer (already composed) stands, with a note that says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

from assistant.answer.prompts import render
from assistant.answer.state import DECLINE_TEXT, AnswerState, citation_of
from assistant.answer.verify import verify_answer
from assistant.settings import Settings
from assistant.types import PROVENANCE_LABELS, Answer, Citation, Evidence

__all__ = ["format_passages", "generate_answer"]


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


def _messages(settings: Settings, state: AnswerState, passages: list[Evidence]) -> list:
    history = "\n".join(f"Q: {t.question}\nA: {t.answer[:400]}" for t in state.history[-3:])
    system = render(settings, "answer_system", decline_text=DECLINE_TEXT)
    user = render(
        settings,
        "answer_user",
        history=history or "(none)",
        passages=format_passages(passages),
        question=state.question,
    )
    return [SystemMessage(system), HumanMessage(user)]


def _citations(passages: list[Evidence], used: list[int], quotes: dict[int, list[str]]) -> list:
    out: list[Citation] = []
    for marker in used:
        ev = passages[marker - 1]
        for quote in quotes.get(marker, []):
            # locate the verified quote inside the passage to give its exact span
            pos = ev.chunk.text.find(quote)
            if pos >= 0:
                start = ev.chunk.start + pos
                ev = replace(ev, sentence=(start, start + len(quote)))
                break
        out.append(citation_of(marker, ev))
    return out


def fallback_quotes_sources(answer: Answer) -> bool:
    """The extractive answer quotes some source passage (not only the article)."""
    return any(c.evidence.chunk.kind != "article" for c in answer.citations)


def _cut(text: str, most: int = 160) -> str:
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def generate_answer(
    state: AnswerState,
    settings: Settings,
    make_model: Callable[[], Any],
    support: Callable[[str, str], bool],
) -> Iterator[str]:
    """Stream the model's answer; replace state.answer with it if it passes verification:
    every statement must be grounded in the passage it cites (``support``, see
    assistant.answer.verify.grounded_in). ``make_model`` is called inside the guard, so a
    model that cannot even be made (not configured) falls back like one that fails."""
    fallback = state.answer
    assert fallback is not None
    passages = state.passages
    t = time.perf_counter()
    pieces: list[str] = []
    try:
        model = make_model()
        deadline = time.monotonic() + settings.llm_timeout
        for chunk in model.stream(_messages(settings, state, passages)):
            text = chunk.content if isinstance(chunk.content, str) else str(chunk.content)
            if text:
                if not pieces:  # how long the reader waited for the model's first words
                    state.timings["first_token"] = time.perf_counter() - state.started
                pieces.append(text)
                yield text
            if time.monotonic() > deadline:
                raise TimeoutError(f"no complete answer within {settings.llm_timeout}s")
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
    if text == DECLINE_TEXT:  # the search found passages over the bar: their quotes stand
        state.notes.append(
            "The language model found no answer in the passages; showing the extractive "
            "answer, which quotes the ones the search judged relevant."
        )
        return
    check = verify_answer(
        text, [ev.chunk.text for ev in passages], support=support, exempt=[DECLINE_TEXT]
    )
    state.timings["verify"] = time.perf_counter() - t
    if not check.ok:
        first = f' First: "{_cut(check.unsupported[0])}"' if check.unsupported else ""
        state.notes.append(
            "The language model's answer failed verification ("
            + "; ".join(check.problems)
            + f"); showing the extractive answer.{first}"
        )
        return
    if fallback_quotes_sources(fallback) and all(
        passages[m - 1].chunk.kind == "article" for m in check.used_markers
    ):  # the article restated is no answer to what its sources say
        state.notes.append(
            "The language model's answer cites only the article, not the sources quoted "
            "below it; showing the extractive answer."
        )
        return
    state.answer = Answer(
        question=state.question,
        text=text,
        declined=False,
        citations=_citations(passages, check.used_markers, check.quotes),
        beyond_sources=fallback.beyond_sources,
        engine=state.engine,
        confidence=fallback.confidence,
        direct_answer=fallback.direct_answer,
    )
