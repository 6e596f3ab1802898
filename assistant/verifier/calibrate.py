"""How sure must the verifier be before the audit says "supported"?

The verifier's argmax calls too much "support" (its model card: on SciFact dev, fewer than
half of its support calls are right). For a fact-checking tool a false "supported" is the
costly error, so the audit asks for a support probability at which the verifier is right
at least TARGET_PRECISION of the time, measured on the HELD-OUT part of SciFact TRAIN (the
claims the verifier did not train on; dev stays for measurement). The result is stored beside
the weights with their checksum, so new weights are never judged by an old threshold.

A second way to "supported", for a verifier that no probability makes precise enough: its
argmax says support AND one sentence holds most of the claim's own content words (lexical
coverage, verification.content_stems). Coverage is not learned, so it adds evidence the
verifier lacks. The coverage bar is the lowest on a grid at which such calls are right at
least TARGET_PRECISION of the time on the same held-out claims, read sentence by sentence
as the audit reads them (after its deterministic gates: same polarity, every figure carried),
with at least MIN_CALLS calls so one lucky call cannot set it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from assistant.settings import Settings
from assistant.text import carried, coverage, negated, quantities
from assistant.verifier.data import Idf, load_scifact, split_holdout
from assistant.verifier.evaluate import items, oracle_pairs
from assistant.verifier.model import Verifier, label_of
from assistant.verifier.train import HYPER

TARGET_PRECISION = 0.8
SUPPORT_CALIBRATION_FILE = "support_calibration.json"
COVERAGE_GRID = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)
MIN_CALLS = 5


def coverage_bar(
    calls: list[tuple[float, bool]], target: float = TARGET_PRECISION, least: int = MIN_CALLS
) -> tuple[float | None, float, int]:
    """(lowest grid bar whose calls, coverage >= bar, are right >= target, with at least
    `least` calls; None if none is), its precision and its number of calls."""
    for bar in COVERAGE_GRID:
        chosen = [ok for cov, ok in calls if cov >= bar]
        if len(chosen) >= least and sum(chosen) / len(chosen) >= target:
            return bar, sum(chosen) / len(chosen), len(chosen)
    return None, 0.0, 0


def _sentence_calls(verifier: Any, held: list[dict], corpus: dict) -> list[tuple[float, bool]]:
    """(coverage, is a gold support rationale) for every sentence of the held-out claims' cited
    abstracts that the verifier calls support and the audit's gates let through."""
    pairs, meta = [], []
    for item in items(held, corpus):
        claim = item["claim"]["claim"]
        gold = {i for s in item["sets"] for i in s} if item["label"] == "support" else set()
        for i, sentence in enumerate(item["doc"]["abstract"]):
            if negated(sentence) != negated(claim):
                continue
            if not all(carried(q, sentence) for q in quantities(claim)):
                continue
            pairs.append((claim, sentence))
            meta.append((coverage(claim, sentence), i in gold))
    predictions = verifier.predict(pairs) if pairs else []
    return [m for m, p in zip(meta, predictions, strict=True) if label_of(p) == "support"]


def weights_digest(folder: Path) -> str:
    h = hashlib.sha256()
    with (folder / "model.safetensors").open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def precision_threshold(
    probs: np.ndarray, is_support: np.ndarray, target: float
) -> tuple[float, float, float]:
    """Lowest cut with precision >= target (recall as high as that allows); if no cut reaches
    the target, the cut with the best precision. Returns (cut, precision, recall)."""
    order = np.argsort(-probs)
    hits = np.cumsum(is_support[order])
    called = np.arange(1, len(order) + 1)
    precision = hits / called
    recall = hits / max(1, int(is_support.sum()))
    ok = np.flatnonzero(precision >= target)
    i = int(ok.max()) if len(ok) else int(np.argmax(precision))
    return float(probs[order][i]), float(precision[i]), float(recall[i])


def calibrate_support(settings: Settings, verifier: Any = None) -> dict[str, Any]:
    """Measure the threshold on held-out train claims and save it beside the weights."""
    verifier = verifier or Verifier.load(settings=settings)
    data = load_scifact(settings.scifact_path)
    seed = json.loads((settings.verifier_path / "metrics.json").read_text()).get("seed", 13)
    _, held = split_holdout(data.train, HYPER["holdout_fraction"], seed)
    batch = items(held, data.corpus)
    pairs = oracle_pairs(batch, Idf(data.corpus))
    labels = [item["label"].lower() for item in batch]
    probs = np.array([p["support"] for p in verifier.predict(pairs)])
    is_support = np.array([lab == "support" for lab in labels])
    cut, precision, recall = precision_threshold(probs, is_support, TARGET_PRECISION)
    calls = _sentence_calls(verifier, held, data.corpus)
    cov_bar, cov_precision, cov_calls = coverage_bar(calls)
    result = {
        "support_threshold": round(cut, 4),
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "target_precision": TARGET_PRECISION,
        "items": len(pairs),
        "support_items": int(is_support.sum()),
        "data": "SciFact train, the claims held out from verifier training (seeded split)",
        "coverage_threshold": cov_bar,
        "coverage_precision": round(cov_precision, 3),
        "coverage_calls": cov_calls,
        "coverage_candidates": len(calls),
        "weights": weights_digest(settings.verifier_path),
        "command": "assistant calibrate-verifier",
    }
    (settings.verifier_path / SUPPORT_CALIBRATION_FILE).write_text(
        json.dumps(result, indent=2) + "\n"
    )
    return result


def _calibration(settings: Settings) -> dict[str, Any] | None:
    """The saved calibration, if it was made for the weights that are there now."""
    path = settings.verifier_path / SUPPORT_CALIBRATION_FILE
    if not path.exists() or not (settings.verifier_path / "model.safetensors").exists():
        return None
    data = json.loads(path.read_text())
    return data if data.get("weights") == weights_digest(settings.verifier_path) else None


def support_threshold(settings: Settings) -> float | None:
    """The calibrated cut for the shipped weights, or None (then argmax alone decides)."""
    data = _calibration(settings)
    return float(data["support_threshold"]) if data else None


def coverage_threshold(settings: Settings) -> float | None:
    """The calibrated coverage bar for the shipped weights, or None (no second way)."""
    bar = (_calibration(settings) or {}).get("coverage_threshold")
    return float(bar) if bar is not None else None
