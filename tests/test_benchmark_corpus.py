"""The benchmark's synthetic archive follows the documented content format and says it is fake."""

import subprocess
import sys
from pathlib import Path

from benchmarks.corpus import write_corpus
from generator.build import check, load_archive

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
    assert list(tmp_path.iterdir()) == [], "the sites are built in a temporary folder and removed"
