"""The chunk table: a build's chunks memory-mapped, parsed only when asked for."""

from __future__ import annotations

import json

import pytest

from assistant.index import build_index, load_index
from assistant.index.lexical import build_folder, build_lexical, load_table, save_lexical
from assistant.index.table import CHUNKS_FILE, OFFSETS_FILE, ChunkTable
from assistant.settings import Settings
from assistant.types import Chunk


def _chunk(i: int, doc: str, kind: str = "reference") -> Chunk:
    text = f"Passage {i} about magnesium – “quoted” ünïcode."
    return Chunk(
        id=f"c{i}",
        document_id=doc,
        section=("Results",),
        paragraph=i,
        start=0,
        end=len(text),
        text=text,
        sentences=((0, len(text)),),
        kind=kind,
        title=f"Title {doc}",
    )


CHUNKS = [
    _chunk(0, "article", "article"),
    _chunk(1, "ref-1"),
    _chunk(2, "ref-1"),
    _chunk(3, "ref-2"),
]


def _saved(tmp_path) -> ChunkTable:
    folder = tmp_path / "b1"
    save_lexical(build_lexical(CHUNKS), folder, CHUNKS)
    table = load_table(folder)
    assert table is not None
    return table


def test_saved_chunks_come_back_equal_and_in_order(tmp_path) -> None:
    table = _saved(tmp_path)
    assert len(table) == 4 and list(table) == CHUNKS
    assert table[-1] == CHUNKS[-1] and table[1:3] == CHUNKS[1:3]
    assert table.by_id["c2"] == CHUNKS[2] and "c9" not in table.by_id
    assert list(table.by_id) == ["c0", "c1", "c2", "c3"]
    with pytest.raises(IndexError):
        table[4]
    with pytest.raises(KeyError):
        table.by_id["c9"]


def test_only_the_chunks_asked_for_are_parsed(tmp_path) -> None:
    table = _saved(tmp_path)
    assert table._read.cache_info().currsize == 0  # opening parsed nothing
    assert [c.id for c in table.rows(document="ref-1")] == ["c1", "c2"]
    assert table._read.cache_info().currsize == 2
    assert [c.id for c in table.rows(kind="article")] == ["c0"]
    assert list(table.rows(kind="article", document="ref-2")) == []
    assert table.document_of("c3") == "ref-2"  # from the column
    assert table._read.cache_info().currsize == 3


def test_a_table_that_does_not_match_its_rows_is_not_used(tmp_path) -> None:
    folder = tmp_path / "b1"
    _saved(tmp_path)
    with (folder / CHUNKS_FILE).open("ab") as fh:  # a file changed under its offsets
        fh.write(b'{"id": "extra"}\n')
    assert load_table(folder) is None


def test_a_folder_from_before_the_offsets_file_is_read_whole(tmp_path) -> None:
    folder = tmp_path / "b1"
    _saved(tmp_path)
    (folder / OFFSETS_FILE).unlink()
    (folder / CHUNKS_FILE).write_text("\n".join(json.dumps(c.to_dict()) for c in CHUNKS))
    table = load_table(folder)
    assert table is not None and list(table) == CHUNKS


def test_a_built_index_is_loaded_as_a_table_of_its_chunks(hash_settings: Settings) -> None:
    build_index(hash_settings)
    index = load_index(hash_settings)
    assert isinstance(index.chunks, ChunkTable)
    assert (build_folder(hash_settings.index_path, index.manifest) / OFFSETS_FILE).is_file()
    expected = sum(e["chunks"] for e in index.manifest["documents"].values())
    assert len(index.chunks) == expected
    ids = [c.id for c in index.chunks]
    assert ids == index.chunks.ids and len(set(ids)) == expected
    assert all(index.chunks.by_id[i].id == i for i in ids[:: max(1, expected // 20)])


def test_a_table_from_elsewhere_does_not_lend_its_row_order_to_the_lexical_index(
    tmp_path,
) -> None:
    from assistant.index.lexical import load_lexical

    folder = tmp_path / "b1"
    save_lexical(build_lexical(CHUNKS), folder, CHUNKS)
    shuffled = ChunkTable.of(CHUNKS[::-1])  # e.g. read back from the store in its own order
    lexical = load_lexical(folder, shuffled)
    assert lexical is not None and lexical.ids == [c.id for c in CHUNKS]
    own = load_table(folder)
    assert load_lexical(folder, own).ids is own.ids  # the folder's own table is shared
