"""The bars the audit's calls must clear: measured on dev items read as the audit reads
evidence, with a fake verifier at the seam so the figures are known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.verifier.calibrate import audit_reading, label_bar, precision_threshold
from assistant.verifier.datasets import ClaimItem


def test_precision_threshold_needs_enough_calls() -> None:
    probs = np.array([0.9, 0.8, 0.7, 0.6])
    right = np.array([True, False, True, True])
    assert precision_threshold(probs, right, 0.9, least=1)[0] == 0.9  # one lucky call
    # no cut of 2+ calls reaches 0.9: the best precision among them
    assert precision_threshold(probs, right, 0.9, least=2)[:2] == (0.6, 0.75)
    cut, precision, recall = precision_threshold(probs, right, 0.75, least=2)
    assert (cut, precision, recall) == (0.6, 0.75, 1.0)


def _read(support: float) -> dict[str, float]:
    return {"support": support, "contradict": (1 - support) / 2, "nei": (1 - support) / 2 - 0.01}


def test_label_bar_counts_only_the_calls_of_that_label() -> None:
    reads = [_read(0.9 - i * 0.02) for i in range(12)] + [
        {"support": 0.1, "contradict": 0.1, "nei": 0.8}
    ]
    gold = ["support"] * 10 + ["nei", "nei"] + ["support"]  # the last is never called
    bar = label_bar(reads, gold, "support")
    assert bar["argmax_calls"] == 12 and bar["argmax_precision"] == pytest.approx(10 / 12, abs=1e-3)
    # the lowest cut right often enough (0.8 asked): all 12 calls, 10 of them right
    assert bar["threshold"] == pytest.approx(0.68) and bar["precision"] == 0.833
    assert bar["recall"] == pytest.approx(10 / 11, abs=1e-3)
    assert bar["curve"][0]["recall"] == pytest.approx(10 / 11, abs=1e-3)
    assert label_bar(reads, gold, "contradict")["calls"] == 0


class Recorder:
    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []

    def predict(self, pairs):
        self.pairs += pairs
        return [{"support": 0.6 if e == "b" else 0.2, "contradict": 0.1, "nei": 0.3}
                for _, e in pairs]  # fmt: skip


def test_audit_reading_reads_each_sentence_and_the_passage() -> None:
    one = ClaimItem("1", "c1", ("only",), "nei", "x")
    two = ClaimItem("2", "c2", ("a", "b"), "support", "x")
    recorder = Recorder()
    read = audit_reading(recorder, [one, two])
    assert recorder.pairs == [("c1", "only"), ("c2", "a"), ("c2", "b"), ("c2", "a b")]
    assert read[1]["support"] > read[0]["support"]  # the best of a, b and "a b" counts
