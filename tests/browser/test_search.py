"""Search in real Chromium, under the Content-Security-Policy that netlify.toml declares."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

pytestmark = pytest.mark.browser


def collect_csp_violations(page) -> list[str]:
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(msg.text) if "Content Security Policy" in msg.text else None)
    return messages


RESULT_TITLE = ".pagefind-ui__result-inner > .pagefind-ui__result-title > .pagefind-ui__result-link"  # not the sub-result links


def wait_for_results(page, message_before: str = "") -> str:
    """Wait until Pagefind has shown a new result message and loaded every result it lists."""
    try:
        page.wait_for_function(
            """([sel, before]) => {
                const message = document.querySelector('.pagefind-ui__message');
                const results = document.querySelectorAll('.pagefind-ui__result').length;
                return message && message.textContent !== before && results > 0
                    && document.querySelectorAll(sel).length === results;
            }""", arg=[RESULT_TITLE, message_before])
    except PlaywrightTimeoutError as exc:  # say what the page showed instead
        shown = page.evaluate("""(sel) => [document.querySelector('.pagefind-ui__message')?.textContent,
            document.querySelectorAll('.pagefind-ui__result').length, document.querySelectorAll(sel).length]""",
                              RESULT_TITLE)
        raise AssertionError(f"search results did not settle after {message_before!r}: message {shown[0]!r}, "
                             f"{shown[1]} results, {shown[2]} of them loaded") from exc
    return page.locator(".pagefind-ui__message").inner_text()


def search(page, base: str, query: str):
    page.goto(f"{base}/search/")
    page.fill(".pagefind-ui__search-input", query)
    wait_for_results(page)
    return page.locator(RESULT_TITLE)


def test_searching_tor_m1_finds_the_brief(page, real_site):
    violations = collect_csp_violations(page)
    results = search(page, real_site, "Tor-M1")
    titles = results.all_inner_texts()
    assert "Russia delivers Tor-M1 air-defence systems to Iran" in titles
    assert violations == []


def test_searching_a_speaker_finds_the_brief_that_quotes_him(page, real_site):
    results = search(page, real_site, "Ivanov")
    assert results.first.inner_text() == "Russia delivers Tor-M1 air-defence systems to Iran"


def test_recipient_filter_narrows_and_a_result_leads_to_the_brief(page, real_site):
    violations = collect_csp_violations(page)
    search(page, real_site, "Russia")
    unfiltered = page.locator(".pagefind-ui__message").inner_text()
    assert unfiltered == "6 results for Russia"  # two briefs, two parties, two systems
    page.locator(".pagefind-ui__filter-label", has_text="Iran").first.click()
    assert wait_for_results(page, unfiltered) == "2 results for Russia"
    titles = page.locator(RESULT_TITLE).all_inner_texts()
    assert sorted(titles) == ["Russia delivers Tor-M1 air-defence systems to Iran",
                              "Russia supplies 750 9M338 missiles to Iran"]
    page.locator(RESULT_TITLE, has_text="Tor-M1").click()
    page.wait_for_url(f"{real_site}/deals/2005-russia-iran-tor-m1/")
    assert page.locator("h1").inner_text() == "Russia delivers Tor-M1 air-defence systems to Iran"
    assert violations == []


def test_the_header_search_box_runs_its_query_on_the_search_page(page, real_site):
    page.goto(f"{real_site}/deals/")
    page.fill("#site-search-q", "Chemezov")
    page.press("#site-search-q", "Enter")
    wait_for_results(page)
    assert page.locator(RESULT_TITLE).first.inner_text() == "Russia delivers Tor-M1 air-defence systems to Iran"


def test_pages_work_without_javascript(browser, real_site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{real_site}/")
    page.click("text=All briefs")
    page.click("text=Russia delivers Tor-M1 air-defence systems to Iran")
    assert page.locator("h1").inner_text() == "Russia delivers Tor-M1 air-defence systems to Iran"
    assert page.locator("ol.sources > li").count() == 10
    page.goto(f"{real_site}/search/")
    assert "Search needs JavaScript" in page.locator("main").inner_text()
    context.close()
