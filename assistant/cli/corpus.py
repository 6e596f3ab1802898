"""Commands over the documents and the index: index, search, calibrate, fetch, sources, add."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from assistant.audit import load_or_run_audit, source_overview
from assistant.cli.common import Progress, emit_json, get_settings, handle_errors
from assistant.errors import InputError, UsageError
from assistant.index import (
    HybridRetriever,
    build_index,
    evidence_to_dict,
    index_status,
    watch_index,
)
from assistant.index import calibrate as calibrate_threshold
from assistant.settings import Settings
from assistant.sources import add_documents, fetch_references


# --- index ---------------------------------------------------------------------------------
@click.command()
@click.option("--rebuild", is_flag=True, help="Start over instead of updating incrementally.")
@click.option("--status", "show_status", is_flag=True, help="List documents and staleness.")
@click.option("--watch", is_flag=True, help="Rebuild whenever a source file changes.")
@click.option("--wait", type=float, default=0, help="Seconds to wait for another build's lock.")
@click.option("--skip-audit", is_flag=True, help="Do not refresh the cached claim audit.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def index(
    rebuild: bool, show_status: bool, watch: bool, wait: float, skip_audit: bool, as_json: bool
) -> None:
    """Build or update the index of the article and its references.

    Example: assistant index --status
    """
    settings = get_settings()
    if show_status:
        status = index_status(settings)
        if as_json:
            emit_json({**asdict(status), "fresh": status.fresh})
            return
        click.echo(_format_status(status))
        return
    progress = Progress(enabled=not as_json)
    try:
        report = build_index(settings, rebuild=rebuild, progress=progress, wait=wait)
    finally:
        progress.close()
    _print_build(report, as_json)
    if not skip_audit and not as_json:
        _refresh_audit(settings)
    if watch:
        click.echo(f"watching {settings.sources_path} (Ctrl-C to stop)", err=True)
        for _ in watch_index(
            settings,
            lambda r: _print_build(r, as_json),
            on_error=lambda e: click.echo(f"error: {e} (still watching)", err=True),
        ):
            pass


def _refresh_audit(settings: Settings) -> None:
    """Bring the cached claim audit up to date, so the first answer need not wait for it.
    A corpus of references alone (no article) is indexed and searchable; it has no claims."""
    click.echo(
        "claim audit: checking (cached until the sources change; --skip-audit skips it)...",
        err=True,
    )
    try:
        report = load_or_run_audit(settings)
    except UsageError as exc:  # no article: nothing to audit, and nothing wrong with the index
        click.echo(f"claim audit: skipped: {exc}", err=True)
        return
    counts = ", ".join(f"{k} {v}" for k, v in report.counts.items() if v)
    click.echo(f"claim audit: {len(report.verdicts)} claims ({counts})")


def _print_build(report: Any, as_json: bool) -> None:
    if as_json:
        emit_json({**asdict(report), "chunks_per_second": round(report.chunks_per_second, 1)})
        return
    if report.status == "up_to_date":
        click.echo(f"index is up to date ({report.chunks_total} chunks)")
        return
    click.echo(
        f"index {report.status}{f' ({report.reason})' if report.reason else ''}: "
        f"{len(report.added)} added, {len(report.changed)} changed, {len(report.removed)} removed, "
        f"{len(report.unchanged)} unchanged; {report.chunks_embedded} chunks embedded, "
        f"{report.chunks_total} in all, {report.seconds:.1f}s "
        f"({report.chunks_per_second:.1f} chunks/s)"
    )


def _format_status(status: Any) -> str:
    if not status.built:
        return f"no index at {status.location}: run `assistant index`"
    width = max([12, *(len(d.id) for d in status.documents)])  # long ids keep columns aligned
    lines = [
        f"index at {status.location}, built {status.built_at}, "
        f"{'fresh' if status.fresh else 'STALE: run `assistant index`'}"
        + ("" if status.settings_match else " (settings changed: full rebuild needed)"),
        f"{'document':<{width}} {'kind':<10} {'provenance':<14} {'chunks':>6}  state   title",
    ]
    for d in status.documents:
        lines.append(
            f"{d.id:<{width}} {d.kind:<10} {d.provenance:<14} {d.chunks:>6}  {d.state:<7} "
            f"{d.title[:60]}"
        )
    return "\n".join([*lines, _format_calibration(status)])


def _format_calibration(status: Any) -> str:
    """Which decline threshold answers use, and how well this corpus calibrated it."""
    r, used = status.relevance, status.threshold
    if r.get("threshold") is not None and used == r["threshold"]:
        return (
            f"decline threshold {used:.3f}, calibrated on this corpus: held-out balanced "
            f"accuracy {r.get('held_out_balanced_accuracy', r.get('balanced_accuracy', 0)):.2f} "
            f"({r['positives']} questions from its sentences, {r['negatives']} off-topic)"
        )
    if r.get("threshold") is not None:
        return f"decline threshold {used:.3f} (set by relevance_threshold)"
    why = r.get("reason", "no calibration in this build")
    return (
        f"WARNING: decline threshold {used:.3f} is the default (calibrated on SciFact where "
        f"the embedder has one), not this corpus's own: {why}"
    )


# --- search --------------------------------------------------------------------------------
@click.command()
@click.argument("query")
@click.option("-k", "k", type=click.IntRange(1, 50), default=None, help="Passages to return.")
@click.option(
    "--source",
    type=click.Choice(["article", "references", "all"]),
    default="all",
    help="Search the article, its references, or both.",
)
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "dense", "bm25"]),
    default="hybrid",
    help="Retriever (hybrid fuses dense and BM25 by reciprocal rank).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def search(query: str, k: int | None, source: str, mode: str, as_json: bool) -> None:
    """Hybrid search over the indexed passages.

    Example: assistant search "magnesium and inflammation" -k 3 --source references
    """
    if not query.strip():
        raise InputError("the query is empty: give some words to search for.")
    settings = get_settings()
    results = HybridRetriever(settings).search(query, k=k, source=source, mode=mode)  # type: ignore[arg-type]
    if as_json:
        emit_json([evidence_to_dict(ev) for ev in results])
        return
    if not results:
        click.echo("no passages matched")
    for n, ev in enumerate(results, start=1):
        c = ev.chunk
        where = " > ".join(c.section) or "(top)"
        click.echo(
            f"[{n}] score {ev.score:.4f}  {c.document_id} ({c.provenance})  {where}  "
            f"chars {c.start}-{c.end}"
        )
        if c.notice:
            click.echo(f"    note: {c.notice}")
        click.echo("    " + c.text.replace("\n", "\n    "))
        click.echo()


# --- calibration ---------------------------------------------------------------------------
@click.command()
@click.option("--claims", type=int, default=400, help="SciFact train claims to use.")
@click.option("--pool", type=int, default=200, help="Sentences per pool.")
@click.option("--seed", type=int, default=13)
@handle_errors
def calibrate(claims: int, pool: int, seed: int) -> None:
    """Calibrate the evidence threshold below which answers decline (SciFact train only).

    Example: assistant calibrate --claims 400
    """
    emit_json(calibrate_threshold(get_settings(), claims=claims, pool=pool, seed=seed))


# --- fetch / add (references from PubMed Central, user documents) ------------------------
@click.command()
@click.option("--ref", "ref", type=int, default=None, help="Only this reference number.")
@click.option("--force", is_flag=True, help="Download again even if already fetched.")
@click.option("--json", "as_json", is_flag=True, help="Print the per-reference report as JSON.")
@handle_errors
def fetch(ref: int | None, force: bool, as_json: bool) -> None:
    """Download the references' full text from PubMed Central (Europe PMC as fallback).

    Then run `assistant index` to re-embed just the references that changed.
    Example: assistant fetch --ref 2
    """

    def show(result: Any) -> None:
        if not as_json:
            click.echo(
                f"reference {result.number} ({result.pmcid or '?'}): {result.status}"
                + (f" - {result.detail}" if result.detail else "")
            )

    report = fetch_references(get_settings(), only=ref, force=force, progress=show)
    if as_json:
        emit_json(report.to_dict())
    elif report.message:
        click.echo(report.message, err=report.exit_code != 0)
    sys.exit(report.exit_code)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def sources(as_json: bool) -> None:
    """List the article and its references: provenance, licence, fetch status, and whether
    each reference is what the article says it is.

    Example: assistant sources
    """
    rows = source_overview(get_settings())
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        head = (
            "Article"
            if row["kind"] == "article"
            else f"Reference {row['reference']}"
            if row["reference"] is not None
            else f"Added document ({row['id']})"  # not one of the article's numbered references
        )
        click.echo(f"{head}: {row['title']}")
        click.echo(
            f"  provenance: {row['meta'].get('supplied') or row['provenance']}; "
            f"licence: {row['licence'] or 'unknown'}; "
            f"fetch: {row['fetch_status'] or 'not fetched'}"
        )
        if row.get("url"):
            click.echo(f"  link: {row['url']}")
        if row.get("citation_check"):
            click.echo(f"  citation check: {row['citation_check']['summary']}")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--as",
    "kind",
    type=click.Choice(["reference", "article"]),
    default="reference",
    help="Add them as references (default) or as an article to check.",
)
@click.option(
    "--ref",
    type=click.IntRange(1),
    default=None,
    help="Make the one document the text of reference N of references.toml.",
)
@click.option("--replace", is_flag=True, help="Replace a document already added under that name.")
@click.option("--title", default=None, help="Title to show (one document only; default: its own).")
@handle_errors
def add(
    paths: tuple[Path, ...], kind: str, ref: int | None, replace: bool, title: str | None
) -> None:
    """Add your own documents (plain text, Markdown, JATS XML, HTML or PDF): files, or folders of
    them. A file that cannot be added is reported and the others are still added (exit 2).

    Examples: assistant add ~/papers/ && assistant index;
    assistant add trial.xml --ref 3 (the text of reference 3)
    """
    if title is not None and (len(paths) > 1 or Path(paths[0]).is_dir()):
        raise UsageError("--title names one document; give one file with it.")
    added, errors = add_documents(
        get_settings(), list(paths), kind=kind, title=title, ref=ref, replace=replace
    )
    for doc in added:
        what = f"reference {doc.reference}" if doc.reference is not None else doc.kind
        click.echo(f"added {doc.id} ({what}, {len(doc.body_blocks())} passages): {doc.title}")
    for line in errors:
        click.echo(f"error: {line}", err=True)
    if added:
        click.echo("run `assistant index` to make them searchable")
    if errors:
        sys.exit(2)
