"""The index on a real Chroma store: incremental builds, status, atomic switch-over, the lock."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import REPO, make_settings

from assistant.errors import IndexLockedError, IndexMissingError, IndexStaleError
from assistant.index import build_index, index_status, load_index
from assistant.index.retrieve import HybridRetriever
from assistant.index.store import Store
from assistant.settings import Settings


class CountingEmbedder:
    """The hashing embedder, counting what it is asked to embed."""

    def __init__(self) -> None:
        from assistant.index.embeddings import HashEmbedder

        self.inner = HashEmbedder(256)
        self.name, self.dim = self.inner.name, self.inner.dim
        self.texts: list[str] = []

    def embed(self, texts: list[str]):
        self.texts.extend(texts)
        return self.inner.embed(texts)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


def test_first_build_then_up_to_date(hash_settings: Settings) -> None:
    first = build_index(hash_settings, embedder=CountingEmbedder())
    assert first.status == "built"
    assert "article" in first.added and len(first.added) == 5  # article + 4 references
    assert first.chunks_total == first.chunks_embedded > 10
    again = build_index(hash_settings, embedder=CountingEmbedder())
    assert again.status == "up_to_date"
    assert again.chunks_total == first.chunks_total
    status = index_status(hash_settings)
    assert status.fresh and {d.state for d in status.documents} == {"fresh"}


def test_editing_one_document_reembeds_only_it(hash_settings: Settings) -> None:
    build_index(hash_settings, embedder=CountingEmbedder())
    notes = hash_settings.sources_path / "notes" / "pmc6380979.md"
    notes.write_text(notes.read_text() + "\n## Added\nA new finding about iron stores.\n")
    assert {d.id: d.state for d in index_status(hash_settings).documents}["ref-3"] == "stale"

    counting = CountingEmbedder()
    report = build_index(hash_settings, embedder=counting)
    assert report.status == "updated"
    assert report.changed == ["ref-3"]
    assert sorted(report.unchanged) == ["article", "ref-1", "ref-2", "ref-4"]
    loaded = load_index(hash_settings)
    ref3_chunks = [c for c in loaded.chunks if c.document_id == "ref-3"]
    assert report.chunks_embedded == len(ref3_chunks)
    # of all passages, only ref-3's were embedded again (sentences are embedded for calibration)
    passages = {c.embed_text(): c.document_id for c in loaded.chunks}
    reembedded = {passages[t] for t in counting.texts if t in passages}
    assert reembedded == {"ref-3"}
    assert any("iron stores" in c.text for c in ref3_chunks)
    assert len(loaded.chunks) == report.chunks_total


def test_removed_document_is_deleted_and_old_collections_pruned(hash_settings: Settings) -> None:
    build_index(hash_settings, embedder=CountingEmbedder())
    toml = hash_settings.sources_path / "references.toml"
    text = toml.read_text()
    # drop the last [[reference]] table
    toml.write_text(text[: text.rindex("[[reference]]")])
    report = build_index(hash_settings, embedder=CountingEmbedder())
    assert report.removed == ["ref-4"]
    assert all(c.document_id != "ref-4" for c in load_index(hash_settings).chunks)
    build_index(hash_settings, rebuild=True, embedder=CountingEmbedder())
    # current + previous only
    assert len(Store(hash_settings).build_collections()) == 2


def test_settings_change_forces_rebuild(hash_settings: Settings, tmp_path: Path) -> None:
    build_index(hash_settings, embedder=CountingEmbedder())
    changed = make_settings(
        tmp_path / "b",
        sources_dir=hash_settings.sources_path,
        index_dir=hash_settings.index_path,
        chunk_max_tokens=64,
    )
    with pytest.raises(IndexStaleError):
        load_index(changed)
    report = build_index(changed, embedder=CountingEmbedder())
    assert report.status == "built" and "settings" in report.reason
    assert report.chunks_embedded == report.chunks_total


def test_missing_index_says_how_to_build(hash_settings: Settings) -> None:
    with pytest.raises(IndexMissingError, match="assistant index"):
        load_index(hash_settings)


def test_second_build_refuses_while_one_holds_the_lock(hash_settings: Settings) -> None:
    from filelock import FileLock

    hash_settings.index_path.mkdir(parents=True)
    with (
        FileLock(str(hash_settings.index_path / "build.lock")),
        pytest.raises(IndexLockedError, match="--wait"),
    ):
        build_index(hash_settings, embedder=CountingEmbedder())


def test_corrupt_manifest_is_reported_and_rebuild_recovers(hash_settings: Settings) -> None:
    from assistant.errors import StoreError

    build_index(hash_settings, embedder=CountingEmbedder())
    (hash_settings.index_path / "manifest.json").write_text("{not json")
    with pytest.raises(StoreError, match="--rebuild"):
        load_index(hash_settings)
    with pytest.raises(StoreError):
        build_index(hash_settings, embedder=CountingEmbedder())
    report = build_index(hash_settings, rebuild=True, embedder=CountingEmbedder())
    assert report.status == "built"
    assert load_index(hash_settings).chunks


_KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from assistant.index.embeddings import HashEmbedder
    from assistant.index import build_index
    from assistant.settings import Settings

    class Slow(HashEmbedder):
        def embed(self, texts):
            print("EMBEDDING", flush=True)
            time.sleep(30)
            return super().embed(texts)

    settings = Settings(root_dir=sys.argv[1], sources_dir=sys.argv[2], index_dir=sys.argv[3],
                        embedding_model="hash:256")
    build_index(settings, rebuild=True, embedder=Slow(256))
    """
)


def _start_build(script: str, settings: Settings) -> subprocess.Popen:
    """A build in its own process (so it can be killed), on these settings' folders."""
    args = [str(REPO), str(settings.sources_path), str(settings.index_path)]
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True
    )


def _kill(proc: subprocess.Popen) -> None:
    """SIGKILL, as a crash or an OOM kill would; then reap the process and close its pipe."""
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    if proc.stdout is not None:
        proc.stdout.close()


def test_killed_build_leaves_previous_index_answering(hash_settings: Settings) -> None:
    build_index(hash_settings, embedder=CountingEmbedder())
    before = json.loads((hash_settings.index_path / "manifest.json").read_text())
    proc = _start_build(_KILL_SCRIPT, hash_settings)
    try:
        assert proc.stdout is not None
        deadline = time.time() + 60
        line = ""
        while "EMBEDDING" not in line and time.time() < deadline:
            line = proc.stdout.readline()
        assert "EMBEDDING" in line, "the build never reached the embedding step"
    finally:
        _kill(proc)
    after = json.loads((hash_settings.index_path / "manifest.json").read_text())
    assert after == before
    hits = HybridRetriever(hash_settings).search("inflammatory markers", k=3)
    assert hits and all(h.chunk.text for h in hits)
    # the half-written collection is an orphan; the next build completes and prunes it
    assert len(Store(hash_settings).build_collections()) == 2
    report = build_index(hash_settings, rebuild=True, embedder=CountingEmbedder())
    assert report.status == "built"
    assert len(Store(hash_settings).build_collections()) == 2


def test_corrupt_chroma_files_give_clear_error_and_rebuild_recovers(
    hash_settings: Settings,
) -> None:
    from assistant.errors import StoreError

    build_index(hash_settings, embedder=CountingEmbedder())
    sqlite = hash_settings.index_path / "chroma" / "chroma.sqlite3"
    sqlite.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="--rebuild"):
        HybridRetriever(hash_settings)
    report = build_index(hash_settings, rebuild=True, embedder=CountingEmbedder())
    assert report.status == "built"
    assert HybridRetriever(hash_settings).search("magnesium", k=2)
    assert list(hash_settings.index_path.glob("chroma.broken-*"))  # kept for inspection


def test_missing_store_folder_gives_clear_error_and_rebuild_recovers(
    hash_settings: Settings,
) -> None:
    """Run as separate processes, as a user would: the store folder vanishes between them."""
    import os
    import shutil

    build_index(hash_settings, embedder=CountingEmbedder())
    shutil.rmtree(hash_settings.index_path / "chroma")
    env = {
        **os.environ,
        "ASSISTANT_SOURCES_DIR": str(hash_settings.sources_path),
        "ASSISTANT_INDEX_DIR": str(hash_settings.index_path),
        "ASSISTANT_EMBEDDING_MODEL": "hash:256",
    }

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "assistant", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    broken = cli("search", "magnesium")
    assert broken.returncode == 1 and "--rebuild" in broken.stderr
    assert "Traceback" not in broken.stderr
    fixed = cli("index", "--rebuild")
    assert fixed.returncode == 0, fixed.stderr
    assert cli("search", "magnesium").returncode == 0


def test_watch_rebuilds_when_a_source_changes_and_survives_a_bad_edit(
    hash_settings: Settings,
) -> None:
    import threading

    from assistant.index import watch_index

    build_index(hash_settings, embedder=CountingEmbedder())
    reports, errors = [], []
    stop = threading.Event()
    worker = threading.Thread(
        target=lambda: list(
            watch_index(hash_settings, reports.append, on_error=errors.append, stop=stop)
        ),
        daemon=True,
    )
    worker.start()
    time.sleep(1.0)  # let the watcher start
    toml = hash_settings.sources_path / "references.toml"
    good = toml.read_text()
    toml.write_text(good + "\n[[reference]]\nnumber = 'x'\n")  # mid-edit: does not parse
    deadline = time.time() + 30
    while not errors and time.time() < deadline:
        time.sleep(0.2)
    notes = hash_settings.sources_path / "notes" / "pmc7761127.md"
    toml.write_text(good)
    notes.write_text(notes.read_text() + "\n## More\nAnother sentence.\n")
    while not any("ref-4" in r.changed for r in reports) and time.time() < deadline:
        time.sleep(0.2)
    stop.set()
    worker.join(timeout=10)
    assert errors and "references.toml" in str(errors[0])
    assert any(r.changed == ["ref-4"] for r in reports), reports
    assert not worker.is_alive()


def test_the_index_is_read_page_by_page(hash_settings, monkeypatch) -> None:
    """One read of a 100k-chunk collection fails in SQLite (too many variables): rows are read
    in pages, and every chunk comes back exactly once."""
    import assistant.index.rows as index_module
    from assistant.index import build_index, load_index

    report = build_index(hash_settings)
    whole = load_index(hash_settings).chunks
    monkeypatch.setattr(index_module, "_READ_PAGE", 7)  # many pages, the last one partial
    paged = load_index(hash_settings).chunks
    assert len(paged) == report.chunks_total == len(whole) > 7
    assert [c.id for c in paged] == [c.id for c in whole]


_PACED_BUILD = textwrap.dedent(
    """
    import sys, time
    from assistant.index.embeddings import HashEmbedder
    from assistant.index import build_index
    from assistant.settings import Settings

    class Paced(HashEmbedder):  # spreads the build over a few seconds, batch by batch
        def embed(self, texts):
            time.sleep(0.05)
            return super().embed(texts)

    settings = Settings(root_dir=sys.argv[1], sources_dir=sys.argv[2], index_dir=sys.argv[3],
                        embedding_model="hash:256")
    print("START", flush=True)
    build_index(settings, rebuild=True, embedder=Paced(256))
    print("DONE", flush=True)
    """
)


def test_builds_killed_at_random_points_never_break_the_index(hash_settings: Settings) -> None:
    import random

    build_index(hash_settings, embedder=CountingEmbedder())
    rng = random.Random(7)
    outcomes = []
    for _ in range(5):
        proc = _start_build(_PACED_BUILD, hash_settings)
        try:
            assert proc.stdout is not None and "START" in proc.stdout.readline()
            time.sleep(rng.uniform(0.0, 2.0))  # anywhere from loading to switching over
        finally:
            _kill(proc)
        outcomes.append(proc.returncode)
        # whatever the moment, an index answers: the previous one, or the finished new one
        hits = HybridRetriever(hash_settings).search("inflammatory markers", k=3)
        assert hits and all(h.chunk.text for h in hits)
    assert build_index(hash_settings, rebuild=True, embedder=CountingEmbedder()).status == "built"
    assert len(Store(hash_settings).build_collections()) <= 2  # orphans were pruned
    assert -signal.SIGKILL in outcomes, outcomes  # at least one build died part-way
