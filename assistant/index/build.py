"""Build the index: a Chroma collection + manifest per build (assistant.index.load reads it).

Builds are incremental (an update writes only added and changed documents, into a new
collection listed after the earlier ones: segments.py; unchanged rows are copied only when
the segments are compacted), atomic (readers switch only when the manifest is rewritten at
the end) and exclusive (a lock file; a second build refuses, or waits when asked to).
"""

from __future__ import annotations

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
from assistant.index.rows import Progress, all_metadatas, chunk_from_row, copy_rows, row_metadata
from assistant.index.segments import carried, live_rows, segments, serving, should_compact
from assistant.index.store import Store
from assistant.settings import Settings
from assistant.sources import load_corpus
from assistant.types import Chunk, Document


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
        for seg in segments(manifest) if manifest is not None else []:
            store.get_collection(seg.collection)
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
    kept: dict[str, tuple[str, int]],
    collection: Any,
    embedder: Embedder,
    progress: Progress | None,
) -> tuple[dict[str, Any], list[Chunk]]:
    """Chunk and embed every document not ``kept`` (document -> the segment holding its rows
    and their count) into the new collection; (the manifest's document entries, the chunks
    that were embedded)."""
    entries: dict[str, Any] = {}
    to_embed: list[Chunk] = []
    for doc in docs:
        if doc.id in kept:
            segment, count = kept[doc.id]
            entries[doc.id] = _document_entry(doc, count) | {"segment": segment}
            continue
        chunks = chunk_document(doc, settings.chunk_max_tokens, embedder.count_tokens)
        to_embed.extend(chunks)
        entries[doc.id] = _document_entry(doc, len(chunks)) | {"segment": collection.name}
    _embed_into(collection, to_embed, embedder, progress)
    return entries, to_embed


def _keep_rows(
    store: Store,
    manifest: dict[str, Any] | None,
    unchanged: set[str],
    replaced: set[str],
    collection: Any,
    progress: Progress | None,
) -> tuple[dict[str, tuple[str, int]], list[dict[str, Any]]]:
    """Where the unchanged documents' rows will be: left in their segments (an update), or
    copied into the new collection (a compaction); (document -> segment and row count, the
    earlier segments the build keeps)."""
    if manifest is None or not unchanged:
        return {}, []
    if not should_compact(manifest, replaced):
        entries = manifest["documents"]
        kept = {d: (serving(manifest, d), int(entries[d]["chunks"])) for d in unchanged}
        return kept, carried(manifest, replaced)
    _stage(progress, "copying the unchanged documents")
    copied: dict[str, int] = {}
    for seg in segments(manifest):
        if seg.live & unchanged:
            old = store.get_collection(seg.collection)
            copied |= copy_rows(old, collection, set(seg.live & unchanged), progress)
    return {d: (collection.name, copied.get(d, 0)) for d in unchanged}, []


def _word_index(
    store: Store,
    previous: dict[str, Any] | None,
    manifest: dict[str, Any],
    unchanged: list[str],
    fresh: list[Chunk],
) -> tuple[LexicalIndex, Sequence[Chunk]]:
    """The new build's lexical index and chunks: an update of the previous build's (only
    the fresh chunks are tokenized) where it is on this disk, else made from every row."""
    keep = {d: manifest["documents"][d]["chunks"] for d in unchanged}
    if not any(keep.values()):  # every row is fresh: no need to read them back
        chunks = sorted(fresh, key=lambda c: (c.document_id, c.start))
        return build_lexical(chunks), chunks
    if previous is not None:
        folder = build_folder(store.settings.index_path, previous)
        updated = update_lexical(folder, keep, fresh)
        if updated is not None:
            return updated
    rows = live_rows(manifest, store.get_collection, all_metadatas)
    chunks = [chunk_from_row(m) for m in rows]
    chunks.sort(key=lambda c: (c.document_id, c.start))
    return build_lexical(chunks), chunks


RECALIBRATE_SHARE = 0.05  # an update rewriting fewer of the rows keeps the last calibration


def _relevance(
    manifest: dict[str, Any] | None,
    rewritten: int,
    chunks: Sequence[Chunk],
    embedder: Embedder,
    build: str,
) -> dict[str, Any]:
    """The decline threshold's calibration for the new build: the previous one when the
    update rewrote only a small share of the rows (calibrating embeds up to 1,500 sentences
    and their questions: 12.6 s with the real model on 2 cores), else made again on this
    build's chunks."""
    old = (manifest or {}).get("relevance")
    if old and old.get("build") and rewritten < RECALIBRATE_SHARE * max(len(chunks), 1):
        return old
    return calibrate_corpus(chunks, embedder) | {"build": build}


def _switch_over(store: Store, manifest: dict[str, Any]) -> None:
    """Make the new build current (one atomic manifest write), then prune every collection
    but the new build's segments and the previous build's (kept for readers mid-query)."""
    store.write_manifest(manifest)
    keep = {s["collection"] for s in manifest["segments"]} | set(manifest["previous_segments"])
    for orphan in store.build_collections():
        if orphan not in keep:
            store.delete_collection(orphan)
    builds = {manifest["build_id"], manifest["previous_collection"]}
    prune_lexical(store.settings.index_path, {b for b in builds if b})


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
        previous = manifest  # its collections are kept for readers mid-query
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
        name = store.new_collection_name()
        collection = store.create_collection(name)
        replaced = set(plan["changed"]) | set(plan["removed"])
        kept, earlier = _keep_rows(
            store, manifest, set(plan["unchanged"]), replaced, collection, progress
        )
        entries, fresh = _fill_collection(settings, docs, kept, collection, embedder, progress)
        held = {d: e["chunks"] for d, e in entries.items() if e["segment"] == name}
        listed = (
            [*earlier, {"collection": name, "documents": held}] if held or not earlier else earlier
        )
        new = {
            "lexical": f"{LEXICAL_DIR}/{name}",
            "build_id": name,
            "collection": listed[-1]["collection"],  # the newest segment
            "segments": listed,
            "previous_collection": (previous.get("build_id") or previous["collection"])
            if previous
            else None,
            "previous_segments": [s.collection for s in segments(previous)] if previous else [],
            "settings_hash": settings_hash,
            "embedding_model": settings.embedding_model,
            "embedder": embedder.name,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "documents": entries,
        }
        _stage(progress, "building the word index")
        lexical, all_chunks = _word_index(store, manifest, new, plan["unchanged"], fresh)
        save_lexical(lexical, lexical_path(settings.index_path, name), all_chunks)
        _stage(progress, "measuring relevance and switching over")
        rewritten = len(fresh) + sum(old_docs[d]["chunks"] for d in plan["removed"])
        relevance = _relevance(manifest, rewritten, all_chunks, embedder, name)
        _switch_over(store, new | {"relevance": relevance})
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
