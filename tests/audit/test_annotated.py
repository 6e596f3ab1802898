"""The annotated article: every claim marked in the article's text and linked to its verdict,
everything escaped, and a report file that needs nothing from elsewhere."""

from __future__ import annotations

import html
from html.parser import HTMLParser

from assistant.audit import VERDICT_MEANINGS, VERDICTS, annotated_body, annotated_report
from assistant.types import Block, ClaimVerdict, Document, EvidenceQuote

TEXT = (
    "Benefits\n\nMagnesium lowers CRP by 35%. It <b>cures</b> baldness.\n\nSide effects:\n\nNausea"
)


def _article() -> Document:
    def span(piece: str) -> tuple[int, int]:
        start = TEXT.index(piece)
        return start, start + len(piece)

    blocks = [
        Block("heading", *span("Benefits")),
        Block("paragraph", *span("Magnesium lowers CRP by 35%. It <b>cures</b> baldness."), ("B",)),
        Block("paragraph", *span("Side effects:"), ("B",)),
        Block("list_item", *span("Nausea"), ("B",)),
    ]
    return Document(id="article", kind="article", title="A <page>", text=TEXT, blocks=blocks)


def _verdict(piece: str, verdict: str, reason: str, **kw) -> ClaimVerdict:
    start = TEXT.index(piece)
    return ClaimVerdict(piece, (start, start + len(piece)), "B", verdict, reason, **kw)  # type: ignore[arg-type]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.tags: set[str] = set()
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        self.tags.add(tag)
        if "id" in a:
            self.ids.add(a["id"])
        if "href" in a:
            self.hrefs.append(a["href"])
        if "src" in a:
            self.sources.append(a["src"])


def test_each_claim_is_marked_in_place_and_linked_both_ways() -> None:
    evidence = EvidenceQuote(
        "ref-2",
        "Results",
        "CRP fell.",
        "full_text",
        reference=2,
        url="https://pmc.ncbi.nlm.nih.gov/articles/PMC1/",
    )
    verdicts = [
        _verdict("Magnesium lowers CRP by 35%.", "partial", "no figure", evidence=[evidence]),
        _verdict("It <b>cures</b> baldness.", "unsupported", "no <i>source</i>"),
        _verdict("Nausea", "unsupported", "no source"),
    ]
    body = annotated_body(_article(), verdicts)
    links = _Links()
    links.feed(body)
    for n in (1, 2, 3):
        assert {f"claim-{n}", f"verdict-{n}"} <= links.ids
        assert f"#verdict-{n}" in links.hrefs and f"#claim-{n}" in links.hrefs
    assert "https://pmc.ncbi.nlm.nih.gov/articles/PMC1/" in links.hrefs  # a link out
    assert '<a class="claim v-partial" id="claim-1"' in body
    assert "&lt;b&gt;cures&lt;/b&gt;" in body and "<b>" not in body  # the article is text
    assert "no &lt;i&gt;source&lt;/i&gt;" in body
    assert '<li><a class="claim v-unsupported" id="claim-3"' in body  # the list item
    assert all(html.escape(VERDICT_MEANINGS[v]) in body for v in VERDICTS)  # the legend


def test_an_overlapping_claim_is_listed_but_not_marked_twice() -> None:
    verdicts = [
        _verdict("Magnesium lowers CRP by 35%.", "partial", "a"),
        _verdict("CRP by 35%. It", "unsupported", "b"),
    ]
    body = annotated_body(_article(), verdicts)
    assert body.count('class="claim ') == 1 and body.count('class="verdict-item"') == 2


def test_the_report_is_one_file_that_loads_nothing_from_elsewhere() -> None:
    bad = EvidenceQuote("ref-1", "", "x", "full_text", reference=1, url="javascript:alert(1)")
    verdicts = [_verdict("Nausea", "unsupported", "no source", evidence=[bad])]
    report = annotated_report(_article(), verdicts, verifier=None)
    links = _Links()
    links.feed(report)
    assert report.startswith("<!DOCTYPE html>") and "<title>Claim audit: A &lt;page&gt;" in report
    assert "script" not in links.tags and not links.sources and "<link" not in report
    assert all(h.startswith("#") for h in links.hrefs)  # the javascript: link was dropped
    assert "deterministic checks only" in report and "not medical advice" in report
