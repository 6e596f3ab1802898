"""The load test tool against a real page on 127.0.0.1: bounded, and it counts every failure."""

from __future__ import annotations

import pytest
from test_web import free_port, private_copy

from assistant.bench.load import run_level, run_load
from assistant.errors import UsageError
from assistant.settings import Settings

pytestmark = pytest.mark.slow


def test_concurrent_sessions_all_answer(real_settings: Settings, tmp_path) -> None:
    from assistant.web import start

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
    assert row["ok"] == 6 and row["errors"] == 0 and row["hung_sessions"] == 0
    assert row["p95_ms"] >= row["p50_ms"] > 0


def test_a_dead_page_is_counted_as_errors_not_a_crash() -> None:
    row = run_level(f"http://127.0.0.1:{free_port()}/", 1, 1, ["x"], time_limit=20)
    assert row["ok"] == 0 and row["errors"] == 1


def test_only_loopback_targets_are_accepted() -> None:
    with pytest.raises(UsageError, match=r"127\.0\.0\.1"):
        run_load("http://10.0.0.5:7860", levels=(1,))
