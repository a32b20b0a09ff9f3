"""Every kind of page is valid HTML (Nu HTML Checker) and has no axe-core accessibility violation."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.browser.conftest import AXE, ROOT, axe_violations

pytestmark = pytest.mark.browser

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# One page of every kind, in the real archive.
PAGES = ["/", "/deals/", "/deals/2005-russia-iran-tor-m1/", "/deals/russia-iran-9m338/", "/countries/",
         "/countries/russia/", "/systems/", "/systems/tor-m1/", "/years/", "/years/2005/", "/about/",
         "/search/?q=Tor-M1", "/404.html", "/data/"]


def test_the_tools_are_installed():
    # The test command installs them (npm ci); without them the checks below would prove nothing.
    assert AXE.is_file() and VNU.is_file() and shutil.which("java")


def test_every_page_is_valid_html(real_site_dir: Path):
    result = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json", "--skip-non-html",
                             str(real_site_dir)], capture_output=True, text=True)
    messages = json.loads(result.stderr)["messages"]
    assert [f'{m["url"]}:{m.get("lastLine")}: {m["message"]}' for m in messages] == []


@pytest.mark.parametrize("path", PAGES)
def test_no_accessibility_violations(browser, real_site, path):
    assert axe_violations(browser, real_site + path, ".pagefind-ui__result-link" if "?q=" in path else None) == []
