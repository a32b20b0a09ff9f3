"""The build cache's rows read back as they were saved."""

from __future__ import annotations

import sqlite3

from generator.cache import BuildCache, PageEntry


def test_the_spare_is_stored_as_its_differences_from_the_site_and_read_back_whole(tmp_path):
    path = tmp_path / "cache.sqlite"
    pages = {f"deals/{n}/index.html": PageEntry(f"key{n}", n, n) for n in range(100)}
    spare = dict(pages)
    spare["deals/1/index.html"] = PageEntry("older", 1, 7)  # changed by the last build
    del spare["deals/2/index.html"]  # new in the last build
    spare["deals/gone/index.html"] = PageEntry("gone", 3, 3)  # removed by the last build
    cache = BuildCache(path, "code")
    cache.save({}, pages, "inputs", spare=spare)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM spare").fetchone()[0] == 3
    again = BuildCache(path, "code")
    assert again.pages == pages and again.spare == spare
    spare_now = dict(pages)  # the next build: the spare is the site this one replaced
    again.save({}, {**pages, "deals/2/index.html": PageEntry("new", 2, 9)}, "inputs", spare=spare_now)
    assert BuildCache(path, "code").spare == spare_now


def test_a_page_s_links_are_read_when_asked_and_follow_it_into_the_spare(tmp_path):
    """The links are not read with the pages' entries; a page the next build replaces keeps its
    links as a page of the spare, and a spare row kept by a later save keeps them too."""
    path = tmp_path / "cache.sqlite"
    pages = {"index.html": PageEntry("home", 1, 1), "a/index.html": PageEntry("a", 1, 1)}
    cache = BuildCache(path, "code")
    cache.save({}, pages, "inputs", links={"index.html": b"home links", "a/index.html": b"a links"})
    again = BuildCache(path, "code")
    assert (again.links("index.html"), again.links("a/index.html"), again.links("b/index.html")) == (b"home links", b"a links", b"")
    assert again.all_links() == {"index.html": b"home links", "a/index.html": b"a links"}
    # The next build renders a/ again and removes nothing: the old a/ is the spare's.
    again.save({}, {**pages, "a/index.html": PageEntry("a2", 2, 2)}, "inputs", spare=again.pages, links={"a/index.html": b"a2 links"})
    third = BuildCache(path, "code")
    assert third.links("a/index.html") == b"a2 links" and third.spare_links("a/index.html") == b"a links"
    assert again.all_links() == third.all_links()  # read whole once, then kept up to date in memory (serve)
    # A build that changes nothing more keeps the spare as it was, links and all.
    third.save({}, third.pages, "inputs2")
    assert BuildCache(path, "code").spare_links("a/index.html") == b"a links"
    # One that removes a/ drops its links from the site's.
    third.save({}, {"index.html": pages["index.html"]}, "inputs3", spare=third.pages)
    fourth = BuildCache(path, "code")
    assert fourth.all_links() == third.all_links() == {"index.html": b"home links"}
    assert fourth.spare_links("a/index.html") == b"a2 links"


def test_a_build_reads_the_links_of_a_few_pages_one_by_one_and_of_many_all_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr("generator.cache.LINKS_ONE_BY_ONE", 2)
    path = tmp_path / "cache.sqlite"
    pages = {f"{n}/index.html": PageEntry(str(n), n, n) for n in range(4)}
    BuildCache(path, "code").save({}, pages, "inputs", links={page: page.encode() for page in pages})
    cache, queries = BuildCache(path, "code"), []
    real = cache.reader.query
    monkeypatch.setattr(cache.reader, "query", lambda query, *args: queries.append(query) or real(query, *args))
    assert [cache.links(page) for page in pages] == [page.encode() for page in pages]
    assert queries == ["SELECT links FROM links WHERE path = ?"] * 2 + ["SELECT path, links FROM links"]
