"""Which audited claims an answer warns about: those the question is about."""

from __future__ import annotations

from assistant.answer.extractive import bearing
from assistant.text import content_stems
from assistant.types import ClaimVerdict


def _verdict(n: int, claim: str, context: str | None = None) -> ClaimVerdict:
    return ClaimVerdict(
        claim, (n * 100, n * 100 + len(claim)), "", "unsupported", "", context=context
    )


def _kept(question: str, verdicts: list[ClaimVerdict]) -> list[str]:
    return [v.claim for v in bearing(verdicts, content_stems(question) - {"zinc"})]


SYMPTOMS = [
    _verdict(1, "Chronic tiredness", context="Signs of a zinc shortage:"),
    _verdict(2, "Hair thinning", context="Signs of a zinc shortage:"),
    _verdict(3, "Stomach upset", context="Taking too much zinc may cause:"),
    _verdict(4, "A metallic taste", context="Taking too much zinc may cause:"),
]


def test_a_list_item_is_judged_with_its_lead_in() -> None:
    kept = _kept("What can taking too much zinc cause?", SYMPTOMS)
    assert kept == ["Stomach upset", "A metallic taste"]
    assert _kept("What are the signs of a zinc shortage?", SYMPTOMS) == [
        "Chronic tiredness",
        "Hair thinning",
    ]


def test_only_the_claims_sharing_the_most_of_the_question_stay() -> None:
    verdicts = [
        _verdict(1, "Zinc lozenges shortened colds by two days in adults."),
        _verdict(2, "Zinc is found in oysters."),
        _verdict(3, "A 2019 trial in adults found zinc raised immunity."),
    ]
    kept = _kept("Do zinc lozenges shorten colds in adults?", verdicts)
    assert kept == ["Zinc lozenges shortened colds by two days in adults."]


def test_when_no_claim_shares_a_word_all_stay() -> None:
    # a paraphrase ("does it heal sores" for "speeds wound repair") shows no word in common:
    # nothing tells which claim is asked about, so no warning is dropped
    assert len(_kept("Does it heal sores faster?", SYMPTOMS)) == len(SYMPTOMS)
    assert len(bearing(SYMPTOMS, set())) == len(SYMPTOMS)
