"""`assistant bench update`: what a changed document costs a big index.

Builds an index of synthetic documents (vocabulary words, four passages each) with the
hashing embedder, so that what is timed is the store, the lexical index and the manifest,
not the embedding model; then changes one document at a time and times each update, stage by
stage, with the segments the manifest lists after it (updates add one; a compaction folds them
into one again). Embedding the changed document with the real model adds about a second.
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.bench.scale import WORDS
from assistant.bench.timing import markdown_table
from assistant.index.build import build_index
from assistant.index.embeddings import HashEmbedder
from assistant.index.store import Store
from assistant.settings import Settings
from assistant.types import Block, Document

PARAGRAPHS = 10  # of 40 words: the chunker makes about four passages of them


def synthetic_document(i: int, rng: random.Random, edit: int = 0) -> Document:
    paragraphs = [" ".join(rng.choices(WORDS, k=40)) for _ in range(PARAGRAPHS)]
    if edit:
        paragraphs[-1] += f" edited {edit}"
    text = "\n\n".join(paragraphs)
    blocks, at = [], 0
    for p in paragraphs:
        blocks.append(Block("paragraph", at, at + len(p), ()))
        at += len(p) + 2
    title = f"Document {i}"
    return Document(id=f"doc-{i}", kind="reference", title=title, text=text, blocks=blocks)


def _timed_build(settings: Settings, docs: list[Document], label: str) -> dict[str, Any]:
    marks: list[tuple[str, float]] = []

    def progress(stage: str, _done: int, total: int) -> None:
        if total == 0 or not marks or marks[-1][0] != stage:
            marks.append((stage, time.perf_counter()))

    started = time.perf_counter()
    report = build_index(settings, documents=docs, embedder=HashEmbedder(256), progress=progress)
    ended = time.perf_counter()
    stages = {
        stage: round(end - start, 2)
        for (stage, start), (_, end) in zip(marks, [*marks[1:], ("", ended)], strict=True)
    }
    manifest = Store(settings).read_manifest() or {}
    return {
        "build": label,
        "status": report.status,
        "chunks": report.chunks_total,
        "embedded": report.chunks_embedded,
        "seconds": round(ended - started, 2),
        "segments": len(manifest.get("segments", [])),
        "stages": stages,
    }


def run_update_bench(
    settings: Settings,
    workdir: Path,
    documents: int,
    updates: int = 3,
    seed: int = 7,
    log: Callable[[str], None] = lambda _m: None,
) -> list[dict[str, Any]]:
    """A full build of ``documents`` synthetic documents, then ``updates`` builds that each
    change one document; one row per build."""
    shutil.rmtree(workdir, ignore_errors=True)
    s = settings.model_copy(update={"index_dir": workdir / "index", "embedding_model": "hash:256"})
    rng = random.Random(seed)
    docs = [synthetic_document(i, rng) for i in range(documents)]
    log(f"building {documents} documents")
    rows = [_timed_build(s, docs, "full")]
    for n in range(1, updates + 1):
        which = rng.randrange(documents)
        docs[which] = synthetic_document(which, random.Random(seed + n), edit=n)
        log(f"update {n}: doc-{which} changed")
        rows.append(_timed_build(s, docs, f"update {n}"))
    return rows


def format_update_table(rows: list[dict[str, Any]]) -> str:
    flat = [{**{k: v for k, v in r.items() if k != "stages"}, **r["stages"]} for r in rows]
    stages = list(dict.fromkeys(k for r in rows for k in r["stages"]))
    cols = ["build", "status", "chunks", "embedded", "seconds", "segments", *stages]
    return markdown_table(flat, cols)
