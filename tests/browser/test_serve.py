"""`archive serve` in real Chromium: an edit on disk reloads the page, a broken brief shows its
problems over the page until it is fixed, and search works."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.test_search import RESULT_TITLE, search
from tests.conftest import edit

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
BRIEF = "deals/2001-norway-chile-fixture-sam.md"
TITLE = "[Fixture] Norway sells Fixture SAM to Chile"


def start(content: Path, *flags: str):
    """`archive serve` in a process of its own; yields its base URL once the first build is done."""
    # Ctrl-C (SIGINT) stops serve. A test run started in the background by a non-interactive
    # shell ignores SIGINT, and a child would inherit that: give it the default back.
    process = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--port", "0", *flags], cwd=content.parent,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)},
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    first = process.stdout.readline()
    url = re.search(r"http://127\.0\.0\.1:\d+/", first)
    assert url, first + process.stderr.read()
    process.stdout.readline()  # the first build is done ("Rebuilt in …")
    yield url.group()
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0


@pytest.fixture
def served(content):
    for url in start(content):
        yield url, content


@pytest.fixture
def served_templates(content):
    templates = content.parent / "templates"
    shutil.copytree(ROOT / "templates", templates)
    for url in start(content, "--templates", str(templates)):
        yield url, templates


def test_an_edit_on_disk_reloads_the_open_page(page, served):
    base, content = served
    page.goto(f"{base}deals/2001-norway-chile-fixture-sam/")
    assert page.locator("h1").inner_text() == TITLE
    edit(content / BRIEF, TITLE, "[Fixture] Norway sells more Fixture SAMs to Chile")
    page.wait_for_function("document.querySelector('h1').textContent.includes('more Fixture SAMs')", timeout=20_000)


def test_a_broken_brief_shows_its_problems_until_it_is_fixed(page, served):
    base, content = served
    page.goto(f"{base}deals/2001-norway-chile-fixture-sam/")
    edit(content / BRIEF, "status: delivered", "status: deliverd")
    overlay = page.locator(".archive-problems")
    overlay.wait_for(state="visible", timeout=20_000)
    assert page.locator(".archive-problem-where").all_inner_texts() == ["content/deals/2001-norway-chile-fixture-sam.md:7: status"]
    assert 'got "deliverd"; did you mean "delivered"?' in overlay.inner_text()
    assert page.locator(".archive-problem-line.here").inner_text().strip() == "7 | status: deliverd"

    page.goto(f"{base}systems/")  # any page of the site shows the problems while they last
    overlay.wait_for(state="visible", timeout=20_000)

    edit(content / BRIEF, "status: deliverd", "status: ordered")
    overlay.wait_for(state="detached", timeout=20_000)
    page.goto(f"{base}deals/2001-norway-chile-fixture-sam/")
    assert page.locator("table.facts .status").inner_text() == "Ordered"
    assert page.locator(".archive-problems").count() == 0


def test_search_works_and_catches_up_with_edits(page, served):
    base, content = served
    assert TITLE in search(page, base, "Fixture SAM").all_inner_texts()
    edit(content / BRIEF, TITLE, "[Fixture] Norway sells Zanzibarite missiles to Chile")
    # Rebuilds skip Pagefind; once edits pause, the index is brought up to date.
    for _ in range(40):
        page.goto(f"{base}search/")
        page.fill(".pagefind-ui__search-input", "Zanzibarite")
        try:
            page.locator(RESULT_TITLE).first.wait_for(timeout=1000)
            break
        except PlaywrightTimeout:
            continue
    assert page.locator(RESULT_TITLE).first.inner_text() == "[Fixture] Norway sells Zanzibarite missiles to Chile"


def test_a_template_change_reloads_the_page_and_a_template_error_shows_until_fixed(page, served_templates):
    base, templates = served_templates
    page.goto(f"{base}systems/")
    footer = page.locator("footer.colophon")
    edit(templates / "base.html", '<footer class="colophon">', '<footer class="colophon"><p>Edited footer</p>')
    page.wait_for_function("document.querySelector('footer.colophon').textContent.includes('Edited footer')", timeout=20_000)
    edit(templates / "base.html", "<p>Edited footer</p>", "<p>{{ broken( }}</p>")
    overlay = page.locator(".archive-problems")
    overlay.wait_for(state="visible", timeout=20_000)
    assert page.locator(".archive-problem-where").all_inner_texts() == ["build"]
    assert "base.html" in overlay.inner_text()
    edit(templates / "base.html", "<p>{{ broken( }}</p>", "")
    overlay.wait_for(state="detached", timeout=20_000)
    assert "Edited footer" not in footer.inner_text()
