"""Reading long evidence: sentence windows that each fit, the strongest window's verdict, the
folder's verifier.json (max length, windows, temperature), and old folders loading as before."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from conftest import REPO
from transformers import AutoTokenizer

from assistant.verifier import Verifier, label_of
from assistant.verifier.model import (
    MAX_LENGTH,
    pack_windows,
    pick_window,
    read_config,
    write_config,
)

SHIPPED = REPO / "assistant" / "models" / "verifier"
FILLER = "Participants were recruited from three outpatient clinics in the north of the region."
STATING = "Zinc lowered fatigue."


class KeywordModel(torch.nn.Module):
    """A stand-in cross-encoder: support when the input holds the token `lowered`, else nei."""

    def __init__(self, token_id: int) -> None:
        super().__init__()
        self.token_id = token_id
        self.config = SimpleNamespace(id2label={0: "support", 1: "contradict", 2: "nei"})
        self.seen: list[int] = []

    def forward(self, input_ids, **_: object) -> SimpleNamespace:
        self.seen += [int(n) for n in input_ids.shape[1:]]
        hit = (input_ids == self.token_id).any(dim=1).float()
        logits = torch.stack([4 * hit, torch.zeros_like(hit), 4 * (1 - hit)], dim=1)
        return SimpleNamespace(logits=logits)


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(str(SHIPPED))


def _verifier(tokenizer, **kwargs) -> tuple[Verifier, KeywordModel]:
    model = KeywordModel(tokenizer.convert_tokens_to_ids("lowered"))
    return Verifier(model, tokenizer, **kwargs), model


def test_pack_windows_covers_every_sentence_with_one_of_overlap() -> None:
    assert pack_windows([10, 10, 10, 10], 25) == [(0, 2), (1, 3), (2, 4)]
    assert pack_windows([30, 5, 5], 25) == [(0, 1), (1, 3)]  # too long alone: its own window
    assert pack_windows([5, 5], 25) == [(0, 2)]


def test_long_evidence_gets_several_windows_that_each_fit(tokenizer) -> None:
    verifier, _ = _verifier(tokenizer, max_length=48, windows=True)
    evidence = " ".join([FILLER] * 4 + [STATING])
    windows = verifier.split_windows("Zinc reduces fatigue.", evidence)
    assert len(windows) >= 3 and STATING in windows[-1]
    for window in windows:
        assert len(verifier.encode([("Zinc reduces fatigue.", window)])["input_ids"][0]) <= 48
    assert verifier.split_windows("Zinc reduces fatigue.", STATING) == [STATING]


def test_the_supporting_window_wins_where_truncation_misses_it(tokenizer) -> None:
    evidence = " ".join([FILLER] * 4 + [STATING])
    windowed, model = _verifier(tokenizer, max_length=48, windows=True)
    (scores,) = windowed.predict([("Zinc reduces fatigue.", evidence)])
    assert label_of(scores) == "support" and max(model.seen) <= 48
    truncated, _ = _verifier(tokenizer, max_length=48)  # the old behaviour: evidence cut
    assert label_of(truncated.predict([("Zinc reduces fatigue.", evidence)])[0]) == "nei"
    nei = {"support": 0.1, "contradict": 0.1, "nei": 0.8}
    assert pick_window([nei, {"support": 0.2, "contradict": 0.7, "nei": 0.1}, nei]) == 1


def test_temperature_softens_probabilities_without_changing_the_label(tokenizer) -> None:
    sharp, _ = _verifier(tokenizer)
    soft, _ = _verifier(tokenizer, temperature=4.0)
    pair = [("Zinc reduces fatigue.", STATING)]
    a, b = sharp.predict(pair)[0], soft.predict(pair)[0]
    assert label_of(a) == label_of(b) == "support" and b["support"] < a["support"]


def test_verifier_json_round_trip_and_old_folders_keep_their_defaults(tmp_path: Path) -> None:
    assert read_config(tmp_path) == {}  # a folder without verifier.json: 128, no windows, T 1
    write_config(tmp_path, max_length=256, windows=True)
    write_config(tmp_path, temperature=1.5)
    assert read_config(tmp_path) == {"max_length": 256, "windows": True, "temperature": 1.5}
    assert json.loads((tmp_path / "verifier.json").read_text())["temperature"] == 1.5


@pytest.mark.slow
def test_shipped_model_loads_with_what_its_folder_states(tmp_path: Path) -> None:
    stated = read_config(SHIPPED)
    verifier = Verifier.load(SHIPPED)
    assert verifier.max_length == stated.get("max_length", MAX_LENGTH)
    assert verifier.windows == stated.get("windows", False)
    assert verifier.temperature == stated.get("temperature", 1.0)
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"):
        (tmp_path / name).write_bytes((SHIPPED / name).read_bytes())
    old = Verifier.load(tmp_path)  # the same weights without verifier.json: an old folder
    assert (old.max_length, old.windows, old.temperature) == (MAX_LENGTH, False, 1.0)


def test_the_tokenizer_is_only_used_under_the_verifier_lock(tokenizer) -> None:
    # A fast tokenizer changes its truncation settings from call to call; two threads doing
    # that at once fail with "Already borrowed". Every call, window splitting included, must
    # hold the lock that predict's model calls hold.
    class Watched:
        def __init__(self) -> None:
            self.calls: list[bool] = []

        def __call__(self, *args: object, **kwargs: object):
            self.calls.append(verifier._lock._is_owned())
            return tokenizer(*args, **kwargs)

    watched = Watched()
    verifier, _ = _verifier(tokenizer, windows=True, max_length=48)
    verifier.tokenizer = watched
    verifier.predict([(STATING, " ".join([FILLER] * 6)), (STATING, "Zinc lowered fatigue.")])
    assert len(watched.calls) > 3 and all(watched.calls)
