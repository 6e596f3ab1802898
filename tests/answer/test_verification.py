"""Verification of written answers: markers, verbatim quotes, unsupported statements."""

from assistant.answer.verify import quote_in, split_statements, verify_answer
from assistant.text import normalize

PASSAGES = [
    "Magnesium supplementation significantly lowered serum C-reactive protein compared with "
    "placebo. It also raised nitric oxide levels.",
    "The recommended dietary allowance for women is 310–320 mg/day.",
]


def test_verbatim_quote_with_normalized_marks_passes() -> None:
    text = (
        "The review found that supplementation "
        "“significantly lowered serum C-reactive protein” [1]."
    )
    result = verify_answer(text, PASSAGES)
    assert result.ok, result.problems
    assert result.used_markers == [1] and result.quotes[1]


def test_fabricated_quote_is_rejected() -> None:
    text = 'The review says magnesium "reduced inflammatory markers by 35%" [1].'
    result = verify_answer(text, PASSAGES)
    assert not result.ok
    assert any("not verbatim" in p for p in result.problems)


def test_quote_from_another_passage_than_cited_is_rejected() -> None:
    text = 'For women the allowance is "310–320 mg/day" [1].'
    assert not verify_answer(text, PASSAGES).ok
    assert verify_answer(text.replace("[1]", "[2]"), PASSAGES).ok


def test_citation_to_passage_not_given_is_rejected() -> None:
    result = verify_answer("Magnesium lowers CRP [3].", PASSAGES)
    assert not result.ok and any("not given" in p for p in result.problems)


def test_uncited_statement_is_flagged_and_exempt_text_is_not() -> None:
    result = verify_answer(
        "Magnesium cures baldness. It lowered CRP [1].", PASSAGES, exempt=["Nothing here."]
    )
    assert result.unsupported == ["Magnesium cures baldness."]
    assert not result.ok
    assert verify_answer("Nothing here.", PASSAGES, exempt=["Nothing here."]).ok


def test_support_function_can_reject_a_cited_statement() -> None:
    result = verify_answer(
        "Magnesium cures baldness [1].", PASSAGES, support=lambda s, p: "baldness" in p
    )
    assert not result.ok and result.unsupported


def test_ellipsis_joins_pieces_in_order_only() -> None:
    assert quote_in("Magnesium supplementation ... lowered serum", PASSAGES[0])
    assert not quote_in("lowered serum ... Magnesium supplementation", PASSAGES[0])


def test_normalize_and_statements() -> None:
    assert normalize("a\u00a0 “b” – c") == 'a "b" - c'
    assert split_statements("- One thing [1]. Two things [2].\n**Head**") == [
        "One thing [1].",
        "Two things [2].",
        "Head",
    ]


def _word_overlap(statement: str, sentences: list[str]):
    """A stand-in similarity: the share of the statement's words a sentence holds."""
    import numpy as np

    want = set(statement.lower().split())
    return np.array([len(want & set(s.lower().split())) / len(want) for s in sentences])


def test_grounded_in_needs_a_close_sentence_a_shared_word_and_every_figure() -> None:
    from assistant.answer.verify import grounded_in

    passage = (
        "Magnesium is found in many foods. "
        "Supplementation lowered serum CRP by 20% compared with placebo."
    )
    support = grounded_in(_word_overlap, cut=0.5, topic={"magne"})
    assert support("Supplementation lowered serum CRP by 20%", passage)
    # the same wording with a figure the passage does not give
    assert not support("Supplementation lowered serum CRP by 35%", passage)
    # near the passage's subject, but a new claim
    assert not support("Magnesium cures all baldness within a week", passage)
    # sharing only the topic word is not enough, however similar the scorer thinks it is
    topic_only = grounded_in(lambda s, sents: [1.0] * len(sents), cut=0.5, topic={"magne"})
    assert not topic_only("Magnesium is magical", passage)
