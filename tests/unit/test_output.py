from pathlib import Path

import pytest

from generator.output import write_site


def read_all(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_the_new_site_replaces_the_old_one_whole(tmp_path):
    out = tmp_path / "site"
    write_site({"index.html": b"one", "old/index.html": b"old"}, out)
    write_site({"index.html": b"two"}, out)
    assert read_all(out) == {"index.html": b"two"}
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_a_failure_while_finishing_leaves_the_previous_site_in_place(tmp_path):
    out = tmp_path / "site"
    write_site({"index.html": b"previous"}, out)

    def failing_index(staging: Path) -> None:
        assert (staging / "index.html").read_bytes() == b"new"
        raise RuntimeError("Pagefind failed")

    with pytest.raises(RuntimeError):
        write_site({"index.html": b"new"}, out, finish=failing_index)
    assert read_all(out) == {"index.html": b"previous"}
    assert [p.name for p in tmp_path.iterdir()] == ["site"]
