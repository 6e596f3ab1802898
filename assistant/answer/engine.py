"""Answer a question with quoted, verified citations.

The chain (LangChain runnables, one step per stage):

    retrieve -> select evidence -> compose (extractive) -> [LLM writes, verify] -> Answer

(one LCEL RunnableSequence, `AnswerEngine.chain`; its last step streams)

The extractive engine needs no LLM: it quotes the best evidence sentences, grouped as what the
article says and what its sources say. The LLM engine writes prose from the same numbered
passages; if its answer fails verification, errors or times out, the extractive answer is
returned instead, with a note saying so.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from langchain_core.runnables import RunnableGenerator, RunnableLambda

from assistant.answer.verify import MARKER, verify_answer
from assistant.errors import InputError
from assistant.index import HybridRetriever, load_threshold
from assistant.settings import Settings
from assistant.text import content_stems
from assistant.types import PROVENANCE_LABELS, Answer, Citation, ClaimVerdict, Evidence

DECLINE_TEXT = "The article and its sources do not cover this question."
# Streamed between a model's answer that failed (verification, error, time-out) and the
# extractive answer that replaces it, so whoever shows the stream as it comes says so.
NOT_KEPT = "\n\n--- not verified, so not kept; the extractive answer: ---\n\n"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_REFERRING = re.compile(r"\b(it|its|that|this|these|those|they|them|same|such|above)\b", re.I)

AuditLookup = Callable[[int, int], list[ClaimVerdict]]  # article span -> verdicts touching it


@dataclass
class Turn:
    question: str
    answer: str = ""


def clean_question(question: str, max_chars: int) -> str:
    """Strip control characters and surrounding space; refuse empty or over-long input."""
    if not isinstance(question, str):
        raise InputError("the question must be text.")
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", question)).strip()
    if not text:
        raise InputError("the question is empty: type a question about the article.")
    if len(text) > max_chars:
        raise InputError(
            f"the question is {len(text)} characters long; the limit is {max_chars}. Shorten it."
        )
    return text


def retrieval_query(question: str, history: Sequence[Turn]) -> str:
    """A follow-up that leans on the conversation ("is that supported?") borrows the previous
    question's words for retrieval."""
    if not history:
        return question
    words = re.findall(r"\w+", question)
    if len(words) <= 6 or _REFERRING.search(question):
        return f"{history[-1].question} {question}"
    return question


@dataclass
class _State:
    question: str
    history: Sequence[Turn]
    engine: str
    query: str = ""
    article: list[tuple[Evidence, float]] = field(default_factory=list)
    sources: list[tuple[Evidence, float]] = field(default_factory=list)
    passages: list[Evidence] = field(default_factory=list)
    answer: Answer | None = None
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)


def _label(ev: Evidence) -> str:
    c = ev.chunk
    if c.kind == "article":
        return "Article"
    who = f"Reference {c.reference}" if c.reference is not None else c.title
    if c.provenance != "full_text":
        who += f" ({PROVENANCE_LABELS[c.provenance]})"
    return who


def _citation(marker: int, ev: Evidence) -> Citation:
    c = ev.chunk
    start, end = ev.sentence or (c.start, c.end)
    return Citation(
        marker=marker,
        document=c.document_id,
        reference=c.reference if c.kind == "reference" and c.reference is not None else "article",
        title=c.title,
        section=" > ".join(c.section),
        start=start,
        end=end,
        quote=ev.quote,
        provenance=c.provenance,
        url=c.url,
        notice=c.notice,
        passage=c.text,
    )


def _pick(
    scored: list[tuple[Evidence, float]], threshold: float, most: int, per_doc: int
) -> list[tuple[Evidence, float]]:
    chosen: list[tuple[Evidence, float]] = []
    seen: set[tuple[int, int]] = set()
    per: dict[str, int] = {}
    for ev, sim in scored:
        doc = ev.chunk.document_id
        if sim < threshold or ev.sentence in seen or per.get(doc, 0) >= per_doc:
            continue
        chosen.append((ev, sim))
        seen.add(ev.sentence)  # type: ignore[arg-type]
        per[doc] = per.get(doc, 0) + 1
        if len(chosen) == most:
            break
    return chosen


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
    ) -> None:
        self.settings = settings
        self.retriever = retriever or HybridRetriever(settings)
        self.chat_model = chat_model
        self.audit = audit
        self._threshold = threshold
        # The whole chain: retrieve -> select -> compose (extractive) -> write and verify
        # (the LLM, when asked for; it streams) -> the Answer, last.
        self.chain = (
            RunnableLambda(self._retrieve)
            | RunnableLambda(self._select)
            | RunnableLambda(self._compose)
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
        state = _State(question=text, history=history, engine=engine or self.settings.engine)
        yield from self.chain.stream(state)

    def _finish(self, states: Iterator[_State]) -> Iterator[str | Answer]:
        """The chain's last, streaming step: the LLM writes (and is verified) when asked for,
        the extractive answer streams by lines otherwise, then the final Answer."""
        for state in states:
            wrote = False
            if state.engine == "llm" and state.answer is not None and not state.answer.declined:
                for piece in self._llm(state):
                    wrote = True
                    yield piece
            assert state.answer is not None
            if state.answer.engine == "extractive":
                if wrote:  # the model's words already went out: say they were not kept
                    yield NOT_KEPT
                yield from state.answer.text.splitlines(keepends=True)
            state.answer.timings = {
                **state.timings,
                "total": time.perf_counter() - state.started,
            }
            state.answer.notes = state.notes + state.answer.notes
            yield state.answer

    # --- stages --------------------------------------------------------------------------------
    def _retrieve(self, state: _State) -> _State:
        t = time.perf_counter()
        self.retriever.refresh()
        state.query = retrieval_query(state.question, state.history)
        k = self.settings.top_k
        article = self.retriever.search(state.query, k=max(2, k // 2), source="article")
        sources = self.retriever.search(state.query, k=max(2, k - k // 2), source="references")
        state.passages = article + sources
        state.timings["retrieve"] = time.perf_counter() - t
        return state

    def _select(self, state: _State) -> _State:
        t = time.perf_counter()
        scored = self.retriever.best_sentences(
            state.query, state.passages, per_chunk=2, ranking=self.settings.sentence_ranking
        )
        scored = [p for p in scored if not is_keyword_line(p[0])]
        state.article = [p for p in scored if p[0].chunk.kind == "article"]
        state.sources = [p for p in scored if p[0].chunk.kind != "article"]
        state.timings["select"] = time.perf_counter() - t
        return state

    def _compose(self, state: _State) -> _State:
        t = time.perf_counter()
        state.answer = self.compose_extractive(state)
        state.timings["compose"] = time.perf_counter() - t
        return state

    # --- extractive ------------------------------------------------------------------------------
    def compose_extractive(self, state: _State) -> Answer:
        th = self.threshold
        article = _pick(state.article, th, most=2, per_doc=2)
        # a bibliographic record is not what a paper says: it is never quoted as a source
        records = [p for p in state.sources if p[0].chunk.provenance == "metadata_only"]
        texts = [p for p in state.sources if p[0].chunk.provenance != "metadata_only"]
        sources = _pick(texts, th, most=3, per_doc=2)
        unread = sorted({ev.chunk.reference for ev, _ in _pick(records, th, 3, 1)} - {None})
        best = max([s for _, s in state.article + state.sources], default=0.0)
        if not article and not sources:
            return Answer(
                question=state.question,
                text=DECLINE_TEXT,
                declined=True,
                confidence=best,
                notes=[f"best evidence similarity {best:.2f} is below the threshold {th:.2f}"],
            )
        citations: list[Citation] = []
        lines: list[str] = []
        beyond: list[ClaimVerdict] = []
        claim_marker: dict[tuple[int, int], int] = {}  # verdict span -> its article quote
        if article:
            lines.append("**What the article says**")
            for ev, _ in article:
                citations.append(_citation(len(citations) + 1, ev))
                lines.append(f'- "{ev.quote}" [{len(citations)}]')
                for v in self._verdicts(ev):
                    beyond.append(v)
                    claim_marker.setdefault(v.span, len(citations))
        lines.append("**What its sources say**")
        if sources:
            for ev, _ in sources:
                citations.append(_citation(len(citations) + 1, ev))
                lines.append(f'- {_label(ev)}: "{ev.quote}" [{len(citations)}]')
        else:
            lines.append("- None of the article's references addresses this directly.")
        for number in unread:
            lines.append(
                f"- Reference {number}: only its bibliographic record is available here, so "
                "what the paper says cannot be quoted (`assistant fetch` gets its text)."
            )
        beyond = _unique(beyond)
        if beyond:
            lines.append("**Beyond the sources**")
            for v in beyond:
                marks = f" [{claim_marker[v.span]}]" if v.span in claim_marker else ""
                evidence = self._evidence_citation(v, citations)
                cited = f" [{evidence}]" if evidence else ""
                lines.append(f'- "{_short(v.claim)}"{marks}: {v.verdict}. {v.reason}{cited}')
        lines.append("")
        lines.extend(source_lines(citations))
        wanted = content_stems(state.question) - self.topic_stems()
        headline = _headline(
            _direct(wanted, article), _direct(wanted, sources), bool(article), beyond
        )
        return Answer(
            question=state.question,
            text=headline + "\n\n" + "\n".join(lines),
            declined=False,
            citations=citations,
            beyond_sources=beyond,
            engine="extractive",
            confidence=best,
        )

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
                for c in self.retriever.chunks.values()
                if c.document_id == e.document and c.start <= e.start and e.end <= c.end
            ),
            None,
        )
        if chunk is None:  # the index changed since the audit: no passage to link
            return None
        ev = Evidence(chunk=chunk, score=0.0, sentence=(e.start, e.end))
        citations.append(_citation(len(citations) + 1, ev))
        return len(citations)

    def topic_stems(self) -> set[str]:
        """The content words of the indexed articles' titles: what every passage is about, so
        sharing them shows a passage is on-topic, not that it answers anything."""
        titles = {c.title for c in self.retriever.index.chunks if c.kind == "article"}
        return set().union(*(content_stems(t) for t in titles)) if titles else set()

    def _verdicts(self, ev: Evidence) -> list[ClaimVerdict]:
        if self.audit is None or ev.sentence is None:
            return []
        s, e = ev.sentence
        return [v for v in self.audit(s, e) if v.verdict != "supported"]

    # --- LLM -------------------------------------------------------------------------------------
    def _llm(self, state: _State) -> Iterator[str]:
        from assistant.answer.llm import generate_answer

        yield from generate_answer(self, state)


def _direct(wanted: set[str], quoted: list[tuple[Evidence, float]]) -> bool:
    """Do the quotes (already above the corpus's calibrated relevance bar) address the
    question itself, not just its neighbourhood? Together they must hold at least half of
    `wanted`, the question's own content words (those beyond the article's topic words): a
    question on sleep answered with passages on circulation shares "magnesium" and little else.
    """
    if not quoted:
        return False
    if not wanted:
        return True
    held = set().union(*(content_stems(ev.quote) for ev, _ in quoted))
    return len(wanted & held) >= len(wanted) / 2


_KEYWORDS = re.compile(r"^\W*key\s?words?\b", re.I)


def is_keyword_line(ev: Evidence) -> bool:
    """A paper's keyword list ("Keywords: stress; magnesium; ...") names topics; it states
    nothing, so it is never quoted as what a source says."""
    in_section = any(_KEYWORDS.match(title) for title in ev.chunk.section)
    return in_section or bool(_KEYWORDS.match(ev.quote))


def _unique(verdicts: list[ClaimVerdict]) -> list[ClaimVerdict]:
    seen: set[tuple[int, int]] = set()
    out = []
    for v in verdicts:
        if v.span not in seen:
            seen.add(v.span)
            out.append(v)
    return out


def _short(text: str, most: int = 160) -> str:
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def _headline(
    article_direct: bool, sources_direct: bool, article_quoted: bool, beyond: list[ClaimVerdict]
) -> str:
    """One line that says what the quotes below show, claiming no more than they do.

    "Direct" quotes address the question itself (AnswerEngine._direct); other quotes are only
    the closest passages, and the headline says so rather than "the article says this"."""
    kinds = ", ".join(sorted({v.verdict for v in beyond}))
    if beyond and article_direct:
        return f"The article says this, but its sources do not back it as stated ({kinds})."
    if beyond:
        return (
            "The article does not say this in so many words; its closest passages make claims "
            f"its sources do not back as stated ({kinds})."
        )
    if article_direct and sources_direct:
        return "Here is what the article says, and what its sources say."
    if article_direct:
        return "The article says this; none of its references addresses it directly."
    if sources_direct:
        return "The article does not address this directly; its sources say:"
    if article_quoted:
        return "Neither the article nor its sources address this directly; the closest passages:"
    return "The article does not address this directly; the closest passages of its sources:"


def source_lines(citations: list[Citation]) -> list[str]:
    lines = ["Sources:"]
    for c in citations:
        who = "Article" if c.reference == "article" else f"Reference {c.reference}"
        if c.provenance != "full_text":
            who += f" ({PROVENANCE_LABELS[c.provenance]})"
        where = f" > {c.section}" if c.section else ""
        link = f" — {c.url}" if c.url and c.reference != "article" else ""
        lines.append(f"[{c.marker}] {who}{where}{link}")
    return lines


def strip_markers(text: str) -> str:
    return MARKER.sub("", text)


def verdict_to_dict(v: ClaimVerdict) -> dict[str, Any]:
    return {
        "claim": v.claim,
        "span": list(v.span),
        "section": v.section,
        "cited": v.cited,
        "reference": v.reference,
        "verdict": v.verdict,
        "reason": v.reason,
        "evidence": [asdict(e) for e in v.evidence],
    }


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    """The JSON shape of `assistant ask --json`."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "declined": answer.declined,
        "engine": answer.engine,
        "confidence": None if answer.confidence is None else round(answer.confidence, 4),
        "citations": [
            {
                "marker": c.marker,
                "document": c.document,
                "reference": c.reference,
                "title": c.title,
                "section": c.section,
                "quote": c.quote,
                "start": c.start,
                "end": c.end,
                "provenance": c.provenance,
                "notice": c.notice,
                "url": c.url,
            }
            for c in answer.citations
        ],
        "beyond_sources": [verdict_to_dict(v) for v in answer.beyond_sources],
        "notes": answer.notes,
        "timings": {k: round(v, 4) for k, v in answer.timings.items()},
    }


__all__ = [
    "DECLINE_TEXT",
    "AnswerEngine",
    "Turn",
    "clean_question",
    "retrieval_query",
    "verify_answer",
]
