"""output.py — stage 6: files into a staging folder, then swapped into place in one step.

The previous site stays untouched until the new one is complete (indexed included); a build
that fails or is interrupted at any point removes its staging folder and leaves the old output
exactly as it was. Files that did not change are hard-linked from the previous site into the
staging folder instead of written again, which keeps the swap atomic and the rebuild cheap.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

from generator.errors import BuildError


class Staging:
    """A staging folder beside `out_dir`; `commit()` swaps it in, leaving it undoes everything."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir.resolve()
        self.folder = self.out_dir.with_name(f".{self.out_dir.name}.staging-{os.getpid()}")
        self._retired = self.out_dir.with_name(f".{self.out_dir.name}.previous-{uuid.uuid4().hex[:12]}")
        self._made: set[str] = set()
        self._source, self._target = f"{self.out_dir}{os.sep}", f"{self.folder}{os.sep}"

    def __enter__(self) -> Staging:
        shutil.rmtree(self.folder, ignore_errors=True)
        # Replaced sites whose background deletion did not finish (the machine stopped first).
        for leftover in self.out_dir.parent.glob(f".{self.out_dir.name}.previous-*"):
            remove_in_background(leftover)
        self._guard(self.folder.mkdir, parents=True)
        return self

    def __exit__(self, *exc_info) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        if self._retired.exists():
            remove_in_background(self._retired)

    def _guard(self, action, *args, **kwargs):
        try:
            return action(*args, **kwargs)
        except OSError as exc:
            raise BuildError(f"could not write the site to {self.out_dir}: {exc}") from exc

    def _parent(self, relative: str) -> str:
        # Plain strings, not Path objects: a rebuild links tens of thousands of files.
        folder = relative.rpartition("/")[0]
        if folder not in self._made:
            self._guard(os.makedirs, self._target + folder, exist_ok=True)
            self._made.add(folder)
        return self._target + relative

    def write(self, relative: str, data: bytes) -> None:
        target = self._parent(relative)
        with self._guard(open, target, "wb") as file:
            self._guard(file.write, data)

    def link(self, relative: str) -> None:
        """Take an unchanged file from the previous site (a hard link; a copy where links fail)."""
        source, target = self._source + relative, self._parent(relative)
        try:
            os.link(source, target)
        except OSError:
            self._guard(shutil.copy2, source, target)

    def link_tree(self, relative: str) -> None:
        """Take a whole folder of the previous site, such as the search index kept by --no-index."""
        for file in sorted((self.out_dir / relative).rglob("*")):
            if file.is_file():
                self.link(file.relative_to(self.out_dir).as_posix())

    def commit(self) -> None:
        """Swap the staging folder in as the output folder."""
        if self.out_dir.exists():
            self._guard(os.replace, self.out_dir, self._retired)
        try:
            self._guard(os.replace, self.folder, self.out_dir)
        except BuildError:
            if self._retired.exists():
                os.replace(self._retired, self.out_dir)  # put the previous site back
            raise


def remove_in_background(folder: Path) -> None:
    """Delete a retired site without making the editor wait: at 10,000 briefs that takes seconds,
    and the new site is already in place. Where no process can be started, delete it here."""
    try:
        subprocess.Popen(["rm", "-rf", "--", str(folder)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
