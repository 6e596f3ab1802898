"""Reading an eval question file (JSON Lines; the format is documented in eval/README.md).

A bad line fails the whole load with a UsageError (exit 2) that names every bad line and what
is wrong with it: skipping lines silently would change the denominators of every metric, so
figures from a half-read file could not be compared with anything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.answer import DIRECT_ANSWERS
from assistant.errors import UsageError
from assistant.evaluation.metrics import check_fact
from assistant.types import Document

SPLITS = ("dev", "test")
MAX_PROBLEMS_SHOWN = 20


@dataclass(frozen=True)
class GoldPassage:
    document: str  # document id, e.g. "article" or "ref-2"
    quote: str  # verbatim text of that document
    section: str = ""  # informational: the section path the quote sits in


@dataclass
class EvalTurn:
    question: str
    passages: list[GoldPassage] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    must_decline: bool = False
    # a yes/no question's acceptable direct answers (answer.DIRECT_ANSWERS); empty: not scored
    direct: list[str] = field(default_factory=list)


@dataclass
class EvalQuestion:
    id: str
    split: str
    category: str
    turns: list[EvalTurn]
    line: int = 0


def _turn(obj: Mapping[str, Any], where: str, problems: list[str]) -> EvalTurn | None:
    question = obj.get("question")
    if not isinstance(question, str) or not question.strip():
        problems.append(f'{where}: "question" must be a non-empty string')
        return None
    passages: list[GoldPassage] = []
    raw_passages = obj.get("passages", [])
    if not isinstance(raw_passages, list):
        problems.append(f'{where}: "passages" must be a list')
        raw_passages = []
    for i, p in enumerate(raw_passages, start=1):
        if not isinstance(p, dict) or not all(
            isinstance(p.get(k), str) and p.get(k) for k in ("document", "quote")
        ):
            problems.append(f'{where}: passage {i} needs "document" and "quote" strings')
            continue
        passages.append(GoldPassage(p["document"], p["quote"], str(p.get("section", ""))))
    facts = obj.get("facts", [])
    if not isinstance(facts, list):
        problems.append(f'{where}: "facts" must be a list of strings')
        facts = []
    for fact in facts:
        why = check_fact(fact)
        if why:
            problems.append(f"{where}: {why}")
    decline = obj.get("must_decline", False)
    if not isinstance(decline, bool):
        problems.append(f'{where}: "must_decline" must be true or false')
        decline = False
    if decline and (passages or facts):
        problems.append(f"{where}: a must_decline question cannot also have passages or facts")
    if not decline and not passages and not facts:
        problems.append(f'{where}: no gold: give passages, facts, or "must_decline": true')
    direct = obj.get("direct", [])
    direct = [direct] if isinstance(direct, str) else direct
    if not isinstance(direct, list) or not all(d in DIRECT_ANSWERS for d in direct):
        problems.append(f'{where}: "direct" must be one or a list of {", ".join(DIRECT_ANSWERS)}')
        direct = []
    facts = [f for f in facts if isinstance(f, str)]
    return EvalTurn(question.strip(), passages, facts, decline, direct)


def parse_line(text: str, where: str, problems: list[str]) -> EvalQuestion | None:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})")
        return None
    if not isinstance(obj, dict):
        problems.append(f"{where}: each line must be a JSON object")
        return None
    qid, split = obj.get("id"), obj.get("split")
    before = len(problems)
    if not isinstance(qid, str) or not qid.strip():
        problems.append(f'{where}: "id" must be a non-empty string')
    if split not in SPLITS:
        problems.append(f'{where}: "split" must be "dev" or "test", not {split!r}')
    if "turns" in obj:
        if "question" in obj or not isinstance(obj["turns"], list) or not obj["turns"]:
            problems.append(f'{where}: give either "question" or a non-empty "turns" list')
            return None
        raw = obj["turns"]
        turns = [
            _turn(t, f"{where} turn {n}", problems) if isinstance(t, dict) else None
            for n, t in enumerate(raw, start=1)
        ]
        if any(t is None for t in turns) and len(problems) == before:
            problems.append(f'{where}: every turn must be a JSON object with a "question"')
    else:
        turns = [_turn(obj, where, problems)]
    if len(problems) > before:
        return None
    category = str(obj.get("category") or "uncategorized")
    return EvalQuestion(qid, split, category, [t for t in turns if t is not None])


def load_questions(path: Path, split: str = "all") -> list[EvalQuestion]:
    """All questions of the file (or of one split), or a UsageError naming every bad line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the question file {path} ({exc}).") from exc
    problems: list[str] = []
    questions: list[EvalQuestion] = []
    seen: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        where = f"{path} line {number}"
        q = parse_line(text, where, problems)
        if q is None:
            continue
        if q.id in seen:
            problems.append(f"{where}: id {q.id!r} is already used on line {seen[q.id]}")
            continue
        seen[q.id] = number
        q.line = number
        questions.append(q)
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        raise UsageError(
            f"{len(problems)} problem(s) in the question file; fix these lines "
            "(format: eval/README.md):\n  "
            + "\n  ".join(shown)
            + (f"\n  ... and {more} more" if more else "")
        )
    if not questions:
        raise UsageError(f"the question file {path} holds no questions.")
    if split != "all":
        if split not in SPLITS:
            raise UsageError(f"split must be dev, test or all, not {split!r}.")
        questions = [q for q in questions if q.split == split]
    return questions


def check_gold(
    questions: Sequence[EvalQuestion], documents: Mapping[str, Document], path: Path
) -> None:
    """Every gold passage must name a known document and quote it verbatim."""
    problems = []
    for q in questions:
        for n, turn in enumerate(q.turns, start=1):
            where = f"{path} line {q.line}" + (f" turn {n}" if len(q.turns) > 1 else "")
            for g in turn.passages:
                doc = documents.get(g.document)
                if doc is None:
                    problems.append(
                        f"{where}: unknown document {g.document!r} (known: "
                        f"{', '.join(sorted(documents))})"
                    )
                elif g.quote not in doc.text:
                    problems.append(
                        f"{where}: quote not found verbatim in {g.document}: {g.quote[:70]!r}"
                    )
    if problems:
        raise UsageError(
            f"{len(problems)} gold passage(s) do not match the corpus:\n  "
            + "\n  ".join(problems[:MAX_PROBLEMS_SHOWN])
        )
