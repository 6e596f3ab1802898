"""The public claim-verification sets under ../shared/benchmarks, read into one shape.

Each row becomes a ``ClaimItem``: a claim, the evidence sentences it is judged against, and
one of the verifier's labels (support / contradict / nei), with the whole abstract it came
from where the set has one (``context``: the training mixture draws hard negatives from it).
Splits follow the sets' own; where a set has no train split (HealthVer ships dev only), it is
cut by topic into a part to fit on and a part to measure on, so no topic is seen on both
sides. Held-out test splits are not here and are never read.

| set | splits here | evidence | labels | group (never straddles a split) |
|---|---|---|---|---|
| check-covid | train, dev | the abstract's gold evidence sentences | SUPPORT / REFUTE / NOTENOUGHINFO | abstract |
| healthver | fit, dev (by topic, from its dev file) | the evidence passage | Supports / Refutes / Neutral | topic |
| scifact | train, dev | rationale sentences; for NEI the cited abstract's 2 most similar | SUPPORT / CONTRADICT / NEI | claim |
| covidfact | train, dev | the web evidence | entailment / not_entailment (word swaps) | evidence |
"""  # noqa: E501

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import SourceError, UsageError
from assistant.verifier.data import Idf, best_sentences, load_scifact

__all__ = ["DATASETS", "HEALTHVER_DEV_EVERY", "ClaimItem", "load_claims"]

csv.field_size_limit(10_000_000)  # HealthVer evidence passages are long


@dataclass(frozen=True)
class ClaimItem:
    """A claim and the evidence it is judged against, with its gold label."""

    id: str
    claim: str
    evidence: tuple[str, ...]  # sentences (or one passage)
    label: str  # "support" | "contradict" | "nei"
    dataset: str
    group: str = ""  # what must not straddle a split (a topic, an abstract, a claim)
    context: tuple[str, ...] = ()  # the whole abstract the evidence comes from, if any
    picked: tuple[int, ...] = ()  # the evidence's sentence indexes in context

    @property
    def evidence_text(self) -> str:
        return " ".join(s.strip() for s in self.evidence)


def _missing(path: Path) -> SourceError:
    return SourceError(
        f"{path} is missing: point ASSISTANT_BENCHMARKS_DIR (benchmarks_dir in the config file) "
        "at the folder holding check-covid/, healthver/, scifact/, covidfact/."
    )


def _jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        raise _missing(path)
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _json_stream(path: Path) -> list[dict]:
    """JSON objects one after another (Check-COVID's corpus.json is not one JSON value)."""
    if not path.is_file():
        raise _missing(path)
    raw = path.read_text(encoding="utf-8")
    decoder, out, pos = json.JSONDecoder(), [], 0
    while True:
        while pos < len(raw) and raw[pos].isspace():
            pos += 1
        if pos >= len(raw):
            return out
        value, pos = decoder.raw_decode(raw, pos)
        out.extend(value if isinstance(value, list) else [value])


_CHECK_COVID = {"SUPPORT": "support", "REFUTE": "contradict", "NOTENOUGHINFO": "nei"}


def _check_covid(folder: Path, split: str) -> list[ClaimItem]:
    docs = {d["cord_id"]: d for d in _json_stream(folder / "check-covid" / "corpus.json")}
    items = []
    for row in _jsonl(folder / "check-covid" / f"{split}.jsonl"):
        doc = docs.get(row["cord_id"])
        if doc is None:
            continue
        sentences = tuple(s.strip() for s in doc["abstract"])
        picked = tuple(
            sorted({e["sent_index"] for e in row["evidence_set"]} & set(range(len(sentences))))
        )
        items.append(
            ClaimItem(
                row["id"], row["claim"].strip(), tuple(sentences[i] for i in picked),
                _CHECK_COVID[row["label"]], "check-covid", row["cord_id"], sentences, picked,
            )
        )  # fmt: skip
    return items


_HEALTHVER = {"Supports": "support", "Refutes": "contradict", "Neutral": "nei"}
HEALTHVER_DEV_EVERY = 4  # one topic in four is measured, the rest may be fitted on


def _healthver(folder: Path, split: str) -> list[ClaimItem]:
    path = folder / "healthver" / "healthver_dev.csv"
    if not path.is_file():
        raise _missing(path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    items = []
    for row in rows:
        measured = int(row["topic_ip"]) % HEALTHVER_DEV_EVERY == 0
        if measured == (split == "dev"):
            items.append(
                ClaimItem(
                    f"hv-{row['id']}", row["claim"].strip(), (row["evidence"].strip(),),
                    _HEALTHVER[row["label"]], "healthver", f"topic-{row['topic_ip']}",
                )
            )  # fmt: skip
    return items


_SCIFACT = {"SUPPORT": "support", "CONTRADICT": "contradict"}


def _scifact(folder: Path, split: str) -> list[ClaimItem]:
    data = load_scifact(folder / "scifact")
    idf = Idf(data.corpus)
    items = []
    for claim in sorted(data.train if split == "train" else data.dev, key=lambda c: int(c["id"])):
        evidence = claim.get("evidence") or {}
        for doc_id in dict.fromkeys(int(d) for d in claim.get("cited_doc_ids", [])):
            if doc_id not in data.corpus:
                continue
            abstract = tuple(s.strip() for s in data.corpus[doc_id]["abstract"])
            sets = evidence.get(str(doc_id), [])
            if sets:
                picked = sorted({i for s in sets for i in s["sentences"]})
                label = _SCIFACT[sets[0]["label"]]
            else:  # label-blind, as the SciFact dev evaluation does (evaluate.oracle_pairs)
                picked, label = best_sentences(claim["claim"], list(abstract), idf, 2), "nei"
            items.append(
                ClaimItem(
                    f"sf-{claim['id']}-{doc_id}", claim["claim"].strip(),
                    tuple(abstract[i] for i in picked), label, "scifact",
                    f"claim-{claim['id']}", abstract, tuple(picked),
                )
            )  # fmt: skip
    return items


def _covidfact(folder: Path, split: str) -> list[ClaimItem]:
    path = folder / "covidfact" / f"rte_{split}.tsv"
    if not path.is_file():
        raise _missing(path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    items = []
    for row in rows[1:]:  # index, sentence1 (evidence), Sentence2 (claim), label
        if len(row) < 4:
            continue
        index, evidence, claim, label = (cell.strip() for cell in row[:4])
        gold = "support" if label.lower() == "entailment" else "contradict"
        group = "ev-" + hashlib.sha1(evidence.encode("utf-8")).hexdigest()[:12]
        items.append(ClaimItem(f"cf-{split}-{index}", claim, (evidence,), gold, "covidfact", group))
    return items


Loader = Callable[[Path, str], list[ClaimItem]]
DATASETS: dict[str, tuple[Loader, tuple[str, ...]]] = {
    "check-covid": (_check_covid, ("train", "dev")),
    "healthver": (_healthver, ("fit", "dev")),
    "scifact": (_scifact, ("train", "dev")),
    "covidfact": (_covidfact, ("train", "dev")),
}


def load_claims(folder: Path, dataset: str, split: str) -> list[ClaimItem]:
    """The items of one set's split; a clear error names the sets and splits there are."""
    if dataset not in DATASETS:
        raise UsageError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}.")
    loader, splits = DATASETS[dataset]
    if split not in splits:
        raise UsageError(f"{dataset} has splits {', '.join(splits)} here, not {split!r}.")
    return loader(Path(folder), split)
