"""End to end on the real bundled MiniLM and the real corpus: index, search, CLI."""

from __future__ import annotations

import json

import pytest
from conftest import RunCli

from assistant.index.retrieve import HybridRetriever
from assistant.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def retriever(real_settings: Settings) -> HybridRetriever:
    return HybridRetriever(real_settings)


def test_article_fact_is_found(retriever: HybridRetriever) -> None:
    hits = retriever.search("recommended dietary allowance of magnesium for women", k=3)
    assert any("310" in h.chunk.text and h.chunk.document_id == "article" for h in hits)


def test_every_hit_slices_back_to_its_document(retriever: HybridRetriever) -> None:
    from assistant.sources.corpus import load_corpus

    docs = {d.id: d for d in load_corpus(retriever.settings)}
    for hit in retriever.search("magnesium deficiency and stress", k=8):
        c = hit.chunk
        assert docs[c.document_id].text[c.start : c.end] == c.text
        for s, e in c.sentences:
            assert c.start <= s < e <= c.end


def test_source_filter_and_notice(retriever: HybridRetriever) -> None:
    hits = retriever.search("C-reactive protein meta-analysis", k=4, source="references")
    assert hits and all(h.chunk.kind == "reference" for h in hits)
    top = hits[0].chunk
    assert top.reference == 2
    assert top.provenance == "curated_notes" and "not the authors" in (top.notice or "").lower()


def test_hybrid_fuses_both_retrievers(retriever: HybridRetriever) -> None:
    hits = retriever.search("vicious circle between stress and magnesium loss", k=5)
    assert any(h.dense_score is not None and h.bm25_score is not None for h in hits)
    assert hits[0].chunk.reference == 4


def test_best_sentence_is_inside_its_chunk(retriever: HybridRetriever) -> None:
    hits = retriever.search("how much magnesium should men take per day", k=3)
    best = retriever.best_sentences("how much magnesium should men take per day", hits)
    ev, score = best[0]
    assert ev.sentence is not None and ev.quote in ev.chunk.text and score > 0.3


def test_cli_search_json(
    real_settings: Settings, monkeypatch: pytest.MonkeyPatch, cli: RunCli
) -> None:
    monkeypatch.setenv("ASSISTANT_SOURCES_DIR", str(real_settings.sources_path))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(real_settings.index_path))
    result = cli("search", "cortisol", "-k", "2", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 2 and {"document", "section", "start", "end", "text"} <= set(rows[0])


def test_cli_errors_have_exit_codes(tmp_path, monkeypatch: pytest.MonkeyPatch, cli: RunCli) -> None:
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "none"))
    result = cli("search", "anything")
    assert result.exit_code == 1 and "assistant index" in result.output
    assert cli("search", "   ").exit_code == 2
    assert cli("search", "x", "-k", "0").exit_code == 2
    monkeypatch.setenv("ASSISTANT_TOP_K", "not-a-number")
    result = cli("search", "x")
    assert result.exit_code == 2 and "top_k" in result.output


def test_cli_sources_lists_provenance_and_citation_checks(
    hash_settings: Settings, monkeypatch: pytest.MonkeyPatch, cli: RunCli
) -> None:
    monkeypatch.setenv("ASSISTANT_SOURCES_DIR", str(hash_settings.sources_path))
    result = cli("sources", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.stdout)}
    assert rows["article"]["citation_check"] is None
    assert rows["ref-1"]["provenance"] == "metadata_only"
    assert rows["ref-1"]["citation_check"]["status"] == "unresolved"
    assert rows["ref-2"]["provenance"] == "curated_notes"
    # the reference list's entry agrees with the record, but the article's text cites it as
    # "A randomized trial in Nutrients (2021)": a 2022 meta-analysis, so a mismatch
    check = rows["ref-2"]["citation_check"]
    assert check["status"] == "mismatch"
    fields = {m["field"]: m for m in check["mismatches"]}
    assert fields["year"]["cited"] == "2021" and fields["year"]["actual"] == "2022"
    assert "meta-analysis" in fields["study_type"]["actual"]
    assert rows["ref-4"]["citation_check"]["status"] == "match"


def test_hybrid_sentence_ranking_quotes_the_sentence_with_the_questions_words(
    retriever: HybridRetriever,
) -> None:
    question = "What therapeutic dose of magnesium does the article suggest for hair recovery?"
    hits = retriever.search(question, k=3, source="article")
    dense = retriever.best_sentences(question, hits, per_chunk=2, ranking="dense")
    hybrid = retriever.best_sentences(question, hits, per_chunk=2, ranking="hybrid")
    assert {id(e.chunk) for e, _ in hybrid} <= {id(h.chunk) for h in hits}
    top = [e.quote for e, _ in hybrid[:2]]
    assert any(q.startswith("Therapeutic doses") for q in top), top
    # the cosine each pair carries is the same either way: thresholds still compare it
    cos = {e.sentence: s for e, s in dense}
    assert all(abs(cos[e.sentence] - s) < 1e-6 for e, s in hybrid if e.sentence in cos)
