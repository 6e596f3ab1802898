"""SciFact for the verifier: reading the files, a seeded held-out split, and the training pairs.

Why pairs look the way they do: the claim audit shows the verifier single sentences and short
multi-sentence passages, so training mixes both. Not-enough-info (NEI) pairs are made hard on
purpose (the non-rationale sentences of the cited abstract that share the most words with the
claim, and the best sentence of another abstract that a lexical search returns), because easy
negatives teach nothing. Every class appears as one, two and three joined sentences, so the length
of the evidence text is not a cue for the label. Nothing here reads the dev split's labels except
the dev evaluation items, which are only ever scored.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import SourceError
from assistant.text import words

LABELS = ("support", "contradict", "nei")
_SCIFACT_LABEL = {"SUPPORT": "support", "CONTRADICT": "contradict"}


@dataclass(frozen=True)
class Pair:
    claim: str
    evidence: str
    label: str  # one of LABELS
    kind: str  # how the pair was built, for the model card's counts
    group: str = ""  # mixture pairs: the set and group (abstract, topic, claim) it came from


@dataclass
class SciFact:
    train: list[dict]
    dev: list[dict]
    corpus: dict[int, dict]


def _read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        raise SourceError(
            f"SciFact file {path} is missing. Point ASSISTANT_SCIFACT_DIR (or scifact_dir in the "
            "config file) at the folder holding claims_train.jsonl, claims_dev.jsonl, corpus.jsonl."
        )
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_scifact(folder: Path) -> SciFact:
    corpus = {int(doc["doc_id"]): doc for doc in _read_jsonl(folder / "corpus.jsonl")}
    return SciFact(
        train=_read_jsonl(folder / "claims_train.jsonl"),
        dev=_read_jsonl(folder / "claims_dev.jsonl"),
        corpus=corpus,
    )


def split_holdout(claims: list[dict], fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """Split train claims by id into (fit, held-out) with a seeded shuffle of the sorted ids."""
    ids = sorted({int(c["id"]) for c in claims})
    random.Random(seed).shuffle(ids)
    held = set(ids[: round(len(ids) * fraction)])
    fit = [c for c in claims if int(c["id"]) not in held]
    return fit, [c for c in claims if int(c["id"]) in held]


class Idf:
    """Inverse document frequency over the abstracts: weights word overlap by rarity."""

    def __init__(self, corpus: dict[int, dict]) -> None:
        df: Counter[str] = Counter()
        for doc in corpus.values():
            df.update(set(words(doc["title"] + " " + " ".join(doc["abstract"]))))
        self.n = max(len(corpus), 1)
        self.df = df

    def __call__(self, term: str) -> float:
        return math.log((self.n + 1) / (self.df.get(term, 0) + 0.5))

    def overlap(self, claim: str, sentence: str) -> float:
        shared = set(words(claim)) & set(words(sentence))
        return sum(self(t) for t in shared)


def best_sentences(
    claim: str, sentences: list[str], idf: Idf, k: int, exclude: set[int] = frozenset()
) -> list[int]:
    """Indexes of the k sentences sharing the rarest words with the claim, in abstract order.

    Label-blind on purpose: the dev evaluation uses it for abstracts without a rationale.
    """
    scored = [(-idf.overlap(claim, s), i) for i, s in enumerate(sentences) if i not in exclude]
    return sorted(i for _, i in sorted(scored)[:k])


def join(sentences: list[str], indexes: list[int]) -> str:
    return " ".join(sentences[i].strip() for i in sorted(indexes))


def rationale_sets(claim: dict, doc_id: int) -> tuple[str, list[list[int]]]:
    """(label, sentence-index sets) of one cited abstract; label "nei" with no sets if none."""
    evidence = claim.get("evidence", {}).get(str(doc_id), [])
    if not evidence:
        return "nei", []
    return _SCIFACT_LABEL[evidence[0]["label"]], [sorted(e["sentences"]) for e in evidence]


class LexicalSearch:
    """A tiny inverted index over the abstracts, to find related abstracts a claim does not cite."""

    def __init__(self, corpus: dict[int, dict], idf: Idf) -> None:
        self.idf = idf
        self.postings: dict[str, list[int]] = {}
        for doc_id in sorted(corpus):
            doc = corpus[doc_id]
            for term in set(words(doc["title"] + " " + " ".join(doc["abstract"]))):
                self.postings.setdefault(term, []).append(doc_id)

    def top(self, claim: str, k: int, skip: set[int]) -> list[int]:
        scores: Counter[int] = Counter()
        for term in set(words(claim)):
            weight = self.idf(term)
            for doc_id in self.postings.get(term, []):
                scores[doc_id] += weight
        ranked = sorted((-s, d) for d, s in scores.items() if d not in skip)
        return [d for _, d in ranked[:k]]


def _pairs_for_cited(claim: dict, doc: dict, idf: Idf, rng: random.Random) -> list[Pair]:
    text, sents = claim["claim"], doc["abstract"]
    label, sets = rationale_sets(claim, int(doc["doc_id"]))
    pairs: list[Pair] = []
    if not sets:  # the abstract is cited but holds no rationale: NEI at 1 and 2 sentences
        top = best_sentences(text, sents, idf, k=2)
        pairs.append(Pair(text, join(sents, top[:1]), "nei", "nei-doc-best-1"))
        if len(top) > 1:
            pairs.append(Pair(text, join(sents, top), "nei", "nei-doc-best-2"))
        pairs.append(Pair(text, join(sents, [rng.randrange(len(sents))]), "nei", "nei-doc-random"))
        return pairs
    used = {i for s in sets for i in s}
    for indexes in sets:
        kind = "rationale-sentence" if len(indexes) == 1 else "rationale-set"
        pairs.append(Pair(text, join(sents, indexes), label, kind))
    if len(sets) > 1:
        pairs.append(Pair(text, join(sents, sorted(used)), label, "rationale-union"))
    others = [i for i in range(len(sents)) if i not in used]
    if others:  # a rationale with one unrelated neighbour: extra context must not flip the label
        pairs.append(Pair(text, join(sents, [*sets[0], rng.choice(others)]), label, "with-context"))
    hard = best_sentences(text, sents, idf, k=2, exclude=used)
    for i in hard:
        pairs.append(Pair(text, sents[i].strip(), "nei", "hard-sentence"))
    if len(hard) == 2:
        pairs.append(Pair(text, join(sents, hard), "nei", "hard-2-sentences"))
    rest = [i for i in others if i not in hard]
    if rest:
        three = sorted(rng.sample(rest, min(3, len(rest))))
        pairs.append(Pair(text, join(sents, three), "nei", "random-3-sentences"))
    return pairs


def build_pairs(claims: list[dict], data: SciFact, seed: int) -> list[Pair]:
    """All training pairs for these claims, in a deterministic order (claims sorted by id)."""
    rng = random.Random(seed)
    idf = Idf(data.corpus)
    search = LexicalSearch(data.corpus, idf)
    pairs: list[Pair] = []
    for claim in sorted(claims, key=lambda c: int(c["id"])):
        cited = [int(d) for d in claim["cited_doc_ids"] if int(d) in data.corpus]
        for doc_id in dict.fromkeys(cited):
            pairs.extend(_pairs_for_cited(claim, data.corpus[doc_id], idf, rng))
        for doc_id in search.top(claim["claim"], k=1, skip=set(cited)):
            sents = data.corpus[doc_id]["abstract"]
            best = best_sentences(claim["claim"], sents, idf, k=1)
            pairs.append(Pair(claim["claim"], join(sents, best), "nei", "other-abstract"))
    return pairs
