"""The claim-verifier benchmark: verifiers side by side on a public set's split.

For each model given (the shipped verifier, or a folder holding a trained one) and a
majority-class baseline: accuracy, macro-F1, per-class F1, the confusion matrix and the
prediction time per claim, on claim vs its gold evidence (datasets.py's ClaimItems). Labels
are shown as the audit says them: supported / contradicted / not_enough_info.

The verifiers are loaded through `load` (Verifier.load unless a test passes a fake with fixed
scores: the seam), one at a time, so a run holds one model in memory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from assistant.errors import UsageError
from assistant.settings import Settings
from assistant.verifier import LABELS, Verifier, evaluate_items, load_claims, scores

SHOWN = {"support": "supported", "contradict": "contradicted", "nei": "not_enough_info"}
SHIPPED = "shipped"


def _shown(result: dict) -> dict:
    """A scores() dict with the labels renamed as shown."""
    return result | {
        "per_class": {SHOWN[k]: v for k, v in result["per_class"].items()},
        "confusion": {
            SHOWN[g]: {SHOWN[p]: n for p, n in row.items()}
            for g, row in result["confusion"].items()
        },
    }


def majority_baseline(gold: list[str]) -> dict:
    """Every item called the split's most frequent label (ties in LABELS order)."""
    counts = Counter(gold)
    top = max(LABELS, key=lambda name: (counts[name], -LABELS.index(name)))
    result = scores(gold, [top] * len(gold))
    return result | {"name": "majority", "label": SHOWN[top], "seconds_per_claim": 0.0}


def model_paths(settings: Settings, models: list[str]) -> list[tuple[str, Path]]:
    """(name, folder) for each model: "shipped" is the configured verifier folder."""
    out = []
    for name in models:
        path = settings.verifier_path if name == SHIPPED else Path(name)
        if not path.is_dir():
            raise UsageError(f"no model folder {path} (give `shipped` or a trained verifier).")
        out.append((name, path))
    return out


def run_claims_bench(
    settings: Settings,
    dataset: str,
    split: str = "dev",
    models: list[str] | None = None,
    limit: int | None = None,
    load: Callable[[Path], Verifier] = Verifier.load,
) -> dict:
    """Each model beside the majority baseline on the first `limit` items of the split."""
    chosen = model_paths(settings, models or [SHIPPED])
    items = load_claims(settings.benchmarks_path, dataset, split)[:limit]
    if not items:
        raise UsageError(f"{dataset} {split} has no items here.")
    gold = [i.label for i in items]
    rows = []
    for name, path in chosen:
        verifier = load(path)
        result = evaluate_items(verifier, items)
        config = {"max_length": verifier.max_length, "windows": verifier.windows}
        rows.append(_shown(result) | {"name": name, "path": str(path), **config})
        del verifier
    return {
        "dataset": dataset,
        "split": split,
        "n": len(items),
        "labels": {SHOWN[k]: v for k, v in sorted(Counter(gold).items())},
        "models": rows,
        "majority": _shown(majority_baseline(gold)),
    }


def format_claims_table(result: dict) -> str:
    """Markdown: one row per model and the baseline, then each model's confusion matrix."""
    names = list(SHOWN.values())
    lines = [
        f"{result['dataset']} {result['split']}, {result['n']} claims {result['labels']}",
        "",
        "| model | accuracy | macro-F1 | " + " | ".join(f"F1 {n}" for n in names) + " | ms/claim |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in [*result["models"], result["majority"]]:
        f1 = " | ".join(f"{row['per_class'][n]['f1']:.3f}" for n in names)
        name = row["name"] if row["name"] != "majority" else f"majority ({row['label']})"
        lines.append(
            f"| {name} | {row['accuracy']:.3f} | {row['macro_f1']:.3f} | {f1} | "
            f"{row['seconds_per_claim'] * 1000:.0f} |"
        )
    for row in result["models"]:
        lines += ["", f"Confusion, {row['name']} (gold rows, predicted columns):", ""]
        lines += ["| gold \\ predicted | " + " | ".join(names) + " |", "|---|---:|---:|---:|"]
        lines += [
            f"| {g} | " + " | ".join(str(row["confusion"][g][p]) for p in names) + " |"
            for g in names
        ]
    return "\n".join(lines)
