"""Corpus benchmark: how fast the product is on its own corpus, in one run.

Steps, each timed, on a copy of the sources in a work folder (the real index is not touched):
1. cold build: a new index from nothing (chunking, embedding, calibration of the decline
   threshold);
2. no-op build: nothing changed, nothing re-embedded;
3. incremental build: one reference's text gets a sentence appended; only it is re-embedded;
4. search latency, warm: every question of the eval set through hybrid search;
5. ask latency, warm: every question through the extractive engine;
6. cold start: `python -m assistant ask ... --json` in a fresh process (imports, model load,
   first answer), a few times.
Percentiles are over the questions of the question file (default eval/questions.jsonl).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from assistant.answer import AnswerEngine
from assistant.audit import audit_lookup, load_or_run_audit
from assistant.bench.timing import latencies, markdown_table, percentile_ms, timed_child
from assistant.errors import InputError
from assistant.evaluation import load_questions
from assistant.index import HybridRetriever, build_index, load_embedder
from assistant.settings import Settings

APPENDED = "\n\nThis sentence was appended by the corpus benchmark to change one document.\n"


def _edit_one_reference(sources: Path) -> str:
    """Append a sentence to the first reference text file found; return its name."""
    candidates = sorted((sources / "notes").glob("*.md")) if (sources / "notes").is_dir() else []
    candidates += sorted((sources / "added").glob("*")) if (sources / "added").is_dir() else []
    for path in candidates:
        if path.is_file() and path.suffix in {".md", ".txt"}:
            path.write_text(path.read_text(encoding="utf-8") + APPENDED, encoding="utf-8")
            return path.name
    raise InputError(f"no reference notes or added text under {sources} to edit for the benchmark")


def _cold_ask(settings: Settings, question: str) -> float:
    env = dict(os.environ)
    env.update(
        {
            "ASSISTANT_SOURCES_DIR": str(settings.sources_path),
            "ASSISTANT_INDEX_DIR": str(settings.index_path),
            # the settings that shape the index, or the new process finds it stale
            "ASSISTANT_EMBEDDING_MODEL": settings.embedding_model,
            "ASSISTANT_CHUNK_MAX_TOKENS": str(settings.chunk_max_tokens),
        }
    )
    command = [sys.executable, "-m", "assistant", "ask", question, "--json"]
    seconds, done = timed_child(command, env, timeout=300)
    if done.returncode != 0:
        raise InputError(f"cold `assistant ask` failed: {done.stderr.strip()[-400:]}")
    return seconds


def _build_row(name: str, r: Any) -> dict[str, Any]:
    """One build step's figures; r is the BuildReport build_index returned."""
    return {
        "build": name,
        "documents_re_embedded": len(r.added) + len(r.changed),
        "chunks_embedded": r.chunks_embedded,
        "chunks_total": r.chunks_total,
        "seconds": round(r.seconds, 2),
        "chunks_per_s": round(r.chunks_per_second, 1),
    }


def _latency_row(what: str, seconds: list[float]) -> dict[str, Any]:
    return {
        "what": what,
        "p50_ms": percentile_ms(seconds, 50),
        "p95_ms": percentile_ms(seconds, 95),
    }


def run_corpus_bench(
    settings: Settings,
    workdir: Path,
    *,
    questions: Path | None = None,
    cold_runs: int = 3,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Every step of the module docstring, on a copy of the sources in workdir."""
    qfile = questions or settings.eval_path / "questions.jsonl"
    asked = [q.turns[0].question for q in load_questions(qfile)]
    if workdir.exists():
        shutil.rmtree(workdir)
    sources = workdir / "sources"
    shutil.copytree(settings.sources_path, sources)
    s = settings.model_copy(update={"sources_dir": sources, "index_dir": workdir / "store"})
    embedder = load_embedder(s)

    log("cold build")
    cold = build_index(s, embedder=embedder)
    log("no-op build")
    noop = build_index(s, embedder=embedder)
    edited = _edit_one_reference(sources)
    log(f"incremental build after editing {edited}")
    incremental = build_index(s, embedder=embedder)

    retriever = HybridRetriever(s, embedder=embedder)
    retriever.search(asked[0], k=s.top_k)  # warm-up: first call loads BM25 and caches
    search = latencies(lambda q: retriever.search(q, k=s.top_k), asked)

    engine = AnswerEngine(
        s, retriever=retriever, audit=audit_lookup(s, load=partial(load_or_run_audit, s))
    )
    t0 = time.perf_counter()
    warmed = retriever.warm_sentences()  # as the page does at start-up
    warm_s = time.perf_counter() - t0
    engine.ask(asked[0])
    ask = latencies(engine.ask, asked)

    log(f"cold start x{cold_runs}")
    cold_ask = [_cold_ask(s, asked[i % len(asked)]) for i in range(cold_runs)]

    builds = [("cold", cold), ("no-op", noop), (f"incremental ({edited})", incremental)]
    latency = [
        _latency_row(f"search, warm ({len(search)} questions)", search),
        _latency_row(f"ask extractive, warm ({len(ask)} questions)", ask),
        _latency_row(f"ask, cold start in a new process ({len(cold_ask)} runs)", cold_ask),
    ]
    return {
        "builds": [_build_row(name, r) for name, r in builds],
        "warm_up": {"sentences_embedded": warmed, "seconds": round(warm_s, 2)},
        "latency": latency,
    }


def format_corpus_report(report: dict[str, Any]) -> str:
    builds = markdown_table(
        report["builds"],
        [
            "build",
            "documents_re_embedded",
            "chunks_embedded",
            "chunks_total",
            "seconds",
            "chunks_per_s",
        ],
    )
    latency = markdown_table(report["latency"], ["what", "p50_ms", "p95_ms"])
    w = report["warm_up"]
    warm = f"engine warm-up: {w['sentences_embedded']} sentences embedded in {w['seconds']} s"
    return f"{builds}\n\n{warm}\n\n{latency}"
