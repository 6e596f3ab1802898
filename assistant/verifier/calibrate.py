"""How sure must the verifier be before the audit says "supported"?

For a fact-checking tool a false "supported" is the costly error, so the audit asks for a
support probability at which the verifier is right at least TARGET_PRECISION of the time,
measured on dev sets (CALIBRATION_SETS: claim vs its gold evidence, or, for not enough info,
evidence that decides nothing), read as the audit reads evidence: each sentence, and the
sentences joined as one passage, aggregated (model.aggregate). Among the claims whose most
probable label is support, the lowest cut on that probability whose calls are right often
enough is the bar. The precision-recall curve and the contradiction calls' precision are
saved with it, beside the weights and their checksum, so new weights are never judged by an
old bar. SciFact dev stays for measuring (`assistant bench audit --dataset scifact`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from assistant.settings import Settings
from assistant.verifier.datasets import load_claims
from assistant.verifier.model import Verifier, aggregate, label_of

TARGET_PRECISION = 0.8
SUPPORT_CALIBRATION_FILE = "support_calibration.json"
MIN_CALLS = 10  # so that one or two lucky calls cannot set a bar
CALIBRATION_SETS = (("check-covid", "dev"), ("healthver", "dev"))


def audit_reading(verifier: Any, items: list[Any]) -> list[dict[str, float]]:
    """Each item's aggregated probabilities, as the audit reads its evidence: every sentence,
    and (for two or more) the first three joined as one passage."""
    pairs, owner = [], []
    for n, item in enumerate(items):
        texts = list(item.evidence)
        if len(texts) > 1:
            texts.append(" ".join(texts[:3]))
        pairs += [(item.claim, t) for t in texts]
        owner += [n] * len(texts)
    read: list[list[dict[str, float]]] = [[] for _ in items]
    for n, probs in zip(owner, verifier.predict(pairs) if pairs else [], strict=True):
        read[n].append(probs)
    return [aggregate(r) for r in read]


def curve(probs: np.ndarray, right: np.ndarray, total: int) -> list[dict[str, float]]:
    """Precision and recall of the calls at cuts spread over their probabilities (deciles)."""
    out = []
    for cut in sorted(set(np.quantile(probs, np.linspace(0, 0.9, 10)).round(4))):
        called = probs >= cut
        hits = int((called & right).sum())
        out.append(
            {
                "cut": float(cut),
                "precision": round(hits / int(called.sum()), 3),
                "recall": round(hits / max(1, total), 3),
            }
        )
    return out


def label_bar(read: list[dict[str, float]], gold: list[str], label: str) -> dict[str, Any]:
    """Among the items whose most probable label is ``label``: the lowest cut on its
    probability whose calls are right at least TARGET_PRECISION of the time (1.0 when none
    is: then the audit never makes the call), its precision and recall, and the curve."""
    calls = [n for n, r in enumerate(read) if label_of(r) == label]
    probs = np.array([read[n][label] for n in calls])
    right = np.array([gold[n] == label for n in calls])
    total = gold.count(label)
    if not calls:
        return {"threshold": 1.0, "precision": 0.0, "recall": 0.0, "calls": 0, "curve": []}
    cut, precision, _ = precision_threshold(probs, right, TARGET_PRECISION, MIN_CALLS)
    kept = probs >= cut
    return {
        "threshold": round(cut, 4),
        "precision": round(precision, 3),
        "recall": round(int((right & kept).sum()) / max(1, total), 3),
        "calls": int(kept.sum()),
        "argmax_calls": len(calls),
        "argmax_precision": round(float(right.mean()), 3),
        "curve": curve(probs, right, total),
    }


def weights_digest(folder: Path) -> str:
    h = hashlib.sha256()
    with (folder / "model.safetensors").open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def precision_threshold(
    probs: np.ndarray, is_support: np.ndarray, target: float, least: int = 1
) -> tuple[float, float, float]:
    """Lowest cut with precision >= target and at least `least` calls (recall as high as that
    allows); if no cut reaches the target, the cut with the best precision among those with
    enough calls. Returns (cut, precision, recall)."""
    order = np.argsort(-probs)
    hits = np.cumsum(is_support[order])
    called = np.arange(1, len(order) + 1)
    precision = hits / called
    recall = hits / max(1, int(is_support.sum()))
    enough = called >= min(least, len(called))
    ok = np.flatnonzero((precision >= target) & enough)
    i = int(ok.max()) if len(ok) else int(np.argmax(np.where(enough, precision, -1.0)))
    return float(probs[order][i]), float(precision[i]), float(recall[i])


def calibrate_support(settings: Settings, verifier: Any = None) -> dict[str, Any]:
    """Measure the support and contradiction bars on CALIBRATION_SETS; save them beside the
    weights."""
    verifier = verifier or Verifier.load(settings=settings)
    batch = [
        item
        for name, split in CALIBRATION_SETS
        for item in load_claims(settings.benchmarks_path, name, split)
    ]
    read = audit_reading(verifier, batch)
    gold = [i.label for i in batch]
    support, contradict = label_bar(read, gold, "support"), label_bar(read, gold, "contradict")
    result = {
        "support_threshold": support["threshold"],
        "precision": support["precision"],
        "recall": support["recall"],
        "contradict_threshold": contradict["threshold"],
        "contradict_precision": contradict["precision"],
        "target_precision": TARGET_PRECISION,
        "items": len(batch),
        "gold": {name: gold.count(name) for name in ("support", "contradict", "nei")},
        "support": support,
        "contradict": contradict,
        "data": " and ".join(f"{name} {split}" for name, split in CALIBRATION_SETS),
        "weights": weights_digest(settings.verifier_path),
        "command": "assistant calibrate-verifier",
    }
    (settings.verifier_path / SUPPORT_CALIBRATION_FILE).write_text(
        json.dumps(result, indent=2) + "\n"
    )
    return result


def load_calibration(settings: Settings) -> dict[str, Any] | None:
    """The saved calibration (``calibrate_support``'s result), if it was made for the weights
    that are there now; None otherwise. Read once per audit: it checksums the weights."""
    path = settings.verifier_path / SUPPORT_CALIBRATION_FILE
    if not path.exists() or not (settings.verifier_path / "model.safetensors").exists():
        return None
    data = json.loads(path.read_text())
    return data if data.get("weights") == weights_digest(settings.verifier_path) else None
