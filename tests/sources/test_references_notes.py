"""references.toml, curated notes, and how the corpus picks each reference's best form."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import SOURCES

from assistant.errors import SourceError
from assistant.settings import Settings
from assistant.sources.corpus import corpus_files, load_corpus
from assistant.sources.notes import parse_notes
from assistant.sources.references import (
    format_citation,
    load_references,
    metadata_document,
)
from assistant.types import Block, Document, ReferenceRecord


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    """A private copy of the real corpus, without any fetched or added documents."""
    dest = tmp_path / "sources"
    shutil.copytree(SOURCES, dest, ignore=shutil.ignore_patterns("fetched", "added"))
    return dest


def settings_for(sources: Path) -> Settings:
    return Settings(sources_dir=sources, index_dir=sources.parent / "store")


def write_toml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "references.toml"
    path.write_text(body, encoding="utf-8")
    return path


# --- references.toml -------------------------------------------------------------------------


def test_load_real_references() -> None:
    article, records = load_references(SOURCES / "references.toml")
    assert article["file"].endswith(".txt")
    assert [r.number for r in records] == [1, 2, 3, 4]
    assert records[0].status == "unresolved" and records[0].title is None
    assert records[1].authors[0] == "Nicola Veronese" and records[1].year == 2022
    assert records[1].notes == "notes/pmc8838086.md"


def test_format_citation() -> None:
    _, records = load_references(SOURCES / "references.toml")
    citation = format_citation(records[1])
    assert citation.startswith("Veronese N, et al. (2022). Effect of Magnesium Supplementation")
    assert "Nutrients 14(3):679." in citation and citation.endswith("doi:10.3390/nu14030679")
    assert format_citation(records[0]) == records[0].cited_as  # unresolved: as the article says
    two = ReferenceRecord(1, "x", title="T?", authors=["Ann Lee", "Bo Kim"], journal="J")
    assert format_citation(two) == "Lee A, Kim B. T? J."


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[[reference]]\nnumber = 1\ncited_as = "unterminated\n', "not valid TOML"),
        ('[[reference]]\ncited_as = "A paper."\n', "'number' is missing"),
        ('[[reference]]\nnumber = "two"\ncited_as = "A."\n', "'number' is missing"),
        ("[[reference]]\nnumber = 3\n", "number 3: 'cited_as' is missing"),
        (
            '[[reference]]\nnumber = 2\ncited_as = "A."\n[[reference]]\nnumber = 2\n'
            'cited_as = "B."\n',
            "number 2: the number is used twice",
        ),
        ('[[reference]]\nnumber = 1\ncited_as = "A."\nyear = "soon"\n', "'year' is not"),
    ],
)
def test_bad_references_toml(tmp_path: Path, body: str, expected: str) -> None:
    path = write_toml(tmp_path, body)
    with pytest.raises(SourceError) as err:
        load_references(path)
    message = str(err.value)
    assert expected in message and str(path) in message


def test_metadata_document_spans_and_facts() -> None:
    _, records = load_references(SOURCES / "references.toml")
    for rec in records:
        doc = metadata_document(rec)
        assert doc.id == f"ref-{rec.number}" and doc.reference == rec.number
        assert doc.provenance == "metadata_only" and doc.notice
        assert all(
            b.kind == "paragraph" and b.section == ("Bibliographic record",) for b in doc.blocks
        )
        lines = [doc.text[b.start : b.end] for b in doc.blocks]
        assert lines == doc.text.split("\n")
        assert doc.meta["cited_as"] == rec.cited_as
    unresolved = metadata_document(records[0])
    assert any(line.startswith("Status: unresolved") for line in unresolved.text.splitlines())
    verified = metadata_document(records[1])
    assert "Study type: systematic review" in verified.text and "Status" not in verified.text
    assert verified.meta["journal"] == "Nutrients" and verified.title == records[1].title


# --- notes -----------------------------------------------------------------------------------


def test_parse_real_notes() -> None:
    _, records = load_references(SOURCES / "references.toml")
    rec = records[1]
    text = (SOURCES / rec.notes).read_text(encoding="utf-8")
    doc = parse_notes(text, rec)
    assert doc.id == "ref-2" and doc.reference == 2 and doc.provenance == "curated_notes"
    assert doc.title == rec.title and doc.text == text
    assert "Not the authors' text" in doc.notice
    assert doc.blocks[0].kind == "front_matter" and doc.blocks[0].start == 0
    assert text[doc.blocks[0].start : doc.blocks[0].end].endswith("---")
    for b in doc.blocks:
        piece = text[b.start : b.end]
        assert piece == piece.strip() and not piece.startswith(("#", "- "))
    sections = {b.section for b in doc.body_blocks()}
    assert ("Study design",) in sections and ("Pooled results",) in sections
    headings = [text[b.start : b.end] for b in doc.blocks if b.kind == "heading"]
    assert "Study design" in headings
    assert doc.meta["pmcid"] == "PMC8838086"


def test_notes_list_items_and_title_without_record() -> None:
    text = (SOURCES / "notes" / "pmc6380979.md").read_text(encoding="utf-8")
    doc = parse_notes(text)
    assert doc.title.startswith("Almohanna et al. 2019")
    items = [b for b in doc.blocks if b.kind == "list_item"]
    assert len(items) >= 5
    assert all(b.section == ("Findings by nutrient",) for b in items)
    assert text[items[0].start : items[0].end].startswith("Iron:")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Title\n\nNo front matter.\n", "first line is not '---'"),
        ("---\nreference: 2\nprovenance: ours\n\n# Title\n", "no closing '---'"),
        ("---\npmcid: PMC1\n---\n# Title\n", "no 'reference' number"),
        ("---\nreference: two\n---\n# Title\n", "reference 'two'"),
        ("---\nreference 2\n---\n", "is not 'key: value'"),
    ],
)
def test_malformed_front_matter(text: str, expected: str) -> None:
    with pytest.raises(SourceError) as err:
        parse_notes(text, name="notes/bad.md")
    assert expected in str(err.value) and "notes/bad.md" in str(err.value)


def test_notes_number_must_match_record() -> None:
    rec = ReferenceRecord(number=5, cited_as="X.")
    with pytest.raises(SourceError, match=r"reference 2 .* reference 5"):
        parse_notes("---\nreference: 2\n---\n# T\n\nText.\n", rec)


# --- the corpus ------------------------------------------------------------------------------


def test_load_corpus_real(sources: Path) -> None:
    docs = load_corpus(settings_for(sources))
    assert [d.id for d in docs] == ["article", "ref-1", "ref-2", "ref-3", "ref-4"]
    assert [d.provenance for d in docs] == [
        "full_text",
        "metadata_only",
        "curated_notes",
        "curated_notes",
        "curated_notes",
    ]
    for doc in docs[2:]:
        assert doc.meta["status"] == "verified" and doc.meta["doi"]
        assert doc.url and doc.url.endswith(f"{doc.meta['pmcid']}/")
        assert doc.citation.startswith(doc.meta["authors"][0].split()[-1])
    assert docs[1].meta["status"] == "unresolved"
    files = corpus_files(settings_for(sources))
    assert sources / "references.toml" in files and sources / "notes/pmc8838086.md" in files
    assert any(p.suffix == ".txt" for p in files)


def test_fetched_full_text_wins(sources: Path) -> None:
    text = "Magnesium lowered CRP in pooled trials."
    fetched = Document(
        id="PMC8838086",
        kind="reference",
        title="Fetched title",
        text=text,
        blocks=[Block("paragraph", 0, len(text), ("Results",))],
        provenance="full_text",
    )
    (sources / "fetched").mkdir()
    path = sources / "fetched" / "PMC8838086.json"
    path.write_text(json.dumps(fetched.to_dict()), encoding="utf-8")
    docs = {d.id: d for d in load_corpus(settings_for(sources))}
    ref2 = docs["ref-2"]
    assert ref2.provenance == "full_text" and ref2.text == text and ref2.reference == 2
    assert ref2.meta["journal"] == "Nutrients" and ref2.citation.startswith("Veronese N")
    assert docs["ref-3"].provenance == "curated_notes"
    files = corpus_files(settings_for(sources))
    assert path in files and sources / "notes/pmc8838086.md" not in files
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SourceError, match="assistant fetch --ref 2"):
        load_corpus(settings_for(sources))


def test_added_documents_come_last(sources: Path) -> None:
    added = Document(id="added-note", kind="reference", title="A", text="Hi.", blocks=[])
    (sources / "added").mkdir()
    (sources / "added" / "a.json").write_text(json.dumps(added.to_dict()), encoding="utf-8")
    docs = load_corpus(settings_for(sources))
    assert docs[-1].id == "added-note" and len(docs) == 6


def test_missing_notes_file_is_reported(sources: Path) -> None:
    (sources / "notes" / "pmc6380979.md").unlink()
    with pytest.raises(SourceError, match="reference 3 names notes"):
        load_corpus(settings_for(sources))


def test_without_references_toml_every_txt_is_an_article(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "one.txt").write_text("First Title\n\nSome text here.\n", encoding="utf-8")
    (folder / "two.txt").write_text("Second Title\n\nMore text.\n", encoding="utf-8")
    docs = load_corpus(settings_for(folder))
    assert [d.id for d in docs] == ["article-one", "article-two"]
    assert [d.title for d in docs] == ["First Title", "Second Title"]
