"""`assistant eval`: run the answer chain over a question set and score what comes back.

One run asks every question (follow-up conversations turn by turn, each turn seeing the answers
the engine really gave before) under one or two configurations, and scores per turn: retrieval
against gold passages, the answer's citations (ALCE precision/recall, judged by the trained
verifier when there is one), whether quotes stand verbatim at their spans, key facts, declines
and latency. The question-file format is in eval/README.md; figures and reports: eval_report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant.answer import AnswerEngine, Turn, retrieval_query
from assistant.audit import audit_lookup, load_or_run_audit
from assistant.errors import AssistantError, ModelError, UsageError
from assistant.evaluation.metrics import (
    Supports,
    alce_scores,
    answer_body,
    answer_statements,
    contains,
    fact_present,
    find_spans,
    overlap_supports,
    overlaps,
    quote_faithful,
    recall_at_k,
    reciprocal_rank,
)
from assistant.evaluation.questions import EvalQuestion, EvalTurn, check_gold, load_questions
from assistant.evaluation.report import by_category, summarize
from assistant.index import HybridRetriever
from assistant.settings import Settings
from assistant.sources import load_corpus
from assistant.text import normalize
from assistant.types import Document, Evidence
from assistant.verifier import Verifier

MODES = ("hybrid", "dense", "bm25")
ENGINES = ("extractive", "llm", "local")
RANK_DEPTH = 10  # MRR is computed over the top 10 of the ranked search
Span = tuple[int, int]


# --- configurations ---------------------------------------------------------------------------
@dataclass
class Config:
    name: str
    settings: Settings
    mode: str
    engine: str
    overrides: dict[str, str]


def parse_overrides(items: Sequence[str]) -> dict[str, str]:
    """KEY=VALUE strings -> dict; keys are `mode`, `engine` or any Settings field."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise UsageError(f"--compare takes KEY=VALUE (e.g. mode=dense), not {item!r}.")
        if key not in ("mode", "engine") and key not in Settings.model_fields:
            raise UsageError(
                f"--compare: unknown key {key!r}. Use mode (hybrid|dense|bm25), engine "
                "(extractive|llm) or a setting such as top_k, rrf_k, per_document_max."
            )
        out[key] = value.strip()
    return out


def make_config(base: Settings, overrides: dict[str, str], engine: str | None, name: str) -> Config:
    mode = overrides.get("mode", "hybrid")
    chosen = overrides.get("engine", engine or base.engine)
    if mode not in MODES:
        raise UsageError(f"mode must be one of {', '.join(MODES)}, not {mode!r}.")
    if chosen not in ENGINES:
        raise UsageError(f"engine must be one of {', '.join(ENGINES)}, not {chosen!r}.")
    fields = {k: v for k, v in overrides.items() if k not in ("mode", "engine")}
    settings = base
    if fields:
        try:  # model_validate checks types without re-reading the environment
            settings = type(base).model_validate({**base.model_dump(), **fields})
        except ValueError as exc:
            raise UsageError(f"--compare {fields}: invalid setting ({exc}).") from exc
    return Config(name, settings, mode, chosen, dict(overrides))


# --- seams: a retriever held to one mode, an engine that shows what it retrieved -----------------
class ModeRetriever:
    """Delegates to a HybridRetriever but searches in one fixed mode (hybrid, dense or bm25)."""

    def __init__(self, inner: HybridRetriever, mode: str) -> None:
        self._inner = inner
        self.mode = mode

    def search(
        self,
        query: str,
        k: int | None = None,
        source: Any = "all",
        mode: Any = None,
        exclude_documents: Any = (),
    ) -> list[Evidence]:
        return self._inner.search(
            query,
            k=k,
            source=source,
            mode=self.mode,  # type: ignore[arg-type]
            exclude_documents=exclude_documents,
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class RecordingEngine(AnswerEngine):
    """The product's AnswerEngine, remembering the passages its last answer could draw on."""

    last_passages: list[Evidence] = []  # noqa: RUF012 - replaced per call, never mutated

    def _retrieve(self, state: Any) -> Any:
        state = super()._retrieve(state)
        self.last_passages = list(state.passages)
        return state


# --- the judge of citation support --------------------------------------------------------------
class Judge:
    """Decides whether evidence entails a statement, for the ALCE citation metrics.

    A statement that stands verbatim (normalized) in its cited evidence is entailed by
    definition. Any other statement goes to the model: the trained verifier (support is its most
    probable label: a decision a calibration temperature cannot move, as it would a fixed
    probability bar), or, when none is trained, the token-overlap fallback. The
    verifier is also asked about the verbatim statements, never to decide them but to report
    how often it agrees on these certain cases: a sanity figure for the verifier itself.
    """

    def __init__(self, name: str, model: Supports, is_verifier: bool) -> None:
        self.name = name
        self.model = model
        self.is_verifier = is_verifier
        self.verbatim = 0
        self.verbatim_model_agrees = 0
        self._cache: dict[tuple[str, str], bool] = {}

    def __call__(self, statement: str, evidence: str) -> bool:
        key = (statement, evidence)
        if key not in self._cache:
            verbatim = bool(normalize(statement)) and normalize(statement) in normalize(evidence)
            verdict = (
                self.model(statement, evidence) if (self.is_verifier or not verbatim) else True
            )
            if verbatim:
                self.verbatim += 1
                self.verbatim_model_agrees += int(verdict)
            self._cache[key] = verbatim or verdict
        return self._cache[key]

    def sanity(self) -> dict[str, Any]:
        agree = self.verbatim_model_agrees / self.verbatim if self.verbatim else None
        return {
            "verbatim_statements": self.verbatim,
            "model_agrees_on_verbatim": agree if self.is_verifier else None,
        }


def load_judge(settings: Settings, use_verifier: bool = True) -> Judge:
    """The trained verifier when it loads, else the named token-overlap fallback."""
    verifier = None
    if use_verifier:
        try:
            verifier = Verifier.load(settings=settings)
        except (ModelError, ImportError):
            verifier = None
    if verifier is None:
        name = "verbatim rule, else token-overlap fallback (no trained verifier used)"
        return Judge(name, overlap_supports, is_verifier=False)

    def supports(statement: str, evidence: str) -> bool:
        scores = verifier.predict([(statement, evidence)])[0]
        return max(scores, key=lambda label: scores[label]) == "support"

    name = "verbatim rule, else the verifier (support its most probable label)"
    return Judge(name, supports, is_verifier=True)


# --- scoring one turn -----------------------------------------------------------------------------
def gold_spans(turn: EvalTurn, documents: dict[str, Document]) -> list[tuple[str, list[Span]]]:
    return [(g.document, find_spans(documents[g.document].text, g.quote)) for g in turn.passages]


def passage_hits(
    evidence: Sequence[Evidence], gold: list[tuple[str, list[Span]]]
) -> list[set[str]]:
    """Per retrieved chunk, the gold passages (by index) whose quote span it contains."""
    out = []
    for ev in evidence:
        c = ev.chunk
        out.append(
            {
                str(i)
                for i, (doc, spans) in enumerate(gold)
                if doc == c.document_id and any(contains((c.start, c.end), s) for s in spans)
            }
        )
    return out


def score_turn(
    row: dict,
    turn: EvalTurn,
    answer: Any,
    ranked: Sequence[Evidence],
    context: Sequence[Evidence],
    documents: dict[str, Document],
    supports: Supports,
    ks: Sequence[int],
) -> dict:
    gold = gold_spans(turn, documents)
    n_gold = len(gold)
    if n_gold:
        hits = passage_hits(ranked, gold)
        for k in ks:
            row[f"recall@{k}"] = recall_at_k(hits, n_gold, k)
        row["rr"] = reciprocal_rank(hits, RANK_DEPTH)
        found: set[str] = set().union(*passage_hits(context, gold)) if context else set()
        row["context_recall"] = len(found) / n_gold
        cited = {
            str(i)
            for i, (doc, spans) in enumerate(gold)
            for c in answer.citations
            if c.document == doc and any(overlaps((c.start, c.end), s) for s in spans)
        }
        row["cited_gold"] = len(cited) / n_gold
    if turn.facts:
        text = "" if answer.declined else answer_body(answer.text)
        row["facts_found"] = [f for f in turn.facts if fact_present(f, text)]
        row["fact_coverage"] = len(row["facts_found"]) / len(turn.facts)
        first = text.strip().split("\n\n", 1)[0]  # the answer's first line (paragraph)
        row["fact_first_line"] = sum(fact_present(f, first) for f in turn.facts) / len(turn.facts)
    if turn.direct:
        row["direct_expected"] = "|".join(turn.direct)
        row["direct_answer"] = answer.direct_answer
        row["direct_right"] = answer.direct_answer in turn.direct
    row["warnings"] = 0 if answer.declined else len(answer.beyond_sources)
    asked = [s for doc, spans in gold if documents[doc].kind == "article" for s in spans]
    if asked and not answer.declined:  # the article passages the question is about
        row["warnings_on_asked"] = sum(
            any(overlaps(v.span, s) for s in asked) for v in answer.beyond_sources
        )
    row["citations"] = len(answer.citations)
    row["quotes_faithful"] = sum(quote_faithful(c, documents) for c in answer.citations)
    if not answer.declined:
        statements, uncited = answer_statements(answer)
        alce = alce_scores(statements, supports)
        row.update(
            statements=alce.statements,
            uncited=uncited,
            citation_recall=alce.recall,
            citation_precision=alce.precision,
            alce=alce.details,
        )
    return row


# --- running -------------------------------------------------------------------------------------
def _engine_for(config: Config) -> RecordingEngine:
    """A fresh retriever per configuration: sentence vectors cached while answering for one
    configuration must not make the next one look faster."""
    inner = HybridRetriever(config.settings)
    engine = RecordingEngine(
        config.settings,
        ModeRetriever(inner, config.mode),  # type: ignore[arg-type]
        audit=audit_lookup(
            config.settings, load=partial(load_or_run_audit, config.settings, inner)
        ),
    )
    if engine.audit is not None:
        engine.audit(0, 0)  # load (or run) the claim audit now, not inside a timed answer
    inner.warm_sentences()  # as the page does at start-up: latencies are of warm answers
    return engine


def run_config(
    config: Config,
    questions: Sequence[EvalQuestion],
    documents: dict[str, Document],
    supports: Supports,
    *,
    progress: Callable[[], None] | None = None,
) -> list[dict]:
    engine = _engine_for(config)
    ks = sorted({1, 3, config.settings.top_k})
    if questions:  # one unscored warm-up ask: latencies below are warm
        engine.ask(questions[0].turns[0].question, engine=config.engine)
    rows = []
    for q in questions:
        history: list[Turn] = []
        for n, turn in enumerate(q.turns, start=1):
            row: dict[str, Any] = {
                "id": q.id if len(q.turns) == 1 else f"{q.id}#{n}",
                "question_id": q.id,
                "turn": n,
                "split": q.split,
                "category": q.category,
                "question": turn.question,
                "must_decline": turn.must_decline,
                "gold_passages": len(turn.passages),
                "facts": len(turn.facts),
            }
            try:
                started = time.perf_counter()
                answer = engine.ask(turn.question, history=history, engine=config.engine)
                row["latency"] = time.perf_counter() - started
                if "first_token" in answer.timings:  # a language model wrote
                    row["first_token"] = answer.timings["first_token"]
                query = retrieval_query(turn.question, history)
                ranked = engine.retriever.search(query, k=max(RANK_DEPTH, *ks), source="all")
                row.update(
                    declined=answer.declined,
                    engine_used=answer.engine,
                    answer=answer.text,
                    notes=answer.notes,
                )
                score_turn(row, turn, answer, ranked, engine.last_passages, documents, supports, ks)
                history.append(Turn(turn.question, answer.text))
            except AssistantError as exc:
                row["error"] = f"{type(exc).__name__}: {exc}"
                history.append(Turn(turn.question, ""))
            rows.append(row)
            if progress:
                progress()
    return rows


def run_eval(
    settings: Settings,
    *,
    questions_path: Path | None = None,
    engine: str | None = None,
    compare: Sequence[str] = (),
    split: str = "all",
    use_verifier: bool = True,
    progress: bool = False,
) -> dict[str, Any]:
    """Load and check the questions, run one or two configurations, return the report dict."""
    path = questions_path or settings.eval_path / "questions.jsonl"
    questions = load_questions(path, split=split)
    documents = {d.id: d for d in load_corpus(settings)}
    check_gold(questions, documents, path)
    base = make_config(settings, {}, engine, "baseline")
    base.name = f"baseline ({base.mode}, {base.engine})"
    configs = [base]
    if compare:
        overrides = parse_overrides(compare)
        label = ", ".join(f"{k}={v}" for k, v in overrides.items())
        configs.append(make_config(settings, overrides, engine, label))
    judge = load_judge(settings, use_verifier)
    turns = sum(len(q.turns) for q in questions)
    bar = None
    if progress:
        bar = tqdm(total=turns * len(configs), desc="eval", unit="question")
    started = time.perf_counter()
    runs = []
    try:
        for config in configs:
            rows = run_config(
                config,
                questions,
                documents,
                judge,
                progress=bar.update if bar else None,
            )
            top_k = config.settings.top_k
            runs.append(
                {
                    "name": config.name,
                    "mode": config.mode,
                    "engine": config.engine,
                    "overrides": config.overrides,
                    "top_k": top_k,
                    "summary": summarize(rows, top_k),
                    "by_category": by_category(rows, top_k),
                    "items": rows,
                }
            )
    finally:
        if bar:
            bar.close()
    return {
        "questions_file": str(path),
        "split": split,
        "questions": len(questions),
        "turns": turns,
        "judge": judge.name,
        "judge_sanity": judge.sanity(),
        "seconds": time.perf_counter() - started,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "runs": runs,
    }
