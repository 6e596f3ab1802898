"""The load test tool: its accounting with a stand-in client (every planned request is counted
once), and against a real page on 127.0.0.1: bounded, and it counts every failure."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from conftest import RunCli, free_port, private_copy

import assistant.bench.load as load
from assistant.bench.load import format_table, run_level, run_load
from assistant.errors import AssistantError, UsageError
from assistant.settings import Settings

Step = float | str  # seconds to take before answering, "error" (an error answer) or "block"


class _Job:
    def __init__(self, step: Step, release: threading.Event) -> None:
        self.step, self.release = step, release

    def result(self, timeout: float) -> tuple[str, None, None]:
        if self.step == "block":  # never answers until the test releases it
            self.release.wait()
        elif isinstance(self.step, float):
            time.sleep(self.step)  # slow, and answers even when past the timeout
        if self.step == "error":
            return "Could not answer: the index is missing", None, None
        return "an answer", None, None


def _clients(*scripts: list[Step] | None) -> tuple[Callable[[str], Any], threading.Event]:
    """A gradio_client.Client stand-in: the k-th connection plays scripts[k], one step per
    request (None: the connection fails). Totals do not depend on which session gets which."""
    release, lock, queue = threading.Event(), threading.Lock(), list(scripts)

    class Client:
        def __init__(self, steps: list[Step]) -> None:
            self.steps = iter(steps)

        def submit(self, *args: Any, **kwargs: Any) -> _Job:
            return _Job(next(self.steps, 0.0), release)

    def connect(url: str) -> Client:
        with lock:
            steps = queue.pop(0)
        if steps is None:
            raise ConnectionError("connection refused")
        return Client(steps)

    return connect, release


def test_requests_left_after_the_deadline_count_as_not_run() -> None:
    # Each session's second request answers well after the deadline; the two after it are
    # never sent. Nothing failed or hung, yet half the work was not done.
    connect, _ = _clients([0.0, 1.5], [0.0, 1.5])
    row = run_level("http://127.0.0.1:1/", 2, 4, ["q"], time_limit=1.0, connect=connect)
    assert (row["ok"], row["errors"], row["hung_sessions"], row["not_run"]) == (4, 0, 0, 4)
    assert row["requests"] == 8 and "not_run" in format_table([row])
    connect, _ = _clients([0.0, 1.5])
    with pytest.raises(AssistantError, match="0 failed, 0 hung, 2 not run of 4"):
        run_load("http://127.0.0.1:1/", (1,), 4, 1.0, ["q"], log=lambda _: None, connect=connect)


def test_every_planned_request_is_counted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "GRACE_S", 0.2)
    # one connection fails (its 2 requests: 1 error, 1 not run), one gets an error answer
    # then an answer, one hangs on its first request (1 hung, 1 not run)
    connect, release = _clients(None, ["error", 0.0], ["block"])
    try:
        row = run_level("http://127.0.0.1:1/", 3, 2, ["q"], time_limit=0.5, connect=connect)
    finally:
        release.set()
    assert (row["ok"], row["errors"], row["hung_sessions"], row["not_run"]) == (1, 2, 1, 2)
    assert row["requests"] == 6 and len(row["error_samples"]) == 2
    assert any("Could not answer: the index is missing" in e for e in row["error_samples"])


def test_cli_fails_when_requests_were_not_run(monkeypatch: pytest.MonkeyPatch, cli: RunCli) -> None:
    connect, _ = _clients([0.0, 1.5])
    monkeypatch.setattr(load, "page_client", connect)
    args = ["bench", "load", "--url", "http://127.0.0.1:1/", "--levels", "1"]
    result = cli(*args, "--per-session", "3", "--time-limit", "1")
    assert result.exit_code == 1
    assert "1 not run of 3" in result.output and "| not_run |" in result.output


def test_a_complete_run_passes() -> None:
    connect, _ = _clients([0.0, 0.0], [0.0, 0.0])
    rows = run_load(
        "http://127.0.0.1:1/", (2,), 2, 30.0, ["q"], log=lambda _: None, connect=connect
    )
    assert rows[0]["ok"] == 4 and rows[0]["not_run"] == 0


@pytest.mark.slow
def test_concurrent_sessions_all_answer(real_settings: Settings, tmp_path) -> None:
    from assistant.web import start  # lazy: gradio only for this test

    settings = private_copy(real_settings, tmp_path)
    port = free_port()
    app = start(settings, "127.0.0.1", port, block=False, quiet=True)
    try:
        row = run_level(
            f"http://127.0.0.1:{port}/",
            sessions=3,
            per_session=2,
            questions=["Is magnesium deficiency common?", "What is the capital of France?"],
            time_limit=240,
        )
    finally:
        app.close()
    assert (row["ok"], row["errors"], row["hung_sessions"], row["not_run"]) == (6, 0, 0, 0), row
    assert row["p95_ms"] >= row["p50_ms"] > 0


@pytest.mark.slow
def test_a_dead_page_is_counted_as_errors_not_a_crash() -> None:
    row = run_level(f"http://127.0.0.1:{free_port()}/", 1, 2, ["x"], time_limit=20)
    assert row["ok"] == 0 and row["errors"] == 1 and row["not_run"] == 1


def test_only_loopback_targets_are_accepted() -> None:
    with pytest.raises(UsageError, match=r"127\.0\.0\.1"):
        run_load("http://10.0.0.5:7860", levels=(1,))


def test_sessions_take_the_replicas_in_turn() -> None:
    seen: list[str] = []
    connect, _ = _clients([0.0], [0.0], [0.0], [0.0])

    def recording(url: str) -> Any:
        seen.append(url)
        return connect(url)

    urls = ["http://127.0.0.1:1/", "http://127.0.0.1:2/"]
    row = run_level(urls, 4, 1, ["q"], 30.0, connect=recording)
    assert row["ok"] == 4
    assert sorted(seen) == sorted(urls * 2)
    with pytest.raises(UsageError, match=r"127\.0\.0\.1"):
        run_load([urls[0], "http://10.0.0.5:7860"], levels=(1,))
