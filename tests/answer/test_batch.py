"""`assistant ask --batch`: many questions in one warm process, one JSON answer per line;
a line that is no question becomes an error entry naming its line number, and the rest are
still answered (exit 2 after)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import RunCli

from assistant.answer import read_questions
from assistant.errors import InputError
from assistant.settings import Settings


def test_read_questions_takes_plain_lines_and_json_lines() -> None:
    lines = ["How much?\n", "\n", '{"id": "q2", "question": "Why?"}\n', '{"id": 7}\n', "{oops\n"]
    got = list(read_questions(lines))
    assert [(n, i, q) for n, i, q in got[:2]] == [(1, 1, "How much?"), (3, "q2", "Why?")]
    (n4, i4, e4), (n5, i5, e5) = got[2:]
    assert (n4, i4) == (4, 7) and isinstance(e4, InputError) and "line 4" in str(e4)
    assert (n5, i5) == (5, 5) and isinstance(e5, InputError) and "not valid JSON" in str(e5)


@pytest.mark.slow
def test_ask_batch_answers_every_good_line(
    real_settings: Settings, monkeypatch: pytest.MonkeyPatch, cli: RunCli, tmp_path: Path
) -> None:
    monkeypatch.setenv("ASSISTANT_SOURCES_DIR", str(real_settings.sources_path))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(real_settings.index_path))
    questions = tmp_path / "questions.txt"
    questions.write_text(
        "What is the recommended dietary allowance of magnesium for women?\n"
        '{"id": "bad", "question": ""}\n'
        '{"id": "q3", "question": "Does magnesium lower cortisol by 25%?"}\n',
        encoding="utf-8",
    )
    result = cli("ask", "--batch", str(questions))
    assert result.exit_code == 2, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == [1, "bad", "q3"]
    assert "310" in " ".join(c["quote"] for c in rows[0]["citations"])
    assert rows[1]["line"] == 2 and 'no "question" text' in rows[1]["error"]
    assert rows[2]["declined"] is False and rows[2]["question"].startswith("Does magnesium")
    assert "1 line(s)" in result.stderr
    both = cli("ask", "Why?", "--batch", str(questions))
    assert both.exit_code == 2 and "not both" in both.output
