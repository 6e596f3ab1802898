"""The corpus: the article, each of its references in the best form we have, added documents.

For each reference the best available form wins: the text a user supplied for it
(``supplied/<N>.json``, from `assistant add FILE --ref N`), else full text fetched from PubMed
Central (``fetched/<PMCID>.json``), else curated notes (``notes/...md``), else a metadata-only
record built from references.toml. Whatever the form, the document carries the reference's
bibliographic facts, so answers can always say which paper a passage comes from.
"""

from __future__ import annotations

import json
from pathlib import Path

from assistant.errors import SourceError
from assistant.settings import Settings
from assistant.sources.article import parse_article
from assistant.sources.notes import parse_notes
from assistant.sources.references import (
    ReferenceRecord,
    format_citation,
    load_references,
    metadata_document,
)
from assistant.types import Document

__all__ = ["corpus_files", "load_corpus", "load_references", "parse_article", "parse_notes"]

REFERENCES_FILE = "references.toml"
FETCHED_DIR = "fetched"
ADDED_DIR = "added"
SUPPLIED_DIR = "supplied"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(
            f"{path}: cannot be read ({exc}). Check the file exists and is UTF-8 text."
        ) from exc


def _load_json_document(path: Path, remedy: str) -> Document:
    try:
        return Document.from_dict(json.loads(_read(path)))
    except (ValueError, TypeError, KeyError) as exc:
        raise SourceError(f"{path}: not a valid parsed document ({exc}). {remedy}") from exc


def _article_files(sources: Path, article: dict) -> list[Path]:
    name = article.get("file")
    if name:
        path = sources / str(name)
        if not path.is_file():
            raise SourceError(
                f"{sources / REFERENCES_FILE}: [article] file {name!r} does not exist in "
                f"{sources}. Put the article there or correct the file name."
            )
        return [path]
    return sorted(sources.glob("*.txt"))


def _article_documents(sources: Path, article: dict) -> list[Document]:
    files = _article_files(sources, article)
    docs = []
    for path in files:
        doc_id = "article" if len(files) == 1 else f"article-{path.stem}"
        doc = parse_article(_read(path), doc_id, article.get("url"), source_name=path.name)
        if not doc.title and article.get("title"):
            doc.title = doc.citation = str(article["title"])
        docs.append(doc)
    return docs


def _fetched_path(sources: Path, rec: ReferenceRecord) -> Path | None:
    """The fetched full text of a reference: by its PMCID, or, when the record names none
    (fetch resolved it from a PMID or DOI), the fetched file that carries its number."""
    folder = sources / FETCHED_DIR
    if rec.pmcid and (folder / f"{rec.pmcid}.json").is_file():
        return folder / f"{rec.pmcid}.json"
    for path in sorted(folder.glob("*.json")):
        if path.name.endswith(".meta.json") or path.name == "report.json":
            continue
        try:
            number = json.loads(path.read_text(encoding="utf-8")).get("reference")
        except (OSError, ValueError):
            continue
        if number == rec.number:
            return path
    return None


def _fetched_metadata(sources: Path, rec: ReferenceRecord) -> Path | None:
    """What a fetch learned about a reference whose full text is not open: its record."""
    path = sources / FETCHED_DIR / f"{rec.pmcid}.meta.json" if rec.pmcid else None
    return path if path is not None and path.is_file() else None


def _supplied_path(sources: Path, rec: ReferenceRecord) -> Path | None:
    path = sources / SUPPLIED_DIR / f"{rec.number}.json"
    return path if path.is_file() else None


def _reference_document(sources: Path, rec: ReferenceRecord) -> Document:
    """Supplied text > fetched full text > curated notes > fetched metadata > metadata from
    references.toml, enriched with the record's facts. A fetched or supplied form replaces
    what the record said was unresolved."""
    supplied = _supplied_path(sources, rec)
    if supplied is not None:
        doc = _load_json_document(
            supplied, f"Add it again: `assistant add FILE --ref {rec.number} --replace`."
        )
        doc.id, doc.reference, doc.kind = f"ref-{rec.number}", rec.number, "reference"
        facts = {k: v for k, v in rec.bibliographic().items() if k not in ("status", "remark")}
        for key, value in facts.items():
            doc.meta.setdefault(key, value)
        doc.title = rec.title or doc.title
        doc.citation = format_citation(rec)
        doc.url = doc.url or rec.url
        return doc
    fetched = _fetched_path(sources, rec)
    meta_only = _fetched_metadata(sources, rec) if fetched is None and not rec.notes else None
    facts = rec.bibliographic()
    if fetched is not None or meta_only is not None:
        path = fetched or meta_only
        assert path is not None
        doc = _load_json_document(
            path, f"Delete it and run `assistant fetch --ref {rec.number} --force`."
        )
        doc.id = f"ref-{rec.number}"
        if doc.reference is None:
            doc.reference = rec.number
        if meta_only is not None:
            doc.provenance = "metadata_only"
        if facts.get("status") == "unresolved":  # the fetch has resolved it
            facts = {k: v for k, v in facts.items() if k not in ("status", "remark")}
    elif rec.notes:
        path = sources / rec.notes
        if not path.is_file():
            raise SourceError(
                f"{sources / REFERENCES_FILE}: reference {rec.number} names notes {rec.notes!r}, "
                f"which does not exist. Create the file or remove the 'notes' line."
            )
        doc = parse_notes(_read(path), rec, name=path)
    else:
        return metadata_document(rec)
    for key, value in facts.items():
        doc.meta.setdefault(key, value)
    doc.url = doc.url or rec.url
    doc.citation = doc.citation or format_citation(rec)
    doc.licence = doc.licence or rec.licence
    return doc


def load_corpus(settings: Settings) -> list[Document]:
    """Every document to index: article(s) first, references by number, then added ones."""
    sources = Path(settings.sources_path)
    if not sources.is_dir():
        raise SourceError(
            f"{sources}: the sources folder does not exist. Create it with the article and "
            f"{REFERENCES_FILE}, or point ASSISTANT_SOURCES_DIR at it."
        )
    refs_file = sources / REFERENCES_FILE
    article, records = load_references(refs_file) if refs_file.is_file() else ({}, [])
    docs = _article_documents(sources, article)
    docs += [_reference_document(sources, rec) for rec in records]
    for path in sorted((sources / ADDED_DIR).glob("*.json")):
        docs.append(_load_json_document(path, "Remove it, or add the document again."))
    seen: set[str] = set()
    for doc in docs:
        if doc.id in seen:
            raise SourceError(
                f"{sources}: two documents share the id {doc.id!r}. Rename or remove one."
            )
        seen.add(doc.id)
    return docs


def corpus_files(settings: Settings) -> list[Path]:
    """Every file whose change changes the corpus (for staleness checks and watch mode)."""
    sources = Path(settings.sources_path)
    refs_file = sources / REFERENCES_FILE
    files: list[Path] = []
    try:
        article, records = load_references(refs_file) if refs_file.is_file() else ({}, [])
        files += _article_files(sources, article)
    except SourceError:  # still watch everything that could feed it, so a fix is noticed
        return sorted(
            p
            for pattern in (
                "*.toml",
                "*.txt",
                "notes/*.md",
                "fetched/*.json",
                "added/*.json",
                "supplied/*.json",
            )
            for p in sources.glob(pattern)
        )
    if refs_file.is_file():
        files.append(refs_file)
    for rec in records:
        fetched = _fetched_path(sources, rec)
        meta_only = _fetched_metadata(sources, rec)
        if (supplied := _supplied_path(sources, rec)) is not None:
            files.append(supplied)
        elif fetched is not None and fetched.is_file():
            files.append(fetched)
        elif meta_only is not None and not rec.notes:
            files.append(meta_only)
        elif rec.notes and (sources / rec.notes).is_file():
            files.append(sources / rec.notes)
    files += sorted((sources / ADDED_DIR).glob("*.json"))
    return files
