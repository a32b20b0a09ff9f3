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


RELATIVE = "\0relative"  # stands for a link that is not written from the site root
# ((href, line, target path — "" for the same page, fragment), …), (id, …)
Links = tuple[tuple[tuple[str, int, str, str], ...], tuple[str, ...]]


def extract_links(html: bytes) -> Links:
    """A page's internal links, resolved to the files they point to, and its element ids.

    Runs once per rendered page (in the render workers), so the whole-site check that follows
    is only set look-ups. External links, and Pagefind's files, are not followed."""
    html = NOT_LINKS.sub(lambda m: b" " * len(m.group()), html)
    links, ids = [], []
    line, position = 1, 0
    for match in ATTRIBUTE.finditer(html):
        value = match.group(2).decode("utf-8").replace("&amp;", "&")
        if match.group(1) == b"id":
            ids.append(value)
            continue
        parts = urlsplit(value)
        if parts.scheme or parts.netloc or value.startswith(GENERATED_LATER):
            continue
        line += html.count(b"\n", position, match.start())
        position = match.start()
        if parts.path and not parts.path.startswith("/"):
            target = RELATIVE
        else:
            target = output_path(unquote(parts.path)) if parts.path else ""
        links.append((value, line, target, unquote(parts.fragment)))
    return tuple(links), tuple(ids)


def check_links(pages: dict[str, Links], paths: set[str], site_name: str = "site") -> list[ContentError]:
    """Every broken internal link or anchor, and every page no link leads to, as ContentErrors.

    `pages` holds the links and ids of every HTML page; `paths` is every file of the site."""
    ids = {path: set(page_ids) for path, (_, page_ids) in pages.items()}
    errors = []
    for path, (links, _) in pages.items():
        for href, line, target, fragment in links:
            problem = _link_problem(href, target or path, fragment, paths, ids)
            if problem:
                errors.append(ContentError(f"{site_name}/{path}", line, "link", problem))
    for path in sorted(set(pages) - _reachable(pages)):
        errors.append(ContentError(f"{site_name}/{path}", 0, "", "no page links here: it cannot be reached from the home page"))
    return errors


def check_files(files: dict[str, bytes]) -> list[ContentError]:
    """check_links over a site held in memory as {path: bytes}."""
    pages = {path: extract_links(data) for path, data in files.items() if path.endswith(".html")}
    return check_links(pages, set(files))


def _link_problem(href: str, target: str, fragment: str, paths: set[str], ids: dict[str, set[str]]) -> str | None:
    if target == RELATIVE:
        return f'relative link "{href}"; write it from the site root, as /deals/…/'
    if target not in paths:
        return f'"{href}" points to no page of the site'
    if fragment and target in ids and fragment not in ids[target]:
        return f'"{href}": no element with id "{fragment}" on that page'
    return None


def _reachable(pages: dict[str, Links]) -> set[str]:
    """Pages reached by following links from the start pages (a breadth-first walk)."""
    seen = {path for path in START_PAGES if path in pages}
    queue = list(seen)
    while queue:
        for _, _, target, _ in pages[queue.pop()][0]:
            if target in pages and target not in seen:
                seen.add(target)
                queue.append(target)
    return seen
