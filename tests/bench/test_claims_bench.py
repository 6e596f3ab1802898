"""`assistant bench claims`: verifiers beside a majority baseline on a public claim set.

The scoring runs on a fake verifier at the seam (fixed scores per claim), so the confusion
matrix and macro-F1 are known by hand; the command runs end to end with the real shipped
model on a tiny Check-COVID-shaped set written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.bench import format_claims_table, run_claims_bench
from assistant.bench.claims import majority_baseline
from assistant.settings import Settings
from assistant.verifier.model import read_config

CLAIMS = [  # (claim, gold label, what the fake verifier says)
    ("Masks cut transmission.", "SUPPORT", "support"),
    ("Masks stop all transmission.", "SUPPORT", "contradict"),
    ("Masks raise transmission.", "REFUTE", "contradict"),
    ("Masks cause headaches.", "NOTENOUGHINFO", "nei"),
    ("Masks cost money.", "NOTENOUGHINFO", "support"),
]


def _write_check_covid(folder: Path) -> Path:
    (folder / "check-covid").mkdir(parents=True)
    doc = {"cord_id": "d1", "title": "t", "abstract": [
        "Masks reduced transmission of the virus by half in schools.",
        "The study ran in 2021.",
    ]}  # fmt: skip
    (folder / "check-covid" / "corpus.json").write_text(json.dumps(doc) + "\n")
    rows = [
        {"id": f"c{n}_0", "claim": claim, "cord_id": "d1", "label": label,
         "evidence_set": [{"sent_index": 0, "type": "PRIMARY"}], "is_auth": False}
        for n, (claim, label, _) in enumerate(CLAIMS)
    ]  # fmt: skip
    (folder / "check-covid" / "dev.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


class FixedVerifier:
    """The seam: says what CLAIMS says for each claim, whatever the evidence."""

    max_length, windows = 256, True

    def predict(self, pairs: list[tuple[str, str]]) -> list[dict[str, float]]:
        said = {claim: label for claim, _, label in CLAIMS}
        out = []
        for claim, _ in pairs:
            scores = {"support": 0.1, "contradict": 0.1, "nei": 0.1}
            scores[said[claim]] = 0.8
            out.append(scores)
        return out


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(benchmarks_dir=_write_check_covid(tmp_path / "benchmarks"))


def test_scores_confusion_and_baseline_on_a_fake_verifier(
    settings: Settings, tmp_path: Path
) -> None:
    result = run_claims_bench(
        settings, "check-covid", "dev", ["shipped", str(tmp_path)], load=lambda _: FixedVerifier()
    )
    assert result["n"] == 5 and len(result["models"]) == 2
    model = result["models"][0]
    confusion = model["confusion"]
    assert confusion["supported"] == {"supported": 1, "contradicted": 1, "not_enough_info": 0}
    assert confusion["contradicted"]["contradicted"] == 1
    assert confusion["not_enough_info"] == {"supported": 1, "contradicted": 0, "not_enough_info": 1}
    # supported p 1/2 r 1/2, contradicted p 1/2 r 1, not_enough_info p 1 r 1/2
    f1 = {"supported": 0.5, "contradicted": 2 / 3, "not_enough_info": 2 / 3}
    for name, value in f1.items():
        assert model["per_class"][name]["f1"] == pytest.approx(value)
    assert model["macro_f1"] == pytest.approx(sum(f1.values()) / 3)
    assert model["accuracy"] == pytest.approx(3 / 5)
    base = result["majority"]
    assert base["label"] == "supported" and base["accuracy"] == pytest.approx(2 / 5)
    assert base["macro_f1"] == pytest.approx((2 * 0.4 / 1.4) / 3)  # p 2/5, r 1
    table = format_claims_table(result)
    assert "majority (supported)" in table and "not_enough_info" in table and "0.611" in table


def test_majority_ties_go_to_support_first() -> None:
    assert majority_baseline(["nei", "contradict", "support"])["label"] == "supported"


@pytest.mark.slow
def test_bench_claims_command_with_the_shipped_model(settings: Settings, cli) -> None:
    env = {"ASSISTANT_BENCHMARKS_DIR": str(settings.benchmarks_path)}
    result = cli("bench", "claims", "--dataset", "check-covid", "--limit", "4", "--json", env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 4 and report["models"][0]["name"] == "shipped"
    shipped = read_config(settings.verifier_path)  # what the shipped folder says it reads
    assert report["models"][0]["max_length"] == shipped.get("max_length", 128)
    text = cli("bench", "claims", "--dataset", "check-covid", "--limit", "4", env=env)
    assert text.exit_code == 0 and "| shipped |" in text.stdout and "majority" in text.stdout
