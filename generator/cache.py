"""cache.py — what the last build made, so the next one redoes only what changed.

Two tables in one SQLite file beside the output folder:
- files: each content file's size, mtime and SHA-256, and its checked result (model, problems,
  references), so an unchanged file is neither read nor parsed again;
- pages: each output file's key (a digest of its template and everything in its context), and
  the size and mtime it had in the output folder, so an unchanged page is hard-linked from the
  previous site instead of rendered, and one edited in site/ by hand is noticed and redone.

The cache is an optimisation only: it records the code and library versions it was made with,
and one made by other code, or unreadable in any way, is dropped and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import pickle
import sqlite3
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from generator.validate import Checked

FORMAT = "1"
LIBRARIES = ("jinja2", "markdown", "nh3", "pyyaml", "pycountry", "markupsafe")


@dataclass(frozen=True)
class FileEntry:
    size: int
    mtime_ns: int
    sha: str
    checked: bytes  # a pickled Checked, unpickled only when used


@dataclass(frozen=True)
class PageEntry:
    key: str
    size: int
    mtime_ns: int
    links: bytes  # pickled (links, ids) for the link check


def code_fingerprint() -> str:
    """A digest of everything besides content and templates that decides the output: our code,
    Python's version and the libraries' versions. (Each page's key covers its own templates.)"""
    digest = hashlib.sha256(f"{FORMAT} {sys.version}".encode())
    for library in LIBRARIES:
        try:
            digest.update(f"{library}={metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(library.encode())
    package = Path(__file__).parent
    for file in sorted([*package.glob("*.py"), *package.glob("*.json")]):
        digest.update(file.name.encode() + file.read_bytes())
    return digest.hexdigest()


class BuildCache:
    """The cache of one output folder. With `path=None` it remembers nothing (a cold build)."""

    def __init__(self, path: Path | None, fingerprint: str):
        self.path, self.fingerprint = path, fingerprint
        self.files: dict[str, FileEntry] = {}
        self.pages: dict[str, PageEntry] = {}
        self.dropped = ""  # why a cache that was there could not be used
        if path is not None and path.exists():
            try:
                self._read()
            except (sqlite3.Error, ValueError, KeyError) as exc:
                self.files, self.pages = {}, {}
                self.dropped = f"the build cache {path} could not be read ({exc}); building without it"

    def _read(self) -> None:
        with sqlite3.connect(self.path) as db:
            meta = dict(db.execute("SELECT name, value FROM meta"))
            if meta.get("fingerprint") != self.fingerprint:
                return  # made by other code or other templates: stale, so start afresh
            self.files = {row[0]: FileEntry(*row[1:]) for row in db.execute("SELECT path, size, mtime_ns, sha, checked FROM files")}
            self.pages = {row[0]: PageEntry(*row[1:]) for row in db.execute("SELECT path, key, size, mtime_ns, links FROM pages")}

    def checked(self, path: str, size: int, mtime_ns: int) -> Checked | None:
        """The cached result for a content file whose size and mtime are unchanged."""
        entry = self.files.get(path)
        if entry is None or (entry.size, entry.mtime_ns) != (size, mtime_ns):
            return None
        try:
            return pickle.loads(entry.checked)
        except Exception:  # a damaged entry is a miss, never an error
            return None

    def save(self, files: dict[str, FileEntry], pages: dict[str, PageEntry]) -> None:
        """Replace the cache's contents with this build's, in one transaction."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".new")
        temporary.unlink(missing_ok=True)
        with sqlite3.connect(temporary) as db:
            db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)")
            db.execute("CREATE TABLE files (path TEXT PRIMARY KEY, size INT, mtime_ns INT, sha TEXT, checked BLOB)")
            db.execute("CREATE TABLE pages (path TEXT PRIMARY KEY, key TEXT, size INT, mtime_ns INT, links BLOB)")
            db.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (self.fingerprint,))
            db.executemany("INSERT INTO files VALUES (?, ?, ?, ?, ?)",
                           ((path, e.size, e.mtime_ns, e.sha, e.checked) for path, e in files.items()))
            db.executemany("INSERT INTO pages VALUES (?, ?, ?, ?, ?)",
                           ((path, e.key, e.size, e.mtime_ns, e.links) for path, e in pages.items()))
        temporary.replace(self.path)  # a crash mid-save leaves the old cache or none, never half of one
        self.files, self.pages = files, pages
