"""BEIR SciFact: reading the files, the lexical and dense rankings, their fusion and scores.

Shared by the retrieval benchmark (scifact.py) and the reranker's training (reranker.py).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.bench.cache import cached_embed
from assistant.errors import SourceError
from assistant.evaluation import hits_from_ids, mean, ndcg_at_k, recall_at_k
from assistant.index import rrf_fuse
from assistant.settings import Settings
from assistant.text import words

DEPTH = 1000
Ranking = list[str]
Progress = Callable[[str, int, int], None]


def embeddings_cache(settings: Settings) -> Path:
    """Where the benchmarks keep their embedding cache."""
    return settings.root_dir / ".cache" / "embeddings"


@dataclass
class Beir:
    doc_ids: list[str]
    titles: list[str]
    texts: list[str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]  # query id -> {doc id: relevance}

    def doc_text(self, i: int) -> str:
        return f"{self.titles[i]} {self.texts[i]}".strip()


def query_order(qid: str) -> tuple[int, int, str]:
    """Numeric ids in numeric order (SciFact's are), any others after them by name."""
    return (0, int(qid), "") if qid.isdigit() else (1, 0, qid)


def _jsonl(path: Path) -> list[dict]:
    if not path.exists():
        raise SourceError(
            f"BEIR SciFact file {path} is missing. Set ASSISTANT_SCIFACT_DIR (or scifact_dir in "
            "the config file) to the folder holding beir/corpus.jsonl, beir/queries.jsonl and "
            "beir/qrels/test.tsv."
        )
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    if not path.exists():
        raise SourceError(f"BEIR qrels file {path} is missing; check ASSISTANT_SCIFACT_DIR.")
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    return qrels


def load_beir(folder: Path, split: str = "test") -> Beir:
    base = Path(folder) / "beir"
    corpus = _jsonl(base / "corpus.jsonl")
    qrels = read_qrels(base / "qrels" / f"{split}.tsv")
    queries = {q["_id"]: q["text"] for q in _jsonl(base / "queries.jsonl") if q["_id"] in qrels}
    return Beir(
        doc_ids=[d["_id"] for d in corpus],
        titles=[d.get("title", "") for d in corpus],
        texts=[d.get("text", "") for d in corpus],
        queries=queries,
        qrels={q: rel for q, rel in qrels.items() if q in queries},
    )


def bm25s_search(docs: list[list[str]]) -> Callable[[list[str], int], list[int]]:
    """BM25 as the product runs it (bm25s, Lucene scoring) over these token lists: a
    function from query tokens and a depth to the best rows with a positive score."""
    import bm25s  # lazy: scipy and bm25s load only where BM25 runs

    model = bm25s.BM25(method="lucene")
    model.index(docs, show_progress=False)

    def search(query: list[str], depth: int) -> list[int]:
        scores = model.get_scores(query)
        return [int(i) for i in np.argsort(-scores)[:depth] if scores[i] > 0]

    return search


def bm25_rankings(data: Beir, query_ids: Sequence[str], depth: int = DEPTH) -> dict[str, Ranking]:
    """BM25 over the product's tokenizer, title + text."""
    search = bm25s_search([words(data.doc_text(i)) or [""] for i in range(len(data.doc_ids))])
    return {
        qid: [data.doc_ids[i] for i in search(words(data.queries[qid]), depth)] for qid in query_ids
    }


def dense_rankings(
    data: Beir,
    query_ids: Sequence[str],
    embedder: Any,
    cache_dir: Path,
    depth: int = DEPTH,
    progress: Progress | None = None,
) -> dict[str, Ranking]:
    def report(done: int, total: int) -> None:
        if progress:
            progress("embedding abstracts", done, total)

    docs, _ = cached_embed(
        embedder, [data.doc_text(i) for i in range(len(data.doc_ids))], cache_dir, report
    )
    queries, _ = cached_embed(embedder, [data.queries[q] for q in query_ids], cache_dir)
    sims = queries @ docs.T
    out = {}
    for row, qid in enumerate(query_ids):
        top = np.argsort(-sims[row])[:depth]
        out[qid] = [data.doc_ids[i] for i in top]
    return out


def fuse(
    a: dict[str, Ranking], b: dict[str, Ranking], k: int, depth: int = DEPTH
) -> dict[str, Ranking]:
    out = {}
    for qid in a:
        scores = rrf_fuse([a[qid], b.get(qid, [])], k)
        out[qid] = sorted(scores, key=lambda d: (-scores[d], d))[:depth]
    return out


def per_query_ndcg(rankings: dict[str, Ranking], qrels: dict[str, dict[str, int]]) -> list[float]:
    """nDCG@10 of each judged query, in qrels order (for paired comparisons)."""
    return [
        ndcg_at_k(rankings.get(q, []), {d: float(g) for d, g in rel.items()}, 10)
        for q, rel in qrels.items()
    ]


def paired_bootstrap(
    base: Sequence[float], other: Sequence[float], resamples: int = 2000, seed: int = 13
) -> dict[str, float]:
    """Mean per-query difference (other - base) with a 95% bootstrap interval over queries:
    a method "wins" only when the whole interval is above zero."""
    diffs = np.asarray(other, dtype=float) - np.asarray(base, dtype=float)
    if diffs.size == 0:
        return {"diff": 0.0, "ci_low": 0.0, "ci_high": 0.0}
    idx = np.random.default_rng(seed).integers(0, diffs.size, size=(resamples, diffs.size))
    means = diffs[idx].mean(axis=1)
    return {
        "diff": float(diffs.mean()),
        "ci_low": float(np.percentile(means, 2.5)),
        "ci_high": float(np.percentile(means, 97.5)),
    }


def score_rankings(
    rankings: dict[str, Ranking], qrels: dict[str, dict[str, int]]
) -> dict[str, float | None]:
    """Mean nDCG@10, recall@10 and recall@100 over the queries that have judgements."""
    ndcg, r10, r100 = [], [], []
    for qid, rel in qrels.items():
        ranked = rankings.get(qid, [])
        relevant = {d for d, g in rel.items() if g > 0}
        ndcg.append(ndcg_at_k(ranked, {d: float(g) for d, g in rel.items()}, 10))
        hits = hits_from_ids(ranked[:100], relevant)
        r10.append(recall_at_k(hits, len(relevant), 10))
        r100.append(recall_at_k(hits, len(relevant), 100))
    return {"ndcg@10": mean(ndcg), "recall@10": mean(r10), "recall@100": mean(r100)}
