"""`assistant verify`: check claims against evidence with the claim verifier and the
claim-strength classifier, one claim or a JSON-lines batch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

from assistant.cli.common import batch_option, emit_batch, emit_json, get_settings, handle_errors
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


def _batch_rows(path: Path, verifier: Verifier, strength: StrengthClassifier) -> Iterator[dict]:
    """One result (or error entry) per input line, checked a batch at a time."""
    with path.open(encoding="utf-8") as handle:
        for piece in batches(read_batch(handle)):
            good = [(n, item) for n, item, _ in piece if not isinstance(item, InputError)]
            results = iter(check_claims([item for _, item in good], verifier, strength))
            for number, item, line_id in piece:
                if isinstance(item, InputError):
                    yield {"id": line_id, "line": number, "error": str(item)}
                else:
                    yield next(results)


@click.command("verify")
@click.argument("claim", required=False)
@click.option("--evidence", multiple=True, help="Evidence text (repeat for several sentences).")
@batch_option('JSON lines: {"id": ..., "claim": "...", "evidence": "text" or ["sentence", ...]}.')
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
        emit_batch(_batch_rows(batch, verifier, strength), batch, "could not be read")
        return
    if not evidence:
        raise UsageError("give the evidence with --evidence TEXT.")
    _print_one(check_claims([make_input(claim, list(evidence))], verifier, strength)[0], as_json)
