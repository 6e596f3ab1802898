"""The chat page in a real browser: Debian's chromium driven by the playwright package.

Never `playwright install`: the browser is /usr/bin/chromium (`make browser` installs it).
Pages are waited for with "load" and then for elements; "networkidle" never comes, since
Gradio keeps a connection open. The server runs on a private copy of the real index.

`WEB_SCREENSHOT=docs/screenshot.png pytest tests/web/test_browser.py -k screenshot` writes the
README picture (the path is read at import, before the tests change directory).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from assistant.settings import Settings
from assistant.web import start

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ANSWER_TIMEOUT = 120_000  # ms; the first answer may load the model on a busy machine
QUESTION = "Does magnesium lower cortisol by 25%?"
SCREENSHOT = (
    Path(os.environ["WEB_SCREENSHOT"]).resolve() if os.environ.get("WEB_SCREENSHOT") else None
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (run `make browser`)",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(real_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    """The page on a private copy of the real corpus and index; yields (url, settings)."""
    tmp = tmp_path_factory.mktemp("browser")
    shutil.copytree(real_settings.sources_path, tmp / "sources")
    shutil.copytree(
        real_settings.index_path, tmp / "store", ignore=shutil.ignore_patterns("*.lock")
    )
    settings = real_settings.model_copy(
        update={"sources_dir": tmp / "sources", "index_dir": tmp / "store"}
    )
    port = free_port()
    app = start(settings, "127.0.0.1", port, block=False, quiet=True)
    yield f"http://127.0.0.1:{port}/", settings
    app.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, served):
    context = browser.new_context(viewport={"width": 1280, "height": 1100})
    tab = context.new_page()
    tab.goto(served[0], wait_until="load")
    tab.wait_for_selector("#chat-input textarea")
    yield tab
    context.close()


def ask(page, question: str):
    """Type a question, press Enter, wait for its final answer; returns that answer."""
    done = page.locator("#chat .ans-final")
    before = done.count()
    page.fill("#chat-input textarea", question)
    page.press("#chat-input textarea", "Enter")
    try:
        done.nth(before).wait_for(timeout=ANSWER_TIMEOUT)
    except Exception as exc:  # say what the page showed instead
        shown = page.locator("#chat").inner_text()[-600:]
        notice = page.locator("#chat-notice").inner_text()
        raise AssertionError(
            f"no answer to {question!r}; chat: {shown!r}; notice: {notice!r}"
        ) from exc
    return done.nth(before)


def test_answer_shows_source_cards_with_the_quote(page) -> None:
    answer = ask(page, QUESTION)
    assert "ans-declined" not in answer.get_attribute("class")
    card = answer.locator(".src-card").first
    card.locator("summary").click()
    mark = card.locator(".src-passage mark")
    mark.wait_for()
    quote = mark.inner_text().strip()
    assert quote and quote in card.locator(".src-passage").inner_text()
    assert card.locator(".prov").inner_text() in {
        "full text",
        "curated notes, not the authors' words",
        "metadata only",
    }
    shown = answer.locator(".ans-text").inner_text()
    if answer.locator(".ans-callout").count():  # verdict reasons point to their evidence card
        shown += answer.locator(".ans-callout").inner_text()
    cited = {int(m) for m in re.findall(r"\[(\d+)\]", shown)}
    assert len(cited) == answer.locator(".src-card").count()


def test_citation_markers_open_their_source_card(page) -> None:
    first = ask(page, "What is the recommended dietary allowance of magnesium for women?")
    answer = ask(page, QUESTION)  # a second answer: its [1] must open its own card, not the first's
    cites = answer.locator("a.cite")
    assert cites.count() >= 1
    n = cites.first.get_attribute("href").removeprefix("#source-")
    card = answer.locator(f".src-card.src-{n}")
    assert card.get_attribute("open") is None
    cites.first.click()
    page.wait_for_function(
        "c => c.open", arg=card.element_handle(), timeout=5_000
    )  # opened by page.js
    assert card.locator(".src-passage mark").is_visible()
    same = first.locator(f".src-card.src-{n}")  # the first answer's card n, if it has one
    assert same.count() == 0 or same.get_attribute("open") is None
    focused = page.evaluate("document.activeElement.closest('.src-card')?.className")
    assert f"src-{n}" in focused.split()  # the keyboard focus moved to the opened card
    # by keyboard alone: focus the last marker, press Enter
    last = cites.last
    m = last.get_attribute("href").removeprefix("#source-")
    target = answer.locator(f".src-card.src-{m}")
    if m != n:
        assert target.get_attribute("open") is None
    last.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("c => c.open", arg=target.element_handle(), timeout=5_000)
    assert page.url.split("#")[0] == page.url  # no jump to a fragment: the script handled it


_OFFSET = """() => {
  const a = [...document.querySelectorAll('#chat .ans-final')].pop();
  let p = a.parentElement;
  while (p && !(/(auto|scroll)/.test(getComputedStyle(p).overflowY)
                && p.scrollHeight > p.clientHeight)) p = p.parentElement;
  return p ? a.getBoundingClientRect().top - p.getBoundingClientRect().top : null;
}"""


def test_answers_open_at_their_start_copy_save_and_link(browser, served) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    page.goto(served[0], wait_until="load")
    page.wait_for_selector("#chat-input textarea")
    ask(page, "What is the recommended dietary allowance of magnesium for women?")
    answer = ask(page, QUESTION)
    page.wait_for_timeout(400)  # the script scrolls once the answer is drawn
    offset = page.evaluate(_OFFSET)
    assert offset is not None and -30 <= offset <= 60, offset  # its first line, not its end
    answer.locator("a.copy-md").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(f"**Question:** {QUESTION}") and "Sources:" in copied
    assert "<div" not in copied  # Markdown, not the page's HTML
    save = page.get_by_role("button", name="Save conversation (Markdown)")
    page.wait_for_function("b => !b.disabled", arg=save.element_handle(), timeout=30_000)
    with page.expect_download() as info:
        save.click()
    saved = Path(info.value.path()).read_text(encoding="utf-8")
    assert f"## 2. {QUESTION}" in saved and "## 1. What is the recommended" in saved
    link = answer.locator("a.answer-link").get_attribute("href")
    again = context.new_page()
    again.goto(served[0].rstrip("/") + "/" + link, wait_until="load")
    reopened = again.locator("#chat .ans-final")
    reopened.first.wait_for(timeout=ANSWER_TIMEOUT)  # asked at once, nothing typed
    assert again.locator("#chat .user-q").first.inner_text().strip() == QUESTION
    context.close()


def test_follow_up_and_off_topic_in_one_conversation(page) -> None:
    ask(page, "What is the recommended daily amount of magnesium for women?")
    follow = ask(page, "Where does that figure come from?")
    assert "ans-declined" not in follow.get_attribute("class")
    assert follow.locator(".src-card").count() > 0
    off = ask(page, "How do I change a tyre on a mountain bike?")
    assert "ans-declined" in off.get_attribute("class")
    assert "do not cover" in off.inner_text()
    assert off.locator(".src-card").count() == 0


def test_page_loads_nothing_from_the_internet(browser, served) -> None:
    """Every request the page makes, while loading and answering, stays on its own server."""
    origin = served[0].rstrip("/")
    context = browser.new_context(viewport={"width": 1280, "height": 1100})
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    try:
        tab = context.new_page()
        tab.goto(served[0], wait_until="load")
        tab.wait_for_selector("#chat-input textarea")
        ask(tab, QUESTION)
    finally:
        context.close()
    assert any("/gradio_api/" in url for url in requests), "the question went to the server"
    elsewhere = [url for url in requests if url != origin and not url.startswith(origin + "/")]
    assert elsewhere == []


def test_example_question_and_new_conversation(page) -> None:
    example = page.locator("#examples button").first
    question = example.inner_text().strip()
    assert question.endswith("?")
    example.click()
    page.locator("#chat .ans-final").first.wait_for(timeout=ANSWER_TIMEOUT)
    assert page.locator("#chat .user-q").first.inner_text().strip() == question
    page.click("#new-chat")
    page.wait_for_function("() => document.querySelectorAll('#chat .ans').length === 0")


def test_empty_question_gets_a_message(page) -> None:
    page.click("#ask-btn")
    notice = page.locator("#chat-notice .notice")
    notice.wait_for(timeout=30_000)
    assert "empty" in notice.inner_text()
    assert page.locator("#chat .ans").count() == 0


def _chip_counts(page) -> dict[str, int]:
    counts = {}
    for chip in page.locator("#audit .count-chip").all():
        name, number = chip.inner_text().rsplit(maxsplit=1)
        counts[name] = int(number)
    return counts


def test_audit_tab_filters_by_verdict(page) -> None:
    page.get_by_role("tab", name="Claim audit").click()
    rows = page.locator("#audit .audit-row")
    rows.first.wait_for(timeout=300_000)  # the audit runs once per index if not cached
    total = rows.count()
    counts = _chip_counts(page)
    assert counts.pop("all") == total == sum(counts.values())
    narrowing = [v for v, n in counts.items() if 0 < n < total]
    verdict = (narrowing or [v for v, n in counts.items() if n])[0]
    page.locator("#audit-filter").get_by_label(verdict, exact=True).check()
    page.wait_for_function(
        "n => document.querySelectorAll('#audit .audit-row').length === n", arg=counts[verdict]
    )
    shown = {t.strip() for t in rows.locator(".c-verdict").all_inner_texts()}
    assert shown == {verdict}
    rows.first.locator("summary").click()
    assert rows.first.locator(".audit-detail").is_visible()


def test_audit_count_buttons_filter(page) -> None:
    """A count is a button: pressing it shows that verdict's claims (by keyboard too), and
    "all" shows every claim again."""
    page.get_by_role("tab", name="Claim audit").click()
    rows = page.locator("#audit .audit-row")
    rows.first.wait_for(timeout=300_000)
    counts = _chip_counts(page)
    total = counts.pop("all")
    verdict = next(v for v, n in sorted(counts.items(), key=lambda x: x[1]) if n)
    chip = page.locator(f'#audit button.count-chip[data-verdict="{verdict}"]')
    chip.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#audit .audit-row').length === n", arg=counts[verdict]
    )
    assert {t.strip() for t in rows.locator(".c-verdict").all_inner_texts()} == {verdict}
    pressed = page.locator('#audit button.count-chip[aria-pressed="true"]')
    assert pressed.get_attribute("data-verdict") == verdict
    assert page.locator("#audit-filter").get_by_label(verdict, exact=True).is_checked()
    page.locator('#audit button.count-chip[data-verdict="all"]').click()
    page.wait_for_function(
        "n => document.querySelectorAll('#audit .audit-row').length === n", arg=total
    )


def test_audit_rows_read_briefly_and_in_context(page) -> None:
    """Each row's reason is short, with the whole reason inside it; a list item shows the
    lead-in it continues; the legend says what each verdict means."""
    page.get_by_role("tab", name="Claim audit").click()
    rows = page.locator("#audit .audit-row")
    rows.first.wait_for(timeout=300_000)
    short = rows.locator(".c-reason").all_inner_texts()
    full = rows.locator(".audit-why").all_text_contents()
    assert len(short) == len(full) == rows.count()
    assert all(len(s) <= len(f) for s, f in zip(short, full, strict=True))
    assert sum(len(s) < len(f) for s, f in zip(short, full, strict=True)) > len(short) // 2
    assert max(len(s.split()) for s in short) <= 30
    context = rows.locator(".c-context")
    assert context.count() > 0 and context.first.inner_text().rstrip().endswith(":")
    page.get_by_text("What the verdicts mean").click()
    assert page.locator("#audit .audit-legend li").count() == 5


def test_audit_search_narrows_the_claims(page) -> None:
    page.get_by_role("tab", name="Claim audit").click()
    rows = page.locator("#audit .audit-row")
    rows.first.wait_for(timeout=300_000)
    total = rows.count()
    word = "cortisol"
    page.fill("#audit-search textarea, #audit-search input", word)
    page.press("#audit-search textarea, #audit-search input", "Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#audit .audit-row').length < n", arg=total
    )
    claims = rows.locator(".c-claim").all_inner_texts()
    reasons = rows.locator(".c-reason").all_inner_texts()
    assert claims and all(word in (c + r).lower() for c, r in zip(claims, reasons, strict=True))


def test_the_annotated_article_links_each_claim_to_its_verdict(page) -> None:
    page.get_by_role("tab", name="Claim audit").click()
    page.locator("#audit .audit-row").first.wait_for(timeout=300_000)
    page.get_by_text("The article, annotated").click()
    claims = page.locator("#annotated a.claim")
    claims.first.wait_for()
    assert claims.count() == page.locator("#annotated .verdict-item").count()
    claim = claims.nth(min(3, claims.count() - 1))
    target = claim.get_attribute("href")
    claim.click()
    item = page.locator(f"#annotated {target}")
    item.wait_for()
    assert page.evaluate("location.hash") == target
    assert item.is_visible() and item.locator(".badge").inner_text().split()[
        0
    ] in claim.get_attribute("class")


def test_rebuild_from_the_index_tab(page, served) -> None:
    settings = served[1]
    notes = sorted((settings.sources_path / "notes").glob("*.md"))[-1]
    notes.write_text(notes.read_text(encoding="utf-8") + "\nA closing remark added here.\n")
    page.get_by_role("tab", name="Index").click()
    page.locator("#index-status .index-table").wait_for(timeout=60_000)
    assert "stale" in page.locator("#index-status").inner_text()
    page.click("#rebuild-btn")
    page.locator("#index-progress .notice-ok").wait_for(timeout=300_000)
    assert "1 changed" in page.locator("#index-progress").inner_text()
    summary = page.locator("#index-status .index-state").inner_text()
    assert summary == "fresh"


RECORD_PROGRESS = """() => {
  window.seenProgress = [];
  new MutationObserver(() => window.seenProgress.push(
      document.querySelector('#index-progress').innerText))
    .observe(document.querySelector('#index-progress'), {childList: true, subtree: true,
                                                        characterData: true});
}"""


def test_upload_adds_a_source_with_controls_off_while_it_runs(page, tmp_path) -> None:
    doc = tmp_path / "zinc-and-colds.md"
    doc.write_text("# Zinc and colds\n\nZinc lozenges shortened colds by a day.\n")
    page.get_by_role("tab", name="Index").click()
    page.locator("#index-status .index-table").wait_for(timeout=60_000)
    page.evaluate(RECORD_PROGRESS)
    page.set_input_files("#upload-files input[type=file]", str(doc))
    page.locator("#upload-files", has_text="zinc-and-colds.md").wait_for(timeout=30_000)
    page.click("#add-btn")
    page.wait_for_function("document.querySelector('#rebuild-btn').disabled", timeout=10_000)
    assert page.locator("#fetch-btn").is_disabled() and page.locator("#add-btn").is_disabled()
    page.locator("#index-progress .notice-ok", has_text="Added").wait_for(timeout=300_000)
    page.wait_for_function("!document.querySelector('#rebuild-btn').disabled", timeout=10_000)
    done = page.locator("#index-progress").inner_text()
    assert "Added “Zinc and colds”" in done and "1 added" in done
    seen = page.evaluate("window.seenProgress")
    running = [t for t in seen if "Rebuilding the index" in t]
    assert running, "progress is shown while the index is brought up to date"
    assert len(set(running)) > 1, "and it moves"
    assert page.locator("#index-status .index-state").inner_text() == "fresh"
    page.get_by_role("tab", name="Sources").click()
    page.locator("#sources", has_text="Zinc and colds").wait_for(timeout=60_000)


@pytest.mark.skipif(SCREENSHOT is None, reason="set WEB_SCREENSHOT=PATH to write the picture")
def test_screenshot(page) -> None:
    """The README picture: an answer with its callout and an opened source card."""
    page.get_by_role("tab", name="Claim audit").click()  # wait for the audit: callouts need it
    page.locator("#audit .audit-row").first.wait_for(timeout=300_000)
    page.get_by_role("tab", name="Chat").click()
    answer = ask(page, QUESTION)
    assert answer.locator(".ans-callout").count() == 1
    page.set_viewport_size({"width": 1280, "height": 1500})
    answer.locator(".src-card summary").first.click()
    page.wait_for_timeout(600)  # let the chat's autoscroll settle, then show the question
    page.locator("#chat .user-q").last.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    assert SCREENSHOT is not None
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 20_000


@pytest.mark.skipif(SCREENSHOT is None, reason="set WEB_SCREENSHOT=PATH to write the picture")
def test_screenshot_phone(browser, served) -> None:
    """The README's phone picture (PATH with -phone before its suffix): the audit tab at
    390x844 from its counts down, its rows stacked."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    page.goto(served[0], wait_until="load")
    page.get_by_role("tab", name="Claim audit").click()
    page.locator("#audit .audit-row").first.wait_for(timeout=300_000)
    page.locator("#audit .audit-counts, #audit-filter").first.scroll_into_view_if_needed()
    page.locator("#audit .audit-row").first.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(400)
    assert SCREENSHOT is not None
    phone = SCREENSHOT.with_name(f"{SCREENSHOT.stem}-phone{SCREENSHOT.suffix}")
    page.screenshot(path=str(phone))  # the first screen, as a phone shows it
    context.close()
    assert phone.stat().st_size > 20_000
