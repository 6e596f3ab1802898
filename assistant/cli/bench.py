"""`assistant bench ...`: benchmarks on public data and on the product itself."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from assistant.bench import (
    format_audit_table,
    format_claims_table,
    format_corpus_report,
    format_exaggeration_table,
    format_lexical_table,
    format_load_table,
    format_pubmedqa_table,
    format_retrieval_table,
    format_scale_table,
    format_sentence_table,
    format_sizes_table,
    format_update_table,
    reranker_path,
    run_audit_bench,
    run_claims_bench,
    run_corpus_bench,
    run_exaggeration_bench,
    run_lexical_bench,
    run_load,
    run_pubmedqa_bench,
    run_retrieval_benchmark,
    run_scale,
    run_sentence_bench,
    run_sizes,
    run_update_bench,
    train_reranker,
)
from assistant.cli.common import Progress, emit_json, get_settings, handle_errors
from assistant.errors import UsageError
from assistant.verifier import (
    DATASETS,
    Verifier,
    evaluate_scifact_dev,
)


@click.group()
def bench() -> None:
    """Benchmarks on public data (SciFact), separate from the eval question set."""


@bench.command("scale")
@click.option("--limit", type=int, default=None, help="Use only the first N SciFact abstracts.")
@click.option("--synthetic", type=int, default=100_000, help="Synthetic chunks (0 to skip).")
@click.option(
    "--sizes",
    default=None,
    help="Comma-separated synthetic sizes (e.g. 10000,100000,1000000): per size and mode, "
    "build, load, RSS, disk and lexical / dense / hybrid latency, instead of the SciFact run.",
)
@click.option(
    "--modes",
    default="embedded,server",
    show_default=True,
    help="Store modes to run with --sizes; `lexical` measures the lexical index and chunk "
    "table alone, without Chroma.",
)
@click.option("--queries", type=int, default=50, help="Queries timed at each size.")
@click.option("--workdir", type=click.Path(path_type=Path), default=Path(".cache/scale"))
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with --sizes).")
@handle_errors
def bench_scale(
    limit: int | None,
    synthetic: int,
    sizes: str | None,
    modes: str,
    queries: int,
    workdir: Path,
    as_json: bool,
) -> None:
    """Index SciFact's abstracts and a synthetic store, embedded vs server mode: build
    throughput, store size, search/ask latency p50/p95.

    Example: assistant bench scale --limit 500 --synthetic 20000
    (or: assistant bench scale --sizes 10000,100000 --json)
    """
    log = lambda m: click.echo(m, err=True)  # noqa: E731
    if sizes:
        counts = [int(x) for x in sizes.split(",") if x.strip()]
        wanted = tuple(m.strip() for m in modes.split(",") if m.strip())
        if not wanted or set(wanted) - {"embedded", "server", "lexical"}:
            raise UsageError(f"--modes {modes!r}: choose from embedded, server, lexical.")
        found = run_sizes(get_settings(), workdir, counts, queries=queries, modes=wanted, log=log)
        emit_json(found) if as_json else click.echo(format_sizes_table(found))
        return
    rows = run_scale(
        get_settings(), workdir, limit=limit, synthetic=synthetic, queries=queries, log=log
    )
    click.echo(format_scale_table(rows))


@bench.command("update")
@click.option("--documents", type=click.IntRange(1), default=25_000, show_default=True)
@click.option("--updates", type=click.IntRange(0), default=3, show_default=True)
@click.option("--workdir", type=click.Path(path_type=Path), default=Path(".cache/update-bench"))
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
@handle_errors
def bench_update(documents: int, updates: int, workdir: Path, as_json: bool) -> None:
    """Build synthetic documents (hashing embedder, about four passages each), then change
    one document at a time: seconds per build and per stage, and the segments after it.

    Example: assistant bench update --documents 25000 --updates 3
    """
    log = lambda m: click.echo(m, err=True)  # noqa: E731
    rows = run_update_bench(get_settings(), workdir, documents, updates, log=log)
    emit_json(rows) if as_json else click.echo(format_update_table(rows))


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
    report = run_corpus_bench(
        get_settings(),
        workdir,
        questions=questions,
        cold_runs=cold_runs,
        log=lambda m: click.echo(m, err=True),
    )
    click.echo(json.dumps(report, indent=2) if as_json else format_corpus_report(report))


@bench.command("load")
@click.option(
    "--url",
    default="http://127.0.0.1:7860",
    help="A running page (loopback only); several, comma-separated, share the sessions.",
)
@click.option("--levels", default="1,4,16", help="Concurrent sessions per level.")
@click.option("--per-session", type=int, default=5, help="Questions each session asks.")
@click.option("--time-limit", type=float, default=300.0, help="Seconds per level at most.")
@handle_errors
def bench_load(url: str, levels: str, per_session: int, time_limit: float) -> None:
    """N concurrent chat sessions against a running page through gradio_client.

    Example: assistant serve & assistant bench load --levels 1,4,16
    (two replicas: --url http://127.0.0.1:7860,http://127.0.0.1:7861)
    """
    counts = tuple(int(x) for x in levels.split(",") if x.strip())
    # run_load fails (exit 1, the table on stderr) unless every request was answered
    urls = [u.strip() for u in url.split(",") if u.strip()]
    rows = run_load(urls, counts, per_session, time_limit, log=lambda m: click.echo(m, err=True))
    click.echo(format_load_table(rows))


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
    if methods is None:
        methods = "bm25,dense,hybrid"
        if (reranker_path(get_settings()) / "reranker.json").exists():
            methods += ",rerank"
        else:
            click.echo("no trained reranker: `assistant bench train-reranker` adds it", err=True)
    chosen = [m.strip() for m in methods.split(",") if m.strip()]
    progress = Progress(enabled=not as_json and sys.stderr.isatty())
    try:
        result = run_retrieval_benchmark(get_settings(), chosen, limit=limit, progress=progress)
    finally:
        progress.close()
    if as_json:
        emit_json(result)
        return
    click.echo(format_retrieval_table(result))


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
    progress = Progress(enabled=sys.stderr.isatty())
    try:
        meta = train_reranker(
            get_settings(), epochs=epochs, seed=seed, max_queries=max_queries, progress=progress
        )
    finally:
        progress.close()
    emit_json({k: v for k, v in meta.items() if k != "log"} | {"epochs": meta["log"]["epochs"]})


@bench.command("sentences")
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the first N abstracts.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def bench_sentences(limit: int | None, as_json: bool) -> None:
    """Sentence splitters (ours; pysbd, syntok if installed) on SciFact's gold sentences.

    Example: assistant bench sentences --limit 1000
    """
    rows = run_sentence_bench(get_settings().scifact_path, limit)
    emit_json(rows) if as_json else click.echo(format_sentence_table(rows))


@bench.command("scifact-verify")
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the first N claims.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def bench_scifact_verify(limit: int | None, as_json: bool) -> None:
    """The claim verifier on SciFact dev given the gold abstract: accuracy and macro-F1.

    Example: assistant bench scifact-verify
    """
    settings = get_settings()
    result = evaluate_scifact_dev(settings, Verifier.load(settings=settings), max_claims=limit)
    if as_json:
        emit_json(result)
        return
    click.echo(f"SciFact dev, {result['claims']} claims (label given the gold abstract)")
    for mode in ("oracle", "abstract", "baseline_pairs"):
        if mode in result:
            r = result[mode]
            click.echo(
                f"{mode:<15} accuracy {r['accuracy']:.3f}  macro-F1 {r['macro_f1']:.3f}  "
                f"({r['n']} items, {r['seconds_per_claim'] * 1000:.0f} ms per claim)"
            )


@bench.command("claims")
@click.option(
    "--dataset",
    type=click.Choice([*DATASETS, "exaggeration"]),
    required=True,
    help="A public claim set (its gold evidence given), or exaggeration (InSciOut train).",
)
@click.option("--split", default="dev", show_default=True, help="dev (healthver: dev or fit).")
@click.option(
    "--models",
    default="shipped",
    show_default=True,
    help="Comma-separated: shipped (the configured verifier) and/or trained model folders.",
)
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the first N claims.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def bench_claims(dataset: str, split: str, models: str, limit: int | None, as_json: bool) -> None:
    """Verifiers side by side on a public claim set (claim vs its gold evidence) beside a
    majority-class baseline: accuracy, macro-F1, per-class F1, confusion, time per claim.

    Example: assistant bench claims --dataset check-covid --models shipped,.cache/verifier-mixture
    """
    settings = get_settings()
    if dataset == "exaggeration":
        result = run_exaggeration_bench(settings, limit=limit)
        table = format_exaggeration_table
    else:
        chosen = [m.strip() for m in models.split(",") if m.strip()]
        result = run_claims_bench(settings, dataset, split, chosen, limit=limit)
        table = format_claims_table
    if as_json:
        emit_json(result)
        return
    click.echo(table(result))


@bench.command("audit")
@click.option("--dataset", type=click.Choice(DATASETS), default="check-covid", show_default=True)
@click.option("--split", default="dev", show_default=True, help="dev (healthver: dev or fit).")
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the first N claims.")
@click.option("--workdir", type=click.Path(path_type=Path), default=Path(".cache/audit-bench"))
@click.option(
    "--ask",
    is_flag=True,
    help="Then ask each claim back as a question: are the answers' warnings about it?",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def bench_audit(
    dataset: str, split: str, limit: int | None, workdir: Path, ask: bool, as_json: bool
) -> None:
    """The whole audit on an article made of a claim set: each claim cites its abstract as
    [n]; verdicts against gold labels (accuracy, macro-F1, confusion, cited reference first).

    Example: assistant bench audit --dataset check-covid --split dev

    Example: assistant bench audit --limit 30 --ask
    """
    log = (lambda m: click.echo(m, err=True)) if as_json else click.echo
    result = run_audit_bench(get_settings(), workdir, dataset, split, limit, log=log, ask=ask)
    if as_json:
        emit_json(result)
        return
    click.echo(format_audit_table(result))


@bench.command("lexical")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def bench_lexical(as_json: bool) -> None:
    """Lexical engines (bm25s; rank_bm25, tantivy if installed) on BEIR SciFact, same tokens.

    Example: assistant bench lexical
    """
    result = run_lexical_bench(get_settings())
    emit_json(result) if as_json else click.echo(format_lexical_table(result))


@bench.command("pubmedqa")
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the first N questions.")
@click.option("--workdir", type=click.Path(path_type=Path), default=Path(".cache/pubmedqa"))
@click.option(
    "--engine",
    type=click.Choice(["extractive", "llm", "local"]),
    default="extractive",
    help="Answer engine (a language model's answers count where they were kept).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def bench_pubmedqa(limit: int | None, workdir: Path, engine: str, as_json: bool) -> None:
    """Answers to PubMedQA's dev questions over their abstracts: cites its own abstract,
    quotes its conclusion, and the direct yes / no answer against the expert label.

    Example: assistant bench pubmedqa --limit 200

    Example: assistant bench pubmedqa --limit 30 --engine local
    """
    result = run_pubmedqa_bench(
        get_settings(), workdir, limit, log=lambda m: click.echo(m, err=True), engine_name=engine
    )
    emit_json(result) if as_json else click.echo(format_pubmedqa_table(result))
