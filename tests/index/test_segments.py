"""Segments: an update writes only changed documents into a new collection, queries leave
the earlier segments' stale rows out, and too many segments are compacted into one."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.index import Store, build_index, load_index
from assistant.index.embeddings import HashEmbedder
from assistant.index.retrieve import HybridRetriever
from assistant.settings import Settings


def _edit(settings: Settings, name: str, text: str) -> None:
    notes = settings.sources_path / "notes" / name
    notes.write_text(notes.read_text() + f"\n## Added\n{text}\n")


def _every_row_once(settings: Settings) -> list[str]:
    """Dense search for many rows: each current chunk comes back exactly once, stale rows
    of earlier segments never."""
    retriever = HybridRetriever(settings)
    query = HashEmbedder(256).embed(["magnesium"])[0]
    hits = [i for i, _ in retriever.dense(np.asarray(query), 10_000, None)]
    assert len(hits) == len(set(hits))
    assert set(hits) == set(retriever.chunks)
    return hits


def test_an_update_writes_only_the_changed_document(hash_settings: Settings) -> None:
    first = build_index(hash_settings)
    _edit(hash_settings, "pmc6380979.md", "A new finding about iron stores.")
    second = build_index(hash_settings)
    manifest = load_index(hash_settings).manifest
    assert [s["collection"] for s in manifest["segments"]] == [first.collection, second.collection]
    assert list(manifest["segments"][1]["documents"]) == ["ref-3"]
    new_rows = Store(hash_settings).get_collection(second.collection).count()
    assert new_rows == second.chunks_embedded == manifest["documents"]["ref-3"]["chunks"]
    assert manifest["documents"]["ref-1"]["segment"] == first.collection
    _every_row_once(hash_settings)
    hits = HybridRetriever(hash_settings).search("iron stores", k=3)
    assert any("iron stores" in h.chunk.text for h in hits)


def test_a_removed_document_is_never_found(hash_settings: Settings) -> None:
    build_index(hash_settings)
    toml = hash_settings.sources_path / "references.toml"
    text = toml.read_text()
    toml.write_text(text[: text.rindex("[[reference]]")])  # drops ref-4
    report = build_index(hash_settings)
    assert report.removed == ["ref-4"] and report.chunks_embedded == 0
    hits = _every_row_once(hash_settings)
    assert hits and not any(i.startswith("ref-4") for i in hits)
    assert len(load_index(hash_settings).manifest["segments"]) == 1  # nothing new to hold


def test_too_many_segments_are_compacted_into_one(hash_settings: Settings, monkeypatch) -> None:
    import assistant.index.rows as rows
    import assistant.index.segments as segments

    monkeypatch.setattr(segments, "MAX_SEGMENTS", 2)
    monkeypatch.setattr(rows, "_COPY_PAGE", 7)  # many pages, the last one partial
    build_index(hash_settings)
    names = []
    for n, note in enumerate(["pmc6380979.md", "pmc7761127.md"]):
        _edit(hash_settings, note, f"Finding number {n} about zinc.")
        names.append(build_index(hash_settings).collection)
        _every_row_once(hash_settings)
    manifest = load_index(hash_settings).manifest
    # the second update would have made three segments: it wrote one collection instead
    assert [s["collection"] for s in manifest["segments"]] == [names[-1]]
    total = sum(e["chunks"] for e in manifest["documents"].values())
    assert Store(hash_settings).get_collection(names[-1]).count() == total
    kept = set(Store(hash_settings).build_collections())
    assert kept == {names[-1]} | set(manifest["previous_segments"])
    assert len(manifest["previous_segments"]) == 2


def test_an_index_from_before_segments_loads_and_updates(hash_settings: Settings) -> None:
    build_index(hash_settings)
    path = hash_settings.index_path / "manifest.json"
    old = json.loads(path.read_text())
    for key in ("segments", "previous_segments"):
        del old[key]
    for entry in old["documents"].values():
        del entry["segment"]
    path.write_text(json.dumps(old))
    _every_row_once(hash_settings)
    _edit(hash_settings, "pmc6380979.md", "A new finding about iron stores.")
    assert build_index(hash_settings).status == "updated"
    assert len(load_index(hash_settings).manifest["segments"]) == 2
    _every_row_once(hash_settings)


@pytest.mark.parametrize("documents", [{"ref-3"}, {"ref-1", "ref-3"}])
def test_a_document_filter_reaches_every_segment(hash_settings: Settings, documents) -> None:
    build_index(hash_settings)
    _edit(hash_settings, "pmc6380979.md", "A new finding about iron stores.")
    build_index(hash_settings)
    retriever = HybridRetriever(hash_settings)
    query = np.asarray(HashEmbedder(256).embed(["magnesium"])[0])
    hits = retriever.dense(query, 10_000, None, documents=frozenset(documents))
    want = {c.id for c in retriever.index.chunks if c.document_id in documents}
    assert {i for i, _ in hits} == want and len(hits) == len(want)


def test_compaction_is_decided_by_segments_and_stale_rows() -> None:
    from assistant.index.segments import should_compact

    def manifest(segs: list[dict[str, int]], serving: dict[str, int]) -> dict:
        names = [f"c{i}" for i in range(len(segs))]
        return {
            "collection": names[-1],
            "segments": [
                {"collection": n, "documents": d} for n, d in zip(names, segs, strict=True)
            ],
            "documents": {
                d: {"chunks": segs[i][d], "segment": names[i]} for d, i in serving.items()
            },
        }

    base = {f"d{i}": 10 for i in range(10)}
    one = manifest([base], dict.fromkeys(base, 0))
    assert not should_compact(one, {"d0"})  # 10 of 100 rows stale
    assert should_compact(one, {"d0", "d1", "d2"})  # 30 of 100
    two = manifest([base, {"d0": 12}], {**dict.fromkeys(base, 0), "d0": 1})
    assert not should_compact(two, {"d0"})  # the second segment goes: still 10 of 100
    assert should_compact(two, {"d1", "d2"})  # 30 of 102
    big = {f"d{i}": 10 for i in range(100)}
    moved = {f"d{i}": i for i in range(1, 6)}  # five documents updated, one segment each
    many = manifest([big] + [{d: 10} for d in moved], dict.fromkeys(big, 0) | moved)
    assert should_compact(many, {"d9"})  # a seventh segment would be one too many
    assert not should_compact(many, {"d1"})  # d1's segment goes, so six


def test_a_small_update_keeps_the_calibration_and_a_large_one_redoes_it(tmp_path) -> None:
    import random

    from conftest import make_settings

    from assistant.bench.update import synthetic_document

    settings = make_settings(tmp_path)
    rng = random.Random(3)
    docs = [synthetic_document(i, rng) for i in range(40)]
    first = build_index(settings, documents=docs).collection
    assert load_index(settings).manifest["relevance"]["build"] == first
    docs[0] = synthetic_document(0, rng, edit=1)  # one document of forty: 2.5% of the rows
    build_index(settings, documents=docs)
    assert load_index(settings).manifest["relevance"]["build"] == first
    for i in (1, 2, 3):  # three of forty: 7.5%
        docs[i] = synthetic_document(i, rng, edit=2)
    third = build_index(settings, documents=docs).collection
    assert load_index(settings).manifest["relevance"]["build"] == third
