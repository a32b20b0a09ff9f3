"""Search still finds the right brief in an archive of 10,000 (synthetic) briefs, and the long
listings' pagers lead from page to page.

Slow (about a minute and a half: the build and Pagefind's indexing), but it runs in CI: the
scale issue asks that search keeps working at archive size, not only on the real content."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.corpus import write_corpus
from tests.browser.conftest import axe_violations, serve
from tests.browser.test_search import RESULT_TITLE, search, wait_for_results

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BRIEFS = 10_000
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def large_site(tmp_path_factory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("large")
    content = write_corpus(folder / "corpus", BRIEFS)
    # Built by the command, in a process of its own: built here, the archive would stay in this
    # one's memory, frozen out of the cycle collector's sight (690 MB), and every test after this
    # one that forks a process would pay for copying it (this module and the rebuild sequences
    # after it: 132 s, against 94 s).
    built = subprocess.run([sys.executable, "-m", "generator", "build", "--content", str(content),
                            "--out", str(folder / "site")], capture_output=True, text=True, cwd=ROOT)
    assert built.returncode == 0, built.stderr
    assert int(re.search(r"(\d+) indexed for search", built.stdout)[1]) > BRIEFS
    server = serve(folder / "site")
    yield f"http://127.0.0.1:{server.server_address[1]}", content
    server.shutdown()


# Four-digit numbers: Pagefind matches the last word as a prefix, so "Brief 42" would also find 4205.
@pytest.mark.parametrize("number", [1000, 7321, 9999])
def test_a_brief_is_found_by_its_number_among_ten_thousand(page, large_site, number):
    base, _ = large_site
    results = search(page, base, f"Brief {number}")
    assert results.first.inner_text().startswith(f"[Synthetic] Brief {number}:"), results.all_inner_texts()[:3]
    results.first.click()
    page.wait_for_url(f"**/deals/synthetic-{number:05d}/")
    assert page.locator("h1").inner_text().startswith(f"[Synthetic] Brief {number}:")


def test_the_recipient_filter_narrows_ten_thousand_briefs(page, large_site):
    base, _ = large_site
    page.goto(f"{base}/deals/synthetic-07321/")
    recipient = page.locator("table.facts tr", has_text="Recipient").locator("td a").inner_text()
    search(page, base, "Brief")
    before = page.locator(".pagefind-ui__message").inner_text()
    label = page.locator(".pagefind-ui__filter-label", has_text=re.compile(rf"^{re.escape(recipient)}\b"))
    label.first.click()
    after = wait_for_results(page, before)
    assert int(after.split()[0].replace(",", "")) < int(before.split()[0].replace(",", ""))
    page.fill(".pagefind-ui__search-input", "Brief 7321")
    assert wait_for_results(page, after).startswith("1 result")
    assert page.locator(RESULT_TITLE).first.inner_text().startswith("[Synthetic] Brief 7321:")


def test_a_long_listing_shows_a_short_pager_that_leads_from_page_to_page(browser, page, large_site):
    base, content = large_site
    last = str(1 + len(list((content.parents[1] / "site/deals/page").iterdir())))  # 200 to 300 rows a page
    assert int(last) > 30
    assert axe_violations(browser, f"{base}/deals/page/20/") == []
    page.goto(f"{base}/deals/page/20/")
    pager = page.locator("nav.pager").first
    shown = [text.split()[0] for text in pager.locator("li").all_inner_texts()]
    assert shown == ["‹", "1", "…", "18", "19", "20", "21", "22", "…", last, "Next"]
    pager.get_by_role("link", name="Next page").click()
    page.wait_for_url("**/deals/page/21/")
    assert page.locator('nav.pager [aria-current="page"]').first.inner_text() == "21"
    page.locator("nav.pager").first.get_by_role("link", name=last, exact=True).click()
    page.wait_for_url(f"**/deals/page/{last}/")
    assert page.locator("nav.pager").first.get_by_role("link", name="Next page").count() == 0
