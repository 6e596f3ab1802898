"""A claim's verdict, with its reason: citation problems first, then what the sources say.

From the sources' text (``content_verdict``). The evidence of the references the claim
cites decides when there is any (other references' are shown, marked as not cited, and a
backing one among them is named); else every reference's. The verifier's probabilities for
each sentence and for the best sentences read as one passage are aggregated, and the most
probable label is its call; some one sentence (or the passage) must carry that label itself.
- support: "partial" when a named part of the claim is not in the evidence: a figure (35% =
  35 percent; ranges; doses), a named term (IL-6), one of its dependent clauses the verifier
  finds no support for, or its study design ("a randomized trial" is not "a meta-analysis");
  else "supported".
- contradict: "contradicted".
- not enough info: "unsupported".
The verifier's call stands as it is when the cited references give text (on Check-COVID dev,
its argmax there is right more often than any bar; `assistant bench audit`). Where the
evidence was found by search alone, support and contradiction must reach the bars calibrated
on dev sets for the precision asked (verifier.calibrate; below them: "unsupported", not
confirmed). A supported or contradicted verdict says how often such calls are right on dev.
Evidence from curated notes is said to be so. ``decide`` puts the citation check
(citing.py) first.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from assistant.audit.citations import COMPATIBLE, design_of
from assistant.audit.citing import citation_findings, unverifiable
from assistant.audit.claims import Claim, clauses
from assistant.audit.linking import ReferenceFacts
from assistant.audit.summary import summarize
from assistant.text import carried, quantities, specific_terms, term_carried
from assistant.types import ClaimVerdict, EvidenceQuote
from assistant.verifier import aggregate, describe_strength_gap, exaggerates, label_of

NOTES_SUFFIX = " (from curated notes, not the paper's text)"
SHOWN_EVIDENCE = 3  # quotes kept per claim for display; the verdict weighs all retrieved


@dataclass(frozen=True)
class Scores:
    """The verifier's reading of one claim's evidence, and the bar a support call must clear.

    ``sentences``: its probabilities per evidence sentence, or None when no verifier is
    available (then nothing is called supported). ``passage``: for the best sentences read
    together (audit.verify), if any. ``clauses``: per dependent clause of the claim
    (claims.clauses, after the first), sentence by sentence.
    ``support_bar``: the support probability the verifier must reach before a claim is called
    supported (verifier.calibrate); ``inf`` when it cannot reach the precision asked of it at
    any probability; None to trust its argmax (an injected verifier). ``contradict_bar``: the
    same for a contradiction call. The bars hold only where no cited reference gives text:
    there the evidence was found by search alone, on topic but often not on the claim.
    ``curves``: per label, the precision of the verifier's calls at or above each probability
    on dev sets (verifier.calibrate), to say how often a call like this one is right.
    """

    sentences: list[dict[str, float]] | None
    clauses: list[list[dict[str, float]]] = field(default_factory=list)
    support_bar: float | None = None
    passage: dict[str, float] | None = None
    contradict_bar: float | None = None
    curves: dict[str, list[dict[str, float]]] = field(default_factory=dict)


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
    """The verifier's call on a claim: support, contradict or nei, its aggregated
    probabilities, the deciding evidence with the sentences carrying that label first (each
    group most relevant first: its probabilities are too poorly calibrated to rank by, see
    its model card) and then the rest, and the deciding sentences it labels support."""

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
    who = ref.label if ref else ev.document
    return f"{who} (not cited for this claim)" if ev.cited is False else who


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


def _call(evidence: list[EvidenceQuote], scores: Scores) -> _Call:
    """The call from the deciding evidence: the cited references' when there is any."""
    sentences = scores.sentences or []
    deciding = [i for i, e in enumerate(evidence) if e.cited] or list(range(len(evidence)))
    read = [sentences[i] for i in deciding] + ([scores.passage] if scores.passage else [])
    overall = aggregate(read)
    label = label_of(overall)
    if label != "nei" and not any(label_of(s) == label for s in read):
        label = "nei"  # some one sentence (or the passage) must itself carry the label
    ranked = sorted(deciding, key=lambda i: label_of(sentences[i]) != label)
    rest = [i for i in range(len(evidence)) if i not in set(deciding)]
    ordered = [evidence[i] for i in ranked + rest]
    backing = [evidence[i] for i in ranked if label_of(sentences[i]) == "support"]
    if label == "support" and not backing:  # the passage backs it: its first sentence leads
        backing = [evidence[ranked[0]]]
    return _Call(label, overall, ordered, backing)


def dev_precision(curve: list[dict[str, float]], probability: float) -> float | None:
    """The precision, on dev sets, of the verifier's calls at or above the highest cut of the
    curve that this probability reaches; None without a curve."""
    reached = [point for point in curve if point["cut"] <= probability]
    return max(reached, key=lambda point: point["cut"])["precision"] if reached else None


def _contradicted(best: EvidenceQuote, refs: list[ReferenceFacts]) -> tuple[str, str]:
    said = f"{_quote(best.quote)}{_from_notes(best)}"
    return "contradicted", f"{_who(best, refs)} says otherwise: {said}."


def _other_backing(
    evidence: list[EvidenceQuote], scores: Scores, refs: list[ReferenceFacts]
) -> str:
    """When the cited references do not back the claim, a reference it does not cite that
    does, at the same bar: ' Reference 3 (not cited for this claim) backs it: ...'."""
    sentences = scores.sentences or []
    bar = scores.support_bar if scores.support_bar is not None else 0.0
    for i, e in enumerate(evidence):
        said = sentences[i]
        if e.cited is False and label_of(said) == "support" and said["support"] >= bar:
            return f" {_who(e, refs)} backs it: {_quote(e.quote)}{_from_notes(e)}."
    return ""


def _backed(
    claim: Claim, call: _Call, scores: Scores, refs: list[ReferenceFacts], checks: dict
) -> tuple[str, str]:
    """The verifier leans to support: a named part missing makes it partial (the rest is
    backed, the named part is not, whatever the bar); else the bar decides."""
    best = call.backing[0]
    who, suffix = _who(best, refs), _from_notes(best)
    gaps = _gaps(claim, call.ordered, scores.clauses)
    checks["missing"] = gaps
    checks["basis"] = "gaps"
    if gaps:
        return "partial", f"{who} backs {_quote(best.quote)} but not {', '.join(gaps)}{suffix}."
    checks["basis"] = "design"
    if conflict := _design_conflict(claim, best, refs):
        return "partial", f"Study type differs: {conflict}{suffix}."
    if scores.support_bar is not None and call.overall["support"] < scores.support_bar:
        checks["support_bar"] = scores.support_bar
        checks["basis"] = "unsure_support"
        return "unsupported", (
            f"Not confirmed: the closest related passage, {who}: {_quote(best.quote)}{suffix}; "
            "the verifier is not sure enough to call it supported (see its model card)."
        )
    checks["basis"] = "support"
    return "supported", f"{who}: {_quote(best.quote)}{suffix}."


def content_verdict(
    claim: Claim, evidence: list[EvidenceQuote], scores: Scores, refs: list[ReferenceFacts]
) -> ContentVerdict:
    """The claim's verdict from the sources' text alone (see the module doc and ``Scores``)."""
    wanted = quantities(claim.statement)
    checks: dict[str, Any] = {"quantities": [q.text for q in wanted], "verifier": None}
    if not evidence:
        checks["basis"] = "no_evidence"
        return ContentVerdict("unsupported", "No reference passage relates to it.", [], checks)
    absent = [q.text for q in wanted if not any(carried(q, e.quote) for e in evidence)]
    closest = f"closest passage, {_who(evidence[0], refs)}: {_quote(evidence[0].quote)}"
    why = f"No source gives {', '.join(absent)}" if absent else "No source states it"
    checks["absent"] = absent
    if scores.sentences is None:
        checks["basis"] = "absent" if absent else "no_verifier"
        why = why if absent else "Not verified (no verifier model)"
        return ContentVerdict("unsupported", f"{why}; {closest}.", evidence, checks)
    searched = scores
    if any(e.cited for e in evidence):  # the cited references decide, by the verifier's call
        scores = replace(scores, support_bar=None, contradict_bar=None)
    call = _call(evidence, scores)
    checks["verifier"] = {k: round(v, 4) for k, v in call.overall.items()} | {"label": call.label}
    if call.label == "nei":
        lead = call.ordered[0]
        closest = f"closest passage, {_who(lead, refs)}: {_quote(lead.quote)}{_from_notes(lead)}"
        reason = f"{why}; {closest}."
        verdict = "unsupported"
        checks["basis"] = "absent" if absent else "nei"
    elif call.label == "contradict" and call.overall["contradict"] < (scores.contradict_bar or 0.0):
        checks["contradict_bar"] = scores.contradict_bar
        checks["basis"] = "unsure_contradict"
        lead = call.ordered[0]
        verdict, reason = (
            "unsupported",
            (
                f"Not confirmed: {_who(lead, refs)} may say otherwise: {_quote(lead.quote)}"
                f"{_from_notes(lead)}; the verifier is not sure enough to call it contradicted."
            ),
        )
    elif call.label == "contradict":
        verdict, reason = _contradicted(call.ordered[0], refs)
        checks["basis"] = "contradict"
        reason = (f"No source gives {', '.join(absent)}; " if absent else "") + reason
    else:
        verdict, reason = _backed(claim, call, scores, refs, checks)
    if verdict != "supported" and any(e.cited for e in evidence):
        reason += _other_backing(evidence, searched, refs)
    if verdict in ("supported", "contradicted") and (
        (right := dev_precision(scores.curves.get(call.label, []), call.overall[call.label]))
        is not None
    ):
        checks["dev_precision"] = right
        reason += f" (On dev sets, such calls of the verifier are right {right:.0%} of the time.)"
    return ContentVerdict(verdict, reason, call.ordered, checks)


def decide(
    claim: Claim,
    evidence: list[EvidenceQuote],
    scores: list[dict[str, float]] | None,
    refs: list[ReferenceFacts],
    clause_scores: list[list[dict[str, float]]] | None = None,
    support_bar: float | None = None,
    passage: dict[str, float] | None = None,
    contradict_bar: float | None = None,
    curves: dict[str, list[dict[str, float]]] | None = None,
) -> ClaimVerdict:
    """The claim's verdict: citation problems first (miscited), then what the sources say
    (``content_verdict``; the scores and the bar as ``Scores`` describes them)."""
    links, problems = citation_findings(claim, refs)
    read = Scores(scores, clause_scores or [], support_bar, passage, contradict_bar, curves or {})
    found = content_verdict(claim, evidence, read, refs)
    found.checks.update(links=links, cues=list(claim.cues), content_verdict=found.verdict)
    verdict, reason = found.verdict, found.reason
    if problems:
        said = "; ".join(problems)
        reason = f"{said[0].upper()}{said[1:]}. The finding itself: {verdict}: {reason}"
        verdict = "miscited"
    unchecked = unverifiable(links, refs)
    if not problems:
        reason = unchecked + reason
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
        summary=summarize(
            verdict, found.checks, found.evidence, links, bool(unchecked and not problems)
        ),
        context=claim.lead_in,
    )


def overstated(verdict: ClaimVerdict, claim_strength: int, evidence_strength: int) -> ClaimVerdict:
    """A supported (or partial) claim that states a stronger relation than its best evidence
    (claim strength, verifier.strength: causal vs correlational) is partial, and its reason
    says so in plain words; the evidence must state some relation itself."""
    verdict.checks["strength"] = {"claim": claim_strength, "evidence": evidence_strength}
    if verdict.verdict not in ("supported", "partial") or evidence_strength < 1:
        return verdict
    if not exaggerates(claim_strength, evidence_strength):
        return verdict
    gap = describe_strength_gap(claim_strength, evidence_strength)
    verdict.checks["overstated"] = True
    if verdict.checks.get("content_verdict") == "supported":
        verdict.checks["content_verdict"] = "partial"
    return replace(
        verdict,
        verdict="partial",
        reason=f"Overstated: {gap}. {verdict.reason}",
        summary=f"Overstated: {gap}. {verdict.summary}".strip(),
    )
