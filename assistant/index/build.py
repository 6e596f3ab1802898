"""Build, inspect and load the index: Chroma collection + BM25 side index + manifest.

Builds are incremental (unchanged documents keep their embeddings, copied into the new
collection), atomic (readers switch only when the manifest is rewritten at the end) and
exclusive (a lock file; a second build refuses, or waits when asked to).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from filelock import FileLock, Timeout

from assistant.errors import IndexLockedError, IndexMissingError, IndexStaleError, StoreError
from assistant.index.chunking import chunk_document
from assistant.index.embeddings import Embedder, load_embedder
from assistant.index.relevance import calibrate_corpus
from assistant.index.store import Store
from assistant.settings import Settings
from assistant.sources import corpus_files, load_corpus
from assistant.types import Chunk, Document

Progress = Callable[[str, int, int], None]  # (stage, done, total)
_ADD_BATCH = 64


@dataclass
class BuildReport:
    status: str  # "built", "updated", "up_to_date"
    collection: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    chunks_total: int = 0
    chunks_embedded: int = 0
    seconds: float = 0.0
    reason: str = ""

    @property
    def chunks_per_second(self) -> float:
        return self.chunks_embedded / self.seconds if self.seconds > 0 else 0.0


# --- chunk <-> Chroma row ------------------------------------------------------------------
def row_metadata(chunk: Chunk) -> dict[str, Any]:
    return {
        "document_id": chunk.document_id,
        "kind": chunk.kind,
        "chunk": json.dumps(chunk.to_dict(), ensure_ascii=False),
    }


def chunk_from_row(metadata: dict[str, Any]) -> Chunk:
    return Chunk.from_dict(json.loads(metadata["chunk"]))


def _lock(settings: Settings, wait: float) -> FileLock:
    settings.index_path.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(settings.index_path / "build.lock"))
    try:
        lock.acquire(timeout=wait)
    except Timeout as exc:
        raise IndexLockedError(
            "another index build is running (lock "
            f"{settings.index_path / 'build.lock'}). Wait for it, or pass --wait SECONDS."
        ) from exc
    return lock


def _document_entry(doc: Document, chunks: int) -> dict[str, Any]:
    return {
        "hash": doc.content_hash,
        "title": doc.title,
        "kind": doc.kind,
        "provenance": doc.provenance,
        "reference": doc.reference,
        "url": doc.url,
        "chunks": chunks,
    }


_READ_PAGE = 5000  # rows per read: SQLite refuses one query with ~32k variables or more


def all_metadatas(collection: Any) -> list[dict[str, Any]]:
    """Every row's metadata, read page by page (one read of 100k rows fails in SQLite)."""
    out: list[dict[str, Any]] = []
    while True:
        got = collection.get(include=["metadatas"], limit=_READ_PAGE, offset=len(out))
        out.extend(got["metadatas"])
        if len(got["metadatas"]) < _READ_PAGE:
            return out


def _copy_document(old: Any, new: Any, doc_id: str) -> int:
    got = old.get(where={"document_id": doc_id}, include=["embeddings", "documents", "metadatas"])
    if not got["ids"]:
        return 0
    new.add(
        ids=got["ids"],
        embeddings=got["embeddings"],
        documents=got["documents"],
        metadatas=got["metadatas"],
    )
    return len(got["ids"])


def _embed_into(
    collection: Any, chunks: list[Chunk], embedder: Embedder, progress: Progress | None
) -> None:
    for i in range(0, len(chunks), _ADD_BATCH):
        batch = chunks[i : i + _ADD_BATCH]
        vectors = embedder.embed([c.embed_text() for c in batch])
        collection.add(
            ids=[c.id for c in batch],
            embeddings=vectors.tolist(),
            documents=[c.text for c in batch],
            metadatas=[row_metadata(c) for c in batch],
        )
        if progress:
            progress("embedding", i + len(batch), len(chunks))


def build_index(
    settings: Settings,
    *,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    documents: list[Document] | None = None,
    progress: Progress | None = None,
    wait: float = 0,
) -> BuildReport:
    """Bring the index up to date with the sources; see the module docstring."""
    started = time.perf_counter()
    with _lock(settings, wait):
        docs = documents if documents is not None else load_corpus(settings)
        store = Store(settings)
        try:
            manifest = store.read_manifest()
        except StoreError:  # a corrupt manifest: a rebuild simply replaces it
            if not rebuild:
                raise
            manifest = None
        try:
            store.build_collections()  # opens the store: a corrupt one fails here
            if manifest is not None:
                store.get_collection(manifest["collection"])
        except StoreError:
            if not rebuild:
                raise
            if manifest is None or not store.server_mode:
                store.quarantine()
            manifest = None
        settings_hash = settings.index_hash()
        previous = manifest["collection"] if manifest else None  # kept for readers mid-query
        reason = ""
        if manifest is None:
            reason = "no index yet" if not rebuild else "rebuild requested"
        elif rebuild:
            reason, manifest = "rebuild requested", None
        elif manifest.get("settings_hash") != settings_hash:
            reason, manifest = "settings that shape the index changed", None

        old_docs: dict[str, Any] = manifest["documents"] if manifest else {}
        plan = {"added": [], "changed": [], "unchanged": [], "removed": []}
        for doc in docs:
            entry = old_docs.get(doc.id)
            key = "added" if entry is None else "unchanged"
            if entry is not None and entry["hash"] != doc.content_hash:
                key = "changed"
            plan[key].append(doc.id)
        current_ids = {d.id for d in docs}
        plan["removed"] = [d for d in old_docs if d not in current_ids]

        if manifest and not (plan["added"] or plan["changed"] or plan["removed"]):
            return BuildReport(
                status="up_to_date",
                collection=manifest["collection"],
                unchanged=plan["unchanged"],
                chunks_total=sum(e["chunks"] for e in old_docs.values()),
                seconds=time.perf_counter() - started,
            )

        embedder = embedder or load_embedder(settings)
        old_collection = store.get_collection(manifest["collection"]) if manifest else None
        name = store.new_collection_name()
        collection = store.create_collection(name)
        entries: dict[str, Any] = {}
        to_embed: list[Chunk] = []
        for doc in docs:
            if doc.id in plan["unchanged"] and old_collection is not None:
                copied = _copy_document(old_collection, collection, doc.id)
                entries[doc.id] = _document_entry(doc, copied)
                continue
            chunks = chunk_document(doc, settings.chunk_max_tokens, embedder.count_tokens)
            to_embed.extend(chunks)
            entries[doc.id] = _document_entry(doc, len(chunks))
        _embed_into(collection, to_embed, embedder, progress)
        all_chunks = [chunk_from_row(m) for m in all_metadatas(collection)]
        relevance = calibrate_corpus(all_chunks, embedder)

        new_manifest = {
            "build_id": name,
            "collection": name,
            "previous_collection": previous,
            "settings_hash": settings_hash,
            "embedding_model": settings.embedding_model,
            "embedder": embedder.name,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "documents": entries,
            "relevance": relevance,
        }
        store.write_manifest(new_manifest)  # the switch-over
        keep = {name, new_manifest["previous_collection"]}
        for orphan in store.build_collections():
            if orphan not in keep:
                store.delete_collection(orphan)

    return BuildReport(
        status="built" if manifest is None else "updated",
        collection=name,
        reason=reason,
        chunks_total=sum(e["chunks"] for e in entries.values()),
        chunks_embedded=len(to_embed),
        seconds=time.perf_counter() - started,
        **plan,
    )


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
    )


@dataclass
class LoadedIndex:
    """What retrieval needs in memory: the current collection and all its chunks."""

    manifest: dict[str, Any]
    collection: Any
    chunks: list[Chunk]
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
    collection = store.get_collection(manifest["collection"])
    try:
        rows = all_metadatas(collection)
    except Exception as exc:
        raise StoreError(
            f"cannot read the index collection ({exc}). Run `assistant index --rebuild`."
        ) from exc
    chunks = [chunk_from_row(m) for m in rows]
    chunks.sort(key=lambda c: (c.document_id, c.start))
    return LoadedIndex(manifest=manifest, collection=collection, chunks=chunks, stamp=stamp)


def watch_index(
    settings: Settings,
    on_build: Callable[[BuildReport], None],
    *,
    on_error: Callable[[Exception], None] | None = None,
    stop: Any = None,
) -> Iterator[None]:
    """Rebuild incrementally whenever a file under the sources folder changes. A source that
    does not parse mid-edit is reported through `on_error` and the watch goes on."""
    from watchfiles import watch

    from assistant.errors import AssistantError

    for _changes in watch(settings.sources_path, stop_event=stop, debounce=800, rust_timeout=500):
        try:
            on_build(build_index(settings, wait=60))
        except AssistantError as exc:
            if on_error is None:
                raise
            on_error(exc)
        yield None


__all__ = [
    "BuildReport",
    "IndexStatus",
    "LoadedIndex",
    "build_index",
    "corpus_files",
    "index_status",
    "load_index",
    "watch_index",
]
