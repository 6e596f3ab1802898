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

For the other public sets (datasets.py: Check-COVID, HealthVer, SciFact, COVID-Fact as
ClaimItems) `evaluate_items` scores claim vs its evidence text, with the expected calibration
error of the probabilities, and `calibration_report` fits the one temperature that calibrates them.
"""

from __future__ import annotations

import math
import random
import time

from assistant.settings import Settings
from assistant.verifier.data import LABELS, Idf, best_sentences, join, load_scifact, rationale_sets
from assistant.verifier.datasets import ClaimItem, load_claims
from assistant.verifier.model import Verifier, aggregate, label_of, pick_window

NEI_EVIDENCE_SENTENCES = 2
ECE_BINS = 10


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


def evaluate_items(verifier: Verifier, batch: list[ClaimItem]) -> dict:
    """Scores of the verifier on ClaimItems (claim vs its evidence text), with timing; also
    the predictions, for the calibration error."""
    pairs = [(i.claim, i.evidence_text) for i in batch]
    predictions, seconds = _timed_predict(verifier, pairs)
    result = scores([i.label for i in batch], [label_of(p) for p in predictions])
    return result | {
        "seconds": seconds,
        "seconds_per_claim": seconds / len(batch) if batch else 0.0,
        "ece": expected_calibration_error([i.label for i in batch], predictions),
    }


def expected_calibration_error(
    gold: list[str], predictions: list[dict[str, float]], bins: int = ECE_BINS
) -> float:
    """ECE of the top label: |accuracy - confidence| in equal-width confidence bins, weighted."""
    if not gold:
        return 0.0
    totals = [[0, 0.0, 0.0] for _ in range(bins)]  # count, confidence sum, correct sum
    for g, p in zip(gold, predictions, strict=True):
        top = label_of(p)
        b = min(int(p[top] * bins), bins - 1)
        totals[b][0] += 1
        totals[b][1] += p[top]
        totals[b][2] += float(top == g)
    return sum(abs(c - k) for _, c, k in totals) / len(gold)


def _softmax(row: list[float], temperature: float) -> list[float]:
    top = max(row)
    exps = [math.exp((x - top) / temperature) for x in row]
    total = sum(exps)
    return [e / total for e in exps]


def calibration_report(
    verifier: Verifier, batch: list[ClaimItem], temperature: float | None = None
) -> dict:
    """ECE and NLL of the probabilities at T = 1 and at `temperature` (probabilities =
    softmax(logits / T)); with no temperature given, fit the one minimizing the negative log
    likelihood of the gold labels here, by a grid over T in [0.25, 8]. Each pair is read by
    the window the uncalibrated model picks."""
    order = [str(v).lower() for _, v in sorted(verifier.model.config.id2label.items())]
    chosen = []
    for rows in verifier.window_logits([(i.claim, i.evidence_text) for i in batch]):
        probs = [dict(zip(order, _softmax(r, 1.0), strict=True)) for r in rows]
        chosen.append(rows[pick_window(probs)])
    gold = [order.index(i.label) for i in batch]
    n = max(len(batch), 1)

    def nll(t: float) -> float:
        pairs = zip(chosen, gold, strict=True)
        return -sum(math.log(max(_softmax(r, t)[g], 1e-12)) for r, g in pairs) / n

    def ece(t: float) -> float:
        probs = [dict(zip(order, _softmax(r, t), strict=True)) for r in chosen]
        return expected_calibration_error([i.label for i in batch], probs)

    if temperature is None:
        temperature = min((round(0.25 * 1.05**k, 4) for k in range(72)), key=nll)
    return {
        "temperature": temperature,
        "n": len(batch),
        "nll_before": nll(1.0),
        "nll_after": nll(temperature),
        "ece_before": ece(1.0),
        "ece_after": ece(temperature),
    }


DEV_SETS = ("check-covid", "healthver", "scifact")
CALIBRATION_SETS = ("check-covid", "healthver")  # their dev parts: "calibrated (fit on dev)"


def evaluate_dev_sets(verifier: Verifier, folder, limit: int | None = None) -> dict:
    """evaluate_items on the dev split of each of DEV_SETS (first `limit` items of each)."""
    return {
        name: evaluate_items(verifier, load_claims(folder, name, "dev")[:limit])
        for name in DEV_SETS
    }


def measure_calibrated(verifier: Verifier, folder, limit: int | None = None) -> dict:
    """Fit the temperature on CALIBRATION_SETS' dev parts and set it on the verifier, then
    measure every dev set with it (SciFact dev's calibration error is out of sample)."""
    fit_items = [i for name in CALIBRATION_SETS for i in load_claims(folder, name, "dev")[:limit]]
    fitted = calibration_report(verifier, fit_items)
    verifier.temperature = fitted["temperature"]
    scifact = load_claims(folder, "scifact", "dev")[:limit]
    return {
        "calibration": {
            "fit_on": [f"{n} dev" for n in CALIBRATION_SETS],
            **fitted,
            "scifact_dev": calibration_report(verifier, scifact, fitted["temperature"]),
        },
        "dev_sets": evaluate_dev_sets(verifier, folder, limit),
    }
