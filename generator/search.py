"""search.py — stage 7: index a written site with Pagefind (from the pagefind-bin package)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from generator.errors import BuildError
from generator.output import exchange, retire

INDEX_FOLDER = "pagefind"


def index_site(site_dir: Path) -> int:
    """Run Pagefind over `site_dir`, its index in `site_dir`/pagefind; return the pages indexed."""
    _pagefind(site_dir, "--output-subdir", INDEX_FOLDER)
    return indexed_page_count(site_dir)


def index_in_place(site_dir: Path) -> int:
    """Index a live site whose pages stay as they are: Pagefind writes the index beside the site,
    and it takes the old index's place in one step (output.exchange; two renames where there is
    none); return the pages indexed. Staging the whole site for a new index turned the spare
    (the pages from before the last change) into one more copy of the site."""
    for leftover in site_dir.parent.glob(f".{site_dir.name}.index-*"):  # of a build that was killed
        retire(leftover, site_dir)
    fresh = site_dir.with_name(f".{site_dir.name}.index-{os.getpid()}")
    try:
        _pagefind(site_dir, "--output-path", str(fresh))
        pages = _page_count(fresh)
        target = site_dir / INDEX_FOLDER
        if not target.is_dir():
            os.replace(fresh, target)
        elif not exchange(fresh, target):  # no atomic exchange here: a moment without an index
            old = fresh.with_name(f"{fresh.name}-old")
            os.replace(target, old)
            os.replace(fresh, target)
            fresh = old
    except OSError as exc:
        raise BuildError(f"could not put the new search index in {site_dir}: {exc}") from exc
    finally:
        if fresh.exists():
            retire(fresh, site_dir)  # after the exchange, the old index
    return pages


def _pagefind(site_dir: Path, *output: str) -> None:
    import pagefind_bin  # here, not at the top: it imports logging and platform, and most rebuilds do not index

    command = [str(pagefind_bin.get_executable()), "--site", str(site_dir), *output]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"Pagefind failed (exit {result.returncode}):\n{result.stdout}{result.stderr}")


def indexed_page_count(site_dir: Path) -> int:
    """Pages in the index, read from Pagefind's own entry file (all languages together)."""
    return _page_count(site_dir / INDEX_FOLDER)


def _page_count(index_dir: Path) -> int:
    entry = json.loads((index_dir / "pagefind-entry.json").read_text("utf-8"))
    return sum(language["page_count"] for language in entry["languages"].values())
