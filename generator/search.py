"""search.py — stage 7: index a written site with Pagefind (from the pagefind-bin package)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pagefind_bin

from generator.errors import BuildError

INDEX_FOLDER = "pagefind"


def index_site(site_dir: Path) -> int:
    """Run Pagefind over `site_dir`; return the number of pages it indexed."""
    command = [str(pagefind_bin.get_executable()), "--site", str(site_dir), "--output-subdir", INDEX_FOLDER]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"Pagefind failed (exit {result.returncode}):\n{result.stdout}{result.stderr}")
    return indexed_page_count(site_dir)


def indexed_page_count(site_dir: Path) -> int:
    """Pages in the index, read from Pagefind's own entry file (all languages together)."""
    entry = json.loads((site_dir / INDEX_FOLDER / "pagefind-entry.json").read_text("utf-8"))
    return sum(language["page_count"] for language in entry["languages"].values())
