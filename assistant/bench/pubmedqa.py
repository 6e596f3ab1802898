"""`assistant bench pubmedqa`: answers over PubMedQA's expert-labelled dev questions, with
their abstracts as the corpus (../shared/benchmarks/pubmedqa/pqal_dev.json, the non-test
half; nothing here reads the test half).

Each entry's abstract becomes one reference document: its context paragraphs under their
labels (BACKGROUND, METHODS, RESULTS...), then its conclusion (the entry's long answer) under
CONCLUSIONS. The corpus is indexed in a work folder with the configured embedder; each
question is answered by the extractive engine, or by another (`engine`: a language model's
answers count where they were kept, the extractive one where not). Figures, over the
questions:

- answered: not declined;
- cites its abstract: one of the answer's citations is from the question's own abstract;
- first citation from its abstract;
- conclusion quoted: one of the citations quotes the abstract's conclusion;
- kept: for a language-model engine, how often its answer passed verification and was kept;
- latency p50 / p95;
- the direct answer against the expert yes / no / maybe label: the share of questions read as
  yes/no questions, accuracy (yes -> yes, no -> no, anything else -> maybe), how often a yes or
  a no is given and how often that call is right. The same verifier probabilities are also
  decided at its most probable label (no bars), to show what the calibrated bars trade away.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.answer import AnswerEngine, Bars, decide, polar_claim, source_quotes
from assistant.bench.timing import percentile_ms
from assistant.errors import UsageError
from assistant.index import build_index
from assistant.settings import Settings
from assistant.types import Block, Document
from assistant.verifier import Verifier

CONCLUSIONS = "CONCLUSIONS"


def abstract_document(pmid: str, entry: dict[str, Any]) -> tuple[Document, tuple[int, int]]:
    """One abstract as a reference document, and the span of its conclusion."""
    text, blocks = "", []

    def add(kind: str, piece: str, section: tuple[str, ...]) -> tuple[int, int]:
        nonlocal text
        if text:
            text += "\n\n"
        start = len(text)
        text += piece
        blocks.append(Block(kind, start, len(text), section))
        return start, len(text)

    labels = entry.get("LABELS") or [""] * len(entry["CONTEXTS"])
    for label, paragraph in zip(labels, entry["CONTEXTS"], strict=False):
        label = label.strip().upper() or "ABSTRACT"
        add("heading", label, ())
        add("paragraph", paragraph.strip(), (label,))
    add("heading", CONCLUSIONS, ())
    conclusion = add("paragraph", entry["LONG_ANSWER"].strip(), (CONCLUSIONS,))
    doc = Document(
        id=f"pmid-{pmid}",
        kind="reference",
        title=f"PubMed {pmid}",
        text=text,
        blocks=blocks,
        provenance="full_text",
        citation=f"PMID {pmid}",
    )
    return doc, conclusion


def run_pubmedqa_bench(
    settings: Settings,
    workdir: Path,
    limit: int | None = None,
    log: Callable[[str], None] = print,
    engine_name: str = "extractive",
) -> dict[str, Any]:
    path = settings.benchmarks_path / "pubmedqa" / "pqal_dev.json"
    if not path.is_file():
        raise UsageError(f"{path}: not found. Set ASSISTANT_BENCHMARKS_DIR to the benchmarks.")
    entries = list(json.loads(path.read_text(encoding="utf-8")).items())[:limit]
    docs, conclusions = [], {}
    for pmid, entry in entries:
        doc, span = abstract_document(pmid, entry)
        docs.append(doc)
        conclusions[doc.id] = span
    shutil.rmtree(workdir, ignore_errors=True)
    (workdir / "sources").mkdir(parents=True)
    work = settings.model_copy(
        update={"sources_dir": workdir / "sources", "index_dir": workdir / "store", "article": None}
    )
    log(f"indexing {len(docs)} abstracts...")
    report = build_index(work, documents=docs, rebuild=True)
    verifier = Verifier.load(settings=work)
    heard: dict[tuple[str, str], dict[str, float]] = {}  # the verifier's probabilities, kept

    def judge(pairs: list[tuple[str, str]]) -> list[dict[str, float]]:
        scores = verifier.predict(pairs)
        heard.update(zip(pairs, scores, strict=True))
        return scores

    engine = AnswerEngine(work, judge=judge)
    rows, seconds, firsts, decisions = [], [], [], []
    for (_pmid, entry), doc in zip(entries, docs, strict=True):
        t = time.perf_counter()
        answer = engine.ask(entry["QUESTION"], engine=engine_name)
        seconds.append(time.perf_counter() - t)
        if "first_token" in answer.timings:
            firsts.append(answer.timings["first_token"])
        decisions.append((entry["final_decision"], answer, _at_argmax(answer, heard)))
        own = [c for c in answer.citations if c.document == doc.id]
        start, end = conclusions[doc.id]
        rows.append(
            {
                "answered": not answer.declined,
                "cites_own": bool(own),
                "first_own": bool(answer.citations) and answer.citations[0].document == doc.id,
                "conclusion": any(c.start < end and start < c.end for c in own),
                "lead": answer.lead is not None,
                "lead_conclusion": any(
                    c.marker == answer.lead and c.start < end and start < c.end for c in own
                ),
                "kept": answer.engine == engine_name,
            }
        )
    n = len(rows)
    share = (
        {k: round(sum(r[k] for r in rows) / n, 3) if n else 0.0 for k in rows[0]} if rows else {}
    )
    return {
        "engine": engine_name,
        "questions": n,
        "chunks": report.chunks_total,
        **share,
        "leads": sum(r["lead"] for r in rows),  # a first line quoting the answer
        "lead_quotes_conclusion": _share([r["lead_conclusion"] for r in rows if r["lead"]]),
        "p50_ms": percentile_ms(seconds, 50),
        "p95_ms": percentile_ms(seconds, 95),
        "first_token_p50_ms": percentile_ms(firsts, 50) if firsts else None,
        "direct": direct_scores([(gold, a.direct_answer) for gold, a, _ in decisions]),
        "direct_argmax": direct_scores([(gold, loose) for gold, _, loose in decisions]),
        "majority": _majority([gold for gold, _, _ in decisions]),
        "data": "PubMedQA pqal_dev.json (dev half only)",
    }


def _at_argmax(answer: Any, heard: dict[tuple[str, str], dict[str, float]]) -> str | None:
    """The direct answer the verifier's recorded probabilities give without bars."""
    claim = polar_claim(answer.question)
    if claim is None or answer.declined:
        return None
    quotes = source_quotes(answer.citations)
    replay = lambda pairs: [heard[p] for p in pairs]  # noqa: E731 - the recorded judge
    return decide(claim, quotes, replay, Bars(0.0, 0.0)).answer


def direct_scores(pairs: list[tuple[str, str | None]]) -> dict[str, float]:
    """(gold yes/no/maybe, direct answer or None) -> read as yes/no, accuracy, a yes or no
    given, and how often a given yes or no is right."""
    if not pairs:
        return {}
    as_label = {"yes": "yes", "no": "no"}
    called = [(gold, as_label[d]) for gold, d in pairs if d in as_label]
    right = sum(gold == as_label.get(d or "", "maybe") for gold, d in pairs)
    return {
        "read_as_yes_no": round(sum(d is not None for _, d in pairs) / len(pairs), 3),
        "accuracy": round(right / len(pairs), 3),
        "called": round(len(called) / len(pairs), 3),
        "call_precision": round(sum(g == d for g, d in called) / len(called), 3) if called else 0.0,
    }


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 3) if flags else None


def _majority(golds: list[str]) -> dict[str, Any]:
    label = max(set(golds), key=golds.count) if golds else ""
    return {"label": label, "accuracy": round(golds.count(label) / len(golds), 3) if golds else 0.0}


def _fmt_share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def format_pubmedqa_table(result: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"PubMedQA dev: {result['questions']} questions, their abstracts as the corpus "
            f"({result['chunks']} chunks), engine {result['engine']}",
            f"answered               {result['answered']:.3f}",
            f"cites its abstract     {result['cites_own']:.3f}",
            f"first citation its own {result['first_own']:.3f}",
            f"conclusion quoted      {result['conclusion']:.3f}",
            f"first line quotes one  {result['leads']} answers (not read as yes/no); its "
            f"quote is the conclusion in {_fmt_share(result['lead_quotes_conclusion'])}",
            *(
                [f"model answer kept      {result['kept']:.3f}"]
                if result["engine"] != "extractive"
                else []
            ),
            f"latency p50 / p95      {result['p50_ms']:.0f} / {result['p95_ms']:.0f} ms",
            *(
                [f"model's first words   {result['first_token_p50_ms']:.0f} ms (p50)"]
                if result.get("first_token_p50_ms") is not None
                else []
            ),
            "",
            "direct answer (yes / no / maybe)  read as yes/no  accuracy  yes-or-no given  "
            "given right",
            *(
                f"{name:<33} {d['read_as_yes_no']:>13.3f}  {d['accuracy']:>8.3f}  "
                f"{d['called']:>15.3f}  {d['call_precision']:>11.3f}"
                for name, d in (
                    ("calibrated bars (shipped)", result["direct"]),
                    ("most probable label, no bars", result["direct_argmax"]),
                )
                if d
            ),
            f"majority answer ({result['majority']['label']})"
            f"{'':<14} {'':>13}  {result['majority']['accuracy']:>8.3f}",
        ]
    )
