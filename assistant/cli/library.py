"""Commands over the library of articles: new (check an article of your own), articles."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import click

from assistant.audit import load_audit, load_or_run_audit
from assistant.cli.common import Progress, emit_json, get_settings, handle_errors
from assistant.errors import UsageError
from assistant.index import build_index, index_status
from assistant.settings import Settings
from assistant.sources import fetch_references, list_articles, new_article

_HOW = {"identified": "identifier given", "matched": "matched by title", "unresolved": "unresolved"}


def _audit_counts(settings: Settings, run: bool) -> dict[str, int] | None:
    try:
        report = load_or_run_audit(settings) if run else load_audit(settings)
    except UsageError:  # an article with no claims to audit
        return None
    return None if report is None else {k: v for k, v in report.counts.items() if v}


@click.command("new")
@click.argument("source")
@click.option("--id", "article_id", default=None, help="The article's id (default: from title).")
@click.option("--replace", is_flag=True, help="Build an article of the same id again.")
@click.option(
    "--offline",
    is_flag=True,
    help="Look nothing up and download nothing: build from what the source holds.",
)
@click.option("--skip-audit", is_flag=True, help="Index, but do not audit the claims yet.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@handle_errors
def new(
    source: str,
    article_id: str | None,
    replace: bool,
    offline: bool,
    skip_audit: bool,
    as_json: bool,
) -> None:
    """Check an article of your own: SOURCE is a file (.txt, .md, .html, JATS .xml, .pdf)
    or the http(s) link of an article page. Reads its text and reference list, resolves
    each reference (PMCID, PMID, DOI), fetches open-access full text, indexes and audits.

    Example: assistant new https://example.org/vitamin-d-and-colds.html --id vitamin-d
    """
    settings = get_settings()
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def show(res: Any) -> None:
        if not as_json:
            ids = ", ".join(f"{k.upper()} {v}" for k, v in res.ids.items()) or res.remark
            click.echo(f"  reference {res.number}: {_HOW[res.status]}: {ids}", err=True)

    made = new_article(
        settings, source, article_id=article_id, replace=replace, offline=offline, progress=show
    )
    timings["read and resolve"] = time.perf_counter() - started
    fetched: Counter[str] = Counter()
    fetch_note = made.offline or ("offline: nothing fetched" if offline else "")
    if not fetch_note:
        t = time.perf_counter()
        report = fetch_references(made.settings)
        fetched.update(r.status for r in report.results)
        fetch_note = report.message
        timings["fetch"] = time.perf_counter() - t
    t = time.perf_counter()
    progress = Progress(enabled=not as_json)
    try:
        build = build_index(made.settings, progress=progress)
    finally:
        progress.close()
    timings["index"] = time.perf_counter() - t
    t = time.perf_counter()
    claims = None if skip_audit else _audit_counts(made.settings, run=True)
    if not skip_audit:
        timings["audit"] = time.perf_counter() - t
    summary = {
        "id": made.id,
        "title": made.title,
        "source": made.source,
        "references": {
            "total": len(made.resolutions),
            **Counter(r.status for r in made.resolutions),
        },
        "fetched": dict(fetched),
        "fetch_note": fetch_note,
        "links_made_citations": made.linked,
        "blocks_found_in_original": [made.mapped, made.blocks],
        "chunks": build.chunks_total,
        "claims": claims,
        "reference_file": str(made.settings.sources_path / "references.toml"),
        "unresolved": [
            {"number": r.number, "cited_as": r.cited_as, "remark": r.remark}
            for r in made.resolutions
            if r.status == "unresolved"
        ],
        "seconds": {k: round(v, 2) for k, v in timings.items()},
    }
    if as_json:
        emit_json(summary)
        return
    click.echo(_format_summary(summary))


def _format_summary(s: dict[str, Any]) -> str:
    refs = s["references"]
    lines = [
        f"Article {s['id']!r}: {s['title']}",
        f"  references: {refs['total']} ({refs.get('identified', 0)} with an identifier given, "
        f"{refs.get('matched', 0)} matched by title, {refs.get('unresolved', 0)} unresolved)",
    ]
    if not refs["total"]:
        lines.append(
            "  no reference list found (a heading such as 'References' followed by its "
            "entries): claims are checked against nothing. Add the papers with "
            f"`assistant --article {s['id']} add FILE` or write the entries into the file below."
        )
    found, blocks = s["blocks_found_in_original"]
    lines.append(f"  text: {blocks} blocks, {found} traced to their place in the original")
    if s["fetched"]:
        f = s["fetched"]
        lines.append(
            f"  fetched: {f.get('full_text', 0)} full text, {f.get('metadata_only', 0)} metadata "
            f"only, {sum(v for k, v in f.items() if k not in ('full_text', 'metadata_only'))} not"
        )
    if s["fetch_note"]:
        lines.append(f"  {s['fetch_note']}")
    if s["claims"] is not None:
        counts = ", ".join(f"{k} {v}" for k, v in s["claims"].items())
        lines.append(f"  claims: {sum(s['claims'].values())} ({counts or 'none'})")
    for r in s["unresolved"]:
        lines.append(f"  unresolved reference {r['number']}: {r['cited_as'][:80]}")
    lines.append(f"  reference file (edit it, then `assistant --article {s['id']} fetch`):")
    lines.append(f"    {s['reference_file']}")
    lines.append("  took " + ", ".join(f"{k} {v:.1f}s" for k, v in s["seconds"].items()))
    lines.append(f'Next: assistant --article {s["id"]} ask "What do the sources say?"')
    return "\n".join(lines)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def articles(as_json: bool) -> None:
    """List the library's articles: title, references resolved, claims by verdict, last
    built. Pass an id to any command as `assistant --article ID ...`.

    Example: assistant articles
    """
    rows = []
    for entry in list_articles(get_settings()):
        status = index_status(entry.settings)
        rows.append(
            {
                "id": entry.id,
                "title": entry.title,
                "references": entry.references,
                "identified": entry.identified,
                "built_at": status.built_at,
                "fresh": status.fresh,
                "claims": _audit_counts(entry.settings, run=False) if status.built else None,
            }
        )
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        built = (
            f"built {row['built_at']}{'' if row['fresh'] else ' (stale)'}"
            if row["built_at"]
            else "not built"
        )
        claims = row["claims"]
        audit = ", ".join(f"{k} {v}" for k, v in claims.items()) if claims else "no audit yet"
        click.echo(f"{row['id']}: {row['title']}")
        click.echo(
            f"  references: {row['identified']}/{row['references']} identified; {built}; "
            f"claims: {audit}"
        )
