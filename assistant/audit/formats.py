"""The audit as people read it: a text table, a Markdown table, the verdict counts, and the
agreement with hand-labelled verdicts (accuracy and a confusion table, gold -> audit)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.audit.cache import VERDICTS, AuditReport
from assistant.errors import UsageError
from assistant.types import ClaimVerdict


def _short(text: str, most: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def format_counts(report: AuditReport, verdicts: list[ClaimVerdict]) -> str:
    counts = Counter(v.verdict for v in verdicts)
    parts = [f"{k} {counts[k]}" for k in VERDICTS if counts.get(k)]
    how = "checked with the verifier" if report.verifier else "deterministic checks only"
    return f"{len(verdicts)} claims: {', '.join(parts) or 'none'} ({how}, {report.seconds:.1f}s)"


def format_text(report: AuditReport, verdicts: list[ClaimVerdict]) -> str:
    lines = [f"{'#':>3}  {'verdict':<12} {'ref':>3}  claim"]
    for n, v in enumerate(verdicts, start=1):
        ref = str(v.reference) if v.reference is not None else "-"
        lines.append(f"{n:>3}  {v.verdict:<12} {ref:>3}  {_short(v.claim, 90)}")
        if v.context:
            lines.append(f"{'':>21}under: {_short(v.context, 90)}")
        lines.append(f"{'':>21}why: {_short(v.summary or v.reason, 300)}")
        for e in v.evidence[:1]:
            lines.append(
                f"{'':>21}evidence: {e.document} ({e.provenance}) {_short(e.quote, 120)!r}"
            )
    lines += ["", format_counts(report, verdicts), *[f"note: {x}" for x in report.notes]]
    return "\n".join(lines)


def format_markdown(report: AuditReport | None, verdicts: list[ClaimVerdict]) -> str:
    """The claims as a Markdown table; with the report, its counts and notes under it."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        "| # | Claim | Cited | Ref | Verdict | Why | Details | Evidence |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, v in enumerate(verdicts, start=1):
        ev = "<br>".join(
            f"{e.document} ({e.provenance}): “{cell(_short(e.quote, 160))}”" for e in v.evidence[:2]
        )
        claim = f"*{cell(v.context)}* {cell(v.claim)}" if v.context else cell(v.claim)
        lines.append(
            f"| {n} | {claim} | {cell(v.cited or '')} | {v.reference or ''} | "
            f"**{v.verdict}** | {cell(v.summary)} | {cell(v.reason)} | {ev} |"
        )
    if report is not None:
        lines += ["", format_counts(report, verdicts), *[f"- note: {x}" for x in report.notes]]
    return "\n".join(lines)


def format_gold(result: dict[str, Any]) -> str:
    """The agreement with hand labels as text: accuracy, then the confusion table."""
    shown, corner = [*VERDICTS, "missed"], "gold \\ audit"
    lines = [
        f"agreement with {result['gold_claims']} hand-labelled claims: accuracy "
        f"{result['accuracy']:.3f} ({result['matched']} matched; "
        f"{'with the verifier' if result['verifier'] else 'deterministic checks only'})",
        "",
        f"{corner:<14}" + "".join(f"{v[:11]:>12}" for v in shown),
    ]
    for gold, row in result["confusion"].items():
        lines.append(f"{gold:<14}" + "".join(f"{row.get(v, 0):>12}" for v in shown))
    extra = result["audited_not_in_gold"]
    if extra:
        lines += ["", f"{len(extra)} audited claims have no hand label."]
    return "\n".join(lines)


# --- agreement with hand labels ----------------------------------------------------------------
def evaluate_audit_gold(report: AuditReport, gold_path: Path | str) -> dict[str, Any]:
    """Accuracy and a confusion table (gold -> audit) against hand-labelled verdicts.

    A gold claim is matched to the audited claim whose span overlaps it most; a gold claim that
    no audited claim overlaps counts as "missed" (and as wrong in the accuracy).
    """
    path = Path(gold_path)
    try:
        gold = [
            json.loads(ln) for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()
        ]
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"cannot read the gold file {path} ({exc}): one JSON object a line."
        ) from exc
    confusion: dict[str, dict[str, int]] = {g: {} for g in VERDICTS}
    matched: set[tuple[int, int]] = set()
    correct = 0
    for row in gold:
        s, e = row["span"]
        best = max(
            report.verdicts, default=None, key=lambda v: min(e, v.span[1]) - max(s, v.span[0])
        )
        hit = best is not None and min(e, best.span[1]) > max(s, best.span[0])
        got = best.verdict if hit else "missed"  # type: ignore[union-attr]
        if hit:
            matched.add(best.span)  # type: ignore[union-attr]
        cell = confusion.setdefault(row["verdict"], {})
        cell[got] = cell.get(got, 0) + 1
        correct += got == row["verdict"]
    per_verdict = {}
    for v in VERDICTS:
        tp = confusion.get(v, {}).get(v, 0)
        gold_n = sum(confusion.get(v, {}).values())
        pred_n = sum(row.get(v, 0) for row in confusion.values())
        per_verdict[v] = {
            "gold": gold_n,
            "predicted": pred_n,
            "recall": round(tp / gold_n, 3) if gold_n else None,
            "precision": round(tp / pred_n, 3) if pred_n else None,
        }
    n = len(gold)
    return {
        "gold_claims": n,
        "matched": n - sum(row.get("missed", 0) for row in confusion.values()),
        "accuracy": round(correct / n, 3) if n else None,
        "confusion": {g: row for g, row in confusion.items() if row},
        "per_verdict": per_verdict,
        "audited_not_in_gold": [v.claim for v in report.verdicts if v.span not in matched],
        "verifier": report.verifier,
    }
