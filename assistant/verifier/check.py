"""`assistant verify`: a claim against evidence text, as the audit itself judges it.

One claim (with evidence as a text or a list of sentences) gives a label, the calibrated
probabilities of the three labels, the claim strength of the claim and of its evidence
(0 no relation, 1 correlational, 2 conditional causal, 3 direct causal) and whether the claim
states a stronger relation than its evidence ("exaggerates"). A batch is JSON lines, one claim
a line; a line that cannot be read becomes an error entry naming its line number and the other
lines still run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from assistant.errors import InputError

__all__ = [
    "LABEL_NAMES",
    "ClaimInput",
    "batches",
    "check_claims",
    "make_input",
    "parse_line",
    "read_batch",
]

LABEL_NAMES = {"support": "supported", "contradict": "contradicted", "nei": "not_enough_info"}
BATCH = 32  # claims verified together: a long file streams out in pieces this size


class VerifierLike(Protocol):
    def predict(self, pairs: list[tuple[str, str]]) -> list[dict[str, float]]: ...


class StrengthLike(Protocol):
    def predict(self, texts: list[str]) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class ClaimInput:
    """One claim to check, with its evidence as sentences (one text is one sentence)."""

    id: Any
    claim: str
    evidence: tuple[str, ...]


def _texts(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{what} must be a text or a list of texts.")
    texts = tuple(v.strip() for v in value if v.strip())
    if not texts:
        raise InputError(f"{what} is empty.")
    return texts


def make_input(claim: Any, evidence: Any, id: Any = None) -> ClaimInput:
    """A checked input: a non-empty claim text and non-empty evidence."""
    return ClaimInput(id, _texts(claim, "the claim")[0], _texts(evidence, "the evidence"))


def parse_line(line: str, number: int) -> ClaimInput:
    """One batch line: `{"id": ..., "claim": "...", "evidence": "text" or ["sentence", ...]}`."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"line {number}: not JSON ({exc.msg}).") from exc
    if not isinstance(row, dict):
        raise InputError(f"line {number}: expected a JSON object with claim and evidence.")
    missing = [k for k in ("claim", "evidence") if k not in row]
    if missing:
        raise InputError(f"line {number}: missing {' and '.join(missing)}.")
    try:
        return make_input(row["claim"], row["evidence"], row.get("id"))
    except InputError as exc:
        raise InputError(f"line {number}: {exc}") from exc


def read_batch(lines: Iterable[str]) -> Iterator[tuple[int, ClaimInput | InputError, Any]]:
    """(line number, the input or the error it gave, the line's id if one could be read);
    blank lines are skipped."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, parse_line(line, number), None
        except InputError as exc:
            try:
                row = json.loads(line)
                line_id = row.get("id") if isinstance(row, dict) else None
            except json.JSONDecodeError:
                line_id = None
            yield number, exc, line_id


def _probabilities(scores: dict[str, float]) -> dict[str, float]:
    return {LABEL_NAMES[k]: round(float(scores[k]), 4) for k in LABEL_NAMES}


def _evidence_sentence(item: ClaimInput, verifier: VerifierLike) -> str:
    """The evidence sentence that bears most on the claim (for its strength)."""
    if len(item.evidence) == 1:
        return item.evidence[0]
    scores = verifier.predict([(item.claim, s) for s in item.evidence])
    best = max(range(len(scores)), key=lambda i: scores[i]["support"] + scores[i]["contradict"])
    return item.evidence[best]


def check_claims(
    items: list[ClaimInput], verifier: VerifierLike, strength: StrengthLike
) -> list[dict[str, Any]]:
    """The verdict of each claim, in order (see the module docstring for the shape)."""
    scores = verifier.predict([(item.claim, " ".join(item.evidence)) for item in items])
    evidence = [_evidence_sentence(item, verifier) for item in items]
    strengths = strength.predict([item.claim for item in items] + evidence)
    claim_strength, evidence_strength = strengths[: len(items)], strengths[len(items) :]
    out = []
    for item, score, cs, es in zip(items, scores, claim_strength, evidence_strength, strict=True):
        label = LABEL_NAMES[max(LABEL_NAMES, key=lambda k: score[k])]
        stronger = cs["strength"] > es["strength"] and label != "not_enough_info"
        out.append(
            {
                "id": item.id,
                "label": label,
                "probabilities": _probabilities(score),
                "strength": {"claim": cs["strength"], "evidence": es["strength"]},
                "exaggerates": bool(stronger),
            }
        )
    return out


def batches(
    numbered: Iterable[tuple[int, ClaimInput | InputError, Any]], size: int = BATCH
) -> Iterator[list[tuple[int, ClaimInput | InputError, Any]]]:
    """Consecutive pieces of a batch, so results stream out while the rest is checked."""
    piece: list[tuple[int, ClaimInput | InputError, Any]] = []
    for entry in numbered:
        piece.append(entry)
        if len(piece) == size:
            yield piece
            piece = []
    if piece:
        yield piece
