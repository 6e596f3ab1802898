"""The verifier's part in the audit: which model reads the evidence, and what it reads.

The verifier (a cross-encoder, assistant.verifier) reads every sentence the claim's cited
references give, and from the other references those that address it (cosine at or above
the claim-to-sentence threshold, a content word shared beyond the article's topic); it also
reads the best of them joined as one passage. All claims, and each of their dependent
clauses, are scored in one batch. The support probability a "supported" call must reach is
calibrated on dev sets and ships with the model; an injected verifier's argmax is taken as
it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from assistant.audit.claims import Claim, clauses
from assistant.errors import ModelError
from assistant.settings import Settings
from assistant.text import content_stems
from assistant.types import EvidenceQuote
from assistant.verifier import (
    TARGET_PRECISION,
    StrengthClassifier,
    Verifier,
    load_calibration,
)

NOT_ADDRESSED = {"support": 0.0, "contradict": 0.0, "nei": 1.0}


class VerifierLike(Protocol):
    def predict(self, pairs: list[tuple[str, str]]) -> list[dict[str, float]]: ...


class StrengthLike(Protocol):
    def predict(self, texts: list[str]) -> list[dict]: ...


def load_strength(settings: Settings, notes: list[str]) -> StrengthLike | None:
    """The shipped claim-strength model, or None (overstatement is then not checked)."""
    try:
        return StrengthClassifier.load(settings=settings)
    except ModelError as exc:
        notes.append(f"overstated relations are not checked, no claim-strength model: {exc}")
        return None


@dataclass(frozen=True)
class VerifierChoice:
    """The verifier an audit uses (None: deterministic checks only), its name for the report,
    and the calibrated support probability a support call must reach (None: take its argmax
    as it is)."""

    model: VerifierLike | None
    name: str | None
    support_bar: float | None = None
    contradict_bar: float | None = None
    curves: dict[str, list[dict[str, float]]] = field(default_factory=dict)


def _load_verifier(settings: Settings, notes: list[str]) -> tuple[VerifierLike | None, str | None]:
    try:
        verifier = Verifier.load(settings=settings)
    except ModelError as exc:
        notes.append(f"deterministic checks only, no verifier: {exc}")
        return None, None
    return verifier, str(verifier.path)


def _bars(data: dict | None, notes: list[str]) -> tuple[float, float]:
    """The calibrated support and contradiction probabilities for the shipped verifier, from
    its saved calibration (verifier.calibrate); a call it cannot make at the precision asked
    is never made (inf)."""
    if data is None or data.get("contradict_threshold") is None:
        notes.append(
            "the verifier has no calibration for these weights: nothing is called supported "
            "or contradicted. Run `assistant calibrate-verifier`."
        )
        return float("inf"), float("inf")
    bars = []
    for name, bar, precision in (
        ("supported", data["support_threshold"], data["precision"]),
        ("contradicted", data["contradict_threshold"], data["contradict_precision"]),
    ):
        if precision < TARGET_PRECISION:
            notes.append(
                f"the verifier reaches only {precision:.0%} precision on '{name}' at best "
                f"({data['data']}; {TARGET_PRECISION:.0%} asked): a claim whose cited "
                f"references give no text is never called {name}; the closest passages are "
                "shown."
            )
            bar = float("inf")
        bars.append(float(bar))
    return bars[0], bars[1]


def _curves(data: dict | None) -> dict[str, list[dict[str, float]]]:
    """Per label, the saved precision-recall curve of the verifier's calls (none without a
    calibration)."""
    return {
        label: (data or {}).get(label, {}).get("curve", []) for label in ("support", "contradict")
    }


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
        data = load_calibration(settings)
        return VerifierChoice(loaded, name, *_bars(data, notes), _curves(data))
    if not use_verifier:
        notes.append("deterministic checks only: the verifier was turned off.")
    return VerifierChoice(verifier, name)


def anchored(statement: str, sentence: str, topic: set[str]) -> bool:
    """Does the sentence share a content word with the claim beyond the article's topic (the
    words of its title)? Sharing only 'magnesium' makes a sentence on-topic, not on-claim."""
    return bool((content_stems(statement) & content_stems(sentence)) - topic)


PASSAGE_SENTENCES = 3  # the best sentences the verifier also reads as one passage


@dataclass(frozen=True)
class Reading:
    """The verifier's reading of one claim's evidence: its probabilities per evidence
    sentence (NOT_ADDRESSED for a sentence it did not read), for the best sentences read
    together as one passage (None when fewer than two were read), and per dependent clause
    of the claim (claims.clauses, after the first), sentence by sentence."""

    sentences: list[dict[str, float]]
    passage: dict[str, float] | None = None
    clauses: list[list[dict[str, float]]] = field(default_factory=list)


def _read(c: Claim, ev: list[EvidenceQuote], cut: float, topic: set[str]) -> list[int]:
    """Which sentences the verifier reads: all from the references the claim cites; from the
    others, those that address it (cosine at or above ``cut``, a content word shared beyond
    the article's topic)."""
    return [
        j
        for j, e in enumerate(ev)
        if e.cited or ((e.score or 0.0) >= cut and anchored(c.statement, e.quote, topic))
    ]


def _passage(ev: list[EvidenceQuote], read: list[int]) -> str | None:
    """The best read sentences as one passage: the cited ones when there are, else all."""
    basis = [j for j in read if ev[j].cited] or read
    chosen = basis[:PASSAGE_SENTENCES]
    return " ".join(ev[j].quote for j in chosen) if len(chosen) > 1 else None


def verifier_scores(
    verifier: VerifierLike,
    claims: list[Claim],
    evidence: list[list[EvidenceQuote]],
    cut: float,
    topic: set[str],
) -> list[Reading]:
    """The verifier's reading of every claim's evidence (``Reading``), in one batch.

    A sentence it does not read (``_read``) is "not enough info" by definition: a sentence on
    another matter can neither back nor refute the claim. The passage matters because a
    finding is often spread over two sentences (a result and its comparison group); the
    verifier was trained on such joined rationales.
    """
    jobs: list[tuple[int, int, int, int]] = []  # (claim, clause or -1: the claim, sentence, pair)
    pairs: list[tuple[str, str]] = []
    passages: dict[int, int] = {}  # claim -> its passage's index in pairs
    for i, (c, ev) in enumerate(zip(claims, evidence, strict=True)):
        texts = [c.context, *clauses(c.statement)[1:]]
        read = _read(c, ev, cut, topic)
        for j in read:
            for k, text in enumerate(texts):
                jobs.append((i, k - 1, j, len(pairs)))
                pairs.append((text, ev[j].quote))
        if (joined := _passage(ev, read)) is not None:
            passages[i] = len(pairs)
            pairs.append((c.context, joined))
    predicted = verifier.predict(pairs)
    scores = [[NOT_ADDRESSED] * len(ev) for ev in evidence]
    extra = [
        [[NOT_ADDRESSED] * len(ev) for _ in clauses(c.statement)[1:]]
        for c, ev in zip(claims, evidence, strict=True)
    ]
    for i, k, j, at in jobs:
        probs = predicted[at]
        if k < 0:
            scores[i][j] = probs
        else:
            extra[i][k][j] = probs
    return [
        Reading(scores[i], predicted[passages[i]] if i in passages else None, extra[i])
        for i in range(len(claims))
    ]
