"""Incremental builds: after any change, a rebuild from the cache gives exactly the bytes a cold
build gives, and redoes only what the change touched. A broken or stale cache is never trusted."""

from __future__ import annotations

import functools
import gc
import marshal
import os
import pickle
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import jinja2
import pytest
import yaml

from benchmarks import corpus
from benchmarks.run import edit_brief
from generator.build import TEMPLATES, build, cache_path, check, load_archive, load_checked, open_cache, plan_outputs, shown_files
from generator import keys, output, pages, parallel, render
from generator.links import extract_links
from generator.loader import list_content
from generator.model import UP_FRONT, Deal, StoredDeal
from generator.validate import check_file
from generator.pages import Planner, StandIn, site_context
from generator.render import Renderer
from generator.cache import BuildCache
from generator.errors import BuildError, ContentErrors
from generator.output import Staging
from generator.exports import fragments_of
from tests.conftest import edit, write_tree


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def project(content: Path, tmp_path: Path):
    """The fixture content, a private copy of the templates, and a built, cached site."""
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    out = tmp_path / "site"
    build(content, out, templates=templates, index=False)
    return content, templates, out


def assert_same_as_cold(content: Path, templates: Path, out: Path, tmp_path: Path) -> None:
    cold = tmp_path / "cold"
    build(content, cold, templates=templates, index=False, use_cache=False)
    assert snapshot(out) == snapshot(cold)


BRIEF = "deals/2001-norway-chile-fixture-sam.md"


def test_nothing_changed_means_nothing_done(project):
    content, templates, out = project
    result = build(content, out, templates=templates, index=False)
    assert result.rendered == 0 and result.notes == ("nothing changed",)


def test_the_cache_records_each_file_as_it_lies_in_the_site(project):
    """Sizes and mtimes are taken as each file is written, not by a pass over the site after."""
    content, templates, out = project
    recorded = {path: (entry.size, entry.mtime_ns) for path, entry in open_cache(out).pages.items()}
    on_disk = {path.relative_to(out).as_posix(): cache_stat(path) for path in out.rglob("*") if path.is_file()}
    assert recorded == on_disk and recorded["data/deals.json"][0] > 0  # written in pieces, through a buffer


def touch_every_file(*folders: Path) -> None:
    """Write every file back as it is: new mtimes, the same bytes (a checkout, a copy)."""
    for folder in folders:
        for file in folder.rglob("*"):
            if file.is_file():
                file.write_bytes(file.read_bytes())


def test_touched_but_unchanged_files_are_hashed_not_checked_again(project, monkeypatch):
    """Every file with a new mtime, as in a fresh clone: only the one whose bytes changed (and
    not its size) is checked again; the others keep their stored results, and the next build
    takes the fast path."""
    content, templates, out = project
    checked = []
    monkeypatch.setattr("generator.build.check_file", lambda listed, data=None: checked.append(listed.path) or check_file(listed, data))
    touch_every_file(content)
    edit(content / BRIEF, "summary: A synthetic", "summary: a synthetic")
    first = build(content, out, templates=templates, index=False)
    assert checked == [f"content/{BRIEF}"] and 0 < first.rendered
    cache = open_cache(out)
    assert {path: entry.mtime_ns for path, entry in cache.files.items()} == {
        f"content/{file.relative_to(content).as_posix()}": file.stat().st_mtime_ns for file in content.rglob("*") if file.is_file()}
    other = next(path for path in cache.files if path.startswith("content/deals/") and path != f"content/{BRIEF}")
    stored = cached_result(cache, other, content.parent / other).model
    assert type(stored) is StoredDeal and stored.title  # its whole result is still in the cache
    second = build(content, out, templates=templates, index=False)
    assert second.notes == ("nothing changed",) and list(second.stages) == ["cache", "inputs"] and checked == [f"content/{BRIEF}"]
    assert_same_as_cold(content, templates, out, out.parent)


def test_files_rewritten_as_they_were_leave_the_site_as_it_is_without_planning_it(project, monkeypatch):
    """Every content and template file written back with the same bytes: the build hashes them,
    finds the bytes of the last build, and neither plans nor renders nor moves the site; the
    next build takes the first fast path."""
    content, templates, out = project
    before = snapshot(out)
    inodes = {path: path.stat().st_ino for path in out.rglob("*") if path.is_file()}
    touch_every_file(content, templates)
    planned = []
    monkeypatch.setattr("generator.build.plan_site", lambda *args: planned.append(args))
    result = build(content, out, templates=templates, index=False)
    assert result.notes == ("nothing changed",) and result.rendered == 0 and list(result.stages) == ["cache", "load"]
    assert planned == [] and snapshot(out) == before
    assert {path: path.stat().st_ino for path in out.rglob("*") if path.is_file()} == inodes  # the very files
    assert list(build(content, out, templates=templates, index=False).stages) == ["cache", "inputs"]


@pytest.mark.parametrize("change", ["a template", "a brief", "the site by hand", "the option to index"])
def test_files_rewritten_with_one_change_are_built_as_usual(project, tmp_path, change):
    """The same, but for one thing: a template's bytes, a brief's, a page of the site edited by
    hand, or the search index asked for where the last build kept an earlier one (--no-index).
    Each is built (or indexed) again, and comes out as a cold build would."""
    content, templates, out = project
    if change == "the option to index":
        build(content, out, templates=templates, index=True)
        edit(content / BRIEF, "summary: A synthetic", "summary: a synthetic")
        build(content, out, templates=templates, index=False)  # the index kept is of the version before
    touch_every_file(content, templates)
    if change == "a template":
        edit(templates / "base.html", "</footer>", "<!-- a new comment --></footer>")
    elif change == "a brief":
        edit(content / BRIEF, "summary: A synthetic", "summary: a synthetic")
    elif change == "the site by hand":
        (out / "about/index.html").write_text("changed by hand", encoding="utf-8")
    result = build(content, out, templates=templates, index=change == "the option to index")
    assert result.notes != ("nothing changed",) and "plan" in result.stages
    if change == "the option to index":
        assert result.indexed and (out / "pagefind").is_dir()
    else:
        assert result.rendered > 0
        assert_same_as_cold(content, templates, out, tmp_path)


WORKFLOW = Path(__file__).parents[1] / ".github" / "workflows" / "checks.yml"


def kept_by_ci() -> list[str]:
    """What CI keeps from one run to the next: the `path` of the workflow's actions/cache step."""
    steps = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["test"]["steps"]
    return next(step for step in steps if step.get("uses", "").startswith("actions/cache@"))["with"]["path"].split()


def fresh_checkout(content: Path, folder: Path) -> Path:
    """The content and the templates as a new clone has them: the same bytes, every mtime new."""
    shutil.copytree(content, folder / "content", copy_function=shutil.copyfile)
    shutil.copytree(TEMPLATES, folder / "templates", copy_function=shutil.copyfile)
    return folder


def carry(paths: list[str], source: Path, target: Path, keep_mtimes: bool) -> None:
    """Restore what one checkout kept into another: through `tar --posix`, as actions/cache keeps
    it (mtimes to the nanosecond, hard links as links), or by a copy that keeps no mtime."""
    present = [path for path in paths if (source / path).exists()]
    if keep_mtimes:
        archive = target.parent / f"{target.name}.tar"
        subprocess.run(["tar", "--posix", "-cf", archive, "-C", source, *present], check=True)
        subprocess.run(["tar", "-xf", archive, "-C", target], check=True)
        return
    for path in present:
        if (source / path).is_dir():
            shutil.copytree(source / path, target / path, copy_function=shutil.copyfile)
        else:
            shutil.copyfile(source / path, target / path)


@pytest.mark.parametrize("builds, keep_mtimes", [(1, True), (2, True), (2, False)],
                         ids=["a cold build, as CI keeps it", "a rebuild and its spare, as CI keeps them",
                              "a rebuild copied without mtimes"])
def test_a_build_carried_to_a_fresh_clone_elsewhere_redoes_only_what_changed(tmp_path, monkeypatch, builds, keep_mtimes):
    """CI keeps the build cache, the site and its spare between runs (.github/workflows), and each
    run is a fresh clone, maybe at another path, with every mtime new. Carried there with their
    mtimes, the build checks only the brief that changed and renders only what it touches; copied
    without them, the site's files are not as the cache recorded them, so every one is rendered
    again (the checked content is still taken from the cache). Either way, a cold build's bytes."""
    synthetic = corpus.write_corpus(tmp_path / "archive", 30)
    first = fresh_checkout(synthetic, tmp_path / "first")
    for run in range(builds):  # the second makes the spare
        edit_brief(first / "content", run)
        build(first / "content", first / "site", templates=first / "templates", index=False)
    second = fresh_checkout(first / "content", tmp_path / "elsewhere" / "second")
    edit_brief(second / "content", 2, "synthetic-00004")
    carry(kept_by_ci(), first, second, keep_mtimes)
    checked = []
    monkeypatch.setattr("generator.build.check_file", lambda listed, data=None: checked.append(listed.path) or check_file(listed, data))
    result = build(second / "content", second / "site", templates=second / "templates", index=False)
    assert checked == ["content/deals/synthetic-00004.md"]
    if keep_mtimes:
        assert 0 < result.rendered < result.files / 4
    else:
        assert result.rendered == result.files
    assert_same_as_cold(second / "content", second / "templates", second / "site", tmp_path)


def test_a_brief_saved_while_it_is_checked_is_never_cached_with_another_version_s_digest(project, monkeypatch):
    """The cache keeps each checked result with the SHA-256 of its file, and trusts it again
    whenever the file hashes the same. A brief an editor saves while it is being checked, then
    saves back as it was (an undo), must come back as it is, not as the version in between."""
    content, templates, out = project
    brief = content / BRIEF
    edit(brief, "summary: A synthetic", "summary: An edited, synthetic")
    edited = brief.read_bytes()

    def saved_meanwhile(listed, *data):
        if listed.path == f"content/{BRIEF}":
            brief.write_bytes(edited.replace(b"An edited, synthetic", b"Saved meanwhile, a synthetic"))
        return check_file(listed, *data)

    monkeypatch.setattr("generator.build.check_file", saved_meanwhile)
    build(content, out, templates=templates, index=False)
    monkeypatch.undo()
    listed_mtime = open_cache(out).files[f"content/{BRIEF}"].mtime_ns
    brief.write_bytes(edited)  # the undo, a second later: hashed, as its mtime changed
    os.utime(brief, ns=(listed_mtime + 10**9, listed_mtime + 10**9))
    build(content, out, templates=templates, index=False)
    page = (out / "deals/2001-norway-chile-fixture-sam/index.html").read_text()
    assert "An edited, synthetic" in page and "Saved meanwhile" not in page
    assert_same_as_cold(content, templates, out, out.parent)


def test_editing_a_brief_renders_only_what_shows_it(project, tmp_path):
    content, templates, out = project
    untouched = (out / "deals/undated-chile-norway-fixture-tank/cite.bib").stat().st_ino
    edit(content / BRIEF, "summary: A synthetic brief", "summary: An edited synthetic brief")
    result = build(content, out, templates=templates, index=False)
    assert 0 < result.rendered < result.files / 2
    assert "An edited synthetic brief" in (out / "deals/2001-norway-chile-fixture-sam/index.html").read_text()
    assert (out / "deals/undated-chile-norway-fixture-tank/cite.bib").stat().st_ino == untouched  # linked, not rewritten
    assert_same_as_cold(content, templates, out, tmp_path)


def test_adding_a_brief(project, tmp_path):
    content, templates, out = project
    text = (content / "deals/undated-chile-norway-fixture-tank.md").read_text()
    (content / "deals/2020-chile-norway-fixture-tank.md").write_text(
        text.replace("[Fixture] Chile and Norway discuss tanks", "[Fixture] A second tank brief"))
    build(content, out, templates=templates, index=False)
    assert (out / "deals/2020-chile-norway-fixture-tank/index.html").is_file()
    assert_same_as_cold(content, templates, out, tmp_path)


def test_deleting_a_brief(project, tmp_path):
    content, templates, out = project
    (content / "deals/undated-chile-norway-fixture-tank.md").unlink()
    build(content, out, templates=templates, index=False)
    assert not (out / "deals/undated-chile-norway-fixture-tank").exists()
    assert_same_as_cold(content, templates, out, tmp_path)


def test_changing_a_system_and_a_party_name(project, tmp_path):
    content, templates, out = project
    edit(content / "systems/fixture-tank.yaml", "name: Fixture Tank", "name: Fixture Tank Mk 2")
    write_tree(content, {"countries/CHL.yaml": "name: Republic of Chile\n"})
    build(content, out, templates=templates, index=False)
    assert "Fixture Tank Mk 2" in (out / "deals/index.html").read_text()
    assert_same_as_cold(content, templates, out, tmp_path)


def test_changing_a_template_rerenders_the_pages_that_use_it(project, tmp_path):
    content, templates, out = project
    edit(templates / "deal.html", "<h2 id=\"facts\">Facts</h2>", "<h2 id=\"facts\">The facts</h2>")
    result = build(content, out, templates=templates, index=False)
    assert result.rendered == 3  # the three briefs; no other page uses deal.html
    assert "The facts" in (out / "deals/2001-norway-chile-fixture-sam/index.html").read_text()
    assert_same_as_cold(content, templates, out, tmp_path)


@pytest.mark.parametrize("page", ["about/index.html", "deals/undated-chile-norway-fixture-tank/index.html",
                                  "deals/undated-chile-norway-fixture-tank/cite.ris"])
@pytest.mark.parametrize("damage", ["edited", "deleted"])
def test_a_page_edited_or_deleted_by_hand_in_the_output_is_rebuilt(project, tmp_path, page, damage):
    """A brief's pages are planned from the cache's record of the last plan, without their
    context: one that must be rendered again makes the build plan in full."""
    content, templates, out = project
    if damage == "edited":
        (out / page).write_text("vandalised")
    else:
        (out / page).unlink()
    edit(content / BRIEF, "summary: A synthetic brief", "summary: An edited synthetic brief")
    build(content, out, templates=templates, index=False)
    assert_same_as_cold(content, templates, out, tmp_path)


def test_a_corrupt_cache_is_ignored(project, tmp_path):
    content, templates, out = project
    cache_path(out).write_bytes(b"this is not a database" * 100)
    edit(content / BRIEF, "summary: A synthetic brief", "summary: An edited synthetic brief")
    result = build(content, out, templates=templates, index=False)
    assert result.rendered == result.files  # nothing trusted
    assert any("could not be read" in note for note in result.notes)
    assert_same_as_cold(content, templates, out, tmp_path)
    assert build(content, out, templates=templates, index=False).rendered == 0  # and a good cache is back


def test_a_build_stopped_between_its_swap_and_its_cache_save_misleads_no_later_build(project, tmp_path, monkeypatch):
    """Stopped there (Ctrl-C, a kill), a build leaves its site swapped in and the cache of the
    build before it, which describes another site and another spare: the next build must take
    from that cache only what still holds, whether the content is then left as it is, put back
    as the cache's site or spare has it, or changed again."""
    content, templates, out = project
    built = ["A synthetic brief"]  # the summaries of the builds that ran to the end, the last last

    def set_summary(old: str, new: str) -> None:
        edit(content / BRIEF, f"summary: {old}", f"summary: {new}")

    def stopped(*arguments, **options):
        raise KeyboardInterrupt

    set_summary(built[-1], "An edited synthetic brief")
    build(content, out, templates=templates, index=False)
    built.append("An edited synthetic brief")
    # The cache's spare is the site of the build before its last one: "as the cache's spare" follows
    # a change, so that it differs from the cache's site.
    for number, then in enumerate(("as stopped", "A new synthetic brief", "as the cache's spare", "as the cache's site")):
        recorded, stopped_summary = cache_path(out).read_bytes(), f"A synthetic brief stopped {number}"
        set_summary(built[-1], stopped_summary)
        with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
            patched.setattr(BuildCache, "save", stopped)
            build(content, out, templates=templates, index=False)
        assert stopped_summary in (out / "deals/2001-norway-chile-fixture-sam/index.html").read_text()
        assert cache_path(out).read_bytes() == recorded, "the cache is still the last build's"
        summary = {"as stopped": stopped_summary, "as the cache's site": built[-1],
                   "as the cache's spare": built[-2]}.get(then, then)
        set_summary(stopped_summary, summary)
        build(content, out, templates=templates, index=False)
        built.append(summary)
        assert_same_as_cold(content, templates, out, tmp_path)


def test_check_uses_the_cache_of_the_built_site_and_changes_nothing(project):
    content, templates, out = project
    before, cache_before = snapshot(out), cache_path(out).read_bytes()
    unchanged_check = check(content, templates=templates, site_dir=out)
    assert unchanged_check.rendered == 0 and unchanged_check.files == len(before)
    edit(content / BRIEF, "summary: A synthetic brief", "summary: An edited synthetic brief")
    edited_check = check(content, templates=templates, site_dir=out)
    assert 0 < edited_check.rendered < edited_check.files / 2
    assert snapshot(out) == before and cache_path(out).read_bytes() == cache_before


def test_check_from_the_cache_still_finds_a_broken_link_and_a_template_error(project):
    content, templates, out = project
    edit(content / BRIEF, "summary: A synthetic brief", "summary: A synthetic brief")  # nothing yet
    body = (content / BRIEF).read_text(encoding="utf-8")
    (content / BRIEF).write_text(body + "\nSee [the missing brief](/deals/no-such-brief/).\n", encoding="utf-8")
    with pytest.raises(ContentErrors, match="no-such-brief"):
        check(content, templates=templates, site_dir=out)
    (content / BRIEF).write_text(body, encoding="utf-8")
    edit(templates / "deal_list.html", "{% block main %}", "{% block main %}{{ no_such_value }}")
    with pytest.raises(BuildError, match="no_such_value"):
        check(content, templates=templates, site_dir=out)


def test_rebuilds_stage_into_the_replaced_site_and_still_match_a_cold_build(project, tmp_path):
    content, templates, out = project
    spare = out.with_name(".site.spare")
    tank = content / "deals/undated-chile-norway-fixture-tank.md"
    changes = [
        lambda: edit(content / BRIEF, "summary: A synthetic brief", "summary: An edited synthetic brief"),
        lambda: (content / "deals/2020-chile-norway-fixture-tank.md").write_text(
            tank.read_text().replace("[Fixture] Chile and Norway discuss tanks", "[Fixture] A second tank brief")),
        lambda: edit(templates / "deal.html", "<h2 id=\"facts\">Facts</h2>", "<h2 id=\"facts\">The facts</h2>"),
        lambda: edit(templates / "macros.html", '<td data-label="Status">', '<td data-label="Status" class="status-cell">'),
        lambda: tank.unlink(),
        lambda: edit(content / "systems/fixture-tank.yaml", "name: Fixture Tank", "name: Fixture Tank Mk 2"),
        lambda: edit(content / BRIEF, "summary: An edited synthetic brief", "summary: A synthetic brief"),
    ]
    for number, change in enumerate(changes):
        change()
        result = build(content, out, templates=templates, index=False)
        assert 0 < result.rendered < result.files, f"change {number}: only what changed is rendered"
        assert spare.is_dir(), "the replaced site is kept for the next build"
        assert_same_as_cold(content, templates, out, tmp_path)


def test_a_spare_changed_by_hand_is_put_right(project, tmp_path):
    content, templates, out = project
    edit(content / BRIEF, "summary: A synthetic brief", "summary: An edited synthetic brief")
    build(content, out, templates=templates, index=False)
    spare = out.with_name(".site.spare")
    (spare / "about/index.html").write_text("vandalised")
    write_tree(spare, {"stray.txt": "not made by the build", "deals/stray/index.html": "<p>stray</p>"})
    (spare / "data/deals.csv").unlink()
    edit(content / BRIEF, "summary: An edited synthetic brief", "summary: A synthetic brief")
    build(content, out, templates=templates, index=False)
    assert_same_as_cold(content, templates, out, tmp_path)


def test_a_failed_build_in_the_spare_never_touches_the_live_site(project, tmp_path):
    """The spare shares unchanged files with the live site as hard links: a build must replace
    them, never write into them, or a failure after rendering would change the live site. The
    spare it half updated is kept, and the next build puts it right."""
    content, templates, out = project
    edit(content / BRIEF, "summary: A synthetic brief", "summary: An edited synthetic brief")
    build(content, out, templates=templates, index=False)  # the live site now shares most files with the spare
    before = snapshot(out)
    edit(templates / "about.html", "</h1>", "</h1><p>A changed about page.</p>")
    edit(templates / "deal.html", "<h2 id=\"facts\">Facts</h2>", "<h2 id=\"facts\"><a href=\"/no-such-page/\">Facts</a></h2>")
    with pytest.raises(ContentErrors, match="no-such-page"):
        build(content, out, templates=templates, index=False)
    assert snapshot(out) == before
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".site")) == [
        ".site.archive-cache.sqlite", ".site.archive-lock", ".site.spare"]
    edit(templates / "deal.html", "<a href=\"/no-such-page/\">Facts</a>", "Facts")
    build(content, out, templates=templates, index=False)
    assert_same_as_cold(content, templates, out, tmp_path)


def test_the_search_index_follows_the_site_through_the_spare(content, tmp_path, monkeypatch):
    out = tmp_path / "site"
    spare_index = out.with_name(".site.spare") / "pagefind"
    build(content, out)
    edits = iter(["An edited", "A twice edited", "A thrice edited"])
    summary = "A"

    def edit_and_build(index: bool):
        nonlocal summary
        new = next(edits)
        edit(content / BRIEF, f"summary: {summary} synthetic brief", f"summary: {new} synthetic brief")
        summary = new
        return build(content, out, index=index)

    # A build that keeps the index has it mirrored by another process, not by this one.
    monkeypatch.setattr(output, "mirror_tree", functools.wraps(output.mirror_tree)(
        lambda *folders: pytest.fail("the search index was mirrored by the build's own process")))
    kept = edit_and_build(index=False)  # the index is kept, linked from the site
    assert kept.notes == ("search index not updated (--no-index); it reflects an earlier build",)
    (spare_index / "stale-chunk.pf_fragment").write_text("not part of the index")
    edit_and_build(index=False)  # stages into the spare, whose index no longer matches its record
    assert not (out / "pagefind" / "stale-chunk.pf_fragment").exists()
    assert (out / "pagefind" / "pagefind-entry.json").is_file()
    (spare_index / "stale-chunk.pf_fragment").write_text("not part of the index")
    indexed = edit_and_build(index=True)  # Pagefind runs in the spare, after clearing its old index
    assert indexed.indexed and not (out / "pagefind" / "stale-chunk.pf_fragment").exists()
    assert (out / "pagefind" / "pagefind-entry.json").is_file()


def test_indexing_again_keeps_the_spare_so_an_undone_change_renders_nothing(content, tmp_path):
    """serve indexes the site again once the editor pauses. That build only indexes: it swaps the
    new index in alone and leaves the spare's pages, from before the change; the spare gets the
    new index too (hard links), so the next rebuild, staged in it, has none to link."""
    out = tmp_path / "site"
    spare = out.with_name(".site.spare")
    build(content, out)
    edit(content / BRIEF, "summary: A synthetic brief", "summary: An edited synthetic brief")
    build(content, out, index=False)
    spare_pages = pages_of(spare)
    assert "A synthetic brief" in (spare / "deals/2001-norway-chile-fixture-sam/index.html").read_text()
    site_pages = pages_of(out)
    old_index = inodes(out / "pagefind")
    assert build(content, out).indexed  # the pause: the site indexed again
    assert pages_of(spare) == spare_pages and (out / "pagefind/pagefind-entry.json").is_file()
    assert pages_of(out) == site_pages
    assert inodes(spare / "pagefind") == inodes(out / "pagefind") != old_index
    assert not list(out.parent.glob(".site.index-*"))  # the new index is in place, the old one going
    edit(content / BRIEF, "summary: An edited synthetic brief", "summary: A synthetic brief")  # undone
    undone = build(content, out, index=False)
    assert undone.rendered == 0  # every page taken back from the spare
    cold = tmp_path / "cold"
    build(content, cold, index=False, use_cache=False)
    assert pages_of(out) == snapshot(cold)


def pages_of(site: Path) -> dict[str, bytes]:
    """A site's files, its search index aside."""
    return {path: data for path, data in snapshot(site).items() if not path.startswith("pagefind/")}


def inodes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def test_a_rebuild_that_removes_an_anchor_an_unchanged_page_links_to_fails(project):
    content, templates, out = project
    edit(templates / "about.html", "</h1>", '</h1><p><a href="/deals/2001-norway-chile-fixture-sam/#facts">Facts</a></p>')
    build(content, out, templates=templates, index=False)
    edit(templates / "deal.html", "<h2 id=\"facts\">Facts</h2>", "<h2 id=\"the-facts\">Facts</h2>")
    with pytest.raises(ContentErrors) as raised:
        build(content, out, templates=templates, index=False)  # about/ is unchanged; the brief lost the anchor
    assert [(e.path, e.field) for e in raised.value.errors] == [("site/about/index.html", "link")]
    assert 'no element with id "facts"' in str(raised.value)


@pytest.fixture
def dense_archive(tmp_path, monkeypatch) -> Path:
    """A synthetic archive of 60 briefs between 5 parties on 6 systems: every brief shares its
    pair of parties or its system with others, so a change moves other briefs' similar lists."""
    monkeypatch.setattr(corpus, "PARTY_COUNT", 5)
    monkeypatch.setattr(corpus, "SYSTEM_COUNT", 6)
    return corpus.write_corpus(tmp_path / "dense", 60)


def replace_line(file: Path, pattern: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    changed, count = re.subn(pattern, new, text, count=1, flags=re.M)
    assert count == 1, f"{pattern!r} not in {file}"
    file.write_text(changed, encoding="utf-8")


def unreferenced(deals: Path) -> Path:
    """A brief no other brief names as related, so that deleting it breaks nothing."""
    named = " ".join(re.findall(r"^related: (.*)$", "".join(f.read_text() for f in deals.iterdir()), re.M))
    return next(file for file in sorted(deals.iterdir()) if file.stem not in named)


def named_from_afar(deals: Path) -> Path:
    """A brief that another brief names as related although they share neither system nor
    parties: only the naming links their pages."""
    fields = {file: dict(re.findall(r"^(system|supplier|recipient|related): (.*)$", file.read_text(), re.M))
              for file in sorted(deals.iterdir())}
    for file, own in fields.items():
        for slug in re.findall(r"synthetic-\d+", own["related"]):
            other = fields[deals / f"{slug}.md"]
            if other["system"] != own["system"] and (other["supplier"], other["recipient"]) != (own["supplier"], own["recipient"]):
                return deals / f"{slug}.md"
    raise AssertionError("no such brief in the test archive")


@pytest.mark.parametrize("kept", [True, False], ids=["planner kept (serve)", "plan from the cache (command line)"])
def test_a_rebuild_plans_only_what_a_change_touches_and_what_a_fresh_build_would(dense_archive, tmp_path, kept):
    """serve keeps its planner between builds; a command-line build starts from the plan the cache
    recorded, as serve's first build does. Either way, a rebuild plans afresh only the page sets a
    change touches."""
    content, out = dense_archive, tmp_path / "site"
    deals = content / "deals"
    value = lambda name, field: re.search(rf"^{field}: (.*)$", (deals / name).read_text(), re.M).group(1)
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    cache, planner = open_cache(out), Planner()
    build(content, out, templates=templates, index=False, cache=cache, planner=planner)
    total_sets = planner.planned
    cache, planner = open_cache(out), Planner()  # as serve starts on a built site: from the cache's plan
    changes = [
        lambda: replace_line(deals / "synthetic-00007.md", r"^summary: ", "summary: Edited. "),
        lambda: replace_line(named_from_afar(deals), r'^title: "', 'title: "Retitled '),
        lambda: replace_line(deals / "synthetic-00003.md", r"^(ordered:\n(?:  .*\n)*?  date: )\d+", r"\g<1>1989"),
        lambda: replace_line(deals / "synthetic-00011.md", r"^recipient: .*$",
                             f"recipient: {value('synthetic-00012.md', 'supplier')}"),
        lambda: replace_line(deals / "synthetic-00005.md", r"^system: .*$", f"system: {value('synthetic-00006.md', 'system')}"),
        lambda: replace_line(deals / "synthetic-00004.md", r"^related: .*$", "related: [synthetic-00009, synthetic-00010]"),
        lambda: (deals / "synthetic-00060.md").write_text(
            (deals / "synthetic-00002.md").read_text().replace("[Synthetic] Brief 2", "[Synthetic] Brief 60")),
        lambda: unreferenced(deals).unlink(),
        lambda: replace_line(deals / "synthetic-00007.md", r"^summary: Edited. ", "summary: "),
        lambda: edit(templates / "deal.html", "<h2 id=\"facts\">Facts</h2>", "<h2 id=\"facts\">The facts</h2>"),
        lambda: edit(templates / "macros.html", '<td data-label="Status">', '<td data-label="Status" class="status-cell">'),
        lambda: replace_line(deals / "synthetic-00008.md", r"^summary: ", "summary: Edited. "),
        lambda: replace_line(content / "systems/synthetic-system-001.yaml", r"^name: .*$", "name: Synthetic System One"),
    ]
    for number, change in enumerate(changes):
        change()
        if not kept:
            cache, planner = open_cache(out), Planner()
            render.MACRO_CALLS.for_basis("")  # as in a new process: rows come from the cache
        build(content, out, templates=templates, index=False, cache=cache, planner=planner)
        if number == 0:
            assert planner.planned < total_sets / 2, "a text edit plans afresh only what it touches"
        assert_same_as_cold(content, templates, out, tmp_path)


@pytest.mark.parametrize("kept", [True, False], ids=["planner kept (serve)", "plan from the cache (command line)"])
def test_a_change_in_a_large_system_plans_only_the_briefs_that_could_suggest_it(tmp_path, monkeypatch, kept):
    """80 briefs of one system, between 12 parties: most pairs hold one brief, so the similar briefs
    of each come from the system. A brief's change touches the few whose five it could be among."""
    monkeypatch.setattr(corpus, "PARTY_COUNT", 12)
    monkeypatch.setattr(corpus, "SYSTEM_COUNT", 1)
    content, out = corpus.write_corpus(tmp_path / "one-system", 80), tmp_path / "site"
    deals = content / "deals"
    cache, planner = open_cache(out), Planner()
    build(content, out, index=False, cache=cache, planner=planner)
    changes = [
        lambda: replace_line(deals / "synthetic-00007.md", r"^summary: ", "summary: Edited. "),
        lambda: replace_line(deals / "synthetic-00007.md", r"^(ordered:\n(?:  .*\n)*?  date: )\d+", r"\g<1>1989"),
        lambda: replace_line(deals / "synthetic-00030.md", r'^title: "', 'title: "Retitled '),
        lambda: (deals / "synthetic-00080.md").write_text(
            (deals / "synthetic-00002.md").read_text().replace("[Synthetic] Brief 2", "[Synthetic] Brief 80")),
        lambda: unreferenced(deals).unlink(),
    ]
    for change in changes:
        change()
        if not kept:
            cache, planner = open_cache(out), Planner()
            render.MACRO_CALLS.for_basis("")
        build(content, out, index=False, cache=cache, planner=planner)
        assert planner.planned < 30, "not every brief of the system"  # deal sets, and the parties' and the system's
        assert_same_as_cold(content, templates=TEMPLATES, out=out, tmp_path=tmp_path)


def test_a_kept_planner_keeps_the_listing_pages_a_change_leaves_alone(dense_archive, tmp_path, monkeypatch):
    monkeypatch.setattr(pages, "PER_PAGE", 10)  # the 60 briefs over six pages of /deals/
    content, out = dense_archive, tmp_path / "site"
    cache, planner = open_cache(out), Planner()
    build(content, out, index=False, cache=cache, planner=planner)
    before = dict(planner.listings)
    replace_line(content / "deals/synthetic-00007.md", r"^summary: ", "summary: Edited. ")
    build(content, out, index=False, cache=cache, planner=planner)
    edited = cached_result(cache, "content/deals/synthetic-00007.md", content / "deals/synthetic-00007.md").model
    showing = {url for url, page in planner.listings.items() if mentions(page.context, edited)}
    assert {"/deals/page/4/", "/data/deals.json"} <= showing
    showing.add("/countries/")  # its rows hold the parties, which each build makes anew
    for url, page in planner.listings.items():
        assert (page is before[url]) == (url not in showing), url


def test_rebuilds_in_one_process_leave_neither_garbage_nor_a_brief_s_old_version_behind(project):
    """`archive serve` builds again and again in one process, and freezes what outlives each build
    out of the cycle collector's sight. Each build's garbage is collected first, and the rows kept
    for an edited brief's last version are dropped: otherwise memory grows with every rebuild
    (by 70 MiB at 10,000 briefs; here, by 900 objects without the first, 60 without the second)."""
    content, templates, out = project
    cache, planner = open_cache(out), Planner()
    frozen = []
    for number in range(6):
        edit(content / BRIEF, "summary: ", f"summary: Edit {number}. ")
        build(content, out, templates=templates, index=False, cache=cache, planner=planner)
        frozen.append(gc.get_freeze_count())
    assert frozen[5] - frozen[2] < 100, frozen


def test_a_build_by_another_process_while_serve_runs_does_not_mislead_serve(project, tmp_path):
    """Found by the random rebuild sequences. `archive build` rewrites the cache file while serve
    runs; serve's next build must not save what it remembers over it. Here serve, which had
    the brief's first version, recorded that version's file but left the second's result in the
    cache, and every later command-line build failed reading it."""
    content, templates, out = project
    serving = dict(cache=open_cache(out), planner=Planner())
    build(content, out, templates=templates, index=False, **serving)
    edit(content / BRIEF, "summary: A synthetic brief", "summary: An edited synthetic brief")
    build(content, out, templates=templates, index=False)  # archive build, in another process
    edit(content / BRIEF, "summary: An edited synthetic brief", "summary: A synthetic brief")
    build(content, out, templates=templates, index=False, **serving)
    edit(content / BRIEF, "summary: A synthetic brief", "summary: A third synthetic brief")
    build(content, out, templates=templates, index=False)
    assert_same_as_cold(content, templates, out, tmp_path)


@pytest.mark.parametrize("kept", [True, False], ids=["planner kept (serve)", "plan from the cache (command line)"])
def test_the_plan_a_rebuild_records_is_the_plan_a_cold_build_records(dense_archive, tmp_path, monkeypatch, kept):
    """A rebuild records the page sets it kept as it last recorded or read them, and those it
    planned afresh as planned: here a system whose list grows past a page, and so gains a page."""
    content, out, cold = dense_archive, tmp_path / "site", tmp_path / "cold"
    deals = content / "deals"
    system = re.search(r"^system: (.*)$", (deals / "synthetic-00006.md").read_text(), re.M).group(1)
    listed = sum(f"\nsystem: {system}\n" in file.read_text() for file in deals.iterdir())
    monkeypatch.setattr(pages, "PER_PAGE", listed)  # the system's briefs fill its page exactly
    cache, planner = (open_cache(out), Planner()) if kept else (None, None)
    build(content, out, index=False, cache=cache, planner=planner)
    before = open_cache(out).plan[f"system:{system}"]
    replace_line(deals / "synthetic-00005.md", r"^system: .*$", f"system: {system}")
    build(content, out, index=False, cache=cache, planner=planner)
    build(content, cold, index=False)
    after = open_cache(out).plan
    assert after[f"system:{system}"] != before  # the test's premise: the set changed
    assert after == open_cache(cold).plan


def mentions(value, target) -> bool:
    if value is target:
        return True
    if isinstance(value, (list, tuple)):
        return any(mentions(item, target) for item in value)
    return isinstance(value, dict) and any(mentions(item, target) for item in value.values())


def cache_stat(file: Path) -> tuple[int, int]:
    stat = file.stat()
    return stat.st_size, stat.st_mtime_ns


def cached_result(cache, path: str, file: Path):
    """The cache's result for a content file as it is now."""
    return cache.checked(path, cache.current(path, *cache_stat(file), str(file)))


def test_a_rebuild_without_exports_keeps_the_export_fragments_for_the_next(project, monkeypatch):
    """serve: a rebuild that renders no export (here, a brief touched but unchanged) must not
    forget the cached export fragments, or the next edit re-encodes every brief's share."""
    content, templates, out = project
    cache, planner = open_cache(out), Planner()
    build(content, out, templates=templates, index=False, cache=cache, planner=planner)
    brief = content / BRIEF
    brief.write_bytes(brief.read_bytes())
    assert build(content, out, templates=templates, index=False, cache=cache, planner=planner).rendered == 0
    encoded = []
    monkeypatch.setattr("generator.build.fragments_of", lambda deal, names: encoded.append(deal.slug) or fragments_of(deal, names))
    edit(brief, "summary: A synthetic brief", "summary: An edited synthetic brief")
    build(content, out, templates=templates, index=False, cache=cache, planner=planner, jobs=1)
    assert encoded == ["2001-norway-chile-fixture-sam"]


def test_a_new_process_takes_unchanged_export_shares_from_the_last_exports(project, monkeypatch):
    """A command-line rebuild reads each unchanged brief's share of the whole-archive exports
    back from the files the last build wrote, and encodes only the edited brief's."""
    content, templates, out = project
    encoded = []
    monkeypatch.setattr("generator.build.fragments_of", lambda deal, names: encoded.append(deal.slug) or fragments_of(deal, names))
    edit(content / BRIEF, "summary: A synthetic brief", "summary: An edited synthetic brief")
    build(content, out, templates=templates, index=False)
    assert encoded == ["2001-norway-chile-fixture-sam"]
    assert_same_as_cold(content, templates, out, tmp_path=out.parent)


def test_the_exports_fragment_keys_are_kept_once_for_each_version_of_the_site(project):
    """The three exports of a build share their briefs' fragment keys, which the cache stores
    once; the keys of exports neither the site nor the spare holds any more are dropped."""
    content, templates, out = project
    for number in range(3):
        edit(content / BRIEF, "summary: ", f"summary: Edit {number}. ")
        build(content, out, templates=templates, index=False)
    with sqlite3.connect(cache_path(out)) as db:
        spans = db.execute("SELECT key, keys FROM spans").fetchall()
        stored = db.execute("SELECT id, keys FROM fragment_keys").fetchall()
    assert len(spans) == 6  # three exports, as the site and as the spare hold them
    assert sorted(id for id, _ in stored) == sorted({keys for _, keys in spans})
    assert len(stored) == 2  # the site's and the spare's
    site, spare = (marshal.loads(keys) for _, keys in stored)
    assert len(site) == len(spare) == len(list((content / "deals").glob("*.md")))
    assert sum(now != before for now, before in zip(site, spare)) == 1  # the edited brief's file


def test_an_export_edited_by_hand_is_not_read_back(project, monkeypatch):
    """An export that is no longer as the last build wrote it gives no shares: all are encoded
    again, and the output is still a cold build's."""
    content, templates, out = project
    exported = out / "data/deals.json"
    exported.write_bytes(exported.read_bytes().replace(b'"slug":"', b'"slug":"x', 1))
    encoded = []
    monkeypatch.setattr("generator.build.fragments_of", lambda deal, names: encoded.append(deal.slug) or fragments_of(deal, names))
    edit(content / BRIEF, "summary: A synthetic brief", "summary: An edited synthetic brief")
    build(content, out, templates=templates, index=False)
    assert len(encoded) == len(list((content / "deals").glob("*.md")))
    assert_same_as_cold(content, templates, out, tmp_path=out.parent)


def test_exports_taken_back_from_the_spare_are_read_with_their_own_spans(project):
    """An edit undone takes the exports back from the spare (two builds old); the next rebuild
    must slice them by the spans they were written with, not those of the build between."""
    content, templates, out = project
    brief = content / BRIEF
    original = brief.read_text(encoding="utf-8")
    edit(brief, "summary: A synthetic brief", "summary: A much longer summary of this synthetic brief")
    build(content, out, templates=templates, index=False)
    brief.write_text(original, encoding="utf-8")
    assert build(content, out, templates=templates, index=False).rendered < 10  # the exports came from the spare
    # A brief before it in the exports: the shares after it are read back from the files.
    edit(content / "deals/2010-xfix-norway-fixture-tank.md", "summary: ", "summary: Edited. ")
    build(content, out, templates=templates, index=False)
    assert_same_as_cold(content, templates, out, tmp_path=out.parent)


def test_the_first_rebuild_after_a_cold_build_links_nothing_itself(project, monkeypatch):
    """With no spare yet, another process links the site into the staging folder while the build
    loads and plans; the build itself only writes what changed."""
    content, templates, out = project
    assert not (out.parent / ".site.spare").exists()
    linked = []
    monkeypatch.setattr(Staging, "link", lambda self, relative: linked.append(relative))
    edit(content / BRIEF, "summary: A synthetic brief", "summary: An edited synthetic brief")
    assert 0 < build(content, out, templates=templates, index=False).rendered < 30
    assert linked == []
    assert_same_as_cold(content, templates, out, tmp_path=out.parent)


def test_an_added_brief_with_a_broken_link_fails_the_rebuild(project):
    """A rebuild that only adds files checks just the rendered pages' links: the new page's are among them."""
    content, templates, out = project
    text = (content / "deals/undated-chile-norway-fixture-tank.md").read_text()
    (content / "deals/2020-chile-norway-fixture-tank.md").write_text(
        text.replace("[Fixture] Chile and Norway discuss tanks", "[Fixture] A second tank brief") + "\nSee [the facts](/deals/no-such-brief/#facts).\n")
    with pytest.raises(ContentErrors) as raised:
        build(content, out, templates=templates, index=False)
    assert [(e.path, e.field) for e in raised.value.errors] == [("site/deals/2020-chile-norway-fixture-tank/index.html", "link")]


def test_deleting_a_brief_an_unchanged_page_links_to_fails_the_rebuild(project):
    content, templates, out = project
    edit(templates / "about.html", "</h1>", '</h1><p><a href="/deals/undated-chile-norway-fixture-tank/">A brief</a></p>')
    build(content, out, templates=templates, index=False)
    (content / "deals/undated-chile-norway-fixture-tank.md").unlink()
    with pytest.raises(ContentErrors) as raised:
        build(content, out, templates=templates, index=False)  # about/ is unchanged; its link now leads nowhere
    assert [(e.path, e.field) for e in raised.value.errors] == [("site/about/index.html", "link")]


def test_a_brief_from_the_cache_still_has_its_references_checked(project, monkeypatch):
    """The briefs keep their references in the cache: one whose system is deleted fails the
    rebuild without being checked again, with its own file, line and field."""
    content, templates, out = project
    checked = []
    monkeypatch.setattr("generator.build.check_file", lambda listed, data=None: checked.append(listed.path) or check_file(listed, data))
    (content / "systems/fixture-sam.yaml").unlink()
    with pytest.raises(ContentErrors) as raised:
        build(content, out, templates=templates, index=False)
    assert checked == []
    assert [(e.path, e.line, e.field) for e in raised.value.errors] == [(f"content/{BRIEF}", 6, "system")]
    assert 'no system named "fixture-sam"' in raised.value.errors[0].message


def test_the_cache_records_each_page_s_links_as_it_lies_in_the_site_and_the_spare(project):
    """The next link check reads a page's links from the cache: after a brief moves to another
    system and back, the pages taken back from the spare must be recorded with the spare's links,
    not with those of the version they replace (which link to the other system)."""
    content, templates, out = project
    for old, new in [("system: fixture-sam", "system: fixture-tank"), ("system: fixture-tank", "system: fixture-sam")]:
        edit(content / BRIEF, old, new)
        build(content, out, templates=templates, index=False)
        cache, spare = open_cache(out), out.with_name(".site.spare")
        for path in (path for path in cache.pages if path.endswith(".html")):
            assert pickle.loads(cache.links(path)) == extract_links((out / path).read_bytes()), path
        differing = [path for path, entry in cache.spare.items() if path.endswith(".html") and cache.pages.get(path) != entry]
        assert differing, "the spare holds pages the site holds in another version"
        for path in differing:
            assert pickle.loads(cache.spare_links(path)) == extract_links((spare / path).read_bytes()), path


def test_the_links_serve_keeps_in_memory_are_the_links_the_cache_file_holds(project):
    """serve keeps every page's links in memory from one build to the next (updated in place, not
    read again): after an edit and a deletion they are what a new process reads from the file."""
    content, templates, out = project
    cache, planner = open_cache(out), Planner()
    build(content, out, templates=templates, index=False, cache=cache, planner=planner)
    assert cache.all_links(), "the links are in memory, as a rebuild that checks many pages reads them"
    for change in (lambda: edit(content / BRIEF, "system: fixture-sam", "system: fixture-tank"),
                   lambda: (content / "deals/undated-chile-norway-fixture-tank.md").unlink()):
        change()
        build(content, out, templates=templates, index=False, cache=cache, planner=planner)
        assert cache.all_links() == open_cache(out).all_links()
    assert "deals/undated-chile-norway-fixture-tank/index.html" not in cache.all_links()


def test_a_page_taken_back_from_the_spare_has_its_links_checked(project):
    """The spare holds pages as the build before last made them: one taken back unrendered may
    link to what the last build changed. Here about/ returns to linking /data/#old-name after
    data/ renamed that id: the rebuild renders nothing, and must still find the broken link."""
    content, templates, out = project
    data, about = templates / "data.html", templates / "about.html"
    edit(data, "<h1>Open data</h1>", '<h1 id="old-name">Open data</h1>')
    edit(about, "</h1>", '</h1><p><a href="/data/#old-name">Data</a></p>')
    build(content, out, templates=templates, index=False)
    edit(data, 'id="old-name"', 'id="new-name"')
    edit(about, "/data/#old-name", "/data/#new-name")
    build(content, out, templates=templates, index=False)  # the first site is now the spare
    edit(about, "/data/#new-name", "/data/#old-name")
    with pytest.raises(ContentErrors) as raised:
        build(content, out, templates=templates, index=False)
    assert [(e.path, e.field) for e in raised.value.errors] == [("site/about/index.html", "link")]


def test_a_rebuild_unpickles_only_the_briefs_on_the_pages_it_renders(tmp_path, monkeypatch):
    """The cache gives back an unchanged brief as a StoredDeal holding only what planning asks of
    every brief; the rest is read from the cache when a page that shows it is rendered."""
    monkeypatch.setattr(pages, "PER_PAGE", 20)
    content, out = corpus.write_corpus(tmp_path / "corpus", 200), tmp_path / "site"
    build(content, out, index=False)
    replace_line(content / "deals/synthetic-00007.md", r"^summary: ", "summary: Edited. ")
    planner = Planner()
    build(content, out, index=False, planner=planner, jobs=1)
    stored = [deal for deal in planner.archive.deals if type(deal) is StoredDeal]
    assert 0 < len(stored) < len(planner.archive.deals)
    on_rendered_pages = {deal.slug for kind, name in planner.sets if kind == "deal"
                         for page in planner.sets[(kind, name)] if type(page) is not StandIn
                         for deal in [page.context["deal"]]}
    assert not on_rendered_pages & {deal.slug for deal in stored}
    assert_same_as_cold(content, TEMPLATES, out, tmp_path)


def test_a_stored_brief_loads_whole_when_asked_for_more_than_its_head(project):
    content, templates, out = project
    cache = open_cache(out)
    path = f"content/{BRIEF}"
    checked = cached_result(cache, path, content / BRIEF)
    stored = checked.model
    assert type(stored) is StoredDeal and stored.supplier == "NOR" and type(stored) is StoredDeal
    fresh = load_archive(content).deal_by_slug[stored.slug]
    # The head gives back the up-front values and the references as a fresh check makes them.
    assert {name: getattr(stored, name) for name in UP_FRONT} == {name: getattr(fresh, name) for name in UP_FRONT}
    fresh_check = check_file(next(item for item in list_content(content)[0] if item.path == path))
    assert checked.references == fresh_check.references and len(checked.references) >= 3
    assert stored.summary == fresh.summary and type(stored) is Deal  # loaded, and now a Deal like any
    assert stored == fresh and (stored.sort_key, stored.last_updated) == (fresh.sort_key, fresh.last_updated)


def test_a_stored_brief_whose_cache_row_changed_is_a_build_error_not_a_wrong_brief(project):
    content, templates, out = project
    cache = open_cache(out)
    stored = cached_result(cache, f"content/{BRIEF}", content / BRIEF).model
    with sqlite3.connect(cache_path(out)) as db:
        db.execute("UPDATE results SET sha = 'other' WHERE path = ?", (f"content/{BRIEF}",))
    with pytest.raises(BuildError, match="changed during the build"):
        stored.summary


def compiles_recorded(monkeypatch) -> list[str]:
    """The names of the templates Jinja compiles from now on, in this process."""
    compiled: list[str] = []
    real_compile = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile", lambda env, source, name=None, *args, **kw:
                        compiled.append(name) or real_compile(env, source, name, *args, **kw))
    return compiled


def test_a_rebuild_in_a_new_process_compiles_only_the_templates_that_changed(project, monkeypatch):
    """The build cache keeps the compiled templates, and the templates each uses; an edited
    template, or a damaged entry, is compiled and parsed again."""
    content, templates, out = project
    compiled, parsed = compiles_recorded(monkeypatch), []
    real_parse = keys.parsed
    monkeypatch.setattr(keys, "parsed", lambda env, name, source: parsed.append(name) or real_parse(env, name, source))
    monkeypatch.setattr(render.COMPILED, "compiled", {})  # as in a new process
    keys.USES.clear()
    edit(content / BRIEF, "summary: A synthetic brief", "summary: An edited synthetic brief")
    edit(templates / "deal.html", "<h2 id=\"facts\">Facts</h2>", "<h2 id=\"facts\">The facts</h2>")
    build(content, out, templates=templates, index=False)
    assert compiled == ["deal.html"] and parsed == ["deal.html"]
    compiled.clear()
    parsed.clear()
    monkeypatch.setattr(render.COMPILED, "compiled", {})
    keys.USES.clear()
    with sqlite3.connect(cache_path(out)) as db:
        db.execute("UPDATE compiled SET code = x'00'")
    edit(content / BRIEF, "summary: An edited synthetic brief", "summary: A synthetic brief")
    build(content, out, templates=templates, index=False)
    assert "deal.html" in compiled and "base.html" in compiled
    assert "deal.html" in parsed and "base.html" in parsed
    assert_same_as_cold(content, templates, out, tmp_path=out.parent)


def test_templates_compiled_for_render_workers_are_kept_for_the_next_process(content, tmp_path, monkeypatch):
    """A build that renders in worker processes compiles the templates first, in its own: the
    workers inherit them, and the build cache keeps them, so the next process compiles none.
    Compiled in the workers, they were lost with them, and every such build compiled again."""
    templates, out = tmp_path / "templates", tmp_path / "site"
    shutil.copytree(TEMPLATES, templates)  # a folder of its own: none of its templates compiled yet
    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)  # the cold build of a large archive: in workers
    assert build(content, out, templates=templates, index=False, jobs=2).rendered > 0
    compiled = compiles_recorded(monkeypatch)
    monkeypatch.setattr(render.COMPILED, "compiled", {})  # as in a new process,
    monkeypatch.setattr(parallel, "MIN_ITEMS", 10_000)  # rendering here, where `compiled` hears of it
    edit(content / BRIEF, "summary: A synthetic brief", "summary: An edited synthetic brief")
    assert build(content, out, templates=templates, index=False, jobs=2).rendered > 0
    assert compiled == []


def test_a_cold_build_plans_its_pages_while_workers_encode_the_exports(content, tmp_path, monkeypatch):
    """Every brief's share of the whole-archive exports is encoded in a cold build: the workers
    do it while this process plans the pages, which would otherwise leave a core idle. A rebuild
    that takes the shares from the last exports plans first, and encodes only if an export is to
    be rendered."""
    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)  # in workers, as at 10,000 briefs
    plan, planned_while = Planner.plan, []

    def plan_watched(self, *args, **kwargs):
        planned_while.append(parallel._work and parallel._work[0].__name__)
        return plan(self, *args, **kwargs)
    monkeypatch.setattr(Planner, "plan", plan_watched)
    out = tmp_path / "site"
    build(content, out, index=False, jobs=2)
    edit(content / BRIEF, "summary: A synthetic brief", "summary: An edited synthetic brief")
    build(content, out, index=False, jobs=2)
    assert planned_while == ["_encode", None]
    assert_same_as_cold(content, TEMPLATES, out, tmp_path)


def test_a_listing_rendered_again_takes_unchanged_rows_from_the_cache(tmp_path, monkeypatch):
    """A deal table's rows are kept in the build cache by their brief's file: a later process
    renders only the rows of briefs that changed, and a brief's rows go with its old version."""
    monkeypatch.setattr(pages, "PER_PAGE", 20)
    content, out = corpus.write_corpus(tmp_path / "corpus", 60), tmp_path / "site"
    build(content, out, index=False)
    edited = "synthetic-00007"
    before = f"content/deals/{edited}.md@{open_cache(out).files[f'content/deals/{edited}.md'].sha}"
    with sqlite3.connect(cache_path(out)) as db:
        assert db.execute("SELECT count(*) FROM calls WHERE owner = ?", (before,)).fetchone()[0] > 0
        db.execute("UPDATE calls SET html = '<tr><td>kept row</td></tr>' WHERE owner != ?", (before,))
    render.MACRO_CALLS.for_basis("")  # as in a new process
    replace_line(content / f"deals/{edited}.md", r"^title: \"", 'title: "Retitled ')
    build(content, out, index=False)
    listing = next(file for file in [out / "deals/index.html", *out.glob("deals/page/*/index.html")] if "Retitled" in file.read_text())
    # Every row but the edited brief's is the kept one; that brief's alone is rendered again.
    assert listing.read_text().count('<td data-label="Brief">') == 1 and listing.read_text().count("<tr><td>kept row</td></tr>") > 0
    with sqlite3.connect(cache_path(out)) as db:
        owners = {owner for (owner,) in db.execute("SELECT DISTINCT owner FROM calls")}
    assert before not in owners and any(owner.startswith(f"content/deals/{edited}.md@") for owner in owners)


def test_a_brief_added_or_deleted_changes_its_own_listing_page_and_the_first_not_the_pages_after(tmp_path, monkeypatch):
    """A listing page ends at the end of a month of orders (here, of a year: the synthetic briefs
    have years only), so the pages after a brief added or deleted keep their rows, and only the
    first page counts the briefs. With pages of a fixed size, every page after it would shift."""
    monkeypatch.setattr(pages, "PER_PAGE", 20)
    monkeypatch.setattr(pages, "MOST_PER_PAGE", 40)
    content, out = corpus.write_corpus(tmp_path / "corpus", 300), tmp_path / "site"
    deals = content / "deals"
    listings = lambda: {file.relative_to(out).as_posix(): file.read_bytes()
                        for file in [out / "deals/index.html", *out.glob("deals/page/*/index.html")]}
    build(content, out, index=False)
    before = listings()
    assert len(before) >= 8, "the test's premise: a long listing"
    # The brief deleted: one no brief names as related, on a later page of more than PER_PAGE rows
    # (were its page to fall short of PER_PAGE, it would take the rest of a month from the next).
    named = set(re.findall(r"synthetic-\d{5}", "".join(re.findall(r"^related: .*$", file.read_text(), re.M)[0]
                                                        for file in deals.glob("*.md"))))
    rows = {path: re.findall(r'<a href="/deals/(synthetic-\d{5})/">', data.decode()) for path, data in before.items()}
    deleted = next(slug for path in sorted(rows) if path != "deals/index.html" and len(rows[path]) > 20
                   for slug in rows[path] if slug not in named)
    for change in ("added", "deleted"):
        if change == "added":
            (deals / "synthetic-added.md").write_text((deals / "synthetic-00002.md").read_text().replace(
                "[Synthetic]", "[Synthetic, added]"))
        else:  # the brief added, and another
            (deals / "synthetic-added.md").unlink()
            (deals / f"{deleted}.md").unlink()
        result = build(content, out, index=False)
        after = listings()
        holding = {path for path, data in after.items() if b"Synthetic, added" in data} if change == "added" else \
            {path for path, data in before.items() if f"/deals/{deleted}/".encode() in data or b"Synthetic, added" in data}
        changed = {path for path in after if after[path] != before.get(path)}
        assert after.keys() == before.keys() and changed == {"deals/index.html"} | holding, change
        assert result.rendered < 40, change
        before = after
    assert_same_as_cold(content, TEMPLATES, out, tmp_path)


def test_a_build_that_renders_a_few_listings_reads_the_kept_rows_of_their_briefs_only(tmp_path):
    """The cache reads up front the kept calls of the owners a build names (the briefs its pages
    show), and finds any other by name when asked; with no owners it reads them all. The build
    names them only while they are fewer than a third of the files."""
    content, out = corpus.write_corpus(tmp_path / "corpus", 60), tmp_path / "site"
    build(content, out, index=False)
    cache = open_cache(out)
    with sqlite3.connect(cache_path(out)) as db:
        (basis,), = db.execute("SELECT value FROM meta WHERE name = 'calls_basis'")
        rows = db.execute("SELECT name, owner, html FROM calls ORDER BY name").fetchall()
    name, owner, html = rows[0]
    other_name, other_owner, other_html = next(row for row in rows if row[1] != owner)
    stored = cache.calls(basis, {owner})
    assert set(stored.rows) == {n for n, o, _ in rows if o == owner}  # that brief's rows alone, up front
    assert stored.get(name, owner) == html and stored.get(other_name, other_owner) == other_html
    assert stored.get(name + "\x1fmore", owner) is None  # one of its owner's that was never kept
    assert set(cache.calls(basis).rows) == set(cache.calls(basis, {o for _, o, _ in rows}).rows) == {n for n, _, _ in rows}
    assert cache.calls("another basis", {owner}).get(name, owner) is None
    assert cache.owners_read_apart(basis) == len(cache.files) // 3 > 0 == cache.owners_read_apart("another basis")
    archive, known, _ = load_checked(list_content(content))
    renderer = Renderer(TEMPLATES, site_context(archive), known)
    outputs = plan_outputs(Planner().plan(archive, renderer.key_basis), renderer, known, TEMPLATES, Planner())
    listing = [o for o in outputs if o.path == "deals/index.html"]
    assert shown_files(listing, known, len(known)) == {known[id(deal)] for deal in listing[0].page.context["listed"]}
    assert shown_files(outputs, known, 10) is None  # past the limit: the whole table is read


real_digest_of = keys.digest_of


def test_the_whole_archive_exports_are_keyed_from_one_digest_of_their_shared_context(content, monkeypatch):
    """The JSON and the two CSV exports share one context, the tuple of every brief: a plan
    digests it once, and each export's key is still its own (its URL and export differ)."""
    archive, known, _ = load_checked(list_content(content))
    renderer = Renderer(TEMPLATES, site_context(archive), known)
    digested = []
    monkeypatch.setattr(keys, "digest_of", lambda value, known: digested.append(value) or real_digest_of(value, known))
    outputs = plan_outputs(Planner().plan(archive, renderer.key_basis), renderer, known, TEMPLATES, Planner())
    exports = {o.path: o for o in outputs if o.path in ("data/deals.json", "data/deals.csv", "data/deliveries.csv")}
    assert len(exports) == 3 and len({o.key for o in exports.values()}) == 3
    assert sum(type(value) is dict and value.get("deals") is archive.deals for value in digested) == 1
    for output in exports.values():  # each key as it would be on its own
        assert output.key == keys.page_key(output.page, known, renderer.names_digest, renderer.template_digests, {})
