"""Questions not in English are told apart, and the answer says so first; English ones,
however technical, never are (the eval's questions and PubMedQA dev's 500)."""

from __future__ import annotations

import json

import pytest
from conftest import REPO

from assistant.answer import AnswerEngine
from assistant.answer.language import other_language
from assistant.settings import Settings

OTHER = REPO / "tests" / "fixtures" / "questions" / "not_english.txt"
PUBMEDQA = REPO.parent / "shared" / "benchmarks" / "pubmedqa" / "pqal_dev.json"


def _english() -> list[str]:
    rows = [json.loads(line) for line in (REPO / "eval" / "questions.jsonl").open() if line.strip()]
    questions = [r.get("question") or r["turns"][0]["question"] for r in rows]
    if PUBMEDQA.is_file():
        questions += [v["QUESTION"] for v in json.loads(PUBMEDQA.read_text()).values()]
    return questions


def test_english_questions_are_never_flagged() -> None:
    questions = _english()
    assert len(questions) >= 56
    flagged = [q for q in questions if other_language(q)]
    assert flagged == []


def test_questions_in_other_languages_are() -> None:
    lines = [ln for ln in OTHER.read_text(encoding="utf-8").splitlines() if ln and ln[0] != "#"]
    missed = [q for q in lines if other_language(q) is None]
    assert len(lines) == 20 and missed == []
    assert other_language("Senkt Magnesium den Cortisolspiegel?") == "German"


@pytest.mark.slow
def test_the_answer_says_first_that_the_question_is_not_english(real_settings: Settings) -> None:
    answer = AnswerEngine(real_settings).ask("Senkt Magnesium den Cortisolspiegel?")
    assert answer.text.startswith("This question looks German.")
    assert "ask in English" in answer.notes[0]
    english = AnswerEngine(real_settings).ask("Does magnesium lower cortisol?")
    assert "looks" not in english.text.split("\n")[0]
