"""The training mixture: four public claim-verification sets as (claim, evidence, label) pairs.

What goes in (every set read by datasets.py; no dev or test split is ever used here):

- Check-COVID train: each claim vs its gold evidence sentences, with its label; plus a hard
  negative per support / contradict claim: the sentence of the same abstract, outside the
  evidence, that shares the most words with the claim, as nei.
- HealthVer "fit" part (three topics in four of its dev file; the fourth is only measured).
- SciFact train: claim vs its rationale sentences joined; nei from cited abstracts without
  rationale (their 2 best-matching sentences) and a hard negative from each rationale
  abstract's other sentences (the one sharing the most words with the claim).
- COVID-Fact train: entailment -> support, not -> contradict. Its refuted claims are
  automatic word swaps, a weaker signal, so it is capped (COVIDFACT_CAP per label).
- Retrieved but irrelevant text: for a Check-COVID claim, the evidence of a claim about
  another finding of the same abstract (a different claim stem, no shared sentence), as nei.

Then nei (gold and built alike) is cut down to a seeded sample of at most NEI_RATIO times the
mean of the support and contradict counts, and the loss is weighted by inverse class
frequency in train.py, so neither support nor contradict recall is traded for nei. A seeded
HOLDOUT_FRACTION of the groups of each set (abstracts, topics, claims, evidence passages) is
held out whole for epoch selection: no group is on both sides.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from pathlib import Path

from assistant.text import words
from assistant.verifier.data import Pair
from assistant.verifier.datasets import ClaimItem, load_claims
from assistant.verifier.synthetic import synthetic_pairs

HOLDOUT_FRACTION = 0.1
COVIDFACT_CAP = 500  # pairs per label
NEI_RATIO = 1.4
SOURCES = {  # set -> (split, licence as stated upstream, per benchmarks/README.md)
    "check-covid": ("train", "MIT"),
    "healthver": ("fit", "none stated (NIH/NLM research data)"),
    "scifact": ("train", "claims CC BY 4.0, abstracts ODC-By"),
    "covidfact": ("train", "none stated"),
}


def _overlap(claim: str, sentence: str) -> int:
    return len(set(words(claim)) & set(words(sentence)))


def _hard_negative(item: ClaimItem) -> str | None:
    """The context sentence outside the evidence sharing most words with the claim."""
    others = [i for i in range(len(item.context)) if i not in set(item.picked)]
    if not others:
        return None
    best = max(others, key=lambda i: (_overlap(item.claim, item.context[i]), -i))
    return item.context[best]


def _stem(item: ClaimItem) -> str:
    return item.id.rsplit("_", 1)[0]  # Check-COVID ids: <claim stem>_<variant>


def _same_abstract_negatives(items: list[ClaimItem]) -> list[Pair]:
    """Check-COVID: another claim stem's evidence on the same abstract, no shared sentence."""
    by_doc: dict[str, list[ClaimItem]] = {}
    for item in items:
        if item.label != "nei":
            by_doc.setdefault(item.group, []).append(item)
    pairs = []
    for item in items:
        if item.label == "nei":
            continue
        others = [
            o for o in by_doc[item.group]
            if _stem(o) != _stem(item) and not set(o.picked) & set(item.picked)
        ]  # fmt: skip
        if others:
            other = max(others, key=lambda o: (_overlap(item.claim, o.evidence_text), o.id))
            pairs.append(_pair(item, other.evidence_text, "nei", "same-abstract-other-claim"))
    return pairs


def _pair(item: ClaimItem, evidence: str, label: str, kind: str) -> Pair:
    return Pair(
        item.claim, evidence, label, f"{item.dataset}/{kind}", f"{item.dataset}:{item.group}"
    )


def _gold(item: ClaimItem) -> Pair:
    return _pair(item, item.evidence_text, item.label, "gold")


def _check_covid_pairs(items: list[ClaimItem]) -> list[Pair]:
    return _scifact_pairs(items) + _same_abstract_negatives(items)


def _scifact_pairs(items: list[ClaimItem]) -> list[Pair]:
    """Each claim against its gold evidence, plus (support and contradict claims) against a
    sentence of the same abstract that is not evidence, as nei."""
    pairs = [_gold(i) for i in items]
    for item in items:
        hard = _hard_negative(item) if item.label != "nei" else None
        if hard:
            pairs.append(_pair(item, hard, "nei", "hard-sentence"))
    return pairs


def _cap_covidfact(items: list[ClaimItem], rng: random.Random) -> list[ClaimItem]:
    """A seeded sample of COVIDFACT_CAP items per label, in file order."""
    kept: set[str] = set()
    for label in ("support", "contradict"):
        chosen = [i.id for i in items if i.label == label]
        rng.shuffle(chosen)
        kept.update(chosen[:COVIDFACT_CAP])
    return [i for i in items if i.id in kept]


def _pairs(name: str, items: list[ClaimItem]) -> list[Pair]:
    if name == "check-covid":
        return _check_covid_pairs(items)
    if name == "scifact":
        return _scifact_pairs(items)
    return [_gold(i) for i in items]


def _balance(pairs: list[Pair], rng: random.Random) -> list[Pair]:
    """Keep every support / contradict pair; nei (gold and built alike) sampled to the cap."""
    counts = Counter(p.label for p in pairs)
    cap = round(NEI_RATIO * (counts["support"] + counts["contradict"]) / 2)
    nei = [i for i, p in enumerate(pairs) if p.label == "nei"]
    rng.shuffle(nei)
    keep_nei = set(nei[:cap])
    return [p for i, p in enumerate(pairs) if p.label != "nei" or i in keep_nei]


def held_out_groups(groups: set[str], fraction: float, seed: int) -> set[str]:
    """A seeded fraction of the groups (at least one when there are two or more)."""
    ranked = sorted(groups, key=lambda g: hashlib.sha1(f"{seed}:{g}".encode()).hexdigest())
    n = max(1 if len(ranked) > 1 else 0, round(len(ranked) * fraction))
    return set(ranked[:n])


def build_mixture(
    folder: Path, seed: int = 13, max_per_set: int | None = None, synthetic: int = 0
) -> dict:
    """{"fit": pairs, "held": pairs, "sources": ...}: the mixture, cut by group before pairs
    are built, so a group's gold and negative pairs stay on one side. max_per_set keeps only
    the first items of each set (tests); ``synthetic`` adds that many synthetic pairs per
    label (synthetic.py) to the training part only."""
    rng = random.Random(seed)
    fit: list[Pair] = []
    held: list[Pair] = []
    for name, (split, _) in SOURCES.items():
        items = load_claims(folder, name, split)[:max_per_set]
        if name == "covidfact":
            items = _cap_covidfact(items, rng)
        out = held_out_groups({i.group for i in items}, HOLDOUT_FRACTION, seed)
        fit += _pairs(name, [i for i in items if i.group not in out])
        held += _pairs(name, [i for i in items if i.group in out])
    if synthetic:
        fit += synthetic_pairs(folder, synthetic, seed)
    return {"fit": _balance(fit, rng), "held": _balance(held, rng), "sources": SOURCES}


def describe(pairs: list[Pair]) -> dict:
    """Counts for the model card: by label, by set, by kind."""
    return {
        "pairs": len(pairs),
        "pairs_by_label": dict(sorted(Counter(p.label for p in pairs).items())),
        "pairs_by_set": dict(sorted(Counter(p.kind.split("/")[0] for p in pairs).items())),
        "pairs_by_kind": dict(sorted(Counter(p.kind for p in pairs).items())),
    }
