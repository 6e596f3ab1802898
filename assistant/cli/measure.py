"""Commands that measure and train: eval, calibrate-verifier, train-verifier, train-strength."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from assistant.bench import (
    run_exaggeration_bench,
    write_strength_card,
)
from assistant.cli.common import emit_json, get_settings, handle_errors
from assistant.evaluation import default_out_dir, format_summary, run_eval, write_reports
from assistant.verifier import (
    StrengthClassifier,
    calibrate_support,
    train_strength,
    train_verifier,
)


# --- eval / train-verifier -----------------------------------------------------------------
@click.command("eval")
@click.option(
    "--questions",
    "questions_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Question file (JSON Lines; default eval/questions.jsonl). Format: eval/README.md.",
)
@click.option("--engine", type=click.Choice(["extractive", "llm", "local"]), default=None)
@click.option("--split", type=click.Choice(["all", "dev", "test"]), default="all")
@click.option(
    "--compare",
    multiple=True,
    metavar="KEY=VALUE",
    help="Run a second configuration side by side: mode=dense|bm25|hybrid, engine=local, or any "
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
        emit_json({**report, "outputs": paths})
        return
    click.echo(format_summary(report, paths))


@click.command("calibrate-verifier")
@handle_errors
def calibrate_verifier_cmd() -> None:
    """Measure how sure the verifier must be before the audit says "supported" (held-out
    SciFact train claims; saved beside the weights).

    Example: assistant calibrate-verifier
    """
    emit_json(calibrate_support(get_settings()))


@click.command("train-verifier")
@click.option(
    "--data",
    type=click.Choice(["scifact", "mixture"]),
    default="scifact",
    show_default=True,
    help="scifact: SciFact train pairs (the shipped model's recipe); mixture: Check-COVID, "
    "HealthVer fit part, SciFact and COVID-Fact train (256 tokens, calibrated on dev).",
)
@click.option("--epochs", type=int, default=None, help="Training epochs (default 3; mixture 2).")
@click.option("--max-claims", type=int, default=None, help="Train on a subset (smoke test).")
@click.option(
    "--max-pairs", type=int, default=None, help="Mixture: train on a seeded sample of N pairs."
)
@click.option(
    "--synthetic",
    type=click.IntRange(0),
    default=0,
    help="Mixture: add N synthetic pairs per label (restated, reversed, unrelated sentences "
    "of train abstracts).",
)
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
    data: str,
    epochs: int | None,
    max_claims: int | None,
    max_pairs: int | None,
    synthetic: int,
    seed: int,
    out_dir: Path | None,
) -> None:
    """Train the claim verifier (a MiniLM cross-encoder) on SciFact train, or on the mixture of
    public sets; dev splits are measured only (the mixture's temperature is fit on dev).

    Example: assistant train-verifier --data mixture --out .cache/verifier-mixture
    """
    metrics = train_verifier(
        get_settings(),
        out_dir=out_dir,
        epochs=epochs or (2 if data == "mixture" else 3),
        max_claims=max_claims,
        seed=seed,
        data=data,
        max_pairs=max_pairs,
        synthetic=synthetic,
    )
    emit_json(metrics)


@click.command("train-strength")
@click.option(
    "--design", type=click.Choice(["finetune", "embedding"]), default="finetune", show_default=True
)
@click.option(
    "--holdout",
    type=float,
    default=0.0,
    show_default=True,
    help="Fraction held out and measured (0: train on all, the shipped recipe).",
)
@click.option("--epochs", type=int, default=3, show_default=True)
@click.option("--seed", type=int, default=13)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Default: the shipped folder.",
)
@handle_errors
def train_strength_cmd(
    design: str, holdout: float, epochs: int, seed: int, out_dir: Path | None
) -> None:
    """Train the claim-strength classifier (0-3), then measure it on InSciOut train.

    Example: assistant train-strength --holdout 0.2 --out .cache/strength-held
    """
    settings = get_settings()
    metrics = train_strength(
        settings, out_dir, design=design, holdout_fraction=holdout, epochs=epochs, seed=seed
    )
    folder = out_dir or settings.verifier_path.parent / "strength"
    bench_result = run_exaggeration_bench(
        settings, classifier=StrengthClassifier.load(folder, settings)
    )
    write_strength_card(folder, bench_result)
    emit_json(metrics | {"exaggeration": bench_result})
