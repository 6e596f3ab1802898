"""Fusion, diversity and tokenizing: the pure parts of retrieval."""

from assistant.index.retrieve import diversify, rrf_fuse
from assistant.text import words


def test_rrf_rewards_agreement_between_rankers() -> None:
    scores = rrf_fuse([["a", "b", "c"], ["b", "d"]], k=60)
    assert max(scores, key=scores.get) == "b"  # second and first beats first and absent
    assert scores["a"] == 1 / 61
    assert scores["b"] == 1 / 62 + 1 / 61
    assert set(scores) == {"a", "b", "c", "d"}


def test_rrf_with_one_ranking_keeps_its_order() -> None:
    scores = rrf_fuse([["x", "y", "z"]])
    assert sorted(scores, key=lambda i: -scores[i]) == ["x", "y", "z"]


def test_diversify_caps_each_document_then_fills() -> None:
    ordered = ["a1", "a2", "a3", "b1", "a4"]
    doc_of = {i: i[0] for i in ordered}
    assert diversify(ordered, doc_of, per_document=2, k=3) == ["a1", "a2", "b1"]
    # fewer qualifying items than k: the best skipped ones fill up
    assert diversify(ordered, doc_of, per_document=1, k=4) == ["a1", "b1", "a2", "a3"]


def test_tokenize_drops_function_words_keeps_numbers() -> None:
    assert words("The RDA of magnesium is 310-320 mg, or 1.5 g?") == [
        "rda",
        "magnesium",
        "310",
        "320",
        "mg",
        "1.5",
        "g",
    ]


def test_warm_sentences_embeds_each_sentence_once_then_nothing(tmp_path) -> None:
    from conftest import make_settings

    from assistant.index import build_index
    from assistant.index.retrieve import HybridRetriever

    settings = make_settings(tmp_path)
    build_index(settings)
    retriever = HybridRetriever(settings)
    spans = {
        c.text[s - c.start : e - c.start]
        for c in retriever.index.chunks
        for s, e in (c.sentences or [(c.start, c.end)])
    }
    assert retriever.warm_sentences() == len(spans) > 0
    assert retriever.warm_sentences() == 0  # all cached now
    fresh = HybridRetriever(settings)
    assert fresh.warm_sentences(most=len(spans) - 1) == 0  # too many: left to fill lazily
    assert not fresh._sentence_cache


def test_a_rebuild_landing_mid_search_does_not_break_that_search(tmp_path) -> None:
    """Sessions share one retriever. Another session picking up a rebuild while this search
    waits on the vector store must leave this search on the build it started with."""
    from conftest import make_settings

    from assistant.index import build_index
    from assistant.index.retrieve import HybridRetriever

    settings = make_settings(tmp_path)
    build_index(settings)
    retriever = HybridRetriever(settings)
    old_ids = set(retriever.chunks)
    notes = sorted((settings.sources_path / "notes").glob("*.md"))[0]
    [(segment, real)] = retriever.index.segments  # a first build: one collection

    class RebuildDuringQuery:
        def query(self, **kwargs):
            got = real.query(**kwargs)
            text = notes.read_text(encoding="utf-8")
            notes.write_text(text[: len(text) // 3], encoding="utf-8")  # fewer chunks now
            build_index(settings)
            assert retriever.refresh()  # as another session's question would
            return got

        def __getattr__(self, name):
            return getattr(real, name)

    retriever.index.segments = [(segment, RebuildDuringQuery())]
    hits = retriever.search("magnesium deficiency and inflammation", k=6)
    assert hits and {h.chunk.id for h in hits} <= old_ids
    assert set(retriever.chunks) < old_ids  # the rebuild did land: its document shrank
    assert retriever.search("magnesium deficiency and inflammation", k=6)
