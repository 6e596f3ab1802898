"""Evidence for a claim: its best sentences in the references, never the article.

Passages come from the index's hybrid search over the references; metadata-only records are
not text and never count. Sentences at or above the index's calibrated relevance threshold
are kept, best first, as ``EvidenceQuote`` with exact spans. ``BatchedEmbedder`` embeds all
of the audit's claims in one model call up front.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assistant.audit.claims import Claim
from assistant.types import Evidence, EvidenceQuote


def _evidence_quote(ev: Evidence, score: float) -> EvidenceQuote:
    c = ev.chunk
    start, end = ev.sentence or (c.start, c.end)
    return EvidenceQuote(
        document=c.document_id,
        section=" > ".join(c.section),
        quote=ev.quote,
        provenance=c.provenance,
        reference=c.reference,
        start=start,
        end=end,
        url=c.url,
        score=round(score, 4),
    )


def gather_evidence(retriever: Any, claim: Claim, threshold: float, k: int) -> list[EvidenceQuote]:
    """The claim's best reference sentences at or above the relevance threshold, best first."""
    passages = retriever.search(claim.context, k=k, source="references")
    passages = [p for p in passages if p.chunk.provenance != "metadata_only"]
    scored = retriever.best_sentences(claim.context, passages, per_chunk=2)
    out, seen = [], set()
    for ev, sim in scored:
        key = (ev.chunk.document_id, ev.sentence)
        if sim >= threshold and key not in seen:
            seen.add(key)
            out.append(_evidence_quote(ev, sim))
    return out[:k]


class BatchedEmbedder:
    """Wraps an embedder so that all claims are embedded in one batch up front: one model call
    instead of two per claim (search and sentence selection each embed their query)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self._cache: dict[str, Any] = {}

    def prime(self, texts: list[str]) -> None:
        new = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if new:
            self._cache.update(zip(new, self.inner.embed(new), strict=True))

    def embed(self, texts: list[str]) -> Any:
        self.prime(texts)
        return np.stack([self._cache[t] for t in texts]) if texts else self.inner.embed([])

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)
