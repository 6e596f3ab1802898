"""Hybrid retrieval: dense (Chroma) + BM25, fused by reciprocal rank, with per-document
diversity, and sentence-level evidence selection inside the retrieved passages.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from assistant.errors import StoreError
from assistant.index.embeddings import Embedder, load_embedder
from assistant.index.lexical import (
    LexicalIndex,
    build_folder,
    build_lexical,
    load_lexical,
    save_lexical,
)
from assistant.index.load import LoadedIndex, load_index
from assistant.index.segments import Segment
from assistant.index.store import Store
from assistant.index.table import ChunkTable
from assistant.settings import Settings
from assistant.text import content_stems
from assistant.types import Chunk, Evidence

SourceFilter = Literal["article", "references", "all"]


_ITEM_START = re.compile(r"\n[ \t]*(?:[•◦▪‣●*\-–]|\d{1,3}[.)])[ \t]*$")


def list_units(chunk: Chunk, longest_item: int = 160) -> list[tuple[int, int]]:
    """Spans of a lead-in sentence (ending with a colon) together with the list it opens:
    the sentences after it that each open a line with a bullet or number, two at least."""
    units = []
    sentences = list(chunk.sentences)
    for i, (start, end) in enumerate(sentences):
        if not chunk.text[start - chunk.start : end - chunk.start].rstrip().endswith(":"):
            continue
        last = None
        for j in range(i + 1, len(sentences)):
            s, e = sentences[j]
            gap = chunk.text[sentences[j - 1][1] - chunk.start : s - chunk.start]
            if not _ITEM_START.search(gap) or e - s > longest_item:
                break
            last = j
        if last is not None and last >= i + 2:
            units.append((start, sentences[last][1]))
    return units


def rrf_fuse(rankings: Iterable[list[str]], k: int = 60) -> dict[str, float]:
    """Reciprocal rank fusion: score(id) = sum over rankings of 1 / (k + rank), rank from 1."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return scores


def diversify(ordered: list[str], doc_of: dict[str, str], per_document: int, k: int) -> list[str]:
    """Take items in order, at most `per_document` from one document, until k are chosen;
    if fewer than k qualify, fill up with the best of the rest."""
    chosen, counts, skipped = [], {}, []
    for item in ordered:
        doc = doc_of[item]
        if counts.get(doc, 0) < per_document:
            chosen.append(item)
            counts[doc] = counts.get(doc, 0) + 1
        else:
            skipped.append(item)
        if len(chosen) == k:
            return chosen
    return chosen + skipped[: k - len(chosen)]


def _kind_filter(source: SourceFilter) -> str | None:
    return {"article": "article", "references": "reference", "all": None}[source]


# Indexes up to this many sentences are embedded sentence by sentence when an engine warms up
# (about a minute on 2 cores); larger ones fill the sentence cache as questions arrive.
WARM_SENTENCES_MAX = 5000


@dataclass(frozen=True)
class _Snapshot:
    """One loaded build: its chunks, their order and the lexical index over them. A rebuild
    swaps in a new snapshot as one object, so a search never mixes two builds."""

    index: LoadedIndex
    chunks: Mapping[str, Chunk]
    order: list[str]
    lexical: LexicalIndex

    @classmethod
    def of(cls, index: LoadedIndex, settings: Settings) -> _Snapshot:
        folder = build_folder(settings.index_path, index.manifest)
        lexical = load_lexical(folder, index.chunks)
        if lexical is None or len(lexical.ids) != len(index.chunks):  # not made here: make it
            chunks = list(index.chunks)
            lexical = build_lexical(chunks)
            with contextlib.suppress(OSError):  # read-only or shared folder: keep it in memory
                save_lexical(lexical, folder, chunks)
        return cls(index, index.chunks.by_id, index.chunks.ids, lexical)


def _query_segment(
    collection: Any,
    segment: Segment,
    query_vec: np.ndarray,
    n: int,
    where: dict[str, Any] | None,
    table: ChunkTable,
) -> list[tuple[str, float]]:
    """The n nearest live rows of one segment. Its stale rows (documents a later segment or
    a removal replaced) are fetched and dropped here rather than filtered in Chroma: a
    metadata filter scans every row of the store, 200 ms at 100,000 chunks against 5 ms."""
    want = min(n, segment.rows)
    total = segment.rows + segment.stale_rows
    fetch = min(total, want + min(segment.stale_rows, want))
    while True:
        try:
            got = collection.query(
                query_embeddings=[query_vec.tolist()],
                n_results=fetch,
                where=where,
                include=["distances"],
            )
        except Exception as exc:
            raise StoreError(
                f"the vector store did not answer ({exc}). If it runs as a server, check "
                "that it is up; otherwise run `assistant index --rebuild`."
            ) from exc
        pairs = zip(got["ids"][0], got["distances"][0], strict=True)
        kept = [(i, 1.0 - d) for i, d in pairs if _serves(segment, table, i)]
        if len(kept) >= want or fetch >= total or len(got["ids"][0]) < fetch:
            return kept[:want]
        fetch = min(total, fetch * 4)  # many stale rows among the nearest: look deeper


def _serves(segment: Segment, table: ChunkTable, chunk_id: str) -> bool:
    """Whether this row of the segment is current (its document is served from it)."""
    if not segment.stale:
        return True
    position = table.position(chunk_id)
    return position is not None and table.documents[position] in segment.live


class HybridRetriever:
    """Search one loaded index. Reloads itself when a build switches the manifest."""

    def __init__(
        self, settings: Settings, embedder: Embedder | None = None, index: LoadedIndex | None = None
    ) -> None:
        self.settings = settings
        self.embedder = embedder or load_embedder(settings)
        self._lock = threading.Lock()
        self._sentence_cache: dict[str, np.ndarray] = {}
        self._snap = _Snapshot.of(index or load_index(settings), settings)

    @property
    def index(self) -> LoadedIndex:
        return self._snap.index

    @property
    def chunks(self) -> Mapping[str, Chunk]:
        return self._snap.chunks

    def refresh(self) -> bool:
        """Pick up a newer build if one was switched in; True when it reloaded."""
        stamp = Store(self.settings).manifest_stamp()
        if stamp == self._snap.index.stamp:
            return False
        with self._lock:
            if stamp != self._snap.index.stamp:
                self._snap = _Snapshot.of(load_index(self.settings), self.settings)
        return True

    # --- the two retrievers ---------------------------------------------------------------
    def dense(
        self,
        query_vec: np.ndarray,
        n: int,
        kind: str | None,
        snap: _Snapshot | None = None,
        documents: frozenset[str] | None = None,
    ) -> list[tuple[str, float]]:
        snap = snap or self._snap
        wanted = [{"kind": kind}] if kind else []
        if documents is not None:
            wanted.append({"document_id": {"$in": sorted(documents)}})
        where = wanted[0] if len(wanted) == 1 else ({"$and": wanted} if wanted else None)
        hits: list[tuple[str, float]] = []
        for segment, collection in snap.index.segments:
            live = segment.live if documents is None else segment.live & documents
            if live and segment.rows:
                hits += _query_segment(collection, segment, query_vec, n, where, snap.index.chunks)
        return sorted(hits, key=lambda hit: -hit[1])[:n]

    def bm25(
        self,
        query: str,
        n: int,
        kind: str | None,
        snap: _Snapshot | None = None,
        documents: frozenset[str] | None = None,
    ) -> list[tuple[str, float]]:
        snap = snap or self._snap
        return snap.lexical.search(query, n, kind, documents)

    # --- the public search ----------------------------------------------------------------
    def search(
        self,
        query: str,
        k: int | None = None,
        source: SourceFilter = "all",
        mode: Literal["hybrid", "dense", "bm25"] = "hybrid",
        exclude_documents: Iterable[str] = (),
        documents: Iterable[str] | None = None,
    ) -> list[Evidence]:
        """The k best passages for the query, fused from dense and BM25 rankings; only from
        ``documents`` when given, never from ``exclude_documents``."""
        snap = self._snap  # one build for the whole search, even if a rebuild lands meanwhile
        chunks = snap.chunks
        k = k or self.settings.top_k
        kind = _kind_filter(source)
        n = max(self.settings.candidates, k)
        excluded = set(exclude_documents)
        only = frozenset(documents) if documents is not None else None
        if only is not None and not only:
            return []
        qvec = self.embedder.embed([query])[0] if mode != "bm25" else None
        dense = self.dense(qvec, n, kind, snap, only) if qvec is not None else []
        sparse = self.bm25(query, n, kind, snap, only) if mode != "dense" else []
        document_of = snap.index.chunks.document_of  # a column: candidates are not parsed
        dense = [(i, s) for i, s in dense if document_of(i) not in excluded]
        sparse = [(i, s) for i, s in sparse if document_of(i) not in excluded]
        fused = rrf_fuse([[i for i, _ in dense], [i for i, _ in sparse]], self.settings.rrf_k)
        ordered = sorted(fused, key=lambda i: -fused[i])
        doc_of = {i: document_of(i) for i in ordered}
        chosen = diversify(ordered, doc_of, self.settings.per_document_max, k)
        dense_of, bm25_of = dict(dense), dict(sparse)
        return [
            Evidence(
                chunk=chunks[i],
                score=fused[i],
                dense_score=dense_of.get(i),
                bm25_score=bm25_of.get(i),
            )
            for i in chosen
        ]

    # --- sentences --------------------------------------------------------------------------
    def _sentence_vectors(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._sentence_cache]
        if missing:
            for text, vec in zip(missing, self.embedder.embed(missing), strict=True):
                self._sentence_cache[text] = vec
        return np.stack([self._sentence_cache[t] for t in texts])

    def warm_sentences(self, most: int = WARM_SENTENCES_MAX) -> int:
        """Embed every sentence of the index now, so no answer waits for a first-time sentence.

        Skipped (returns 0) when the index holds more than `most` sentences: there the cache
        fills as questions come. Returns how many sentences were embedded."""
        if len(self._snap.index.chunks) > most:  # every chunk holds a sentence at least
            return 0
        texts = [
            c.text[s - c.start : e - c.start]
            for c in self._snap.index.chunks
            for s, e in (c.sentences or [(c.start, c.end)])
        ]
        if len(texts) > most:
            return 0
        missing = [t for t in dict.fromkeys(texts) if t not in self._sentence_cache]
        for start in range(0, len(missing), 256):
            self._sentence_vectors(missing[start : start + 256])
        return len(missing)

    def best_sentences(
        self,
        query: str,
        evidence: list[Evidence],
        per_chunk: int = 1,
        ranking: Literal["dense", "hybrid"] = "dense",
    ) -> list[tuple[Evidence, float]]:
        """For each passage, its best sentence(s) for the query, best first, each with its
        cosine to the query (what relevance thresholds compare).

        "dense" orders by that cosine. "hybrid" fuses, by reciprocal rank over all candidate
        sentences, the cosine order with the order of how many of the query's own content
        words each sentence holds: MiniLM ranks any sentence on the article's subject high,
        and the words the question asks about tell the one that answers it."""
        if not evidence:
            return []
        qvec = self.embedder.embed([query])[0]
        rows: list[tuple[Evidence, float, float]] = []  # (evidence with sentence, cosine, words)
        wanted = content_stems(query)
        for ev in evidence:
            spans = list(ev.chunk.sentences) or [(ev.chunk.start, ev.chunk.end)]
            spans += list_units(ev.chunk)  # a lead-in with its list, quoted as one unit
            texts = [ev.chunk.text[s - ev.chunk.start : e - ev.chunk.start] for s, e in spans]
            sims = self._sentence_vectors(texts) @ qvec
            for span, text, sim in zip(spans, texts, sims, strict=True):
                held = len(wanted & content_stems(text)) if ranking == "hybrid" else 0
                rows.append((replace(ev, sentence=span), float(sim), float(held)))
        keys = [str(i) for i in range(len(rows))]
        by_cosine = sorted(keys, key=lambda i: -rows[int(i)][1])
        if ranking == "hybrid":
            by_words = sorted(keys, key=lambda i: (-rows[int(i)][2], -rows[int(i)][1]))
            fused = rrf_fuse([by_cosine, by_words], self.settings.rrf_k)
            order = sorted(keys, key=lambda i: -fused[i])
        else:
            order = by_cosine
        taken: dict[str, list[tuple[int, int]]] = {}
        out: list[tuple[Evidence, float]] = []
        for i in order:
            ev, sim, _ = rows[int(i)]
            spans = taken.setdefault(ev.chunk.id, [])
            assert ev.sentence is not None
            s, e = ev.sentence
            if len(spans) < per_chunk and not any(s < b and a < e for a, b in spans):
                spans.append((s, e))  # a unit and a sentence inside it are not both quoted
                out.append((ev, sim))
        return out

    def similarity(self, a: str, b_texts: list[str]) -> np.ndarray:
        vecs = self._sentence_vectors([a, *b_texts])
        return vecs[1:] @ vecs[0]


def evidence_to_dict(ev: Evidence) -> dict[str, Any]:
    c = ev.chunk
    return {
        "score": round(ev.score, 6),
        "dense_score": None if ev.dense_score is None else round(ev.dense_score, 4),
        "bm25_score": None if ev.bm25_score is None else round(ev.bm25_score, 4),
        "document": c.document_id,
        "title": c.title,
        "kind": c.kind,
        "reference": c.reference,
        "provenance": c.provenance,
        "section": " > ".join(c.section),
        "start": c.start,
        "end": c.end,
        "text": c.text,
        "url": c.url,
        "notice": c.notice,
    }
