"""What every command shares: settings from the click context, JSON output, errors turned
into exit codes (usage 2, others 1), and progress bars on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from assistant.errors import AssistantError
from assistant.settings import Settings, load_settings
from assistant.sources import for_article

__all__ = ["Progress", "emit_json", "get_settings", "handle_errors"]


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def batch_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The ``--batch FILE`` option of a command that also takes one item on the command line."""
    return click.option(
        "--batch",
        type=click.Path(path_type=Path, exists=True, dir_okay=False),
        default=None,
        help=help_text,
    )


def emit_batch(rows: Iterable[dict], source: Path, failed: str) -> None:
    """Print each row as one JSON line, as it comes. Rows holding an "error" are the input
    lines that ``failed`` ("could not be read"): if any, say how many and exit 2."""
    bad = 0
    for row in rows:
        bad += "error" in row
        click.echo(json.dumps(row, ensure_ascii=False))
    if bad:
        click.echo(f"{bad} line(s) of {source} {failed}; see their error entries.", err=True)
        sys.exit(2)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AssistantError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:  # a file the user named that cannot be read or written
            where = f" ({exc.filename})" if exc.filename else ""
            click.echo(f"error: {exc.strerror or exc}{where}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper


class Progress:
    """A tqdm bar per stage, on stderr; silent when not a terminal and not asked for."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or not total:  # a stage's name alone: no bar
            return
        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=stage, unit="chunk", file=sys.stderr)
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def get_settings() -> Settings:
    ctx = click.get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        settings = load_settings()
        root.obj = for_article(settings, root.meta.get("article") or settings.article)
    return root.obj
