"""The direct first line of a yes/no question: recognising the question, deciding from the
verifier's probabilities at calibrated bars, and the engine carrying it into the answer."""

from __future__ import annotations

import pytest
from conftest import quoted

from assistant.answer import (
    DIRECT_ANSWERS,
    AnswerEngine,
    Bars,
    decide,
    polar_claim,
    source_quotes,
)
from assistant.answer.direct import Direct, direct_line
from assistant.settings import Settings
from assistant.types import Citation


@pytest.mark.parametrize(
    ("question", "claim"),
    [
        ("Does magnesium lower CRP?", "magnesium lower CRP"),
        ("Is magnesium deficiency linked to hair loss", "magnesium deficiency linked to hair loss"),
        ("Can't zinc help?", "zinc help"),
        ("Isn’t it safe?", "it safe"),  # a curly apostrophe
        ("Oral magnesium: is it safe in pregnancy?", "Oral magnesium: it safe in pregnancy"),
        ("Statins and memory -- do they interact?", "Statins and memory: they interact"),
        # a title put as a question, its verb left out
        ("Aspirin: a cause of gastric ulcers?", "Aspirin: a cause of gastric ulcers"),
        (
            "Stage I lung cancer -- really an early stage?",
            "Stage I lung cancer: really an early stage",
        ),
        (
            "Do supplements help people who are not deficient?",
            "supplements help people who are not deficient",
        ),
    ],
)
def test_yes_no_questions_become_the_statement_they_ask_about(question: str, claim: str) -> None:
    assert polar_claim(question) == claim


@pytest.mark.parametrize(
    "question",
    [
        "What dose of magnesium does the article recommend?",
        "How many trials did the meta-analysis include?",
        "Can you tell me which foods are rich in magnesium?",  # a request, put as a question
        "Do you know what dose is safe?",
        "Magnesium and sleep?",
        "Magnesium and sleep: how much is enough?",  # a title, then a question word
        "Magnesium: dose?",
        "What is known about the Smith et al. (2020) paper on sleep?",  # "et al. " is no break
        "Does?",
        "List the side effects.",
    ],
)
def test_other_questions_get_no_direct_answer(question: str) -> None:
    assert polar_claim(question) is None


def _judge(table: dict[str, dict[str, float]]):
    calls: list[list[tuple[str, str]]] = []

    def judge(pairs: list[tuple[str, str]]) -> list[dict[str, float]]:
        calls.append(pairs)
        return [table[evidence] for _, evidence in pairs]

    return judge, calls


SUPPORTS = {"support": 0.7, "contradict": 0.1, "nei": 0.2}
WEAK_SUPPORT = {"support": 0.45, "contradict": 0.2, "nei": 0.35}
CONTRADICTS = {"support": 0.1, "contradict": 0.8, "nei": 0.1}
SILENT = {"support": 0.2, "contradict": 0.2, "nei": 0.6}


@pytest.mark.parametrize(
    ("quotes", "expected"),
    [
        ({"a": SUPPORTS, "b": SILENT}, Direct("yes", (1,))),
        ({"a": SILENT, "b": CONTRADICTS}, Direct("no", (2,))),
        ({"a": CONTRADICTS, "b": SUPPORTS}, Direct("mixed", (2, 1))),
        ({"a": SILENT, "b": SILENT}, Direct("not_stated")),
        ({"a": WEAK_SUPPORT}, Direct("not_stated")),  # most probable, but under the bar
        ({}, Direct("not_stated")),
    ],
)
def test_decide_counts_only_calls_over_their_bar(quotes: dict, expected: Direct) -> None:
    judge, calls = _judge(quotes)
    numbered = [(i + 1, text) for i, text in enumerate(quotes)]
    assert decide("x lowers y", numbered, judge, Bars(0.5, 0.5)) == expected
    assert all(claim == "x lowers y" for pairs in calls for claim, _ in pairs)


def test_without_a_calibration_there_is_no_yes_or_no() -> None:
    judge, _ = _judge({"a": SUPPORTS})
    assert decide("x", [(1, "a")], judge, Bars()).answer == "not_stated"
    assert decide("x", [(1, "a")], judge, Bars(0.0, 0.0)).answer == "yes"


def test_direct_lines_name_their_passages() -> None:
    yes = direct_line(Direct("yes", (3, 5, 6)))
    assert yes.startswith("**Yes**: the verifier reads [3] and [5] as saying so"), yes
    assert direct_line(Direct("no", (2,))).startswith("**No**: the verifier reads [2] as")
    assert "[4] as saying so and [1] as saying otherwise" in direct_line(Direct("mixed", (4, 1)))
    assert direct_line(Direct("not_stated")).startswith("**No clear yes or no**")


def _citation(
    marker: int, reference: int | None, provenance: str = "full_text", kind: str = ""
) -> Citation:
    return quoted(marker, f"quote {marker}", reference, provenance, kind)


def test_only_the_sources_text_is_evidence_for_a_direct_answer() -> None:
    cited = [
        _citation(1, None),
        _citation(2, 1),
        _citation(3, 2, "metadata_only"),
        _citation(4, None, kind="reference"),  # a paper no article lists, e.g. a library's
    ]
    assert source_quotes(cited) == [(2, "quote 2"), (4, "quote 4")]


def test_the_engine_opens_a_yes_no_answer_with_the_verdict(hash_settings: Settings) -> None:
    from assistant.index import build_index

    settings = hash_settings.model_copy(update={"relevance_threshold": 0.0})
    build_index(settings)
    asked: list[tuple[str, str]] = []

    def judge(pairs: list[tuple[str, str]]) -> list[dict[str, float]]:
        asked.extend(pairs)
        return [CONTRADICTS for _ in pairs]

    engine = AnswerEngine(settings, judge=judge, bars=Bars(0.5, 0.5))
    answer = engine.ask("Does magnesium lower CRP?")
    assert answer.direct_answer == "no" and answer.direct_answer in DIRECT_ANSWERS
    first = answer.text.splitlines()[0]
    assert first.startswith("**No**: the verifier reads [")
    marker = int(first.split("[")[1].split("]")[0])
    cited = next(c for c in answer.citations if c.marker == marker)
    assert cited.reference != "article"  # the article is never its own evidence
    assert {claim for claim, _ in asked} == {"magnesium lower CRP"}
    assert {e for _, e in asked} == {q for _, q in source_quotes(answer.citations)}

    asked.clear()
    other = engine.ask("What dose of magnesium does the article recommend?")
    assert other.direct_answer is None and not asked  # no verifier call for other questions


def test_without_a_verifier_a_yes_no_question_is_still_answered(hash_settings: Settings) -> None:
    from assistant.index import build_index

    settings = hash_settings.model_copy(
        update={"relevance_threshold": 0.0, "verifier_dir": hash_settings.index_path / "none"}
    )
    build_index(settings)
    answer = AnswerEngine(settings).ask("Does magnesium lower CRP?")
    assert not answer.declined and answer.direct_answer is None
    assert any("claim verifier could not be loaded" in n for n in answer.notes)
