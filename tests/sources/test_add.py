"""`assistant add`: a user's own document in each format, and each reason to refuse one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import JATS_FIXTURES, make_settings

from assistant.errors import InputError
from assistant.settings import Settings
from assistant.sources.add import add_document
from assistant.sources.corpus import load_corpus
from assistant.types import Document


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, max_upload_bytes=20_000)


def write(folder: Path, name: str, content: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def blocks(doc: Document) -> list[tuple[str, tuple[str, ...], str]]:
    return [(b.kind, b.section, doc.text[b.start : b.end]) for b in doc.blocks]


def test_plain_text_reference_is_stored_and_loaded(settings: Settings, tmp_path: Path) -> None:
    path = write(
        tmp_path / "in", "My Field Notes.txt", "First  paragraph\nwraps here.\n\n\nSecond one.\n"
    )
    doc = add_document(settings, path, title="Field notes")
    assert doc.id == "added-my-field-notes" and doc.kind == "reference"
    assert blocks(doc) == [  # spans of the file's own text: quotes stay verbatim
        ("paragraph", (), "First  paragraph\nwraps here."),
        ("paragraph", (), "Second one."),
    ]
    assert doc.text == path.read_text()
    assert doc.title == "Field notes" and doc.provenance == "full_text"
    added = settings.sources_path / "added"
    stored = Document.from_dict(json.loads((added / f"{doc.id}.json").read_text()))
    assert stored.text == doc.text and stored.blocks == doc.blocks
    assert (added / "originals" / f"{doc.id}.txt").read_bytes() == path.read_bytes()
    assert doc.meta["format"] == "text" and len(doc.meta["sha256"]) == 64
    corpus = {d.id: d for d in load_corpus(settings)}
    assert corpus[doc.id].text == doc.text


def test_plain_text_article_uses_the_article_parser(settings: Settings, tmp_path: Path) -> None:
    text = "Sleep and Memory\n\nWhy sleep matters\n\nSleep helps memory consolidate overnight.\n"
    doc = add_document(settings, write(tmp_path, "sleep.txt", text), kind="article")
    assert doc.kind == "article"
    assert doc.title == "Sleep and Memory"
    body = [doc.text[b.start : b.end] for b in doc.body_blocks()]
    assert "Sleep helps memory consolidate overnight." in body


def test_markdown_is_read_in_place_headings_lists_and_inline_markup(
    settings: Settings, tmp_path: Path
) -> None:
    md = (
        "# Garden Guide\n\nIntro with **bold** and a [link](http://x.org).\n\n"
        "## Soil\n\n- Use *compost*\n- Water\n  deeply\n\n### Clay\n\nClay holds water.\n\n"
        "## Light\n\nSix hours of sun.\n"
    )
    doc = add_document(settings, write(tmp_path, "guide.md", md))
    assert blocks(doc) == [
        ("heading", (), "Garden Guide"),
        ("paragraph", ("Garden Guide",), "Intro with **bold** and a [link](http://x.org)."),
        ("heading", ("Garden Guide",), "Soil"),
        ("list_item", ("Garden Guide", "Soil"), "Use *compost*"),
        ("list_item", ("Garden Guide", "Soil"), "Water\n  deeply"),
        ("heading", ("Garden Guide", "Soil"), "Clay"),
        ("paragraph", ("Garden Guide", "Soil", "Clay"), "Clay holds water."),
        ("heading", ("Garden Guide",), "Light"),
        ("paragraph", ("Garden Guide", "Light"), "Six hours of sun."),
    ]
    assert doc.title == "Garden Guide" and doc.text == md  # the file's own text


def test_markdown_keeps_every_content_character(settings: Settings, tmp_path: Path) -> None:
    md = (
        "Carriers of HLA-DRB1*0101 and HLA-DRB1*0401 were typed.\n\n"
        "Tolerance was [FTC](14.6%) in the trial.\n\n"
        "1. Doses above 350 mg caused diarrhoea.\n"
    )
    doc = add_document(settings, write(tmp_path, "typed.md", md))
    texts = [doc.text[b.start : b.end] for b in doc.blocks]
    assert texts == [
        "Carriers of HLA-DRB1*0101 and HLA-DRB1*0401 were typed.",
        "Tolerance was [FTC](14.6%) in the trial.",
        "1. Doses above 350 mg caused diarrhoea.",
    ]
    assert all(t in md for t in texts)


def test_jats_xml(settings: Settings, tmp_path: Path) -> None:
    path = write(tmp_path, "paper.nxml", (JATS_FIXTURES / "open_access.xml").read_bytes())
    doc = add_document(settings, path)
    assert doc.provenance == "full_text" and doc.id == "added-paper"
    assert doc.title.startswith("Street Lighting")
    assert doc.meta["in_text_citations"]


def test_html_keeps_headings_and_text_drops_scripts_and_nav(
    settings: Settings, tmp_path: Path
) -> None:
    html = (
        "<!doctype html><html><head><title>Tea &amp; Health</title><style>p{color:red}</style>"
        "</head><body><nav><a href='/'>Home</a> <a href='/shop'>Shop</a></nav>"
        "<h1>Green tea</h1><p>Tea has <b>catechins</b>.</p><script>alert('x')</script>"
        "<h2>Brewing</h2><ul><li>Use 80&deg;C water</li><li><p>Steep 2 minutes</p></li></ul>"
        "<div>Loose text in a div</div></body></html>"
    )
    doc = add_document(settings, write(tmp_path, "tea.html", html))
    assert blocks(doc) == [
        ("heading", (), "Green tea"),
        ("paragraph", ("Green tea",), "Tea has catechins."),
        ("heading", ("Green tea",), "Brewing"),
        ("list_item", ("Green tea", "Brewing"), "Use 80°C water"),
        ("list_item", ("Green tea", "Brewing"), "Steep 2 minutes"),
        ("paragraph", ("Green tea", "Brewing"), "Loose text in a div"),
    ]
    assert doc.title == "Tea & Health"
    assert "alert" not in doc.text and "Shop" not in doc.text and "color" not in doc.text


def reject(settings: Settings, path: Path, match: str) -> None:
    with pytest.raises(InputError, match=match):
        add_document(settings, path)
    assert not list((settings.sources_path / "added").glob("*.json"))


def test_rejections(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    reject(settings, folder / "missing.txt", "no such file")
    reject(settings, write(folder, "x.docx", "text"), "unsupported file type")
    reject(settings, write(folder, "x.pdf", "text"), "not a readable PDF")
    (folder / "dir.txt").mkdir()
    reject(settings, folder / "dir.txt", "is a folder")
    reject(settings, write(folder, "big.txt", "a" * 20_001), "over the 20,000-byte limit")
    reject(settings, write(folder, "bin.txt", b"abc\x00def"), "binary")
    reject(settings, write(folder, "latin.txt", "caf\xe9".encode("latin-1")), "not UTF-8")
    reject(settings, write(folder, "empty.md", "  \n\n"), "empty")
    reject(
        settings,
        write(folder, "bad.xml", (JATS_FIXTURES / "malformed.xml").read_bytes()),
        "malformed",
    )
    reject(settings, write(folder, "blank.html", "<script>x()</script>"), "no readable text")


def test_symlinks(settings: Settings, tmp_path: Path) -> None:
    secret = write(tmp_path / "elsewhere", "secret.txt", "private")
    folder = tmp_path / "uploads"
    folder.mkdir()
    os.symlink(secret, folder / "link.txt")
    reject(settings, folder / "link.txt", "symbolic link")
    inside = write(folder, "real.txt", "Fine text.")
    os.symlink(inside, folder / "alias.txt")
    assert add_document(settings, folder / "alias.txt").text == "Fine text."


def test_ref_makes_a_document_the_text_of_that_reference(
    settings: Settings, tmp_path: Path
) -> None:
    path = write(tmp_path / "in", "trial.md", "# Results\n\nMagnesium lowered CRP in adults.\n")
    doc = add_document(settings, path, ref=1)
    assert doc.id == "ref-1" and doc.reference == 1
    assert doc.meta["supplied"] == "full text you supplied"
    corpus = {d.id: d for d in load_corpus(settings)}
    ref = corpus["ref-1"]
    assert ref.reference == 1 and ref.provenance == "full_text" and ref.kind == "reference"
    assert "Magnesium lowered CRP in adults." in ref.text
    assert not any(d.id.startswith("added-") for d in corpus.values())  # not a loose document
    with pytest.raises(InputError, match="reference 1 already has a document"):
        add_document(settings, path, ref=1)
    again = write(tmp_path / "in", "trial2.md", "# Results\n\nA second reading.\n")
    add_document(settings, again, ref=1, replace=True)
    assert "A second reading." in {d.id: d for d in load_corpus(settings)}["ref-1"].text
    with pytest.raises(InputError, match="has no reference 99"):
        add_document(settings, path, ref=99)
    with pytest.raises(InputError, match="cannot go with --as article"):
        add_document(settings, path, ref=1, kind="article")


def test_a_second_file_with_the_same_name_is_refused_unless_replaced(
    settings: Settings, tmp_path: Path
) -> None:
    add_document(settings, write(tmp_path / "a", "notes.txt", "First text."))
    second = write(tmp_path / "b", "notes.txt", "Other text.")
    with pytest.raises(InputError, match=r"already has a document \(notes.txt\).*--replace"):
        add_document(settings, second)
    assert add_document(settings, second, replace=True).text == "Other text."


def test_add_many_files_and_folders_reporting_the_bad_ones(
    settings: Settings, cli, tmp_path
) -> None:
    folder = tmp_path / "papers"
    write(folder, "one.txt", "One paper's text.")
    write(folder / "sub", "two.md", "# Two\n\nThe second paper.\n")
    write(folder, "bad.txt", b"\x00binary")
    write(folder, "skip.docx", "not taken from a folder")
    loose = write(tmp_path, "three.html", "<p>The third paper.</p>")
    env = {"ASSISTANT_SOURCES_DIR": str(settings.sources_path)}
    result = cli("add", str(folder), str(loose), env=env)
    assert result.exit_code == 2, result.output
    assert "added added-one" in result.stdout and "added added-two" in result.stdout
    assert "added added-three" in result.stdout
    assert "bad.txt looks binary" in result.stderr and "skip.docx" not in result.output
    ids = {d.id for d in load_corpus(settings)}
    assert {"added-one", "added-two", "added-three"} <= ids and "added-bad" not in ids
    ref = cli("add", str(loose), str(folder / "one.txt"), "--ref", "2", env=env)
    assert ref.exit_code != 0 and "--ref takes one document; 2 were given" in ref.output
    titled = cli("add", str(folder), "--title", "X", env=env)
    assert titled.exit_code != 0 and "--title names one document" in titled.output


def test_sources_lists_supplied_text_under_its_reference(settings: Settings, cli, tmp_path) -> None:
    paper = write(tmp_path, "paper.md", "# A mouse study\n\nMagnesium grew follicles in mice.\n")
    env = {"ASSISTANT_SOURCES_DIR": str(settings.sources_path)}
    added = cli("add", str(paper), "--ref", "1", env=env)
    assert added.exit_code == 0 and "added ref-1 (reference 1" in added.stdout
    listing = cli("sources", env=env)
    assert listing.exit_code == 0, listing.output
    entry = listing.stdout.split("Reference 1:")[1].split("Reference 2:")[0]
    assert "provenance: full text you supplied" in entry
    loose = write(tmp_path, "loose.txt", "A paper that is no numbered reference.")
    assert cli("add", str(loose), env=env).exit_code == 0
    listing = cli("sources", env=env).stdout
    assert "Added document (added-loose): loose" in listing and "Reference None" not in listing


def test_a_folder_of_references_alone_indexes_and_lists_aligned(tmp_path: Path, cli) -> None:
    sources = tmp_path / "library"
    env = {"ASSISTANT_SOURCES_DIR": str(sources), "ASSISTANT_INDEX_DIR": str(tmp_path / "store")}
    papers = tmp_path / "papers"
    write(papers, "a-rather-long-file-name-for-a-paper.txt", "Zinc lowered CRP in adults.")
    write(papers, "b.md", "# B\n\nVitamin D did not change outcomes.\n")
    assert cli("add", str(papers), env=env).exit_code == 0
    built = cli("index", env=env)
    assert built.exit_code == 0, built.output
    assert "claim audit: skipped" in built.stderr and "no article" in built.stderr
    status = cli("index", "--status", env=env)
    assert status.exit_code == 0, status.output
    lines = status.stdout.splitlines()
    assert "decline threshold" in lines[-1]  # the calibration, under the table
    rows = [line for line in lines[1:-1] if line.strip()]
    kind_at = {
        row.index(" reference ") if "reference" in row else row.index(" kind ") for row in rows
    }
    assert len(kind_at) == 1, status.stdout  # one column for every id, however long


def _pdf(path: Path, lines: list[str]) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def test_a_pdf_is_read_by_its_text_layer_as_a_reference_text(
    settings: Settings, tmp_path: Path
) -> None:
    path = _pdf(tmp_path / "in" / "trial.pdf", ["Results", "", "Magnesium lowered CRP in adults."])
    doc = add_document(settings, path, ref=2)
    assert doc.meta["format"] == "pdf" and doc.provenance == "full_text"
    assert "Magnesium lowered CRP in adults." in doc.text
    assert (tmp_path / "sources" / "supplied" / "originals" / "2.pdf").read_bytes() == (
        path.read_bytes()
    )
    empty = _pdf(tmp_path / "in" / "scan.pdf", [])
    with pytest.raises(InputError, match="no text layer"):
        add_document(settings, empty)
