"""A conversation as the reader takes it away: copy texts, export files, answer links."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from assistant.types import Answer
from assistant.web.conversation import (
    answer_link,
    answer_markdown,
    answer_plain,
    conversation_files,
    conversation_json,
    conversation_markdown,
)
from assistant.web.render import render_answer

TEXT = '**What the article says**\n- "Women: 310–320 mg/day" [1]\n\nSources:\n[1] Article > Dosage'
TURNS = [
    {"question": "RDA for women?", "answer": TEXT, "data": {"answer": TEXT, "citations": []}},
    {"question": "And <men>?", "answer": "Men: 400 [1]"},
]


def test_an_answer_copies_as_markdown_or_plain_text_with_its_sources() -> None:
    md = answer_markdown("RDA for women?", TEXT)
    assert md.startswith("**Question:** RDA for women?") and "Sources:\n[1] Article" in md
    plain = answer_plain("RDA for women?", TEXT)
    assert "**" not in plain and "What the article says" in plain and "[1] Article" in plain


def test_the_conversation_exports_as_markdown_and_json() -> None:
    md = conversation_markdown(TURNS, "magnesium")
    assert md.startswith("# Questions about magnesium")
    assert "## 1. RDA for women?" in md and "## 2. And <men>?" in md  # Markdown, not HTML
    data = json.loads(conversation_json(TURNS, "magnesium"))
    assert data["article"] == "magnesium"
    assert data["turns"][0]["answer"]["citations"] == []  # the full answer when it was kept
    assert data["turns"][1]["answer"] == "Men: 400 [1]"
    paths = conversation_files(TURNS, "magnesium")
    assert paths is not None
    assert Path(paths[0]).read_text(encoding="utf-8") == md
    assert json.loads(Path(paths[1]).read_text(encoding="utf-8")) == data
    assert conversation_files([], "magnesium") is None


def test_an_answer_link_names_only_the_article_and_the_question() -> None:
    link = answer_link("vitamin-d", "Does it help & how?")
    assert parse_qs(urlparse(link).query) == {
        "article": ["vitamin-d"],
        "q": ["Does it help & how?"],
    }
    answer = Answer("Is <it> safe?", TEXT, False)
    root = ET.fromstring(render_answer(answer, {}, "vitamin-d"))
    hrefs = {a.get("class"): a.get("href") for a in root.iter("a")}
    assert parse_qs(urlparse(hrefs["answer-link"]).query)["q"] == ["Is <it> safe?"]
    hidden = {p.get("class"): "".join(p.itertext()) for p in root.iter("pre")}
    assert hidden["ans-copy ans-copy-md"] == answer_markdown("Is <it> safe?", TEXT)
    assert hidden["ans-copy ans-copy-text"] == answer_plain("Is <it> safe?", TEXT)
