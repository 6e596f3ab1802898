"""Reading a new article's text and reference list, and resolving its references, piece by
piece: what each format keeps, how a title match is judged, the reference file written."""

from __future__ import annotations

import httpx
import pytest
from pmc_server import Reply, pmc_server

from assistant.sources.article import parse_article
from assistant.sources.intake import ArticleSource, article_text
from assistant.sources.references import load_references
from assistant.sources.resolve import (
    Resolution,
    _match,
    references_toml,
    resolve_references,
    title_guess,
)

__all__ = ["pmc_server"]  # the fixture, imported so pytest finds it


def html(body: str) -> ArticleSource:
    page = f"<html><head><title>T</title></head><body><article>{body}</article></body></html>"
    return ArticleSource("page.html", "html", page.encode())


def test_superscripts_list_numbers_and_paper_links_survive_the_extractor() -> None:
    got = article_text(
        html(
            "<h1>Zinc and colds</h1>"
            "<p>Zinc lozenges shorten colds by two days in adults who take them early."
            "<sup>2,3</sup>"
            ' A <a href="https://doi.org/10.1000/xyz.1">later trial</a> disagreed with that.</p>'
            "<p>Children did not benefit from zinc in the trials that enrolled them."
            "<sup>4</sup></p>"
            "<h2>Sources</h2><ol start='2'>"
            "<li>Hemila H. Zinc lozenges and the common cold. JRSM Open. 2017.</li>"
            "<li>Prasad AS. Duration of symptoms and zinc. Ann Intern Med. 2000.</li>"
            "<li value='4'>Kid K. Zinc in children. Pediatrics. 2012.</li></ol>"
        )
    )
    assert "early.[2,3]" in got.text and "them.[4]" in got.text
    assert "A later trial [5] disagreed" in got.text  # the link became the next number
    refs = parse_article(got.text).references
    assert [r.number for r in refs] == [2, 3, 4, 5]
    assert refs[-1].doi == "10.1000/xyz.1"
    assert got.title == "Zinc and colds"  # the page's heading, not its <title>
    assert got.linked == 1


def test_the_same_paper_linked_twice_is_one_reference() -> None:
    link = "https://pubmed.ncbi.nlm.nih.gov/123456/"
    src = ArticleSource(
        "a.txt",
        "text",
        (
            f"Tea\n\nTea lowers blood pressure {link} in adults.\n\nIt also helps sleep "
            f"{link}.\n\nReferences\n1. Leaf T. Tea. PMID: 123456\n"
        ).encode(),
    )
    got = article_text(src)
    assert "lowers blood pressure [1] in adults" in got.text and "helps sleep [1]." in got.text
    assert [r.number for r in parse_article(got.text).references] == [1]


def test_a_plain_text_article_is_kept_as_it_is() -> None:
    text = "Title here\n\nA sentence that stays (Smith, 2020).\n"
    assert article_text(ArticleSource("a.txt", "text", text.encode())).text == text


@pytest.mark.parametrize(
    ("cited", "title"),
    [
        (
            "Martineau AR, et al. Vitamin D supplementation to prevent acute respiratory "
            "infections. BMJ. 2017;356:i6583.",
            "Vitamin D supplementation to prevent acute respiratory infections",
        ),
        (
            "Green, A., et al. (2020). Magnesium's Role in Hair Follicle Repair. Biological "
            "Trace Element Research.",
            "Magnesium's Role in Hair Follicle Repair",
        ),
        ("Lamp C. Lamps and insects. Light Review. 2017;2:10-20.", "Lamps and insects"),
    ],
)
def test_the_title_is_told_from_authors_and_journal(cited: str, title: str) -> None:
    assert title_guess(cited) == title


def _hit(title: str, year: str) -> dict[str, str]:
    return {"title": title, "pubYear": year, "pmid": "42", "pmcid": "PMC42"}


def test_a_close_title_is_taken_a_loose_one_only_with_its_year() -> None:
    cited = "Leaf T. Green tea and the sleep of older adults. Sleep. 2020."
    guess = title_guess(cited)
    exact = Resolution(1, cited)
    _match(exact, [_hit("Green tea and the sleep of older adults.", "2019")], guess)
    assert (exact.status, exact.confidence, exact.ids["pmcid"]) == ("matched", "high", "PMC42")

    loose_title = "Green tea and sleep in older adults: a trial"
    same_year = Resolution(1, cited)
    _match(same_year, [_hit(loose_title, "2020")], guess)
    assert (same_year.status, same_year.confidence) == ("matched", "medium")

    other_year = Resolution(1, cited)
    _match(other_year, [_hit(loose_title, "2011")], guess)
    assert other_year.status == "unresolved" and not other_year.ids
    assert loose_title in other_year.remark  # the near miss is named for the user to judge


def test_the_reference_file_reads_back_with_what_was_resolved(tmp_path) -> None:
    resolved = Resolution(
        1,
        'Leaf T. "Tea" and sleep. 2020.',
        "https://doi.org/10.1/x",
        {"doi": "10.1/x"},
        {"title": "Tea and sleep", "authors": ["Leaf T"], "year": 2020},
        "identified",
        "the article's link",
        "given",
    )
    open_one = Resolution(2, "Unknown paper. 2001.", remark="not looked up: offline")
    path = tmp_path / "references.toml"
    text = references_toml(
        {"file": "article.txt", "title": "Tea ‘and’ sleep"}, [resolved, open_one]
    )
    path.write_text(text, encoding="utf-8")
    article, records = load_references(path)
    assert article["title"] == "Tea ‘and’ sleep"
    first, second = records
    assert (first.cited_as, first.doi, first.authors, first.year) == (
        'Leaf T. "Tea" and sleep. 2020.',
        "10.1/x",
        ["Leaf T"],
        2020,
    )
    assert first.extra == {"resolved_by": "the article's link", "confidence": "given"}
    assert (second.status, second.remark, second.doi) == (
        "unresolved",
        "not looked up: offline",
        None,
    )


def test_a_pmid_the_article_gives_gets_its_pmcid_from_the_id_converter(pmc_server) -> None:
    from assistant.settings import Settings
    from assistant.sources.fetch import PmcClient, RateLimiter
    from assistant.types import ReferenceRecord

    pmc_server.route("/idconv", Reply(body=b'{"records": [{"pmid": "123", "pmcid": "PMC999"}]}'))
    pmc_server.route("/idconv", Reply(body=b'{"records": [{"pmid": "456"}]}'), ids="456")
    settings = Settings(idconv_base_url=f"{pmc_server.url}/idconv", http_timeout=2)
    with httpx.Client() as http:
        pmc = PmcClient(settings, http, RateLimiter(1000.0))
        records = [ReferenceRecord(1, "A. 2020.", pmid="123"), ReferenceRecord(2, "B.", pmid="456")]
        (one, two), offline = resolve_references(records, pmc, f"{pmc_server.url}/europepmc")
    assert offline == ""
    assert one.ids == {"pmid": "123", "pmcid": "PMC999"}
    assert one.resolved_by == "the entry's text, its PMCID by NCBI's ID converter"
    assert "pmcid" not in two.ids and "no PubMed Central copy of 456" in two.remark
