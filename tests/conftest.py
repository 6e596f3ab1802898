"""Shared fixtures: settings pointed at temp folders, one real index per test session, and
the one way tests run the `assistant` command (``cli``)."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from assistant.cli import main
from assistant.settings import Settings, set_offline_env
from assistant.types import Chunk, Citation, Evidence

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "index" / "sources"
JATS_FIXTURES = REPO / "tests" / "fixtures" / "jats"

set_offline_env()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's ASSISTANT_* variables, config file or library."""
    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ASSISTANT_LIBRARY_DIR", str(tmp_path / "library"))
    monkeypatch.chdir(tmp_path)


def copy_sources(dest: Path) -> Path:
    shutil.copytree(SOURCES, dest, ignore=shutil.ignore_patterns("fetched", "added"))
    return dest


def make_settings(tmp: Path, **overrides: object) -> Settings:
    """Settings on a private copy of the corpus and a private index folder."""
    sources = overrides.pop("sources_dir", None) or copy_sources(tmp / "sources")
    values: dict[str, object] = {
        "root_dir": REPO,
        "sources_dir": sources,
        "index_dir": tmp / "store",
        "library_dir": tmp / "library",
        "embedding_model": "hash:256",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def hash_settings(tmp_path: Path) -> Settings:
    """Fast settings: the hashing embedder, a copy of the real corpus."""
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The real corpus indexed once with the real bundled MiniLM (shared, read-only)."""
    from assistant.index import build_index

    tmp = tmp_path_factory.mktemp("real")
    settings = make_settings(tmp, embedding_model="bundled:all-MiniLM-L6-v2")
    build_index(settings)
    return settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def private_copy(settings: Settings, dest: Path, **overrides: Any) -> Settings:
    """The same corpus and built index in a folder of our own."""
    shutil.copytree(settings.sources_path, dest / "sources")
    shutil.copytree(settings.index_path, dest / "store", ignore=shutil.ignore_patterns("*.lock"))
    closed = free_port()  # nothing listens there: fetching fails fast, like offline
    update = {
        "sources_dir": dest / "sources",
        "index_dir": dest / "store",
        "ncbi_base_url": f"http://127.0.0.1:{closed}/eutils",
        "idconv_base_url": f"http://127.0.0.1:{closed}/idconv",
        "europepmc_base_url": f"http://127.0.0.1:{closed}/europepmc",
        "http_retries": 0,
        "http_timeout": 3.0,
    }
    return settings.model_copy(update={**update, **overrides})


class RunCli:
    """Runs `assistant ARGS...` in-process, as a user would type it: ``cli("ask", "Q")``.
    ``env`` adds environment variables for that call (settings are re-read each call)."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(
        self, *args: str, env: dict[str, str] | None = None, input: str | None = None
    ) -> Result:
        return self.runner.invoke(main, [str(a) for a in args], env=env, input=input)


@pytest.fixture
def cli() -> RunCli:
    return RunCli()


def quoted(
    marker: int,
    text: str,
    reference: int | None = None,
    provenance: str = "full_text",
    kind: str = "",
) -> Citation:
    """Citation [marker] quoting all of a one-sentence passage (of the article when
    ``reference`` is None, unless ``kind`` says otherwise)."""
    kind = kind or ("article" if reference is None else "reference")
    chunk = Chunk(
        id=f"c{marker}",
        document_id=f"doc-{marker}",
        section=("s",),
        paragraph=0,
        start=0,
        end=len(text),
        text=text,
        sentences=((0, len(text)),),
        kind=kind,  # type: ignore[arg-type]
        provenance=provenance,  # type: ignore[arg-type]
        reference=reference,
    )
    return Citation(marker, Evidence(chunk=chunk, score=1.0, sentence=(0, len(text))))
