"""Measuring the verifier on SciFact claims "given the gold abstract".

Each item is one (claim, cited abstract) pair of the split, with the abstract's gold label
(support / contradict when the abstract holds rationales for the claim, otherwise nei). Three
ways to form the evidence text, reported side by side because they answer different questions:

- "oracle": the gold rationale sentences of the abstract, joined in abstract order; for an abstract
  with no rationale, the 2 sentences that share the rarest words with the claim (label-blind).
  This is the headline figure the SciFact literature calls oracle-rationale label prediction.
- "abstract": no gold rationale at all: every sentence of the abstract is scored on its own and
  the predictions are combined with `aggregate` (max support, max contradict). This is how the
  claim audit uses the verifier, and the harder, more realistic figure.
- "baseline_pairs": the pairs the earlier baseline was measured on (each rationale sentence with
  its label, plus one seeded random non-rationale sentence of each cited abstract as nei), so the
  result can be compared with that baseline's macro-F1 of 0.49.
"""

from __future__ import annotations

import random
import time

from assistant.settings import Settings
from assistant.verifier.data import LABELS, Idf, best_sentences, join, load_scifact, rationale_sets
from assistant.verifier.model import Verifier, aggregate, label_of

NEI_EVIDENCE_SENTENCES = 2


def scores(gold: list[str], predicted: list[str]) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix (gold rows)."""
    confusion = {g: {p: 0 for p in LABELS} for g in LABELS}
    for g, p in zip(gold, predicted, strict=True):
        confusion[g][p] += 1
    per_class = {}
    for name in LABELS:
        tp = confusion[name][name]
        predicted_n = sum(confusion[g][name] for g in LABELS)
        gold_n = sum(confusion[name].values())
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / gold_n if gold_n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = {"precision": precision, "recall": recall, "f1": f1, "n": gold_n}
    total = len(gold)
    return {
        "n": total,
        "accuracy": sum(confusion[n][n] for n in LABELS) / total if total else 0.0,
        "macro_f1": sum(c["f1"] for c in per_class.values()) / len(LABELS),
        "per_class": per_class,
        "confusion": confusion,
    }


def items(claims: list[dict], corpus: dict[int, dict]) -> list[dict]:
    """One item per (claim, distinct cited abstract present in the corpus)."""
    out = []
    for claim in sorted(claims, key=lambda c: int(c["id"])):
        for doc_id in dict.fromkeys(int(d) for d in claim["cited_doc_ids"]):
            if doc_id in corpus:
                label, sets = rationale_sets(claim, doc_id)
                out.append({"claim": claim, "doc": corpus[doc_id], "label": label, "sets": sets})
    return out


def _timed_predict(verifier: Verifier, pairs: list[tuple[str, str]]) -> tuple[list[dict], float]:
    start = time.perf_counter()
    predictions = verifier.predict(pairs)
    return predictions, time.perf_counter() - start


def oracle_pairs(batch: list[dict], idf: Idf) -> list[tuple[str, str]]:
    """(claim, evidence) per item: its gold rationale sentences joined in abstract order, or
    for an abstract without one, the NEI_EVIDENCE_SENTENCES that share the rarest words."""
    pairs = []
    for item in batch:
        text, sents = item["claim"]["claim"], item["doc"]["abstract"]
        if item["sets"]:
            chosen = sorted({i for s in item["sets"] for i in s})
        else:
            chosen = best_sentences(text, sents, idf, k=NEI_EVIDENCE_SENTENCES)
        pairs.append((text, join(sents, chosen)))
    return pairs


def evaluate_oracle(verifier: Verifier, batch: list[dict], idf: Idf) -> dict:
    predictions, seconds = _timed_predict(verifier, oracle_pairs(batch, idf))
    result = scores([i["label"] for i in batch], [label_of(p) for p in predictions])
    return result | {"seconds": seconds}


def evaluate_abstract(verifier: Verifier, batch: list[dict]) -> dict:
    pairs, owners = [], []
    for n, item in enumerate(batch):
        for sentence in item["doc"]["abstract"]:
            pairs.append((item["claim"]["claim"], sentence.strip()))
            owners.append(n)
    predictions, seconds = _timed_predict(verifier, pairs)
    grouped: list[list[dict]] = [[] for _ in batch]
    for owner, prediction in zip(owners, predictions, strict=True):
        grouped[owner].append(prediction)
    predicted = [label_of(aggregate(g)) for g in grouped]
    return scores([i["label"] for i in batch], predicted) | {"seconds": seconds}


def evaluate_baseline_pairs(verifier: Verifier, batch: list[dict], seed: int = 13) -> dict:
    rng = random.Random(seed)
    pairs, gold = [], []
    for item in batch:
        text, sents = item["claim"]["claim"], item["doc"]["abstract"]
        used = {i for s in item["sets"] for i in s}
        for i in sorted(used):
            pairs.append((text, sents[i].strip()))
            gold.append(item["label"])
        others = [i for i in range(len(sents)) if i not in used]
        if others:
            pairs.append((text, sents[rng.choice(others)].strip()))
            gold.append("nei")
    predictions, seconds = _timed_predict(verifier, pairs)
    return scores(gold, [label_of(p) for p in predictions]) | {"seconds": seconds}


def evaluate_claims(
    verifier: Verifier, claims: list[dict], corpus: dict[int, dict], idf: Idf, full: bool = True
) -> dict:
    """All three measurements on these claims (only "oracle" when full is False)."""
    batch = items(claims, corpus)
    n_claims = len({int(i["claim"]["id"]) for i in batch}) or 1
    result = {"claims": n_claims, "oracle": evaluate_oracle(verifier, batch, idf)}
    if full:
        result["abstract"] = evaluate_abstract(verifier, batch)
        result["baseline_pairs"] = evaluate_baseline_pairs(verifier, batch)
    for mode in ("oracle", "abstract", "baseline_pairs"):
        if mode in result:
            result[mode]["seconds_per_claim"] = result[mode]["seconds"] / n_claims
    return result


def evaluate_scifact_dev(
    settings: Settings, verifier: Verifier, *, max_claims: int | None = None
) -> dict:
    """SciFact dev, measured only (nothing is trained, tuned or thresholded on it).

    max_claims keeps the first claims by id, for quick checks; the reported figures use all 300.
    """
    data = load_scifact(settings.scifact_path)
    claims = sorted(data.dev, key=lambda c: int(c["id"]))[:max_claims]
    return evaluate_claims(verifier, claims, data.corpus, Idf(data.corpus)) | {"split": "dev"}
