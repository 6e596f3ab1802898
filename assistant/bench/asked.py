"""Answers about an audited benchmark article: do their warnings bear on the question?

After `bench audit --ask` has audited its article (one claim a paragraph, bench/audit.py),
each claim is asked back as a question ("Is it true that ...?"), as a reader checking that
claim would ask it. An answer's "beyond the sources" warnings should be about the claim asked,
not about the other claims its quotes happen to touch. Reported:

- warnings_per_answer: the warnings an answer shows, on average;
- warnings_on_asked: the share of those warnings that are about the claim asked;
- asked_warned: of the claims the audit did not call supported (so each has a warning to
  give), the share whose answer shows that claim's own warning.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.evaluation.metrics import overlaps
from assistant.settings import Settings
from assistant.types import ClaimVerdict


def question_for(claim: str) -> str:
    """A claim as a reader checking it would ask it."""
    return f"Is it true that {claim.strip().rstrip('.')}?"


def ask_about_claims(
    settings: Settings,
    claims: list[str],
    spans: list[tuple[int, int]],
    verdicts: list[ClaimVerdict],
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Ask each claim (at its article span) over the built index, with the audit's verdicts
    as the answers' warnings."""
    from assistant.answer import AnswerEngine  # lazy: the answer chain loads the models

    def lookup(start: int, end: int) -> list[ClaimVerdict]:
        return [v for v in verdicts if overlaps(v.span, (start, end))]

    engine = AnswerEngine(settings, audit=lookup)
    log(f"asking {len(claims)} claims back as questions")
    shown = on_asked = declined = to_warn = warned = 0
    for claim, span in zip(claims, spans, strict=True):
        answer = engine.ask(question_for(claim))
        if answer.declined:
            declined += 1
        mine = [v for v in answer.beyond_sources if overlaps(v.span, span)]
        shown += len(answer.beyond_sources)
        on_asked += len(mine)
        if any(v.verdict != "supported" for v in lookup(*span)):
            to_warn += 1
            warned += bool(mine)
    return {
        "asked": len(claims),
        "declined": declined,
        "warnings_per_answer": round(shown / len(claims), 3) if claims else None,
        "warnings_on_asked": round(on_asked / shown, 3) if shown else None,
        "asked_with_a_warning_to_give": to_warn,
        "asked_warned": round(warned / to_warn, 3) if to_warn else None,
    }
