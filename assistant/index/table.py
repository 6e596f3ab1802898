"""A build's chunks, read from disk when asked for instead of all held in memory.

The build saves its chunks beside its lexical index (lexical.py): ``chunks.jsonl``, one chunk
a line, and ``chunks.offsets.npy``, where each line starts. A `ChunkTable` memory-maps both
and keeps in memory only each row's id, kind and document (the filters search needs), so
loading an index costs the same at a thousand chunks as at a million, and a question parses
just the chunks it returns. At one million chunks the parsed chunks took about 3.5 GB of a
4.5 GB process; a table holds under 200 MB of the three columns.

A table over chunks already in memory (`ChunkTable.of`) behaves the same: the store fallback
for builds that saved no chunk file, and tests.
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, overload

import numpy as np

from assistant.types import Chunk

CHUNKS_FILE = "chunks.jsonl"
OFFSETS_FILE = "chunks.offsets.npy"
PARSED_KEPT = 4096  # chunks kept parsed: the passages of recent questions


def chunk_line(chunk: Chunk) -> bytes:
    """A chunk as one line of the chunk file."""
    return json.dumps(chunk.to_dict(), ensure_ascii=False).encode("utf-8") + b"\n"


def write_chunks(folder: Path, lines: Iterable[bytes]) -> None:
    """The chunk file and its line offsets, into a folder that is not live yet."""
    starts = [0]
    with (folder / CHUNKS_FILE).open("wb") as fh:
        for line in lines:
            fh.write(line)
            starts.append(starts[-1] + len(line))
    np.save(folder / OFFSETS_FILE, np.asarray(starts, dtype=np.int64))


class ChunkTable(Sequence[Chunk]):
    """Chunks by position (``table[i]``, iteration in build order) and by id (`by_id`)."""

    def __init__(
        self,
        ids: list[str],
        kinds: np.ndarray,
        documents: np.ndarray,
        read: Any,
        folder: Path | None = None,
        line: Any = None,
    ) -> None:
        self.folder = folder  # where it was opened from; None for chunks in memory
        self.ids = ids
        self.kinds = kinds  # one kind per row ("article", "reference")
        self.documents = documents  # one document id per row
        self._position = {chunk_id: i for i, chunk_id in enumerate(ids)}
        self._read = read  # position -> Chunk
        self._line = line or (lambda i: chunk_line(read(i)))  # position -> its saved line

    @classmethod
    def of(cls, chunks: list[Chunk]) -> ChunkTable:
        """A table over chunks in memory."""
        return cls(
            [c.id for c in chunks],
            np.array([c.kind for c in chunks], dtype=object),
            np.array([c.document_id for c in chunks], dtype=object),
            chunks.__getitem__,
        )

    @classmethod
    def open(
        cls, folder: Path, ids: list[str], kinds: np.ndarray, documents: np.ndarray
    ) -> ChunkTable | None:
        """The table saved in ``folder`` for these rows; None when it is missing or does
        not match them (then the caller reads the chunks another way)."""
        try:
            offsets = np.load(folder / OFFSETS_FILE, mmap_mode="r")
            with (folder / CHUNKS_FILE).open("rb") as fh:
                size = fh.seek(0, 2)
                data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        except (OSError, ValueError):
            return None
        if len(offsets) != len(ids) + 1 or int(offsets[-1]) != size:
            return None

        def line(i: int) -> bytes:
            return bytes(data[int(offsets[i]) : int(offsets[i + 1])])

        @lru_cache(maxsize=PARSED_KEPT)
        def read(i: int) -> Chunk:
            return Chunk.from_dict(json.loads(line(i)))

        return cls(ids, kinds, documents, read, folder, line)

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, i: int) -> Chunk: ...
    @overload
    def __getitem__(self, i: slice) -> list[Chunk]: ...
    def __getitem__(self, i: int | slice) -> Chunk | list[Chunk]:
        if isinstance(i, slice):
            return [self._read(j) for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return self._read(i % len(self))

    def __iter__(self) -> Iterator[Chunk]:
        return (self._read(i) for i in range(len(self)))

    def line(self, i: int) -> bytes:
        """Row i as a line of the chunk file, copied from the saved file unparsed."""
        return self._line(i)

    def position(self, chunk_id: str) -> int | None:
        return self._position.get(chunk_id)

    def document_of(self, chunk_id: str) -> str:
        """The chunk's document, from the column: no chunk is parsed."""
        return str(self.documents[self._position[chunk_id]])

    def rows(self, kind: str | None = None, document: str | None = None) -> Iterator[Chunk]:
        """The chunks of one kind and/or one document, in build order, parsing no others."""
        mask = np.ones(len(self), dtype=bool)
        if kind is not None:
            mask &= self.kinds == kind
        if document is not None:
            mask &= self.documents == document
        return (self._read(int(i)) for i in np.flatnonzero(mask))

    @property
    def by_id(self) -> Mapping[str, Chunk]:
        return _ById(self)


class _ById(Mapping[str, Chunk]):
    def __init__(self, table: ChunkTable) -> None:
        self._table = table

    def __getitem__(self, chunk_id: str) -> Chunk:
        i = self._table.position(chunk_id)
        if i is None:
            raise KeyError(chunk_id)
        return self._table[i]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table.ids)

    def __len__(self) -> int:
        return len(self._table)
