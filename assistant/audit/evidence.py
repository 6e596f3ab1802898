"""Evidence for a claim: its best sentences in the references, never the article.

The references the claim cites come first: their best sentences for the claim, whatever
their similarity (the citation says they are about it; the verifier decides what they say).
Then the other references' sentences at or above the index's calibrated relevance threshold,
marked as not cited. Passages come from the index's hybrid search; metadata-only records are
not text and never count. Each sentence becomes an ``EvidenceQuote`` with its exact span.
``BatchedEmbedder`` embeds all of the audit's claims in one model call up front.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assistant.audit.claims import Claim
from assistant.types import Evidence, EvidenceQuote


def _evidence_quote(ev: Evidence, score: float, cited: bool | None) -> EvidenceQuote:
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
        cited=cited,
    )


def _sentences(
    retriever: Any, claim: Claim, k: int, threshold: float | None, **where: Any
) -> list[tuple[Evidence, float]]:
    """The claim's best reference sentences (two per passage) at or above the threshold."""
    passages = retriever.search(claim.context, k=k, source="references", **where)
    passages = [p for p in passages if p.chunk.provenance != "metadata_only"]
    scored = retriever.best_sentences(claim.context, passages, per_chunk=2)
    return [(ev, sim) for ev, sim in scored if threshold is None or sim >= threshold]


def gather_evidence(
    retriever: Any, claim: Claim, threshold: float, k: int, cited: frozenset[str] = frozenset()
) -> list[EvidenceQuote]:
    """The claim's best sentences in ``cited`` (document ids of the references it cites),
    then the other references' at or above the relevance threshold; k of each at most."""
    own = _sentences(retriever, claim, k, None, documents=cited) if cited else []
    others = _sentences(retriever, claim, k, threshold, exclude_documents=cited)
    flag = (True, False) if cited else (None, None)
    out, seen = [], set()
    for group, mark in ((own, flag[0]), (others, flag[1])):
        kept = 0
        for ev, sim in group:
            key = (ev.chunk.document_id, ev.sentence)
            if key not in seen and kept < k:
                seen.add(key)
                kept += 1
                out.append(_evidence_quote(ev, sim, mark))
    return out


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
