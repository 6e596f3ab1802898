"""`assistant bench scale --sizes 10000,100000[,1000000]`: the index at sizes that cannot be
embedded here, with synthetic chunks (random unit vectors, words drawn from a 5,000-word
vocabulary), embedded and server mode.

Per size and mode: ``build_s`` (writing the chunks into a fresh store, then the first load,
which makes the build's lexical index and chunk file, as a replica meeting a new build does),
``load_s`` (a second start, which finds them on disk), ``rss_mb`` (this process's resident
memory after loading and searching: it includes the embedding model, loaded once), ``disk_mb``
(the store, and for server mode the server's data folder too), and search latency p50 / p95
for lexical, dense and hybrid over queries of four vocabulary words (dense queries are
embedded by the real model, so they cost what a user's do).
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.bench.scale import _dir_size, _mode, _synthetic
from assistant.bench.timing import latencies, percentile_ms
from assistant.index import HybridRetriever, load_embedder
from assistant.settings import Settings


def rss_mb() -> float:
    """Resident memory of this process now (Linux /proc), in MB; 0 where it cannot be read."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def _queries(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(f"w{rng.randrange(5000)}" for _ in range(4)) for _ in range(n)]


def _one(
    mode: str, s: Settings, data_dir: Path, size: int, embedder: Any, qs: list[str]
) -> dict[str, Any]:
    started = time.perf_counter()
    _synthetic(s, size, embedder.dim, seed=7)
    HybridRetriever(s, embedder=embedder)  # the first load makes the lexical index
    build_s = time.perf_counter() - started
    gc.collect()
    t = time.perf_counter()
    retriever = HybridRetriever(s, embedder=embedder)
    load_s = time.perf_counter() - t
    search: dict[str, dict[str, float]] = {}
    for name, kind in (("lexical", "bm25"), ("dense", "dense"), ("hybrid", "hybrid")):
        took = latencies(lambda q, k=kind: retriever.search(q, k=10, mode=k), qs)
        search[name] = {"p50": percentile_ms(took, 50), "p95": percentile_ms(took, 95)}
    disk = _dir_size(s.index_path) + (_dir_size(data_dir) if mode == "server" else 0)
    return {
        "size": size,
        "mode": mode,
        "build_s": round(build_s, 1),
        "load_s": round(load_s, 2),
        "rss_mb": rss_mb(),
        "disk_mb": round(disk / 1e6, 1),
        "search_ms": search,
        "synthetic": True,
    }


def run_sizes(
    settings: Settings,
    workdir: Path,
    sizes: list[int],
    *,
    queries: int = 50,
    modes: tuple[str, ...] = ("embedded", "server"),
    log: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    embedder = load_embedder(settings)
    qs = _queries(queries)
    rows = []
    for size in sizes:
        for mode in modes:
            folder = workdir / f"{mode}-{size}"
            log(f"[{mode}] {size} synthetic chunks")
            with _mode(settings, mode, folder) as (s, data_dir):
                rows.append(_one(mode, s, data_dir, size, embedder, qs))
            log(str(rows[-1]))
    return rows


def format_sizes_table(rows: list[dict[str, Any]]) -> str:
    head = (
        f"{'size':>9} {'mode':<9} {'build s':>8} {'load s':>7} {'RSS MB':>7} {'disk MB':>8} "
        f"{'lexical p50/p95':>16} {'dense p50/p95':>14} {'hybrid p50/p95':>15}"
    )
    lines = [head]
    for r in rows:
        ms = r["search_ms"]
        cells = [f"{ms[k]['p50']:.1f}/{ms[k]['p95']:.1f}" for k in ("lexical", "dense", "hybrid")]
        lines.append(
            f"{r['size']:>9} {r['mode']:<9} {r['build_s']:>8.1f} {r['load_s']:>7.2f} "
            f"{r['rss_mb']:>7.0f} {r['disk_mb']:>8.1f} {cells[0]:>16} {cells[1]:>14} {cells[2]:>15}"
        )
    lines.append("synthetic chunks: random unit vectors and vocabulary words, not embedded text")
    return "\n".join(lines)
