"""The same index, search and answers against a real Chroma server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from chroma_server import ChromaServer
from conftest import make_settings

from assistant.answer import AnswerEngine
from assistant.errors import StoreError
from assistant.index import build_index, index_status, load_index
from assistant.index.retrieve import HybridRetriever
from assistant.settings import Settings


@pytest.fixture
def server(tmp_path: Path):
    srv = ChromaServer(tmp_path / "chroma-data")
    srv.start()
    yield srv
    srv.stop()


def _server_settings(tmp_path: Path, srv: ChromaServer, **kw: object) -> Settings:
    return make_settings(
        tmp_path, chroma_host="127.0.0.1", chroma_port=srv.port, collection_prefix="t1", **kw
    )


def test_index_search_and_status_on_server(tmp_path: Path, server: ChromaServer) -> None:
    settings = _server_settings(tmp_path, server)
    report = build_index(settings)
    assert report.status == "built"
    # the manifest lives on the server, not in a local file
    assert not (settings.index_path / "manifest.json").exists()
    assert index_status(settings).fresh
    assert build_index(settings).status == "up_to_date"
    hits = HybridRetriever(settings).search("inflammatory markers meta-analysis", k=3)
    assert hits and hits[0].chunk.kind in {"article", "reference"}
    # a second "replica" with its own settings object sees the same index
    other = _server_settings(tmp_path / "replica", server)
    assert len(load_index(other).chunks) == report.chunks_total


def test_server_going_away_and_coming_back(tmp_path: Path, server: ChromaServer) -> None:
    settings = _server_settings(tmp_path, server, embedding_model="bundled:all-MiniLM-L6-v2")
    build_index(settings)
    engine = AnswerEngine(settings)
    assert not engine.ask("Is magnesium deficiency common?").declined
    server.stop()
    with pytest.raises(StoreError, match=r"Chroma server|vector store"):
        engine.ask("Is magnesium deficiency common?")
    server.start()
    answer = engine.ask("Is magnesium deficiency common?")
    assert not answer.declined and answer.citations


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    from chroma_server import free_port

    settings = make_settings(tmp_path, chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(StoreError, match="cannot reach the Chroma server"):
        build_index(settings)


def test_audit_and_the_page_backend_work_the_same_on_the_server(
    tmp_path: Path, server: ChromaServer
) -> None:
    from assistant.audit.run import run_audit
    from assistant.web.backend import WebBackend

    embedded = make_settings(tmp_path / "embedded")
    remote = _server_settings(tmp_path / "remote", server)
    for s in (embedded, remote):
        build_index(s)
    local_audit = run_audit(embedded, use_verifier=False)
    remote_audit = run_audit(remote, use_verifier=False)
    assert [(v.span, v.verdict) for v in remote_audit.verdicts] == [
        (v.span, v.verdict) for v in local_audit.verdicts
    ]
    backend = WebBackend(remote)
    assert backend.status().fresh and backend.status().built
    answer = backend.engine().ask("What is the recommended dietary allowance for women?")
    assert not answer.declined and answer.citations
    rows = [p for p in backend.rebuild(full=False, tick=0.05)]
    assert rows and rows[-1].finished


def test_two_library_articles_share_one_server_untouched(
    tmp_path: Path, server: ChromaServer
) -> None:
    """Each article keeps its own collections and manifest on the server: building (and
    pruning after) one never removes the other's, and each searches only its own text."""
    from conftest import REPO

    from assistant.sources import new_article

    bundled = _server_settings(tmp_path, server)
    build_index(bundled)
    moths = REPO / "tests" / "fixtures" / "articles" / "moths.html"
    made = new_article(bundled, str(moths), article_id="moths", offline=True)
    assert made.settings.collection_namespace == "t1-moths"
    build_index(made.settings)
    build_index(bundled, rebuild=True)  # prunes its own old collections, not the article's
    build_index(made.settings, rebuild=True)
    assert index_status(bundled).fresh and index_status(made.settings).fresh
    moth_hits = HybridRetriever(made.settings).search("street lamps moth visits", k=3)
    assert moth_hits and all("moth" in h.chunk.text.lower() for h in moth_hits[:1])
    bundled_docs = {c.document_id for c in load_index(bundled).chunks}
    moths_text = " ".join(c.text for c in load_index(made.settings).chunks)
    assert "ref-1" in bundled_docs and "magnesium" not in moths_text.lower()


@pytest.mark.slow
def test_two_page_replicas_share_one_server_under_load(
    tmp_path: Path, server: ChromaServer
) -> None:
    """Two pages, each with its own local folder, on one Chroma server: every concurrent
    session is answered, and the second replica made its own lexical index from the server."""
    from conftest import free_port

    from assistant.bench.load import run_level
    from assistant.web import start

    builder = _server_settings(tmp_path / "builder", server, relevance_threshold=0.1)
    build = build_index(builder).collection
    apps, urls = [], []
    for name in ("one", "two"):
        replica = _server_settings(tmp_path / name, server, relevance_threshold=0.1)
        port = free_port()
        apps.append(start(replica, "127.0.0.1", port, block=False, quiet=True))
        urls.append(f"http://127.0.0.1:{port}/")
    try:
        row = run_level(urls, 4, 2, ["Is magnesium deficiency common?"], time_limit=240)
    finally:
        for app in apps:
            app.close()
    assert row["ok"] == 8 and row["errors"] == 0 and row["not_run"] == 0
    for name in ("one", "two"):  # each replica keeps the build's lexical index locally
        assert (tmp_path / name / "store" / "lexical" / build / "rows.json").is_file()
