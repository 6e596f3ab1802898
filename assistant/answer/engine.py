"""The answer engine: one LCEL chain from a question to a verified ``Answer``.

    retrieve -> select evidence -> compose (extractive) -> direct yes/no line
        -> [LLM writes, verify] -> Answer

(one RunnableSequence, `AnswerEngine.chain`; its last step streams). The extractive answer
(assistant.answer.extractive) needs no LLM. The LLM engine (assistant.answer.llm) writes
prose from the same numbered passages; if its answer fails verification, errors or times
out, the extractive answer is returned instead, with a note saying so.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.runnables import RunnableGenerator, RunnableLambda

from assistant.answer.chat_model import make_chat_model
from assistant.answer.direct import Bars, Judge, decide, direct_line, polar_claim, source_quotes
from assistant.answer.extractive import compose_extractive, is_keyword_line, what_is_covered
from assistant.answer.language import language_note, other_language
from assistant.answer.llm import generate_answer
from assistant.answer.local_model import make_local_model
from assistant.answer.state import (
    KEPT,
    NOT_KEPT,
    WRITING,
    AnswerState,
    AuditLookup,
    Turn,
    asks_for_quantity,
    citation_of,
    clean_question,
    retrieval_query,
)
from assistant.answer.verify import grounded_in
from assistant.errors import ModelError
from assistant.index import ChunkTable, HybridRetriever, load_threshold
from assistant.settings import Settings
from assistant.text import content_stems, quantities
from assistant.types import Answer, Citation, ClaimVerdict, Evidence

__all__ = ["WRITERS", "AnswerEngine"]

WRITERS = ("llm", "local")  # the engines where a language model writes the answer


class AnswerEngine:
    """Answers questions over one index. Thread-safe for concurrent askers."""

    def __init__(
        self,
        settings: Settings,
        retriever: HybridRetriever | None = None,
        *,
        chat_model: Any = None,
        audit: AuditLookup | None = None,
        threshold: float | None = None,
        judge: Judge | None = None,
        bars: Bars | None = None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever or HybridRetriever(settings)
        self.chat_model = chat_model
        self.audit = audit
        self._threshold = threshold
        self._judge = judge  # the claim verifier, loaded on the first yes/no question
        self._bars = bars  # its calibrated bars, read with it
        self._judge_lock = threading.Lock()
        self._of_build: dict[str, tuple[Any, Any]] = {}  # what is read from a whole build
        # The whole chain: retrieve -> select -> compose (extractive) -> write and verify
        # (the LLM, when asked for; it streams) -> the Answer, last.
        self.chain = (
            RunnableLambda(self._retrieve)
            | RunnableLambda(self._select)
            | RunnableLambda(self._compose)
            | RunnableLambda(self._direct)
            | RunnableGenerator(self._finish)
        )

    @property
    def threshold(self) -> float:
        """Fixed when given, else the current index's calibrated value (follows rebuilds)."""
        if self._threshold is not None:
            return self._threshold
        return load_threshold(self.settings, self.retriever.index.manifest)

    # --- public ------------------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[Turn] = (), engine: str | None = None) -> Answer:
        answer: Answer | None = None
        for item in self.stream(question, history, engine):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(
        self, question: str, history: Sequence[Turn] = (), engine: str | None = None
    ) -> Iterator[str | Answer]:
        """Yield text as it is written, then the final, verified Answer (whose text wins)."""
        text = clean_question(question, self.settings.max_question_chars)
        state = AnswerState(question=text, history=history, engine=engine or self.settings.engine)
        yield from self.chain.stream(state)

    def _finish(self, states: Iterator[AnswerState]) -> Iterator[str | Answer]:
        """The chain's last, streaming step: the extractive answer streams by lines at once;
        where a language model is asked for, its answer streams under it and is verified,
        then a line says whether it was kept; then the final Answer (the model's answer when
        kept, else the extractive one)."""
        for state in states:
            assert state.answer is not None
            extractive = state.answer
            yield from extractive.text.splitlines(keepends=True)
            if state.engine in WRITERS and not extractive.declined:
                wrote = False
                for piece in self._llm(state):
                    if not wrote:
                        yield WRITING
                    wrote = True
                    yield piece
                if wrote:
                    yield KEPT if state.answer is not extractive else NOT_KEPT
            state.answer.timings = {
                **state.timings,
                "total": time.perf_counter() - state.started,
            }
            state.answer.notes = state.notes + state.answer.notes
            yield state.answer

    # --- stages --------------------------------------------------------------------------------
    def _retrieve(self, state: AnswerState) -> AnswerState:
        t = time.perf_counter()
        self.retriever.refresh()
        state.query = retrieval_query(state.question, state.history)
        k = self.settings.top_k
        article = self.retriever.search(state.query, k=max(2, k // 2), source="article")
        sources = self.retriever.search(state.query, k=max(2, k - k // 2), source="references")
        state.passages = article + sources
        state.timings["retrieve"] = time.perf_counter() - t
        return state

    def _select(self, state: AnswerState) -> AnswerState:
        t = time.perf_counter()
        scored = self.retriever.best_sentences(
            state.query, state.passages, per_chunk=2, ranking=self.settings.sentence_ranking
        )
        scored = [p for p in scored if not is_keyword_line(p[0])]
        if asks_for_quantity(state.question):  # relevant sentences holding a figure first
            bar = self.threshold
            scored.sort(key=lambda p: not (p[1] >= bar and quantities(p[0].quote)))
        state.article = [p for p in scored if p[0].chunk.kind == "article"]
        state.sources = [p for p in scored if p[0].chunk.kind != "article"]
        state.timings["select"] = time.perf_counter() - t
        return state

    def _compose(self, state: AnswerState) -> AnswerState:
        t = time.perf_counter()
        state.answer = compose_extractive(
            state, self.threshold, self.topic_stems(), self._verdicts, self._evidence_citation
        )
        if state.answer.declined:  # not a dead end: what can be asked instead
            covered = self._per_build("covered", what_is_covered)
            state.answer.text = f"{state.answer.text} {covered}".strip()
        if language := other_language(state.question):  # said first, and kept in the notes
            state.answer.text = f"{language_note(language)}\n\n{state.answer.text}"
            state.answer.notes.insert(0, language_note(language))
        state.timings["compose"] = time.perf_counter() - t
        return state

    def _direct(self, state: AnswerState) -> AnswerState:
        """A yes/no question's answer opens with Yes / No / The sources disagree / No clear yes
        or no, decided by the verifier over the sources' quotes (answer.direct). Without a
        verifier the answer stands as it is, with a note saying why it has no direct line."""
        answer = state.answer
        claim = polar_claim(state.question)
        if answer is None or answer.declined or claim is None:
            return state
        t = time.perf_counter()
        try:
            direct = decide(claim, source_quotes(answer.citations), self.judge, self.bars())
        except ModelError as exc:
            state.notes.append(f"No yes or no: the claim verifier could not be loaded ({exc}).")
            return state
        answer.direct_answer = direct.answer
        answer.text = f"{direct_line(direct)}\n\n{answer.text}"
        state.timings["direct"] = time.perf_counter() - t
        return state

    def judge(self, pairs: list[tuple[str, str]]) -> list[dict[str, float]]:
        """The claim verifier's probabilities for (claim, evidence) pairs; the shipped model
        is loaded the first time a yes/no question needs it."""
        with self._judge_lock:
            if self._judge is None:
                from assistant.verifier import Verifier  # lazy: torch, only for yes/no questions

                self._judge = Verifier.load(settings=self.settings).predict
        return self._judge(pairs)

    def bars(self) -> Bars:
        """The verifier's dev-calibrated support and contradiction bars; none (never a yes
        or a no) when its calibration was not made for the weights there now."""
        with self._judge_lock:
            if self._bars is None:
                from assistant.verifier import load_calibration  # lazy: beside the judge

                data = load_calibration(self.settings) or {}
                self._bars = Bars(
                    support=float(data.get("support_threshold", 1.0)),
                    contradict=float(data.get("contradict_threshold", 1.0)),
                )
        return self._bars

    def _evidence_citation(self, verdict: ClaimVerdict, citations: list[Citation]) -> int | None:
        """The marker of the verdict's best evidence quote, added to `citations` if it is not
        cited yet, so the reason's quoted passage links to its source like any other quote."""
        if not verdict.evidence:
            return None
        e = verdict.evidence[0]
        for c in citations:
            if c.document == e.document and (c.start, c.end) == (e.start, e.end):
                return c.marker
        chunk = next(
            (
                c
                for c in self.retriever.index.chunks.rows(document=e.document)
                if c.start <= e.start and e.end <= c.end
            ),
            None,
        )
        if chunk is None:  # the index changed since the audit: no passage to link
            return None
        ev = Evidence(chunk=chunk, score=0.0, sentence=(e.start, e.end))
        citations.append(citation_of(len(citations) + 1, ev))
        return len(citations)

    def topic_stems(self) -> set[str]:
        """The content words of the indexed articles' titles: what every passage is about, so
        sharing them shows a passage is on-topic, not that it answers anything."""
        return self._per_build("topics", _title_stems)

    def _per_build(self, key: str, read: Any) -> Any:
        """``read(chunks)`` once per loaded build, not once per question: it scans every
        chunk, and a rebuild (a new index object) reads it again."""
        index = self.retriever.index
        cached = self._of_build.get(key)
        if cached is None or cached[0] is not index:
            cached = (index, read(index.chunks))
            self._of_build[key] = cached
        return cached[1]

    def _verdicts(self, ev: Evidence) -> list[ClaimVerdict]:
        if self.audit is None or ev.sentence is None:
            return []
        s, e = ev.sentence
        return [v for v in self.audit(s, e) if v.verdict != "supported"]

    # --- LLM -------------------------------------------------------------------------------------
    def _llm(self, state: AnswerState) -> Iterator[str]:
        cut = load_threshold(self.settings)  # the claim-level bar, not this index's decline bar
        support = grounded_in(self.retriever.similarity, cut, self.topic_stems())

        def model() -> Any:  # made inside the LLM step's guard: a failure falls back
            if self.chat_model is not None:
                return self.chat_model
            if state.engine == "local":
                return make_local_model(self.settings)
            return make_chat_model(self.settings)

        yield from generate_answer(state, self.settings, model, support)


def _title_stems(chunks: ChunkTable) -> set[str]:
    titles = {c.title for c in chunks.rows(kind="article")}
    return set().union(*(content_stems(t) for t in titles)) if titles else set()
