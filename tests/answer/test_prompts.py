"""Prompt files: their placeholders are exactly what the code fills in."""

import pytest

from assistant.answer import DECLINE_TEXT
from assistant.answer.prompts import PLACEHOLDERS, load_prompt, placeholders, render
from assistant.errors import ConfigError
from assistant.settings import Settings


@pytest.mark.parametrize("name", sorted(PLACEHOLDERS))
def test_shipped_prompts_have_the_expected_placeholders(name: str) -> None:
    text = load_prompt(Settings(), name)
    assert placeholders(text) == PLACEHOLDERS[name]


def test_system_prompt_carries_the_shared_decline_phrase() -> None:
    text = render(Settings(), "answer_system", decline_text=DECLINE_TEXT)
    assert DECLINE_TEXT in text


def test_a_prompt_with_a_wrong_placeholder_is_refused(tmp_path) -> None:
    (tmp_path / "answer_user.md").write_text("Question: {question}\n{passage}\n")
    with pytest.raises(ConfigError, match="placeholders"):
        load_prompt(Settings(prompts_dir=tmp_path), "answer_user")
    with pytest.raises(ConfigError, match="not found"):
        load_prompt(Settings(prompts_dir=tmp_path), "answer_system")
