"""A build's vector rows may live in several collections: segments.

Chroma has no copy-on-write fork in local mode, and writing a row costs about a millisecond
(its vector index), so a build that copied every unchanged row into a fresh collection paid
about 100 s per 100,000 chunks for any change. An update instead writes only the added and
changed documents' rows into a new collection and lists it after the earlier ones in the
manifest. Each document entry names the segment that serves it (``"segment"``); an earlier
segment's rows of a document since changed or removed are *stale*, and a query drops them
from what it fetches (retrieve.py; a Chroma filter on them would scan every row of the
store). When the segments grow too many, or too many of their rows are stale, the next build
compacts them into one collection (a full copy).

A manifest from before segments names one collection serving every document: `segments`
reads it as one segment, so old indexes keep working unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_SEGMENTS = 6  # beyond this many collections a query pays too many vector searches
MAX_STALE = 0.25  # compact when this share of the segments' rows is stale (queries fetch past them)


@dataclass(frozen=True)
class Segment:
    collection: str
    held: dict[str, int]  # rows it holds per document, stale ones included
    live: frozenset[str]  # the documents it serves in this build
    stale: frozenset[str] = field(init=False)  # held, not served: replaced or removed since
    rows: int = field(init=False)  # its live rows
    stale_rows: int = field(init=False)

    def __post_init__(self) -> None:  # computed once: a query asks for them per row
        stale = frozenset(self.held) - self.live
        object.__setattr__(self, "stale", stale)
        object.__setattr__(self, "rows", sum(self.held.get(d, 0) for d in self.live))
        object.__setattr__(self, "stale_rows", sum(self.held[d] for d in stale))


def serving(manifest: dict[str, Any], document: str) -> str:
    """The collection that holds a document's current rows."""
    return str(manifest["documents"][document].get("segment") or manifest["collection"])


def segments(manifest: dict[str, Any]) -> list[Segment]:
    """The build's segments, oldest first, each with what it serves."""
    entries = manifest["documents"]
    listed = manifest.get("segments") or [
        {
            "collection": manifest["collection"],
            "documents": {d: e["chunks"] for d, e in entries.items()},
        }
    ]
    return [
        Segment(
            seg["collection"],
            {d: int(n) for d, n in seg["documents"].items()},
            frozenset(d for d in entries if serving(manifest, d) == seg["collection"]),
        )
        for seg in listed
    ]


def should_compact(manifest: dict[str, Any], replaced: set[str]) -> bool:
    """Whether the next build, which replaces (or removes) these documents' rows, writes one
    collection afresh: too many segments otherwise, or too many stale rows."""
    segs = [Segment(s.collection, s.held, s.live - replaced) for s in segments(manifest)]
    kept = [s for s in segs if s.live]
    if len(kept) + 1 > MAX_SEGMENTS:
        return True
    stale = sum(s.stale_rows for s in kept)
    total = stale + sum(s.rows for s in kept)
    return total > 0 and stale / total > MAX_STALE


def carried(manifest: dict[str, Any], replaced: set[str]) -> list[dict[str, Any]]:
    """The segments an update keeps (those still serving a document), as manifest entries."""
    return [
        {"collection": s.collection, "documents": s.held}
        for s in segments(manifest)
        if s.live - replaced
    ]


def live_rows(
    manifest: dict[str, Any], open_collection: Callable[[str], Any], read: Callable[[Any], list]
) -> list[dict[str, Any]]:
    """Every current row's metadata, segment by segment, stale rows left out."""
    out: list[dict[str, Any]] = []
    for seg in segments(manifest):
        if seg.live:
            rows = read(open_collection(seg.collection))
            out.extend(m for m in rows if m["document_id"] in seg.live)
    return out
