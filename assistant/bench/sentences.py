"""`assistant bench sentences`: the sentence splitter against SciFact's gold sentences.

SciFact gives every abstract as a list of sentences. Each abstract's sentences are joined
with one space and split again; a boundary is the end of a sentence (the abstract's last
one, which every splitter finds, is not counted). Precision, recall and F1 over boundaries
are reported for our splitter (assistant.text.split_sentences) and, when they are installed,
for pysbd and syntok, two maintained splitters, on the same text.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.errors import UsageError
from assistant.text import split_sentences

Splitter = Callable[[str], list[tuple[int, int]]]


def _pysbd() -> Splitter | None:
    try:
        import pysbd  # lazy: optional, for comparison only
    except ImportError:
        return None
    seg = pysbd.Segmenter(language="en", clean=False, char_span=True)
    return lambda text: [(s.start, s.start + len(s.sent.rstrip())) for s in seg.segment(text)]


def _syntok() -> Splitter | None:
    try:
        from syntok import segmenter  # lazy: optional, for comparison only
    except ImportError:
        return None

    def split(text: str) -> list[tuple[int, int]]:
        spans = []
        for paragraph in segmenter.analyze(text):
            for sentence in paragraph:
                tokens = list(sentence)
                last = tokens[-1]
                spans.append((tokens[0].offset, last.offset + len(last.value)))
        return spans

    return split


def _boundaries(spans: list[tuple[int, int]], text: str) -> set[int]:
    ends = set()
    for _, end in spans:
        while end > 0 and text[end - 1].isspace():
            end -= 1
        ends.add(end)
    ends.discard(len(text.rstrip()))
    return ends


def _abstracts(path: Path, limit: int | None) -> list[list[str]]:
    if not path.is_file():
        raise UsageError(f"{path}: not found. Set ASSISTANT_SCIFACT_DIR to SciFact's folder.")
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            sentences = [s.strip() for s in json.loads(line)["abstract"] if s.strip()]
            if len(sentences) > 1:
                out.append(sentences)
            if limit is not None and len(out) == limit:
                break
    return out


def run_sentence_bench(scifact_dir: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """One row per splitter: boundary precision, recall, F1 and seconds."""
    abstracts = _abstracts(scifact_dir / "corpus.jsonl", limit)
    texts, gold = [], []
    for sentences in abstracts:
        text, ends = "", set()
        for s in sentences:
            text = f"{text} {s}" if text else s
            ends.add(len(text))
        ends.discard(len(text))
        texts.append(text)
        gold.append(ends)
    splitters: dict[str, Splitter | None] = {
        "ours": lambda t: split_sentences(t),
        "pysbd": _pysbd(),
        "syntok": _syntok(),
    }
    rows = []
    for name, split in splitters.items():
        if split is None:
            rows.append({"splitter": name, "installed": False})
            continue
        hit = found = wanted = 0
        started = time.perf_counter()
        for text, ends in zip(texts, gold, strict=True):
            got = _boundaries(split(text), text)
            hit, found, wanted = hit + len(got & ends), found + len(got), wanted + len(ends)
        seconds = time.perf_counter() - started
        p, r = hit / max(found, 1), hit / max(wanted, 1)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        rows.append(
            {
                "splitter": name,
                "installed": True,
                "abstracts": len(texts),
                "boundaries": wanted,
                "precision": round(p, 4),
                "recall": round(r, 4),
                "f1": round(f1, 4),
                "seconds": round(seconds, 2),
            }
        )
    return rows


def format_sentence_table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'splitter':<8} {'precision':>9} {'recall':>7} {'F1':>6} {'seconds':>8}"]
    for r in rows:
        if not r["installed"]:
            lines.append(f"{r['splitter']:<8} (not installed: pip install {r['splitter']})")
            continue
        lines.append(
            f"{r['splitter']:<8} {r['precision']:>9.3f} {r['recall']:>7.3f} {r['f1']:>6.3f} "
            f"{r['seconds']:>8.1f}"
        )
    first = next((r for r in rows if r["installed"]), None)
    if first:
        lines.append(f"{first['abstracts']} SciFact abstracts, {first['boundaries']} boundaries")
    return "\n".join(lines)
