"""`assistant bench lexical`: lexical engines on BEIR SciFact, with the same tokens.

Every engine gets the product's tokenizer (assistant.text.words) over title + abstract, and
ranks the 300 test queries to depth 100. bm25s is what the product runs; rank_bm25 (what it
ran before) and tantivy (Rust's search engine) are measured when they are installed
(`pip install rank-bm25 tantivy`). Figures: nDCG@10, recall@100, seconds to index, query
latency p50 / p95.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from assistant.bench.beir import Beir, bm25s_search, load_beir, query_order, score_rankings
from assistant.settings import Settings
from assistant.text import words

Engine = Callable[[list[list[str]]], Callable[[list[str], int], list[int]]]


def _rank_bm25(docs: list[list[str]]) -> Callable[[list[str], int], list[int]]:
    from rank_bm25 import BM25Okapi  # lazy: optional, for comparison only

    model = BM25Okapi(docs)

    def search(query: list[str], depth: int) -> list[int]:
        scores = model.get_scores(query)
        return [int(i) for i in np.argsort(-scores)[:depth] if scores[i] > 0]

    return search


def _tantivy(docs: list[list[str]]) -> Callable[[list[str], int], list[int]]:
    import tantivy  # lazy: optional, for comparison only

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace")
    builder.add_integer_field("row", stored=True, indexed=True)
    index = tantivy.Index(builder.build(), path=tempfile.mkdtemp(prefix="tantivy-"))
    writer = index.writer(heap_size=100_000_000, num_threads=1)
    for row, tokens in enumerate(docs):
        writer.add_document(tantivy.Document(body=" ".join(tokens), row=row))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()

    def search(query: list[str], depth: int) -> list[int]:
        terms = [t for t in query if t.replace(".", "").replace("-", "").isalnum()]
        if not terms:
            return []
        parsed = index.parse_query(" OR ".join(f'"{t}"' for t in terms), ["body"])
        return [searcher.doc(a)["row"][0] for _, a in searcher.search(parsed, depth).hits]

    return search


ENGINES: dict[str, Engine] = {"bm25s": bm25s_search, "rank_bm25": _rank_bm25, "tantivy": _tantivy}


def _measure(name: str, engine: Engine, data: Beir, qids: Sequence[str]) -> dict[str, Any]:
    docs = [words(data.doc_text(i)) or [""] for i in range(len(data.doc_ids))]
    started = time.perf_counter()
    try:
        search = engine(docs)
    except ImportError:
        return {"engine": name, "installed": False}
    built = time.perf_counter() - started
    rankings, latencies = {}, []
    for qid in qids:
        t = time.perf_counter()
        rows = search(words(data.queries[qid]), 100)
        latencies.append((time.perf_counter() - t) * 1000)
        rankings[qid] = [data.doc_ids[r] for r in rows]
    scores = score_rankings(rankings, {q: data.qrels[q] for q in qids})
    return {
        "engine": name,
        "installed": True,
        "ndcg@10": scores["ndcg@10"],
        "recall@100": scores["recall@100"],
        "index_s": round(built, 2),
        "query_ms_p50": round(float(np.percentile(latencies, 50)), 3),
        "query_ms_p95": round(float(np.percentile(latencies, 95)), 3),
    }


def run_lexical_bench(settings: Settings) -> dict[str, Any]:
    data = load_beir(settings.scifact_path, "test")
    qids = sorted(data.qrels, key=query_order)
    rows = [_measure(name, engine, data, qids) for name, engine in ENGINES.items()]
    return {"documents": len(data.doc_ids), "queries": len(qids), "engines": rows}


def format_lexical_table(result: dict[str, Any]) -> str:
    lines = [
        f"BEIR SciFact test: {result['queries']} queries, {result['documents']} abstracts",
        f"{'engine':<10} {'nDCG@10':>8} {'R@100':>6} {'index s':>8} {'p50 ms':>7} {'p95 ms':>7}",
    ]
    for r in result["engines"]:
        if not r["installed"]:
            lines.append(f"{r['engine']:<10} (not installed)")
            continue
        lines.append(
            f"{r['engine']:<10} {r['ndcg@10']:>8.3f} {r['recall@100']:>6.3f} {r['index_s']:>8.2f} "
            f"{r['query_ms_p50']:>7.2f} {r['query_ms_p95']:>7.2f}"
        )
    return "\n".join(lines)
