"""A conversation as the reader takes it away: Markdown or plain text of one answer (its quotes
and source list included), the whole conversation as Markdown or JSON files, and a link that
reopens an answer by asking its question again.

Nothing about the reader is stored on the server: the conversation lives in the page's own
state, an export is written only when asked for (into this process's private export folder),
and a link holds just the article and the question.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from assistant.files import atomic_write
from assistant.web.exports import export_dir

_BOLD = re.compile(r"\*\*(.+?)\*\*")


def answer_markdown(question: str, text: str) -> str:
    """One answer as Markdown: the question, then the answer text (headings in bold, quotes in
    bullets, its numbered source list with links)."""
    return f"**Question:** {question}\n\n{text.strip()}\n"


def answer_plain(question: str, text: str) -> str:
    """The same as plain text, without Markdown's asterisks."""
    return _BOLD.sub(r"\1", answer_markdown(question, text))


def conversation_markdown(turns: Sequence[dict[str, Any]], article: str) -> str:
    parts = [f"# Questions about {article}\n"]
    for n, turn in enumerate(turns, start=1):
        parts.append(f"## {n}. {turn['question']}\n\n{turn['answer'].strip()}\n")
    return "\n".join(parts)


def conversation_json(turns: Sequence[dict[str, Any]], article: str) -> str:
    """{"article", "turns": [{"question", "answer": the `ask --json` shape}]}."""
    rows = [{"question": t["question"], "answer": t.get("data") or t["answer"]} for t in turns]
    return json.dumps({"article": article, "turns": rows}, indent=2, ensure_ascii=False)


def conversation_files(turns: Sequence[dict[str, Any]], article: str) -> tuple[str, str] | None:
    """The conversation written as Markdown and JSON files (paths), or None when empty."""
    if not turns:
        return None
    data = conversation_json(turns, article)
    folder = export_dir(data)
    md, js = folder / "conversation.md", folder / "conversation.json"
    atomic_write(md, conversation_markdown(turns, article))
    atomic_write(js, data)
    return str(md), str(js)


def answer_link(article: str | None, question: str) -> str:
    """A link (relative to the page) that opens the article and asks the question again."""
    params = {"article": article, "q": question} if article else {"q": question}
    return "?" + urlencode(params)
