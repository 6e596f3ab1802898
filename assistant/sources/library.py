"""The library of articles: the bundled one, and each article a user brings with `assistant new`.

Every library article is one folder, ``<library>/<ID>/``, holding ``sources/`` (the article
as text, its original under ``sources/originals/``, its references.toml, and later the
fetched and supplied texts; ``article.map.json`` gives each block of the text its span in
the original file) and ``store/`` (its own index and audit). `assistant new`
writes a new article's folder under a temporary name and renames it into place only when
its text and reference file are complete, so a failure leaves the library as it was;
``--replace`` swaps in new sources the same way and keeps the index, which the next build
updates like any other change.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from assistant.errors import ConfigError, InputError
from assistant.files import atomic_write
from assistant.settings import BUNDLED, Settings
from assistant.sources.fetch import PmcClient, http_client, ncbi_limiter
from assistant.sources.intake import ArticleSource, ArticleText, article_text, read_source
from assistant.sources.references import load_references
from assistant.sources.resolve import Resolution, references_toml, resolve_references

ARTICLE_FILE = "article.txt"
MAP_FILE = "article.map.json"  # each block of article.txt -> its span of the original file
_ID_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?")


@dataclass
class LibraryEntry:
    id: str
    title: str
    settings: Settings  # the settings that work on this article
    references: int = 0
    identified: int = 0  # references with a PMCID, PMID or DOI


@dataclass
class NewArticle:
    id: str
    title: str
    settings: Settings
    source: str
    resolutions: list[Resolution] = field(default_factory=list)
    linked: int = 0
    offline: str = ""
    blocks: int = 0  # blocks of the article's text
    mapped: int = 0  # of them, found in the original file (article.map.json)


def _library_article(settings: Settings, article_id: str) -> Settings:
    """Settings on a library article: its own folders (sources_dir and index_dir, when set,
    name the bundled article's)."""
    return settings.model_copy(
        update={"article": article_id, "sources_dir": None, "index_dir": None}
    )


def default_article(settings: Settings) -> str:
    """The article a command works on when none is named: the library's most recently added
    (or replaced) one, else the bundled one. Folders set by hand (sources_dir) name theirs."""
    library = settings.library_path
    if settings.sources_dir is not None or not library.is_dir():
        return BUNDLED
    made = [
        (p.stat().st_mtime, p.parent.name)
        for p in library.glob("*/sources")
        if p.is_dir() and _ID_RE.fullmatch(p.parent.name)
    ]
    return max(made)[1] if made else BUNDLED


def for_article(settings: Settings, article_id: str | None) -> Settings:
    """The settings for one article of the library ('bundled': the bundled one; None: the
    default one, see ``default_article``)."""
    if article_id is None:
        article_id = default_article(settings)
    if article_id in ("", BUNDLED):
        return settings.model_copy(update={"article": None})
    if not _ID_RE.fullmatch(article_id):
        raise ConfigError(
            f"article id {article_id!r}: use lowercase letters, digits and hyphens "
            "(`assistant articles` lists the ids)."
        )
    chosen = _library_article(settings, article_id)
    if not (chosen.library_path / article_id).is_dir():
        known = ", ".join(e.id for e in list_articles(settings))
        raise ConfigError(f"no article {article_id!r} in the library (it has: {known}).")
    return chosen


def _entry(article_id: str, settings: Settings) -> LibraryEntry:
    refs_file = settings.sources_path / "references.toml"
    article, records = load_references(refs_file) if refs_file.is_file() else ({}, [])
    title = str(article.get("title") or article_id)
    identified = sum(1 for r in records if r.pmcid or r.pmid or r.doi)
    return LibraryEntry(article_id, title, settings, len(records), identified)


def list_articles(settings: Settings) -> list[LibraryEntry]:
    """The bundled article first, then the library's articles by id."""
    base = settings.model_copy(update={"article": None})
    entries = [_entry(BUNDLED, base)] if base.sources_path.is_dir() else []
    library = settings.library_path
    if library.is_dir():
        for folder in sorted(p for p in library.iterdir() if p.is_dir()):
            if _ID_RE.fullmatch(folder.name):
                entries.append(_entry(folder.name, _library_article(settings, folder.name)))
    return entries


def article_id_for(title: str, source: str) -> str:
    text = re.sub(r"[^a-z0-9]+", "-", (title or Path(source).stem).lower()).strip("-")
    return text[:60].strip("-") or "article"


def _write_sources(
    library: Path,
    article_id: str,
    src: ArticleSource,
    text: ArticleText,
    resolutions: list[Resolution],
    origin: str,
) -> None:
    """The article's sources/ folder, written under a temporary name and then moved into
    place (replacing the sources of an article of that id, not its index)."""
    library.mkdir(parents=True, exist_ok=True)
    target = library / article_id
    staging = Path(tempfile.mkdtemp(prefix=f".{article_id}.", dir=library))
    try:
        sources = staging / "sources"
        atomic_write(sources / ARTICLE_FILE, text.text.encode("utf-8"))
        atomic_write(sources / "originals" / src.name, src.data)
        where = {"text": ARTICLE_FILE, "original": f"originals/{src.name}"}
        atomic_write(
            sources / MAP_FILE,
            json.dumps({**where, "blocks": text.source_map}, indent=1).encode("utf-8"),
        )
        described = {"file": ARTICLE_FILE, "title": text.title, "url": src.url}
        described |= {"source": origin, "original": where["original"], "format": src.fmt}
        atomic_write(
            sources / "references.toml", references_toml(described, resolutions).encode("utf-8")
        )
        load_references(sources / "references.toml")  # what we wrote must read back
        if not target.exists():
            staging.rename(target)
        else:  # new sources, the index kept: the next build updates it like any change
            (target / "sources").rename(staging / "old-sources")
            sources.rename(target / "sources")
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def new_article(
    settings: Settings,
    source: str,
    *,
    article_id: str | None = None,
    replace: bool = False,
    offline: bool = False,
    client: httpx.Client | None = None,
    progress: Callable[[Resolution], None] | None = None,
) -> NewArticle:
    """Read ``source`` (a file or URL), resolve its references and add it to the library."""
    src = read_source(source, settings, client)
    text = article_text(src)
    article_id = article_id or article_id_for(text.title, src.name)
    if not _ID_RE.fullmatch(article_id) or article_id == BUNDLED:
        raise InputError(
            f"--id {article_id!r}: use lowercase letters, digits and hyphens, and not {BUNDLED!r}."
        )
    target = settings.library_path / article_id
    if target.exists() and not replace:
        raise InputError(
            f"the library already has an article {article_id!r} ({target}). Pass --id with "
            "another id, or --replace to build it again from this source."
        )
    doc = text.document
    http = None if offline else client or http_client(settings)
    try:
        pmc = None if http is None else PmcClient(settings, http, ncbi_limiter(settings))
        resolutions, why = resolve_references(
            doc.references, pmc, settings.europepmc_base_url, progress
        )
    finally:
        if http is not None and client is None:
            http.close()
    origin = src.url or str(Path(source).expanduser().resolve())
    _write_sources(settings.library_path, article_id, src, text, resolutions, origin)
    chosen = _library_article(settings, article_id)
    return NewArticle(
        article_id,
        text.title,
        chosen,
        src.url or source,
        resolutions,
        text.linked,
        why,
        len(doc.blocks),
        len(text.source_map),
    )
