"""links.py — stage 8: every internal link and #anchor in the rendered site must resolve.

Runs over the in-memory {path: bytes}, so `check` needs no disk. Reports every broken link at
once, with the page and the line that links (Zola's link checking, over our own output).
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from generator.errors import ContentError
from generator.pages import output_path

GENERATED_LATER = ("/pagefind/",)  # written by Pagefind after rendering


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, int]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        for name in ("href", "src"):
            if attributes.get(name) and not (tag == "link" and attributes.get("rel") in ("canonical", "alternate")):
                self.links.append((attributes[name], self.getpos()[0]))


def _parse(html: bytes) -> _LinkParser:
    parser = _LinkParser()
    parser.feed(html.decode("utf-8"))
    parser.close()
    return parser


START_PAGES = ("index.html", "404.html")  # the home page, and the page served for any bad address


def check_links(files: dict[str, bytes], site_name: str = "site") -> list[ContentError]:
    """Every broken internal link or anchor, and every page no link leads to, as ContentErrors."""
    parsed = {path: _parse(data) for path, data in files.items() if path.endswith(".html")}
    errors = _broken_links(files, parsed, site_name)
    reached = _reachable(parsed)
    for path in sorted(set(parsed) - reached):
        errors.append(ContentError(f"{site_name}/{path}", 0, "", "no page links here: it cannot be reached from the home page"))
    return errors


def _targets(page: _LinkParser) -> set[str]:
    targets = set()
    for href, _ in page.links:
        parts = urlsplit(href)
        if not (parts.scheme or parts.netloc) and parts.path.startswith("/"):
            targets.add(output_path(unquote(parts.path)))
    return targets


def _reachable(parsed: dict[str, _LinkParser]) -> set[str]:
    """Pages reached by following links from the start pages (a breadth-first walk)."""
    seen = {path for path in START_PAGES if path in parsed}
    queue = list(seen)
    while queue:
        for target in _targets(parsed[queue.pop()]):
            if target in parsed and target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def _broken_links(files: dict[str, bytes], parsed: dict[str, _LinkParser], site_name: str) -> list[ContentError]:
    errors = []
    for path, page in parsed.items():
        for href, line in page.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(GENERATED_LATER):
                continue
            target = output_path(unquote(parts.path)) if parts.path else path
            where = f"{site_name}/{path}"
            if not parts.path.startswith("/") and parts.path:
                errors.append(ContentError(where, line, "link", f'relative link "{href}"; write it from the site root, as /deals/…/'))
            elif target not in files:
                errors.append(ContentError(where, line, "link", f'"{href}" points to no page of the site'))
            elif parts.fragment and target in parsed and unquote(parts.fragment) not in parsed[target].ids:
                errors.append(ContentError(where, line, "link", f'"{href}": no element with id "{parts.fragment}" on that page'))
    return errors
