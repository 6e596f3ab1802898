"""The audit benchmark: the whole audit on an article made of a public set's claims.

Each claim of the split becomes one paragraph of a plain-text article and cites, as "[n]",
the abstracts it is judged against (article_claims); each abstract becomes reference n, with
its text as the reference's full text (as a fetch from PubMed Central would leave it). The
product then runs as it does for a user: index build (chunking, embedding, the corpus's own
relevance calibration), claim extraction, citation linking, evidence search, verifier, verdict. Each
claim's content verdict is compared with its gold label:

| gold | counts as right |
|---|---|
| support | supported (partial shown apart: part of it is backed) |
| contradict | contradicted |
| nei | unsupported |

Also reported: claims the extractor did not take as claims, and how often the top evidence
quote came from the cited reference. A set without whole abstracts (HealthVer) cites its
evidence passage instead.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.audit import run_audit
from assistant.bench.asked import ask_about_claims
from assistant.errors import UsageError
from assistant.index import build_index, load_embedder
from assistant.settings import Settings
from assistant.types import Block, ClaimVerdict, Document
from assistant.verifier import load_claims

EXPECTED = {"support": "supported", "contradict": "contradicted", "nei": "unsupported"}
SHOWN = ["supported", "partial", "contradicted", "unsupported", "miscited", "not a claim"]
ARTICLE_FILE = "article.txt"
TITLE = "What the research says"


@dataclass(frozen=True)
class ArticleClaim:
    """One paragraph of the benchmark article: a claim, the sources it cites, its gold label."""

    claim: str
    sources: tuple[tuple[str, ...], ...]  # each cited source's sentences
    label: str


def _without(row: Any) -> tuple[str, ...]:
    """The row's abstract with its evidence sentences taken out: on the claim's topic, but
    (as annotated) saying nothing that decides it."""
    return tuple(x for i, x in enumerate(row.context) if i not in set(row.picked))


def article_claims(items: list[Any]) -> tuple[list[ArticleClaim], int]:
    """One claim per distinct claim text, citing every source it is judged against, and the
    number of claims left out. A claim's gold label is what its sources say together: the
    one of support / contradict that some source gives, else nei; a claim that one source
    supports and another contradicts is left out.

    Check-COVID pairs each claim with its abstract twice: the gold sentences (support or
    refute) and a subset that decides nothing (nei). Given the whole abstract the first label
    holds, so every other such claim (by a stable hash) instead cites the abstract without its
    gold sentences, as not enough info: a source on the topic that does not say it.
    """
    grouped: dict[str, list[Any]] = {}
    for item in items:
        grouped.setdefault(item.claim.strip(), []).append(item)
    out, dropped = [], 0
    for claim, rows in grouped.items():
        decisive = {r.label for r in rows} - {"nei"}
        if len(decisive) > 1:
            dropped += 1
            continue
        backed = [r for r in rows if r.label != "nei" and r.picked and r.context]
        paired = backed and any(r.label == "nei" for r in rows)
        if paired and int(hashlib.sha256(claim.encode()).hexdigest(), 16) % 2:
            out.append(ArticleClaim(claim, (_without(backed[0]),), "nei"))
            continue
        sources = tuple(dict.fromkeys(r.context or r.evidence for r in rows))
        out.append(ArticleClaim(claim, sources, decisive.pop() if decisive else "nei"))
    return out, dropped


def _reference_texts(claims: list[ArticleClaim]) -> dict[tuple[str, ...], int]:
    """Each distinct source text its reference number."""
    numbers: dict[tuple[str, ...], int] = {}
    for claim in claims:
        for source in claim.sources:
            numbers.setdefault(source, len(numbers) + 1)
    return numbers


def _reference_document(number: int, sentences: tuple[str, ...]) -> Document:
    text, blocks, pos = "", [], 0
    for sentence in sentences:
        text += sentence + "\n\n"
        blocks.append(Block("paragraph", pos, pos + len(sentence), ("Abstract",)))
        pos = len(text)
    title = f"Source {number}"
    return Document(
        f"ref-{number}", "reference", title, text, blocks, citation=title, reference=number
    )


def write_article(folder: Path, claims: list[ArticleClaim]) -> list[tuple[int, int]]:
    """The sources folder of the benchmark article; each claim's span in the article."""
    numbers = _reference_texts(claims)
    (folder / "fetched").mkdir(parents=True)
    lines = [f'[article]\nfile = "{ARTICLE_FILE}"\ntitle = "{TITLE}"\n']
    for sentences, n in numbers.items():
        pmcid = f"PMC{9_000_000 + n}"
        lines.append(f'[[reference]]\nnumber = {n}\ncited_as = "Source {n}"\npmcid = "{pmcid}"\n')
        doc = _reference_document(n, sentences)
        (folder / "fetched" / f"{pmcid}.json").write_text(json.dumps(doc.to_dict()))
    (folder / "references.toml").write_text("\n".join(lines), encoding="utf-8")
    text, spans = f"{TITLE}\n\n", []
    for item in claims:
        claim = item.claim.rstrip()
        claim = claim if claim[-1:] in ".!?" else claim + "."
        cited = ", ".join(str(numbers[source]) for source in item.sources)
        para = f"{claim[:-1]} [{cited}]{claim[-1]}"
        spans.append((len(text), len(text) + len(para)))
        text += para + "\n\n"
    (folder / ARTICLE_FILE).write_text(text, encoding="utf-8")
    return spans


def _match(spans: list[tuple[int, int]], verdicts: list[ClaimVerdict]) -> list[ClaimVerdict | None]:
    """Each item's verdict: the one whose claim lies inside the item's paragraph."""
    out: list[ClaimVerdict | None] = []
    for start, end in spans:
        inside = [v for v in verdicts if start <= v.span[0] < end]
        out.append(inside[0] if inside else None)
    return out


def _shown(verdict: ClaimVerdict | None) -> str:
    return "not a claim" if verdict is None else str(verdict.checks.get("content_verdict"))


def _cited_first(verdict: ClaimVerdict | None) -> bool | None:
    if verdict is None or not verdict.evidence or verdict.reference is None:
        return None
    return verdict.evidence[0].reference == verdict.reference


def summarise(items: list[ArticleClaim], verdicts: list[ClaimVerdict | None]) -> dict[str, Any]:
    """Accuracy, and macro-F1 over the gold classes present (partial and 'not a claim' are
    wrong answers), the confusion table, and the cited-reference-first rate."""
    gold = [i.label for i in items]
    said = [_shown(v) for v in verdicts]
    per_class = {}
    for label, right in EXPECTED.items():
        if label not in gold:
            continue
        tp = sum(1 for g, s in zip(gold, said, strict=True) if g == label and s == right)
        precision = tp / max(1, said.count(right))
        recall = tp / max(1, gold.count(label))
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        per_class[right] = {"precision": precision, "recall": recall, "f1": f1}
    right_n = sum(1 for g, s in zip(gold, said, strict=True) if EXPECTED[g] == s)
    pairs = Counter(zip(gold, said, strict=True))
    confusion = {g: {s: pairs[(g, s)] for s in SHOWN} for g in EXPECTED}
    firsts = [f for f in map(_cited_first, verdicts) if f is not None]
    partial = Counter(g for g, s in zip(gold, said, strict=True) if s == "partial")
    return {
        "accuracy": right_n / len(gold),
        "macro_f1": sum(c["f1"] for c in per_class.values()) / len(per_class),
        "per_class": per_class,
        "confusion": confusion,
        "partial_by_gold": dict(partial),
        "cited_reference_first": round(sum(firsts) / len(firsts), 3) if firsts else None,
        "not_claims": said.count("not a claim"),
    }


def run_audit_bench(
    settings: Settings,
    workdir: Path,
    dataset: str = "check-covid",
    split: str = "dev",
    limit: int | None = None,
    audit: Callable[[Settings], Any] = run_audit,
    log: Callable[[str], None] = print,
    ask: bool = False,
) -> dict[str, Any]:
    """Index and audit the split's article in workdir (replaced); figures as ``summarise``.
    ``ask``: then ask each claim back as a question (figures under "answers", bench.asked)."""
    items, dropped = article_claims(load_claims(settings.benchmarks_path, dataset, split))
    items = items[:limit]
    if not items:
        raise UsageError(f"{dataset} {split} has no items here.")
    if workdir.exists():
        shutil.rmtree(workdir)
    sources = workdir / "sources"
    spans = write_article(sources, items)
    s = settings.model_copy(update={"sources_dir": sources, "index_dir": workdir / "store"})
    references = len(_reference_texts(items))
    log(f"indexing {references} references")
    built = build_index(s, embedder=load_embedder(s))
    log(f"auditing {len(items)} claims")
    started = time.perf_counter()
    report = audit(s)
    seconds = time.perf_counter() - started
    verdicts = _match(spans, report.verdicts)
    answers = {}
    if ask:
        claims = [i.claim for i in items]
        answers = {"answers": ask_about_claims(s, claims, spans, report.verdicts, log)}
    return {
        "dataset": dataset,
        "split": split,
        "n": len(items),
        "left_out": dropped,
        "labels": dict(sorted(Counter(i.label for i in items).items())),
        "references": references,
        "index_seconds": round(built.seconds, 1),
        "audit_seconds": round(seconds, 1),
        "verifier": report.verifier,
        "notes": report.notes,
        **summarise(items, verdicts),
        **answers,
    }


def format_audit_table(result: dict[str, Any]) -> str:
    """Markdown: the headline figures, then gold rows against what the audit said."""
    lines = [
        f"{result['dataset']} {result['split']}: {result['n']} claims {result['labels']} "
        f"({result['left_out']} left out) citing {result['references']} references; "
        f"index {result['index_seconds']} s, "
        f"audit {result['audit_seconds']} s",
        "",
        f"accuracy {result['accuracy']:.3f}, macro-F1 {result['macro_f1']:.3f}; "
        + ", ".join(f"F1 {k} {v['f1']:.3f}" for k, v in result["per_class"].items())
        + f"; top quote from the cited reference: {result['cited_reference_first']}",
        "",
        "| gold \\ audit | " + " | ".join(SHOWN) + " |",
        "|---|" + "---:|" * len(SHOWN),
    ]
    for gold, row in result["confusion"].items():
        lines.append(f"| {EXPECTED[gold]} | " + " | ".join(str(row[s]) for s in SHOWN) + " |")
    if "answers" in result:
        a = result["answers"]
        lines += [
            "",
            f"each claim asked back ({a['asked']}, {a['declined']} declined): "
            f"{a['warnings_per_answer']} warnings per answer, {a['warnings_on_asked']} of them "
            f"about the claim asked; the claim's own warning shown for {a['asked_warned']} of "
            f"the {a['asked_with_a_warning_to_give']} claims not called supported",
        ]
    return "\n".join(lines + [f"\nnote: {n}" for n in result["notes"]])
