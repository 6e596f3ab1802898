"""Inspect and load the index: which documents are indexed and fresh, and the current build's
chunks read back from the file saved with the build (lexical.py), or from its Chroma
collection when that file is not there."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.errors import IndexMissingError, IndexStaleError, StoreError
from assistant.index.lexical import build_folder, load_table
from assistant.index.relevance import load_threshold
from assistant.index.rows import all_metadatas, chunk_from_row
from assistant.index.segments import Segment, live_rows, segments
from assistant.index.store import Store
from assistant.index.table import ChunkTable
from assistant.settings import Settings
from assistant.sources import load_corpus
from assistant.types import Document


@dataclass
class DocumentStatus:
    id: str
    title: str
    kind: str
    provenance: str
    chunks: int
    state: str  # "fresh", "stale", "new" (not indexed yet), "removed" (indexed, source gone)


@dataclass
class IndexStatus:
    built: bool
    location: str
    settings_match: bool
    built_at: str | None
    documents: list[DocumentStatus]
    relevance: dict[str, Any] = field(default_factory=dict)  # this corpus's calibration
    threshold: float | None = None  # the decline threshold answers use

    @property
    def fresh(self) -> bool:
        return (
            self.built and self.settings_match and all(d.state == "fresh" for d in self.documents)
        )


def index_status(settings: Settings, documents: list[Document] | None = None) -> IndexStatus:
    """Compare the built index with the sources, document by document."""
    store = Store(settings)
    manifest = store.read_manifest()
    docs = documents if documents is not None else load_corpus(settings)
    indexed: dict[str, Any] = manifest["documents"] if manifest else {}
    rows = []
    for doc in docs:
        entry = indexed.get(doc.id)
        if entry is None:
            state, chunks = "new", 0
        else:
            state = "fresh" if entry["hash"] == doc.content_hash else "stale"
            chunks = entry["chunks"]
        rows.append(DocumentStatus(doc.id, doc.title, doc.kind, doc.provenance, chunks, state))
    present = {d.id for d in docs}
    for doc_id, entry in indexed.items():
        if doc_id not in present:
            rows.append(
                DocumentStatus(
                    doc_id,
                    entry["title"],
                    entry["kind"],
                    entry["provenance"],
                    entry["chunks"],
                    "removed",
                )
            )
    return IndexStatus(
        built=manifest is not None,
        location=store.location,
        settings_match=bool(manifest) and manifest["settings_hash"] == settings.index_hash(),
        built_at=manifest["built_at"] if manifest else None,
        documents=rows,
        relevance=(manifest or {}).get("relevance", {}),
        threshold=load_threshold(settings, manifest) if manifest else None,
    )


@dataclass
class LoadedIndex:
    """What retrieval needs: the current build's segments (each with its open collection)
    and its chunks (read from disk as asked)."""

    manifest: dict[str, Any]
    segments: list[tuple[Segment, Any]]
    chunks: ChunkTable
    stamp: Any = None


def load_index(settings: Settings, *, check_settings: bool = True) -> LoadedIndex:
    store = Store(settings)
    stamp = store.manifest_stamp()
    manifest = store.read_manifest()
    if manifest is None:
        raise IndexMissingError(
            f"no index at {store.location}. Build it with `assistant index` (or `make run`)."
        )
    if check_settings and manifest["settings_hash"] != settings.index_hash():
        raise IndexStaleError(
            "the index was built with other embedding or chunking settings. "
            "Run `assistant index` to rebuild it."
        )
    opened = [(seg, store.get_collection(seg.collection)) for seg in segments(manifest)]
    saved = load_table(build_folder(settings.index_path, manifest))
    expected = sum(e.get("chunks", 0) for e in manifest.get("documents", {}).values())
    if saved is not None and len(saved) == expected:
        return LoadedIndex(manifest=manifest, segments=opened, chunks=saved, stamp=stamp)
    collections = {seg.collection: c for seg, c in opened}
    try:
        rows = live_rows(manifest, collections.__getitem__, all_metadatas)
    except Exception as exc:
        raise StoreError(
            f"cannot read the index collection ({exc}). Run `assistant index --rebuild`."
        ) from exc
    chunks = [chunk_from_row(m) for m in rows]
    chunks.sort(key=lambda c: (c.document_id, c.start))
    return LoadedIndex(
        manifest=manifest, segments=opened, chunks=ChunkTable.of(chunks), stamp=stamp
    )
