"""Benchmarks on public data and on the product itself, apart from the eval question set.

Owns SciFact retrieval (BEIR files, bm25 / dense / hybrid rankings, scores: beir.py,
scifact.py) with the cross-encoder reranker trained for it (reranker.py), the scale benchmark
(scale.py; at given sizes, sizes.py), what a changed document costs a big index (update.py),
the corpus benchmark (corpus.py), the whole audit on an article made of a claim set
(audit.py), the claim-verifier benchmark on public claim sets (claims.py), the exaggeration
benchmark (exaggeration.py), the sentence splitter against SciFact's gold sentences
(sentences.py), lexical engines on SciFact (lexical.py), answers over PubMedQA dev
(pubmedqa.py), the load test against a running page (load.py), and what they share: an
on-disk embedding cache (cache.py) and latency / table helpers (timing.py). torch and
transformers are imported only when the reranker is loaded or trained, and gradio_client
only when the load test connects.
"""

from assistant.bench.audit import format_audit_table, run_audit_bench
from assistant.bench.cache import EmbeddingCache, cached_embed
from assistant.bench.claims import format_claims_table, run_claims_bench
from assistant.bench.corpus import format_corpus_report, run_corpus_bench
from assistant.bench.exaggeration import format_exaggeration_table, run_exaggeration_bench
from assistant.bench.exaggeration import write_model_card as write_strength_card
from assistant.bench.lexical import format_lexical_table, run_lexical_bench
from assistant.bench.load import format_table as format_load_table
from assistant.bench.load import run_load
from assistant.bench.pubmedqa import format_pubmedqa_table, run_pubmedqa_bench
from assistant.bench.reranker import rerank_rankings, reranker_path, train_reranker
from assistant.bench.scale import format_table as format_scale_table
from assistant.bench.scale import run_scale
from assistant.bench.scifact import format_table as format_retrieval_table
from assistant.bench.scifact import run_retrieval_benchmark
from assistant.bench.sentences import format_sentence_table, run_sentence_bench
from assistant.bench.sizes import format_sizes_table, run_sizes
from assistant.bench.update import format_update_table, run_update_bench

__all__ = [
    "EmbeddingCache",
    "cached_embed",
    "format_audit_table",
    "format_claims_table",
    "format_corpus_report",
    "format_exaggeration_table",
    "format_lexical_table",
    "format_load_table",
    "format_pubmedqa_table",
    "format_retrieval_table",
    "format_scale_table",
    "format_sentence_table",
    "format_sizes_table",
    "format_update_table",
    "rerank_rankings",
    "reranker_path",
    "run_audit_bench",
    "run_claims_bench",
    "run_corpus_bench",
    "run_exaggeration_bench",
    "run_lexical_bench",
    "run_load",
    "run_pubmedqa_bench",
    "run_retrieval_benchmark",
    "run_scale",
    "run_sentence_bench",
    "run_sizes",
    "run_update_bench",
    "train_reranker",
    "write_strength_card",
]
