"""JATS parsing on fixtures in the real PMC shape (invented content, not the papers' text)."""

from __future__ import annotations

import pytest
from conftest import JATS_FIXTURES

from assistant.errors import SourceError
from assistant.sources.jats import is_open_access_body, parse_jats
from assistant.types import Document


def load(name: str) -> bytes:
    return (JATS_FIXTURES / name).read_bytes()


@pytest.fixture(scope="module")
def doc() -> Document:
    return parse_jats(load("open_access.xml"), doc_id="ref-7", reference=7)


def block_texts(doc: Document, kind: str) -> list[tuple[tuple[str, ...], str]]:
    return [(b.section, doc.text[b.start : b.end]) for b in doc.blocks if b.kind == kind]


def test_blocks_are_exact_spans_joined_by_blank_lines(doc: Document) -> None:
    assert doc.provenance == "full_text"
    pieces = [doc.text[b.start : b.end] for b in doc.blocks]
    assert "\n\n".join(pieces) == doc.text
    for b in doc.blocks:
        assert doc.text[b.start : b.end] == doc.text[b.start : b.end].strip() != ""


def test_nested_sections_keep_their_title_path(doc: Document) -> None:
    paragraphs = block_texts(doc, "paragraph")
    assert (
        ("Methods", "Statistical analysis", "Mixed models"),
        "Visit counts were modelled with plot as a random effect, following Smith and Jones "
        "(2018).",
    ) in paragraphs
    headings = block_texts(doc, "heading")
    assert (("Methods", "Statistical analysis"), "Mixed models") in headings
    items = [t for _, t in block_texts(doc, "list_item")]
    assert items == ["Fixed effect: lighting.", "Random effect: plot pair."]


def test_abstract_is_structured_and_whitespace_collapsed(doc: Document) -> None:
    paragraphs = block_texts(doc, "paragraph")
    assert paragraphs[0] == (
        ("Abstract", "Background"),
        "Artificial light at night may change how moths feed on flowers.",
    )
    assert (
        ("Abstract", "Results"),
        "Lit plots received 40% fewer moth visits than dark plots.",
    ) in (paragraphs)
    assert "Graphical abstract" not in doc.text  # only the main abstract


def test_figure_and_table_captions_and_rows(doc: Document) -> None:
    captions = block_texts(doc, "caption")
    assert (
        ("Methods", "Study sites", "Figure 1"),
        "Map of the plots. Lit plots are shown in yellow.",
    ) in (captions)
    assert (("Results", "Table 1"), "Moth visits per plot and night.") in captions
    assert block_texts(doc, "table") == [
        (("Results", "Table 1"), "Treatment | Visits\nDark | 25\nLit | 15")
    ]
    # the table sat inside a paragraph: the paragraph keeps the text around it, table excluded
    assert (
        ("Results",),
        "Moth visits fell under lamps (Table 1). The drop was 40% on average.",
    ) in (block_texts(doc, "paragraph"))


def test_bibliographic_meta(doc: Document) -> None:
    m = doc.meta
    assert m["title"] == doc.title
    assert m["authors"] == ["Maja Lindqvist", "Chidi E. Okafor"]  # the editor is not an author
    assert m["journal"] == "Urban Ecology Letters"
    assert m["year"] == 2021  # the issue (collection) year, not the earlier e-pub year
    assert {d["date"] for d in m["dates"]} == {"2020-12-14", "2021-01"}
    assert (m["volume"], m["issue"], m["pages"]) == ("7", "2", "e0042")
    assert (m["doi"], m["pmid"], m["pmcid"]) == ("10.9999/uel.2021.0042", "90000001", "PMC1000001")
    assert m["article_type"] == "research-article"
    assert "Research Article" in m["subjects"]
    assert m["keywords"] == ["light pollution", "moths", "pollination"]
    assert m["licence"]["url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "Creative Commons Attribution License" in m["licence"]["text"]
    assert doc.licence and "creativecommons.org/licenses/by/4.0" in doc.licence
    assert doc.url == "https://pmc.ncbi.nlm.nih.gov/articles/PMC1000001/"
    assert doc.reference == 7 and doc.kind == "reference" and doc.id == "ref-7"
    assert "Urban Ecology Letters 7(2):e0042" in doc.citation


def test_in_text_citations_link_to_the_reference_list(doc: Document) -> None:
    cites = doc.meta["in_text_citations"]
    assert [c["text"] for c in cites] == ["[1]", "[2,3]", "(2018)"]
    for c in cites:
        assert doc.text[c["start"] : c["end"]] == c["text"]
    first, pair, last = cites
    assert first["refs"][0]["title"] == "Moths as pollinators"
    assert first["refs"][0]["authors"] == ["A. Night", "B. Owl"]
    assert pair["rids"] == ["B2", "B3"]
    assert pair["refs"][0] == {  # a mixed-citation
        "label": "2.",
        "title": "Lamps and insects",
        "source": "Light Review",
        "year": "2017",
        "authors": ["C. Lamp"],
    }
    assert last["refs"][0]["source"] == "Methods in Invented Ecology"
    # figure and table cross-references are not bibliography citations
    assert not any(c["text"] in ("Figure 1", "Table 1") for c in cites)


def test_metadata_only_reply_keeps_the_abstract() -> None:
    doc = parse_jats(load("metadata_only.xml"), doc_id="ref-2", reference=2, url="https://x/")
    assert doc.provenance == "metadata_only"
    assert [t for _, t in block_texts(doc, "paragraph")] == [
        "We pooled 17 randomized field trials of sea spray exposure. Yield fell by a small amount."
    ]
    assert doc.meta["pmcid"] == "PMC1000002"  # from pub-id-type="pmc" digits
    assert doc.meta["authors"][-1] == "Coastal Plots Consortium"
    assert doc.meta["pages"] == "101-118"
    assert doc.url == "https://x/"
    assert not is_open_access_body(load("metadata_only.xml"))
    assert is_open_access_body(load("open_access.xml"))


@pytest.mark.parametrize("name", ["malformed.xml", "efetch_error.xml"])
def test_malformed_or_error_reply_is_a_source_error(name: str) -> None:
    with pytest.raises(SourceError):
        parse_jats(load(name), doc_id="x")
    assert not is_open_access_body(load(name))


def test_entity_expansion_is_refused() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE article [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><article><body><p>&b;</p></body></article>'
    )
    with pytest.raises(SourceError):
        parse_jats(bomb, doc_id="x")


def test_namespaced_article_without_wrapper() -> None:
    xml = (
        '<article xmlns="http://jats.nlm.nih.gov/ns" article-type="case-report"><front>'
        "<article-meta><title-group><article-title>A case</article-title></title-group>"
        "</article-meta></front><body><p>One  patient\n was seen.</p></body></article>"
    )
    doc = parse_jats(xml, doc_id="x")
    assert doc.provenance == "full_text"
    assert doc.text == "A case\n\nOne patient was seen."
    assert doc.meta["article_type"] == "case-report"
