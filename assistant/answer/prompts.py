"""Prompt templates live in prompts/ as files and are loaded by name.

Placeholders are ``{name}``; a template whose placeholders differ from what the code supplies
is an error, found by a test rather than by a user.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from assistant.errors import ConfigError
from assistant.settings import Settings

# What each template must contain, exactly: the code fills these and nothing else.
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "answer_system": frozenset({"decline_text"}),
    "answer_user": frozenset({"history", "passages", "question"}),
}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@lru_cache(maxsize=32)
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load_prompt(settings: Settings, name: str) -> str:
    path = settings.prompts_path / f"{name}.md"
    if not path.exists():
        raise ConfigError(f"prompt {name!r} not found at {path}; check prompts_dir.")
    text = _read(path)
    expected = PLACEHOLDERS.get(name)
    if expected is not None and placeholders(text) != expected:
        raise ConfigError(
            f"prompt {path} has placeholders {sorted(placeholders(text))}, "
            f"expected {sorted(expected)}."
        )
    return text


def render(settings: Settings, name: str, **values: str) -> str:
    return load_prompt(settings, name).format(**values)
