"""The CLI reference, docs/cli.md, generated from every command's own --help.

    python -m assistant.cli.reference > docs/cli.md     (or: make docs)

A test regenerates it and fails when the committed file has drifted from the commands.
"""

from __future__ import annotations

import click

from assistant.cli import main

__all__ = ["cli_reference"]


def _walk(command: click.Command, ctx: click.Context, path: list[str]) -> list[str]:
    out = [f"## {' '.join(path)}", "", "```", command.get_help(ctx).rstrip(), "```", ""]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                with click.Context(
                    sub, info_name=name, parent=ctx, **sub.context_settings
                ) as sub_ctx:
                    out += _walk(sub, sub_ctx, [*path, name])
    return out


def cli_reference() -> str:
    """Markdown: one section per command and subcommand, each its --help text."""
    head = [
        "# CLI reference",
        "",
        "Generated from each command's `--help` by `make docs`; do not edit by hand.",
        "",
    ]
    # as `assistant --help` builds it: the group's own settings (-h), a fixed width
    options = {**main.context_settings, "terminal_width": 100, "max_content_width": 100}
    with click.Context(main, info_name="assistant", **options) as ctx:
        return "\n".join(head + _walk(main, ctx, ["assistant"]))


if __name__ == "__main__":
    print(cli_reference(), end="")
