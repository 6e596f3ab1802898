"""An eval run's figures (summarize) and its report: report.json, report.md, questions.csv,
chart.png, and the summary printed in the terminal. One column per configuration, so a
--compare run reads side by side.
"""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.evaluation.metrics import mean, percentile

# (summary key, label, kind): kind "rate" is a share in [0, 1], "count" a number per answer,
# "seconds" a latency.
HEADLINE = [
    ("recall@1", "Retrieval recall@1", "rate"),
    ("recall@{k}", "Retrieval recall@{k}", "rate"),
    ("mrr@10", "Retrieval MRR@10", "rate"),
    ("context_recall", "Gold in answer's passages", "rate"),
    ("cited_gold_recall", "Gold passages cited", "rate"),
    ("fact_coverage", "Key-fact coverage", "rate"),
    ("fact_first_line", "Key facts in the first line", "rate"),
    ("direct_accuracy", "Yes/no answered right", "rate"),
    ("citation_precision", "Citation precision (ALCE)", "rate"),
    ("citation_recall", "Citation recall (ALCE)", "rate"),
    ("uncited_sentences_per_answer", "Uncited sentences per answer", "count"),
    ("warnings_per_answer", "Beyond-sources warnings per answer", "count"),
    ("warnings_on_asked", "Warnings about the asked passage", "rate"),
    ("quote_faithfulness", "Quote faithfulness", "rate"),
    ("correct_declines", "Correct declines", "rate"),
    ("false_declines", "False declines", "rate"),
    ("latency_p50", "Latency p50 (s)", "seconds"),
    ("latency_p95", "Latency p95 (s)", "seconds"),
    ("first_token_p50", "Model's first words p50 (s)", "seconds"),
]
CSV_COLUMNS = [
    "id",
    "split",
    "category",
    "must_decline",
    "declined",
    "engine_used",
    "recall@1",
    "rr",
    "context_recall",
    "cited_gold",
    "fact_coverage",
    "fact_first_line",
    "direct_expected",
    "direct_answer",
    "citations",
    "quotes_faithful",
    "warnings",
    "warnings_on_asked",
    "statements",
    "uncited",
    "citation_precision",
    "citation_recall",
    "latency",
    "error",
    "question",
]


def summarize(rows: Sequence[dict], top_k: int) -> dict[str, Any]:
    """The run's figures; every rate says over how many items it was taken."""
    ok = [r for r in rows if "error" not in r]
    gold = [r for r in ok if r["gold_passages"]]
    decl = [r for r in ok if r["must_decline"]]
    answerable = [r for r in ok if not r["must_decline"]]
    answered = [r for r in ok if not r["declined"]]
    cites = sum(r["citations"] for r in ok)
    latencies = [r["latency"] for r in ok]
    out: dict[str, Any] = {
        "items": len(rows),
        "errors": len(rows) - len(ok),
        "items_with_gold_passages": len(gold),
    }
    for k in sorted({1, 3, top_k}):
        out[f"recall@{k}"] = mean([r[f"recall@{k}"] for r in gold])
    out["mrr@10"] = mean([r["rr"] for r in gold])
    out["context_recall"] = mean([r["context_recall"] for r in gold])
    out["cited_gold_recall"] = mean([r["cited_gold"] for r in gold])
    out["fact_coverage"] = mean([r["fact_coverage"] for r in ok if r["facts"]])
    out["fact_first_line"] = mean([r["fact_first_line"] for r in ok if r["facts"]])
    direct = [r for r in ok if "direct_right" in r]
    out["direct_items"] = len(direct)
    out["direct_accuracy"] = mean([float(r["direct_right"]) for r in direct])
    # ALCE averages over every answer: one that cites nothing, or asserts nothing a citation
    # could support, scores 0 instead of dropping out (declines are not answers).
    out["answered"] = len(answered)
    out["citation_precision"] = mean([r.get("citation_precision") or 0.0 for r in answered])
    out["citation_recall"] = mean([r.get("citation_recall") or 0.0 for r in answered])
    out["uncited_sentences_per_answer"] = mean([r.get("uncited", 0) for r in answered])
    # the audit's warnings an answer shows, and the share of them (over answers to questions
    # about a passage of the article) that are about that passage, not merely quoted near it
    out["warnings_per_answer"] = mean([r["warnings"] for r in answered])
    about = [r for r in answered if "warnings_on_asked" in r]
    shown = sum(r["warnings"] for r in about)
    out["warnings_on_asked"] = sum(r["warnings_on_asked"] for r in about) / shown if shown else None
    out["quote_faithfulness"] = (sum(r["quotes_faithful"] for r in ok) / cites) if cites else None
    out["citations"] = cites
    out["must_decline"] = len(decl)
    out["correct_declines"] = mean([float(r["declined"]) for r in decl])
    out["answerable"] = len(answerable)
    out["false_declines"] = mean([float(r["declined"]) for r in answerable])
    out["latency_p50"] = percentile(latencies, 50)
    out["latency_p95"] = percentile(latencies, 95)
    firsts = [r["first_token"] for r in ok if "first_token" in r]
    out["first_token_p50"] = percentile(firsts, 50)
    out["engines_used"] = dict(Counter(r["engine_used"] for r in ok))
    return out


def by_category(rows: Sequence[dict], top_k: int) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r["category"], []).append(r)
    return {name: summarize(items, top_k) for name, items in sorted(groups.items())}


def default_out_dir(settings: Any) -> Path:
    return settings.eval_path / "reports" / time.strftime("%Y%m%d-%H%M%S")


def _key(key: str, run: dict) -> str:
    return key.format(k=run["top_k"])


def _fmt(value: Any, kind: str = "rate") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}" if kind == "seconds" else f"{value:.2f}"
    return str(value)


def headline_rows(report: dict) -> list[tuple[str, list[str]]]:
    rows = []
    for key, label, kind in HEADLINE:
        runs = report["runs"]
        rows.append(
            (
                label.format(k=runs[0]["top_k"]),
                [_fmt(r["summary"].get(_key(key, r)), kind) for r in runs],
            )
        )
    return rows


def _sanity_lines(report: dict) -> list[str]:
    sanity = report.get("judge_sanity") or {}
    agree = sanity.get("model_agrees_on_verbatim")
    if agree is None:
        return []
    return [
        f"verifier sanity: support is the most probable label for {agree:.0%} of "
        f"{sanity['verbatim_statements']} statements quoted verbatim from their cited passage"
    ]


def format_summary(report: dict, paths: dict[str, str] | None = None) -> str:
    runs = report["runs"]
    width = max(len(label) for label, _ in headline_rows(report)) + 2
    col = max(12, *(len(r["name"]) + 2 for r in runs))
    head = " " * width + "".join(f"{r['name']:>{col}}" for r in runs)
    lines = [
        f"eval: {report['turns']} turns from {report['questions']} questions "
        f"({report['questions_file']}, split {report['split']}), {report['seconds']:.0f}s",
        f"citation judge: {report['judge']}",
        *_sanity_lines(report),
        head,
    ]
    for label, values in headline_rows(report):
        lines.append(f"{label:<{width}}" + "".join(f"{v:>{col}}" for v in values))
    for r in runs:
        s = r["summary"]
        lines.append(
            f"[{r['name']}] mode={r['mode']} engine={r['engine']}: {s['must_decline']} must "
            f"decline, {s['answerable']} answerable, {s['citations']} citations, "
            f"{s['errors']} errors, engines used {s['engines_used']}"
        )
    if paths:
        lines.append("wrote " + ", ".join(paths.values()))
    return "\n".join(lines)


def _markdown(report: dict) -> str:
    runs = report["runs"]
    out = [
        "# Eval report",
        "",
        f"- questions: `{report['questions_file']}` (split {report['split']}): "
        f"{report['questions']} questions, {report['turns']} turns",
        f"- citation judge: {report['judge']}",
        *(f"- {line}" for line in _sanity_lines(report)),
        f"- created {report['created']}, {report['seconds']:.0f}s",
        "",
        "## Summary",
        "",
        "| metric | " + " | ".join(r["name"] for r in runs) + " |",
        "|---|" + "---:|" * len(runs),
    ]
    out += [f"| {label} | " + " | ".join(vals) + " |" for label, vals in headline_rows(report)]
    for r in runs:
        out += [
            "",
            f"## By category: {r['name']} (mode={r['mode']}, engine={r['engine']})",
            "",
            "| category | items | recall@k | MRR | facts | cit. P | cit. R | uncited/answer "
            "| declines ok | false declines |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        at_k = f"recall@{r['top_k']}"
        for name, s in r["by_category"].items():
            out.append(
                f"| {name} | {s['items']} | {_fmt(s.get(at_k))} | "
                f"{_fmt(s['mrr@10'])} | {_fmt(s['fact_coverage'])} | "
                f"{_fmt(s['citation_precision'])} | {_fmt(s['citation_recall'])} | "
                f"{_fmt(s['uncited_sentences_per_answer'])} | "
                f"{_fmt(s['correct_declines'])} | {_fmt(s['false_declines'])} |"
            )
        out += [
            "",
            f"## Per question: {r['name']}",
            "",
            "| id | category | declined | R@1 | RR | facts | quotes ok | cit. P | cit. R "
            "| uncited | s |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for it in r["items"]:
            if "error" in it:
                out.append(
                    f"| {it['id']} | {it['category']} | error: {it['error'][:60]} | | | | | | | | |"
                )
                continue
            decl = ("yes" if it["declined"] else "no") + (" (must)" if it["must_decline"] else "")
            out.append(
                f"| {it['id']} | {it['category']} | {decl} | {_fmt(it.get('recall@1'))} | "
                f"{_fmt(it.get('rr'))} | {_fmt(it.get('fact_coverage'))} | "
                f"{it['quotes_faithful']}/{it['citations']} | "
                f"{_fmt(it.get('citation_precision'))} | {_fmt(it.get('citation_recall'))} | "
                f"{_fmt(it.get('uncited'))} | {it['latency']:.2f} |"
            )
    return "\n".join(out) + "\n"


def _bars(ax: Any, report: dict, keys: list[tuple[str, str]], title: str) -> None:
    """One group of bars per key, one bar per configuration, labelled below."""
    runs = report["runs"]
    width = 0.8 / len(runs)
    for n, r in enumerate(runs):
        values = [r["summary"].get(_key(k, r)) or 0.0 for k, _ in keys]
        ax.bar([i + n * width for i in range(len(keys))], values, width, label=r["name"])
    ax.set_xticks([i + width * (len(runs) - 1) / 2 for i in range(len(keys))])
    labels = [label.format(k=runs[0]["top_k"]) for _, label in keys]
    tilted = len(keys) > 2
    ax.set_xticklabels(
        labels, rotation=35 if tilted else 0, ha="right" if tilted else "center", fontsize=8
    )
    ax.set_title(title)


def _chart(report: dict, path: Path) -> None:
    """Rates on the left (0 to 1), counts per answer in the middle, latencies on the right."""
    import matplotlib  # lazy: keeps matplotlib out of light CLI paths

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # lazy: as above

    by_kind: dict[str, list[tuple[str, str]]] = {}
    for key, label, kind in HEADLINE:
        by_kind.setdefault(kind, []).append((key, label))
    fig, (rates, counts, seconds) = plt.subplots(
        1, 3, figsize=(14, 5), gridspec_kw={"width_ratios": [8, 1, 2]}, layout="constrained"
    )
    _bars(rates, report, by_kind["rate"], f"Eval: {report['turns']} turns ({report['split']})")
    rates.set_ylim(0, 1.05)
    rates.legend(fontsize=8)
    _bars(counts, report, [(k, "uncited sentences") for k, _ in by_kind["count"]], "Per answer")
    _bars(seconds, report, [(k, lbl.split()[1]) for k, lbl in by_kind["seconds"]], "Latency (s)")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_reports(report: dict, out_dir: Path) -> dict[str, str]:
    """Write every output into out_dir; returns {kind: path}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / "report.json",
        "markdown": out_dir / "report.md",
        "table": out_dir / "questions.csv",
        "chart": out_dir / "chart.png",
    }
    paths["json"].write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    paths["markdown"].write_text(_markdown(report), encoding="utf-8")
    with paths["table"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["config", *CSV_COLUMNS])
        for r in report["runs"]:
            for it in r["items"]:
                writer.writerow([r["name"], *(it.get(c, "") for c in CSV_COLUMNS)])
    _chart(report, paths["chart"])
    return {k: str(v) for k, v in paths.items()}
