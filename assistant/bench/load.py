"""Load test: N concurrent chat sessions against a running page, through gradio_client.

Bounded in count and time: each session asks `per_session` questions (cycled from a list)
and the whole level stops at `time_limit` seconds; a request that has not finished by then
counts as hung. Reports throughput, latency p50/p95 and errors per concurrency level.
Only loopback URLs are accepted: this tool never loads anyone else's server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from assistant.bench.scale import markdown_table, percentile_ms
from assistant.errors import UsageError

DEFAULT_QUESTIONS = [
    "What does the article say about cortisol?",
    "Which inflammatory marker did the meta-analysis find magnesium lowered?",
    "What is the recommended dietary allowance of magnesium for women?",
    "Is magnesium deficiency common?",
    "What is the capital of France?",
]


def _check_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        raise UsageError(f"the load test only targets this machine (127.0.0.1), not {host!r}.")


def run_level(
    url: str,
    sessions: int,
    per_session: int,
    questions: list[str],
    time_limit: float,
) -> dict[str, Any]:
    from gradio_client import Client

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + time_limit

    def session(n: int) -> None:
        try:
            client = Client(url, verbose=False)
        except Exception as exc:  # the page is not there: one error for this session
            with lock:
                errors.append(f"connect: {type(exc).__name__}: {str(exc)[:120]}")
            return
        for i in range(per_session):
            if time.monotonic() > deadline:
                return
            question = questions[(n + i) % len(questions)]
            t0 = time.perf_counter()
            try:
                job = client.submit(question, [], "extractive", 6, api_name="/ask")
                chat, _box, _note = job.result(timeout=max(1.0, deadline - time.monotonic()))
                if "Could not answer" in str(chat) or "Unexpected error" in str(chat):
                    raise RuntimeError(f"error answer for {question!r}")
                with lock:
                    latencies.append(time.perf_counter() - t0)
            except Exception as exc:  # every failure is counted, none is fatal to the run
                with lock:
                    errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")

    t0 = time.perf_counter()
    threads = [threading.Thread(target=session, args=(n,), daemon=True) for n in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()) + 5)
    wall = time.perf_counter() - t0
    hung = sum(t.is_alive() for t in threads)
    return {
        "sessions": sessions,
        "requests": len(latencies) + len(errors),
        "ok": len(latencies),
        "errors": len(errors),
        "hung_sessions": hung,
        "wall_s": round(wall, 1),
        "throughput_rps": round(len(latencies) / wall, 2) if wall else 0.0,
        "p50_ms": percentile_ms(latencies, 50),
        "p95_ms": percentile_ms(latencies, 95),
        "error_samples": errors[:3],
    }


def run_load(
    url: str,
    levels: tuple[int, ...] = (1, 4, 16),
    per_session: int = 5,
    time_limit: float = 300.0,
    questions: list[str] | None = None,
    log: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    _check_loopback(url)
    rows = []
    for n in levels:
        row = run_level(url, n, per_session, questions or DEFAULT_QUESTIONS, time_limit)
        log(str(row))
        rows.append(row)
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    cols = [
        "sessions",
        "requests",
        "ok",
        "errors",
        "hung_sessions",
        "wall_s",
        "throughput_rps",
        "p50_ms",
        "p95_ms",
    ]
    return markdown_table(rows, cols)
