"""Answer: a question and retrieved evidence -> an ``Answer`` with verified citations.

Owns the answer engine (an LCEL chain: retrieve -> select -> compose -> verify), the
extractive composer, the optional LLM writer with its chat-model factory and prompts, the
local model (`local_model`, run in process by llama.cpp) and its installer (`local_install`),
the checks a written answer must pass (markers, verbatim quotes, grounded statements), the
JSON shapes of answers and verdicts, and batches of questions (`batch`).
"""

from assistant.answer.batch import answer_lines, read_questions
from assistant.answer.direct import DIRECT_ANSWERS, Bars, Direct, decide, polar_claim, source_quotes
from assistant.answer.extractive import source_lines
from assistant.answer.formats import answer_to_dict, verdict_to_dict
from assistant.answer.local_install import QWEN_CODER_1_5B, install_local_model, local_model_ready
from assistant.answer.state import DECLINE_TEXT, Turn, clean_question, retrieval_query
from assistant.answer.verify import MARKER

__all__ = [
    "DECLINE_TEXT",
    "DIRECT_ANSWERS",
    "MARKER",
    "QWEN_CODER_1_5B",
    "WRITERS",
    "AnswerEngine",
    "Bars",
    "Direct",
    "Turn",
    "answer_lines",
    "answer_to_dict",
    "clean_question",
    "decide",
    "install_local_model",
    "local_model_ready",
    "polar_claim",
    "read_questions",
    "retrieval_query",
    "source_lines",
    "source_quotes",
    "verdict_to_dict",
]

# The engine (and with it LangChain, about 0.6 s to import) loads on first use, so that the
# page, `verify` and `audit` start without it.
_ENGINE = ("AnswerEngine", "WRITERS")


def __getattr__(name: str) -> object:
    if name in _ENGINE:
        from assistant.answer import engine  # lazy: LangChain only where answers are made

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
