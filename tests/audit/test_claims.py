"""Claim extraction, in-text citations and their links to the reference list, quantities."""

from __future__ import annotations

import pytest

from assistant.audit.claims import clauses, extract_claims, is_imperative
from assistant.audit.linking import link_mention, reference_facts
from assistant.audit.mentions import find_mentions
from assistant.sources import load_corpus
from assistant.sources.article import parse_article
from assistant.text import carried, quantities, specific_terms, term_carried
from assistant.types import Document


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Document]:
    from conftest import make_settings

    return load_corpus(make_settings(tmp_path_factory.mktemp("claims")))


@pytest.fixture(scope="module")
def article(corpus: list[Document]) -> Document:
    return next(d for d in corpus if d.kind == "article")


@pytest.fixture(scope="module")
def refs(corpus: list[Document], article: Document):
    return reference_facts(article, [d for d in corpus if d.kind == "reference"])


# --- citations -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sentence", "kind", "journal", "year", "design"),
    [
        (
            "Research in Biological Trace Element Research (2020) found X.",
            "journal",
            "Biological Trace Element Research",
            2020,
            None,
        ),
        (
            "A randomized trial in Nutrients (2021) showed X.",
            "journal",
            "Nutrients",
            2021,
            "randomized trial",
        ),
        (
            "A study published in Free Radical Biology and Medicine (2019) demonstrated X.",
            "journal",
            "Free Radical Biology and Medicine",
            2019,
            None,
        ),
        (
            "Studies in The Journal of Clinical Nutrition (2020) emphasized X.",
            "journal",
            "Journal of Clinical Nutrition",
            2020,
            None,
        ),
        (
            "A meta-analysis in The Lancet (2017) pooled X.",
            "journal",
            "Lancet",
            2017,
            "meta-analysis",
        ),
        ("X is common (National Institutes of Health, 2021).", "organization", None, 2021, None),
        ("Smith et al. (2020) reported X.", "author", None, 2020, None),
    ],
)
def test_in_text_citation_patterns(sentence, kind, journal, year, design) -> None:
    offset = 500
    [m] = find_mentions(sentence, offset)
    assert (m.kind, m.journal, m.year, m.design) == (kind, journal, year, design)
    assert sentence[m.start - offset : m.end - offset] == m.text  # exact span
    assert str(year) in m.text


def test_numbered_and_grouped_citations() -> None:
    nums = find_mentions("Shown before [3] and since [1-3, 5].")
    assert [m.numbers for m in nums] == [(3,), (1, 2, 3, 5)]
    group = find_mentions("It is common (Smith & Jones, 2019; World Health Organization, 2020).")
    assert [(m.kind, m.names, m.year) for m in group] == [
        ("author", ("Smith", "Jones"), 2019),
        ("organization", ("World Health Organization",), 2020),
    ]
    assert [m.text for m in group] == ["Smith & Jones, 2019", "World Health Organization, 2020"]
    assert find_mentions("Magnesium lowers CRP in adults.") == []
    assert find_mentions("Levels rose in 2020 (see above).") == []


def _link(sentence: str, refs) -> int | None:
    [m] = find_mentions(sentence)
    link = link_mention(m, sentence, refs)
    return link.reference.number if link.reference else None


def test_links_to_the_real_reference_list(refs) -> None:
    # two Nutrients papers in the list: the title words of the claim decide
    assert (
        _link(
            "A trial in Nutrients (2021) showed magnesium supplementation lowered "
            "inflammatory markers.",
            refs,
        )
        == 2
    )
    assert _link("A review in Nutrients (2020) described magnesium and stress.", refs) == 4
    # journal known only from how the list cites it (unresolved entry)
    assert _link("Research in Biological Trace Element Research (2020) found X.", refs) == 1
    assert _link("Almohanna et al. (2019) reviewed vitamins.", refs) == 3
    assert _link("As shown [4].", refs) == 4
    # works the list does not hold
    assert _link("A study in Free Radical Biology and Medicine (2019) found X.", refs) is None
    assert _link("It is common (National Institutes of Health, 2021).", refs) is None
    assert _link("Nobody et al. (2020) found X.", refs) is None
    assert _link("As shown [9].", refs) is None


def test_reference_facts_merge_the_list_and_the_records(refs) -> None:
    by_number = {r.number: r for r in refs}
    assert by_number[2].journals == ("Nutrients",) and by_number[2].years == (2022,)
    assert "veronese" in by_number[2].surnames
    assert by_number[1].journals == ("Biological Trace Element Research",)
    assert by_number[1].status == "unresolved" and not by_number[1].actual.get("title")


# --- claims --------------------------------------------------------------------------------
def test_claims_on_the_real_article(article: Document) -> None:
    claims = extract_claims(article)
    texts = [c.text for c in claims]
    body = [(b.start, b.end) for b in article.body_blocks()]
    for c in claims:
        assert article.text[c.start : c.end] == c.text
        assert any(s <= c.start and c.end <= e for s, e in body)  # never outside the body
    assert "Women: 310–320 mg/day" in texts
    assert any(t.startswith("Clinical Evidence: A randomized trial in Nutrients") for t in texts)
    assert not any(t.rstrip().endswith(":") for t in texts)  # lead-ins
    assert not any(t.startswith(("Consult", "Take ", "Always", "To ensure")) for t in texts)
    assert not any("Shop Now" in t or "informational purposes" in t for t in texts)
    assert not any(t.startswith("This article") for t in texts)
    women = claims[texts.index("Women: 310–320 mg/day")]
    assert women.context.startswith("The recommended dietary allowance (RDA) for magnesium is:")
    cited = claims[texts.index(next(t for t in texts if "Nutrients (2021) showed" in t))]
    assert "Nutrients" not in cited.context and "randomized trial showed" in cited.context


def test_generic_claim_rules_on_another_article() -> None:
    text = (
        "Vitamin Z and Sleep\n\n"
        "Vitamin Z shortens sleep latency by 12 minutes in adults.\n\n"
        "Read on to learn more.\n\n"
        "Always talk to your doctor before changing your routine.\n\n"
        "Side effects may include:\n\n"
        "• Headache\n"
        "• Dry mouth\n\n"
        "Future research could explore:\n\n"
        "• Effects in children\n"
    )
    doc = parse_article(text)
    texts = [c.text for c in extract_claims(doc)]
    assert texts == [
        "Vitamin Z shortens sleep latency by 12 minutes in adults.",
        "Headache",
        "Dry mouth",
    ]


def test_imperative_mood() -> None:
    assert is_imperative("Consult a healthcare provider to determine the dose.")
    assert is_imperative("To ensure safety, adhere to recommended dosages.")
    assert is_imperative("Use Scalp Massages: Stimulate circulation to the follicles.")
    assert not is_imperative("Biotin: Supports keratin production.")
    assert not is_imperative("Magnesium regulates the HPA axis.")
    assert not is_imperative("Use of methylphenidate is associated with fewer injuries.")
    assert is_imperative("Use magnesium of good quality.")


# --- quantities --------------------------------------------------------------------------------
def test_quantities_normalize_percent_ranges_and_units() -> None:
    [pct] = quantities("reduced markers by 35%")
    assert carried(pct, "a 35 percent reduction")
    assert carried(pct, "fell by 35 per cent")
    assert not carried(pct, "fell by 25%")
    assert not carried(pct, "35 participants")  # a count is not a percentage
    [rng] = quantities("Women: 310–320 mg/day")
    assert (rng.lo, rng.hi, rng.unit) == (310, 320, "mg/day")
    assert carried(rng, "women need 310-320 mg per day")
    assert not carried(rng, "women need 310 mg per day")
    assert [q.text for q in quantities("IL-6, vitamin B12 and a 2020 study")] == []
    [half] = quantities("nearly half of adults")
    assert carried(half, "about 50% of adults") and not carried(half, "a third of adults")


def test_quantities_read_thousands_and_skip_what_is_no_one_number() -> None:
    assert [(q.lo, q.text) for q in quantities("36,000 fewer deaths, 1,200.5 mg")] == [
        (36000.0, "36,000"),
        (1200.5, "1,200.5 mg"),
    ]
    assert quantities("as section 3.4.5 says") == []  # a section number, not a figure


def test_named_terms_and_clauses() -> None:
    text = "Zinc lowers interleukin-6 (IL-6) and TNF-α, raising NO in 2021."
    assert specific_terms(text) == [("IL-6", "interleukin-6"), ("TNF-α", None), ("NO", None)]
    assert term_carried("IL-6", "interleukin-6", "Zinc lowered Interleukin-6 levels.")
    assert not term_carried("IL-6", "interleukin-6", "Zinc lowered IL-1 levels.")
    assert clauses("Stress: Zinc regulates the HPA axis, reducing cortisol and hair loss.") == [
        "Zinc regulates the HPA axis",
        "reducing cortisol and hair loss",
    ]
    appositive = "Zinc—a trace metal—has emerged as a promising ally in restoring follicles."
    assert clauses(appositive) == [appositive]


def test_a_date_in_parentheses_is_not_a_citation() -> None:
    assert find_mentions("It was approved (9 December 2011).") == []
    assert find_mentions("Trials ended (Dec. 9, 2011).") == []
    mixed = find_mentions("Data (December 2011; Smith, 2012) and (WHO, 2021).")
    assert [(m.text, m.names) for m in mixed] == [
        ("Smith, 2012", ("Smith",)),
        ("WHO, 2021", ("WHO",)),
    ]
