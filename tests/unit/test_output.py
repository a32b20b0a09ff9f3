import os
from collections import namedtuple
from pathlib import Path

import pytest

from generator import output
from generator.cache import PageEntry
from generator.output import Helper, Staging, exchange, mirror_tree, walk
from tests.conftest import names_once_settled, write_tree


def read_all(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def publish(out: Path, files: dict, keep: tuple = ()) -> None:
    with Staging(out) as staging:
        for path in keep:
            staging.link(path)
        for relative, data in files.items():
            staging.write(relative, data)
        staging.commit()


def test_the_new_site_replaces_the_old_one_whole(tmp_path):
    out = tmp_path / "site"
    publish(out, {"index.html": b"one", "old/index.html": b"old"})
    publish(out, {"index.html": b"two"})
    assert read_all(out) == {"index.html": b"two"}
    assert names_once_settled(tmp_path, 1) == ["site"]


def test_unchanged_files_are_hard_linked_from_the_previous_site(tmp_path):
    out = tmp_path / "site"
    publish(out, {"a/index.html": b"kept", "b/index.html": b"old"})
    inode = (out / "a/index.html").stat().st_ino
    publish(out, {"b/index.html": b"new"}, keep=("a/index.html",))
    assert read_all(out) == {"a/index.html": b"kept", "b/index.html": b"new"}
    assert (out / "a/index.html").stat().st_ino == inode


def test_a_failure_before_the_swap_leaves_the_previous_site_in_place(tmp_path):
    out = tmp_path / "site"
    publish(out, {"index.html": b"previous"})
    with pytest.raises(RuntimeError):
        with Staging(out) as staging:
            staging.write("index.html", b"new")
            raise RuntimeError("Pagefind failed")
    assert read_all(out) == {"index.html": b"previous"}
    assert names_once_settled(tmp_path, 1) == ["site"]


def test_exchange_swaps_two_folders_in_one_step(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    write_tree(first, {"a.txt": "first"})
    write_tree(second, {"b.txt": "second"})
    assert exchange(first, second)  # Linux: renameat2 with RENAME_EXCHANGE
    assert read_all(first) == {"b.txt": b"second"} and read_all(second) == {"a.txt": b"first"}


def test_a_replaced_site_is_kept_as_the_spare_only_when_asked(tmp_path):
    out = tmp_path / "site"
    publish(out, {"index.html": b"one"})
    with Staging(out, keep_replaced=True) as staging:
        staging.write("index.html", b"two")
        staging.commit()
    assert read_all(out) == {"index.html": b"two"}
    assert read_all(tmp_path / ".site.spare") == {"index.html": b"one"}


def test_a_listing_made_by_another_process_is_the_walk_of_the_folder(tmp_path, monkeypatch):
    write_tree(tmp_path / "spare", {"index.html": "home", "deals/a/index.html": "a", "deals/a/cite.bib": "@misc{}",
                                     "empty/.keep": "", "pagefind/x.js": "kept whole, not listed"})
    expected = walk(tmp_path / "spare")
    assert set(expected[0]) == {"index.html", "deals/a/index.html", "deals/a/cite.bib", "empty/.keep"}
    monkeypatch.setattr(output, "walk", lambda folder: pytest.fail("listed by this process, not the other"))
    assert Helper(walk, tmp_path / "spare").result() == expected


def test_a_spare_whose_listing_process_fails_is_listed_here(tmp_path, monkeypatch):
    out = tmp_path / "site"
    publish(out, {"index.html": b"home"})
    spare = {"index.html": PageEntry("key", 4, (out / "index.html").stat().st_mtime_ns)}
    write_tree(tmp_path / ".site.spare", {"index.html": "home", "stale.html": "old"})
    for python in ("false", str(tmp_path / "no-such-python")):  # fails, or cannot start at all
        monkeypatch.setattr("sys.executable", python)
        assert Helper(output.walk, tmp_path / ".site.spare").result() is None
        with Staging(out, spare=spare) as staging:
            staging.keep_only({"index.html"})
            assert set(staging.present) == {"index.html"} and not (staging.folder / "stale.html").exists()


def test_mirror_gives_a_folder_the_sites_own_files_linking_only_what_differs(tmp_path):
    site, held = tmp_path / "site/pagefind", tmp_path / "staging/pagefind"
    write_tree(site, {"a.js": "a", "b.js": "new b", "sub/c.pf": "c"})
    write_tree(held, {"b.js": "old b", "d.js": "gone", "old/e.pf": "gone"})
    os.link(site / "a.js", held / "a.js")  # already the site's file
    assert mirror_tree(str(site), str(held)) == ["b.js", "sub/c.pf"]
    files = {p.relative_to(held).as_posix(): p for p in held.rglob("*") if p.is_file()}
    assert sorted(files) == ["a.js", "b.js", "sub/c.pf"] and not (held / "old").exists()
    assert all(p.stat().st_ino == (site / name).stat().st_ino for name, p in files.items())


@pytest.mark.parametrize("with_spare", [True, False])
def test_a_kept_search_index_is_mirrored_ahead_by_another_process(tmp_path, monkeypatch, with_spare):
    """While the build plans and renders; `mirror` then has nothing left to do."""
    out = tmp_path / "site"
    publish(out, {"index.html": b"home"})
    write_tree(out, {"pagefind/a.js": "a", "pagefind/sub/b.pf": "b"})
    entries = {"index.html": PageEntry("key", 4, (out / "index.html").stat().st_mtime_ns)}
    if with_spare:
        write_tree(tmp_path / ".site.spare", {"index.html": "home", "pagefind/old.pf": "an older index"})
    with Staging(out, spare=entries if with_spare else None, site=entries) as staging:
        staging.mirror_ahead("pagefind")
        staging._mirroring[1]._process.wait()
        index = staging.folder / "pagefind"
        assert sorted(p.relative_to(index).as_posix() for p in index.rglob("*") if p.is_file()) == ["a.js", "sub/b.pf"]
        assert (index / "sub/b.pf").stat().st_ino == (out / "pagefind/sub/b.pf").stat().st_ino
        monkeypatch.setattr(output, "mirror_tree", lambda *args: pytest.fail("mirrored twice"))
        staging.mirror("pagefind")
        staging.commit()
    assert (out / "pagefind/a.js").read_text() == "a" and not (out / "pagefind/old.pf").exists()


def test_a_kept_search_index_whose_mirroring_process_fails_is_mirrored_here(tmp_path, monkeypatch):
    out = tmp_path / "site"
    write_tree(out, {"index.html": "home", "pagefind/a.js": "a"})
    monkeypatch.setattr("sys.executable", "false")
    with Staging(out) as staging:
        staging.mirror_ahead("pagefind")
        staging.mirror("pagefind")
        assert (staging.folder / "pagefind/a.js").stat().st_ino == (out / "pagefind/a.js").stat().st_ino


def test_without_a_spare_the_staging_folder_starts_as_a_linked_copy_of_the_site(tmp_path):
    """Made by another process; written through nowhere: a file written anew leaves the site's alone."""
    out = tmp_path / "site"
    publish(out, {"index.html": b"home", "deals/a/index.html": b"a", "deals/b/index.html": b"b"})
    write_tree(out, {"pagefind/x.js": "the search index is kept whole, elsewhere"})
    site = {path: PageEntry("key-" + path, len(data), (out / path).stat().st_mtime_ns)
            for path, data in read_all(out).items() if not path.startswith("pagefind/")}
    File = namedtuple("File", "path key")
    with Staging(out, site=site) as staging:
        held = staging.holding([File("index.html", "key-index.html"), File("deals/a/index.html", "key-deals/a/index.html"),
                                File("deals/b/index.html", "another key")])
        assert held == {path: site[path] for path in ("index.html", "deals/a/index.html")}
        assert (staging.folder / "deals/a/index.html").stat().st_ino == (out / "deals/a/index.html").stat().st_ino
        assert not (staging.folder / "pagefind").exists()
        staging.write("deals/b/index.html", b"b, rewritten")
        assert (out / "deals/b/index.html").read_bytes() == b"b"
        staging.commit()
    assert read_all(out) == {"index.html": b"home", "deals/a/index.html": b"a", "deals/b/index.html": b"b, rewritten"}
