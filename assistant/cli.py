"""The `assistant` command: a thin layer over plain functions.

Each command calls one function and prints text, or JSON with --json. Errors from the
hierarchy in assistant.errors become a message on stderr and their exit code (usage 2, other 1).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from functools import wraps
from pathlib import Path
from typing import Any

import click

from assistant.errors import AssistantError
from assistant.settings import Settings, load_settings, set_offline_env


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AssistantError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper


class _Progress:
    """A tqdm bar per stage, on stderr; silent when not a terminal and not asked for."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=stage, unit="chunk", file=sys.stderr)
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="health-article-assistant")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Ask what a health article and the papers it cites really say.

    Example: assistant index && assistant search "cortisol reduction"
    """
    set_offline_env()
    ctx.obj = None


def get_settings() -> Settings:
    ctx = click.get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        root.obj = load_settings()
    return root.obj


# --- index ---------------------------------------------------------------------------------
@main.command()
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
    from assistant.index import build as idx

    settings = get_settings()
    if show_status:
        status = idx.index_status(settings)
        if as_json:
            _emit_json({**asdict(status), "fresh": status.fresh})
            return
        click.echo(_format_status(status))
        return
    progress = _Progress(enabled=not as_json)
    try:
        report = idx.build_index(settings, rebuild=rebuild, progress=progress, wait=wait)
    finally:
        progress.close()
    _print_build(report, as_json)
    if not skip_audit and not as_json:
        _refresh_audit(settings)
    if watch:
        click.echo(f"watching {settings.sources_path} (Ctrl-C to stop)", err=True)
        for _ in idx.watch_index(
            settings,
            lambda r: _print_build(r, as_json),
            on_error=lambda e: click.echo(f"error: {e} (still watching)", err=True),
        ):
            pass


def _refresh_audit(settings: Settings) -> None:
    """Bring the cached claim audit up to date, so the first answer need not wait for it."""
    from assistant.audit import load_or_run_audit

    click.echo("claim audit: checking (cached until the sources change)...", err=True)
    report = load_or_run_audit(settings)
    counts = ", ".join(f"{k} {v}" for k, v in report.counts.items() if v)
    click.echo(f"claim audit: {len(report.verdicts)} claims ({counts})")


def _print_build(report: Any, as_json: bool) -> None:
    if as_json:
        _emit_json({**asdict(report), "chunks_per_second": round(report.chunks_per_second, 1)})
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
    lines = [
        f"index at {status.location}, built {status.built_at}, "
        f"{'fresh' if status.fresh else 'STALE: run `assistant index`'}"
        + ("" if status.settings_match else " (settings changed: full rebuild needed)"),
        f"{'document':<12} {'kind':<10} {'provenance':<14} {'chunks':>6}  state   title",
    ]
    for d in status.documents:
        lines.append(
            f"{d.id:<12} {d.kind:<10} {d.provenance:<14} {d.chunks:>6}  {d.state:<7} {d.title[:60]}"
        )
    return "\n".join(lines)


# --- search --------------------------------------------------------------------------------
@main.command()
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
    from assistant.errors import InputError
    from assistant.index import HybridRetriever, evidence_to_dict

    if not query.strip():
        raise InputError("the query is empty: give some words to search for.")
    settings = get_settings()
    results = HybridRetriever(settings).search(query, k=k, source=source, mode=mode)  # type: ignore[arg-type]
    if as_json:
        _emit_json([evidence_to_dict(ev) for ev in results])
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


# --- ask / chat -------------------------------------------------------------------------------
def _engine(settings: Settings) -> Any:
    from assistant.answer import AnswerEngine
    from assistant.audit import audit_lookup

    return AnswerEngine(settings, audit=audit_lookup(settings))


@main.command()
@click.argument("question")
@click.option(
    "--engine",
    type=click.Choice(["extractive", "llm"]),
    default=None,
    help="Answer engine (default from settings: extractive).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the Answer as JSON.")
@handle_errors
def ask(question: str, engine: str | None, as_json: bool) -> None:
    """Answer one question, quoting the passages it rests on.

    Example: assistant ask "Does magnesium lower cortisol by 25%?" --json
    """
    from assistant.answer import answer_to_dict

    settings = get_settings()
    answerer = _engine(settings)
    if as_json:
        _emit_json(answer_to_dict(answerer.ask(question, engine=engine)))
        return
    _print_streamed(answerer, question, [], engine)


def _print_streamed(answerer: Any, question: str, history: list, engine: str | None) -> Any:
    """Print the answer as it streams (a model's answer that is not kept is followed by the
    engine's own "not kept" line and the extractive answer), then what a model's [n] markers
    point to. Returns the Answer."""
    from assistant.answer import source_lines

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
    if answer.engine == "llm":
        click.echo("\n" + "\n".join(source_lines(answer.citations)))
    for note in answer.notes:
        click.echo(f"note: {note}", err=True)
    return answer


@main.command()
@click.option("--engine", type=click.Choice(["extractive", "llm"]), default=None)
@handle_errors
def chat(engine: str | None) -> None:
    """A conversation in the terminal; follow-up questions use the earlier turns.

    Example: assistant chat   (then type questions; an empty line or Ctrl-D ends)
    """
    from assistant.answer import Turn
    from assistant.errors import InputError

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


# --- calibration ---------------------------------------------------------------------------
@main.command()
@click.option("--claims", type=int, default=400, help="SciFact train claims to use.")
@click.option("--pool", type=int, default=200, help="Sentences per pool.")
@click.option("--seed", type=int, default=13)
@handle_errors
def calibrate(claims: int, pool: int, seed: int) -> None:
    """Calibrate the evidence threshold below which answers decline (SciFact train only).

    Example: assistant calibrate --claims 400
    """
    from assistant.index import calibrate as run

    _emit_json(run(get_settings(), claims=claims, pool=pool, seed=seed))


# --- fetch / add (references from PubMed Central, user documents) ------------------------
@main.command()
@click.option("--ref", "ref", type=int, default=None, help="Only this reference number.")
@click.option("--force", is_flag=True, help="Download again even if already fetched.")
@click.option("--json", "as_json", is_flag=True, help="Print the per-reference report as JSON.")
@handle_errors
def fetch(ref: int | None, force: bool, as_json: bool) -> None:
    """Download the references' full text from PubMed Central (Europe PMC as fallback).

    Then run `assistant index` to re-embed just the references that changed.
    Example: assistant fetch --ref 2
    """
    from assistant.sources import fetch_references

    def show(result: Any) -> None:
        if not as_json:
            click.echo(
                f"reference {result.number} ({result.pmcid or '?'}): {result.status}"
                + (f" - {result.detail}" if result.detail else "")
            )

    report = fetch_references(get_settings(), only=ref, force=force, progress=show)
    if as_json:
        _emit_json(report.to_dict())
    elif report.message:
        click.echo(report.message, err=report.exit_code != 0)
    sys.exit(report.exit_code)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def sources(as_json: bool) -> None:
    """List the article and its references: provenance, licence, fetch status, and whether
    each reference is what the article says it is.

    Example: assistant sources
    """
    from assistant.audit import source_overview

    rows = source_overview(get_settings())
    if as_json:
        _emit_json(rows)
        return
    for row in rows:
        head = "Article" if row["kind"] == "article" else f"Reference {row['reference']}"
        click.echo(f"{head}: {row['title']}")
        click.echo(
            f"  provenance: {row['provenance']}; licence: {row['licence'] or 'unknown'}; "
            f"fetch: {row['fetch_status'] or 'not fetched'}"
        )
        if row.get("url"):
            click.echo(f"  link: {row['url']}")
        if row.get("citation_check"):
            click.echo(f"  citation check: {row['citation_check']['summary']}")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--as",
    "kind",
    type=click.Choice(["reference", "article"]),
    default="reference",
    help="Add it as a reference (default) or as an article to check.",
)
@click.option("--title", default=None, help="Title to show (default: from the document).")
@handle_errors
def add(path: Path, kind: str, title: str | None) -> None:
    """Add your own document (plain text, Markdown, JATS XML or HTML) to the sources.

    Example: assistant add ~/papers/trial.xml && assistant index
    """
    from assistant.sources import add_document

    doc = add_document(get_settings(), path, kind=kind, title=title)  # type: ignore[arg-type]
    click.echo(f"added {doc.id} ({doc.kind}, {len(doc.body_blocks())} passages): {doc.title}")
    click.echo("run `assistant index` to make it searchable")


# --- audit ----------------------------------------------------------------------------------
@main.command()
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
@handle_errors
def audit(
    as_json: bool, markdown: bool, only: tuple[str, ...], gold: str | None, rerun: bool
) -> None:
    """Check every claim of the article against its sources: supported, partial, unsupported,
    contradicted or miscited, with the evidence and a reason.

    Example: assistant audit --verdict miscited --markdown
    """
    from assistant.answer import verdict_to_dict
    from assistant.audit import run as au

    report = au.load_or_run_audit(get_settings(), force=rerun)
    if gold:
        result = au.evaluate_audit_gold(report, gold)
        _emit_json(result) if as_json else click.echo(au.format_gold(result))
        return
    rows = [v for v in report.verdicts if not only or v.verdict in only]
    if as_json:
        _emit_json([verdict_to_dict(v) for v in rows])
    elif markdown:
        click.echo(au.format_markdown(report, rows))
    else:
        click.echo(au.format_text(report, rows))


# --- eval / bench / train-verifier -----------------------------------------------------------
@main.command("eval")
@click.option(
    "--questions",
    "questions_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Question file (JSON Lines; default eval/questions.jsonl). Format: eval/README.md.",
)
@click.option("--engine", type=click.Choice(["extractive", "llm"]), default=None)
@click.option("--split", type=click.Choice(["all", "dev", "test"]), default="all")
@click.option(
    "--compare",
    multiple=True,
    metavar="KEY=VALUE",
    help="Run a second configuration side by side: mode=dense|bm25|hybrid, engine=llm, or any "
    "setting (top_k=4). Repeat to change several things in the second configuration.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Report folder (default eval/reports/<time stamp>/).",
)
@click.option("--no-verifier", is_flag=True, help="Judge citations by token overlap instead.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@handle_errors
def eval_command(
    questions_file: str | None,
    engine: str | None,
    split: str,
    compare: tuple[str, ...],
    out_dir: str | None,
    no_verifier: bool,
    as_json: bool,
) -> None:
    """Score answers on a question set: retrieval, citations, quotes, facts, declines, latency.

    Example: assistant eval --split dev --compare mode=dense
    """
    from pathlib import Path

    from assistant.evaluation import default_out_dir, format_summary, run_eval, write_reports

    settings = get_settings()
    report = run_eval(
        settings,
        questions_path=Path(questions_file) if questions_file else None,
        engine=engine,
        compare=compare,
        split=split,
        use_verifier=not no_verifier,
        progress=not as_json and sys.stderr.isatty(),
    )
    paths = write_reports(report, Path(out_dir) if out_dir else default_out_dir(settings))
    if as_json:
        _emit_json({**report, "outputs": paths})
        return
    click.echo(format_summary(report, paths))


@main.group()
def bench() -> None:
    """Benchmarks on public data (SciFact), separate from the eval question set."""


@bench.command("scale")
@click.option("--limit", type=int, default=None, help="Use only the first N SciFact abstracts.")
@click.option("--synthetic", type=int, default=100_000, help="Synthetic chunks (0 to skip).")
@click.option("--queries", type=int, default=50, help="Queries timed at each size.")
@click.option("--workdir", type=click.Path(path_type=Path), default=Path(".cache/scale"))
@handle_errors
def bench_scale(limit: int | None, synthetic: int, queries: int, workdir: Path) -> None:
    """Index SciFact's abstracts and a synthetic store, embedded vs server mode: build
    throughput, store size, search/ask latency p50/p95.

    Example: assistant bench scale --limit 500 --synthetic 20000
    """
    from assistant.bench.scale import format_table, run_scale

    rows = run_scale(
        get_settings(),
        workdir,
        limit=limit,
        synthetic=synthetic,
        queries=queries,
        log=lambda m: click.echo(m, err=True),
    )
    click.echo(format_table(rows))


@bench.command("corpus")
@click.option(
    "--questions",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Questions timed (default eval/questions.jsonl).",
)
@click.option("--cold-runs", type=click.IntRange(1), default=3, help="Fresh-process asks timed.")
@click.option("--workdir", type=click.Path(path_type=Path), default=Path(".cache/corpus-bench"))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@handle_errors
def bench_corpus(questions: Path | None, cold_runs: int, workdir: Path, as_json: bool) -> None:
    """Index build (cold, no-op, one document edited), search and ask latency p50/p95 warm,
    and cold start, on a copy of the corpus (the real index is not touched).

    Example: assistant bench corpus --cold-runs 5
    """
    from assistant.bench.corpus import format_corpus_report, run_corpus_bench

    report = run_corpus_bench(
        get_settings(),
        workdir,
        questions=questions,
        cold_runs=cold_runs,
        log=lambda m: click.echo(m, err=True),
    )
    click.echo(json.dumps(report, indent=2) if as_json else format_corpus_report(report))


@bench.command("load")
@click.option("--url", default="http://127.0.0.1:7860", help="A running page (loopback only).")
@click.option("--levels", default="1,4,16", help="Concurrent sessions per level.")
@click.option("--per-session", type=int, default=5, help="Questions each session asks.")
@click.option("--time-limit", type=float, default=300.0, help="Seconds per level at most.")
@handle_errors
def bench_load(url: str, levels: str, per_session: int, time_limit: float) -> None:
    """N concurrent chat sessions against a running page through gradio_client.

    Example: assistant serve & assistant bench load --levels 1,4,16
    """
    from assistant.bench.load import format_table, run_load

    counts = tuple(int(x) for x in levels.split(",") if x.strip())
    # run_load fails (exit 1, the table on stderr) unless every request was answered
    rows = run_load(url, counts, per_session, time_limit, log=lambda m: click.echo(m, err=True))
    click.echo(format_table(rows))


@bench.command("scifact-retrieval")
@click.option(
    "--methods",
    default=None,
    help="Comma-separated: bm25, dense, hybrid, rerank. Default: all four when a trained "
    "reranker exists (`assistant bench train-reranker`), else the first three.",
)
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the first N queries.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def bench_scifact_retrieval(methods: str | None, limit: int | None, as_json: bool) -> None:
    """nDCG@10 and recall@100 on BEIR SciFact test, beside published figures.

    Example: assistant bench scifact-retrieval --methods bm25,dense,hybrid
    """
    from assistant.bench.reranker import reranker_path
    from assistant.bench.scifact import format_table, run_retrieval_benchmark

    if methods is None:
        methods = "bm25,dense,hybrid"
        if (reranker_path(get_settings()) / "reranker.json").exists():
            methods += ",rerank"
        else:
            click.echo("no trained reranker: `assistant bench train-reranker` adds it", err=True)
    chosen = [m.strip() for m in methods.split(",") if m.strip()]
    progress = _Progress(enabled=not as_json and sys.stderr.isatty())
    try:
        result = run_retrieval_benchmark(get_settings(), chosen, limit=limit, progress=progress)
    finally:
        progress.close()
    if as_json:
        _emit_json(result)
        return
    click.echo(format_table(result))


@bench.command("train-reranker")
@click.option("--epochs", type=click.IntRange(1), default=2, show_default=True)
@click.option("--seed", type=int, default=13, show_default=True)
@click.option("--max-queries", type=click.IntRange(1), default=None, help="Quick check only.")
@handle_errors
def bench_train_reranker(epochs: int, seed: int, max_queries: int | None) -> None:
    """Train the SciFact cross-encoder reranker on BEIR SciFact train (never on test).

    Example: assistant bench train-reranker && assistant bench scifact-retrieval --methods
    bm25,dense,hybrid,rerank
    """
    from assistant.bench.reranker import train_reranker

    progress = _Progress(enabled=sys.stderr.isatty())
    try:
        meta = train_reranker(
            get_settings(), epochs=epochs, seed=seed, max_queries=max_queries, progress=progress
        )
    finally:
        progress.close()
    _emit_json({k: v for k, v in meta.items() if k != "log"} | {"epochs": meta["log"]["epochs"]})


@bench.command("scifact-verify")
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the first N claims.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def bench_scifact_verify(limit: int | None, as_json: bool) -> None:
    """The claim verifier on SciFact dev given the gold abstract: accuracy and macro-F1.

    Example: assistant bench scifact-verify
    """
    from assistant.verifier import model as ver

    settings = get_settings()
    result = ver.evaluate_scifact_dev(
        settings, ver.Verifier.load(settings=settings), max_claims=limit
    )
    if as_json:
        _emit_json(result)
        return
    click.echo(f"SciFact dev, {result['claims']} claims (label given the gold abstract)")
    for mode in ("oracle", "abstract", "baseline_pairs"):
        if mode in result:
            r = result[mode]
            click.echo(
                f"{mode:<15} accuracy {r['accuracy']:.3f}  macro-F1 {r['macro_f1']:.3f}  "
                f"({r['n']} items, {r['seconds_per_claim'] * 1000:.0f} ms per claim)"
            )


@main.command("calibrate-verifier")
@handle_errors
def calibrate_verifier_cmd() -> None:
    """Measure how sure the verifier must be before the audit says "supported" (held-out
    SciFact train claims; saved beside the weights).

    Example: assistant calibrate-verifier
    """
    from assistant.verifier import calibrate_support

    _emit_json(calibrate_support(get_settings()))


@main.command("train-verifier")
@click.option("--epochs", type=int, default=3, help="Training epochs.")
@click.option("--max-claims", type=int, default=None, help="Train on a subset (smoke test).")
@click.option("--seed", type=int, default=13)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to save the model (default: the shipped verifier folder).",
)
@handle_errors
def train_verifier_cmd(
    epochs: int, max_claims: int | None, seed: int, out_dir: Path | None
) -> None:
    """Train the claim verifier (a MiniLM cross-encoder) on SciFact train; dev is measured only.

    Example: assistant train-verifier --epochs 3
    """
    from assistant.verifier import train_verifier

    metrics = train_verifier(
        get_settings(), out_dir=out_dir, epochs=epochs, max_claims=max_claims, seed=seed
    )
    _emit_json(metrics)


# --- serve ----------------------------------------------------------------------------------
@main.command()
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1, from settings).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default 7860).")
@handle_errors
def serve(host: str | None, port: int | None) -> None:
    """Start the chat page. Another host than 127.0.0.1 needs ASSISTANT_AUTH_USER/_PASSWORD.

    Example: assistant serve --port 7860
    """
    from assistant.web import serve as run_page

    run_page(get_settings(), host=host, port=port)


if __name__ == "__main__":  # pragma: no cover
    main()
