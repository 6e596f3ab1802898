"""Build the index: a Chroma collection + manifest per build (assistant.index.load reads it).

Builds are incremental (unchanged documents keep their embeddings, copied into the new
collection), atomic (readers switch only when the manifest is rewritten at the end) and
exclusive (a lock file; a second build refuses, or waits when asked to).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from filelock import FileLock, Timeout
from watchfiles import watch

from assistant.errors import AssistantError, IndexLockedError, StoreError
from assistant.index.chunking import chunk_document
from assistant.index.embeddings import Embedder, load_embedder
from assistant.index.lexical import (
    LEXICAL_DIR,
    LexicalIndex,
    build_folder,
    build_lexical,
    lexical_path,
    prune_lexical,
    save_lexical,
    update_lexical,
)
from assistant.index.relevance import calibrate_corpus
from assistant.index.store import Store
from assistant.settings import Settings
from assistant.sources import load_corpus
from assistant.types import Chunk, Document

Progress = Callable[[str, int, int], None]  # (stage, done, total); total 0: a stage's name only


def _stage(progress: Progress | None, stage: str) -> None:
    if progress:
        progress(stage, 0, 0)


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


_COPY_PAGE = 2000  # rows per read and per write when copying a build's rows


def _copy_unchanged(
    old: Any, new: Any, unchanged: set[str], progress: Progress | None
) -> dict[str, int]:
    """Copy the rows of the unchanged documents, page by page in the store's own order (one
    read per document cost about 30 ms each, so 14 minutes at 100,000 chunks); each
    document's row count."""
    copied: dict[str, int] = {}
    total, offset = old.count(), 0
    while offset < total:
        got = old.get(
            include=["embeddings", "documents", "metadatas"], limit=_COPY_PAGE, offset=offset
        )
        if not got["ids"]:
            break
        offset += len(got["ids"])
        keep = [i for i, m in enumerate(got["metadatas"]) if m["document_id"] in unchanged]
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
            progress("embedding the passages", i + len(batch), len(chunks))


def _open_manifest(store: Store, rebuild: bool) -> dict[str, Any] | None:
    """The current manifest, or None when there is no usable index. A corrupt manifest or
    store is an error, unless a rebuild was asked for: then it is set aside and replaced."""
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
    return manifest


def _reuse(manifest: dict[str, Any] | None, rebuild: bool, settings_hash: str) -> tuple[str, bool]:
    """(why the index is built from scratch, or "", and whether the old build can be reused)."""
    if manifest is None:
        return ("no index yet" if not rebuild else "rebuild requested"), False
    if rebuild:
        return "rebuild requested", False
    if manifest.get("settings_hash") != settings_hash:
        return "settings that shape the index changed", False
    return "", True


def _plan(docs: list[Document], old_docs: dict[str, Any]) -> dict[str, list[str]]:
    """Each document id under added / changed / unchanged / removed, by content hash."""
    plan: dict[str, list[str]] = {"added": [], "changed": [], "unchanged": [], "removed": []}
    for doc in docs:
        entry = old_docs.get(doc.id)
        key = "added" if entry is None else "unchanged"
        if entry is not None and entry["hash"] != doc.content_hash:
            key = "changed"
        plan[key].append(doc.id)
    current_ids = {d.id for d in docs}
    plan["removed"] = [d for d in old_docs if d not in current_ids]
    return plan


def _fill_collection(
    settings: Settings,
    docs: list[Document],
    unchanged: set[str],
    old_collection: Any,
    collection: Any,
    embedder: Embedder,
    progress: Progress | None,
) -> tuple[dict[str, Any], list[Chunk]]:
    """Copy unchanged documents' rows from the old collection, chunk and embed the rest;
    (the manifest's document entries, the chunks that were embedded)."""
    copied = _copy_unchanged(old_collection, collection, unchanged, progress) if unchanged else {}
    entries: dict[str, Any] = {}
    to_embed: list[Chunk] = []
    for doc in docs:
        if doc.id in unchanged:
            entries[doc.id] = _document_entry(doc, copied.get(doc.id, 0))
            continue
        chunks = chunk_document(doc, settings.chunk_max_tokens, embedder.count_tokens)
        to_embed.extend(chunks)
        entries[doc.id] = _document_entry(doc, len(chunks))
    _embed_into(collection, to_embed, embedder, progress)
    return entries, to_embed


def _word_index(
    settings: Settings,
    manifest: dict[str, Any] | None,
    entries: dict[str, Any],
    unchanged: list[str],
    fresh: list[Chunk],
    collection: Any,
) -> tuple[LexicalIndex, Sequence[Chunk]]:
    """The new build's lexical index and chunks: an update of the previous build's (only
    the fresh chunks are tokenized) where it is on this disk, else made from every row."""
    keep = {d: entries[d]["chunks"] for d in unchanged}
    if manifest is not None:
        updated = update_lexical(build_folder(settings.index_path, manifest), keep, fresh)
        if updated is not None:
            return updated
    chunks = [chunk_from_row(m) for m in all_metadatas(collection)]
    chunks.sort(key=lambda c: (c.document_id, c.start))
    return build_lexical(chunks), chunks


def _switch_over(store: Store, manifest: dict[str, Any]) -> None:
    """Make the new build current (one atomic manifest write), then prune every collection
    but the new one and the previous one (kept for readers mid-query)."""
    store.write_manifest(manifest)
    keep = {manifest["collection"], manifest["previous_collection"]}
    for orphan in store.build_collections():
        if orphan not in keep:
            store.delete_collection(orphan)
    prune_lexical(store.settings.index_path, {k for k in keep if k})


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
        _stage(progress, "reading the documents")
        docs = documents if documents is not None else load_corpus(settings)
        store = Store(settings)
        manifest = _open_manifest(store, rebuild)
        settings_hash = settings.index_hash()
        previous = manifest["collection"] if manifest else None  # kept for readers mid-query
        reason, reusable = _reuse(manifest, rebuild, settings_hash)
        manifest = manifest if reusable else None
        old_docs: dict[str, Any] = manifest["documents"] if manifest else {}
        plan = _plan(docs, old_docs)
        if manifest and not (plan["added"] or plan["changed"] or plan["removed"]):
            return BuildReport(
                status="up_to_date",
                collection=manifest["collection"],
                unchanged=plan["unchanged"],
                chunks_total=sum(e["chunks"] for e in old_docs.values()),
                seconds=time.perf_counter() - started,
            )
        if embedder is None:
            _stage(progress, "loading the embedding model")
            embedder = load_embedder(settings)
        _stage(progress, "copying the unchanged documents")
        old_collection = store.get_collection(manifest["collection"]) if manifest else None
        name = store.new_collection_name()
        collection = store.create_collection(name)
        entries, fresh = _fill_collection(
            settings, docs, set(plan["unchanged"]), old_collection, collection, embedder, progress
        )
        _stage(progress, "building the word index")
        lexical, all_chunks = _word_index(
            settings, manifest, entries, plan["unchanged"], fresh, collection
        )
        save_lexical(lexical, lexical_path(settings.index_path, name), all_chunks)
        _stage(progress, "measuring relevance and switching over")
        _switch_over(
            store,
            {
                "lexical": f"{LEXICAL_DIR}/{name}",
                "build_id": name,
                "collection": name,
                "previous_collection": previous,
                "settings_hash": settings_hash,
                "embedding_model": settings.embedding_model,
                "embedder": embedder.name,
                "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "documents": entries,
                "relevance": calibrate_corpus(all_chunks, embedder),
            },
        )
    return BuildReport(
        status="built" if manifest is None else "updated",
        collection=name,
        reason=reason,
        chunks_total=sum(e["chunks"] for e in entries.values()),
        chunks_embedded=len(fresh),
        seconds=time.perf_counter() - started,
        **plan,
    )


def watch_index(
    settings: Settings,
    on_build: Callable[[BuildReport], None],
    *,
    on_error: Callable[[Exception], None] | None = None,
    stop: Any = None,
) -> Iterator[None]:
    """Rebuild incrementally whenever a file under the sources folder changes. A source that
    does not parse mid-edit is reported through `on_error` and the watch goes on."""
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
    "all_metadatas",
    "build_index",
    "chunk_from_row",
    "row_metadata",
    "watch_index",
]
