"""The per-corpus decline threshold: calibrated from the corpus's own sentences, whatever its
file format; its held-out accuracy measured and shown; a poor one not used."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import RunCli

from assistant.index import build_index, load_index, load_threshold
from assistant.index.embeddings import load_embedder
from assistant.index.relevance import MIN_HELD_OUT, best_threshold, calibrate_corpus
from assistant.settings import Settings


def test_the_cut_is_the_middle_of_the_best_range() -> None:
    cut, acc = best_threshold(np.array([0.6, 0.7, 0.8]), np.array([0.1, 0.2, 0.4]))
    assert acc == 1.0 and 0.4 < cut < 0.6
    assert cut == pytest.approx(0.5)


@pytest.mark.slow
def test_the_bundled_corpus_calibrates_well_whatever_its_headings(
    real_settings: Settings,
) -> None:
    chunks = load_index(real_settings).chunks
    embedder = load_embedder(real_settings)
    result = calibrate_corpus(chunks, embedder)
    assert result["held_out_balanced_accuracy"] >= 0.9
    assert result["positives"] >= 100 and result["negatives"] >= 50
    assert result["negative_max"] < result["positive_median"]
    flat = [dataclasses.replace(c, section=()) for c in chunks]  # as if it had no headings
    assert calibrate_corpus(flat, embedder) == result


class _Blind:
    """An embedder that sees nothing: every text gets the same vector."""

    name, dim = "blind", 4

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), self.dim), dtype=np.float32) / 2.0

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def _env(settings: Settings) -> dict[str, str]:
    return {
        "ASSISTANT_SOURCES_DIR": str(settings.sources_path),
        "ASSISTANT_INDEX_DIR": str(settings.index_path),
        "ASSISTANT_EMBEDDING_MODEL": settings.embedding_model,
    }


@pytest.mark.slow
def test_index_status_shows_the_calibration_and_its_accuracy(
    real_settings: Settings, cli: RunCli
) -> None:
    status = cli("index", "--status", env=_env(real_settings))
    assert status.exit_code == 0, status.output
    assert "calibrated on this corpus: held-out balanced accuracy 0.9" in status.output


def test_a_poor_calibration_is_not_used_and_says_so(hash_settings: Settings, cli: RunCli) -> None:
    build_index(hash_settings, embedder=_Blind())
    poor = load_index(hash_settings).manifest["relevance"]
    assert poor["threshold"] is None
    assert poor["held_out_balanced_accuracy"] < MIN_HELD_OUT
    assert "calibration poor" in poor["reason"]
    fallback = load_threshold(hash_settings, {"relevance": poor})
    assert fallback == load_threshold(hash_settings, {})  # the SciFact default
    status = cli("index", "--status", env=_env(hash_settings))
    assert "WARNING: decline threshold" in status.output
    assert "not this corpus's own: calibration poor: held-out balanced accuracy" in status.output
