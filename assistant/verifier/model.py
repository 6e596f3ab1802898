"""The claim verifier: a small cross-encoder that reads (claim, evidence text) and says whether the
evidence supports the claim, contradicts it, or does not bear on it (not enough info, "nei").

It is MiniLM (the bundled embedding model's weights) fine-tuned on SciFact train, because no NLI
model ships in any package we may install. The claim audit and the eval's citation metrics call
`Verifier.predict`; the training (train.py) and the SciFact dev measurement (evaluate.py) are
exported by the package, `assistant.verifier`.

torch and transformers are imported inside functions: importing this module stays cheap for CLI
paths that never verify anything.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import ModelError
from assistant.settings import Settings, set_offline_env
from assistant.verifier.data import LABELS

if TYPE_CHECKING:  # pragma: no cover
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

MAX_LENGTH = 128
TRAIN_COMMAND = "assistant train-verifier"


def quiet_transformers() -> None:
    """Silence the load report and progress bars: a fresh classification head is expected."""
    from transformers.utils import logging as hf_logging  # lazy: transformers only to load/train

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


class Verifier:
    """A loaded verifier. Thread-safe: torch modules are called under a lock."""

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        max_length: int = MAX_LENGTH,
        path: Path | None = None,
    ) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.path = path
        self._lock = threading.Lock()
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
        return cls(model, tokenizer, path=folder)

    def predict(self, pairs: list[tuple[str, str]], batch_size: int = 32) -> list[dict[str, float]]:
        """Softmax probabilities {"support", "contradict", "nei"} for each (claim, evidence)."""
        if not pairs:
            return []
        import torch  # lazy: keeps torch out of light CLI paths

        # Sorting by length makes batches of similar length: far less padding on CPU.
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        results: list[dict[str, float] | None] = [None] * len(pairs)
        with self._lock, torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                batch = self.encode([pairs[i] for i in chunk])
                probs = torch.softmax(self.model(**batch).logits.float(), dim=-1).tolist()
                for i, row in zip(chunk, probs, strict=True):
                    results[i] = dict(zip(self._order, row, strict=True))
        return [r for r in results if r is not None]

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
