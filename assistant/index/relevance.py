"""When is evidence too weak to answer? A threshold on question-sentence cosine similarity,
calibrated on data rather than picked by eye.

Per corpus (at every index build, ``calibrate_corpus``): positives are questions made from the
corpus's own sentences (half of a sentence's content words, asked about), scored against
every sentence; negatives are general questions unrelated to health
(assistant/data/offtopic_questions.txt) scored the same way. Nothing depends on headings or
file format. The threshold is the middle of the range of cuts with the best balanced
accuracy; its accuracy is also measured on held-out halves, and a calibration under
``MIN_HELD_OUT`` is not used (the SciFact threshold below is, and the status says so). It is
stored in the index manifest.

Reference calibration on SciFact:

Calibration (``assistant calibrate``) uses SciFact TRAIN only: each claim is scored against a
pool of sentences, as the answer engine scores a question against the corpus. Positive pools
hold the claim's rationale sentences among random sentences from other abstracts; negative
pools hold only sentences from abstracts the claim does not cite. The statistic is the pool's
best cosine similarity; the threshold is the one that maximizes balanced accuracy. The result
is stored with the embedding model's name, the data and the figures in
``assistant/models/relevance.json``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ModelError
from assistant.index.embeddings import Embedder, load_embedder
from assistant.settings import Settings
from assistant.text import words
from assistant.types import Chunk

RELEVANCE_CALIBRATION_PATH = Path(__file__).resolve().parents[1] / "models" / "relevance.json"
FALLBACK_THRESHOLD = 0.45  # used only if the calibration file is missing; says so in notes
MIN_QUESTIONS = 20  # sentence questions needed to calibrate a corpus at all
MIN_HELD_OUT = 0.8  # held-out balanced accuracy below which a corpus calibration is not used


def load_threshold(settings: Settings, manifest: dict[str, Any] | None = None) -> float:
    """The settings override, else the corpus calibration in the manifest, else SciFact's."""
    if settings.relevance_threshold is not None:
        return settings.relevance_threshold
    calibrated = (manifest or {}).get("relevance", {}).get("threshold")
    if calibrated is not None:
        return float(calibrated)
    if not RELEVANCE_CALIBRATION_PATH.exists():
        return FALLBACK_THRESHOLD
    data = json.loads(RELEVANCE_CALIBRATION_PATH.read_text())
    by_model = data.get("thresholds", {})
    if settings.embedding_model in by_model:
        return float(by_model[settings.embedding_model]["threshold"])
    return FALLBACK_THRESHOLD


def best_threshold(pos: np.ndarray, neg: np.ndarray) -> tuple[float, float]:
    """The cut that maximizes balanced accuracy (score >= cut means positive); where a range
    of cuts ties, the middle of that range, so the margin to both sides is the same."""
    values = np.unique(np.concatenate([pos, neg]))
    # cuts between consecutive distinct values, plus one below all and one above all
    cuts = np.concatenate([[values[0] - 1e-6], (values[:-1] + values[1:]) / 2, [values[-1] + 1e-6]])
    accs = np.array([0.5 * (np.mean(pos >= t) + np.mean(neg < t)) for t in cuts])
    best = accs.max()
    tied = np.flatnonzero(np.isclose(accs, best))
    # the widest run of tied cuts: its middle
    runs = np.split(tied, np.flatnonzero(np.diff(tied) > 1) + 1)
    run = max(runs, key=len)
    lo, hi = values[max(run[0] - 1, 0)], values[min(run[-1], len(values) - 1)]
    if run[0] == 0:
        lo = values[0]
    return float((lo + hi) / 2) if len(run) > 1 else float(cuts[run[0]]), float(best)


OFFTOPIC_FILE = Path(__file__).resolve().parents[1] / "data" / "offtopic_questions.txt"


def offtopic_questions() -> list[str]:
    lines = OFFTOPIC_FILE.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def _sentence_questions(sentences: list[str], rng: random.Random, most: int) -> list[str]:
    """Questions the corpus answers, made from its own sentences: half of a sentence's
    content words, in order, asked about. No headings or file format are needed."""
    questions = []
    for i in rng.sample(range(len(sentences)), len(sentences)):
        content = [w for w in words(sentences[i]) if len(w) > 3 and not w.isdigit()]
        if len(content) < 4:
            continue
        keep = sorted(rng.sample(range(len(content)), max(3, len(content) // 2)))
        questions.append(f"What does it say about {' '.join(content[j] for j in keep)}?")
        if len(questions) == most:
            break
    return questions


def _held_out_accuracy(pos: np.ndarray, neg: np.ndarray, rng: random.Random) -> float:
    """Balanced accuracy of the cut on data it was not fitted on (two folds, averaged)."""
    pos_fold = np.array([rng.random() < 0.5 for _ in pos])
    neg_fold = np.array([rng.random() < 0.5 for _ in neg])
    scores = []
    for fold in (True, False):
        fit_pos, fit_neg = pos[pos_fold == fold], neg[neg_fold == fold]
        test_pos, test_neg = pos[pos_fold != fold], neg[neg_fold != fold]
        if not (len(fit_pos) and len(fit_neg) and len(test_pos) and len(test_neg)):
            return 0.0
        cut, _ = best_threshold(fit_pos, fit_neg)
        scores.append(((test_pos >= cut).mean() + (test_neg < cut).mean()) / 2)
    return float(np.mean(scores))


def calibrate_corpus(
    chunks: Sequence[Chunk],
    embedder: Embedder,
    *,
    max_sentences: int = 1500,
    questions: int = 200,
    seed: int = 13,
) -> dict[str, Any]:
    """The decline threshold for one corpus (see the module docstring), with its held-out
    balanced accuracy; a poor calibration gives no threshold, so the SciFact one is used."""
    rng = random.Random(seed)
    if len(chunks) > max_sentences:  # a big index: read only as many chunks as sentences kept
        chunks = [chunks[i] for i in sorted(rng.sample(range(len(chunks)), max_sentences))]
    sentences = [t for c in chunks for t in c.sentence_texts() if t.strip()]
    if len(sentences) > max_sentences:
        sentences = rng.sample(sentences, max_sentences)
    asked = _sentence_questions(sentences, rng, questions)
    offtopic = offtopic_questions()
    if len(asked) < MIN_QUESTIONS:
        return {
            "threshold": None,
            "reason": f"too little text to calibrate on ({len(asked)} sentences to ask about, "
            f"{MIN_QUESTIONS} needed)",
        }
    sent_vecs = embedder.embed(sentences)
    pos = (embedder.embed(asked) @ sent_vecs.T).max(axis=1)
    neg = (embedder.embed(offtopic) @ sent_vecs.T).max(axis=1)
    threshold, acc = best_threshold(pos, neg)
    held_out = _held_out_accuracy(pos, neg, rng)
    result = {
        "threshold": round(threshold, 4),
        "balanced_accuracy": round(acc, 4),
        "held_out_balanced_accuracy": round(held_out, 4),
        "positives": len(pos),
        "negatives": len(neg),
        "positive_median": round(float(np.median(pos)), 4),
        "negative_max": round(float(neg.max()), 4),
        "sentences": len(sentences),
    }
    if held_out < MIN_HELD_OUT:
        result |= {
            "threshold": None,
            "fitted_threshold": result["threshold"],
            "reason": f"calibration poor: held-out balanced accuracy {held_out:.2f}, under "
            f"{MIN_HELD_OUT:.2f}",
        }
    return result


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def calibrate(
    settings: Settings,
    *,
    claims: int = 400,
    pool: int = 200,
    bank_size: int = 3000,
    seed: int = 13,
    write: bool = True,
) -> dict[str, Any]:
    """Calibrate the relevance threshold for the configured embedder on SciFact train."""
    root = settings.scifact_path
    train, corpus_path = root / "claims_train.jsonl", root / "corpus.jsonl"
    if not train.exists() or not corpus_path.exists():
        raise ModelError(f"SciFact not found under {root}; set ASSISTANT_SCIFACT_DIR.")
    rng = random.Random(seed)
    corpus = {d["doc_id"]: d for d in _read_jsonl(corpus_path)}
    doc_ids = sorted(corpus)
    rows = [r for r in _read_jsonl(train) if r["evidence"]]
    rng.shuffle(rows)
    rows = rows[:claims]
    embedder = load_embedder(settings)

    # One bank of random sentences, embedded once; each pool samples from it.
    bank: list[tuple[int, str]] = []
    while len(bank) < bank_size:
        doc = corpus[rng.choice(doc_ids)]
        if doc["abstract"]:
            bank.append((doc["doc_id"], rng.choice(doc["abstract"])))
    bank_vecs = embedder.embed([t for _, t in bank])
    bank_docs = np.array([d for d, _ in bank])

    pos_scores, neg_scores = [], []
    for row in rows:
        cited = [int(d) for d in row["cited_doc_ids"]]
        rationale = [
            corpus[int(doc)]["abstract"][i]
            for doc, sets in row["evidence"].items()
            for s in sets
            for i in s["sentences"]
        ]
        allowed = np.flatnonzero(~np.isin(bank_docs, cited))
        picks = np.array(rng.sample(list(allowed), pool))
        vecs = embedder.embed([row["claim"], *rationale])
        filler = bank_vecs[picks] @ vecs[0]
        neg_scores.append(float(filler.max()))
        pos_scores.append(float(max(filler.max(), (vecs[1:] @ vecs[0]).max())))
    pos, neg = np.array(pos_scores), np.array(neg_scores)
    threshold, acc = best_threshold(pos, neg)
    result = {
        "threshold": round(threshold, 4),
        "balanced_accuracy": round(acc, 4),
        "claims": len(rows),
        "pool": pool,
        "seed": seed,
        "positive_mean": round(float(pos.mean()), 4),
        "negative_mean": round(float(neg.mean()), 4),
        "data": "SciFact claims_train.jsonl + corpus.jsonl (train only)",
        "embedder": embedder.name,
        "made": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": f"assistant calibrate --claims {claims} --pool {pool} --seed {seed}",
    }
    if write:
        data = (
            json.loads(RELEVANCE_CALIBRATION_PATH.read_text())
            if RELEVANCE_CALIBRATION_PATH.exists()
            else {}
        )
        data.setdefault("thresholds", {})[settings.embedding_model] = result
        RELEVANCE_CALIBRATION_PATH.parent.mkdir(parents=True, exist_ok=True)
        RELEVANCE_CALIBRATION_PATH.write_text(json.dumps(data, indent=2) + "\n")
    return result
