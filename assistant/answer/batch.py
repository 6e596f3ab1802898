"""`assistant ask --batch FILE`: many questions answered by one warm engine.

Each non-blank input line is a question: plain text, or a JSON object
``{"id": ..., "question": "..."}``. Each answer is ``answer_to_dict`` with the line's ``id``
(its line number when it gives none) and ``line``. A line that is not a question (bad JSON, no
"question" text, a question the engine refuses) becomes an error entry naming its line
number; the other lines are still answered.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from assistant.answer.formats import answer_to_dict
from assistant.errors import InputError


def read_questions(lines: Iterable[str]) -> Iterator[tuple[int, Any, str | InputError]]:
    """(line number, id, the question or why the line is not one) for each non-blank line."""
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("{"):
            yield number, number, line
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, number, InputError(f"line {number}: not valid JSON ({exc.msg}).")
            continue
        ident = row.get("id", number) if isinstance(row, dict) else number
        question = row.get("question") if isinstance(row, dict) else None
        if not isinstance(question, str) or not question.strip():
            yield number, ident, InputError(f'line {number}: no "question" text in it.')
        else:
            yield number, ident, question


def answer_lines(engine: Any, lines: Iterable[str], mode: str | None = None) -> Iterator[dict]:
    """One answer (or error entry) per question line, in input order."""
    for number, ident, question in read_questions(lines):
        if isinstance(question, InputError):
            yield {"id": ident, "line": number, "error": str(question)}
            continue
        try:
            answer = engine.ask(question, engine=mode)
        except InputError as exc:
            yield {"id": ident, "line": number, "error": f"line {number}: {exc}"}
            continue
        yield {"id": ident, "line": number, **answer_to_dict(answer)}
