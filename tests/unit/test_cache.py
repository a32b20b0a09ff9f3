"""The build cache's rows read back as they were saved."""

from __future__ import annotations

import sqlite3

from generator.cache import BuildCache, PageEntry


def test_the_spare_is_stored_as_its_differences_from_the_site_and_read_back_whole(tmp_path):
    path = tmp_path / "cache.sqlite"
    pages = {f"deals/{n}/index.html": PageEntry(f"key{n}", n, n, b"links") for n in range(100)}
    spare = dict(pages)
    spare["deals/1/index.html"] = PageEntry("older", 1, 7, b"older links")  # changed by the last build
    del spare["deals/2/index.html"]  # new in the last build
    spare["deals/gone/index.html"] = PageEntry("gone", 3, 3, b"")  # removed by the last build
    cache = BuildCache(path, "code")
    cache.save({}, pages, "inputs", spare=spare)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM spare").fetchone()[0] == 3
    again = BuildCache(path, "code")
    assert again.pages == pages and again.spare == spare
    spare_now = dict(pages)  # the next build: the spare is the site this one replaced
    again.save({}, {**pages, "deals/2/index.html": PageEntry("new", 2, 9, b"")}, "inputs", spare=spare_now)
    assert BuildCache(path, "code").spare == spare_now
