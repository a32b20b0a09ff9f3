"""output.py — stage 6: files into a staging folder, then swapped into place in one step.

The previous site stays untouched until the new one is complete (indexed included); a build
that fails at any point removes its staging folder and leaves the old output exactly as it was.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

from generator.errors import BuildError


def write_files(files: dict[str, bytes], directory: Path) -> None:
    """Write every file; paths are sorted so the order of writes is the same on every run."""
    for relative in sorted(files):
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[relative])


def write_site(files: dict[str, bytes], out_dir: Path, finish: Callable[[Path], None] | None = None) -> None:
    """Write `files` to a staging folder, run `finish` on it (the search index), then swap it in."""
    out_dir = out_dir.resolve()
    staging = out_dir.with_name(f".{out_dir.name}.staging-{os.getpid()}")
    retired = out_dir.with_name(f".{out_dir.name}.previous-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir(parents=True)
        write_files(files, staging)
        if finish is not None:
            finish(staging)
        if out_dir.exists():
            os.replace(out_dir, retired)
        os.replace(staging, out_dir)
    except OSError as exc:
        raise BuildError(f"could not write the site to {out_dir}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(retired, ignore_errors=True)
