"""The page for a first-time reader, in a real browser: named and marked as not medical
advice, secondary text readable (WCAG AA contrast), no serious or critical axe-core
violation on any tab, declines that say what can be asked, and a clear that forgets."""

from __future__ import annotations

import pytest
from test_browser import CHROMIUM, ask, browser, page, served

__all__ = ["browser", "page", "served"]  # the fixtures, imported so pytest finds them

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]

# each tab, and what shows it has loaded
TABS = (
    ("Chat", "#chat .ans-final"),
    ("Claim audit", "#audit .audit-row"),
    ("Sources", "#sources .doc-card"),
    ("Index", "#index-status table, #index-status .notice"),
)

# WCAG 2.x contrast ratio of an element's text against the first opaque background behind it
CONTRAST = """(el) => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let bg = null;
  for (let node = el; node && !bg; node = node.parentElement) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length >= 3 && (c.length < 4 || c[3] > 0.9)) bg = c;
  }
  bg = bg || [255, 255, 255];
  const fg = rgb(getComputedStyle(el).color);
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


# no CSS transition still running (finite ones only: a busy bar's animation may loop)
SETTLED = """() => document.getAnimations().every(
  (a) => !(a instanceof CSSTransition) || a.playState !== 'running')"""


def test_the_page_is_named_and_says_it_is_not_medical_advice(page, served) -> None:
    assert page.title() == "Health article assistant"
    icon = page.request.get(f"{served[0]}favicon.ico")
    assert icon.ok and b"<svg" in icon.body()  # our icon, not Gradio's
    assert "Not medical advice" in page.locator(".app-header .disclaimer").inner_text()


def test_secondary_text_meets_wcag_aa_contrast(page) -> None:
    answer = ask(page, "Does magnesium lower cortisol by 25%?")
    for selector in (".app-header p", ".ans-meta"):
        element = (
            page.locator(selector).first if selector != ".ans-meta" else answer.locator(selector)
        )
        ratio = element.evaluate(CONTRAST)
        assert ratio >= 4.5, (selector, ratio)


def serious_violations_by_tab(page) -> dict[str, list[str]]:
    """axe-core on each tab in turn: its serious and critical violations, each with the
    elements it names."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found = {}
    for tab, ready in TABS:
        page.get_by_role("tab", name=tab).click()
        page.locator(ready).first.wait_for(timeout=300_000)
        # measure the settled page: buttons enabled with the rows fade in over 0.2 s, and
        # axe run mid-fade reads their text at half opacity
        page.wait_for_function(SETTLED, timeout=10_000)
        found[tab] = [
            f"{v['id']}: {v['help']} "
            + "; ".join(f"{n['target']} {n.get('failureSummary', '')[-90:]}" for n in v["nodes"])
            for v in axe.run(page).response["violations"]
            if v.get("impact") in ("serious", "critical")
        ]
    return found


def test_no_serious_accessibility_violations_on_any_tab(page) -> None:
    ask(page, "Is magnesium deficiency common?")
    found = serious_violations_by_tab(page)
    assert found == {tab: [] for tab, _ in TABS}, found


def test_a_decline_says_what_can_be_asked(page) -> None:
    off = ask(page, "How do I repot an orchid?")
    text = off.inner_text()
    assert "do not cover" in text and "The article covers:" in text
    assert "threshold" not in text


def _answer_text(answer) -> str:
    return answer.locator(".ans-text").inner_text()


def test_the_chat_clear_icon_forgets_the_conversation(page, browser, served) -> None:
    follow_up = "Where does that figure come from?"
    ask(page, "What is the recommended daily amount of magnesium for women?")
    page.locator("#chat button[aria-label='Clear']").click()
    page.wait_for_function("() => document.querySelectorAll('#chat .ans').length === 0")
    after_clear = _answer_text(ask(page, follow_up))
    context = browser.new_context(viewport={"width": 1280, "height": 1100})
    try:
        fresh = context.new_page()
        fresh.goto(served[0], wait_until="load")
        fresh.wait_for_selector("#chat-input textarea")
        first_question = _answer_text(ask(fresh, follow_up))  # a conversation with no past
    finally:
        context.close()
    assert after_clear == first_question


def test_a_question_typed_while_the_page_loads_waits_for_its_enter(browser, served) -> None:
    """The page's opening events (which ask an answer link's question) are held until a
    question is typed: they must not take the typed question from the box and ask it on
    their own (a second answer to it would later overwrite the chat)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1100})
    held: list = []
    released = []

    def hold(route) -> None:
        route.continue_() if released else held.append(route)

    try:
        tab = context.new_page()
        tab.route("**/queue/join*", hold)
        tab.goto(served[0], wait_until="load")
        tab.wait_for_selector("#chat-input textarea")
        question = "What is the recommended daily amount of magnesium for women?"
        tab.fill("#chat-input textarea", question)
        released.append(True)
        assert held, "the page's opening events should have been held"
        for route in held:
            route.continue_()
        tab.wait_for_timeout(3_000)  # the opening events run; an ask would empty the box
        assert tab.locator("#chat .ans").count() == 0
        assert tab.input_value("#chat-input textarea") == question
        answer = ask(tab, question)
        assert "310" in answer.inner_text()
        assert tab.locator("#chat .ans").count() == 1
    finally:
        context.close()


@pytest.mark.parametrize(
    "scheme, size",
    [("dark", {"width": 1280, "height": 1100}), ("light", {"width": 390, "height": 844})],
    ids=["dark", "phone"],
)
def test_the_dark_theme_and_a_phone_have_no_serious_violations_either(
    browser, served, scheme, size
) -> None:
    context = browser.new_context(viewport=size, color_scheme=scheme)
    try:
        tab = context.new_page()
        tab.goto(f"{served[0]}?__theme={scheme}", wait_until="load")
        tab.wait_for_selector("#chat-input textarea")
        assert tab.evaluate("() => document.body.classList.contains('dark')") == (scheme == "dark")
        ask(tab, "Is magnesium deficiency common?")
        save = tab.get_by_role("button", name="Save conversation (Markdown)")
        tab.wait_for_function("b => !b.disabled", arg=save.element_handle(), timeout=30_000)
        found = serious_violations_by_tab(tab)  # the chat with its downloads enabled
        assert found == {name: [] for name, _ in TABS}, found
    finally:
        context.close()


def test_on_a_phone_nothing_is_cut_off_and_the_page_does_not_scroll_sideways(
    browser, served
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    wider = """() => [
        ...document.querySelectorAll('#sources *, #index-status *, #audit *, #chat *')
      ].filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
                      && !el.closest('.index-table, .doc-table'))
        .map(el => el.className || el.tagName).slice(0, 5)"""
    try:
        phone = context.new_page()
        phone.goto(served[0], wait_until="load")
        phone.wait_for_selector("#chat-input textarea")
        ask(phone, "Is magnesium deficiency common?")
        for tab, ready in TABS:
            phone.get_by_role("tab", name=tab).click()
            phone.locator(ready).first.wait_for(timeout=300_000)
            width = phone.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 391, (tab, width)  # no sideways scrolling of the page
            assert phone.evaluate(wider) == [], tab  # nothing runs past the screen's edge
    finally:
        context.close()


def test_the_getting_ready_notice_goes_once_loaded_and_takes_no_other_notice_with_it(
    browser, served, tmp_path
) -> None:
    import threading

    from conftest import free_port

    from assistant.web import start
    from assistant.web.backend import WebBackend

    go = threading.Event()

    class SlowStart(WebBackend):
        def warm_up(self) -> None:
            go.wait(timeout=60)  # the models "load" until the test lets them
            super().warm_up()

    settings = served[1]
    port = free_port()
    app = start(settings, "127.0.0.1", port, block=False, quiet=True, backend=SlowStart(settings))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        tab = context.new_page()
        tab.goto(f"http://127.0.0.1:{port}/", wait_until="load")
        notice = tab.locator("#chat-notice .notice")
        notice.wait_for(timeout=30_000)
        assert "Getting ready" in notice.inner_text()
        # a second reader sends an empty question meanwhile: that notice is theirs to keep
        other = context.new_page()
        other.goto(f"http://127.0.0.1:{port}/", wait_until="load")
        other.locator("#chat-notice .notice").wait_for(timeout=30_000)
        other.click("#ask-btn")
        other.wait_for_function(
            "() => (document.querySelector('#chat-notice .notice') || {}).textContent"
            "?.includes('empty')",
            timeout=30_000,
        )
        go.set()
        tab.wait_for_function(
            "() => !document.querySelector('#chat-notice .notice')", timeout=60_000
        )
        other.wait_for_timeout(2_500)  # the other page's timer ticks (each second) meanwhile
        assert "empty" in other.locator("#chat-notice .notice").inner_text()
    finally:
        go.set()
        context.close()
        app.close()
