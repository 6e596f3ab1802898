"""`assistant verify`: labels, strengths and batch error entries, with fakes at the model seam."""

from __future__ import annotations

import json

import pytest
from conftest import RunCli

from assistant.errors import InputError
from assistant.verifier.check import batches, check_claims, make_input, parse_line, read_batch


class FakeVerifier:
    """Support when the evidence holds the claim's last word, contradiction on 'not'."""

    def __init__(self) -> None:
        self.calls: list[list[tuple[str, str]]] = []

    def predict(self, pairs: list[tuple[str, str]]) -> list[dict[str, float]]:
        self.calls.append(pairs)
        out = []
        for claim, evidence in pairs:
            key = claim.rstrip(".").split()[-1].lower()
            if key in evidence.lower() and " not " in f" {evidence.lower()} ":
                out.append({"support": 0.1, "contradict": 0.8, "nei": 0.1})
            elif key in evidence.lower():
                out.append({"support": 0.7, "contradict": 0.1, "nei": 0.2})
            else:
                out.append({"support": 0.1, "contradict": 0.1, "nei": 0.8})
        return out


class FakeStrength:
    """3 for 'causes', 1 for 'associated', else 0."""

    def predict(self, texts: list[str]) -> list[dict]:
        def level(t: str) -> int:
            return 3 if "causes" in t else 1 if "associated" in t else 0

        return [{"strength": level(t), "probabilities": [0.25] * 4} for t in texts]


def test_labels_probabilities_and_exaggeration() -> None:
    items = [
        make_input("Magnesium causes lower CRP.", "Magnesium was associated with lower CRP.", 1),
        make_input("Magnesium causes lower CRP.", "Magnesium did not lower CRP.", 2),
        make_input("Zinc causes hair growth.", "Nothing about it.", 3),
    ]
    results = check_claims(items, FakeVerifier(), FakeStrength())
    assert [r["id"] for r in results] == [1, 2, 3]
    assert [r["label"] for r in results] == ["supported", "contradicted", "not_enough_info"]
    assert results[0]["probabilities"] == {
        "supported": 0.7,
        "contradicted": 0.1,
        "not_enough_info": 0.2,
    }
    assert results[0]["strength"] == {"claim": 3, "evidence": 1}
    assert results[0]["exaggerates"] is True  # a cause claimed, an association found
    assert results[2]["exaggerates"] is False  # unrelated evidence: no comparison to make


def test_listed_evidence_is_judged_whole_and_its_strength_read_from_the_closest_sentence() -> None:
    verifier = FakeVerifier()
    item = make_input(
        "Vitamin D causes fewer falls.",
        ["Unrelated intro.", "Fewer falls were associated with it."],
    )
    [result] = check_claims([item], verifier, FakeStrength())
    assert verifier.calls[0] == [
        (item.claim, "Unrelated intro. Fewer falls were associated with it.")
    ]
    assert result["label"] == "supported"
    assert result["strength"]["evidence"] == 1  # the sentence about falls, not the intro


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 7: not JSON"),
        ('["a list"]', "line 7: expected a JSON object"),
        ('{"id": 1, "claim": "x"}', "line 7: missing evidence"),
        ('{"claim": "  ", "evidence": "e"}', "line 7: the claim is empty"),
        ('{"claim": "c", "evidence": [1, 2]}', "line 7: the evidence must be a text or a list"),
    ],
)
def test_bad_lines_name_their_line_number(line: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_line(line, 7)


def test_a_batch_keeps_going_past_bad_lines() -> None:
    lines = [
        json.dumps({"id": "a", "claim": "Salt causes strokes.", "evidence": "Strokes rose."}),
        "",
        json.dumps({"id": "b", "claim": "c"}),
        "{broken",
        json.dumps({"id": "d", "claim": "Tea is associated with calm.", "evidence": ["Calm."]}),
    ]
    entries = list(read_batch(lines))
    assert [n for n, _, _ in entries] == [1, 3, 4, 5]  # the blank line is skipped
    assert isinstance(entries[1][1], InputError) and entries[1][2] == "b"  # its id survives
    assert isinstance(entries[2][1], InputError) and entries[2][2] is None
    good = [item for _, item, _ in entries if not isinstance(item, InputError)]
    assert [r["id"] for r in check_claims(good, FakeVerifier(), FakeStrength())] == ["a", "d"]


def test_batches_stream_in_pieces() -> None:
    pieces = list(batches(iter(range(70)), size=32))  # type: ignore[arg-type]
    assert [len(p) for p in pieces] == [32, 32, 6]


@pytest.mark.slow
def test_verify_command_with_the_shipped_models(tmp_path, cli: RunCli) -> None:
    one = cli("verify", "Magnesium lowers CRP.", "--evidence", "Magnesium lowered CRP.", "--json")
    assert one.exit_code == 0, one.output
    result = json.loads(one.stdout)
    assert result["label"] in ("supported", "contradicted", "not_enough_info")
    assert abs(sum(result["probabilities"].values()) - 1.0) < 0.01
    assert set(result["strength"]) == {"claim", "evidence"}
    batch = tmp_path / "claims.jsonl"
    batch.write_text(
        json.dumps({"id": "a", "claim": "Zinc cures colds.", "evidence": ["Zinc did not."]})
        + "\n{broken\n"
        + json.dumps({"id": "c", "claim": "Tea calms.", "evidence": "Tea calmed people."})
        + "\n"
    )
    out = cli("verify", "--batch", batch)
    assert out.exit_code == 2  # a bad line fails the run, after every good line was checked
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r.get("id") for r in rows] == ["a", None, "c"]
    assert rows[1]["line"] == 2 and "not JSON" in rows[1]["error"]
    assert "label" in rows[0] and "label" in rows[2]
    assert "1 line(s)" in out.stderr
    assert cli("verify", "A claim.").exit_code == 2  # no evidence
    assert cli("verify").exit_code == 2  # neither a claim nor a batch
