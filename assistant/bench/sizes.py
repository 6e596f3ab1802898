"""`assistant bench scale --sizes 10000,100000[,1000000]`: the index at sizes that cannot be
embedded here, with synthetic chunks (random unit vectors, words drawn from a 5,000-word
vocabulary), embedded and server mode.

Per size and mode: ``build_s`` (writing the chunks into a fresh store, then the first load,
which makes the build's lexical index and chunk file, as a replica meeting a new build does),
``load_s`` (a second start, which finds them on disk), ``rss_mb`` (this process's resident
memory after loading and searching: it includes the embedding model, loaded once), ``disk_mb``
(the store, and for server mode the server's data folder too), and search latency p50 / p95
for lexical, dense and hybrid over queries of four vocabulary words (dense queries are
embedded by the real model, so they cost what a user's do). ``start_s`` is a replica's
start-up end to end: a fresh `assistant search` process (interpreter, imports, index load,
the query embedded, one hybrid search, exit), the median of three, and ``start_rss_mb`` that
process's peak memory: a replica's whole footprint, lexical index and chunk table included.
"""

from __future__ import annotations

import gc
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.bench.scale import _dir_size, _mode, _synthetic, synthetic_chunks
from assistant.bench.timing import latencies, percentile_ms, timed_child
from assistant.index import HybridRetriever, load_embedder
from assistant.index.lexical import build_lexical, save_lexical
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


def settings_env(settings: Settings) -> dict[str, str]:
    """This process's environment plus `settings` as ASSISTANT_* variables, for a child."""
    env = dict(os.environ)
    for name, value in settings.model_dump(exclude_defaults=True).items():
        plain = isinstance(value, (str, int, float, Path))
        env[f"ASSISTANT_{name.upper()}"] = str(value) if plain else json.dumps(value, default=str)
    return env


# The child reports its own peak (VmHWM): a parent's rusage counts the memory of the process
# it was forked from, which here is this benchmark with a whole index loaded.
_CHILD = (
    "import atexit, sys\n"
    "def peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'): sys.stderr.write('\\npeak ' + line.split()[1])\n"
    "atexit.register(peak)\n"
    "sys.argv[0] = 'assistant'\n"
    "from assistant.cli import main\n"
    "main()\n"
)


def start_seconds(settings: Settings, query: str, runs: int = 3) -> tuple[float, float]:
    """A fresh `assistant search QUERY` process against this index: the median wall time of
    `runs` and its peak resident memory in MB (all of it: interpreter, models, index)."""
    command = [sys.executable, "-c", _CHILD, "search", query, "-k", "3", "--json"]
    env = settings_env(settings)
    took, peak = [], 0.0
    for _ in range(runs):
        seconds, done = timed_child(command, env, timeout=600)
        took.append(seconds)
        if done.returncode != 0:
            raise RuntimeError(f"assistant search failed: {done.stderr.strip()[-500:]}")
        last = done.stderr.rsplit("peak ", 1)
        peak = max(peak, int(last[1]) / 1024 if len(last) == 2 else 0.0)  # kB
    return round(statistics.median(took), 2), round(peak, 1)


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
    start_s, start_rss = start_seconds(s, qs[0])
    return {
        "size": size,
        "mode": mode,
        "build_s": round(build_s, 1),
        "load_s": round(load_s, 2),
        "rss_mb": rss_mb(),
        "start_s": start_s,
        "start_rss_mb": start_rss,
        "disk_mb": round(disk / 1e6, 1),
        "search_ms": search,
        "synthetic": True,
    }


# A fresh process that opens a saved lexical index and chunk table, as a replica does, and
# searches it: what the lexical side alone costs in time and memory.
_LEXICAL_CHILD = """
import json, sys, time
from pathlib import Path
from assistant.bench.timing import percentile_ms
from assistant.index.lexical import load_lexical, load_table
import bm25s
t0 = time.perf_counter()  # after the imports: load_s is opening the files
folder, queries = Path(sys.argv[1]), json.loads(sys.argv[2])
table = load_table(folder)
lexical = load_lexical(folder, table)
load_s = time.perf_counter() - t0
took = []
for q in queries:
    t = time.perf_counter()
    hits = [table.by_id[i] for i, _ in lexical.search(q, 10)]
    took.append(time.perf_counter() - t)
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"load_s": load_s, "p50": percentile_ms(took, 50),
                  "p95": percentile_ms(took, 95), "peak_mb": peak / 1024}))
"""


def _lexical_only(folder: Path, size: int, qs: list[str]) -> dict[str, Any]:
    """The lexical index and chunk table alone, without Chroma: made, saved, then opened
    and searched by a fresh process."""
    started = time.perf_counter()
    chunks = synthetic_chunks(0, size, random.Random(7))
    save_lexical(build_lexical(chunks), folder, chunks)
    build_s = time.perf_counter() - started
    del chunks
    gc.collect()
    command = [sys.executable, "-c", _LEXICAL_CHILD, str(folder), json.dumps(qs)]
    start_s, done = timed_child(command, None, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"the lexical reader failed: {done.stderr.strip()[-500:]}")
    child = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "size": size,
        "mode": "lexical",
        "build_s": round(build_s, 1),
        "load_s": round(child["load_s"], 2),
        "rss_mb": round(child["peak_mb"], 1),
        "start_s": round(start_s, 2),
        "start_rss_mb": round(child["peak_mb"], 1),
        "disk_mb": round(_dir_size(folder) / 1e6, 1),
        "search_ms": {"lexical": {"p50": child["p50"], "p95": child["p95"]}},
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
            if mode == "lexical":
                rows.append(_lexical_only(folder, size, qs))
                log(str(rows[-1]))
                continue
            with _mode(settings, mode, folder) as (s, data_dir):
                rows.append(_one(mode, s, data_dir, size, embedder, qs))
            log(str(rows[-1]))
    return rows


def format_sizes_table(rows: list[dict[str, Any]]) -> str:
    head = (
        f"{'size':>9} {'mode':<9} {'build s':>8} {'load s':>7} {'RSS MB':>7} "
        f"{'start s':>7} {'start MB':>8} {'disk MB':>8} "
        f"{'lexical p50/p95':>16} {'dense p50/p95':>14} {'hybrid p50/p95':>15}"
    )
    lines = [head]
    for r in rows:
        ms = r["search_ms"]
        cells = [
            f"{ms[k]['p50']:.1f}/{ms[k]['p95']:.1f}" if k in ms else "-"
            for k in ("lexical", "dense", "hybrid")
        ]
        lines.append(
            f"{r['size']:>9} {r['mode']:<9} {r['build_s']:>8.1f} {r['load_s']:>7.2f} "
            f"{r['rss_mb']:>7.0f} {r['start_s']:>7.2f} {r['start_rss_mb']:>8.0f} "
            f"{r['disk_mb']:>8.1f} {cells[0]:>16} {cells[1]:>14} {cells[2]:>15}"
        )
    lines.append("synthetic chunks: random unit vectors and vocabulary words, not embedded text")
    if any(r["mode"] == "lexical" for r in rows):
        lines.append(
            "lexical: the lexical index and chunk table alone, opened and searched by a fresh "
            "process (start MB is that process's peak)"
        )
    return "\n".join(lines)
