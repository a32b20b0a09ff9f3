"""links.py — stage 8: every internal link and #anchor in the rendered site must resolve.

Runs over the in-memory {path: bytes}, so `check` needs no disk. Reports every broken link and
every page that no link leads to, at once, with the page and line (Zola's link checking, over
our own output). Our pages are generated with double-quoted attributes, so a regular
expression reads them as reliably as an HTML parser, at a fraction of the cost.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Callable, Collection
from urllib.parse import unquote, urlsplit

from generator.errors import ContentError
from generator.pages import output_path

GENERATED_LATER = ("/pagefind/",)  # written by Pagefind after rendering
START_PAGES = ("index.html", "404.html")  # the home page, and the page served for any bad address
# An attribute that links or names an anchor. Our templates put a space before each attribute,
# and a pattern starting with a literal space is scanned four times faster than one starting with
# \s; a page where that finds fewer attributes than there are is scanned with the general pattern.
ATTRIBUTE = re.compile(rb' (href|src|id)="([^"]*)"')
ANY_ATTRIBUTE = re.compile(rb'\s(href|src|id)="([^"]*)"')
NOT_LINKS = re.compile(rb'<link rel="(?:canonical|alternate)"[^>]*>')  # absolute, checked elsewhere


PLAIN_PATH = re.compile(r"/[A-Za-z0-9._/-]*")  # a path from the site root with nothing to decode or split off
RELATIVE = "\0relative"  # stands for a link that is not written from the site root
MALFORMED = "\0malformed"  # stands for a link urllib cannot take apart
# ((href, line, target path — "" for the same page, fragment), …), (id, …)
Links = tuple[tuple[tuple[str, int, str, str], ...], tuple[str, ...]]
_resolved: dict[bytes, tuple[str, str, str] | None] = {}  # an href as written -> (href, target, fragment)


def _resolve(raw: bytes) -> tuple[str, str, str] | None:
    """An href resolved to the file it points to and its fragment; None for what is not followed.

    The same few thousand hrefs recur on every page, so each is resolved once per process."""
    value = raw.decode("utf-8").replace("&amp;", "&")
    if PLAIN_PATH.fullmatch(value) and not value.startswith(GENERATED_LATER):  # most: /deals/x/ and the like
        _resolved[raw] = found = (value, output_path(value), "")
        return found
    try:
        parts = urlsplit(value)
    except ValueError:  # content checks refuse such addresses; one on a page is reported, not a crash
        _resolved[raw] = found = (value, MALFORMED, "")
        return found
    if parts.scheme or parts.netloc or value.startswith(GENERATED_LATER):
        found = None
    elif parts.path and not parts.path.startswith("/"):
        found = (value, RELATIVE, unquote(parts.fragment))
    else:
        found = (value, output_path(unquote(parts.path)) if parts.path else "", unquote(parts.fragment))
    _resolved[raw] = found
    return found


def extract_links(html: bytes) -> Links:
    """A page's internal links, resolved to the files they point to, and its element ids.

    Runs once per rendered page (in the render workers), so the whole-site check that follows
    is only set look-ups. External links, and Pagefind's files, are not followed."""
    links, ids = [], []
    line, position = 1, 0
    matches = list(ATTRIBUTE.finditer(html))
    if len(matches) != html.count(b'href="') + html.count(b'src="') + html.count(b'id="'):
        matches = list(ANY_ATTRIBUTE.finditer(html))  # an attribute after a newline, or a data-id="…"
    skipped = [match.span() for match in NOT_LINKS.finditer(html)]
    skip_until = skipped[-1][1] if skipped else 0
    for match in matches:
        name, raw = match.group(1, 2)
        if match.start() < skip_until and any(start <= match.start() < end for start, end in skipped):
            continue
        if name == b"id":
            ids.append(raw.decode("utf-8").replace("&amp;", "&"))
            continue
        found = _resolved[raw] if raw in _resolved else _resolve(raw)
        if found is None:
            continue
        line += html.count(b"\n", position, match.start())
        position = match.start()
        links.append((found[0], line, found[1], found[2]))
    return tuple(links), tuple(ids)


def check_links(pages: dict[str, Links], paths: set[str], site_name: str = "site") -> list[ContentError]:
    """Every broken internal link or anchor, and every page no link leads to, as ContentErrors.

    `pages` holds the links and ids of every HTML page; `paths` is every file of the site."""
    ids = {path: set(page_ids) for path, (_, page_ids) in pages.items()}
    errors = _broken_links(pages, paths, ids, site_name)
    return errors + _unreached(_unfound(set(pages), pages.get, set(pages)), site_name)


def check_changed_links(rendered: dict[str, Links], before: Callable[[str], Links | None], paths: set[str],
                        old_paths: set[str], may_link_to: Callable[[set[str]], set[str]]) -> list[ContentError] | None:
    """The link check of a rebuild after a build (of the files `old_paths`) whose links all
    resolved, where only the `rendered` pages changed or are new (`before(path)` gives a page's
    links as that build made it; `may_link_to(files)` the old pages that may link to any of those
    files, more rather than fewer). If no rendered page lost an id and no unchanged page links to
    a removed file, the unchanged pages' links still resolve: only the rendered pages' links need
    checking. Every old page is still reached unless a page that linked to it stopped (a rendered
    page, as when a listing page's rows move to the next) or is gone; those pages, and the new
    ones, are looked for from the home page. None when an id was lost or an unchanged page links
    to a removed file: then the whole site must be checked, to say where."""
    questioned = _in_question(rendered, before, paths, old_paths, may_link_to)
    if questioned is None:
        return None
    ids = {}
    for path, (links, _) in rendered.items():
        for _, _, target, fragment in links:
            if fragment and target and target not in ids and target in paths and target.endswith(".html"):
                found = rendered.get(target) or before(target)
                if found is not None:
                    ids[target] = set(found[1])
        ids[path] = set(rendered[path][1])
    unreached = _unfound(questioned, lambda path: rendered.get(path) or before(path), paths, rendered.keys())
    return _broken_links(rendered, paths, ids) + _unreached(unreached)


def _in_question(rendered: dict[str, Links], before: Callable[[str], Links | None], paths: set[str],
                 old_paths: set[str], may_link_to: Callable[[set[str]], set[str]]) -> set[str] | None:
    """The pages that may no longer be reached (see check_changed_links), or None when the
    unchanged pages' links may no longer resolve."""
    if not old_paths:
        return None
    removed = old_paths - paths
    if removed:
        for path in may_link_to(removed) - rendered.keys() - removed:
            found = before(path)
            if found is not None and any(link[2] in removed for link in found[0]):
                return None
    questioned = {path for path in rendered if path not in old_paths}  # new: they had nothing to lose
    for path in removed:
        found = before(path) if path.endswith(".html") else None
        questioned |= {link[2] for link in found[0]} if found else set()
    for path, (links, ids) in rendered.items():
        if path in old_paths:
            old = before(path)
            if old is None or not set(ids) >= set(old[1]):
                return None
            questioned |= {link[2] for link in old[0]} - {link[2] for link in links}
    return {path for path in questioned if path.endswith(".html") and path in paths}


def check_files(files: dict[str, bytes]) -> list[ContentError]:
    """check_links over a site held in memory as {path: bytes}."""
    pages = {path: extract_links(data) for path, data in files.items() if path.endswith(".html")}
    return check_links(pages, set(files))


def _broken_links(pages: dict[str, Links], paths: set[str], ids: dict[str, set[str]],
                  site_name: str = "site") -> list[ContentError]:
    """Every link of these pages that points to no file, or to no such id on its page."""
    errors = []
    for path, (links, _) in pages.items():
        for href, line, target, fragment in links:
            target = target or path
            # Nearly every link is sound: told in place, without a call (670,000 at 10,000 briefs).
            if target in paths and (not fragment or target not in ids or fragment in ids[target]):
                continue
            problem = _link_problem(href, target, fragment, paths, ids)
            if problem:
                errors.append(ContentError(f"{site_name}/{path}", line, "link", problem))
    return errors


def _link_problem(href: str, target: str, fragment: str, paths: set[str], ids: dict[str, set[str]]) -> str | None:
    if target == RELATIVE:
        return f'relative link "{href}"; write it from the site root, as /deals/…/'
    if target == MALFORMED:
        return f'"{href}" is not a valid address'
    if target not in paths:
        return f'"{href}" points to no page of the site'
    if fragment and target in ids and fragment not in ids[target]:
        return f'"{href}": no element with id "{fragment}" on that page'
    return None


def _unreached(paths: set[str], site_name: str = "site") -> list[ContentError]:
    return [ContentError(f"{site_name}/{path}", 0, "", "no page links here: it cannot be reached from the home page")
            for path in sorted(paths)]


def _unfound(wanted: set[str], links_of: Callable[[str], Links | None], paths: set[str],
             at_hand: Collection[str] = ()) -> set[str]:
    """The pages of `wanted` that no chain of links from the start pages reaches (a walk over the
    HTML pages among `paths`). It stops once all are found, and follows the pages `at_hand`
    first: a rebuild's rendered pages, whose links are in memory, where the others' are read
    from the cache. The pages a listing page stopped linking to (its rows now on another of its
    pages) are on its other pages, and the pager leads there through rendered pages: at 10,000
    briefs, when listing pages were of a fixed size and an addition shifted 50 of them, its walk
    read 64 pages' links this way, 422 breadth first."""
    seen = {path for path in START_PAGES if path in paths}
    queue = deque(seen)
    missing = wanted - seen
    while queue and missing:
        found = links_of(queue.popleft())
        for _, _, target, _ in found[0] if found else ():
            if target not in seen and target.endswith(".html") and target in paths:
                seen.add(target)
                if target in at_hand:
                    queue.appendleft(target)
                else:
                    queue.append(target)
                missing.discard(target)
    return missing
