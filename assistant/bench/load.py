"""Load test: N concurrent chat sessions against a running page, through gradio_client.

Bounded in count and time: each session asks `per_session` questions (cycled from a list)
and the whole level stops at `time_limit` seconds. Every planned request ends up counted once:
ok, an error (a failed connection counts for the session's first request), hung (still in
flight when the level ended) or not run (never started: the deadline had passed or the
session could not connect). Reports throughput, latency p50/p95 and those counts per
concurrency level; `run_load` fails unless every request of every level was answered.
Only loopback URLs are accepted: this tool never loads anyone else's server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from assistant.bench.timing import markdown_table, percentile_ms
from assistant.errors import AssistantError, UsageError

ClientFactory = Callable[[str], Any]  # url -> an object with gradio_client.Client's submit()
GRACE_S = 5.0  # how long past the deadline a session may take to notice it and stop
# gradio_client's own HTTP calls (the page's config, each request) otherwise give up after
# httpx's 5 s: a page busy loading its models on 2 cores took longer, and one session of a
# load test counted a connection error against a page that went on to answer everyone
CLIENT_TIMEOUT_S = 120.0

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


def page_client(url: str) -> Any:
    """A gradio_client.Client for the page at url, patient with a page still warming up."""
    from gradio_client import Client  # lazy: gradio's client only for `bench load`

    return Client(url, verbose=False, httpx_kwargs={"timeout": CLIENT_TIMEOUT_S})


@dataclass
class _Tally:
    """What the sessions of one level did, request by request (guarded by `lock`)."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    in_flight: set[int] = field(default_factory=set)  # sessions with a request running
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, session: int) -> None:
        with self.lock:
            self.in_flight.add(session)

    def done(self, session: int, latency: float | None = None, error: str = "") -> None:
        with self.lock:
            self.in_flight.discard(session)
            if error:
                self.errors.append(error)
            else:
                self.latencies.append(latency or 0.0)

    def snapshot(self) -> tuple[list[float], list[str], int]:
        with self.lock:
            return list(self.latencies), list(self.errors), len(self.in_flight)


def _ask(client: Any, question: str, deadline: float) -> None:
    """One request; raises when it fails or the page answers with an error."""
    job = client.submit(question, [], "extractive", 6, api_name="/ask")
    chat, _box, _note = job.result(timeout=max(1.0, deadline - time.monotonic()))
    for said in ("Could not answer", "Unexpected error"):
        if said in str(chat):  # what the page said, for the report's error samples
            why = str(chat)[str(chat).index(said) :]
            raise RuntimeError(f"error answer for {question!r}: {why[:160]}")


def _session(
    n: int,
    connect: ClientFactory,
    url: str,
    per_session: int,
    questions: list[str],
    deadline: float,
    tally: _Tally,
) -> None:
    """Session n: connect, then ask until done or past the deadline (the rest are not run)."""
    if per_session <= 0:
        return
    tally.start(n)  # the first request is in flight from the connection on
    try:
        client = connect(url)
    except Exception as exc:  # the page is not there: the first request failed
        tally.done(n, error=f"connect: {type(exc).__name__}: {str(exc)[:120]}")
        return
    for i in range(per_session):
        if i:
            if time.monotonic() > deadline:
                return
            tally.start(n)
        question = questions[(n + i) % len(questions)]
        t0 = time.perf_counter()
        try:
            _ask(client, question, deadline)
            tally.done(n, latency=time.perf_counter() - t0)
        except Exception as exc:  # every failure is counted, none is fatal to the run
            tally.done(n, error=f"{type(exc).__name__}: {str(exc)[:240]}")


def run_level(
    url: str | list[str],
    sessions: int,
    per_session: int,
    questions: list[str],
    time_limit: float,
    *,
    connect: ClientFactory | None = None,
) -> dict[str, Any]:
    """One concurrency level; ok + errors + hung_sessions + not_run == requests. `connect`
    makes a session's client (default: gradio_client's). Several URLs (replicas of one page)
    take the sessions in turn."""
    urls = [url] if isinstance(url, str) else list(url)
    tally = _Tally()
    deadline = time.monotonic() + time_limit
    t0 = time.perf_counter()
    rest = (per_session, questions, deadline, tally)
    threads = [
        threading.Thread(
            target=_session,
            args=(n, connect or page_client, urls[n % len(urls)], *rest),
            daemon=True,
        )
        for n in range(sessions)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()) + GRACE_S)
    wall = time.perf_counter() - t0
    latencies, errors, hung = tally.snapshot()  # a hung request finishing later is not counted
    planned = sessions * per_session
    return {
        "sessions": sessions,
        "requests": planned,
        "ok": len(latencies),
        "errors": len(errors),
        "hung_sessions": hung,  # each holds one request in flight
        "not_run": planned - len(latencies) - len(errors) - hung,
        "wall_s": round(wall, 1),
        "throughput_rps": round(len(latencies) / wall, 2) if wall else 0.0,
        "p50_ms": percentile_ms(latencies, 50),
        "p95_ms": percentile_ms(latencies, 95),
        "error_samples": errors[:3],
    }


def incomplete(row: dict[str, Any]) -> int:
    """How many of the level's requests were not answered: failed, hung or not run."""
    return row["errors"] + row["hung_sessions"] + row["not_run"]


def run_load(
    url: str | list[str],
    levels: tuple[int, ...] = (1, 4, 16),
    per_session: int = 5,
    time_limit: float = 300.0,
    questions: list[str] | None = None,
    log: Callable[[str], None] = print,
    *,
    connect: ClientFactory | None = None,
) -> list[dict[str, Any]]:
    """Every level in turn. Raises AssistantError (after logging the table) when any request
    failed, hung or was not run: a load test that did not do its work has not passed."""
    for one in [url] if isinstance(url, str) else url:
        _check_loopback(one)
    rows = []
    for n in levels:
        row = run_level(
            url, n, per_session, questions or DEFAULT_QUESTIONS, time_limit, connect=connect
        )
        log(str(row))
        rows.append(row)
    failed = [r for r in rows if incomplete(r)]
    if failed:
        log(format_table(rows))
        raise AssistantError(
            "the load test did not get every answer: "
            + "; ".join(
                f"{r['sessions']} sessions: {r['errors']} failed, {r['hung_sessions']} hung, "
                f"{r['not_run']} not run of {r['requests']}"
                for r in failed
            )
            + ". Check the page's log for errors; if requests were not run, raise --time-limit "
            "or lower --levels or --per-session."
        )
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    cols = [
        "sessions",
        "requests",
        "ok",
        "errors",
        "hung_sessions",
        "not_run",
        "wall_s",
        "throughput_rps",
        "p50_ms",
        "p95_ms",
    ]
    return markdown_table(rows, cols)
