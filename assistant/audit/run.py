"""The claim audit: for every checkable claim of the article, do its sources back it?

Per claim (claims.py extracts claims, mentions.py and linking.py find and link their
citations):

1. Citations, deterministically (citing.py). A cited work that matches no entry of the
   reference list, or a link whose journal, year, authors or study type disagree with what
   the entry really is, makes the claim "miscited", with both sides named.
2. Evidence (evidence.py): the claim's best sentences in the references it cites, then in
   the other REFERENCES (never the article) above the index's calibrated relevance
   threshold; metadata-only records never count.
3. The verifier (verify.py) reads the cited sentences, the others that address the claim,
   and the best of them as one passage; its call, and the calibrated probability
   "supported" must reach, go into the verdict (verdict.py).
4. Named parts (verdict.py): a figure, named term, dependent clause or study design missing
   from the evidence makes support "partial"; so does a relation stated stronger than the
   best evidence states it (the claim-strength model: "the article states a direct cause;
   the source reports an association").

Without trained verifier weights the audit runs the deterministic checks only and says so; it
then never calls a claim supported. No verdict needs an LLM.

``run_audit`` runs it; ``load_or_run_audit`` is the one entry that runs it only when the
cached report (cache.py) is out of date.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from assistant.audit.cache import VERDICTS, AuditReport, audit_key, cached_audit, save_audit
from assistant.audit.citing import citation_findings
from assistant.audit.claims import Claim, extract_claims
from assistant.audit.evidence import BatchedEmbedder, gather_evidence
from assistant.audit.linking import ReferenceFacts, reference_facts
from assistant.audit.verdict import decide, overstated
from assistant.audit.verify import (
    Reading,
    StrengthLike,
    VerifierLike,
    choose_verifier,
    load_strength,
    verifier_scores,
)
from assistant.errors import IndexMissingError, UsageError
from assistant.index import HybridRetriever, Store, load_embedder, load_threshold
from assistant.settings import Settings
from assistant.sources import load_corpus
from assistant.text import content_stems
from assistant.types import ClaimVerdict, Document


def audited_article(
    docs: list[Document], notes: list[str] | None = None, where: object = "the sources"
) -> Document:
    """The article the audit reads: the corpus's first (a note says so when there are more).
    ``where`` names the sources folder in the error when there is none."""
    articles = [d for d in docs if d.kind == "article"]
    if not articles:
        raise UsageError(f"no article in {where}: nothing to audit.")
    if len(articles) > 1 and notes is not None:
        notes.append(f"{len(articles)} articles found; audited the first, {articles[0].id}.")
    return articles[0]


def _article(
    settings: Settings, notes: list[str]
) -> tuple[list[Document], Document, list[ReferenceFacts]]:
    """The corpus, the article audited and its reference list."""
    docs = load_corpus(settings)
    article = audited_article(docs, notes, settings.sources_path)
    return docs, article, reference_facts(article, [d for d in docs if d.kind == "reference"])


def _cited(claim: Claim, refs: list[ReferenceFacts], docs: list[Document]) -> frozenset[str]:
    """The documents, with text, of the references the claim's citations link to."""
    links, _ = citation_findings(claim, refs)
    numbers = {row["reference"] for row in links if row["reference"] is not None}
    return frozenset(
        d.id
        for d in docs
        if d.kind == "reference" and d.reference in numbers and d.provenance != "metadata_only"
    )


def _with_strength(
    strength: StrengthLike, claims: list[Claim], verdicts: list[ClaimVerdict]
) -> list[ClaimVerdict]:
    """Each verdict with evidence, checked for a relation stated stronger than its best
    evidence states it (verdict.overstated); claims and evidence scored in one batch."""
    judged = [(i, v) for i, v in enumerate(verdicts) if v.evidence]
    texts = [t for i, v in judged for t in (claims[i].statement, v.evidence[0].quote)]
    said = strength.predict(texts) if texts else []
    out = list(verdicts)
    for n, (i, v) in enumerate(judged):
        out[i] = overstated(v, said[2 * n]["strength"], said[2 * n + 1]["strength"])
    return out


def run_audit(
    settings: Settings,
    *,
    retriever: Any = None,
    verifier: VerifierLike | None = None,
    use_verifier: bool = True,
    strength: StrengthLike | None = None,
) -> AuditReport:
    """Audit every claim of the article against the indexed references (see module doc)."""
    started = time.perf_counter()
    notes: list[str] = []
    docs, article, refs = _article(settings, notes)
    if retriever is None:
        retriever = HybridRetriever(settings, embedder=BatchedEmbedder(load_embedder(settings)))
    manifest = retriever.index.manifest
    threshold = load_threshold(settings, manifest)
    choice = choose_verifier(settings, verifier, use_verifier, notes)

    claims = extract_claims(article)
    if isinstance(retriever.embedder, BatchedEmbedder):
        retriever.embedder.prime([c.context for c in claims])
    evidence = [
        gather_evidence(retriever, c, threshold, settings.top_k, _cited(c, refs, docs))
        for c in claims
    ]
    readings: list[Reading | None] = [None] * len(claims)
    if choice.model is not None:
        topic = content_stems(article.title)
        cut = load_threshold(settings)
        readings = list(verifier_scores(choice.model, claims, evidence, cut, topic))
    verdicts = [
        decide(
            c,
            ev,
            r and r.sentences,
            refs,
            r and r.clauses,
            choice.support_bar,
            r and r.passage,
            choice.contradict_bar,
            choice.curves,
        )
        for c, ev, r in zip(claims, evidence, readings, strict=True)
    ]
    if strength is None and verifier is None and choice.model is not None:
        strength = load_strength(settings, notes)  # with the shipped verifier, the shipped one
    if strength is not None:
        verdicts = _with_strength(strength, claims, verdicts)
    counts = Counter(v.verdict for v in verdicts)
    return AuditReport(
        verdicts=verdicts,
        counts={k: counts.get(k, 0) for k in VERDICTS},
        build_id=str(manifest.get("build_id", "")),
        article_hash=article.content_hash,
        document_hashes={d.id: d.content_hash for d in docs},
        seconds=round(time.perf_counter() - started, 3),
        verifier=str(choice.name) if choice.name else None,
        notes=notes,
    )


def load_or_run_audit(
    settings: Settings,
    retriever: Any = None,
    *,
    verifier: VerifierLike | None = None,
    force: bool = False,
) -> AuditReport:
    """The cached audit (index/store/audit.json) when still valid, else a fresh one, saved."""
    manifest = Store(settings).read_manifest()
    if manifest is None:
        raise IndexMissingError("no index to audit against. Build it with `assistant index`.")
    key = audit_key(settings, manifest)
    if not force and (cached := cached_audit(settings, key)) is not None:
        return cached
    report = run_audit(settings, retriever=retriever, verifier=verifier)
    save_audit(settings, report, key)
    return report
