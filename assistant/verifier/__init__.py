"""Verifier: the claim-verification cross-encoder (support / contradict / not enough info).

Owns the model wrapper, its training data and training, its evaluation on SciFact, the
calibration of the bars the audit demands before it trusts a call, and the model card.
torch and transformers are imported only when a model is loaded or trained.
"""

from assistant.verifier.calibrate import (
    SUPPORT_CALIBRATION_FILE,
    TARGET_PRECISION,
    calibrate_support,
    coverage_threshold,
    support_threshold,
)
from assistant.verifier.evaluate import evaluate_scifact_dev
from assistant.verifier.model import Verifier, aggregate, label_of
from assistant.verifier.train import train_verifier

__all__ = [
    "SUPPORT_CALIBRATION_FILE",
    "TARGET_PRECISION",
    "Verifier",
    "aggregate",
    "calibrate_support",
    "coverage_threshold",
    "evaluate_scifact_dev",
    "label_of",
    "support_threshold",
    "train_verifier",
]
