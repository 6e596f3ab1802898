"""A build's rows in Chroma: a chunk as a row and back, and reading or copying rows in pages
(SQLite refuses one query with about 32k variables or more, so 100k rows are never read at
once)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from assistant.types import Chunk

Progress = Callable[[str, int, int], None]  # (stage, done, total); total 0: a stage's name only


def row_metadata(chunk: Chunk) -> dict[str, Any]:
    return {
        "document_id": chunk.document_id,
        "kind": chunk.kind,
        "chunk": json.dumps(chunk.to_dict(), ensure_ascii=False),
    }


def chunk_from_row(metadata: dict[str, Any]) -> Chunk:
    return Chunk.from_dict(json.loads(metadata["chunk"]))


_READ_PAGE = 5000  # rows per read: SQLite refuses one query with ~32k variables or more


def all_metadatas(collection: Any) -> list[dict[str, Any]]:
    """Every row's metadata, read page by page (one read of 100k rows fails in SQLite)."""
    out: list[dict[str, Any]] = []
    while True:
        got = collection.get(include=["metadatas"], limit=_READ_PAGE, offset=len(out))
        out.extend(got["metadatas"])
        if len(got["metadatas"]) < _READ_PAGE:
            return out


_COPY_PAGE = 2000  # rows per read and per write when copying a build's rows


def copy_rows(old: Any, new: Any, documents: set[str], progress: Progress | None) -> dict[str, int]:
    """Copy these documents' rows from one collection to another, page by page in the
    store's own order (one read per document cost about 30 ms each: 14 minutes at 100,000
    chunks); each document's row count."""
    copied: dict[str, int] = {}
    total, offset = old.count(), 0
    while offset < total:
        got = old.get(
            include=["embeddings", "documents", "metadatas"], limit=_COPY_PAGE, offset=offset
        )
        if not got["ids"]:
            break
        offset += len(got["ids"])
        keep = [i for i, m in enumerate(got["metadatas"]) if m["document_id"] in documents]
        if keep:
            new.add(
                ids=[got["ids"][i] for i in keep],
                embeddings=[got["embeddings"][i] for i in keep],
                documents=[got["documents"][i] for i in keep],
                metadatas=[got["metadatas"][i] for i in keep],
            )
        for i in keep:
            doc = got["metadatas"][i]["document_id"]
            copied[doc] = copied.get(doc, 0) + 1
        if progress:
            progress("copying the unchanged documents", offset, total)
    return copied
