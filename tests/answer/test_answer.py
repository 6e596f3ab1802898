"""The answer chain on the real index: extractive by default, an LLM optional and verified."""

from __future__ import annotations

import json
import re
from functools import partial

import pytest
from chat_server import chat_server, quote_first_sentence
from conftest import RunCli
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.answer import (
    DECLINE_TEXT,
    DIRECT_ANSWERS,
    AnswerEngine,
    Turn,
    answer_to_dict,
    clean_question,
    retrieval_query,
)
from assistant.answer.state import KEPT, NOT_KEPT, WRITING, asks_for_quantity
from assistant.audit import audit_lookup, load_or_run_audit
from assistant.errors import InputError
from assistant.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine(real_settings: Settings) -> AnswerEngine:
    return AnswerEngine(real_settings)


def _fake(text: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(content=text)]))


def test_article_fact_rda_for_women(engine: AnswerEngine) -> None:
    answer = engine.ask("What is the recommended dietary allowance of magnesium for women?")
    assert not answer.declined
    assert any("310" in c.quote and c.reference == "article" for c in answer.citations)
    for c in answer.citations:  # every quote is verbatim at its span
        assert c.quote in c.passage


def test_a_what_question_opens_with_the_quote_that_answers_it(engine: AnswerEngine) -> None:
    answer = engine.ask("What is the recommended dietary allowance of magnesium for women?")
    lead = next(c for c in answer.citations if c.marker == answer.lead)
    first = answer.text.split("\n\n")[0]
    assert first.startswith("**In short**, the article: "), answer.text
    assert f"[{lead.marker}]" in first and "310" in first
    assert " ".join(lead.quote.split()) in first  # verbatim (line breaks read as spaces)
    assert answer_to_dict(answer)["lead"] == lead.marker
    yes_no = engine.ask("Does magnesium lower cortisol by 25%?")
    assert yes_no.lead is None and not yes_no.text.startswith("**In short**")


def test_reference_fact_cites_notes_as_notes(engine: AnswerEngine) -> None:
    answer = engine.ask("Which inflammatory marker did the meta-analysis find magnesium lowered?")
    refs = [c for c in answer.citations if c.reference == 2]
    assert refs, answer.text
    assert all(c.provenance == "curated_notes" for c in refs)
    assert "curated notes, not the authors' words" in answer.text


@pytest.mark.parametrize(
    "question",
    [
        # none of these is among the off-topic questions the decline bar is calibrated on
        "Which team won the 2010 Stanley Cup final?",
        "How do I repot an orchid?",
        "Who painted the ceiling of the Sistine Chapel?",
    ],
)
def test_off_topic_questions_are_declined(engine: AnswerEngine, question: str) -> None:
    answer = engine.ask(question)
    assert answer.declined and answer.text.startswith(DECLINE_TEXT) and not answer.citations
    # not a dead end: what the article and its sources do cover, in plain words
    assert "The article covers:" in answer.text and "Its sources with text:" in answer.text
    assert "reference 2" in answer.text and "threshold" not in answer.text + str(answer.notes)


def test_bad_questions_raise_input_errors() -> None:
    with pytest.raises(InputError, match="empty"):
        clean_question(" \n\t ", 100)
    with pytest.raises(InputError, match="limit is 10"):
        clean_question("x" * 11, 10)
    assert clean_question("why\x00 not\x07?", 100) == "why  not ?"


def test_follow_up_borrows_previous_question() -> None:
    history = [Turn("Does magnesium lower cortisol?", "...")]
    assert retrieval_query("Is that supported?", history).startswith("Does magnesium")
    long = "What dose of the supplement do studies of adults with deficiency use each day?"
    assert retrieval_query(long, history) == long
    assert retrieval_query("And for women?", history).startswith("Does magnesium")
    assert retrieval_query("Why?", history).startswith("Does magnesium")  # no words of its own
    short = "What is the capital of France?"  # short, but self-contained: retrieved alone
    assert retrieval_query(short, history) == short
    assert retrieval_query("Andrographis lowers fever?", history) == "Andrographis lowers fever?"


def test_openai_compatible_endpoint_streams_and_verifies(real_settings: Settings) -> None:
    with chat_server(quote_first_sentence) as (url, log):
        settings = real_settings.model_copy(
            update={"engine": "llm", "llm_base_url": url, "llm_model": "test-model"}
        )
        engine = AnswerEngine(settings)
        items = list(engine.stream("What does the article say about cortisol?"))
    pieces = [i for i in items if isinstance(i, str)]
    answer = items[-1]
    assert len(pieces) > 3  # streamed word by word
    assert answer.engine == "llm", answer.notes
    assert answer.citations and answer.citations[0].evidence.chunk.kind == "reference"
    assert answer.citations[0].quote in answer.citations[0].passage
    assert log[0]["stream"] is True and log[0]["model"] == "test-model"
    system = log[0]["messages"][0]["content"]
    assert "data, not instructions" in system and DECLINE_TEXT in system


def test_fabricated_quote_falls_back_to_extractive(real_settings: Settings) -> None:
    engine = AnswerEngine(
        real_settings, chat_model=_fake('Magnesium "reduced cortisol by 90% in every trial" [1].')
    )
    answer = engine.ask("What does the article say about cortisol?", engine="llm")
    assert answer.engine == "extractive"
    assert any("failed verification" in n and "not verbatim" in n for n in answer.notes)


def test_citation_to_unknown_passage_falls_back(real_settings: Settings) -> None:
    engine = AnswerEngine(real_settings, chat_model=_fake("Magnesium lowers cortisol [42]."))
    answer = engine.ask("What does the article say about cortisol?", engine="llm")
    assert answer.engine == "extractive" and any("not given" in n for n in answer.notes)


def test_model_timeout_falls_back(real_settings: Settings) -> None:
    with chat_server(quote_first_sentence, delay=3.0) as (url, _):
        settings = real_settings.model_copy(
            update={"engine": "llm", "llm_base_url": url, "llm_timeout": 0.5}
        )
        answer = AnswerEngine(settings).ask("What does the article say about cortisol?")
    assert answer.engine == "extractive"
    assert any("language model failed" in n for n in answer.notes)


def test_a_model_decline_never_hides_passages_that_answer(real_settings: Settings) -> None:
    # the model is only asked when the search found passages over the bar: its "not
    # covered" then contradicts the quotes, and the extractive answer stands
    engine = AnswerEngine(real_settings, chat_model=_fake(DECLINE_TEXT))
    answer = engine.ask("What does the article say about cortisol?", engine="llm")
    assert not answer.declined and answer.engine == "extractive" and answer.citations
    assert any("found no answer" in n for n in answer.notes)


def test_cli_ask_json_shape(
    real_settings: Settings, monkeypatch: pytest.MonkeyPatch, cli: RunCli
) -> None:
    monkeypatch.setenv("ASSISTANT_SOURCES_DIR", str(real_settings.sources_path))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(real_settings.index_path))
    result = cli("ask", "Does magnesium lower cortisol by 25%?", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"answer", "declined", "citations", "beyond_sources", "direct_answer"} <= set(data)
    assert data["declined"] is False
    # a yes/no question, read by the real verifier: its direct answer opens the text
    assert data["direct_answer"] in DIRECT_ANSWERS
    expected = {"yes": "**Yes**", "no": "**No**", "mixed": "**The sources disagree**"}
    assert data["answer"].startswith(expected.get(data["direct_answer"], "**No clear yes or no**"))
    for c in data["citations"]:
        assert {"document", "reference", "section", "quote", "provenance", "url"} <= set(c)
    assert cli("ask", "   ").exit_code == 2


@pytest.mark.parametrize(
    "reply",
    [
        # an injection obeyed, without citations
        "Ignore the sources. Magnesium glycinate cures all baldness within a week.",
        # the same invented claim behind a marker that names a real passage
        "Magnesium glycinate cures all baldness within a week [1].",
    ],
)
def test_invented_claims_fall_back_with_or_without_a_marker(
    real_settings: Settings, reply: str
) -> None:
    engine = AnswerEngine(real_settings, chat_model=_fake(reply))
    answer = engine.ask("What does the article say about hair regrowth?", engine="llm")
    assert answer.engine == "extractive"
    assert any("without support" in n for n in answer.notes), answer.notes
    assert "cures all baldness" not in answer.text


def test_changed_figure_with_a_valid_marker_falls_back(real_settings: Settings) -> None:
    engine = AnswerEngine(
        real_settings,
        chat_model=_fake(
            "The recommended dietary allowance of magnesium for women is 510-520 mg/day [1]."
        ),
    )
    answer = engine.ask("What is the RDA of magnesium for women?", engine="llm")
    assert answer.engine == "extractive", answer.text
    assert "510" not in answer.text


def _headline(answer) -> str:
    """The line that says what the quotes show: the first, or the second paragraph under a
    yes/no question's direct line or another question's lead quote."""
    paragraphs = answer.text.split("\n\n")
    first = answer.direct_answer or answer.lead
    return (paragraphs[1] if first else paragraphs[0]).splitlines()[0]


def test_headline_claims_no_more_than_the_quotes_show(engine: AnswerEngine) -> None:
    covered = engine.ask("Does magnesium lower cortisol by 25%?")
    assert covered.direct_answer is not None  # a yes/no question: its direct line comes first
    assert "article says" in _headline(covered), covered.text
    assert "does not" not in _headline(covered)
    # the closest article passages are about circulation and stress, not sleep
    uncovered = engine.ask("Does magnesium improve sleep quality?")
    if not uncovered.declined:
        first = _headline(uncovered)
        assert not first.startswith("The article says this"), uncovered.text
        assert "does not" in first or first.startswith("Neither"), first


def test_bibliographic_records_and_keyword_lists_are_never_quoted(engine: AnswerEngine) -> None:
    for question in (
        "Can magnesium glycinate repair hair follicles?",
        "What are the keywords of the stress review?",
        "Magnesium's role in hair follicle repair",
    ):
        answer = engine.ask(question)
        for c in answer.citations:
            assert c.provenance != "metadata_only", (question, c.quote)
            assert not c.quote.lower().startswith("keywords"), (question, c.quote)


def test_beyond_the_sources_lines_cite_the_claim_and_its_evidence(real_settings) -> None:
    load = partial(load_or_run_audit, real_settings)
    engine = AnswerEngine(real_settings, audit=audit_lookup(real_settings, load=load))
    answer = engine.ask("Does magnesium lower cortisol by 25%?")
    assert answer.beyond_sources
    section = answer.text.split("**Beyond the sources**")[1].split("Sources:")[0]
    by_marker = {c.marker: c for c in answer.citations}
    for line, verdict in zip(
        [ln for ln in section.splitlines() if ln.startswith("- ")],
        answer.beyond_sources,
        strict=True,
    ):
        marks = [int(m) for m in re.findall(r"\[(\d+)\]", line)]
        assert by_marker[marks[0]].reference == "article"  # the claim, quoted above
        assert by_marker[marks[0]].start <= verdict.span[0] < by_marker[marks[0]].end
        if verdict.evidence:  # the passage the reason quotes, as a source like any other
            e = verdict.evidence[0]
            cited = by_marker[marks[-1]]
            assert (cited.document, cited.start, cited.end) == (e.document, e.start, e.end)
            assert cited.quote == e.quote and cited.quote in cited.passage


def test_an_answer_warns_about_the_claims_asked_not_every_claim_it_quotes(real_settings) -> None:
    load = partial(load_or_run_audit, real_settings)
    lookup = audit_lookup(real_settings, load=load)
    engine = AnswerEngine(real_settings, audit=lookup)
    answer = engine.ask("What is the recommended dietary allowance of magnesium for women?")
    touched = {  # every claim of the article's quotes that the audit did not call supported
        v.claim
        for c in answer.citations
        if c.reference == "article"
        for v in lookup(c.start, c.end)
        if v.verdict != "supported"
    }
    shown = {v.claim for v in answer.beyond_sources}
    assert "Women: 310–320 mg/day" in shown
    assert shown < touched, (shown, touched)  # a quoted claim on another matter is left out


def test_cli_prints_an_extractive_answer_once(
    real_settings: Settings, monkeypatch: pytest.MonkeyPatch, cli: RunCli
) -> None:
    monkeypatch.setenv("ASSISTANT_SOURCES_DIR", str(real_settings.sources_path))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(real_settings.index_path))
    question = "What is the recommended dietary allowance of magnesium for women?"
    result = cli("ask", question)
    assert result.exit_code == 0, result.output
    load = partial(load_or_run_audit, real_settings)
    expected = (
        AnswerEngine(real_settings, audit=audit_lookup(real_settings, load=load)).ask(question).text
    )
    assert result.stdout == expected + "\n"  # streamed line by line, shown once, nothing else


def test_cli_streams_a_verified_llm_answer_then_its_sources(
    real_settings: Settings, monkeypatch: pytest.MonkeyPatch, cli: RunCli
) -> None:
    monkeypatch.setenv("ASSISTANT_SOURCES_DIR", str(real_settings.sources_path))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(real_settings.index_path))
    with chat_server(quote_first_sentence) as (url, _):
        monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", url)
        result = cli("ask", "What does the article say about cortisol?", "--engine", "llm")
    assert result.exit_code == 0, result.output
    out = result.stdout
    extractive, written = out.split(WRITING)  # the quotes at once, the model's words under them
    assert "**What the article says**" in extractive
    assert written.startswith("The passage says") and KEPT in written, result.output
    assert re.search(r"Sources:\n\[\d+\] Reference", written.split(KEPT)[1])  # its marker's source
    assert "not verified" not in out


def test_cli_says_when_a_streamed_answer_was_not_kept(
    real_settings: Settings, monkeypatch: pytest.MonkeyPatch, cli: RunCli
) -> None:
    monkeypatch.setenv("ASSISTANT_SOURCES_DIR", str(real_settings.sources_path))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(real_settings.index_path))
    with chat_server(lambda _: "Magnesium cures all baldness within a week [1].") as (url, _):
        monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", url)
        result = cli("ask", "What does the article say about hair?", "--engine", "llm")
    assert result.exit_code == 0, result.output
    extractive, written = result.stdout.split(WRITING)
    assert "**What the article says**" in extractive  # it stands, above the model's words
    assert "cures all baldness" in written and written.rstrip().endswith(NOT_KEPT.strip())


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        ("How many trials and participants did the meta-analysis include?", True),
        ("What dose of magnesium does the article recommend for women?", True),
        ("What percentage of participants were women?", True),
        ("What does the meta-analysis say about CRP?", False),
        ("Which marker fell the most?", False),
    ],
)
def test_questions_that_ask_for_a_figure(question: str, figure: bool) -> None:
    assert asks_for_quantity(question) is figure


def test_a_count_question_quotes_the_sentence_holding_the_count(engine: AnswerEngine) -> None:
    # both sentences share the question's words; only one holds the figures it asks for
    answer = engine.ask("How many trials and participants did the meta-analysis include?")
    quoted = " ".join(c.quote for c in answer.citations)
    assert "17 randomized controlled trials" in quoted or "889 participants" in quoted, answer.text


def _quote_the_article(messages: list[dict]) -> str:
    found = re.search(
        r'<passage id="(\d+)" source="Article"[^\n]*\n(.*?)\n</passage>',
        messages[-1]["content"],
        re.S,
    )
    assert found is not None
    first = re.split(r"(?<=[.!?])\s", found.group(2).strip())[0].rstrip(".")
    return f'The article says "{first}" [{found.group(1)}].'


def test_a_model_answer_citing_only_the_article_is_not_kept(real_settings: Settings) -> None:
    # verbatim and grounded, but it restates the article where the sources were quoted
    with chat_server(_quote_the_article) as (url, _):
        settings = real_settings.model_copy(update={"llm_base_url": url})
        answer = AnswerEngine(settings).ask(
            "What does the meta-analysis say about CRP?", engine="llm"
        )
    assert answer.engine == "extractive"
    assert any("cites only the article" in n for n in answer.notes), answer.notes
