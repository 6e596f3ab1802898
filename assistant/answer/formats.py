"""The JSON shapes of an Answer and a ClaimVerdict (`assistant ask --json`, the page, the eval)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from assistant.types import Answer, ClaimVerdict

__all__ = ["answer_to_dict", "verdict_to_dict"]


def verdict_to_dict(v: ClaimVerdict) -> dict[str, Any]:
    return {
        "claim": v.claim,
        "span": list(v.span),
        "section": v.section,
        "cited": v.cited,
        "reference": v.reference,
        "verdict": v.verdict,
        "summary": v.summary,
        "reason": v.reason,
        "context": v.context,
        "evidence": [asdict(e) for e in v.evidence],
    }


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    """The JSON shape of `assistant ask --json`."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "declined": answer.declined,
        "direct_answer": answer.direct_answer,
        "lead": answer.lead,
        "engine": answer.engine,
        "confidence": None if answer.confidence is None else round(answer.confidence, 4),
        "citations": [
            {
                "marker": c.marker,
                "document": c.document,
                "reference": c.reference,
                "title": c.title,
                "section": c.section,
                "quote": c.quote,
                "start": c.start,
                "end": c.end,
                "provenance": c.provenance,
                "notice": c.notice,
                "url": c.url,
            }
            for c in answer.citations
        ],
        "beyond_sources": [verdict_to_dict(v) for v in answer.beyond_sources],
        "notes": answer.notes,
        "timings": {k: round(v, 4) for k, v in answer.timings.items()},
    }
