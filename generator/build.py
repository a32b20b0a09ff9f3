"""build.py — the pipeline, stage by stage: content/ → archive → pages → files → site/.

`check` is the same pipeline without writing or indexing (Zola's `check`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from generator.archive import Archive, build_archive
from generator.errors import ContentErrors
from generator.exports import data_files
from generator.links import check_links
from generator.loader import load_content
from generator.output import write_site
from generator.pages import Page, plan_pages, site_context
from generator.render import make_environment, render_pages, static_files
from generator.search import index_site
from generator.validate import validate

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class BuildResult:
    pages: int
    files: int
    indexed: int | None  # pages in the search index, None when indexing was skipped
    seconds: float


def load_archive(content_dir: Path) -> Archive:
    """Stages 1–3: read, validate and cross-link; raise ContentErrors with every problem."""
    records, load_errors = load_content(content_dir)
    return build_archive(validate(records, load_errors))


def render_site(archive: Archive, templates: Path = TEMPLATES) -> tuple[list[Page], dict[str, bytes]]:
    """Stages 4–5 and 8: every page rendered in memory, with its links checked."""
    pages = plan_pages(archive)
    env = make_environment(templates, site_context(archive))
    files = render_pages(pages, env) | static_files(templates / "static") | data_files(archive)
    broken = check_links(files)
    if broken:
        raise ContentErrors(broken)
    return pages, files


def build(content_dir: Path, out_dir: Path, templates: Path = TEMPLATES, index: bool = True) -> BuildResult:
    """Build the whole site into `out_dir`; on any error, `out_dir` is left as it was."""
    started = time.perf_counter()
    pages, files = render_site(load_archive(content_dir), templates)
    counted: list[int] = []
    write_site(files, out_dir, finish=(lambda staging: counted.append(index_site(staging))) if index else None)
    return BuildResult(len(pages), len(files), counted[0] if counted else None, time.perf_counter() - started)


def check(content_dir: Path, templates: Path = TEMPLATES) -> BuildResult:
    """Everything a build does except writing and indexing."""
    started = time.perf_counter()
    pages, files = render_site(load_archive(content_dir), templates)
    return BuildResult(len(pages), len(files), None, time.perf_counter() - started)
