"""Synthetic training pairs that teach the verifier what a restatement, a reversal and an
unrelated passage look like, made from the sentences of training abstracts.

The public sets hold about 4,600 labelled pairs, too few for a small model to learn that a
sentence supports its own restatement: the shipped verifier called "magnesium supplementation
significantly lowered serum CRP" a contradiction of "magnesium lower CRP", and read the
abbreviation "(NO)" as a negation. These pairs are built from the abstracts of SciFact train
and Check-COVID train claims only (never a dev or test split's), each read in a window of
the sentence and its neighbours, as the audit reads passages:

- restated (support): the sentence itself, or its first clause when that clause is a
  statement of its own (six words or more);
- reversed (contradict): the sentence with one direction word swapped for its opposite
  (increased / decreased, higher / lower...) or "associated with" negated, the way COVID-Fact
  made its refuted claims;
- elsewhere (nei): a sentence against the window of another abstract's sentence that shares
  the most words with it (on topic, not the same finding).

`synthetic_pairs` returns ``per_label`` pairs of each kind, seeded; they only ever go into the
training part of the mixture, never into the held-out pairs that pick the epoch.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from assistant.text import words
from assistant.verifier.data import Pair
from assistant.verifier.datasets import load_claims

WINDOW = 1  # neighbouring sentences on each side of the one restated
MIN_WORDS = 8
MAX_WORDS = 60  # a claim is read whole: a longer sentence would leave no room for evidence
MIN_CLAUSE_WORDS = 6
CANDIDATES = 40  # other abstracts tried for an "elsewhere" passage

# Direction words and their opposites (both ways), as whole words, lower case.
_OPPOSITES = {
    "increased": "decreased",
    "increase": "decrease",
    "increases": "decreases",
    "increasing": "decreasing",
    "higher": "lower",
    "greater": "smaller",
    "more": "less",
    "improved": "worsened",
    "improves": "worsens",
    "enhanced": "impaired",
    "elevated": "lowered",
    "reduced": "increased",
    "reduces": "increases",
    "reduce": "increase",
    "upregulated": "downregulated",
    "promotes": "inhibits",
    "promoted": "inhibited",
    "activates": "inhibits",
    "raised": "lowered",
    "rise": "fall",
    "positively": "negatively",
    "accelerated": "delayed",
}
_SWAPS = {b: a for a, b in _OPPOSITES.items()} | _OPPOSITES  # both ways; the left column wins
_SWAP = re.compile(r"\b(" + "|".join(sorted(_SWAPS, key=len, reverse=True)) + r")\b", re.I)
_ASSOCIATED = re.compile(r"\b(is|are|was|were)( significantly)? (associated|correlated)\b", re.I)


def _abstracts(folder: Path) -> list[tuple[str, ...]]:
    """The abstracts (as sentences) of SciFact train and Check-COVID train claims, once each."""
    seen: dict[tuple[str, ...], None] = {}
    for name in ("scifact", "check-covid"):
        for item in load_claims(folder, name, "train"):
            if item.context:
                seen.setdefault(tuple(s.strip() for s in item.context), None)
    return list(seen)


def _window(sentences: tuple[str, ...], i: int) -> str:
    return " ".join(sentences[max(0, i - WINDOW) : i + WINDOW + 1])


def _restated(sentence: str, rng: random.Random) -> str:
    head = re.split(r"[,;]\s", sentence, maxsplit=1)[0].rstrip(".")
    if head != sentence.rstrip(".") and len(words(head)) >= MIN_CLAUSE_WORDS and rng.random() < 0.5:
        return head + "."
    return sentence


def reversed_claim(sentence: str) -> str | None:
    """The sentence saying the opposite (one direction word swapped, or an association
    negated), or None when it has no such word."""
    m = _SWAP.search(sentence)
    if m:
        word = m.group(1)
        opposite = _SWAPS[word.lower()]
        opposite = opposite.capitalize() if word[0].isupper() else opposite
        return sentence[: m.start()] + opposite + sentence[m.end() :]
    m = _ASSOCIATED.search(sentence)
    if m:
        return f"{sentence[: m.end(1)]} not{sentence[m.end(1) :]}"
    return None


def synthetic_pairs(folder: Path, per_label: int, seed: int = 13) -> list[Pair]:
    """``per_label`` restated, reversed and elsewhere pairs (see the module doc), seeded."""
    rng = random.Random(seed)
    abstracts = _abstracts(folder)
    spots = [
        (a, i)
        for a, sentences in enumerate(abstracts)
        for i, s in enumerate(sentences)
        if MIN_WORDS <= len(words(s)) <= MAX_WORDS
    ]
    rng.shuffle(spots)
    pairs: list[Pair] = []
    counts = {"support": 0, "contradict": 0, "nei": 0}

    def add(claim: str, evidence: str, label: str, kind: str, a: int) -> None:
        if counts[label] < per_label:
            pairs.append(Pair(claim, evidence, label, f"synthetic/{kind}", f"synthetic:{a}"))
            counts[label] += 1

    for a, i in spots:
        if min(counts.values()) >= per_label:
            break
        sentences = abstracts[a]
        sentence, window = sentences[i], _window(sentences, i)
        add(_restated(sentence, rng), window, "support", "restated", a)
        flipped = reversed_claim(sentence)
        if flipped:
            add(flipped, window, "contradict", "reversed", a)
        if counts["nei"] < per_label:
            add(sentence, _elsewhere(sentence, abstracts, a, rng), "nei", "elsewhere", a)
    return pairs


def _elsewhere(sentence: str, abstracts: list[tuple[str, ...]], a: int, rng: random.Random) -> str:
    """The window of the sentence, in another abstract, sharing the most words with it."""
    mine = set(words(sentence))
    best, best_score = "", -1
    for b in rng.sample(range(len(abstracts)), min(CANDIDATES, len(abstracts))):
        if b == a:
            continue
        for j, other in enumerate(abstracts[b]):
            score = len(mine & set(words(other)))
            if score > best_score:
                best, best_score = _window(abstracts[b], j), score
    return best
