"""Retrieval on BEIR SciFact (test = the 300 SciFact dev claims): nDCG@10 and recall@100 for the
product's own retrievers, printed beside published figures.

- bm25: bm25s (Lucene scoring) over the product's tokenizer (assistant.text.words), title + text.
- dense: the configured embedder (bundled all-MiniLM-L6-v2), "title text", cosine.
- hybrid: reciprocal rank fusion (settings.rrf_k) of the two, each ranked to DEPTH documents
  (the product fuses 30 candidates per retriever; here 1,000, or recall@100 would be capped).
- rerank: hybrid's top candidates reordered by the trained reranker, when one is present
  (assistant/bench/reranker.py; kept only if it beats hybrid).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from assistant.bench.beir import (
    DEPTH,
    Progress,
    Ranking,
    bm25_rankings,
    dense_rankings,
    embeddings_cache,
    fuse,
    load_beir,
    paired_bootstrap,
    per_query_ndcg,
    query_order,
    score_rankings,
)
from assistant.bench.reranker import rerank_rankings
from assistant.errors import UsageError
from assistant.index import load_embedder
from assistant.settings import Settings

METHODS = ("bm25", "dense", "hybrid", "rerank")
# Published nDCG@10 on BEIR SciFact test (sources: ../shared/benchmarks/scifact/README.md).
ANCHORS = [
    ("BM25 (BEIR paper, Thakur et al. 2021)", 0.665),
    ("all-MiniLM-L6-v2 (MTEB)", 0.645),
    ("BM25 + cross-encoder (BEIR paper)", 0.688),
    ("bge-small-en-v1.5 (MTEB)", 0.713),
]


def run_retrieval_benchmark(
    settings: Settings,
    methods: Sequence[str] = ("bm25", "dense", "hybrid"),
    limit: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Rank the test queries with each method and score them; seconds are per method."""
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise UsageError(f"unknown method(s) {unknown}; choose from {', '.join(METHODS)}.")
    data = load_beir(settings.scifact_path, "test")
    qids = sorted(data.qrels, key=query_order)[:limit]
    qrels = {q: data.qrels[q] for q in qids}
    need = set(methods) | ({"bm25", "dense"} if {"hybrid", "rerank"} & set(methods) else set())
    rankings: dict[str, dict[str, Ranking]] = {}
    seconds: dict[str, float] = {}
    cache = embeddings_cache(settings)
    for method in ("bm25", "dense", "hybrid", "rerank"):
        if method not in need and not (method == "hybrid" and "rerank" in need):
            continue
        t = time.perf_counter()
        if method == "bm25":
            rankings[method] = bm25_rankings(data, qids)
        elif method == "dense":
            embedder = load_embedder(settings)
            rankings[method] = dense_rankings(data, qids, embedder, cache, progress=progress)
        elif method == "hybrid":
            rankings[method] = fuse(rankings["bm25"], rankings["dense"], settings.rrf_k)
        else:
            rankings[method] = rerank_rankings(settings, data, rankings["hybrid"], progress)
        seconds[method] = time.perf_counter() - t
    results = {
        m: {**score_rankings(rankings[m], qrels), "seconds": round(seconds[m], 1)} for m in methods
    }
    if "hybrid" in rankings:
        hybrid = per_query_ndcg(rankings["hybrid"], qrels)
        for m in methods:
            if m != "hybrid":
                other = per_query_ndcg(rankings[m], qrels)
                results[m]["ndcg@10_vs_hybrid"] = paired_bootstrap(hybrid, other)
    return {
        "dataset": "BEIR SciFact test (300 SciFact dev claims)",
        "queries": len(qids),
        "documents": len(data.doc_ids),
        "results": results,
        "anchors": dict(ANCHORS),
        "rrf_k": settings.rrf_k,
        "depth": DEPTH,
    }


def format_table(result: dict[str, Any]) -> str:
    lines = [
        f"{result['dataset']}: {result['queries']} queries, {result['documents']} documents",
        f"{'method':<48}{'nDCG@10':>9}{'R@10':>8}{'R@100':>8}{'seconds':>9}",
    ]
    for name, r in result["results"].items():
        lines.append(
            f"{'this repo: ' + name:<48}{r['ndcg@10']:>9.3f}{r['recall@10']:>8.3f}"
            f"{r['recall@100']:>8.3f}{r['seconds']:>9.1f}"
        )
    for name, value in result["anchors"].items():
        lines.append(f"{'published: ' + name:<48}{value:>9.3f}{'':>8}{'':>8}{'':>9}")
    for name, r in result["results"].items():
        vs = r.get("ndcg@10_vs_hybrid")
        if vs:
            lines.append(
                f"{name} - hybrid, nDCG@10 per query: {vs['diff']:+.3f} "
                f"(95% paired bootstrap interval {vs['ci_low']:+.3f} to {vs['ci_high']:+.3f})"
            )
    return "\n".join(lines)
