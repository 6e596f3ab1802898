"""A verdict's reason in one or two short sentences, for the audit table and its exports.

The full reason (quotes, reference labels, the verifier's dev precision) stays beside it and
is shown when a row is opened. The summary is read off the same decision the reason was
written from (``checks["basis"]`` set by verdict.content_verdict, the citation links of
citing.py), so the two cannot disagree.
"""

from __future__ import annotations

from typing import Any

from assistant.types import EvidenceQuote

_CONTENT = {
    "no_evidence": "No reference passage relates to it.",
    "no_verifier": "Not checked: no verifier model is installed.",
    "nei": "No source states it.",
    "unsure_support": "The closest passage does not clearly back it.",
    "unsure_contradict": "{ref} may say otherwise, though not clearly.",
    "contradict": "{ref} says otherwise.",
    "gaps": "{ref} backs part of it, but not {missing}.",
    "design": "{ref} is another kind of study than the claim says.",
    "support": "{ref} states it.",
}
_MOST_MISSING = 2


def _ref(evidence: list[EvidenceQuote]) -> str:
    first = evidence[0] if evidence else None
    if first is None or first.reference is None:
        return "A source"
    return f"Reference {first.reference}"


def _missing(gaps: list[str]) -> str:
    shown = [g if len(g) <= 40 else g[:39].rstrip() + "…'" for g in gaps[:_MOST_MISSING]]
    more = len(gaps) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def content_summary(checks: dict[str, Any], evidence: list[EvidenceQuote]) -> str:
    """What the sources' text says of the claim, in one sentence."""
    basis = checks.get("basis")
    absent = checks.get("absent") or []
    if basis in ("absent", "nei", "no_verifier") and absent:
        return f"No source gives {', '.join(absent)}."
    template = _CONTENT.get(str(basis), "")
    return template.format(ref=_ref(evidence), missing=_missing(checks.get("missing") or []))


def citation_summary(links: list[dict[str, Any]]) -> str:
    """The first problem with the claim's citations, in one sentence ("" when none)."""
    for row in links:
        if row.get("status") == "not_in_list":
            return "What it cites is not in the reference list."
        if row.get("status") == "mismatch":
            fields = ", ".join(
                str(d["field"]).replace("_", " ") for d in row.get("mismatches") or []
            )
            return f"Its citation does not match reference {row['reference']} ({fields})."
    return ""


def summarize(
    verdict: str,
    checks: dict[str, Any],
    evidence: list[EvidenceQuote],
    links: list[dict[str, Any]],
    unchecked: bool = False,
) -> str:
    """The verdict's short reason: a citation problem first, then what the sources say."""
    parts = [citation_summary(links) if verdict == "miscited" else ""]
    if unchecked:
        parts.append("Its cited reference could not be checked.")
    parts.append(content_summary(checks, evidence))
    return " ".join(p for p in parts if p)
