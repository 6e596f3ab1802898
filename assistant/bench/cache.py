"""An on-disk cache of embeddings, shared by the benchmarks that embed SciFact.

Embedding the 5,183 SciFact abstracts takes minutes on 2 cores, so vectors are cached per
embedding model, keyed by a hash of each text: a rerun embeds nothing, a changed text is
re-embedded alone, and an interrupted run keeps every batch it finished (the cache is saved
after each batch, by writing a new file and renaming it over the old one).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from assistant.index import Embedder

SAVE_EVERY = 256  # texts embedded between two saves of the cache


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class EmbeddingCache:
    """Vectors of one embedding model, by text hash, in <folder>/<model>/{keys.json,vectors.npy}."""

    def __init__(self, folder: Path, model_name: str, dim: int) -> None:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{model_name}-{dim}")
        self.folder = Path(folder) / safe
        self.dim = dim
        self.index: dict[str, int] = {}
        self.vectors = np.zeros((0, dim), dtype=np.float32)
        self._load()

    def _load(self) -> None:
        keys_path, vec_path = self.folder / "keys.json", self.folder / "vectors.npy"
        if not keys_path.exists() or not vec_path.exists():
            return
        try:
            keys = json.loads(keys_path.read_text())
            vectors = np.load(vec_path)
        except (OSError, ValueError):
            return  # an unreadable cache is only a slower run: start again
        if vectors.ndim == 2 and vectors.shape == (len(keys), self.dim):
            self.index = {k: i for i, k in enumerate(keys)}
            self.vectors = vectors.astype(np.float32)

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        keys = sorted(self.index, key=self.index.__getitem__)
        tmp_vec = self.folder / "vectors.tmp.npy"
        np.save(tmp_vec, self.vectors)
        os.replace(tmp_vec, self.folder / "vectors.npy")
        tmp_keys = self.folder / "keys.tmp.json"
        tmp_keys.write_text(json.dumps(keys))
        os.replace(tmp_keys, self.folder / "keys.json")

    def __len__(self) -> int:
        return len(self.index)

    def missing(self, texts: Sequence[str]) -> list[str]:
        seen: set[str] = set()
        out = []
        for t in texts:
            k = text_key(t)
            if k not in self.index and k not in seen:
                seen.add(k)
                out.append(t)
        return out

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        rows = [v for t, v in zip(texts, vectors, strict=True) if text_key(t) not in self.index]
        for t in texts:
            self.index.setdefault(text_key(t), len(self.index))
        if rows:
            self.vectors = np.vstack([self.vectors, np.asarray(rows, dtype=np.float32)])

    def get(self, texts: Sequence[str]) -> np.ndarray:
        return self.vectors[[self.index[text_key(t)] for t in texts]]


def cached_embed(
    embedder: Embedder,
    texts: Sequence[str],
    cache_dir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for texts (rows in the same order), embedding only what the cache lacks.

    Returns (vectors, how many texts were embedded now). progress(done, total) after each batch.
    """
    cache = EmbeddingCache(cache_dir, embedder.name, embedder.dim)
    todo = cache.missing(texts)
    done = 0
    if progress:
        progress(0, len(todo))
    for start in range(0, len(todo), SAVE_EVERY):
        batch = todo[start : start + SAVE_EVERY]
        cache.add(batch, embedder.embed(list(batch)))
        cache.save()
        done += len(batch)
        if progress:
            progress(done, len(todo))
    return cache.get(texts), len(todo)
