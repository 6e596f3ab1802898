"""Train the claim verifier or measure it on SciFact dev, from the command line.

    python eval/bench_verifier.py train [--epochs 3] [--max-claims N] [--seed 13] [--out DIR]
    python eval/bench_verifier.py dev [--model DIR] [--max-claims N] [--json]

The same functions back `assistant train-verifier` and `assistant bench scifact verify`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.settings import load_settings
from assistant.verifier.data import LABELS
from assistant.verifier.model import Verifier, evaluate_scifact_dev, train_verifier


def summary(result: dict) -> str:
    lines = [
        f"{'measurement':<15} {'items':>5} {'acc':>6} {'macroF1':>8} "
        + " ".join(f"{'F1 ' + n:>14}" for n in LABELS)
        + f" {'s/claim':>8}"
    ]
    for mode in ("oracle", "abstract", "baseline_pairs"):
        if mode in result:
            r = result[mode]
            f1 = " ".join(f"{r['per_class'][n]['f1']:>14.3f}" for n in LABELS)
            lines.append(
                f"{mode:<15} {r['n']:>5} {r['accuracy']:>6.3f} {r['macro_f1']:>8.3f} "
                f"{f1} {r['seconds_per_claim']:>8.3f}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train on SciFact train, save, measure on dev")
    train.add_argument("--epochs", type=int, default=3)
    train.add_argument("--max-claims", type=int, default=None)
    train.add_argument("--seed", type=int, default=13)
    train.add_argument("--out", type=Path, default=None)
    dev = commands.add_parser("dev", help="measure a trained verifier on SciFact dev")
    dev.add_argument("--model", type=Path, default=None)
    dev.add_argument("--max-claims", type=int, default=None)
    dev.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.command == "train":
        metrics = train_verifier(
            settings,
            out_dir=args.out,
            epochs=args.epochs,
            max_claims=args.max_claims,
            seed=args.seed,
        )
        print(
            f"saved to {args.out or settings.verifier_path} "
            f"({metrics['total_seconds']:.0f} s, best epoch {metrics['training']['best_epoch']})"
        )
        print("held-out train claims:\n" + summary(metrics["heldout"]))
        if "dev" in metrics:
            print("SciFact dev:\n" + summary(metrics["dev"]))
        return 0
    result = evaluate_scifact_dev(
        settings, Verifier.load(args.model, settings), max_claims=args.max_claims
    )
    print(json.dumps(result, indent=2) if args.json else "SciFact dev:\n" + summary(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
