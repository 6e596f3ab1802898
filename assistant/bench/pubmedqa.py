"""`assistant bench pubmedqa`: answers over PubMedQA's expert-labelled dev questions, with
their abstracts as the corpus (../shared/benchmarks/pubmedqa/pqal_dev.json, the non-test
half; nothing here reads the test half).

Each entry's abstract becomes one reference document: its context paragraphs under their
labels (BACKGROUND, METHODS, RESULTS...), then its conclusion (the entry's long answer) under
CONCLUSIONS. The corpus is indexed in a work folder with the configured embedder; each
question is answered by the extractive engine. Figures, over the questions:

- answered: not declined;
- cites its abstract: one of the answer's citations is from the question's own abstract;
- first citation from its abstract;
- conclusion quoted: one of the citations quotes the abstract's conclusion;
- latency p50 / p95.

The yes / no / maybe label is not scored: the product gives no direct answer yet.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.answer import AnswerEngine
from assistant.bench.timing import percentile_ms
from assistant.errors import UsageError
from assistant.index import build_index
from assistant.settings import Settings
from assistant.types import Block, Document

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
    engine = AnswerEngine(work)
    rows, seconds = [], []
    for (_pmid, entry), doc in zip(entries, docs, strict=True):
        t = time.perf_counter()
        answer = engine.ask(entry["QUESTION"])
        seconds.append(time.perf_counter() - t)
        own = [c for c in answer.citations if c.document == doc.id]
        start, end = conclusions[doc.id]
        rows.append(
            {
                "answered": not answer.declined,
                "cites_own": bool(own),
                "first_own": bool(answer.citations) and answer.citations[0].document == doc.id,
                "conclusion": any(c.start < end and start < c.end for c in own),
            }
        )
    n = len(rows)
    share = (
        {k: round(sum(r[k] for r in rows) / n, 3) if n else 0.0 for k in rows[0]} if rows else {}
    )
    return {
        "questions": n,
        "chunks": report.chunks_total,
        **share,
        "p50_ms": percentile_ms(seconds, 50),
        "p95_ms": percentile_ms(seconds, 95),
        "data": "PubMedQA pqal_dev.json (dev half only)",
    }


def format_pubmedqa_table(result: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"PubMedQA dev: {result['questions']} questions, their abstracts as the corpus "
            f"({result['chunks']} chunks)",
            f"answered               {result['answered']:.3f}",
            f"cites its abstract     {result['cites_own']:.3f}",
            f"first citation its own {result['first_own']:.3f}",
            f"conclusion quoted      {result['conclusion']:.3f}",
            f"latency p50 / p95      {result['p50_ms']:.0f} / {result['p95_ms']:.0f} ms",
        ]
    )
