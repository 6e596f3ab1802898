"""`assistant verify`: check claims against evidence with the claim verifier and the
claim-strength classifier, one claim or a JSON-lines batch."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from assistant.cli.common import emit_json, get_settings, handle_errors
from assistant.errors import InputError, UsageError
from assistant.verifier import StrengthClassifier, Verifier
from assistant.verifier.check import batches, check_claims, make_input, read_batch


def _print_one(result: dict, as_json: bool) -> None:
    if as_json:
        emit_json(result)
        return
    p = result["probabilities"]
    s = result["strength"]
    click.echo(
        f"{result['label']}  (supported {p['supported']:.2f}, contradicted "
        f"{p['contradicted']:.2f}, not enough info {p['not_enough_info']:.2f})"
    )
    click.echo(f"claim strength {s['claim']}, evidence strength {s['evidence']}")
    if result["exaggerates"]:
        click.echo("the claim states a stronger relation than its evidence")


def _run_batch(path: Path, verifier: Verifier, strength: StrengthClassifier) -> int:
    """Print one JSON line per input line; returns how many lines were bad."""
    bad = 0
    with path.open(encoding="utf-8") as handle:
        for piece in batches(read_batch(handle)):
            good = [(n, item) for n, item, _ in piece if not isinstance(item, InputError)]
            results = iter(check_claims([item for _, item in good], verifier, strength))
            for number, item, line_id in piece:
                if isinstance(item, InputError):
                    bad += 1
                    row = {"id": line_id, "line": number, "error": str(item)}
                else:
                    row = next(results)
                click.echo(json.dumps(row, ensure_ascii=False))
    return bad


@click.command("verify")
@click.argument("claim", required=False)
@click.option("--evidence", multiple=True, help="Evidence text (repeat for several sentences).")
@click.option(
    "--batch",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help='JSON lines: {"id": ..., "claim": "...", "evidence": "text" or ["sentence", ...]}.',
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a batch always prints JSON).")
@handle_errors
def verify(claim: str | None, evidence: tuple[str, ...], batch: Path | None, as_json: bool) -> None:
    """Does the evidence support the claim, contradict it, or not bear on it?

    Example: assistant verify "Magnesium lowers CRP." --evidence "CRP fell by 30%." --json

    Example: assistant verify --batch claims.jsonl --json > verdicts.jsonl
    """
    if (batch is None) == (claim is None):
        raise UsageError("give a CLAIM with --evidence, or --batch FILE (not both).")
    settings = get_settings()
    verifier = Verifier.load(settings=settings)
    strength = StrengthClassifier.load(settings=settings)
    if batch is not None:
        bad = _run_batch(batch, verifier, strength)
        if bad:
            click.echo(
                f"{bad} line(s) of {batch} could not be read; see their error entries.", err=True
            )
            sys.exit(2)
        return
    if not evidence:
        raise UsageError("give the evidence with --evidence TEXT.")
    _print_one(check_claims([make_input(claim, list(evidence))], verifier, strength)[0], as_json)
