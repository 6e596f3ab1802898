"""What every benchmark reports with: call latencies, their percentiles, Markdown tables."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def timed_child(
    command: list[str], env: dict[str, str] | None, timeout: float
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run a fresh process to its end, output captured; its wall seconds and its result."""
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    return time.perf_counter() - started, done


def percentile_ms(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.array(values) * 1000, q)), 1) if values else 0.0


def latencies(fn: Callable[[str], Any], queries: list[str]) -> list[float]:
    """Seconds each call of fn(query) took, in order."""
    out = []
    for q in queries:
        t0 = time.perf_counter()
        fn(q)
        out.append(time.perf_counter() - t0)
    return out


def markdown_table(rows: list[dict[str, Any]], cols: list[str]) -> str:
    """Rows as a Markdown table of the given columns (a missing value shows empty)."""
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(lines)
