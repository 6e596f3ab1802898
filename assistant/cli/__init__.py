"""The `assistant` command: a thin layer over plain functions.

Each command calls one function and prints text, or JSON with --json. Errors from the
hierarchy in assistant.errors become a message on stderr and their exit code (usage 2, other
1). Commands live by subject in assistant.cli.corpus, .library, .answers, .check,
.measure and .bench; the group imports a command's module only when that command runs, so
`assistant ask` never pays for the benchmarks' imports. ``--article ID`` before the command
picks the library article every command works on.
"""

from __future__ import annotations

import importlib

import click

from assistant.settings import set_offline_env

__all__ = ["COMMANDS", "main"]

# command name -> "module:attribute", imported on first use
COMMANDS = {
    "index": "assistant.cli.corpus:index",
    "search": "assistant.cli.corpus:search",
    "calibrate": "assistant.cli.corpus:calibrate",
    "fetch": "assistant.cli.corpus:fetch",
    "sources": "assistant.cli.corpus:sources",
    "add": "assistant.cli.corpus:add",
    "new": "assistant.cli.library:new",
    "articles": "assistant.cli.library:articles",
    "ask": "assistant.cli.answers:ask",
    "chat": "assistant.cli.answers:chat",
    "audit": "assistant.cli.answers:audit",
    "serve": "assistant.cli.answers:serve",
    "local-model": "assistant.cli.answers:local_model",
    "verify": "assistant.cli.check:verify",
    "eval": "assistant.cli.measure:eval_command",
    "bench": "assistant.cli.bench:bench",
    "calibrate-verifier": "assistant.cli.measure:calibrate_verifier_cmd",
    "train-verifier": "assistant.cli.measure:train_verifier_cmd",
    "train-strength": "assistant.cli.measure:train_strength_cmd",
}

# commands that work on one article of the library: they take --article after their name too
ARTICLE_COMMANDS = {"index", "search", "calibrate", "fetch", "sources", "add"}
ARTICLE_COMMANDS |= {"ask", "chat", "audit", "serve"}


class LazyGroup(click.Group):
    """A group whose commands are imported when first asked for (by name, or for --help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, attribute = COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module), attribute)
            if cmd_name in ARTICLE_COMMANDS:
                _take_article_option(command)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


def _remember_article(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.find_root().meta["article"] = value


def _take_article_option(command: click.Command) -> None:
    if not any(p.name == "article" for p in command.params):
        command.params.append(
            click.Option(
                ["--article"],
                metavar="ID",
                expose_value=False,
                callback=_remember_article,
                help="The library article to work on (as `assistant --article ID`).",
            )
        )


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="health-article-assistant")
@click.option(
    "--article",
    "article",
    default=None,
    metavar="ID",
    help="The library article to work on (`assistant articles` lists them; default: "
    "ASSISTANT_ARTICLE, else the article added last, else the bundled one).",
)
@click.pass_context
def main(ctx: click.Context, article: str | None) -> None:
    """Ask what a health article and the papers it cites really say.

    Example: assistant index && assistant search "cortisol reduction"
    """
    set_offline_env()
    ctx.obj = None
    ctx.meta["article"] = article
