"""The link check of a rebuild: only what the rendered pages changed, unless that is not enough."""

import pickle

from generator.build import Output, check_site_links
from generator.cache import BuildCache, PageEntry
from generator.links import check_changed_links, check_links, extract_links

HOME = b'<a href="/a/">A</a> <a href="/b/">B</a>'
A = b'<h1 id="top">A</h1> <a href="/b/#background">B\'s background</a>'
B = b'<h2 id="background">Background</h2> <a href="/">home</a>'
PATHS = {"index.html", "a/index.html", "b/index.html"}


def site(**pages: bytes) -> dict:
    found = {"index.html": HOME, "a/index.html": A, "b/index.html": B}
    found.update({f"{name}/index.html": html for name, html in pages.items()})
    return {path: extract_links(html) for path, html in found.items()}


def changed(rendered: dict, paths: set[str] = PATHS, old_paths: set[str] = PATHS):
    """check_changed_links after the site above was built and these pages were rendered again."""
    return check_changed_links(rendered, site().get, paths, old_paths, lambda files: set(site()))


def test_the_whole_site_checks_clean():
    assert check_links(site(), PATHS) == []


def test_a_link_urllib_cannot_take_apart_is_reported_not_a_crash():
    """Content checks refuse such addresses; a page that has one anyway fails the check by name."""
    pages = site(b=B + b'\n<a href="https://news.exa](javascript:x)mple/">wire</a>')
    assert [(e.path, e.line, e.message) for e in check_links(pages, PATHS)] == [
        ("site/b/index.html", 2, '"https://news.exa](javascript:x)mple/" is not a valid address')]


def test_a_rendered_page_is_checked_against_the_unchanged_ones():
    rendered = {"b/index.html": extract_links(B + b' <a href="/a/#top">A</a> <a href="/a/#nowhere">x</a>')}
    assert [e.message for e in changed(rendered)] == ['"/a/#nowhere": no element with id "nowhere" on that page']


def test_a_page_that_lost_an_id_needs_the_whole_site_checked():
    lost_id = {"b/index.html": extract_links(b'<h2 id="context">Context</h2> <a href="/">home</a>')}
    assert changed(lost_id) is None
    assert [e.message for e in check_links({**site(), **lost_id}, PATHS)] == [
        '"/b/#background": no element with id "background" on that page']


def test_a_page_another_stopped_linking_to_must_still_be_reached_from_the_home_page():
    lost_link = {"index.html": extract_links(b'<a href="/b/">B</a>')}
    assert [(e.path, e.message) for e in changed(lost_link)] == [
        ("site/a/index.html", "no page links here: it cannot be reached from the home page")]
    moved = {"index.html": extract_links(b'<a href="/b/">B</a>'), "b/index.html": extract_links(B + b' <a href="/a/">A</a>')}
    assert changed(moved) == []


def test_a_page_new_to_the_site_is_checked_and_must_be_reached_from_the_home_page():
    new = {"c/index.html": extract_links(b'<p id="new">new</p> <a href="/a/#top">A</a> <a href="/d/">D</a>')}
    with_c = PATHS | {"c/index.html"}
    assert [(e.path, e.message) for e in changed(new, with_c)] == [
        ("site/c/index.html", '"/d/" points to no page of the site'),
        ("site/c/index.html", "no page links here: it cannot be reached from the home page")]
    linked = {**new, "b/index.html": extract_links(B + b' <a href="/c/#new">C</a>')}
    assert [e.message for e in changed(linked, with_c)] == ['"/d/" points to no page of the site']
    assert [e.message for e in check_links({**site(), **linked}, with_c)] == ['"/d/" points to no page of the site']


def test_an_unchanged_page_linking_to_a_removed_file_or_no_earlier_build_needs_the_whole_site_checked():
    rendered = {"index.html": extract_links(b'<a href="/a/">A</a>')}
    assert changed(rendered, PATHS - {"b/index.html"}) is None  # a/ still links to /b/#background
    assert [e.message for e in check_links({**site(), **rendered}, PATHS - {"b/index.html"})] == [
        '"/b/#background" points to no page of the site']
    assert changed(rendered, PATHS, set()) is None


def test_a_removed_page_was_perhaps_the_only_way_to_the_pages_it_linked_to():
    with_c = PATHS | {"c/index.html"}
    old = {**site(), "c/index.html": extract_links(b'<a href="/">home</a>'),
           "b/index.html": extract_links(B + b' <a href="/c/">C</a>')}
    home_without_b = {"index.html": extract_links(b'<a href="/a/">A</a>'), "a/index.html": extract_links(b'<h1 id="top">A</h1>')}
    found = check_changed_links(home_without_b, old.get, with_c - {"b/index.html"}, with_c, lambda files: set(old))
    assert [(e.path, e.message) for e in found] == [
        ("site/c/index.html", "no page links here: it cannot be reached from the home page")]
    home_to_c = {**home_without_b, "a/index.html": extract_links(b'<h1 id="top">A</h1> <a href="/c/">C</a>')}
    assert check_changed_links(home_to_c, old.get, with_c - {"b/index.html"}, with_c, lambda files: set(old)) == []


def test_the_walk_for_such_pages_stops_once_they_are_found():
    items = [f"item-{n}/index.html" for n in range(50)]
    listing = b" ".join(f'<a href="/item-{n}/">{n}</a>'.encode() for n in range(50))
    old = {"index.html": extract_links(b'<a href="/list/">List</a>'), "list/index.html": extract_links(listing),
           **{item: extract_links(b'<a href="/">home</a>') for item in items}}
    paths = set(old)
    rendered = {"index.html": extract_links(b'<a href="/list/">List</a> <a href="/item-0/">First</a>'),
                "list/index.html": extract_links(listing.replace(b'<a href="/item-0/">0</a>', b""))}
    read = []
    before = lambda path: read.append(path) or old.get(path)
    assert check_changed_links(rendered, before, paths, paths, lambda files: set(old)) == []
    assert sorted(read) == ["index.html", "list/index.html"]  # the rendered pages' old links, nothing more


def test_the_walk_follows_the_rendered_pages_first():
    """A listing's rows shift to its next page: the page the last row moved to is reached through
    the rendered pages, without reading the links of the unchanged pages beside them."""
    others = [f"other-{n}/index.html" for n in range(10)]
    home = b" ".join(f'<a href="/other-{n}/">{n}</a>'.encode() for n in range(10)) + b' <a href="/list/">List</a>'
    old = {"index.html": extract_links(home), "list/index.html": extract_links(b'<a href="/list/2/">2</a> <a href="/x/">X</a>'),
           "list/2/index.html": extract_links(b'<a href="/list/">1</a>'), "x/index.html": extract_links(b'<a href="/">home</a>'),
           **{other: extract_links(b'<a href="/">home</a>') for other in others}}
    paths = set(old)
    rendered = {"list/index.html": extract_links(b'<a href="/list/2/">2</a>'),
                "list/2/index.html": extract_links(b'<a href="/list/">1</a> <a href="/x/">X</a>')}
    read = []
    before = lambda path: read.append(path) or old.get(path)
    assert check_changed_links(rendered, before, paths, paths, lambda files: set(old)) == []
    assert sorted(read) == ["index.html", "list/2/index.html", "list/index.html"]  # none of the others


def test_a_rebuild_finds_an_unchanged_page_linking_to_a_file_it_removed(tmp_path):
    """The build looks for such pages in the cache's pickled links (a byte search) before it
    unpickles any: here the home page and a/ are unchanged, b/ is gone, and nothing was rendered."""
    cache = BuildCache(tmp_path / "cache.sqlite", "code")
    cache.save({}, {path: PageEntry(f"key-{path}", 1, 1) for path in PATHS}, "inputs",
               links={path: pickle.dumps(links) for path, links in site().items()})
    outputs = [Output("index.html", "key-index.html"), Output("a/index.html", "key-a/index.html")]
    kept = {o.path: cache.pages[o.path] for o in outputs}
    errors = check_site_links(outputs, kept, {}, BuildCache(tmp_path / "cache.sqlite", "code"), [])
    assert [(e.path, e.message) for e in errors] == [("site/index.html", '"/b/" points to no page of the site'),
                                                     ("site/a/index.html", '"/b/#background" points to no page of the site')]
