"""Incremental builds: after any change, a rebuild from the cache gives exactly the bytes a cold
build gives, and redoes only what the change touched. A broken or stale cache is never trusted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.build import TEMPLATES, build, cache_path, check
from generator.errors import BuildError, ContentErrors
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


def test_touched_but_unchanged_files_are_checked_once_then_skipped(project):
    content, templates, out = project
    brief = content / BRIEF
    brief.write_bytes(brief.read_bytes())  # a new mtime, the same bytes (as after a git checkout)
    first = build(content, out, templates=templates, index=False)
    assert first.rendered == 0 and "load" in first.stages
    second = build(content, out, templates=templates, index=False)
    assert second.notes == ("nothing changed",) and list(second.stages) == ["inputs"]


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


def test_a_page_edited_by_hand_in_the_output_is_rebuilt(project, tmp_path):
    content, templates, out = project
    (out / "about/index.html").write_text("vandalised")
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
        ".site.archive-cache.sqlite", ".site.spare"]
    edit(templates / "deal.html", "<a href=\"/no-such-page/\">Facts</a>", "Facts")
    build(content, out, templates=templates, index=False)
    assert_same_as_cold(content, templates, out, tmp_path)


def test_the_search_index_follows_the_site_through_the_spare(content, tmp_path):
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


def test_a_rebuild_that_removes_an_anchor_an_unchanged_page_links_to_fails(project):
    content, templates, out = project
    edit(templates / "about.html", "</h1>", '</h1><p><a href="/deals/2001-norway-chile-fixture-sam/#facts">Facts</a></p>')
    build(content, out, templates=templates, index=False)
    edit(templates / "deal.html", "<h2 id=\"facts\">Facts</h2>", "<h2 id=\"the-facts\">Facts</h2>")
    with pytest.raises(ContentErrors) as raised:
        build(content, out, templates=templates, index=False)  # about/ is unchanged; the brief lost the anchor
    assert [(e.path, e.field) for e in raised.value.errors] == [("site/about/index.html", "link")]
    assert 'no element with id "facts"' in str(raised.value)
