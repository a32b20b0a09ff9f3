"""errors.py — the two kinds of failure: the author's (ContentError) and the build's (BuildError).

A ContentError always names the file (relative to the project), the line and the field path, so
an editor can go straight to the problem. ContentErrors carries every problem of a stage at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath


@dataclass(frozen=True, order=True)
class ContentError:
    """One problem in the content: where it is, which field, and what was expected."""

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ContentErrors(Exception):
    """Every content problem found by a stage, sorted by file, then line."""

    def __init__(self, errors: list[ContentError]):
        self.errors = sorted(set(errors))
        super().__init__(self.report())

    def report(self) -> str:
        files = len({e.path for e in self.errors})
        problems = "problem" if len(self.errors) == 1 else "problems"
        in_files = "file" if files == 1 else "files"
        lines = [str(e) for e in self.errors]
        lines.append(f"Found {len(self.errors)} {problems} in {files} {in_files}.")
        return "\n".join(lines)


class BuildError(Exception):
    """A failure that is not the author's: a missing template, Pagefind failing, a disk error."""


def display_path(path: PurePath, root: PurePath) -> str:
    """The path as an editor sees it: relative to the project root where possible, with '/'."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
