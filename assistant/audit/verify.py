"""The verifier's part in the audit: which model reads the evidence, and what it reads.

The verifier (a cross-encoder trained on SciFact, assistant.verifier) reads only the
sentences that address a claim: cosine at or above the claim-to-sentence threshold calibrated
on SciFact train, and a content word shared beyond the article's topic. All claims, and each
of their dependent clauses, are scored in one batch. The calibrated bars a "supported" call
must clear come with the shipped model; an injected verifier's argmax is taken as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from assistant.audit.claims import Claim, clauses
from assistant.errors import ModelError
from assistant.settings import Settings
from assistant.text import content_stems
from assistant.types import EvidenceQuote
from assistant.verifier import (
    SUPPORT_CALIBRATION_FILE,
    TARGET_PRECISION,
    Verifier,
    coverage_threshold,
    support_threshold,
)

NOT_ADDRESSED = {"support": 0.0, "contradict": 0.0, "nei": 1.0}


class VerifierLike(Protocol):
    def predict(self, pairs: list[tuple[str, str]]) -> list[dict[str, float]]: ...


@dataclass(frozen=True)
class VerifierChoice:
    """The verifier an audit uses (None: deterministic checks only), its name for the report,
    and the calibrated bars a support call must clear (None: take its argmax as it is)."""

    model: VerifierLike | None
    name: str | None
    support_bar: float | None = None
    coverage_bar: float | None = None


def _load_verifier(settings: Settings, notes: list[str]) -> tuple[VerifierLike | None, str | None]:
    try:
        verifier = Verifier.load(settings=settings)
    except ModelError as exc:
        notes.append(f"deterministic checks only, no verifier: {exc}")
        return None, None
    return verifier, str(verifier.path)


def _support_bar(settings: Settings, notes: list[str]) -> float:
    """The calibrated support probability for the shipped verifier (see
    verifier_calibration); never called supported when it cannot reach the precision asked."""
    bar = support_threshold(settings)
    if bar is None:
        notes.append(
            "the verifier has no support calibration for these weights: nothing is "
            "called supported. Run `assistant calibrate-verifier`."
        )
        return float("inf")
    data = json.loads((settings.verifier_path / SUPPORT_CALIBRATION_FILE).read_text())
    if data["precision"] < TARGET_PRECISION:
        notes.append(
            f"the verifier reaches only {data['precision']:.0%} precision on support at best "
            f"(held-out SciFact train; {TARGET_PRECISION:.0%} asked): a claim is called "
            "supported on its word only when a backing sentence also holds most of the "
            "claim's own words (the calibrated coverage bar); related passages are shown."
        )
        return float("inf")
    return bar


def choose_verifier(
    settings: Settings, verifier: VerifierLike | None, use_verifier: bool, notes: list[str]
) -> VerifierChoice:
    """The injected verifier as it is, else the shipped one with its calibrated bars (or none
    when its weights are missing or ``use_verifier`` is off); each limit goes into ``notes``."""
    name = getattr(verifier, "path", None) or type(verifier).__name__ if verifier else None
    if verifier is None and use_verifier:
        loaded, name = _load_verifier(settings, notes)
        if loaded is None:
            return VerifierChoice(None, name)
        support_bar = _support_bar(settings, notes)
        return VerifierChoice(loaded, name, support_bar, coverage_threshold(settings))
    if not use_verifier:
        notes.append("deterministic checks only: the verifier was turned off.")
    return VerifierChoice(verifier, name)


def anchored(statement: str, sentence: str, topic: set[str]) -> bool:
    """Does the sentence share a content word with the claim beyond the article's topic (the
    words of its title)? Sharing only 'magnesium' makes a sentence on-topic, not on-claim."""
    return bool((content_stems(statement) & content_stems(sentence)) - topic)


def verifier_scores(
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
