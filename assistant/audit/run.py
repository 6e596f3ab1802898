"""The claim audit: for every checkable claim of the article, do its sources back it?

Per claim (claims.py extracts claims and links their citations):

1. Citations, deterministically. A cited work that matches no entry of the reference list, or a
   link whose journal, year, authors or study type disagree with what the entry really is
   (citecheck.check_citation), makes the claim "miscited", with both sides named.
2. Evidence: the claim's best sentences in the REFERENCES (never the article) above the index's
   calibrated relevance threshold; metadata-only records are not text and never count.
3. The verifier (a cross-encoder trained on SciFact) reads only the sentences that address the
   claim: cosine at or above the claim-to-sentence threshold calibrated on SciFact train, and a
   content word shared beyond the article's topic. Its argmax over the aggregated scores says
   support / contradict / not enough info, and one sentence must carry that label itself.
   "Supported" further needs a call calibrated to be precise (verifier_calibration): a support
   probability above the calibrated bar, or a backing sentence holding the calibrated share of
   the claim's own content words.
4. Deterministic rules on top. Support becomes "partial" when the backing sentences lack a
   figure of the claim (35% = 35 percent; ranges; doses), a named term (IL-6), one of its
   dependent clauses, or its study design ("a randomized trial" is not "a meta-analysis").
   Contradiction needs opposite polarity (one side negated), else it is a related finding the
   article restates: "partial". Evidence from curated notes is said to be so.

Without trained verifier weights the audit runs the deterministic checks only and says so; it
then never calls a claim supported. No verdict needs an LLM.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from assistant.audit.citations import COMPATIBLE, check_citation, design_of
from assistant.audit.claims import (
    Claim,
    Link,
    ReferenceFacts,
    clauses,
    extract_claims,
    link_mention,
    reference_facts,
)
from assistant.errors import AssistantError, ModelError, UsageError
from assistant.files import atomic_write
from assistant.settings import Settings
from assistant.text import (
    carried,
    content_stems,
    coverage,
    negated,
    quantities,
    specific_terms,
    term_carried,
)
from assistant.types import ClaimVerdict, Evidence, EvidenceQuote

AUDIT_VERSION = 10  # bump when verdict logic changes: cached audits are redone
AUDIT_FILE = "audit.json"
VERDICTS = ("supported", "partial", "unsupported", "contradicted", "miscited")
NOTES_SUFFIX = " (from curated notes, not the paper's text)"
SHOWN_EVIDENCE = 3  # quotes kept per claim for display; the verdict weighs all retrieved


class VerifierLike(Protocol):
    def predict(self, pairs: list[tuple[str, str]]) -> list[dict[str, float]]: ...


@dataclass
class AuditReport:
    verdicts: list[ClaimVerdict]
    counts: dict[str, int]
    build_id: str
    article_hash: str
    document_hashes: dict[str, str]
    seconds: float
    verifier: str | None  # the verifier model used, or None: deterministic checks only
    notes: list[str] = field(default_factory=list)
    key: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AuditReport:
        d = dict(d)
        verdicts = []
        for v in d.pop("verdicts"):
            v = dict(v)
            v["span"] = tuple(v["span"])
            v["evidence"] = [EvidenceQuote(**e) for e in v["evidence"]]
            verdicts.append(ClaimVerdict(**v))
        return cls(verdicts=verdicts, **d)


# --- pieces of a verdict ------------------------------------------------------------------------
def _quote(text: str, most: int = 140) -> str:
    text = " ".join(text.split()).rstrip(".")  # the reason supplies its own full stop
    return f"'{text if len(text) <= most else text[: most - 1].rstrip() + '…'}'"


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


def _not_listed(mention: Any, refs: list[ReferenceFacts]) -> str:
    """Why a citation matches no entry, naming what the list does hold."""
    if mention.kind == "number":
        return f"but the reference list has no entry {', '.join(map(str, mention.numbers))}"
    held = "; ".join(
        f"{r.number}: {', '.join(r.journals) or r.title[:50] or r.cited_as[:50]}"
        + (f" {max(r.years)}" if r.years else "")
        for r in refs
    )
    where = (
        f"in {mention.journal}" if mention.kind == "journal" else f"by {', '.join(mention.names)}"
    )
    return f"but no entry of the reference list is {where} (it lists {held or 'nothing'})"


def citation_findings(claim: Claim, refs: list[ReferenceFacts]) -> tuple[list[dict], list[str]]:
    """Each citation's link and check, and the problems among them (each a readable line)."""
    links: list[dict] = []
    problems: list[str] = []
    for m in claim.mentions:
        link: Link = link_mention(m, claim.context, refs)
        ref = link.reference
        row: dict[str, Any] = {
            "cited": m.text,
            "reference": ref.number if ref else None,
            "candidates": list(link.candidates),  # every entry the name matched, best first
        }
        if ref is None:
            row["status"] = "not_in_list"
            problems.append(f"cites '{m.text}', {_not_listed(m, refs)}")
        else:
            check = check_citation("", [m.text], ref.actual)
            row.update(status=check.status, mismatches=check.mismatches, checked=check.checked)
            if check.status == "mismatch":
                diffs = "; ".join(
                    f"{d['field'].replace('_', ' ')}: cited {d['cited']}, actually {d['actual']}"
                    for d in check.mismatches
                )
                problems.append(f"cites '{m.text}', which links to {ref.label}: {diffs}")
        links.append(row)
    return links, problems


def _unverifiable(links: list[dict], refs: list[ReferenceFacts]) -> str:
    by_number = {r.number: r for r in refs}
    for row in links:
        ref = by_number.get(row.get("reference"))  # type: ignore[arg-type]
        if ref is not None and row.get("status") == "unresolved":
            why = (ref.remark or "no verified record and no text").split(". ")[0].rstrip(".")
            return f"It cites {ref.label}, which could not be checked ({why}). "
    return ""


def _design_conflict(claim: Claim, ev: EvidenceQuote, refs: list[ReferenceFacts]) -> str | None:
    """The study design the claim names vs the design of the paper its evidence comes from."""
    named = design_of(claim.statement)
    ref = next((r for r in refs if r.number == ev.reference), None)
    if named is None or ref is None or not ref.actual.get("study_type"):
        return None
    actual = design_of(str(ref.actual["study_type"]))
    if actual is None or actual[0] == named[0] or actual[0] in COMPATIBLE.get(named[0], set()):
        return None
    return f"the claim says {named[1].lower()}, {ref.label} is a {ref.actual['study_type']}"


def _who(ev: EvidenceQuote, refs: list[ReferenceFacts]) -> str:
    ref = next((r for r in refs if r.number == ev.reference), None)
    return ref.label if ref else ev.document


def _gaps(
    claim: Claim,
    backing: list[EvidenceQuote],
    clause_scores: list[list[dict[str, float]]],
    evidence: list[EvidenceQuote] | None = None,
) -> list[str]:
    """What the sources leave out: figures and named terms no evidence sentence carries (the
    backing one, or any other retrieved for the claim), and dependent clauses the verifier
    finds no support for."""
    from assistant.verifier import label_of

    read = evidence if evidence is not None else backing
    gaps = [
        f"the figure {q.text}"
        for q in quantities(claim.statement)
        if not any(carried(q, e.quote) for e in read)
    ]
    gaps += [
        f"{t}"
        for t, spelled in specific_terms(claim.statement)
        if not any(term_carried(t, spelled, e.quote) for e in read)
    ]
    extra = clauses(claim.statement)[1:]
    gaps += [
        f"'{clause}'"
        for clause, sc in zip(extra, clause_scores, strict=False)
        if not any(label_of(x) == "support" for x in sc)
    ]
    return gaps


def content_verdict(
    claim: Claim,
    evidence: list[EvidenceQuote],
    scores: list[dict[str, float]] | None,
    refs: list[ReferenceFacts],
    clause_scores: list[list[dict[str, float]]] | None = None,
    support_bar: float | None = None,
    coverage_bar: float | None = None,
) -> tuple[str, str, list[EvidenceQuote], dict[str, Any]]:
    """(verdict, reason, evidence best first, checks) from the sources' text alone.

    ``support_bar``: the support probability the verifier must reach before a claim is called
    supported (verifier_calibration); ``inf`` when the verifier cannot reach the precision
    asked of it at any probability; None to trust its argmax (an injected verifier).
    ``coverage_bar``: the second way to "supported" below that probability (verifier
    calibration): the verifier's support call plus one backing sentence holding at least this
    share of the claim's own content words; None for no second way.

    ``scores`` holds the verifier's probabilities per evidence sentence, or None when no
    verifier is available (then nothing is called supported); ``clause_scores`` the same for
    each dependent clause of the claim (claims.clauses, after the first).
    """
    from assistant.verifier import aggregate, label_of

    wanted = quantities(claim.statement)
    checks: dict[str, Any] = {"quantities": [q.text for q in wanted], "verifier": None}
    if not evidence:
        return "unsupported", "No reference passage relates to it.", [], checks
    absent = [q.text for q in wanted if not any(carried(q, e.quote) for e in evidence)]
    closest = f"closest passage, {_who(evidence[0], refs)}: {_quote(evidence[0].quote)}"
    why = f"No source gives {', '.join(absent)}" if absent else "No source states it"
    if scores is None:
        why = why if absent else "Not verified (no verifier model)"
        return "unsupported", f"{why}; {closest}.", evidence, checks
    overall = aggregate(scores)
    label = label_of(overall)
    if label != "nei" and not any(label_of(s) == label for s in scores):
        label = "nei"  # some one sentence must itself support (or contradict) the claim
    checks["verifier"] = {k: round(v, 4) for k, v in overall.items()} | {"label": label}
    # Sentences the verifier labels as the claim's label first, each group most relevant first:
    # its probabilities are too poorly calibrated to rank by (see its model card).
    ranked = sorted(range(len(evidence)), key=lambda i: label_of(scores[i]) != label)
    ordered = [evidence[i] for i in ranked]
    best = ordered[0]
    who = f"{_who(best, refs)}"
    suffix = NOTES_SUFFIX if best.provenance == "curated_notes" else ""
    if label == "nei":
        suffix = NOTES_SUFFIX if evidence[0].provenance == "curated_notes" else ""
        return "unsupported", f"{why}; {closest}{suffix}.", evidence, checks
    lacking = f"No source gives {', '.join(absent)}; " if absent else ""
    if label == "contradict":
        if negated(best.quote) != negated(claim.statement):
            said = f"{lacking}{who} says otherwise: {_quote(best.quote)}{suffix}."
            return "contradicted", said, ordered, checks
        # The verifier tells support from contradiction poorly (see its model card); with no
        # negation on one side only, the sentence is a related finding the claim restates.
        said = f"{who} addresses it but not as the article puts it: {_quote(best.quote)}{suffix}."
        return "partial", f"{lacking}{said}", ordered, checks
    backing = [e for e, i in zip(ordered, ranked, strict=True) if label_of(scores[i]) == "support"]
    gaps = _gaps(claim, backing, clause_scores or [], evidence)
    checks["missing"] = gaps
    if gaps:
        said = f"{who} backs {_quote(best.quote)} but not {', '.join(gaps)}"
        return "partial", f"{said}{suffix}.", ordered, checks
    if conflict := _design_conflict(claim, best, refs):
        return "partial", f"Study type differs: {conflict}{suffix}.", ordered, checks
    if support_bar is not None and overall["support"] < support_bar:
        checks["support_bar"] = support_bar
        covering = [
            (cov, e)
            for e in backing
            if (cov := coverage(claim.context, e.quote))
            >= (coverage_bar if coverage_bar is not None else float("inf"))
        ]
        if covering:
            cov, e = max(covering, key=lambda pair: pair[0])
            checks["coverage"] = {"bar": coverage_bar, "best": round(cov, 3)}
            note = NOTES_SUFFIX if e.provenance == "curated_notes" else ""
            return "supported", f"{_who(e, refs)}: {_quote(e.quote)}{note}.", ordered, checks
        said = (
            f"Not confirmed: the closest related passage, {who}: {_quote(best.quote)}{suffix}; "
            "the verifier is not precise enough to call it supported (see its model card)."
        )
        return "unsupported", said, ordered, checks
    return "supported", f"{who}: {_quote(best.quote)}{suffix}.", ordered, checks


def decide(
    claim: Claim,
    evidence: list[EvidenceQuote],
    scores: list[dict[str, float]] | None,
    refs: list[ReferenceFacts],
    clause_scores: list[list[dict[str, float]]] | None = None,
    support_bar: float | None = None,
    coverage_bar: float | None = None,
) -> ClaimVerdict:
    """The claim's verdict: citation problems first (miscited), then what the sources say."""
    links, problems = citation_findings(claim, refs)
    verdict, reason, ordered, checks = content_verdict(
        claim, evidence, scores, refs, clause_scores, support_bar, coverage_bar
    )
    checks.update(links=links, cues=list(claim.cues), content_verdict=verdict)
    if problems:
        said = "; ".join(problems)
        reason = f"{said[0].upper()}{said[1:]}. The finding itself: {verdict}: {reason}"
        verdict = "miscited"
    else:
        reason = _unverifiable(links, refs) + reason
    linked = [row["reference"] for row in links if row["reference"] is not None]
    return ClaimVerdict(
        claim=claim.text,
        span=(claim.start, claim.end),
        section=" > ".join(claim.section),
        verdict=verdict,  # type: ignore[arg-type]
        reason=reason,
        cited="; ".join(m.text for m in claim.mentions) or None,
        reference=linked[0] if linked else None,
        evidence=ordered[:SHOWN_EVIDENCE],
        checks=checks,
    )


# --- the whole article ------------------------------------------------------------------------
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
        import numpy as np

        self.prime(texts)
        return np.stack([self._cache[t] for t in texts]) if texts else self.inner.embed([])

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


def _load_verifier(settings: Settings, notes: list[str]) -> tuple[VerifierLike | None, str | None]:
    from assistant.verifier import Verifier

    try:
        verifier = Verifier.load(settings=settings)
    except ModelError as exc:
        notes.append(f"deterministic checks only, no verifier: {exc}")
        return None, None
    return verifier, str(verifier.path)


NOT_ADDRESSED = {"support": 0.0, "contradict": 0.0, "nei": 1.0}


def anchored(statement: str, sentence: str, topic: set[str]) -> bool:
    """Does the sentence share a content word with the claim beyond the article's topic (the
    words of its title)? Sharing only 'magnesium' makes a sentence on-topic, not on-claim."""
    return bool((content_stems(statement) & content_stems(sentence)) - topic)


def _verify(
    verifier: VerifierLike,
    claims: list[Claim],
    evidence: list[list[EvidenceQuote]],
    cut: float,
    topic: set[str],
) -> tuple[list[Any], list[Any]]:
    """Verifier scores per claim and evidence sentence, and per dependent clause, in one batch.

    Only sentences that address the claim are read: cosine at or above ``cut`` (the
    claim-to-sentence relevance threshold calibrated on SciFact train claims) and sharing a
    content word with it beyond the article's topic. The others are "not enough info" by
    definition: a sentence on another matter can neither back nor refute the claim.
    """
    jobs: list[tuple[int, int, int]] = []  # (claim, clause or -1 for the whole claim, sentence)
    pairs: list[tuple[str, str]] = []
    for i, (c, ev) in enumerate(zip(claims, evidence, strict=True)):
        texts = [c.context, *clauses(c.statement)[1:]]
        for j, e in enumerate(ev):
            if (e.score or 0.0) >= cut and anchored(c.statement, e.quote, topic):
                for k, text in enumerate(texts):
                    jobs.append((i, k - 1, j))
                    pairs.append((text, e.quote))
    scores = [[NOT_ADDRESSED] * len(ev) for ev in evidence]
    extra = [
        [[NOT_ADDRESSED] * len(ev) for _ in clauses(c.statement)[1:]]
        for c, ev in zip(claims, evidence, strict=True)
    ]
    for (i, k, j), probs in zip(jobs, verifier.predict(pairs), strict=True):
        if k < 0:
            scores[i][j] = probs
        else:
            extra[i][k][j] = probs
    return scores, extra


def run_audit(
    settings: Settings,
    *,
    retriever: Any = None,
    verifier: VerifierLike | None = None,
    use_verifier: bool = True,
) -> AuditReport:
    """Audit every claim of the article against the indexed references (see module doc)."""
    from assistant.index import HybridRetriever, load_threshold
    from assistant.sources import load_corpus

    started = time.perf_counter()
    notes: list[str] = []
    docs = load_corpus(settings)
    articles = [d for d in docs if d.kind == "article"]
    if not articles:
        raise UsageError(f"no article in {settings.sources_path}: nothing to audit.")
    article = articles[0]
    if len(articles) > 1:
        notes.append(f"{len(articles)} articles found; audited the first, {article.id}.")
    refs = reference_facts(article, [d for d in docs if d.kind == "reference"])
    if retriever is None:
        from assistant.index import load_embedder

        retriever = HybridRetriever(settings, embedder=BatchedEmbedder(load_embedder(settings)))
    manifest = retriever.index.manifest
    threshold = load_threshold(settings, manifest)
    name = getattr(verifier, "path", None) or type(verifier).__name__ if verifier else None
    support_bar: float | None = None  # an injected verifier's argmax is taken as it is
    coverage_bar: float | None = None
    if verifier is None and use_verifier:
        from assistant.verifier import coverage_threshold

        verifier, name = _load_verifier(settings, notes)
        support_bar = _support_bar(settings, notes) if verifier is not None else None
        coverage_bar = coverage_threshold(settings) if verifier is not None else None
    elif not use_verifier:
        notes.append("deterministic checks only: the verifier was turned off.")

    claims = extract_claims(article)
    if isinstance(retriever.embedder, BatchedEmbedder):
        retriever.embedder.prime([c.context for c in claims])
    evidence = [gather_evidence(retriever, c, threshold, settings.top_k) for c in claims]
    scores: list[list[dict[str, float]] | None] = [None] * len(claims)
    extra: list[list[list[dict[str, float]]]] = [[] for _ in claims]
    if verifier is not None:
        topic = content_stems(article.title)
        scores, extra = _verify(verifier, claims, evidence, load_threshold(settings), topic)
    verdicts = [
        decide(c, ev, sc, refs, cs, support_bar, coverage_bar)
        for c, ev, sc, cs in zip(claims, evidence, scores, extra, strict=True)
    ]
    counts = Counter(v.verdict for v in verdicts)
    return AuditReport(
        verdicts=verdicts,
        counts={k: counts.get(k, 0) for k in VERDICTS},
        build_id=str(manifest.get("build_id", "")),
        article_hash=article.content_hash,
        document_hashes={d.id: d.content_hash for d in docs},
        seconds=round(time.perf_counter() - started, 3),
        verifier=str(name) if name else None,
        notes=notes,
    )


# --- cache and lookup ------------------------------------------------------------------------
def _support_bar(settings: Settings, notes: list[str]) -> float:
    """The calibrated support probability for the shipped verifier (see
    verifier_calibration); never called supported when it cannot reach the precision asked."""
    import json as _json

    from assistant.verifier import SUPPORT_CALIBRATION_FILE, TARGET_PRECISION, support_threshold

    bar = support_threshold(settings)
    if bar is None:
        notes.append(
            "the verifier has no support calibration for these weights: nothing is "
            "called supported. Run `assistant calibrate-verifier`."
        )
        return float("inf")
    data = _json.loads((settings.verifier_path / SUPPORT_CALIBRATION_FILE).read_text())
    if data["precision"] < TARGET_PRECISION:
        notes.append(
            f"the verifier reaches only {data['precision']:.0%} precision on support at best "
            f"(held-out SciFact train; {TARGET_PRECISION:.0%} asked): a claim is called "
            "supported on its word only when a backing sentence also holds most of the "
            "claim's own words (the calibrated coverage bar); related passages are shown."
        )
        return float("inf")
    return bar


def _verifier_stamp(settings: Settings) -> str:
    weights = settings.verifier_path / "model.safetensors"
    try:
        st = weights.stat()
    except OSError:
        return "none"
    calibration = settings.verifier_path / "support_calibration.json"
    bar = calibration.read_text() if calibration.exists() else ""
    digest = hashlib.sha256(bar.encode()).hexdigest()[:12]
    return f"{st.st_size}:{st.st_mtime_ns}:{digest}"


def audit_key(settings: Settings, manifest: dict[str, Any]) -> str:
    """Changes whenever the audit could change: index build, any source, verifier, this code."""
    from assistant.sources import load_corpus

    hashes = sorted((d.id, d.content_hash) for d in load_corpus(settings))
    return json.dumps(
        [AUDIT_VERSION, manifest.get("build_id"), hashes, _verifier_stamp(settings)],
        separators=(",", ":"),
    )


def load_or_run_audit(
    settings: Settings,
    retriever: Any = None,
    *,
    verifier: VerifierLike | None = None,
    force: bool = False,
) -> AuditReport:
    """The cached audit (index/store/audit.json) when still valid, else a fresh one, saved."""
    from assistant.errors import IndexMissingError
    from assistant.index import Store

    manifest = Store(settings).read_manifest()
    if manifest is None:
        raise IndexMissingError("no index to audit against. Build it with `assistant index`.")
    key = audit_key(settings, manifest)
    path = settings.index_path / AUDIT_FILE
    if not force and path.exists():
        try:
            cached = AuditReport.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            cached = None  # unreadable or from another version: recompute
        if cached is not None and cached.key == key:
            return cached
    report = run_audit(settings, retriever=retriever, verifier=verifier)
    report.key = key
    atomic_write(path, json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    return report


def audit_lookup(
    settings: Settings, retriever: Any = None
) -> Callable[[int, int], list[ClaimVerdict]] | None:
    """A function from an article span to the audited claims overlapping it, or None when
    there is no index yet. The audit is loaded (or run) on first use and again after a
    rebuild; if it cannot be run, lookups return nothing rather than break an answer."""
    from assistant.index import Store

    store = Store(settings)
    try:
        if store.read_manifest() is None:
            return None
    except AssistantError:
        return None
    lock = threading.Lock()
    state: dict[str, Any] = {"stamp": object(), "verdicts": []}

    def lookup(start: int, end: int) -> list[ClaimVerdict]:
        stamp = store.manifest_stamp()
        with lock:
            if stamp != state["stamp"]:
                try:
                    state["verdicts"] = load_or_run_audit(settings, retriever).verdicts
                except AssistantError as exc:
                    state["verdicts"], state["error"] = [], str(exc)
                state["stamp"] = stamp
            verdicts = state["verdicts"]
        return [v for v in verdicts if v.span[0] < end and start < v.span[1]]

    return lookup


# --- agreement with hand labels ----------------------------------------------------------------
def evaluate_audit_gold(report: AuditReport, gold_path: Path | str) -> dict[str, Any]:
    """Accuracy and a confusion table (gold -> audit) against hand-labelled verdicts.

    A gold claim is matched to the audited claim whose span overlaps it most; a gold claim that
    no audited claim overlaps counts as "missed" (and as wrong in the accuracy).
    """
    path = Path(gold_path)
    try:
        gold = [
            json.loads(ln) for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()
        ]
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"cannot read the gold file {path} ({exc}): one JSON object a line."
        ) from exc
    confusion: dict[str, dict[str, int]] = {g: {} for g in VERDICTS}
    matched: set[tuple[int, int]] = set()
    correct = 0
    for row in gold:
        s, e = row["span"]
        best = max(
            report.verdicts, default=None, key=lambda v: min(e, v.span[1]) - max(s, v.span[0])
        )
        hit = best is not None and min(e, best.span[1]) > max(s, best.span[0])
        got = best.verdict if hit else "missed"  # type: ignore[union-attr]
        if hit:
            matched.add(best.span)  # type: ignore[union-attr]
        cell = confusion.setdefault(row["verdict"], {})
        cell[got] = cell.get(got, 0) + 1
        correct += got == row["verdict"]
    per_verdict = {}
    for v in VERDICTS:
        tp = confusion.get(v, {}).get(v, 0)
        gold_n = sum(confusion.get(v, {}).values())
        pred_n = sum(row.get(v, 0) for row in confusion.values())
        per_verdict[v] = {
            "gold": gold_n,
            "predicted": pred_n,
            "recall": round(tp / gold_n, 3) if gold_n else None,
            "precision": round(tp / pred_n, 3) if pred_n else None,
        }
    n = len(gold)
    return {
        "gold_claims": n,
        "matched": n - sum(row.get("missed", 0) for row in confusion.values()),
        "accuracy": round(correct / n, 3) if n else None,
        "confusion": {g: row for g, row in confusion.items() if row},
        "per_verdict": per_verdict,
        "audited_not_in_gold": [v.claim for v in report.verdicts if v.span not in matched],
        "verifier": report.verifier,
    }


# --- tables ------------------------------------------------------------------------------------
def _short(text: str, most: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def format_counts(report: AuditReport, verdicts: list[ClaimVerdict]) -> str:
    counts = Counter(v.verdict for v in verdicts)
    parts = [f"{k} {counts[k]}" for k in VERDICTS if counts.get(k)]
    how = "checked with the verifier" if report.verifier else "deterministic checks only"
    return f"{len(verdicts)} claims: {', '.join(parts) or 'none'} ({how}, {report.seconds:.1f}s)"


def format_text(report: AuditReport, verdicts: list[ClaimVerdict]) -> str:
    lines = [f"{'#':>3}  {'verdict':<12} {'ref':>3}  claim"]
    for n, v in enumerate(verdicts, start=1):
        ref = str(v.reference) if v.reference is not None else "-"
        lines.append(f"{n:>3}  {v.verdict:<12} {ref:>3}  {_short(v.claim, 90)}")
        lines.append(f"{'':>21}why: {_short(v.reason, 300)}")
        for e in v.evidence[:1]:
            lines.append(
                f"{'':>21}evidence: {e.document} ({e.provenance}) {_short(e.quote, 120)!r}"
            )
    lines += ["", format_counts(report, verdicts), *[f"note: {x}" for x in report.notes]]
    return "\n".join(lines)


def format_markdown(report: AuditReport, verdicts: list[ClaimVerdict]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        "| # | Claim | Cited | Ref | Verdict | Reason | Evidence |",
        "|---|---|---|---|---|---|---|",
    ]
    for n, v in enumerate(verdicts, start=1):
        ev = "<br>".join(
            f"{e.document} ({e.provenance}): “{cell(_short(e.quote, 160))}”" for e in v.evidence[:2]
        )
        lines.append(
            f"| {n} | {cell(v.claim)} | {cell(v.cited or '')} | {v.reference or ''} | "
            f"**{v.verdict}** | {cell(v.reason)} | {ev} |"
        )
    lines += ["", format_counts(report, verdicts), *[f"- note: {x}" for x in report.notes]]
    return "\n".join(lines)


def format_gold(result: dict[str, Any]) -> str:
    """The agreement with hand labels as text: accuracy, then the confusion table."""
    shown, corner = [*VERDICTS, "missed"], "gold \\ audit"
    lines = [
        f"agreement with {result['gold_claims']} hand-labelled claims: accuracy "
        f"{result['accuracy']:.3f} ({result['matched']} matched; "
        f"{'with the verifier' if result['verifier'] else 'deterministic checks only'})",
        "",
        f"{corner:<14}" + "".join(f"{v[:11]:>12}" for v in shown),
    ]
    for gold, row in result["confusion"].items():
        lines.append(f"{gold:<14}" + "".join(f"{row.get(v, 0):>12}" for v in shown))
    extra = result["audited_not_in_gold"]
    if extra:
        lines += ["", f"{len(extra)} audited claims have no hand label."]
    return "\n".join(lines)
