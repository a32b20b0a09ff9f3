"""Builds are deterministic and atomic: the same content gives the same bytes, and a build that
fails or is interrupted at any stage leaves the previous site exactly as it was."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import generator.build
import generator.loader
import generator.output
from generator.build import build
from generator.errors import BuildError
from tests.conftest import FIXTURE_CONTENT, names_once_settled
from tests.conftest import site_snapshot as snapshot

ROOT = Path(__file__).resolve().parent.parent


def build_in_subprocess(out: Path, **env: str) -> None:
    environment = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), **env}
    subprocess.run([sys.executable, "-m", "generator", "build", "--no-index", "--content", str(FIXTURE_CONTENT),
                    "--out", str(out)], check=True, env=environment, capture_output=True)


def test_output_does_not_depend_on_hash_seed_time_zone_or_locale(tmp_path):
    build_in_subprocess(tmp_path / "one", PYTHONHASHSEED="1", TZ="UTC", LC_ALL="C")
    build_in_subprocess(tmp_path / "two", PYTHONHASHSEED="4242", TZ="Pacific/Auckland", LC_ALL="C.UTF-8", LANG="fr_FR.UTF-8")
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")


def test_output_does_not_depend_on_the_order_files_are_listed(tmp_path, monkeypatch):
    build(FIXTURE_CONTENT, tmp_path / "sorted", index=False)
    scan = os.scandir

    class Reversed:  # os.scandir, yielding its entries in reverse order
        def __init__(self, path="."):
            with scan(path) as entries:
                self.entries = iter(sorted(entries, key=lambda entry: entry.name, reverse=True))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def __iter__(self):
            return self

        def __next__(self):
            return next(self.entries)

    monkeypatch.setattr(generator.loader.os, "scandir", Reversed)
    build(FIXTURE_CONTENT, tmp_path / "reversed", index=False)
    assert snapshot(tmp_path / "sorted") == snapshot(tmp_path / "reversed")


@pytest.fixture
def previous_site(tmp_path) -> tuple[Path, dict[str, bytes]]:
    out = tmp_path / "site"
    build(FIXTURE_CONTENT, out, index=False)
    (out / "marker.txt").write_text("the previous build")
    return out, snapshot(out)


def assert_untouched(out: Path, before: dict[str, bytes]) -> None:
    assert snapshot(out) == before
    # The staging folder is moved aside at once and deleted in the background, as a replaced site is.
    assert not list(out.parent.glob(".site.staging-*")), "a staging folder was left in place"
    assert names_once_settled(out.parent, 3) == [".site.archive-cache.sqlite", ".site.archive-lock", "site"], "a staging folder was left behind"


def test_a_render_failure_leaves_the_previous_site(previous_site, tmp_path_factory):
    out, before = previous_site
    templates = tmp_path_factory.mktemp("broken-templates")
    (templates / "static").mkdir(parents=True)
    (templates / "home.html").write_text("{{ undefined_value.attribute }}")
    with pytest.raises(BuildError, match="rendering / failed in template home.html"):
        build(FIXTURE_CONTENT, out, templates=templates, index=False, use_cache=False)
    assert_untouched(out, before)


def test_a_failed_build_leaves_its_staging_folder_to_be_deleted_in_the_background(previous_site, tmp_path_factory, monkeypatch):
    """The build returns without waiting for the deletion (0.5 s and more at 10,000 briefs): the
    folder it rendered into is moved aside under a replaced site's name, for another process."""
    out, before = previous_site
    templates = tmp_path_factory.mktemp("broken-templates")
    (templates / "static").mkdir(parents=True)
    (templates / "home.html").write_text("{{ undefined_value.attribute }}")
    handed_over = []
    monkeypatch.setattr(generator.output, "remove_in_background", handed_over.append)
    with pytest.raises(BuildError):
        build(FIXTURE_CONTENT, out, templates=templates, index=False, use_cache=False)
    assert [path.name.startswith(".site.previous-") and path.is_dir() for path in handed_over] == [True]
    assert not list(out.parent.glob(".site.staging-*")) and snapshot(out) == before


def test_a_disk_error_while_writing_leaves_the_previous_site(previous_site, monkeypatch):
    out, before = previous_site
    real_write, written = generator.output.Staging.write, []

    def disk_full():
        raise OSError(28, "No space left on device")

    def write_some_then_fail(self, relative, data):
        if len(written) == 10:
            self._guard(disk_full)  # as a real write would fail
        written.append(relative)
        return real_write(self, relative, data)

    monkeypatch.setattr(generator.output.Staging, "write", write_some_then_fail)
    with pytest.raises(BuildError, match="No space left on device"):
        build(FIXTURE_CONTENT, out, index=False, use_cache=False)
    assert len(written) == 10
    assert_untouched(out, before)


def test_a_pagefind_failure_leaves_the_previous_site(previous_site, monkeypatch):
    out, before = previous_site

    def failing_index(site_dir):
        raise BuildError("Pagefind failed (exit 1)")

    monkeypatch.setattr(generator.build, "index_site", failing_index)
    with pytest.raises(BuildError, match="Pagefind failed"):
        build(FIXTURE_CONTENT, out, use_cache=False)
    assert_untouched(out, before)


def test_an_interrupted_build_leaves_the_previous_site(previous_site, monkeypatch):
    out, before = previous_site

    def interrupted(self, relative, data):
        raise KeyboardInterrupt

    monkeypatch.setattr(generator.output.Staging, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(FIXTURE_CONTENT, out, index=False, use_cache=False)
    assert_untouched(out, before)


def test_a_failed_swap_leaves_the_previous_site(previous_site, monkeypatch):
    out, before = previous_site

    def exchange_fails(first, second):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(generator.output, "exchange", exchange_fails)
    with pytest.raises(BuildError, match="Input/output error"):
        build(FIXTURE_CONTENT, out, index=False, use_cache=False)
    assert_untouched(out, before)


def test_without_an_atomic_exchange_a_failed_swap_puts_the_previous_site_back(previous_site, monkeypatch):
    out, before = previous_site
    real_replace, calls = os.replace, []

    def second_replace_fails(source, target):
        calls.append((source, target))
        if len(calls) == 2:  # the previous site is already moved aside; the new one cannot move in
            raise OSError(5, "Input/output error")
        real_replace(source, target)

    monkeypatch.setattr(generator.output, "exchange", lambda first, second: False)
    monkeypatch.setattr(generator.output.os, "replace", second_replace_fails)
    with pytest.raises(BuildError, match="Input/output error"):
        build(FIXTURE_CONTENT, out, index=False, use_cache=False)
    assert_untouched(out, before)


def test_the_replaced_site_is_removed_after_a_rebuild(previous_site):
    out, _ = previous_site
    build(FIXTURE_CONTENT, out, index=False, use_cache=False)
    assert names_once_settled(out.parent, 3) == [".site.archive-cache.sqlite", ".site.archive-lock", "site"]
    assert not (out / "marker.txt").exists()


@pytest.mark.parametrize("name", [".site.previous-0123456789ab", ".site.staging-99999"])
def test_a_replaced_site_or_a_killed_build_left_behind_is_removed_by_the_next_build(previous_site, name):
    out, _ = previous_site
    leftover = out.parent / name
    (leftover / "deals").mkdir(parents=True)
    (leftover / "deals" / "index.html").write_text("an old site whose deletion was cut short, or a staging folder")
    build(FIXTURE_CONTENT, out, index=False, use_cache=False)
    assert names_once_settled(out.parent, 3) == [".site.archive-cache.sqlite", ".site.archive-lock", "site"]


def test_the_repository_tracks_no_build_output():
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout.split("\n")
    built = [path for path in tracked if path.startswith(("site/", ".site")) or path.endswith(".sqlite")]
    assert built == [], "build output or caches are committed"


def test_a_second_build_of_the_same_site_waits_for_the_first(tmp_path):
    out = tmp_path / "site"
    command = [sys.executable, "-m", "generator", "build", "--content", str(FIXTURE_CONTENT), "--out", str(out), "--no-index"]
    with generator.build.output_locked(out):  # as a build in progress holds it
        second = subprocess.Popen(command, cwd=Path(__file__).resolve().parent.parent,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)  # ample for a build of the fixture, were it not waiting
        assert second.poll() is None and not out.exists(), "the second build did not wait"
    _, errors = second.communicate(timeout=120)
    assert second.returncode == 0, errors
    assert (out / "index.html").is_file()
