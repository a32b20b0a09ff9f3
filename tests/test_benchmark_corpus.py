"""The benchmark's synthetic archive follows the documented content format and says it is fake."""

from pathlib import Path

from benchmarks.corpus import write_corpus
from generator.build import check, load_archive


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
