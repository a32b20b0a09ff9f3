"""The benchmark's synthetic archive follows the documented content format and says it is fake."""

import subprocess
import sys
from pathlib import Path

from benchmarks.corpus import write_corpus
from benchmarks.run import CHANGES, edit_brief, restore_briefs
from generator.build import build, check, load_archive

ROOT = Path(__file__).resolve().parent.parent


def test_the_synthetic_corpus_is_valid_deterministic_and_marked(tmp_path: Path):
    content = write_corpus(tmp_path / "one", 40)
    archive = load_archive(content)
    assert len(archive.deals) == 40 and len(archive.systems) == 300
    assert all(deal.title.startswith("[Synthetic]") for deal in archive.deals)
    assert check(content).pages > 40
    again = write_corpus(tmp_path / "two", 40)
    first = {p.relative_to(content): p.read_bytes() for p in content.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first == second


def test_the_benchmark_runs_and_reports_every_measurement(tmp_path: Path):
    result = subprocess.run([sys.executable, "-m", "benchmarks.run", "--sizes", "30", "--runs", "1",
                             "--output-in", str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr
    rows = [line.split(" | ")[1] for line in result.stdout.splitlines() if line.startswith("| 30 |")]
    assert rows == ["cold build, no index", "cold build with Pagefind",
                    "cold build writing the build cache, no index", "first rebuild after a cold build, one brief edited",
                    "rebuild, nothing changed", "rebuild, one brief edited", "rebuild, one brief added",
                    "rebuild, one brief deleted", "rebuild, every file touched, none changed",
                    "rebuild in archive serve, one brief edited",
                    "rebuild in archive serve, one brief added", "rebuild in archive serve, one brief deleted",
                    "Pagefind's share of a cold build"]
    for line in result.stdout.splitlines():
        if line.startswith("| 30 |") and "Pagefind's share" not in line:
            seconds, cpu = line.split(" | ")[2:4]
            user, system = cpu.split(" + ")
            assert float(seconds) > 0 and float(user) > 0 and float(system) >= 0, line
    speed = result.stdout.rpartition("The machine's speed")[2]
    assert speed.count(" at the start") == 1 and speed.count(" after 30 briefs") == 1
    assert list(tmp_path.iterdir()) == [], "the sites are built in a temporary folder and removed"


def test_the_benchmark_s_changes_are_an_editor_s_and_leave_the_archive_as_they_found_it(tmp_path: Path):
    """Each change renders something: a deletion just after the addition it undoes would find its
    whole site in the spare (the site the addition replaced) and render nothing, which no editor's
    deletion does. A run's additions and deletions are then taken back."""
    content, out = write_corpus(tmp_path / "corpus", 40), tmp_path / "site"
    briefs = sorted(file.name for file in (content / "deals").iterdir())
    build(content, out, index=False)
    edit_brief(content, -1)
    build(content, out, index=False)  # the first rebuild, which makes the spare
    rendered = {}
    for name, change, _ in CHANGES:
        change(content, 0)
        rendered[name] = build(content, out, index=False).rendered
    assert all(count > 0 for count in rendered.values()), rendered
    restore_briefs(content)
    assert sorted(file.name for file in (content / "deals").iterdir()) == briefs
