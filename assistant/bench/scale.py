"""Scale benchmark: how the index behaves with many documents, embedded vs server mode.

Two sizes, one run:
- SciFact's abstracts as documents (5,183 at full size), chunked and embedded for real with
  the bundled MiniLM (embeddings computed once and reused by the second store mode, so the
  build figure of each mode is its store-write cost plus, in the first, the embedding);
- a synthetic store of N chunks (default 100,000) with random unit vectors and random words,
  for query latency only.
For each: build throughput, store size, the time to load the index into a retriever (`load_s`;
for the synthetic store this includes making its lexical index, and `reload_s` is a second
start that finds it on disk), search latency p50/p95 (hybrid: dense + BM25; and each side
alone for the synthetic store), and ask latency p50/p95 for the SciFact size.
"""

from __future__ import annotations

import json
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from assistant.answer import AnswerEngine
from assistant.bench.timing import latencies, markdown_table, percentile_ms
from assistant.index import (
    Embedder,
    HybridRetriever,
    Store,
    build_index,
    load_embedder,
    row_metadata,
)
from assistant.settings import Settings
from assistant.types import Block, Chunk, Document


class MemoEmbedder:
    """Remembers every vector it computed, so the second store mode does not re-embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.memo: dict[str, np.ndarray] = {}
        self.seconds = 0.0

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            t0 = time.perf_counter()
            for text, vec in zip(missing, self.inner.embed(missing), strict=True):
                self.memo[text] = vec
            self.seconds += time.perf_counter() - t0
        return np.stack([self.memo[t] for t in texts]) if texts else self.inner.embed([])

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


def scifact_documents(root: Path, limit: int | None = None) -> list[Document]:
    docs = []
    with (root / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            text = row["title"] + "\n\n" + " ".join(row["abstract"])
            title_end = len(row["title"])
            blocks = [
                Block("heading", 0, title_end),
                Block("paragraph", title_end + 2, len(text), (row["title"],)),
            ]
            docs.append(
                Document(
                    id=f"scifact-{row['doc_id']}",
                    kind="reference",
                    title=row["title"],
                    text=text,
                    blocks=blocks,
                )
            )
            if limit and len(docs) >= limit:
                break
    return docs


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


@contextmanager
def _mode(settings: Settings, mode: str, workdir: Path):
    """Settings for one store mode; server mode runs `chroma run` for the duration."""
    if mode == "embedded":
        yield settings.model_copy(update={"index_dir": workdir / "embedded"}), workdir / "embedded"
        return
    data = workdir / "server-data"
    port = _free_port()
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen(
        [
            str(chroma if chroma.exists() else "chroma"),
            "run",
            "--path",
            str(data),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port)
        yield (
            settings.model_copy(
                update={
                    "index_dir": workdir / "server-local",
                    "chroma_host": "127.0.0.1",
                    "chroma_port": port,
                }
            ),
            data,
        )
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).is_success:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("chroma server did not start")


def _queries(root: Path, n: int) -> list[str]:
    with (root / "beir" / "queries.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(line)["text"] for line in fh]
    return rows[:n]


WORDS = [f"w{i}" for i in range(5000)]


def synthetic_chunks(start: int, n: int, pyrng: random.Random) -> list[Chunk]:
    """Chunks ``s<start>`` .. of 40 vocabulary words each, ten to a synthetic document."""
    chunks = []
    for i in range(start, start + n):
        text = " ".join(pyrng.choices(WORDS, k=40))
        chunks.append(
            Chunk(
                id=f"s{i}",
                document_id=f"syn-{i // 10}",
                section=(),
                paragraph=0,
                start=0,
                end=len(text),
                text=text,
                sentences=((0, len(text)),),
                kind="reference",
            )
        )
    return chunks


def _synthetic(settings: Settings, size: int, dim: int, seed: int) -> float:
    """Fill a collection with `size` random chunks and make it current; returns seconds."""
    rng = np.random.default_rng(seed)
    pyrng = random.Random(seed)
    store = Store(settings)
    name = store.new_collection_name()
    col = store.create_collection(name)
    t0 = time.perf_counter()
    batch = 2000
    for i in range(0, size, batch):
        n = min(batch, size - i)
        vecs = rng.standard_normal((n, dim)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        chunks = synthetic_chunks(i, n, pyrng)
        col.add(
            ids=[c.id for c in chunks],
            embeddings=vecs.tolist(),
            documents=[c.text for c in chunks],
            metadatas=[row_metadata(c) for c in chunks],
        )
    seconds = time.perf_counter() - t0
    store.write_manifest(
        {
            "build_id": name,
            "collection": name,
            "previous_collection": None,
            "settings_hash": settings.index_hash(),
            "documents": {
                f"syn-{d}": {"chunks": min(10, size - 10 * d)} for d in range((size + 9) // 10)
            },
            "embedding_model": settings.embedding_model,
            "built_at": "synthetic",
        }
    )
    return seconds


def _scifact_row(
    mode: str, s: Settings, data_dir: Path, docs: list[Document], memo: MemoEmbedder, qs: list[str]
) -> dict[str, Any]:
    """Build the SciFact documents into this mode's store; time loading, search and ask."""
    before = memo.seconds
    report = build_index(s, documents=docs, embedder=memo, rebuild=True)
    embed_s = memo.seconds - before
    t0 = time.perf_counter()
    retriever = HybridRetriever(s, embedder=memo.inner)
    load_s = time.perf_counter() - t0
    search = latencies(lambda q: retriever.search(q, k=10), qs)
    engine = AnswerEngine(s, retriever=retriever)
    ask = latencies(engine.ask, qs)
    return {
        "mode": mode,
        "size": f"{len(docs)} docs / {report.chunks_total} chunks",
        "build_s": round(report.seconds, 1),
        "embed_s": round(embed_s, 1),
        "chunks_per_s": round(report.chunks_total / report.seconds, 1),
        "store_mb": round(_dir_size(data_dir) / 1e6, 1),
        "load_s": round(load_s, 1),
        "search_p50_ms": percentile_ms(search, 50),
        "search_p95_ms": percentile_ms(search, 95),
        "ask_p50_ms": percentile_ms(ask, 50),
        "ask_p95_ms": percentile_ms(ask, 95),
    }


def _synthetic_row(
    mode: str, s: Settings, data_dir: Path, synthetic: int, memo: MemoEmbedder, qs: list[str]
) -> dict[str, Any]:
    """Fill this mode's store with random chunks; time loading and search (hybrid, dense)."""
    seconds = _synthetic(s, synthetic, memo.dim, seed=7)
    t0 = time.perf_counter()
    retriever = HybridRetriever(s, embedder=memo.inner)
    load_s = time.perf_counter() - t0
    search = latencies(lambda q: retriever.search(q, k=10), qs)
    dense = latencies(lambda q: retriever.search(q, k=10, mode="dense"), qs)
    lexical = latencies(lambda q: retriever.search(q, k=10, mode="bm25"), qs)
    t0 = time.perf_counter()
    HybridRetriever(s, embedder=memo.inner)  # a second start: the lexical index is on disk
    reload_s = time.perf_counter() - t0
    return {
        "mode": mode,
        "size": f"{synthetic} synthetic chunks",
        "build_s": round(seconds, 1),
        "embed_s": 0.0,
        "chunks_per_s": round(synthetic / seconds, 1),
        "store_mb": round(_dir_size(data_dir) / 1e6, 1),
        "load_s": round(load_s, 1),
        "search_p50_ms": percentile_ms(search, 50),
        "search_p95_ms": percentile_ms(search, 95),
        "dense_p50_ms": percentile_ms(dense, 50),
        "dense_p95_ms": percentile_ms(dense, 95),
        "lexical_p50_ms": percentile_ms(lexical, 50),
        "lexical_p95_ms": percentile_ms(lexical, 95),
        "reload_s": round(reload_s, 1),
    }


def run_scale(
    settings: Settings,
    workdir: Path,
    *,
    limit: int | None = None,
    synthetic: int = 100_000,
    queries: int = 50,
    modes: tuple[str, ...] = ("embedded", "server"),
    log: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """One row per store mode and size (SciFact documents, then the synthetic store)."""
    if workdir.exists():
        shutil.rmtree(workdir)
    root = settings.scifact_path
    docs = scifact_documents(root, limit)
    qs = _queries(root, queries)
    memo = MemoEmbedder(load_embedder(settings))
    rows: list[dict[str, Any]] = []
    for mode in modes:
        with _mode(settings, mode, workdir) as (s, data_dir):
            log(f"[{mode}] building {len(docs)} SciFact documents")
            rows.append(_scifact_row(mode, s, data_dir, docs, memo, qs))
            log(json.dumps(rows[-1]))
        if synthetic:
            with _mode(settings, mode, workdir / "synthetic") as (s, data_dir):
                log(f"[{mode}] writing {synthetic} synthetic chunks")
                rows.append(_synthetic_row(mode, s, data_dir, synthetic, memo, qs))
                log(json.dumps(rows[-1]))
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    cols = [
        "mode",
        "size",
        "build_s",
        "embed_s",
        "chunks_per_s",
        "store_mb",
        "load_s",
        "search_p50_ms",
        "search_p95_ms",
        "ask_p50_ms",
        "ask_p95_ms",
        "dense_p50_ms",
        "dense_p95_ms",
        "lexical_p50_ms",
        "lexical_p95_ms",
        "reload_s",
    ]
    return markdown_table(rows, cols)
