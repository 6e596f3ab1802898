"""docs/cli.md is every command's --help, generated: it must not drift from the commands."""

from __future__ import annotations

from conftest import REPO

from assistant.cli import COMMANDS
from assistant.cli.reference import cli_reference


def test_cli_reference_matches_the_commands() -> None:
    committed = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert committed == cli_reference(), "docs/cli.md is stale: run `make docs`"


def test_cli_reference_covers_every_command_and_subcommand() -> None:
    text = cli_reference()
    for name in COMMANDS:
        assert f"## assistant {name}\n" in text
    assert "## assistant bench scale\n" in text  # subcommands of groups too
    assert text.count("Example:") >= len(COMMANDS)  # each help shows an example
