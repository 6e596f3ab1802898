"""The claim verifier: a small cross-encoder that reads (claim, evidence text) and says whether the
evidence supports the claim, contradicts it, or does not bear on it (not enough info, "nei").

It is MiniLM (the bundled embedding model's weights) fine-tuned on SciFact train (or on the
mixture of public sets in mixture.py), because no NLI model ships in any package we may install.

A model folder may hold `verifier.json` (VERIFIER_CONFIG) beside config.json: the input length
it was trained at, whether long evidence is read in sentence windows, and the temperature that
calibrates its probabilities. A folder without one (the models trained before it existed) loads
as before: 128 tokens, evidence truncated, temperature 1.

Windows: when claim + evidence does not fit in max_length tokens, the evidence is cut at
sentence boundaries into consecutive windows that each fit (one sentence of overlap), every
window is scored, and the window with the strongest support-or-contradict probability gives
the pair's probabilities (`pick_window`): one passage that states or denies the claim is
enough, and the probabilities stay those of one real input, which keeps them calibrated.

The claim audit and the eval's citation metrics call `Verifier.predict`; the training
(train.py) and the SciFact dev measurement (evaluate.py) are exported by the package,
`assistant.verifier`.

torch and transformers are imported inside functions: importing this module stays cheap for CLI
paths that never verify anything.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import ModelError
from assistant.settings import MODEL_LOADING, Settings, set_offline_env
from assistant.text import split_sentences
from assistant.verifier.data import LABELS

if TYPE_CHECKING:  # pragma: no cover
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

MAX_LENGTH = 128  # models without a verifier.json were trained and are read at this length
VERIFIER_CONFIG = "verifier.json"
TRAIN_COMMAND = "assistant train-verifier"


def quiet_transformers() -> None:
    """Silence the load report and progress bars: a fresh classification head is expected."""
    from transformers.utils import logging as hf_logging  # lazy: transformers only to load/train

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


class Verifier:
    """A loaded verifier. Thread-safe: the model and its tokenizer are used under one lock (a
    fast tokenizer's truncation settings change from call to call, and a change while another
    thread is tokenizing fails with "Already borrowed")."""

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        max_length: int = MAX_LENGTH,
        path: Path | None = None,
        *,
        windows: bool = False,
        temperature: float = 1.0,
    ) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.path = path
        self.windows = windows
        self.temperature = temperature
        self._lock = threading.RLock()
        names = {int(k): str(v).lower() for k, v in model.config.id2label.items()}
        if sorted(names.values()) != sorted(LABELS):
            raise ModelError(
                f"the model at {path} has labels {sorted(names.values())}, not {sorted(LABELS)}; "
                f"retrain it with `{TRAIN_COMMAND}`."
            )
        self._order = [names[i] for i in range(len(names))]

    @classmethod
    def load(cls, path: Path | None = None, settings: Settings | None = None) -> Verifier:
        """Load the trained verifier (fp16 on disk) as fp32 on CPU."""
        folder = Path(path) if path is not None else (settings or Settings()).verifier_path
        if not (folder / "config.json").exists() or not (folder / "model.safetensors").exists():
            raise ModelError(
                f"no trained verifier in {folder} (config.json and model.safetensors expected). "
                f"Train it with `{TRAIN_COMMAND}` (about 15 minutes on 2 cores), or set "
                "ASSISTANT_VERIFIER_DIR to a folder that holds one."
            )
        set_offline_env()
        try:
            with MODEL_LOADING:  # two threads importing transformers at once can fail
                import torch  # lazy: keeps torch out of light CLI paths
                from transformers import (  # lazy: keeps transformers out of light CLI paths
                    AutoModelForSequenceClassification,
                    AutoTokenizer,
                )

                quiet_transformers()
                tokenizer = AutoTokenizer.from_pretrained(str(folder))
                model = AutoModelForSequenceClassification.from_pretrained(
                    str(folder), dtype=torch.float32
                )
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelError(
                f"the verifier in {folder} could not be loaded ({exc}); "
                f"retrain it with `{TRAIN_COMMAND}`."
            ) from exc
        return cls(model, tokenizer, path=folder, **read_config(folder))

    def predict(self, pairs: list[tuple[str, str]], batch_size: int = 32) -> list[dict[str, float]]:
        """Probabilities {"support", "contradict", "nei"} for each (claim, evidence): softmax of
        the logits over the temperature, of the best window when the evidence is windowed."""
        import torch  # lazy: keeps torch out of light CLI paths

        out = []
        for rows in self.window_logits(pairs, batch_size):
            probs = [self._probs(torch.tensor(r) / self.temperature) for r in rows]
            out.append(probs[pick_window(probs)])
        return out

    def _probs(self, logits) -> dict[str, float]:
        import torch  # lazy: keeps torch out of light CLI paths

        return dict(zip(self._order, torch.softmax(logits, dim=-1).tolist(), strict=True))

    def window_logits(
        self, pairs: list[tuple[str, str]], batch_size: int = 32
    ) -> list[list[list[float]]]:
        """Raw logits (model label order) of every window of every pair: one window per pair
        unless windows are on and the evidence is too long."""
        with self._lock:
            split = [self.split_windows(c, e) if self.windows else [e] for c, e in pairs]
            flat = [(c, w) for (c, _), ws in zip(pairs, split, strict=True) for w in ws]
            logits = self._logits(flat, batch_size)
        out, start = [], 0
        for ws in split:
            out.append(logits[start : start + len(ws)])
            start += len(ws)
        return out

    def _logits(self, pairs: list[tuple[str, str]], batch_size: int) -> list[list[float]]:
        if not pairs:
            return []
        import torch  # lazy: keeps torch out of light CLI paths

        # Sorting by length makes batches of similar length: far less padding on CPU.
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        results: list[list[float]] = [[] for _ in pairs]
        with self._lock, torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                batch = self.encode([pairs[i] for i in chunk])
                rows = self.model(**batch).logits.float().tolist()
                for i, row in zip(chunk, rows, strict=True):
                    results[i] = row
        return results

    def split_windows(self, claim: str, evidence: str) -> list[str]:
        """The evidence whole if claim + evidence fit max_length tokens, else consecutive
        sentence windows that each fit, overlapping by one sentence (a sentence too long on
        its own is one window, truncated when read)."""
        budget = (
            self.max_length - len(self.tokenizer(claim)["input_ids"]) - 1
        )  # [CLS] c [SEP] e [SEP]
        sizes = self.tokenizer([evidence], add_special_tokens=False)["input_ids"]
        if len(sizes[0]) <= budget:
            return [evidence]
        sentences = [evidence[a:b] for a, b in split_sentences(evidence)] or [evidence]
        lengths = [
            len(ids) for ids in self.tokenizer(sentences, add_special_tokens=False)["input_ids"]
        ]
        return [" ".join(sentences[a:b]) for a, b in pack_windows(lengths, budget)]

    def encode(self, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        """Tokenize pairs; only the evidence is truncated, so the claim is always read whole."""
        return self.tokenizer(
            [claim for claim, _ in pairs],
            [evidence for _, evidence in pairs],
            truncation="only_second",
            max_length=self.max_length,
            padding=True,
            return_tensors="pt",
        )


def label_of(scores: dict[str, float]) -> str:
    """The most probable label; ties resolve in LABELS order (support, contradict, nei)."""
    return max(LABELS, key=lambda name: (scores[name], -LABELS.index(name)))


def aggregate(scores: list[dict[str, float]]) -> dict[str, float]:
    """One verdict from the predictions of several evidence sentences for the same claim.

    One sentence that supports (or contradicts) is enough, so the claim takes the strongest
    support and the strongest contradiction over the sentences, and "nei" the weakest
    not-enough-info; the three are renormalized to sum to 1. No sentences means "nei".
    """
    if not scores:
        return {"support": 0.0, "contradict": 0.0, "nei": 1.0}
    support = max(s["support"] for s in scores)
    contradict = max(s["contradict"] for s in scores)
    nei = min(s["nei"] for s in scores)
    total = support + contradict + nei or 1.0
    return {"support": support / total, "contradict": contradict / total, "nei": nei / total}


def pick_window(probs: list[dict[str, float]]) -> int:
    """The window whose support or contradict probability is the highest (the first on a tie)."""
    strength = [max(p["support"], p["contradict"]) for p in probs]
    return strength.index(max(strength))


def pack_windows(lengths: list[int], budget: int) -> list[tuple[int, int]]:
    """[start, end) sentence ranges: greedy runs whose token lengths sum to at most budget, each
    run starting at the previous run's last sentence (one sentence of overlap), all covered."""
    spans, start, n = [], 0, len(lengths)
    while start < n:
        end, total = start, 0
        while end < n and (end == start or total + lengths[end] <= budget):
            total += lengths[end]
            end += 1
        spans.append((start, end))
        if end >= n:
            break
        start = end - 1 if end - 1 > start else end
    return spans


def read_config(folder: Path) -> dict:
    """Verifier keyword arguments from the folder's verifier.json; {} (the old defaults) if none."""
    path = Path(folder) / VERIFIER_CONFIG
    if not path.is_file():
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {
        "max_length": int(raw.get("max_length", MAX_LENGTH)),
        "windows": bool(raw.get("windows", False)),
        "temperature": float(raw.get("temperature", 1.0)),
    }


def write_config(folder: Path, **values) -> None:
    """Merge values (max_length, windows, temperature, ...) into the folder's verifier.json."""
    path = Path(folder) / VERIFIER_CONFIG
    raw = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    path.write_text(json.dumps(raw | values, indent=2) + "\n", encoding="utf-8")
