"""The chat page through gradio_client, against a real server on 127.0.0.1 and a real index.

The server runs on a private copy of the session's real index (tests/conftest.py
`real_settings`), so the rebuild and fetch tests can change it freely. The reference fetcher
is pointed at a closed local port: the machine is offline, and the page must say so quickly.
Pure rendering and the audit table are tested without a server, on hand-made objects.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import RunCli, free_port, private_copy
from pydantic import SecretStr

from assistant.bench.load import page_client
from assistant.errors import ConfigError
from assistant.settings import Settings
from assistant.sources import load_corpus
from assistant.types import Answer, Chunk, Citation, ClaimVerdict, Evidence, EvidenceQuote
from assistant.web import credentials, start
from assistant.web.backend import WebBackend
from assistant.web.render import render_answer

FOLLOW_UP_FIRST = "What is the recommended daily amount of magnesium for women?"
FOLLOW_UP = "Where does that figure come from?"
CALLOUT_QUESTION = "Does magnesium lower cortisol by 25%?"  # the article's unbacked 25%
PROVENANCE_TEXT = {"full text", "curated notes, not the authors' words", "metadata only"}


@pytest.fixture(scope="module")
def web_settings(real_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return private_copy(real_settings, tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def served(web_settings: Settings):
    """The page on a free port; yields (url, backend)."""
    backend = WebBackend(web_settings)
    port = free_port()
    app = start(web_settings, "127.0.0.1", port, block=False, quiet=True, backend=backend)
    yield f"http://127.0.0.1:{port}/", backend
    app.close()


@pytest.fixture
def page(served) -> str:
    return served[0]


@pytest.fixture
def client(page: str):
    return page_client(page)


# --- helpers -------------------------------------------------------------------------------------
def last_reply(chat: list[dict[str, Any]]) -> ET.Element:
    """The last assistant message, parsed (our HTML is well-formed)."""
    assert chat and chat[-1]["role"] == "assistant"
    return ET.fromstring(chat[-1]["content"][0]["text"])


def text_of(el: ET.Element) -> str:
    return "".join(el.itertext())


def cards(reply: ET.Element) -> list[dict[str, Any]]:
    out = []
    for card in reply.iter("details"):
        if "src-card" not in card.get("class", ""):
            continue
        passage = next(e for e in card.iter("blockquote") if "src-passage" in e.get("class", ""))
        out.append(
            {
                "marker": int(card.get("data-marker")),
                "document": card.get("data-document"),
                "mark": text_of(passage.find("mark")),
                "passage": text_of(passage),
                "span": (int(card.get("data-start")), int(card.get("data-end"))),
                "provenance": {
                    text_of(e) for e in card.iter("span") if "prov " in e.get("class", "")
                },
                "links": [a.get("href") for a in card.iter("a")],
            }
        )
    return out


def ask(
    client: Any, question: str, engine: str = "extractive", k: int = 6, chat: Any = ()
) -> tuple[Any, Any]:
    """Ask through the page's API; ``chat`` is the conversation so far (as /ask returned it)."""
    job = client.submit(question, list(chat), engine, k, api_name="/ask")
    return job.result(timeout=120), job


# --- chat ----------------------------------------------------------------------------------------
def test_answer_streams_with_source_cards_quoting_exact_text(client, web_settings) -> None:
    (chat, box, note), job = ask(client, FOLLOW_UP_FIRST)
    assert box in ("", {"__type__": "update"}) and "Not sent" not in note  # taken, then left
    assert len(job.outputs()) >= 3, "the answer should arrive in several updates"
    reply = last_reply(chat)
    assert reply.get("data-declined") == "false"
    found = cards(reply)
    assert found, "an answer that is not declined shows its sources"
    docs = {d.id: d for d in load_corpus(web_settings)}
    for card in found:
        doc = docs[card["document"]]
        start, end = card["span"]
        assert card["mark"] and card["mark"] in card["passage"]
        assert doc.text[start:end] == card["mark"], "the highlighted quote is the exact span"
        assert card["passage"] in doc.text
        assert card["provenance"] <= PROVENANCE_TEXT and card["provenance"]
        if doc.kind == "reference" and doc.url:
            assert doc.url in card["links"]
    shown = text_of(reply.find("div[@class='ans-text']"))
    callout = reply.find("div[@class='ans-callout']")
    if callout is not None:  # a verdict's reason points to the card of the passage it quotes
        shown += text_of(callout)
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", shown)}
    assert markers == {c["marker"] for c in found}


def test_follow_up_uses_the_conversation(page) -> None:
    talk = page_client(page)
    (first, _, _), _ = ask(talk, FOLLOW_UP_FIRST)
    first_spans = {(c["document"], c["span"]) for c in cards(last_reply(first))}
    (follow, _, _), _ = ask(talk, FOLLOW_UP, chat=first)
    follow_reply = last_reply(follow)
    assert follow_reply.get("data-declined") == "false"
    assert first_spans & {(c["document"], c["span"]) for c in cards(follow_reply)}

    (alone, _, _), _ = ask(page_client(page), FOLLOW_UP)  # a new session: no context
    alone_spans = {(c["document"], c["span"]) for c in cards(last_reply(alone))}
    assert not first_spans & alone_spans
    (emptied, _, _), _ = ask(talk, FOLLOW_UP)  # the same session, its chat passed empty
    assert not first_spans & {(c["document"], c["span"]) for c in cards(last_reply(emptied))}


def test_off_topic_question_is_declined(client) -> None:
    (chat, _, _), _ = ask(client, "How do I change a tyre on a mountain bike?")
    reply = last_reply(chat)
    assert reply.get("data-declined") == "true"
    assert "do not cover" in text_of(reply)
    assert not cards(reply)


@pytest.mark.parametrize("question", ["", "   \n  "])
def test_empty_input_gets_a_clear_message(client, question) -> None:
    (chat, _, note), _ = ask(client, question)
    assert chat == []
    assert "empty" in note and "Not sent" in note


def test_over_long_input_is_refused_and_kept_for_editing(client, web_settings) -> None:
    question = "magnesium " * (web_settings.max_question_chars // 5)
    (chat, box, note), _ = ask(client, question)
    assert chat == [] and box == question
    assert f"limit is {web_settings.max_question_chars}" in note


def test_user_markup_is_shown_as_text(client) -> None:
    (chat, _, _), _ = ask(client, 'Is <img src=x onerror="alert(1)"> <b>magnesium</b> safe?')
    shown = chat[-2]["content"][0]["text"]
    assert "<img" not in shown and "<b>" not in shown
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in shown


def test_passages_per_answer_reaches_the_engine(client, served) -> None:
    backend = served[1]
    (chat, _, _), _ = ask(client, "Does magnesium reduce inflammation?", k=9)
    assert last_reply(chat).get("data-declined") == "false"
    engine = backend.engine(9)
    assert engine.settings.top_k == 9
    assert engine.retriever is backend.engine(3).retriever  # one index in memory for all


def test_an_unconfigured_llm_is_not_offered_and_the_engine_still_falls_back(client, served) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="not in the list of choices"):
        ask(client, "Does magnesium reduce inflammation?", engine="llm")
    backend = served[1]  # asked for one anyway (the CLI can), it says it fell back
    *_, answer = backend.stream("Does magnesium reduce inflammation?", engine="llm")
    assert answer.engine == "extractive"
    assert any("language model failed" in n for n in answer.notes)


# --- audit, sources, index -----------------------------------------------------------------------
def download(page: str, update: dict[str, Any]) -> str:
    """A download button's file, fetched from the page the way a browser does."""
    with urllib.request.urlopen(f"{page}gradio_api/file={update['value']}", timeout=10) as r:
        return r.read().decode("utf-8")


def test_audit_tab_filters_counts_and_downloads(client, page) -> None:
    html, dl_json, dl_csv, dl_md, annotated, dl_html = client.predict(
        "all", "", "article order", api_name="/audit"
    )
    assert "not available yet" not in html and "could not run" not in html
    rows = json.loads(download(page, dl_json))
    assert rows and {"claim", "span", "cited", "verdict", "reason", "evidence"} <= set(rows[0])
    assert f"{len(rows)} claims:" in html and html.count('class="audit-row"') == len(rows)
    csv_lines = download(page, dl_csv).strip().splitlines()
    assert csv_lines[0].startswith("claim,") and len(csv_lines) >= len(rows) + 1
    report = download(page, dl_html)
    assert report.startswith("<!DOCTYPE html>") and report.count('class="claim ') >= len(rows) // 2
    assert download(page, dl_md).startswith("| # | Claim |")
    assert annotated.count('class="verdict-item"') == len(rows)
    verdict = sorted({r["verdict"] for r in rows})[0]
    html, dl_json, *_ = client.predict(verdict, "", "article order", api_name="/audit")
    shown = re.findall(r'class="audit-row" data-verdict="([a-z]+)"', html)
    assert shown and set(shown) == {verdict}
    assert len(shown) == sum(r["verdict"] == verdict for r in rows)
    assert {r["verdict"] for r in json.loads(download(page, dl_json))} == {verdict}


def shown_claim(shown: str, claims: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The audit row a callout item shows (long claims are cut short with an ellipsis)."""
    shown = shown.strip("“”")
    if shown in claims:
        return claims[shown]
    head = shown.rstrip("…")
    return next((r for c, r in claims.items() if head and c.startswith(head)), None)


def test_answer_touching_an_audited_claim_shows_the_callout(client, page) -> None:
    html, dl_json, *_ = client.predict("all", "", "article order", api_name="/audit")  # waits
    assert "not available yet" not in html, "the chat's callouts need the claim audit"
    audited = json.loads(download(page, dl_json))
    flagged = {r["claim"]: r for r in audited if r["verdict"] != "supported"}
    assert any("25% reduction in cortisol" in c for c in flagged), "the audit flags the figure"
    (chat, _, note), _ = ask(client, CALLOUT_QUESTION)
    callout = last_reply(chat).find(".//div[@class='ans-callout']")
    assert callout is not None, "an answer touching a flagged claim warns about it"
    items = list(callout.iter("li"))
    assert items
    shown = []
    for li in items:
        row = shown_claim(text_of(li.find("span[@class='callout-claim']")), flagged)
        assert row is not None, "every claim in the callout is one the audit flagged"
        assert li.get("data-verdict") == row["verdict"]
        assert row["reason"] in text_of(li)
        shown.append(row["claim"])
    assert any("cortisol" in c for c in shown)
    assert "still running" not in note


def test_sources_tab_lists_every_document_with_provenance_and_checks(client, web_settings) -> None:
    html = client.predict(api_name="/sources")
    for doc in load_corpus(web_settings):
        assert f'data-document="{doc.id}"' in html
    assert "metadata only" in html and "curated notes" in html
    assert "Licence" in html and "Fetch status" in html and "Citation check" in html
    assert "not available yet" not in html
    assert re.search(r'class="check check-(match|mismatch|unresolved)"', html)


def test_no_arbitrary_file_reads(page, web_settings) -> None:
    secret = web_settings.sources_path / "references.toml"
    for target in ("/etc/passwd", str(secret)):
        url = f"{page}gradio_api/file={target}"
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                body = r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            assert exc.code in (403, 404)
            continue
        assert "root:" not in body and "[[reference]]" not in body


def test_first_html_links_nothing_external(page) -> None:
    """A cheap check without a browser; tests/web/test_browser.py records every request."""
    with urllib.request.urlopen(page, timeout=10) as r:
        html = r.read().decode()
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert [u for u in external if not u.startswith(page)] == []


def upload(page: str, size: int) -> int:
    """POST one file of `size` bytes to Gradio's upload route; the HTTP status."""
    boundary = "assistant-test-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="files"; filename="big.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + b"x" * size
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{page}gradio_api/upload",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_uploads_over_the_limit_are_refused(page, web_settings) -> None:
    assert upload(page, web_settings.max_upload_bytes + 1) == 413
    assert upload(page, 1_000) == 200  # the route itself still works


def test_audit_exports_go_to_a_private_folder(hash_settings) -> None:
    from assistant.web.audit_tab import audit_view  # lazy: it imports gradio at its top

    backend = WebBackend(hash_settings, audit_loader=_verdicts)
    _, dl_json, dl_csv, dl_md, _, dl_html = audit_view(backend, "all")
    _, other, *_ = audit_view(backend, "miscited")
    files = [Path(u["value"]) for u in (dl_json, dl_csv, dl_md, other, dl_html)]
    temp = Path(tempfile.gettempdir()).resolve()
    roots = {temp / f.resolve().relative_to(temp).parts[0] for f in files}
    assert len(roots) == 1, "one folder per process"
    root = roots.pop()
    info = root.lstat()
    assert stat.S_ISDIR(info.st_mode) and not stat.S_ISLNK(info.st_mode)
    assert info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) == 0o700
    assert root.name != "assistant-exports", "not a fixed name another user can plant first"


def test_fetch_reports_offline_clearly(client) -> None:
    started = time.perf_counter()
    message, status = client.predict(api_name="/fetch")
    assert time.perf_counter() - started < 60
    assert "cannot reach PubMed Central" in message and "notice-warn" in message
    assert "curated notes" in message  # says which references stay on what
    assert (
        "Errno" not in message and "assistant fetch" not in message and "127.0.0.1" not in message
    )
    assert "documents" in status


def test_rebuild_keeps_chat_answering(client, page, web_settings) -> None:
    status = client.predict(api_name="/status")
    assert "fresh" in status
    notes = sorted((web_settings.sources_path / "notes").glob("*.md"))[0]
    notes.write_text(notes.read_text(encoding="utf-8") + "\nAn added closing remark.\n")
    assert "stale" in client.predict(api_name="/status")

    job = client.submit(False, api_name="/rebuild")
    chatter = page_client(page)
    answers = []
    while not answers or not job.done():  # ask at least once, and on while the build runs
        (chat, _, _), _ = ask(chatter, "Does magnesium reduce inflammation?")
        answers.append(last_reply(chat))
    progress, status = job.result(timeout=300)
    assert "1 changed" in progress and "notice-ok" in progress
    assert "fresh" in status and "stale" not in status
    assert answers and all(a.get("data-declined") == "false" for a in answers)
    assert len(job.outputs()) >= 2, "progress is shown while the build runs"


# --- start-up rules ------------------------------------------------------------------------------
def test_other_hosts_need_credentials(hash_settings) -> None:
    assert credentials(hash_settings, "127.0.0.1") is None
    assert credentials(hash_settings, "localhost") is None
    with pytest.raises(ConfigError, match="without a login"):
        credentials(hash_settings, "0.0.0.0")
    with pytest.raises(ConfigError, match="both"):
        credentials(hash_settings.model_copy(update={"auth_user": "ann"}), "0.0.0.0")
    login = {"auth_user": "ann", "auth_password": SecretStr("s3cret")}
    assert credentials(hash_settings.model_copy(update=login), "0.0.0.0") == ("ann", "s3cret")


def test_serve_refuses_public_bind_without_login(cli: RunCli) -> None:
    result = cli("serve", "--host", "0.0.0.0", "--port", str(free_port()))
    assert result.exit_code == 2
    assert "without a login" in result.stderr and "ASSISTANT_AUTH_USER" in result.stderr


def test_login_is_enforced_and_announced(web_settings, capsys) -> None:
    settings = web_settings.model_copy(
        update={"auth_user": "ann", "auth_password": SecretStr("s3cret")}
    )
    port = free_port()
    app = start(settings, "127.0.0.1", port, block=False)
    try:
        said = capsys.readouterr().out
        assert "login required" in said and "s3cret" not in said
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=10)
        assert err.value.code == 401
    finally:
        app.close()


# --- rendering, without a server -----------------------------------------------------------------
def _citation(**kw: Any) -> Citation:
    """A citation of a reference passage full of markup; ``kw`` overrides the chunk's fields."""
    passage = "Before. <script>x()</script> After [link](http://evil.example)."
    fields: dict[str, Any] = dict(
        id="ref-9-0",
        document_id="ref-9",
        section=("Results",),
        paragraph=0,
        start=2,
        end=2 + len(passage),
        text=passage,
        sentences=(),
        kind="reference",
        provenance="curated_notes",
        reference=9,
        title="A <i>title</i>",
        url="javascript:alert(1)",
        notice="Not the authors' words.",
    )
    fields.update(kw)
    quote_at = fields["start"] + passage.index("<script>")
    evidence = Evidence(Chunk(**fields), 0.0, sentence=(quote_at, quote_at + 20))
    return Citation(1, evidence)


def test_document_markup_is_escaped_and_links_are_http_only() -> None:
    verdict = ClaimVerdict("<b>claim</b>", (0, 5), "S", "unsupported", "no source <u>says</u>")
    answer = Answer("q", 'It says "<script>x()</script>" [1]', False, [_citation()], [verdict])
    html = render_answer(answer)
    assert "<script>" not in html and "<b>claim" not in html and "<u>" not in html
    assert "javascript:" not in html
    root = ET.fromstring(html)  # escaped text keeps the markup well-formed
    assert text_of(root.find(".//mark")) == "<script>x()</script>"
    callout = root.find(".//div[@class='ans-callout']")
    assert callout is not None and "unsupported" in text_of(callout)
    assert "no source <u>says</u>" in text_of(callout)


def test_the_first_lines_come_before_the_warnings_and_the_evidence() -> None:
    verdict = ClaimVerdict("Magnesium cures", (0, 5), "S", "unsupported", "no source says so")
    text = (
        '**In short**, the article: "It cures." [1]\n\nThe article says this, but its sources'
        ' do not back it.\n\n**What the article says**\n- "It cures." [1]\n'
        '**Beyond the sources**\n- "Magnesium cures" [1]: unsupported. no source says so'
    )
    html = render_answer(Answer("q", text, False, [_citation()], [verdict], lead=1))
    root = ET.fromstring(html)
    body = root.find("div[@class='ans-text']")
    assert body is not None
    kinds = [(child.tag, child.get("class")) for child in body]
    assert kinds[:4] == [("p", None), ("p", None), ("div", "ans-callout"), ("h4", "ans-h")]
    assert text_of(body[0]).startswith("In short")
    assert "Beyond the sources" not in text_of(body)  # the callout shows it instead


def test_paper_links_include_doi_and_pubmed() -> None:
    c = _citation(url="https://pmc.ncbi.nlm.nih.gov/articles/PMC1/")
    html = render_answer(
        Answer("q", "x [1]", False, [c]), {"ref-9": {"doi": "10.1/x", "pmid": "7"}}
    )
    root = ET.fromstring(html)
    assert [a.get("href") for a in root.iter("a") if a.get("class") == "cite"] == ["#source-1"]
    hrefs = [a.get("href") for a in root.findall(".//div[@class='src-links']/a")]
    assert hrefs == [
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC1/",
        "https://doi.org/10.1/x",
        "https://pubmed.ncbi.nlm.nih.gov/7/",
    ]


def _verdicts() -> list[ClaimVerdict]:
    ev = EvidenceQuote("ref-2", "Results", "CRP fell.", "curated_notes", reference=2)
    return [
        ClaimVerdict("=HYPERLINK(1)", (0, 9), "A", "miscited", "wrong year", "X (2021)", 1),
        ClaimVerdict("B lowers C.", (10, 20), "A", "supported", "stated", evidence=[ev]),
        ClaimVerdict("D cures E.", (21, 30), "B", "unsupported", "no source"),
    ]


def test_audit_view_filters_counts_and_exports(hash_settings) -> None:
    from assistant.web.audit_tab import audit_view  # lazy: it imports gradio at its top

    backend = WebBackend(hash_settings, audit_loader=_verdicts)
    html, dl_json, _, _, annotated, dl_html = audit_view(backend, "supported")
    assert html.count('class="audit-row"') == 1 and 'data-verdict="supported"' in html
    assert re.search(r'data-verdict="miscited" aria-pressed="false"[^>]*>miscited <b>1</b>', html)
    assert re.search(r'data-verdict="supported" aria-pressed="true"[^>]*>supported <b>1</b>', html)
    assert re.search(r'data-verdict="all" aria-pressed="false"[^>]*>all <b>3</b>', html)
    assert "CRP fell." in html
    rows = json.loads(Path(dl_json["value"]).read_text(encoding="utf-8"))
    assert [r["verdict"] for r in rows] == ["supported"]
    _, _, all_csv, *_ = audit_view(backend, "all")
    text = Path(all_csv["value"]).read_text(encoding="utf-8")
    assert "'=HYPERLINK(1)" in text  # a spreadsheet will not run it as a formula
    assert len(text.strip().splitlines()) == 4
    # the annotated article shows every claim whatever the filter, in the page and the file
    assert annotated.count('class="verdict-item"') == 3
    report = Path(dl_html["value"]).read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html>") and report.count('class="verdict-item"') == 3


def test_audit_search_and_sort_shape_the_table_and_its_exports(hash_settings) -> None:
    from assistant.web.audit_tab import audit_view  # lazy: it imports gradio at its top

    backend = WebBackend(hash_settings, audit_loader=_verdicts)
    html, dl_json, _, dl_md, *_ = audit_view(backend, "all", "CURES e", "article order")
    assert html.count('class="audit-row"') == 1 and "D cures E." in html and "matching" in html
    assert [r["claim"] for r in json.loads(Path(dl_json["value"]).read_text())] == ["D cures E."]
    markdown = Path(dl_md["value"]).read_text(encoding="utf-8")
    assert markdown.startswith("| # | Claim |") and markdown.count("\n| 1 |") == 1
    _, by_verdict, *_ = audit_view(backend, "all", "", "verdict")
    order = [r["verdict"] for r in json.loads(Path(by_verdict["value"]).read_text())]
    assert order == ["supported", "unsupported", "miscited"]  # the legend's order
    _, by_ref, *_ = audit_view(backend, "all", "", "reference")
    assert json.loads(Path(by_ref["value"]).read_text())[0]["reference"] == 1


def test_example_questions_come_from_the_article_headings(hash_settings) -> None:
    from assistant.web.picker import example_questions  # lazy: picker.py imports gradio

    docs = load_corpus(hash_settings)
    questions = example_questions(docs)
    assert 1 <= len(questions) <= 4
    article = next(d for d in docs if d.kind == "article")
    heads = [article.text[b.start : b.end].lower() for b in article.blocks if b.kind == "heading"]
    for q in questions:
        assert q.endswith("?")
        topic = re.sub(r"^what does the article say about |\?$", "", q.lower())
        assert any(topic.rstrip("?") in re.sub(r"^\d+\.\s*", "", h) for h in heads)


def test_the_input_box_is_emptied_once_then_left_alone(web_settings: Settings) -> None:
    """What the user types while an answer streams is not wiped when the answer arrives."""
    import gradio as gr

    from assistant.web.app import respond  # lazy: app.py imports gradio at its top
    from assistant.web.backend import WebBackend

    backend = WebBackend(web_settings, audit_loader=lambda: [])
    outputs = list(respond(backend, "Is magnesium deficiency common?", [], [], "extractive", 6))
    boxes = [out[2] for out in outputs]
    assert len(boxes) >= 2 and boxes[0] == ""  # the question leaves the box once
    assert all(box == gr.skip() for box in boxes[1:])  # then the box is not touched
    assert "ans-final" in outputs[-1][0][-1]["content"][0]["text"]


def test_a_chat_emptied_in_the_browser_has_no_past(hash_settings: Settings) -> None:
    """The chat's clear icon empties the chat before its event reaches the stored turns: the
    next question sees the empty chat and asks with no history, and keeps only its own turn."""
    from assistant.web.app import _message, respond  # lazy: app.py imports gradio at its top

    seen: list[list[str]] = []

    class Recording(WebBackend):
        def stream(self, question: str, history: Any = (), *args: Any, **kwargs: Any):
            seen.append([turn.question for turn in history])
            yield Answer(question=question, text="Recorded.", declined=False)

    old = [{"question": "What is the RDA for women?", "answer": "310 mg", "data": {}}]
    shown = [_message("user", "What is the RDA for women?"), _message("assistant", "310 mg")]
    backend = Recording(hash_settings)
    kept = list(respond(backend, "Where is it from?", shown, old, "extractive", 6))[-1][1]
    cleared = list(respond(backend, "Where is it from?", [], old, "extractive", 6))[-1][1]
    assert seen == [["What is the RDA for women?"], []]
    assert [t["question"] for t in kept] == ["What is the RDA for women?", "Where is it from?"]
    assert [t["question"] for t in cleared] == ["Where is it from?"]


def test_a_bug_while_answering_is_shown_briefly_and_logged_whole(
    hash_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    from assistant.web.app import respond  # lazy: app.py imports gradio at its top

    class Broken(WebBackend):
        def stream(self, *args: Any, **kwargs: Any):
            raise KeyError("no such passage")
            yield  # a generator, like the real one

    outputs = list(respond(Broken(hash_settings), "Is it?", [], [], "extractive", 6))
    assert "Unexpected error: KeyError" in outputs[-1][0][-1]["content"][0]["text"]
    assert "no such passage" not in outputs[-1][0][-1]["content"][0]["text"]
    failed = [r for r in caplog.records if r.name == "assistant.web"]
    assert failed and "Is it?" in failed[0].getMessage() and failed[0].exc_info is not None


def test_the_index_status_reads_as_plain_words(hash_settings) -> None:
    from assistant.index import build_index, index_status
    from assistant.web.tables import status_html

    build_index(hash_settings)
    status = index_status(hash_settings)
    html = status_html(status)
    shown = re.sub(r"<[^>]+>", " ", html)
    assert "Reference 2" in shown and "Article" in shown
    assert "ref-2" not in shown and str(hash_settings.index_path) not in shown
    assert status.built_at and "T" in status.built_at and "UTC" in shown
    assert 'data-document="ref-2"' in html  # the id stays, for scripts and tests


def test_during_a_rebuild_answers_keep_the_previous_audits_warnings(
    hash_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit re-runs after the index changes; until it is done, claims the article still
    makes word for word keep their verdicts, and claims it no longer makes lose them."""
    backend = WebBackend(hash_settings)
    article = next(d for d in backend.documents() if d.kind == "article")
    kept = ClaimVerdict(article.text[100:160], (100, 160), "A", "unsupported", "no source")
    moved = ClaimVerdict("A sentence the article no longer has.", (170, 207), "A", "miscited", "x")
    backend._audit_cache = ("the previous index", [kept, moved])
    release = threading.Event()
    monkeypatch.setattr(backend, "_stamp", lambda: "the rebuilt index")
    monkeypatch.setattr(backend, "_quiet_audit", lambda: release.wait(30))  # still running
    try:
        assert backend.audit_state() == "updating"
        assert backend.verdicts_touching(0, 400) == [kept]
        assert backend.verdicts_touching(300, 400) == []  # and only where the answer quotes
    finally:
        release.set()
    backend._audit_cache = None
    assert backend.audit_state() == "running"
    assert backend.verdicts_touching(0, 400) == []  # no previous audit: no callout yet


# --- the Index tab's upload, without a server -----------------------------------------------------
def _upload(tmp_path: Path, name: str, text: str) -> Path:
    """A file as Gradio hands an upload over: in a temporary folder of its own."""
    folder = tmp_path / "gradio-upload" / name
    folder.mkdir(parents=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_uploads_are_added_and_indexed_and_refusals_read_plainly(hash_settings, tmp_path) -> None:
    from assistant.web.index_tab import add_view  # lazy: it imports gradio at its top

    backend = WebBackend(hash_settings)
    list(backend.rebuild())
    good = _upload(tmp_path, "zinc-trial.md", "# Zinc trial\n\nZinc shortened colds by a day.\n")
    empty = _upload(tmp_path, "blank.txt", "   \n")
    steps = list(add_view(backend, [str(good), str(empty)], "extra", False))
    said, status = steps[-1]
    assert "Added “Zinc trial”" in said and "notice-ok" in said
    assert "blank.txt is empty" in said and str(empty.parent) not in said  # no temp path
    assert "1 added" in said and "fresh" in status
    assert any(d.title == "Zinc trial" for d in backend.documents())

    again, _ = list(add_view(backend, [str(good)], "extra", False))[-1]
    assert "already added" in again and "Replace" in again and "--replace" not in again
    assert "Added" not in again  # nothing was added, so nothing was rebuilt

    good.write_text("# Zinc trial\n\nZinc shortened colds by two days.\n", encoding="utf-8")
    replaced, _ = list(add_view(backend, [str(good)], "extra", True))[-1]
    assert "Added “Zinc trial”" in replaced and "1 changed" in replaced
    assert any("two days" in d.text for d in backend.documents())


def test_an_upload_can_be_a_references_full_text(hash_settings, tmp_path) -> None:
    from assistant.web.index_tab import add_view, kinds  # lazy: it imports gradio at its top

    backend = WebBackend(hash_settings)
    choices = dict((v, label) for label, v in kinds(backend))
    assert choices["extra"].startswith("A further source") and "2" in choices
    assert choices["2"].startswith("The full text of reference 2:")
    text = _upload(tmp_path, "ref2.txt", "Magnesium and sleep.\n\nA trial of 46 adults.\n")
    other = _upload(tmp_path, "other.txt", "Another text.\n")
    two, _ = list(add_view(backend, [str(text), str(other)], "2", False))[-1]
    assert "one file; 2 were chosen" in two
    said, _ = list(add_view(backend, [str(text)], "2", False))[-1]
    assert "Added" in said
    ref2 = next(d for d in backend.documents() if d.reference == 2)
    assert ref2.provenance == "full_text" and "46 adults" in ref2.text
    nothing, _ = list(add_view(backend, [], "extra", False))[-1]
    assert "Choose one or more files" in nothing


def test_rebuild_progress_names_each_stage_and_moves(hash_settings) -> None:
    from assistant.index import build_index
    from assistant.web.index_tab import progress_html  # lazy: it imports gradio at its top

    stages: list[str] = []
    build_index(hash_settings, rebuild=True, progress=lambda stage, *_: stages.append(stage))
    named = list(dict.fromkeys(stages))
    assert named[0] == "reading the documents" and "embedding the passages" in named
    assert named[-1] == "measuring relevance and switching over"
    seen = list(WebBackend(hash_settings).rebuild(full=True, tick=0.01))
    assert seen[-1].finished and seen[-1].ok
    unknown = progress_html(type(seen[0])(stage="reading the documents"))
    assert "build-bar busy" in unknown and "reading the documents…" in unknown
    assert "animation-delay:-" in unknown
    known = progress_html(type(seen[0])(stage="embedding the passages", done=30, total=120))
    assert 'aria-valuenow="25"' in known and "30 of 120" in known


def test_the_page_is_built_without_the_answer_chain_the_store_or_torch(real_settings) -> None:
    """A replica serves its page in the time Gradio takes to start: LangChain, Chroma and
    torch load behind it (the warm-up), not before it."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from assistant.settings import Settings\n"
        "from assistant.web.app import build_app\n"
        "from assistant.web.backend import WebBackend\n"
        "build_app(WebBackend(Settings()))\n"
        "print(*(m in sys.modules for m in ('langchain_core', 'chromadb', 'torch')))\n"
    )
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(real_settings.index_path)}
    env["ASSISTANT_SOURCES_DIR"] = str(real_settings.sources_path)
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env
    )
    assert out.returncode == 0, out.stderr[-800:]
    assert out.stdout.split()[-3:] == ["False", "False", "False"]
