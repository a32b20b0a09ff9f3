"""links.py — stage 8: every internal link and #anchor in the rendered site must resolve.

Runs over the in-memory {path: bytes}, so `check` needs no disk. Reports every broken link and
every page that no link leads to, at once, with the page and line (Zola's link checking, over
our own output). Our pages are generated with double-quoted attributes, so a regular
expression reads them as reliably as an HTML parser, at a fraction of the cost.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from generator.errors import ContentError
from generator.pages import output_path

GENERATED_LATER = ("/pagefind/",)  # written by Pagefind after rendering
START_PAGES = ("index.html", "404.html")  # the home page, and the page served for any bad address
ATTRIBUTE = re.compile(rb'\s(href|src|id)="([^"]*)"')
NOT_LINKS = re.compile(rb'<link rel="(?:canonical|alternate)"[^>]*>')  # absolute, checked elsewhere


class _Page:
    """A rendered page's outgoing links (with their offsets) and its element ids."""

    def __init__(self, html: bytes):
        self.html = html
        self.links: list[tuple[str, int]] = []
        self.ids: set[str] = set()
        html = NOT_LINKS.sub(lambda m: b" " * len(m.group()), html)
        for match in ATTRIBUTE.finditer(html):
            value = match.group(2).decode("utf-8").replace("&amp;", "&")
            if match.group(1) == b"id":
                self.ids.add(value)
            else:
                self.links.append((value, match.start()))

    def line(self, offset: int) -> int:
        return self.html.count(b"\n", 0, offset) + 1


def internal_path(href: str) -> str | None:
    """The output path an internal link points to, or None for external and generated links."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith(GENERATED_LATER) or not parts.path.startswith("/"):
        return None
    return output_path(unquote(parts.path))


def check_links(files: dict[str, bytes], site_name: str = "site") -> list[ContentError]:
    """Every broken internal link or anchor, and every page no link leads to, as ContentErrors."""
    pages = {path: _Page(data) for path, data in files.items() if path.endswith(".html")}
    errors = []
    for path, page in pages.items():
        for href, offset in page.links:
            problem = _link_problem(href, path, files, pages)
            if problem:
                errors.append(ContentError(f"{site_name}/{path}", page.line(offset), "link", problem))
    for path in sorted(set(pages) - _reachable(pages)):
        errors.append(ContentError(f"{site_name}/{path}", 0, "", "no page links here: it cannot be reached from the home page"))
    return errors


def _link_problem(href: str, path: str, files: dict[str, bytes], pages: dict[str, _Page]) -> str | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith(GENERATED_LATER):
        return None
    if parts.path and not parts.path.startswith("/"):
        return f'relative link "{href}"; write it from the site root, as /deals/…/'
    target = output_path(unquote(parts.path)) if parts.path else path
    if target not in files:
        return f'"{href}" points to no page of the site'
    if parts.fragment and target in pages and unquote(parts.fragment) not in pages[target].ids:
        return f'"{href}": no element with id "{parts.fragment}" on that page'
    return None


def _reachable(pages: dict[str, _Page]) -> set[str]:
    """Pages reached by following links from the start pages (a breadth-first walk)."""
    seen = {path for path in START_PAGES if path in pages}
    queue = list(seen)
    while queue:
        for href, _ in pages[queue.pop()].links:
            target = internal_path(href)
            if target in pages and target not in seen:
                seen.add(target)
                queue.append(target)
    return seen
