"""The numpy MiniLM against sentence-transformers on the real bundled model."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import ModelError
from assistant.index.embeddings import (
    HashEmbedder,
    LocalEmbedder,
    SentenceEmbedder,
    load_bulk,
    model_path,
)
from assistant.index.encoder import NumpyEncoder, supports

TEXTS = [
    "Does magnesium glycinate help hair growth?",
    "Serum magnesium was inversely associated with C-reactive protein in 12 of 17 studies "
    "(889 participants), while two trials found no change. " * 12,  # cut at 256 tokens
    "ok",
    "",
]


@pytest.fixture(scope="module")
def minilm() -> Path:
    return model_path("bundled:all-MiniLM-L6-v2")[0]


def test_numpy_vectors_are_the_torch_vectors(minilm: Path) -> None:
    ours = NumpyEncoder(minilm, "m", batch_size=2).embed(TEXTS)
    torch_side = SentenceEmbedder(minilm, "m")
    theirs = torch_side.embed(TEXTS)
    assert ours.shape == theirs.shape == (4, 384)
    assert np.abs(ours - theirs).max() < 1e-4
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # Token counts are never cut at the model's window: chunking sizes passages by them.
    assert NumpyEncoder(minilm, "m").count_tokens(TEXTS[1]) == torch_side.count_tokens(TEXTS[1])
    assert NumpyEncoder(minilm, "m").count_tokens(TEXTS[1]) > 256


def test_a_question_is_embedded_without_importing_torch(minilm: Path) -> None:
    script = (
        "import sys\n"
        "from assistant.index.embeddings import _load\n"
        "e = _load('bundled:all-MiniLM-L6-v2', 32)\n"
        "v = e.embed(['What dose does the article recommend?'])\n"
        "print(v.shape, 'torch' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == ["(1,", "384)", "False"]


def test_many_texts_go_to_torch_and_agree(minilm: Path) -> None:
    embedder = LocalEmbedder(minilm, "m")
    few = embedder.embed(TEXTS[:1])
    assert embedder._torch is None
    many = embedder.embed(TEXTS[:1] * (LocalEmbedder.MANY + 1))
    assert embedder._torch is not None  # the bulk call loaded the torch side
    assert np.abs(many[0] - few[0]).max() < 1e-4


def test_a_long_lived_process_loads_the_torch_side_on_request(minilm: Path) -> None:
    embedder = LocalEmbedder(minilm, "m")
    load_bulk(embedder)
    assert embedder._torch is not None
    load_bulk(HashEmbedder(8))  # nothing to load: no error


def _copy_config(src: Path, dest: Path) -> Path:
    dest.mkdir()
    for name in ("modules.json", "config.json", "tokenizer.json", "model.safetensors"):
        (dest / name).symlink_to(src / name)
    shutil.copytree(src / "1_Pooling", dest / "1_Pooling")
    return dest


def test_other_model_shapes_keep_the_torch_path(minilm: Path, tmp_path: Path) -> None:
    assert supports(minilm)
    cls = _copy_config(minilm, tmp_path / "cls")
    pooling = cls / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(json.dumps({**config, "pooling_mode_cls_token": True}))
    assert not supports(cls)
    assert not supports(tmp_path / "missing")
    with pytest.raises(ModelError, match="not a BERT mean-pooling"):
        NumpyEncoder(cls, "cls")
    with pytest.raises(ModelError, match="does not exist"):
        LocalEmbedder(tmp_path / "missing", "gone")


def test_the_torch_side_loads_only_when_no_other_model_is_loading(minilm: Path) -> None:
    """A page's warm-up loads the torch embedder while a yes/no question may be loading the
    verifier: both imports take the one process-wide MODEL_LOADING lock."""
    import threading

    from assistant.settings import MODEL_LOADING

    made: list[SentenceEmbedder] = []
    loader = threading.Thread(target=lambda: made.append(SentenceEmbedder(minilm, "m")))
    with MODEL_LOADING:  # another model is loading
        loader.start()
        loader.join(timeout=1.0)
        assert loader.is_alive() and not made  # it waits its turn
    loader.join(timeout=120)
    assert made and made[0].dim == 384
