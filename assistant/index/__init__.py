"""Index: documents -> chunks -> a searchable store, and search over it.

Owns chunking (exact spans), the embedder, the Chroma store and manifest (atomic builds),
the per-corpus relevance calibration, and hybrid retrieval (dense + BM25 -> ``Evidence``).
Chroma and sentence-transformers types stay inside this package.
"""

from assistant.index.build import build_index, row_metadata, watch_index
from assistant.index.embeddings import Embedder, load_bulk, load_embedder
from assistant.index.load import (
    LoadedIndex,
    index_status,
    load_index,
)
from assistant.index.relevance import calibrate, load_threshold
from assistant.index.retrieve import HybridRetriever, evidence_to_dict, rrf_fuse
from assistant.index.store import Store
from assistant.index.table import ChunkTable

__all__ = [
    "ChunkTable",
    "Embedder",
    "HybridRetriever",
    "LoadedIndex",
    "Store",
    "build_index",
    "calibrate",
    "evidence_to_dict",
    "index_status",
    "load_bulk",
    "load_embedder",
    "load_index",
    "load_threshold",
    "row_metadata",
    "rrf_fuse",
    "watch_index",
]
