"""A claim's verdict, with its reason: citation problems first, then what the sources say.

From the sources' text (``content_verdict``): the verifier's argmax over the aggregated
scores says support / contradict / not enough info, and one sentence must carry that label
itself. Deterministic rules on top: support becomes "partial" when the evidence lacks a
figure of the claim (35% = 35 percent; ranges; doses), a named term (IL-6), one of its
dependent clauses, or its study design ("a randomized trial" is not "a meta-analysis").
"Supported" further needs the calibrated support probability, or a backing sentence holding
the calibrated share of the claim's own content words. Contradiction needs opposite polarity
(one side negated), else it is a related finding the article restates: "partial". Evidence
from curated notes is said to be so. ``decide`` puts the citation check (citing.py) first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.audit.citations import COMPATIBLE, design_of
from assistant.audit.citing import citation_findings, unverifiable
from assistant.audit.claims import Claim, clauses
from assistant.audit.linking import ReferenceFacts
from assistant.text import carried, coverage, negated, quantities, specific_terms, term_carried
from assistant.types import ClaimVerdict, EvidenceQuote
from assistant.verifier import aggregate, label_of

NOTES_SUFFIX = " (from curated notes, not the paper's text)"
SHOWN_EVIDENCE = 3  # quotes kept per claim for display; the verdict weighs all retrieved


@dataclass(frozen=True)
class Scores:
    """The verifier's reading of one claim's evidence, and the bars a support call must clear.

    ``sentences``: its probabilities per evidence sentence, or None when no verifier is
    available (then nothing is called supported). ``clauses``: the same for each dependent
    clause of the claim (claims.clauses, after the first).
    ``support_bar``: the support probability the verifier must reach before a claim is called
    supported (verifier_calibration); ``inf`` when the verifier cannot reach the precision
    asked of it at any probability; None to trust its argmax (an injected verifier).
    ``coverage_bar``: the second way to "supported" below that probability (verifier
    calibration): the verifier's support call plus one backing sentence holding at least this
    share of the claim's own content words; None for no second way.
    """

    sentences: list[dict[str, float]] | None
    clauses: list[list[dict[str, float]]] = field(default_factory=list)
    support_bar: float | None = None
    coverage_bar: float | None = None


@dataclass
class ContentVerdict:
    """What the sources' text alone says of a claim: the verdict, its reason, the evidence
    best first, and the checks behind it."""

    verdict: str
    reason: str
    evidence: list[EvidenceQuote]
    checks: dict[str, Any]


@dataclass(frozen=True)
class _Call:
    """The verifier's call on a claim: support or contradict, its aggregated probabilities,
    the evidence with the sentences carrying that label first (each group most relevant
    first: its probabilities are too poorly calibrated to rank by, see its model card), and
    the sentences it labels support."""

    label: str
    overall: dict[str, float]
    ordered: list[EvidenceQuote]
    backing: list[EvidenceQuote]


def _quote(text: str, most: int = 140) -> str:
    text = " ".join(text.split()).rstrip(".")  # the reason supplies its own full stop
    return f"'{text if len(text) <= most else text[: most - 1].rstrip() + '…'}'"


def _from_notes(ev: EvidenceQuote) -> str:
    return NOTES_SUFFIX if ev.provenance == "curated_notes" else ""


def _who(ev: EvidenceQuote, refs: list[ReferenceFacts]) -> str:
    ref = next((r for r in refs if r.number == ev.reference), None)
    return ref.label if ref else ev.document


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


def _gaps(
    claim: Claim, evidence: list[EvidenceQuote], clause_scores: list[list[dict[str, float]]]
) -> list[str]:
    """What the sources leave out: figures and named terms no evidence sentence retrieved for
    the claim carries, and dependent clauses the verifier finds no support for."""
    gaps = [
        f"the figure {q.text}"
        for q in quantities(claim.statement)
        if not any(carried(q, e.quote) for e in evidence)
    ]
    gaps += [
        f"{t}"
        for t, spelled in specific_terms(claim.statement)
        if not any(term_carried(t, spelled, e.quote) for e in evidence)
    ]
    extra = clauses(claim.statement)[1:]
    gaps += [
        f"'{clause}'"
        for clause, sc in zip(extra, clause_scores, strict=False)
        if not any(label_of(x) == "support" for x in sc)
    ]
    return gaps


def _call(evidence: list[EvidenceQuote], sentences: list[dict[str, float]]) -> _Call:
    overall = aggregate(sentences)
    label = label_of(overall)
    if label != "nei" and not any(label_of(s) == label for s in sentences):
        label = "nei"  # some one sentence must itself support (or contradict) the claim
    ranked = sorted(range(len(evidence)), key=lambda i: label_of(sentences[i]) != label)
    ordered = [evidence[i] for i in ranked]
    backing = [evidence[i] for i in ranked if label_of(sentences[i]) == "support"]
    return _Call(label, overall, ordered, backing)


def _contradicted(claim: Claim, best: EvidenceQuote, refs: list[ReferenceFacts]) -> tuple[str, str]:
    who, said = _who(best, refs), f"{_quote(best.quote)}{_from_notes(best)}"
    if negated(best.quote) != negated(claim.statement):
        return "contradicted", f"{who} says otherwise: {said}."
    # The verifier tells support from contradiction poorly (see its model card); with no
    # negation on one side only, the sentence is a related finding the claim restates.
    return "partial", f"{who} addresses it but not as the article puts it: {said}."


def _below_bar(
    claim: Claim, call: _Call, coverage_bar: float | None, refs: list[ReferenceFacts], checks: dict
) -> tuple[str, str]:
    """Support below the calibrated probability: supported only through a backing sentence
    that holds the calibrated share of the claim's own words."""
    bar = coverage_bar if coverage_bar is not None else float("inf")
    covering = [(cov, e) for e in call.backing if (cov := coverage(claim.context, e.quote)) >= bar]
    if covering:
        cov, e = max(covering, key=lambda pair: pair[0])
        checks["coverage"] = {"bar": coverage_bar, "best": round(cov, 3)}
        return "supported", f"{_who(e, refs)}: {_quote(e.quote)}{_from_notes(e)}."
    best = call.ordered[0]
    return "unsupported", (
        f"Not confirmed: the closest related passage, {_who(best, refs)}: "
        f"{_quote(best.quote)}{_from_notes(best)}; "
        "the verifier is not precise enough to call it supported (see its model card)."
    )


def _backed(
    claim: Claim, call: _Call, scores: Scores, refs: list[ReferenceFacts], checks: dict
) -> tuple[str, str]:
    """The verifier says support: what the deterministic rules and the bars make of it."""
    best = call.ordered[0]
    who, suffix = _who(best, refs), _from_notes(best)
    gaps = _gaps(claim, call.ordered, scores.clauses)
    checks["missing"] = gaps
    if gaps:
        return "partial", f"{who} backs {_quote(best.quote)} but not {', '.join(gaps)}{suffix}."
    if conflict := _design_conflict(claim, best, refs):
        return "partial", f"Study type differs: {conflict}{suffix}."
    if scores.support_bar is not None and call.overall["support"] < scores.support_bar:
        checks["support_bar"] = scores.support_bar
        return _below_bar(claim, call, scores.coverage_bar, refs, checks)
    return "supported", f"{who}: {_quote(best.quote)}{suffix}."


def content_verdict(
    claim: Claim, evidence: list[EvidenceQuote], scores: Scores, refs: list[ReferenceFacts]
) -> ContentVerdict:
    """The claim's verdict from the sources' text alone (see the module doc and ``Scores``)."""
    wanted = quantities(claim.statement)
    checks: dict[str, Any] = {"quantities": [q.text for q in wanted], "verifier": None}
    if not evidence:
        return ContentVerdict("unsupported", "No reference passage relates to it.", [], checks)
    absent = [q.text for q in wanted if not any(carried(q, e.quote) for e in evidence)]
    closest = f"closest passage, {_who(evidence[0], refs)}: {_quote(evidence[0].quote)}"
    why = f"No source gives {', '.join(absent)}" if absent else "No source states it"
    if scores.sentences is None:
        why = why if absent else "Not verified (no verifier model)"
        return ContentVerdict("unsupported", f"{why}; {closest}.", evidence, checks)
    call = _call(evidence, scores.sentences)
    checks["verifier"] = {k: round(v, 4) for k, v in call.overall.items()} | {"label": call.label}
    if call.label == "nei":
        reason = f"{why}; {closest}{_from_notes(evidence[0])}."
        return ContentVerdict("unsupported", reason, evidence, checks)
    if call.label == "contradict":
        verdict, reason = _contradicted(claim, call.ordered[0], refs)
        lacking = f"No source gives {', '.join(absent)}; " if absent else ""
        return ContentVerdict(verdict, lacking + reason, call.ordered, checks)
    verdict, reason = _backed(claim, call, scores, refs, checks)
    return ContentVerdict(verdict, reason, call.ordered, checks)


def decide(
    claim: Claim,
    evidence: list[EvidenceQuote],
    scores: list[dict[str, float]] | None,
    refs: list[ReferenceFacts],
    clause_scores: list[list[dict[str, float]]] | None = None,
    support_bar: float | None = None,
    coverage_bar: float | None = None,
) -> ClaimVerdict:
    """The claim's verdict: citation problems first (miscited), then what the sources say
    (``content_verdict``; the scores and bars as ``Scores`` describes them)."""
    links, problems = citation_findings(claim, refs)
    read = Scores(scores, clause_scores or [], support_bar, coverage_bar)
    found = content_verdict(claim, evidence, read, refs)
    found.checks.update(links=links, cues=list(claim.cues), content_verdict=found.verdict)
    verdict, reason = found.verdict, found.reason
    if problems:
        said = "; ".join(problems)
        reason = f"{said[0].upper()}{said[1:]}. The finding itself: {verdict}: {reason}"
        verdict = "miscited"
    else:
        reason = unverifiable(links, refs) + reason
    linked = [row["reference"] for row in links if row["reference"] is not None]
    return ClaimVerdict(
        claim=claim.text,
        span=(claim.start, claim.end),
        section=" > ".join(claim.section),
        verdict=verdict,  # type: ignore[arg-type]
        reason=reason,
        cited="; ".join(m.text for m in claim.mentions) or None,
        reference=linked[0] if linked else None,
        evidence=found.evidence[:SHOWN_EVIDENCE],
        checks=found.checks,
    )
