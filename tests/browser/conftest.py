"""A built site served on 127.0.0.1 with the headers netlify.toml declares, and real Chromium."""

from __future__ import annotations

import functools
import http.server
import threading
import tomllib
from pathlib import Path

import pytest

from generator.build import build

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
# Chromium's own background traffic is refused on a closed network; these flags keep it quiet.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def netlify_headers() -> dict[str, str]:
    """The headers netlify.toml sets for every path ("/*")."""
    config = tomllib.loads((ROOT / "netlify.toml").read_text(encoding="utf-8"))
    return next(rule["values"] for rule in config["headers"] if rule["for"] == "/*")


class Handler(http.server.SimpleHTTPRequestHandler):
    headers_to_send: dict[str, str] = {}

    def end_headers(self):
        for name, value in self.headers_to_send.items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, *args):  # keep test output clean
        pass


class Server(http.server.ThreadingHTTPServer):
    # http.server answers HTTP/1.0, a connection per request, and Pagefind asks for many files at
    # once (index chunks, seven filters, fragments). With the default backlog of 5, connections
    # the accepting thread is too slow to take on a busy machine are dropped, and Chromium tries
    # again only after 1, 3, 7, 15 s…
    request_queue_size = 128


def serve(directory: Path):
    handler = functools.partial(Handler, directory=str(directory))
    Handler.headers_to_send = netlify_headers()
    Handler.extensions_map = {**Handler.extensions_map, ".wasm": "application/wasm", ".js": "text/javascript"}
    server = Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="session")
def real_site_dir(tmp_path_factory) -> Path:
    """The archive's real content, built with its search index."""
    out = tmp_path_factory.mktemp("real") / "site"
    build(ROOT / "content", out)
    return out


@pytest.fixture(scope="session")
def real_site(real_site_dir: Path) -> str:
    """The real site served on 127.0.0.1 with netlify.toml's headers; yields the base URL."""
    server = serve(real_site_dir)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")  # installed by the test command
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    tab = context.new_page()
    yield tab
    context.close()


def axe_violations(browser, url: str, wait_for: str | None = None) -> list:
    """axe-core's WCAG 2.1 A/AA and best-practice violations on a page: (rule, help, first nodes)."""
    # axe is injected as an inline script, which the site's own CSP rightly forbids.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(url)
    if wait_for:
        page.wait_for_selector(wait_for)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})")
    context.close()
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
