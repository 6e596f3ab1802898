"""The page's article picker: a library of two articles served by one page, each with its
own answers, sources and audit; through the page's API and in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO, make_settings

from assistant.bench.load import page_client
from assistant.index import build_index
from assistant.settings import Settings
from assistant.sources import for_article, new_article
from assistant.web import start
from assistant.web.backend import WebBackend

MOTHS = REPO / "tests" / "fixtures" / "articles" / "moths.html"
MOTHS_TITLE = "Are street lights starving moths?"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The bundled article and one more in the library, both indexed (hashing embedder, whose
    similarities are too coarse to calibrate a decline threshold on: one is set)."""
    tmp = tmp_path_factory.mktemp("picker")
    settings = make_settings(tmp, relevance_threshold=0.1)
    build_index(settings)
    made = new_article(settings, str(MOTHS), article_id="moths", offline=True)
    build_index(made.settings)
    return settings


@pytest.fixture(scope="module")
def served(library: Settings):
    from conftest import free_port

    port = free_port()
    app = start(library, "127.0.0.1", port, block=False, quiet=True, backend=WebBackend(library))
    yield f"http://127.0.0.1:{port}/"
    app.close()


def _answer(client, question: str, article: str | None = None) -> str:
    args = [question, [], "extractive", 6] + ([article] if article else [])
    chat, *_ = client.submit(*args, api_name="/ask").result(timeout=120)
    return chat[-1]["content"][0]["text"] if isinstance(chat[-1]["content"], list) else str(chat)


def test_each_article_answers_from_its_own_sources(served: str) -> None:
    client = page_client(served)
    moths = _answer(client, "How much did street lamps cut moth visits?", "moths")
    assert "moth" in moths.lower() and "magnesium" not in moths.lower()
    bundled = _answer(client, "What does magnesium do for hair follicles?")  # the default
    assert "magnesium" in bundled.lower() and "moth" not in bundled.lower()
    sources = client.predict("moths", api_name="/sources")
    assert MOTHS_TITLE in sources and "Magnesium Glycinate" not in sources
    header, *_ = client.predict("moths", api_name="/article")
    assert MOTHS_TITLE in header


def test_a_missing_article_is_refused(library: Settings) -> None:
    from assistant.errors import ConfigError

    with pytest.raises(ConfigError, match="no article 'gone'"):
        for_article(library, "gone")
    assert (library.library_path / "moths" / "store" / "manifest.json").is_file()


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_the_picker_switches_the_page_and_a_link_reopens_it(served: str) -> None:
    from playwright.sync_api import sync_playwright
    from test_browser import FLAGS, ask

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(served, wait_until="load")
            page.wait_for_selector("#chat-input textarea")
            assert "Magnesium Glycinate" in page.locator(".app-header").inner_text()
            page.locator("#article-picker input").click()
            page.get_by_role("option", name=MOTHS_TITLE).click()
            page.wait_for_function(
                "t => document.querySelector('.app-header')?.innerText.includes(t)",
                arg=MOTHS_TITLE,
            )
            assert "article=moths" in page.url
            answer = ask(page, "How much did street lamps cut moth visits?")
            assert "moth" in answer.inner_text().lower()

            again = browser.new_page(viewport={"width": 1280, "height": 1000})
            again.goto(f"{served}?article=moths", wait_until="load")
            again.wait_for_function(
                "t => document.querySelector('.app-header')?.innerText.includes(t)",
                arg=MOTHS_TITLE,
                timeout=30_000,
            )
        finally:
            browser.close()
