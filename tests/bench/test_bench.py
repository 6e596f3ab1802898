"""SciFact retrieval benchmark on a tiny BEIR-format folder, and the embedding cache."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import RunCli, make_settings

import assistant.bench.cache as cache
from assistant.bench import (
    EmbeddingCache,
    cached_embed,
    format_corpus_report,
    rerank_rankings,
    reranker_path,
    run_corpus_bench,
    run_retrieval_benchmark,
    run_scale,
    train_reranker,
)
from assistant.bench.beir import fuse, load_beir, paired_bootstrap, score_rankings
from assistant.bench.reranker import combine
from assistant.bench.scale import format_table
from assistant.errors import SourceError, UsageError
from assistant.index.embeddings import HashEmbedder
from assistant.settings import Settings

DOCS = {
    "1": ("Vitamin D", "Low vitamin D levels are linked with alopecia areata."),
    "2": ("Iron stores", "Ferritin deficiency is associated with telogen effluvium."),
    "3": ("Magnesium", "Magnesium supplementation lowered C-reactive protein in trials."),
    "4": ("Zinc", "Zinc levels were measured in patients with hair loss."),
    "5": ("Unrelated", "Volcanic ash changes regional rainfall patterns."),
}
QUERIES = {
    "q1": "vitamin D and alopecia areata",
    "q2": "ferritin and telogen effluvium",
    "q3": "magnesium lowers C-reactive protein",
    # train queries: must never be scored as test
    "t1": "zinc in hair loss",
    "t2": "volcanic ash and rainfall",
    "t3": "ferritin levels",
    "t4": "vitamin D deficiency",
}
TRAIN_QRELS = [("t1", "4"), ("t2", "5"), ("t3", "2"), ("t4", "1")]
TEST_QRELS = [("q1", "1"), ("q2", "2"), ("q3", "3")]


def _beir(folder: Path) -> Path:
    base = folder / "beir"
    (base / "qrels").mkdir(parents=True)
    with (base / "corpus.jsonl").open("w") as f:
        for i, (title, text) in DOCS.items():
            f.write(json.dumps({"_id": i, "title": title, "text": text, "metadata": {}}) + "\n")
    with (base / "queries.jsonl").open("w") as f:
        for i, text in QUERIES.items():
            f.write(json.dumps({"_id": i, "text": text, "metadata": {}}) + "\n")
    rows = "".join(f"{q}\t{d}\t1\n" for q, d in TEST_QRELS)
    (base / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + rows)
    train = "".join(f"{q}\t{d}\t1\n" for q, d in TRAIN_QRELS)
    (base / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\n" + train)
    return folder


@pytest.fixture
def tiny(tmp_path: Path) -> Settings:
    return Settings(
        root_dir=tmp_path, scifact_dir=_beir(tmp_path / "scifact"), embedding_model="hash:64"
    )


def test_loader_keeps_only_the_split(tiny: Settings) -> None:
    data = load_beir(tiny.scifact_path, "test")
    assert sorted(data.queries) == ["q1", "q2", "q3"]
    assert data.qrels["q3"] == {"3": 1}
    assert data.doc_text(0).startswith("Vitamin D Low vitamin D")


def test_benchmark_scores_each_method(tiny: Settings) -> None:
    result = run_retrieval_benchmark(tiny, ["bm25", "dense", "hybrid"])
    assert result["queries"] == 3 and result["documents"] == 5
    bm25 = result["results"]["bm25"]
    assert bm25["ndcg@10"] == pytest.approx(1.0)  # each query shares rare words with its doc
    assert bm25["recall@100"] == 1.0
    for method in ("dense", "hybrid"):
        r = result["results"][method]
        assert 0.0 < r["ndcg@10"] <= 1.0 and r["recall@100"] == 1.0
    assert "ndcg@10_vs_hybrid" in result["results"]["bm25"]
    assert result["anchors"]["all-MiniLM-L6-v2 (MTEB)"] == 0.645
    # the cache was written where the settings say, keyed by the model's name
    assert list((tiny.root_dir / ".cache" / "embeddings").glob("hash-64-64/vectors.npy"))


def test_scores_and_fusion_on_hand_rankings() -> None:
    qrels = {"a": {"x": 1}, "b": {"y": 1, "z": 1}}
    perfect = score_rankings({"a": ["x"], "b": ["y", "z"]}, qrels)
    assert perfect["ndcg@10"] == 1.0 and perfect["recall@100"] == 1.0
    half = score_rankings({"a": [], "b": ["y"]}, qrels)
    assert half["recall@100"] == pytest.approx(0.25)  # (0 + 1/2) / 2
    fused = fuse({"a": ["x", "w"]}, {"a": ["w", "v"]}, k=60)
    assert fused["a"][0] == "w"  # in both lists beats first in one


def test_paired_bootstrap_interval() -> None:
    same = paired_bootstrap([0.2, 0.5, 0.9], [0.2, 0.5, 0.9])
    assert same == {"diff": 0.0, "ci_low": 0.0, "ci_high": 0.0}
    base = [0.1 * (i % 7) for i in range(60)]
    better = paired_bootstrap(base, [b + 0.1 for b in base])
    assert better["diff"] == pytest.approx(0.1) and better["ci_low"] == pytest.approx(0.1)
    mixed = paired_bootstrap(base, [b + (0.3 if i % 2 else -0.3) for i, b in enumerate(base)])
    assert mixed["ci_low"] < 0 < mixed["ci_high"]  # no consistent difference: interval spans 0


def test_unknown_method_and_missing_data(tiny: Settings, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown method"):
        run_retrieval_benchmark(tiny, ["bm26"])
    empty = Settings(root_dir=tmp_path, scifact_dir=tmp_path / "nowhere")
    with pytest.raises(SourceError, match="ASSISTANT_SCIFACT_DIR"):
        run_retrieval_benchmark(empty, ["bm25"])


class CountingEmbedder(HashEmbedder):
    def __init__(self, fail_after: int | None = None) -> None:
        super().__init__(32)
        self.calls: list[int] = []
        self.fail_after = fail_after

    def embed(self, texts: list[str]) -> np.ndarray:
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise KeyboardInterrupt("killed")
        self.calls.append(len(texts))
        return super().embed(texts)


def test_cache_embeds_only_what_it_lacks(tmp_path: Path) -> None:
    texts = [f"abstract number {i}" for i in range(10)]
    first = CountingEmbedder()
    vectors, embedded = cached_embed(first, texts, tmp_path)
    assert embedded == 10 and vectors.shape == (10, 32)
    second = CountingEmbedder()
    again, embedded = cached_embed(second, texts, tmp_path)
    assert embedded == 0 and second.calls == [] and np.array_equal(vectors, again)
    changed = [*texts[:9], "a changed abstract"]
    third = CountingEmbedder()
    rows, embedded = cached_embed(third, changed, tmp_path)
    assert embedded == 1 and np.array_equal(rows[:9], vectors[:9])
    assert np.allclose(rows[9], HashEmbedder(32).embed(["a changed abstract"])[0])


def test_interrupted_embedding_keeps_finished_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "SAVE_EVERY", 4)
    texts = [f"text {i}" for i in range(10)]
    with pytest.raises(KeyboardInterrupt):
        cached_embed(CountingEmbedder(fail_after=2), texts, tmp_path)
    assert len(EmbeddingCache(tmp_path, "hash-32", 32)) == 8  # two batches of 4 were saved
    resumed = CountingEmbedder()
    _, embedded = cached_embed(resumed, texts, tmp_path)
    assert embedded == 2 and resumed.calls == [2]


def test_cli_bench_retrieval_and_verify(tiny: Settings, tmp_path: Path, cli: RunCli) -> None:
    env = {
        "ASSISTANT_ROOT_DIR": str(tiny.root_dir),
        "ASSISTANT_SCIFACT_DIR": str(tiny.scifact_path),
        "ASSISTANT_EMBEDDING_MODEL": "hash:64",
        "ASSISTANT_VERIFIER_DIR": str(tmp_path / "no-verifier"),
    }
    ok = cli("bench", "scifact-retrieval", "--methods", "bm25", "--json", env=env)
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["results"]["bm25"]["ndcg@10"] == pytest.approx(1.0)
    text = cli("bench", "scifact-retrieval", "--methods", "bm25", env=env)
    assert "published: bge-small-en-v1.5" in text.output and "this repo: bm25" in text.output
    bad = cli("bench", "scifact-retrieval", "--methods", "nope", env=env)
    assert bad.exit_code == 2 and "unknown method" in bad.output
    verify = cli("bench", "scifact-verify", env=env)
    assert verify.exit_code == 1 and "no trained verifier" in verify.output
    # by default: every method there is; without a trained reranker, the first three
    default = cli("bench", "scifact-retrieval", "--json", env=env)
    assert default.exit_code == 0, default.output
    assert sorted(json.loads(default.stdout)["results"]) == ["bm25", "dense", "hybrid"]
    assert "bench train-reranker" in default.stderr


def test_reranker_combines_its_order_with_hybrid() -> None:
    hybrid = ["a", "b", "c", "d", "e"]
    scores = {"a": 0.1, "b": 0.9, "c": 0.5}  # the reranker saw the top 3 only
    assert combine(hybrid, scores, "replace", 60) == ["b", "c", "a", "d", "e"]
    fused = combine(hybrid, scores, "fuse", 60)
    assert fused[3:] == ["d", "e"] and sorted(fused[:3]) == ["a", "b", "c"]
    assert fused[0] == "b"  # 2nd + 1st beats 1st + 3rd under reciprocal rank fusion


@pytest.mark.slow
def test_reranker_trains_on_train_saves_and_reranks(tiny: Settings) -> None:
    meta = train_reranker(tiny, epochs=1, max_queries=3)
    assert meta["train_queries"] == 3 and meta["heldout_queries"] == 1
    assert meta["combine"] in ("replace", "fuse") and meta["log"]["losses"]
    assert (reranker_path(tiny) / "reranker.json").exists()
    test = load_beir(tiny.scifact_path, "test")
    hybrid = {q: ["1", "2", "3", "4", "5"] for q in test.queries}
    reranked = rerank_rankings(tiny, test, hybrid)
    assert all(sorted(r) == ["1", "2", "3", "4", "5"] for r in reranked.values())
    result = run_retrieval_benchmark(tiny, ["hybrid", "rerank"])
    assert 0.0 < result["results"]["rerank"]["ndcg@10"] <= 1.0


def test_scale_benchmark_runs_on_a_tiny_size(tmp_path: Path) -> None:
    """bench scale end to end on 20 real SciFact abstracts and 500 synthetic chunks (embedded
    store, hashing embedder), so the benchmark cannot rot unnoticed between full runs."""
    settings = make_settings(tmp_path)
    rows = run_scale(
        settings,
        tmp_path / "scale",
        limit=20,
        synthetic=500,
        queries=3,
        modes=("embedded",),
        log=lambda _: None,
    )
    scifact, synthetic = rows
    assert scifact["size"].startswith("20 docs / ") and synthetic["size"] == "500 synthetic chunks"
    for row in rows:
        assert row["mode"] == "embedded" and row["chunks_per_s"] > 0 and row["store_mb"] > 0
        assert row["load_s"] >= 0 and row["search_p95_ms"] >= row["search_p50_ms"] > 0
    assert scifact["ask_p95_ms"] >= scifact["ask_p50_ms"] > 0
    table = format_table(rows).splitlines()
    assert "| load_s |" in table[0] and len(table) == 4
    load_col = table[0].split(" | ").index("load_s")
    assert all(line.split(" | ")[load_col].strip() for line in table[2:])  # never blank


def test_corpus_benchmark_times_builds_and_answers_on_a_copy(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    original = {p: p.read_bytes() for p in settings.sources_path.rglob("*") if p.is_file()}
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        "\n".join(
            json.dumps(
                {
                    "id": f"q{n}",
                    "split": "dev",
                    "category": "article_fact",
                    "question": q,
                    "facts": ["x"],
                }
            )
            for n, q in enumerate(["What is the RDA for women?", "Is deficiency common?"])
        )
        + "\n"
    )
    report = run_corpus_bench(
        settings, tmp_path / "work", questions=questions, cold_runs=1, log=lambda _: None
    )
    cold, noop, incremental = report["builds"]
    assert cold["documents_re_embedded"] >= 4 and cold["chunks_embedded"] == cold["chunks_total"]
    assert noop["documents_re_embedded"] == 0 and noop["chunks_embedded"] == 0
    assert incremental["documents_re_embedded"] == 1
    assert 0 < incremental["chunks_embedded"] < cold["chunks_total"]
    assert all(row["p50_ms"] > 0 for row in report["latency"])
    assert "| cold |" in format_corpus_report(report)
    # the user's own sources and index are untouched: the benchmark works on a copy
    assert {p: p.read_bytes() for p in original} == original
    assert not settings.index_path.exists()


def test_sentence_bench_scores_boundaries_on_gold_sentences(tmp_path) -> None:
    from assistant.bench.sentences import format_sentence_table, run_sentence_bench

    abstracts = [
        ["Dr. Lee saw a rise in mice.", "p53 rose.", "It held vs. placebo."],
        ["One sentence only."],  # nothing to split: not counted
        ["It rose in mice.", "this fell later."],  # a plain lowercase start is not split
    ]
    lines = [json.dumps({"doc_id": i, "abstract": a}) for i, a in enumerate(abstracts)]
    (tmp_path / "corpus.jsonl").write_text("\n".join(lines) + "\n")
    rows = run_sentence_bench(tmp_path)
    ours = next(r for r in rows if r["splitter"] == "ours")
    assert (ours["abstracts"], ours["boundaries"]) == (2, 3)
    assert ours["precision"] == 1.0 and ours["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert "ours" in format_sentence_table(rows)


def test_pubmedqa_bench_scores_answers_against_their_own_abstracts(tmp_path) -> None:
    from conftest import make_settings

    from assistant.bench.pubmedqa import abstract_document, run_pubmedqa_bench

    entries = {
        "1": {
            "QUESTION": "Does zinc shorten the common cold in adults?",
            "CONTEXTS": ["Adults with colds took zinc lozenges or placebo in a trial."],
            "LABELS": ["BACKGROUND"],
            "LONG_ANSWER": "Zinc lozenges shortened the common cold in adults by two days.",
            "final_decision": "yes",
        },
        "2": {
            "QUESTION": "Is walking linked to lower blood pressure in older women?",
            "CONTEXTS": ["Older women wore step counters for a year.", "Blood pressure fell."],
            "LABELS": ["METHODS", "RESULTS"],
            "LONG_ANSWER": "Walking more was linked to lower blood pressure in older women.",
            "final_decision": "no",
        },
    }
    doc, (start, end) = abstract_document("1", entries["1"])
    assert doc.text[start:end] == entries["1"]["LONG_ANSWER"]
    assert [doc.text[b.start : b.end] for b in doc.blocks if b.kind == "heading"] == [
        "BACKGROUND",
        "CONCLUSIONS",
    ]
    folder = tmp_path / "benchmarks" / "pubmedqa"
    folder.mkdir(parents=True)
    (folder / "pqal_dev.json").write_text(json.dumps(entries))
    settings = make_settings(
        tmp_path, benchmarks_dir=tmp_path / "benchmarks", relevance_threshold=0.0
    )
    result = run_pubmedqa_bench(settings, tmp_path / "work", log=lambda _: None)
    assert result["questions"] == 2
    assert result["cites_own"] == 1.0 and result["first_own"] == 1.0
    assert 0.0 <= result["conclusion"] <= 1.0 and result["answered"] == 1.0
    for rule in ("direct", "direct_argmax"):  # both read as yes/no questions, then decided
        assert result[rule]["read_as_yes_no"] == 1.0 and 0.0 <= result[rule]["accuracy"] <= 1.0
    assert result["majority"]["accuracy"] == 0.5
    assert result["leads"] == 0 and result["lead_quotes_conclusion"] is None  # yes/no only
    assert result["engine"] == "extractive" and result["kept"] == 1.0
    # a language model that cannot be reached: every answer falls back, none is kept
    unreachable = settings.model_copy(update={"llm_base_url": "http://127.0.0.1:1/v1"})
    fell_back = run_pubmedqa_bench(
        unreachable, tmp_path / "w2", log=lambda _: None, engine_name="llm"
    )
    assert fell_back["engine"] == "llm" and fell_back["kept"] == 0.0
    assert fell_back["cites_own"] == result["cites_own"]  # the extractive answers stand


def test_direct_scores_count_abstentions_as_maybe() -> None:
    from assistant.bench.pubmedqa import direct_scores

    scores = direct_scores([("yes", "yes"), ("no", "yes"), ("maybe", "not_stated"), ("no", None)])
    assert scores == {
        "read_as_yes_no": 0.75,
        "accuracy": 0.5,  # yes right, no wrong, not_stated = maybe right, None = maybe wrong
        "called": 0.5,
        "call_precision": 0.5,
    }


def test_scale_at_sizes_reports_each_side_and_mode(tmp_path) -> None:
    from conftest import make_settings

    from assistant.bench.sizes import format_sizes_table, run_sizes

    settings = make_settings(tmp_path)
    rows = run_sizes(settings, tmp_path / "w", [300], queries=5, modes=("embedded",), log=str)
    (row,) = rows
    assert (row["size"], row["mode"], row["synthetic"]) == (300, "embedded", True)
    assert set(row["search_ms"]) == {"lexical", "dense", "hybrid"}
    assert all(v["p95"] >= v["p50"] >= 0 for v in row["search_ms"].values())
    assert row["disk_mb"] > 0 and row["rss_mb"] > 0 and row["build_s"] > 0
    assert row["start_s"] > 0 and row["start_rss_mb"] > 0  # a fresh search process ran
    assert (tmp_path / "w" / "embedded-300" / "embedded" / "lexical").is_dir()
    assert "300 embedded" in " ".join(format_sizes_table(rows).split())


def test_scale_lexical_mode_measures_the_lexical_side_alone(tmp_path) -> None:
    from conftest import make_settings

    from assistant.bench.sizes import format_sizes_table, run_sizes

    settings = make_settings(tmp_path)
    (row,) = run_sizes(settings, tmp_path / "w", [300], queries=5, modes=("lexical",), log=str)
    assert (row["size"], row["mode"]) == (300, "lexical")
    assert set(row["search_ms"]) == {"lexical"} and row["search_ms"]["lexical"]["p50"] > 0
    assert row["start_rss_mb"] > 0 and row["disk_mb"] > 0
    assert not (tmp_path / "w" / "lexical-300" / "chroma").exists()  # no store was made
    table = format_sizes_table([row])
    assert "300 lexical" in " ".join(table.split()) and "lexical index and chunk table" in table


def test_update_bench_times_a_full_build_then_one_document_at_a_time(tmp_path) -> None:
    from conftest import make_settings

    from assistant.bench.update import format_update_table, run_update_bench

    settings = make_settings(tmp_path)
    rows = run_update_bench(settings, tmp_path / "w", documents=40, updates=2, log=str)
    full, first, second = rows
    assert (full["status"], full["embedded"], full["segments"]) == ("built", full["chunks"], 1)
    assert full["chunks"] >= 80  # several passages a document
    for n, row in enumerate([first, second], start=1):
        assert row["status"] == "updated" and row["chunks"] == full["chunks"]
        assert 0 < row["embedded"] < 10  # one document's passages only
        assert row["segments"] == 1 + n
        assert "building the word index" in row["stages"] and row["seconds"] > 0
    table = format_update_table(rows)
    assert table.count("\n") == 4 and "update 2" in table and "segments" in table
