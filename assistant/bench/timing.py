"""What every benchmark reports with: call latencies, their percentiles, Markdown tables."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np


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
