"""Verifier: the claim-verification cross-encoder (support / contradict / not enough info).

Owns the model wrapper, its training data (SciFact pairs; the public sets read by datasets.py
and mixed by mixture.py) and training, its evaluation on SciFact and the other sets, the
calibration of the bars the audit demands before it trusts a call, and the model card.
torch and transformers are imported only when a model is loaded or trained.
"""

from assistant.verifier.calibrate import (
    SUPPORT_CALIBRATION_FILE,
    TARGET_PRECISION,
    calibrate_support,
    load_calibration,
)
from assistant.verifier.data import LABELS
from assistant.verifier.datasets import DATASETS, ClaimItem, load_claims
from assistant.verifier.evaluate import evaluate_items, evaluate_scifact_dev, scores
from assistant.verifier.model import Verifier, aggregate, label_of
from assistant.verifier.strength import (
    StrengthClassifier,
    describe_strength_gap,
    exaggerates,
    train_strength,
)
from assistant.verifier.train import train_verifier

__all__ = [
    "DATASETS",
    "LABELS",
    "SUPPORT_CALIBRATION_FILE",
    "TARGET_PRECISION",
    "ClaimItem",
    "StrengthClassifier",
    "Verifier",
    "aggregate",
    "calibrate_support",
    "describe_strength_gap",
    "evaluate_items",
    "evaluate_scifact_dev",
    "exaggerates",
    "label_of",
    "load_calibration",
    "load_claims",
    "scores",
    "train_strength",
    "train_verifier",
]
