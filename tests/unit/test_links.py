"""The link check of a rebuild: only what the rendered pages changed, unless that is not enough."""

from generator.links import check_changed_links, check_links, extract_links

HOME = b'<a href="/a/">A</a> <a href="/b/">B</a>'
A = b'<h1 id="top">A</h1> <a href="/b/#background">B\'s background</a>'
B = b'<h2 id="background">Background</h2> <a href="/">home</a>'
PATHS = {"index.html", "a/index.html", "b/index.html"}


def site(**pages: bytes) -> dict:
    found = {"index.html": HOME, "a/index.html": A, "b/index.html": B}
    found.update({f"{name}/index.html": html for name, html in pages.items()})
    return {path: extract_links(html) for path, html in found.items()}


def test_the_whole_site_checks_clean():
    assert check_links(site(), PATHS) == []


def test_a_rendered_page_is_checked_against_the_unchanged_ones():
    before = site()
    rendered = {"b/index.html": extract_links(B + b' <a href="/a/#top">A</a> <a href="/a/#nowhere">x</a>')}
    errors = check_changed_links(rendered, before.get, PATHS)
    assert [e.message for e in errors] == ['"/a/#nowhere": no element with id "nowhere" on that page']


def test_a_page_that_lost_an_id_or_a_link_needs_the_whole_site_checked():
    before = site()
    lost_id = {"b/index.html": extract_links(b'<h2 id="context">Context</h2> <a href="/">home</a>')}
    assert check_changed_links(lost_id, before.get, PATHS) is None
    assert [e.message for e in check_links({**before, **lost_id}, PATHS)] == [
        '"/b/#background": no element with id "background" on that page']
    lost_link = {"index.html": extract_links(b'<a href="/b/">B</a>')}
    assert check_changed_links(lost_link, before.get, PATHS) is None
    assert [e.message for e in check_links({**before, **lost_link}, PATHS)] == [
        "no page links here: it cannot be reached from the home page"]


def test_a_page_new_to_the_site_needs_the_whole_site_checked():
    assert check_changed_links({"c/index.html": extract_links(b"<p>new</p>")}, site().get, PATHS | {"c/index.html"}) is None
