"""`assistant add PATH`: take a user's own document (text, Markdown, JATS XML, HTML, PDF).

So the product is not tied to one article: any document becomes a Document with the same
blocks and exact spans as the built-in ones, stored as ``<sources>/added/<id>.json`` (which
the corpus loader reads) with the original kept under ``added/originals/``. Input is
checked first — size, type, binary content, symlinks leading elsewhere — because the web
page passes uploads through here too.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from assistant.errors import DocumentExistsError, InputError, SourceError
from assistant.files import atomic_write
from assistant.settings import Settings
from assistant.sources.article import parse_article
from assistant.sources.html import read_html
from assistant.sources.intake import decode_text, pdf_text
from assistant.sources.jats import parse_jats
from assistant.sources.markdown import markdown_blocks
from assistant.sources.references import load_references
from assistant.types import Block, Document

FORMATS = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".xml": "jats",
    ".nxml": "jats",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
SUPPLIED_DIR = "supplied"
SUPPLIED_NOTE = "full text you supplied"


def slug(name: str) -> str:
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return text[:60].strip("-") or "document"


def _plain_blocks(text: str) -> list[Block]:
    """Paragraphs (split at blank lines) as spans of the text itself, so quotes from a plain
    text file are verbatim substrings of it."""
    blocks, start = [], 0
    for gap in [*re.finditer(r"\n[ \t]*\n\s*", text), None]:
        end = gap.start() if gap else len(text)
        piece = text[start:end]
        if piece.strip():
            lead = start + len(piece) - len(piece.lstrip())
            blocks.append(Block("paragraph", lead, start + len(piece.rstrip())))
        start = gap.end() if gap else end
    return blocks


# --- checks and the entry point -----------------------------------------------------------
def read_upload(settings: Settings, path: Path) -> tuple[str, bytes]:
    """The file's text and bytes, or an InputError saying why it cannot be taken."""
    path = Path(path).expanduser()
    if path.is_symlink():
        target = path.resolve()
        home = path.parent.resolve()
        if not target.is_relative_to(home):
            raise InputError(
                f"{path} is a symbolic link to {target}, outside its folder {home}. "
                "Copy the document itself there instead."
            )
    if not path.exists():
        raise InputError(f"{path}: no such file. Check the path.")
    if path.is_dir():
        raise InputError(f"{path} is a folder. Give one document file.")
    if not path.is_file():
        raise InputError(f"{path} is not a regular file. Give a text, Markdown, XML or HTML file.")
    size = path.stat().st_size
    if size > settings.max_upload_bytes:
        raise InputError(
            f"{path} is {size:,} bytes, over the {settings.max_upload_bytes:,}-byte limit "
            "(setting max_upload_bytes). Split the document or raise the limit."
        )
    data = path.read_bytes()[: settings.max_upload_bytes + 1]
    if path.suffix.lower() == ".pdf":  # its text layer, read once here
        return pdf_text(data, path.name)[0], data
    text = decode_text(data, str(path))
    if not text.strip():
        raise InputError(f"{path} is empty. Give a document with some text.")
    return text, data


def _parse(fmt: str, text: str, data: bytes, doc_id: str, kind: str, name: str) -> Document:
    if fmt == "jats":
        try:
            doc = parse_jats(data, doc_id=doc_id)
        except SourceError as exc:
            raise InputError(f"{name}: {exc}") from exc
        doc.kind = kind  # type: ignore[assignment]
        return doc
    if fmt in ("text", "pdf") and kind == "article":
        return parse_article(text, doc_id, None, source_name=name)
    if fmt == "markdown":  # read in place: quotes stay verbatim substrings of the file
        blocks, title = markdown_blocks(text)
        return Document(doc_id, kind, title, text, blocks)  # type: ignore[arg-type]
    if fmt != "html":  # plain text (a PDF's text layer too), read in place like Markdown
        return Document(doc_id, kind, "", text, _plain_blocks(text))  # type: ignore[arg-type]
    builder, title = read_html(text)
    first_heading = next((b for b in builder.blocks if b.kind == "heading"), None)
    if not title and first_heading is not None:
        title = builder.text[first_heading.start : first_heading.end]
    meta = {"source_spans": builder.sources}  # each block's span in the file it came from
    return Document(doc_id, kind, title, builder.text, builder.blocks, meta=meta)  # type: ignore[arg-type]


def _target(settings: Settings, doc_id: str, ref: int | None) -> Path:
    """Where the parsed document is stored: ``supplied/<N>.json`` for the text of reference
    N (corpus.py reads it as that reference), else ``added/<id>.json``."""
    if ref is not None:
        return settings.sources_path / SUPPLIED_DIR / f"{ref}.json"
    return settings.sources_path / "added" / f"{doc_id}.json"


def _check_reference(settings: Settings, ref: int) -> None:
    refs_file = settings.sources_path / "references.toml"
    numbers = {r.number for r in load_references(refs_file)[1]} if refs_file.is_file() else set()
    if ref not in numbers:
        listed = ", ".join(map(str, sorted(numbers))) or "none"
        raise InputError(
            f"--ref {ref}: {refs_file} has no reference {ref} (it lists: {listed}). Add a "
            "[[reference]] entry for it first, or leave out --ref."
        )


def add_document(
    settings: Settings,
    path: Path,
    *,
    kind: Literal["article", "reference"] = "reference",
    title: str | None = None,
    ref: int | None = None,
    replace: bool = False,
) -> Document:
    """Parse a user's document, store it and return it: under ``<sources>/added/``, or, with
    ``ref``, as the text of that reference of references.toml ("full text you supplied").
    A document already stored under the same name is replaced only when ``replace``."""
    path = Path(path)
    if kind not in ("article", "reference"):
        raise InputError(f"kind must be 'article' or 'reference', not {kind!r}.")
    if ref is not None and kind != "reference":
        raise InputError(
            "--ref makes a document a reference's text: it cannot go with --as article."
        )
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None and not path.is_dir():
        raise InputError(
            f"{path.name}: unsupported file type {path.suffix or '(none)'!r}. "
            f"Give one of: {', '.join(sorted(FORMATS))}."
        )
    text, data = read_upload(settings, path)
    assert fmt is not None
    if ref is not None:
        _check_reference(settings, ref)
    doc_id = f"ref-{ref}" if ref is not None else f"added-{slug(path.stem)}"
    target = _target(settings, doc_id, ref)
    if target.exists() and not replace:
        was = json.loads(target.read_text(encoding="utf-8")).get("meta", {}).get("added_from")
        raise DocumentExistsError(
            f"{path.name}: {'reference ' + str(ref) if ref is not None else doc_id} already has "
            f"a document ({was or target.name}). Pass --replace to replace it."
        )
    doc = _parse(fmt, text, data, doc_id, kind, path.name)
    if not doc.body_blocks():
        raise InputError(f"{path.name}: no readable text found in it. Check the file's format.")
    doc.title = title or doc.title or path.stem
    doc.citation = doc.citation or doc.title
    if fmt != "jats":  # a JATS file without a body stays metadata only
        doc.provenance = "full_text"
    doc.reference = ref
    doc.meta.update(
        {
            "added_from": path.name,
            "format": fmt,
            "sha256": hashlib.sha256(data).hexdigest(),
            "added_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        | ({"supplied": SUPPLIED_NOTE} if ref is not None else {})
    )
    atomic_write(target.parent / "originals" / f"{target.stem}{path.suffix.lower()}", data)
    atomic_write(target, json.dumps(doc.to_dict(), ensure_ascii=False).encode())
    return doc


def document_files(paths: list[Path]) -> list[Path]:
    """The files to add: each file given, and every file of a supported type in each folder
    given (its subfolders too, in name order; ``originals`` folders are skipped)."""
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            out += sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in FORMATS and "originals" not in p.parts
            )
        else:
            out.append(path)
    return out


def add_documents(
    settings: Settings,
    paths: list[Path],
    **options: object,
) -> tuple[list[Document], list[str]]:
    """Add every file of ``paths`` (see ``document_files``); a file that cannot be added is
    reported (one line each) and the others are still added. ``options`` as add_document."""
    files = document_files(paths)
    if not files:
        raise InputError(f"no documents to add in {', '.join(map(str, paths))}.")
    if options.get("ref") is not None and len(files) > 1:
        raise InputError(f"--ref takes one document; {len(files)} were given.")
    added, errors = [], []
    for path in files:
        try:
            added.append(add_document(settings, path, **options))  # type: ignore[arg-type]
        except InputError as exc:
            errors.append(str(exc))
    return added, errors
