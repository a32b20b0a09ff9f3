"""Shared helpers: a synthetic fixture archive, a way to write small content trees, builds."""

from __future__ import annotations

import gc
import shutil
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from generator.build import INDEX_FOLDER, build

FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "site" / "content"


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write {relative path: text} under root (text is dedented); return root."""
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def render_in_memory(content_dir: Path) -> dict[str, bytes]:
    """The whole site as {path: bytes}: built, without index or cache, into a folder read back."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "site"
        build(content_dir, out, index=False, use_cache=False)
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def site_snapshot(root: Path) -> dict[str, bytes]:
    """A built site's files as {path: bytes}, but Pagefind's: its index is not byte-stable
    between runs (see README)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.relative_to(root).as_posix().startswith(f"{INDEX_FOLDER}/")}


@pytest.fixture(autouse=True)
def garbage_collected():
    """The garbage of the builds run in this process, collected now and then. A build freezes
    what outlives it out of the cycle collector's sight (build.collector_paused), as suits a
    command that ends with it; the suite's process would keep every test's garbage (1 GB by the
    time the last tests fork it). Not after every test: a collection each time cost 30 s."""
    yield
    if gc.get_freeze_count() > 50_000:
        gc.unfreeze()
        gc.collect()


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A private copy of the fixture archive's content/, free to edit."""
    copy = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, copy)
    return copy


@pytest.fixture(scope="session")
def fixture_files() -> dict[str, bytes]:
    return render_in_memory(FIXTURE_CONTENT)


@pytest.fixture(scope="session")
def built_fixture(tmp_path_factory) -> Path:
    """The fixture archive built to disk once, with its Pagefind index."""
    out = tmp_path_factory.mktemp("built") / "site"
    build(FIXTURE_CONTENT, out)
    return out


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact piece of a file's text; fail loudly if it is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def names_once_settled(folder: Path, expected: int, seconds: float = 10) -> list[str]:
    """The names in `folder` once at most `expected` remain: a replaced site is deleted in the
    background after a build, so it may linger for a moment."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(list(folder.iterdir())) > expected:
        time.sleep(0.05)
    return sorted(p.name for p in folder.iterdir())
