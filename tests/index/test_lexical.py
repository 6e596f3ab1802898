"""The lexical index: written per build beside the collection, switched and pruned with it,
opened memory-mapped, made again by a reader that lacks it; and its filters."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from assistant.index import build_index, load_index
from assistant.index.lexical import (
    LEXICAL_DIR,
    Tokens,
    build_lexical,
    lexical_path,
    load_lexical,
    save_lexical,
)
from assistant.index.retrieve import HybridRetriever
from assistant.index.table import chunk_line
from assistant.settings import Settings


def _folders(settings: Settings) -> set[str]:
    root = settings.index_path / LEXICAL_DIR
    return {p.name for p in root.iterdir()} if root.is_dir() else set()


def test_each_build_writes_its_lexical_index_and_prunes_old_ones(hash_settings: Settings) -> None:
    first = build_index(hash_settings).collection
    manifest = load_index(hash_settings).manifest
    assert manifest["lexical"] == f"{LEXICAL_DIR}/{first}"
    assert _folders(hash_settings) == {first}
    second = build_index(hash_settings, rebuild=True).collection
    assert _folders(hash_settings) == {first, second}  # the previous build, for readers mid-query
    third = build_index(hash_settings, rebuild=True).collection
    assert _folders(hash_settings) == {second, third}
    saved = load_lexical(lexical_path(hash_settings.index_path, third))
    assert saved is not None
    assert isinstance(saved.model.scores["data"], np.memmap)  # opened, not read whole
    assert sorted(saved.ids) == sorted(c.id for c in load_index(hash_settings).chunks)


def test_a_reader_without_the_lexical_index_makes_and_keeps_it(hash_settings: Settings) -> None:
    build = build_index(hash_settings).collection
    query = "magnesium inflammation C-reactive protein"
    before = HybridRetriever(hash_settings).bm25(query, 5, None)
    shutil.rmtree(lexical_path(hash_settings.index_path, build))  # as on another machine
    again = HybridRetriever(hash_settings).bm25(query, 5, None)
    assert before and [i for i, _ in again] == [i for i, _ in before]
    assert [s for _, s in again] == pytest.approx([s for _, s in before])
    assert (lexical_path(hash_settings.index_path, build) / "rows.json").is_file()


def test_filters_and_ranking(hash_settings: Settings) -> None:
    build_index(hash_settings)
    chunks = load_index(hash_settings).chunks
    index = build_lexical(chunks)
    hits = index.search("magnesium", 50)
    scores = [s for _, s in hits]
    assert hits and scores == sorted(scores, reverse=True) and min(scores) > 0
    kind_of = {c.id: c.kind for c in chunks}
    doc_of = {c.id: c.document_id for c in chunks}
    assert {kind_of[i] for i, _ in index.search("magnesium", 50, kind="reference")} == {"reference"}
    only = frozenset({"article"})
    assert {doc_of[i] for i, _ in index.search("magnesium", 50, documents=only)} == {"article"}
    assert index.search("", 5) == [] and index.search("zzzqqq", 5) == []


def test_saving_is_whole_or_nothing(hash_settings: Settings, tmp_path, monkeypatch) -> None:
    build_index(hash_settings)
    index = build_lexical(load_index(hash_settings).chunks)
    target = tmp_path / "lexical" / "b1"
    save_lexical(index, target, [])

    def broken(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(type(index.model), "save", broken)
    with pytest.raises(OSError, match="disk full"):
        save_lexical(index, target, [])
    assert load_lexical(target) is not None  # the earlier index is still whole
    assert [p.name for p in target.parent.iterdir()] == ["b1"]  # no half-written folder left


def test_loading_reads_the_saved_chunks_not_every_store_row(
    hash_settings: Settings, monkeypatch
) -> None:
    from assistant.index import load as load_module

    build = build_index(hash_settings).collection
    from_store = list(load_index(hash_settings).chunks)  # the first read may use either
    calls = []
    monkeypatch.setattr(load_module, "all_metadatas", lambda c: calls.append(c) or [])
    from_file = list(load_index(hash_settings).chunks)
    assert calls == [] and from_file == from_store and from_file
    (lexical_path(hash_settings.index_path, build) / "chunks.jsonl").unlink()
    monkeypatch.undo()
    assert list(load_index(hash_settings).chunks) == from_store  # no file: read from the store


def test_tokens_keep_rows_through_take_then_and_compact() -> None:
    first = Tokens.of([["a", "b"], [], ["b", "c", "c"]])
    assert first.vocab == ["a", "b", "c"] and len(first) == 3
    more = Tokens.of([["d", "a"]], first.vocab)
    joined = first.then(more).take(np.array([3, 0, 2])).compact()

    def words_of(t: Tokens) -> list[list[str]]:
        return [[t.vocab[i] for i in row] for row in t.lists()]

    assert words_of(joined) == [["d", "a"], ["a", "b"], ["b", "c", "c"]]
    assert sorted(joined.vocab) == ["a", "b", "c", "d"]  # nothing unused is kept
    assert words_of(first.take(np.array([1]))) == [[]]


def _edit_ref3(settings: Settings) -> None:
    notes = settings.sources_path / "notes" / "pmc6380979.md"
    notes.write_text(notes.read_text() + "\n## Added\nA new finding about iron stores.\n")


def _same_as_a_full_build(settings: Settings) -> None:
    """The current build's saved lexical index and chunk file, against ones made from scratch
    out of the build's chunks."""
    loaded = load_index(settings)
    folder = lexical_path(settings.index_path, loaded.manifest["build_id"])
    saved = load_lexical(folder)
    chunks = list(loaded.chunks)
    assert saved is not None and chunks
    assert [c.id for c in chunks] == saved.ids
    assert [(c.document_id, c.start) for c in chunks] == sorted(
        (c.document_id, c.start) for c in chunks
    )
    scratch = build_lexical(chunks)
    for query in ["magnesium", "iron stores", "C-reactive protein inflammation", "hair"]:
        got, want = saved.search(query, 20), scratch.search(query, 20)
        assert want and [i for i, _ in got] == [i for i, _ in want]
        assert [s for _, s in got] == pytest.approx([s for _, s in want])
    lines = (folder / "chunks.jsonl").read_bytes()
    assert lines == b"".join(chunk_line(c) for c in chunks)


def test_an_update_tokenizes_only_the_changed_document(
    hash_settings: Settings, monkeypatch
) -> None:
    import assistant.index.build as build_module
    import assistant.index.lexical as lexical_module

    build_index(hash_settings)
    _edit_ref3(hash_settings)
    tokenized: list[str] = []
    real = lexical_module.chunk_tokens
    monkeypatch.setattr(
        lexical_module, "chunk_tokens", lambda c: tokenized.append(c.document_id) or real(c)
    )

    def no_paging(_collection):
        raise AssertionError("an update read every row of the store")

    monkeypatch.setattr(build_module, "all_metadatas", no_paging)
    report = build_index(hash_settings)
    assert report.status == "updated" and report.changed == ["ref-3"]
    assert set(tokenized) == {"ref-3"} and len(tokenized) == report.chunks_embedded
    monkeypatch.undo()
    _same_as_a_full_build(hash_settings)
    assert any("iron stores" in c.text for c in load_index(hash_settings).chunks)


def test_an_update_without_saved_tokens_reads_every_row(hash_settings: Settings) -> None:
    first = build_index(hash_settings).collection
    (lexical_path(hash_settings.index_path, first) / "tokens.npy").unlink()  # an older build
    _edit_ref3(hash_settings)
    second = build_index(hash_settings).collection
    _same_as_a_full_build(hash_settings)
    assert (lexical_path(hash_settings.index_path, second) / "tokens.npy").is_file()
