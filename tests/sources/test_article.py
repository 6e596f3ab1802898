"""Article parsing: structure, boilerplate labels, the reference list, exact spans."""

from __future__ import annotations

import pytest
from conftest import SOURCES

from assistant.sources.article import parse_article
from assistant.types import BODY_KINDS, Document

ARTICLE = SOURCES / "magnesium-glycinate-hair-follicles.txt"

# A second article on another topic, formatted differently: hard-wrapped paragraphs, a heading
# directly on top of its text, '*' and '-' bullets, '1)' sub-headings, bracketed reference
# numbers with DOI and PubMed links, a banner printed twice, an add-to-cart line.
SYNTHETIC = """\
Green Tea Extract After Hard Training: What the Trials Say

Endurance athletes often look for ways to recover faster between sessions.
Green tea extract, rich in catechins such as EGCG, is sold as a recovery
aid. This guide looks at what controlled trials have and have not shown.

Related articles
- Ten Stretches for Runners
- Is Caffeine Before a Race Worth It

Why Recovery Matters
Muscle soreness peaks one to two days after unaccustomed exercise. Sleep,
protein and rest days all shape how quickly performance returns (Lee et
al., 2019).

Common markers that trials measure:
* Creatine kinase in blood
* Perceived soreness on a 10-point scale

Try our Matcha Recovery Blend today and add to cart before Friday!

1) Antioxidant Effects

In a small crossover trial, 1.5 g/day of extract lowered a marker of
oxidative damage vs. placebo [1]. The authors called the effect modest.

2) Soreness and Strength

Two trials found no change in soreness [2], while one reported slightly
better sprint times [3].

Summer sale on every tea tin
Summer sale on every tea tin

Photo of a runner stretching on a track

Sources
[1] Park J, Kim S. Catechins and oxidative stress in cyclists. J Sports
    Sci. 2018;12:33-40. doi:10.1234/jss.2018.0033
[2] Ortiz M, et al. Green tea and muscle soreness. Eur J Appl Physiol.
    2020. https://pubmed.ncbi.nlm.nih.gov/31234567/
[3] Chen L. Sprint performance after EGCG. Retrieved from
    https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7654321/

This content is not a substitute for professional medical advice.
"""


@pytest.fixture(scope="module")
def article() -> Document:
    return parse_article(ARTICLE.read_text(encoding="utf-8"), source_name=ARTICLE.name)


def texts(doc: Document, kind: str) -> list[str]:
    return [doc.text[b.start : b.end] for b in doc.blocks if b.kind == kind]


def block_for(doc: Document, prefix: str):
    matches = [b for b in doc.blocks if doc.text[b.start : b.end].startswith(prefix)]
    assert matches, f"no block starts with {prefix!r}"
    return matches


def test_text_is_kept_and_every_line_is_labelled(article: Document) -> None:
    raw = ARTICLE.read_text(encoding="utf-8")
    assert article.text == raw
    covered = set()
    for b in article.blocks:
        piece = raw[b.start : b.end]
        assert piece and piece == piece.strip(), (b, piece)
        covered.update(range(b.start, b.end))
    outside = {raw[i] for i, ch in enumerate(raw) if not ch.isspace() and i not in covered}
    assert outside <= set("•.0123456789")  # only bullets and list numbers are left out
    starts = [b.start for b in article.blocks]
    assert starts == sorted(starts)


def test_title_and_repeated_title(article: Document) -> None:
    first_line = article.text.splitlines()[0].strip()
    assert article.title == first_line
    assert texts(article, "title") == [first_line]
    assert texts(article, "repeated_title") == [first_line]
    assert all(first_line not in b.section for b in article.blocks)


def test_boilerplate_is_labelled_and_not_body(article: Document) -> None:
    ads = texts(article, "advertisement")
    assert len(ads) == 6 and all("Amazon" in a for a in ads)
    nav = texts(article, "navigation")
    assert nav[0] == "You May Also Like:" and len(nav) == 3
    assert texts(article, "image_caption") == ["Girl with healthy and long hair"]
    disclaimers = texts(article, "disclaimer")
    assert len(disclaimers) == 2
    assert disclaimers[0].startswith("Important Note:")
    assert "Food and Drug Administration" in disclaimers[1]
    repeated = [b for b in article.blocks if b.kind == "repeated_heading"]
    assert len(repeated) == 1
    heading_texts = texts(article, "heading")
    assert article.text[repeated[0].start : repeated[0].end] in heading_texts
    body = " ".join(article.text[b.start : b.end] for b in article.body_blocks())
    for line in [*ads, *nav, *disclaimers, "Girl with healthy and long hair"]:
        assert line not in body


def test_headings_and_section_paths(article: Document) -> None:
    headings = texts(article, "heading")
    assert "The Importance of Healthy Hair Follicles" in headings
    assert "References" in headings
    # The nav link titles and the caption are not headings.
    assert not any(h.startswith("What Makes") for h in headings)
    (insight,) = block_for(article, "Study Insight:")
    assert insight.kind == "list_item"
    assert len(insight.section) == 2
    assert insight.section[1].startswith("1. ")
    assert insight.section[0] in headings and not insight.section[0][0].isdigit()
    (evidence,) = block_for(article, "Clinical Evidence:")
    assert evidence.kind == "list_item"
    assert evidence.section[0] == insight.section[0] and evidence.section[1].startswith("2. ")
    # An unnumbered heading resets the path to one level.
    (after,) = block_for(article, "Magnesium deficiency is prevalent")
    assert len(after.section) == 1 and after.section[0].startswith("Addressing")
    (numbered_list,) = block_for(article, "Inflammation Reduction:")
    assert numbered_list.kind == "list_item" and len(numbered_list.section) == 1


def test_list_items_drop_the_bullet_only(article: Document) -> None:
    items = texts(article, "list_item")
    assert "Chronic fatigue" in items
    assert all(not i.startswith(("•", "-", "*")) for i in items)
    assert any(i.startswith("Cellular Repair: Research") for i in items)  # "1. " dropped


def test_reference_list(article: Document) -> None:
    refs = article.references
    assert [r.number for r in refs] == [1, 2, 3, 4]
    assert [r.pmcid for r in refs] == ["PMC9710406", "PMC8838086", "PMC6380979", "PMC7761127"]
    for r in refs:
        assert r.url and r.url.startswith("https://pmc.ncbi.nlm.nih.gov/articles/PMC")
        assert "Retrieved" not in r.cited_as and "http" not in r.cited_as
        assert article.text[r.start : r.end].startswith(r.cited_as)
    assert refs[0].cited_as.startswith("Green, A., et al. (2020).")
    assert len(texts(article, "reference_entry")) == 4
    entry_blocks = [b for b in article.blocks if b.kind == "reference_entry"]
    assert all(b.section == ("References",) for b in entry_blocks)


def test_body_kinds_only_body(article: Document) -> None:
    assert {b.kind for b in article.body_blocks()} <= BODY_KINDS
    assert len(article.body_blocks()) > 50


def test_round_trip_through_json(article: Document) -> None:
    again = Document.from_dict(article.to_dict())
    assert again.blocks == article.blocks and again.references == article.references
    assert again.content_hash == article.content_hash


def test_synthetic_article_with_other_formatting() -> None:
    doc = parse_article(SYNTHETIC, doc_id="tea", url="https://example.org/tea")
    assert doc.id == "tea" and doc.url == "https://example.org/tea"
    assert doc.title.startswith("Green Tea Extract")
    for b in doc.blocks:
        assert doc.text[b.start : b.end] == doc.text[b.start : b.end].strip()
    # Hard-wrapped lines join into one paragraph.
    (intro,) = block_for(doc, "Endurance athletes")
    assert intro.kind == "paragraph" and doc.text[intro.start : intro.end].endswith("shown.")
    assert len(texts(doc, "navigation")) == 3
    assert texts(doc, "advertisement")[0].startswith("Try our")
    assert texts(doc, "advertisement")[1:] == ["Summer sale on every tea tin"] * 2
    assert texts(doc, "image_caption") == ["Photo of a runner stretching on a track"]
    assert texts(doc, "disclaimer") == [SYNTHETIC.strip().splitlines()[-1]]
    (heading,) = block_for(doc, "Why Recovery Matters")
    assert heading.kind == "heading"
    (trial,) = block_for(doc, "In a small crossover trial")
    assert trial.section == ("Why Recovery Matters", "1) Antioxidant Effects")
    (marker,) = block_for(doc, "Creatine kinase")
    assert marker.kind == "list_item" and marker.section == ("Why Recovery Matters",)
    refs = doc.references
    assert [r.number for r in refs] == [1, 2, 3]
    assert refs[0].doi == "10.1234/jss.2018.0033" and refs[0].url is None
    assert refs[1].pmid == "31234567"
    assert refs[2].pmcid == "PMC7654321" and refs[2].cited_as.endswith("EGCG.")


def test_empty_and_title_only_text() -> None:
    assert parse_article("").blocks == []
    doc = parse_article("Just a Title\n")
    assert doc.title == "Just a Title" and [b.kind for b in doc.blocks] == ["title"]


def test_document_sections_are_its_outline_in_reading_order() -> None:
    from assistant.types import Block, Document

    doc = Document(
        id="d",
        kind="article",
        title="T",
        text="x" * 40,
        blocks=[
            Block("heading", 0, 5, ("A",)),
            Block("paragraph", 5, 10, ("A",)),
            Block("paragraph", 10, 20, ("A", "A.1")),
            Block("paragraph", 20, 30, ("B",)),
            Block("paragraph", 30, 40, ("A",)),
        ],
    )
    assert doc.sections == [("A",), ("A", "A.1"), ("B",)]
