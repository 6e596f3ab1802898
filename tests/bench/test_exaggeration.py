"""The exaggeration bench on a tiny InSciOut file (the real JSONL schema, in tmp_path) with a
fake strength classifier that returns fixed strengths: the confusion matrix, balanced accuracy,
the gold-strength ceiling, the majority baseline and the table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO

from assistant.bench.exaggeration import (
    figures,
    format_exaggeration_table,
    label_of,
    run_exaggeration_bench,
)
from assistant.settings import Settings

# (press-release strength, abstract strength) gold, and what the fake classifier says for each.
_PAIRS = [
    ((3, 1), (3, 1)),  # exaggerates, found
    ((2, 1), (1, 1)),  # exaggerates, missed: called same
    ((1, 1), (1, 1)),  # same, right
    ((3, 3), (3, 3)),  # same, right
    ((0, 0), (2, 0)),  # same, falsely flagged as exaggerating
    ((1, 3), (1, 3)),  # downplays, right
]


class FakeStrength:
    def __init__(self, strengths: dict[str, int]) -> None:
        self.strengths = strengths

    def predict(self, texts: list[str]) -> list[dict]:
        out = []
        for text in texts:
            s = self.strengths[text]
            out.append({"strength": s, "probabilities": [float(k == s) for k in range(4)]})
        return out


def _write(tmp_path: Path) -> tuple[Settings, FakeStrength]:
    folder = tmp_path / "exaggeration"
    folder.mkdir()
    rows, predicted = [], {}
    for n, ((gold_pr, gold_ab), (pred_pr, pred_ab)) in enumerate(_PAIRS):
        pr, ab = f"Press release {n}.", f"Abstract {n}."
        predicted[pr], predicted[ab] = pred_pr, pred_ab
        rows.append(
            {
                "original_file_id": f"{n}-001",
                "press_release_conclusion": pr,
                "press_release_strength": gold_pr,
                "abstract_conclusion": ab,
                "abstract_strength": gold_ab,
                "exaggeration_label": label_of(gold_pr, gold_ab),
            }
        )
    text = "\n".join(json.dumps(r) for r in rows) + "\n"
    (folder / "insciout_train.jsonl").write_text(text, encoding="utf-8")
    return Settings(root_dir=REPO, scifact_dir=tmp_path / "scifact"), FakeStrength(predicted)


def test_bench_counts_the_fake_classifiers_calls(tmp_path: Path) -> None:
    settings, fake = _write(tmp_path)
    result = run_exaggeration_bench(settings, classifier=fake)
    assert result["pairs"] == 6
    assert result["labels"] == {"exaggerates": 2, "same": 3, "downplays": 1}
    model = result["model"]
    assert model["confusion"]["exaggerates"] == {"same": 1, "exaggerates": 1, "downplays": 0}
    assert model["confusion"]["same"] == {"same": 2, "exaggerates": 1, "downplays": 0}
    assert model["confusion"]["downplays"] == {"same": 0, "exaggerates": 0, "downplays": 1}
    # recall exaggerates 1/2, recall not-exaggerates 3/4
    assert model["balanced_accuracy"] == pytest.approx((0.5 + 0.75) / 2)
    assert model["accuracy_3way"] == pytest.approx(4 / 6, abs=1e-4)
    assert model["precision_exaggerates"] == 0.5
    assert result["gold_strengths"]["balanced_accuracy"] == 1.0
    assert result["gold_strengths"]["accuracy_3way"] == 1.0
    assert result["majority"]["label"] == "same"
    assert result["majority"]["balanced_accuracy"] == 0.5
    assert result["strength_accuracy"]["press_release"] == pytest.approx(4 / 6, abs=1e-4)
    assert result["strength_accuracy"]["abstract"] == 1.0
    table = format_exaggeration_table(result)
    assert "| classifier strengths | 0.625 |" in table
    assert "gold strengths (ceiling)" in table and "majority (same)" in table


def test_limit_keeps_the_first_pairs(tmp_path: Path) -> None:
    settings, fake = _write(tmp_path)
    result = run_exaggeration_bench(settings, limit=3, classifier=fake)
    assert result["pairs"] == 3 and result["labels"] == {"exaggerates": 2, "same": 1}


def test_figures_with_no_positive_class() -> None:
    result = figures(["same", "downplays"], ["same", "exaggerates"])
    assert result["balanced_accuracy"] == 0.25  # (0 positives: recall 0, negatives 1/2) / 2
    assert result["precision_exaggerates"] == 0.0
