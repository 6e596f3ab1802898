"""Answer: a question and retrieved evidence -> an ``Answer`` with verified citations.

Owns the answer engine (an LCEL chain: retrieve -> select -> compose -> verify), the
extractive composer, the optional LLM writer with its chat-model factory and prompts, and the
checks a written answer must pass (markers, verbatim quotes, grounded statements).
"""

from assistant.answer.engine import (
    DECLINE_TEXT,
    AnswerEngine,
    Turn,
    answer_to_dict,
    clean_question,
    retrieval_query,
    source_lines,
    verdict_to_dict,
)
from assistant.answer.verify import MARKER

__all__ = [
    "DECLINE_TEXT",
    "MARKER",
    "AnswerEngine",
    "Turn",
    "answer_to_dict",
    "clean_question",
    "retrieval_query",
    "source_lines",
    "verdict_to_dict",
]
