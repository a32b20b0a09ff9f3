"""The benchmark's synthetic archive follows the documented content format and says it is fake."""

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import floor
from benchmarks.corpus import write_corpus
from benchmarks.run import CHANGES, edit_brief, loops, restore_briefs, throughput
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


def git(*arguments: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *arguments], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def test_a_version_to_compare_is_a_worktree_of_its_revision_removed_after(tmp_path: Path):
    from benchmarks.compare import checkout
    with checkout("HEAD", tmp_path / "version") as root:
        assert root == tmp_path / "version"
        assert git("rev-parse", "HEAD", cwd=root) == git("rev-parse", "HEAD")
        assert (root / "generator" / "build.py").is_file()
    assert not (tmp_path / "version").exists()
    with checkout(None, tmp_path / "unused") as root:
        assert root == ROOT and not (tmp_path / "unused").exists()


def test_the_comparison_times_each_change_for_both_versions_and_leaves_no_worktree():
    worktrees = git("worktree", "list")
    result = subprocess.run([sys.executable, "-m", "benchmarks.compare", "HEAD", "--size", "30", "--rounds", "2"],
                            capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"A: {git('log', '-1', '--format=%h %s')}" in lines and "B: the working tree" in lines
    rows = [line.split(" | ") for line in lines if line.startswith("| one brief ")]
    assert [row[0] for row in rows] == ["| one brief edited", "| one brief added", "| one brief deleted"]
    for row in rows:
        first, second, difference = map(float, row[1:4])
        assert first > 0 and second > 0 and abs(second - first - difference) < 0.011, row
        assert row[4] in ("0 of 2", "1 of 2", "2 of 2"), row
    rounds = [line for line in lines if ", A / B by round: " in line]
    assert len(rounds) == 3 and all(line.count(" / ") == 3 for line in rounds), rounds
    assert git("worktree", "list") == worktrees


def test_a_timed_build_runs_the_generator_of_the_checkout_it_is_given(tmp_path: Path):
    """What lets two versions be compared: the build is the named checkout's, not this one's."""
    from benchmarks.run import run_build
    stub = tmp_path / "checkout" / "generator"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("")
    (stub / "__main__.py").write_text("import pathlib, sys; pathlib.Path(sys.argv[sys.argv.index('--out') + 1]).write_text('stub')")
    timing = run_build(tmp_path / "content", tmp_path / "out", "--no-index", root=tmp_path / "checkout")
    assert (tmp_path / "out").read_text() == "stub" and timing.seconds > 0


def test_the_comparison_reports_medians_their_difference_and_the_rounds_each_version_won():
    from benchmarks.compare import report
    from benchmarks.run import Timing
    pair = lambda a, b: (Timing(a, a, 0.1, 50), Timing(b, b, 0.1, 50))
    text = report({"one brief edited": [pair(1.0, 0.8), pair(1.2, 1.3), pair(1.1, 0.9)]}, ("old", "new"))
    row = next(line for line in text.splitlines() if line.startswith("| one brief edited"))
    assert row == "| one brief edited | 1.10 | 0.90 | -0.20 | 2 of 3 | 1.20 | 1.00 |"
    assert "one brief edited, A / B by round: 1.00 / 0.80, 1.20 / 1.30, 1.10 / 0.90" in text
    assert text.startswith("A: old\nB: new\n")


def test_the_floor_times_every_library_call_of_a_cold_build_once(tmp_path: Path):
    """One measured run (in its own process): each library's calls counted once per item, every
    file of the site written through the timed call, and the time inside them less than the
    build's."""
    content, out = write_corpus(tmp_path / "archive", 12), tmp_path / "site"
    parts = floor.measured(content, out)
    files = [path for path in out.rglob("*") if path.is_file()]
    assert parts["build"]["calls"] == parts["files"]["calls"] == len(files)
    assert parts["markdown"]["calls"] == len([*content.glob("deals/*.md"), *content.glob("systems/*.yaml")])
    templated = [path for path in files if path.suffix in (".html", ".xml") or path.name == "robots.txt"]
    assert parts["jinja2"]["calls"] == len(templated) - 1  # pages, feeds, robots.txt; code writes the sitemap
    assert parts["yaml"]["calls"] == len([path for path in content.rglob("*") if path.suffix in (".md", ".yaml")])
    assert all(parts[name]["cpu"] > 0 for name in (*floor.CALLS, "yaml"))
    assert sum(parts[name]["cpu"] for name in floor.CALLS) < parts["build"]["cpu"]


def test_the_floor_report_sums_the_libraries_and_sets_them_against_the_target():
    def run(build: float, jinja2: float, markdown: float, files: float, yaml: float) -> dict:
        return {"build": {"calls": 100, "cpu": build}, "jinja2": {"calls": 40, "cpu": jinja2},
                "markdown": {"calls": 30, "cpu": markdown}, "files": {"calls": 100, "cpu": files},
                "yaml": {"calls": 31, "cpu": yaml}}

    runs = [run(40, 10, 5, 4, 3), run(50, 12, 6, 5, 3), run(44, 11, 5.5, 4.5, 3)]
    *rows, blank, said = floor.report(10000, runs, cores=1.6, both=[30.5, 29.0, 31.0])
    assert blank == "" and rows[0] == "| 10,000 | the whole cold build, in one process | 100 files | 44.00 | 100% |"
    assert rows[1].endswith("| 40 | 11.00 | 25% |") and rows[-1].endswith("| | 24.00 | 55% |")  # 11 + 5.5 + 4.5 + 3
    assert said == ("At 10,000 briefs the libraries' and the disk's own work took 24.0 CPU-seconds, the rest of "
                    "the build 20.0. This machine's two cores did 1.60 times the work of one: at that, the libraries' work takes "
                    "15.0 s, and the whole build's 27.5 s; on both cores the build took 30.5 s. The target is 12 s.")


def test_two_cores_do_the_work_of_two_loops_in_the_time_the_slower_of_a_pair_took():
    # One loop alone in 1.0 s (the median of three); two at once, the slower done in 1.25 s (the
    # median of the pairs' slower): two loops' work in 1.25 s, 1.6 times one core's.
    assert throughput([1.1, 1.0, 0.9], [[1.2, 1.25], [1.2, 1.0], [1.4, 1.1]]) == pytest.approx(1.6)
    assert throughput([1.0], [[1.0, 1.0]]) == pytest.approx(2.0)  # two cores as good as two


def test_the_machine_s_speed_line_gives_each_moment_its_three_figures():
    from benchmarks.run import speed_line
    assert speed_line([("at the start", (0.5, 0.81, 1.754)), ("after 30 briefs", (0.6, 0.9, 1.5))]).endswith(
        "two at once): 0.50, 0.81 and 1.75 at the start; 0.60, 0.90 and 1.50 after 30 briefs.")


def test_the_machine_runs_the_loop_alone_and_two_copies_at_once():
    alone, pair = loops(1, additions=100_000), loops(2, additions=100_000)
    assert len(alone) == 1 and len(pair) == 2 and all(seconds > 0 for seconds in (*alone, *pair))
