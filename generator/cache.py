"""cache.py — what the last build made, so the next one redoes only what changed.

Ten tables in one SQLite file beside the output folder:
- files: each content file's size, mtime and SHA-256, so an unchanged file is neither read nor
  parsed again (one whose mtime alone changed is read and hashed); for a brief, also its head:
  what planning asks of every brief (model.UP_FRONT), so that a rebuild unpickles only the
  briefs it renders (model.StoredDeal);
- results: each content file's checked result (model, problems, references), pickled: read
  whole for the files that are not briefs, and for a brief only when it is rendered (Reader).
  Kept apart from files, which every build reads whole, for the reason given under links;
- pages: each output file's key (a digest of its template and everything in its context), and
  the size and mtime it had in the output folder, so an unchanged page is hard-linked from the
  previous site instead of rendered, and one edited in site/ by hand is noticed and redone;
- links: each page's links and ids (pickled), for the link check of the next build, which reads
  those of a few pages only. Kept apart from pages, which every build reads whole: with the links
  in it, that table was 30 MB at 10,000 briefs, and reading its short columns meant reading all
  of it (opening the cache at 10,000 briefs took 0.14-0.15 s, now 0.09-0.10 s);
- spare: the same (entry and links) for the site the last build replaced, kept as the spare
  folder (output.py), stored as its differences from pages (most of the two sites' files are the
  same);
- spans: where each brief's share of the whole-archive exports (exports.Fragments) lies in the
  export files the last build wrote, so a rebuild takes the unchanged shares from those files
  and encodes only the briefs that changed. Read only when an export is rendered. The briefs'
  fragment keys, the same for the three exports of a build, are stored once (fragment_keys):
  stored with each, they made every rebuild write 5.4 MB at 10,000 briefs;
- plan: each page set's pages (pages.Planner.record) and, in meta, what their keys were
  computed from, so a rebuild plans afresh only the page sets a change touches;
- compiled: the templates as Jinja compiled them, by name and source checksum, and the
  templates each one uses, so a rebuild neither compiles nor parses unchanged templates again;
- calls: the macro calls templates keep with cached() (render.Renderer.cached), as a deal
  table's rows, so a rebuild that renders a listing neither renders its rows again nor loads
  their briefs. Read when a template first asks for one; dropped with the file of their brief.

The cache is an optimisation only: it records the code and library versions it was made with,
and one made by other code, or unreadable in any way, is dropped and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import mmap
import os
import pickle
import sqlite3
import sys
from array import array
from functools import partial
from importlib import metadata
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

from generator.errors import BuildError
from generator.exports import Fragments, LastExport
from generator.model import UP_FRONT, Deal, StoredDeal
from generator.validate import Checked

FORMAT = "5"
LIBRARIES = ("jinja2", "markdown", "nh3", "pyyaml", "pycountry", "markupsafe")


SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INT, mtime_ns INT, sha TEXT, head BLOB)",
    "CREATE TABLE IF NOT EXISTS results (path TEXT PRIMARY KEY, sha TEXT, checked BLOB)",
    "CREATE TABLE IF NOT EXISTS pages (path TEXT PRIMARY KEY, key TEXT, size INT, mtime_ns INT)",
    "CREATE TABLE IF NOT EXISTS links (path TEXT PRIMARY KEY, links BLOB)",
    "CREATE TABLE IF NOT EXISTS spare (path TEXT PRIMARY KEY, key TEXT, size INT, mtime_ns INT, links BLOB)",
    "CREATE TABLE IF NOT EXISTS spans (path TEXT, key TEXT, field TEXT, names TEXT, keys TEXT, bounds BLOB, PRIMARY KEY (path, key))",
    "CREATE TABLE IF NOT EXISTS fragment_keys (id TEXT PRIMARY KEY, keys BLOB)",
    "CREATE TABLE IF NOT EXISTS plan (name TEXT PRIMARY KEY, pages TEXT)",
    "CREATE TABLE IF NOT EXISTS compiled (key TEXT PRIMARY KEY, checksum TEXT, code BLOB)",
    "CREATE TABLE IF NOT EXISTS calls (name TEXT PRIMARY KEY, owner TEXT, html TEXT)",
    "CREATE INDEX IF NOT EXISTS calls_by_owner ON calls (owner)",
)


def write_changes(db: sqlite3.Connection, table: str, column: str, new: dict, old: dict) -> None:
    """Make a table's rows, keyed by `column`, `new` where they were `old`: rows gone are
    deleted, rows that differ written."""
    db.executemany(f"DELETE FROM {table} WHERE {column} = ?", ((path,) for path in old.keys() - new.keys()))
    changed = {path: entry for path, entry in new.items()
               if (kept := old.get(path)) is not entry and kept != entry}  # most are the same object
    if table == "files":
        # A file checked by this build brings its result; one taken from the cache
        # (restamped perhaps, see current) has none in hand, and its row stands.
        db.executemany("DELETE FROM results WHERE path = ?", ((path,) for path in old.keys() - new.keys()))
        db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?)",
                       [(path, entry.sha, entry.checked) for path, entry in changed.items() if entry.checked])
        changed = {path: entry[:-1] for path, entry in changed.items()}  # the files table's columns
    if changed:
        rows = [(path, *entry) for path, entry in changed.items()]
        db.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)


# Rows of the cache: tuples, which compare and unpack in C (a rebuild compares 60,000 of them).
class FileEntry(NamedTuple):
    size: int
    mtime_ns: int
    sha: str
    head: bytes  # for a brief: its references and UP_FRONT values (its slug among them), marshalled
    checked: bytes  # a pickled Checked (the results table), unpickled only when used; empty for a brief read from the cache


def head_of(result: Checked) -> bytes:
    """What the cache keeps of a checked brief besides its whole result (see FileEntry): plain
    tuples, strings and numbers, marshalled. A rebuild reads 10,000 heads, and marshal reads
    plain data in a third of the time pickle takes to rebuild objects."""
    if result.kind != "deal" or result.model is None or result.errors:
        return b""
    values = tuple(getattr(result.model, name) for name in UP_FRONT)
    return marshal.dumps((tuple(map(tuple, result.references)), values))


def read_head(head: bytes) -> tuple[tuple[tuple[str, str, int, str], ...], dict[str, Any]]:
    """A brief's references, as plain tuples of Reference's fields (10,000 briefs have 40,000:
    made into Reference objects they took 0.018 s of every rebuild), and its UP_FRONT values,
    from its head (see head_of)."""
    references, values = marshal.loads(head)
    return references, dict(zip(UP_FRONT, values))


class Reader:
    """Reads what the cache file holds but a build reads only in part, when it is asked for: a
    brief's whole result (when its StoredDeal is first asked for more than its head), a page's
    links. In this process or a forked worker, each with its own connection. Holds nothing else,
    so the briefs that refer to it keep no cache alive."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection: tuple[int, sqlite3.Connection] | None = None

    def rows(self, query: str, parameters: tuple = ()) -> list[tuple]:
        if self._connection is None or self._connection[0] != os.getpid():  # a forked worker opens its own
            self._connection = os.getpid(), sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True)
        # fetchall, not fetchone: a statement left unfinished would hold a lock on the file
        return self._connection[1].execute(query, parameters).fetchall()

    def model(self, path: str, sha: str) -> Deal:
        """The brief of `path` as the cache holds it for the file with this SHA-256."""
        try:
            rows = self.rows("SELECT checked FROM results WHERE path = ? AND sha = ?", (path, sha))
            if rows:
                return pickle.loads(rows[0][0]).model
            problem = "changed during the build"
        except Exception as exc:  # a damaged row or file is never trusted
            problem = f"could not be read ({exc})"
        raise BuildError(f"the build cache {self.path} {problem} at {path}; build again, or with --no-cache")

    def query(self, query: str, parameters: tuple = ()) -> list[tuple]:
        """rows(), or a BuildError that says the cache could not be read."""
        try:
            return self.rows(query, parameters)
        except sqlite3.Error as exc:
            raise BuildError(f"the build cache {self.path} could not be read ({exc}); build again, or with --no-cache") from exc


LINKS_ONE_BY_ONE = 500  # pages whose links a build reads one by one before it reads them all (BuildCache.links)


class StoredCalls:
    """Macro calls kept by an earlier build (BuildCache.calls): all of them, or those of some
    owners read up front and any other looked up by name when asked for."""

    def __init__(self, rows: dict[str, str], owners: set[str] | None = None, reader: Reader | None = None):
        self.rows, self.owners, self.reader = rows, owners, reader

    def get(self, name: str, owner: str) -> str | None:
        found = self.rows.get(name)
        if found is None and self.owners is not None and owner not in self.owners:
            try:
                rows = self.reader.rows("SELECT html FROM calls WHERE name = ?", (name,))
            except sqlite3.Error:
                return None  # rendered again
            found = rows[0][0] if rows else None
        return found


class SetEntry(NamedTuple):
    pages: str  # a page set of the last plan: a line per page, 1 or 0 (indexed or not), then its URL


class PageEntry(NamedTuple):
    key: str
    size: int
    mtime_ns: int


class ExportSpans(NamedTuple):
    """Where each brief's share lies in a whole-archive export written (build.export_spans)."""

    key: str  # the export file's
    field: str  # of Fragments, its shares'
    names: str  # the digest of the site-wide names they were encoded with
    keys: list[str]  # each brief's fragment key, in order (the same list for every export of a build)
    found: list[tuple[int, int]]  # each share's (start, end) in the file


NOT_IN_SPARE = PageEntry("", -1, -1)  # a row of the spare table: a file of the site the spare lacks


def differences(spare: dict[str, PageEntry], pages: dict[str, PageEntry]) -> dict[str, PageEntry]:
    """The spare's rows as the cache stores them: where its entries differ from the pages'."""
    rows = {path: entry for path, entry in spare.items() if (page := pages.get(path)) is not entry and page != entry}
    return rows | dict.fromkeys(pages.keys() - spare.keys(), NOT_IN_SPARE)


def with_differences(pages: dict[str, PageEntry], rows: dict[str, PageEntry]) -> dict[str, PageEntry]:
    """The spare's entries from the pages' and the spare table's rows (see differences)."""
    spare = dict(pages)
    for path, entry in rows.items():
        if entry == NOT_IN_SPARE:
            spare.pop(path, None)
        else:
            spare[path] = entry
    return spare


def as_recorded(site: str, path: str, entry: PageEntry) -> bool:
    """Whether the file `path` of the site folder `site` (a string that ends in a separator) has
    the size and mtime its entry records. Strings, not Paths: asked of every file of a site that
    has not changed (31,000 at 10,000 briefs), making the Paths took longer than the stat calls."""
    try:
        stat = os.stat(site + path)
    except OSError:
        return False
    return stat.st_size == entry.size and stat.st_mtime_ns == entry.mtime_ns


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
        self.spare: dict[str, PageEntry] = {}
        self._spare_rows: dict[str, PageEntry] = {}  # as stored (see differences)
        self._spare_links: dict[str, bytes] = {}  # the pickled links of the pages among those rows
        self._links: dict[str, bytes] | None = None  # every page's, once read whole (see links)
        self._links_asked = 0
        self.inputs = ""  # the digest of every input of the last build (see build.inputs_digest)
        self.templates_key = ""  # the digest of its templates' bytes and its options (see build.templates_digest)
        self.plan: dict[str, SetEntry] = {}  # the last build's page sets, by "kind:name" (see build.last_plan)
        self.plan_basis = ""  # what the keys of those pages were computed from (Renderer.key_basis)
        self.compiled: dict[str, tuple[str, bytes]] = {}  # Jinja's key -> (source checksum, marshalled code)
        self.calls_basis = ""  # the key basis the kept macro calls were rendered for
        self._calls: dict[str, str] | None = None  # read on first use
        self.dropped = ""  # why a cache that was there could not be used
        self._unpickled: dict[str, tuple[FileEntry, Checked]] = {}  # kept for the next build in this process
        self.reader = Reader(path) if path is not None else None
        self._trusted = False  # whether the file on disk was made by this code
        if path is not None and path.exists():
            try:
                self._read()
            except (sqlite3.Error, ValueError, KeyError) as exc:
                self.files, self.pages, self.spare, self._spare_rows, self.plan, self.compiled = {}, {}, {}, {}, {}, {}
                self._spare_links = {}
                self.dropped = f"the build cache {path} could not be read ({exc}); building without it"
        self._as_known = self._on_disk()

    def _on_disk(self) -> tuple[int, int, int, bytes] | None:
        """The cache file as it stands: its inode, size and mtime, and SQLite's change counter
        (bytes 24-28 of its header, which every committed write increments)."""
        try:
            with open(self.path, "rb") as file:
                stat = os.fstat(file.fileno())
                return stat.st_ino, stat.st_size, stat.st_mtime_ns, file.read(28)[24:]
        except (OSError, TypeError):  # no file, or no path
            return None

    def written_elsewhere(self) -> bool:
        """Whether another process has written the cache file since this object read or wrote it
        (`archive build` while `archive serve` runs): then what this one remembers is not what
        the file holds, and saving over it would pair rows of two builds."""
        return self.path is not None and self._on_disk() != self._as_known

    def reload(self) -> None:
        """Forget what this process remembers, and read the cache file as it is now."""
        self.__init__(self.path, self.fingerprint)

    def _read(self) -> None:
        with sqlite3.connect(self.path) as db:
            meta = dict(db.execute("SELECT name, value FROM meta"))
            if meta.get("fingerprint") != self.fingerprint:
                return  # made by other code or other library versions: stale, so start afresh
            self.inputs, self.templates_key = meta.get("inputs", ""), meta.get("templates", "")
            self.plan_basis = meta.get("plan_basis", "")
            self.calls_basis = meta.get("calls_basis", "")
            self.files = {row[0]: FileEntry(*row[1:], b"") for row in db.execute("SELECT path, size, mtime_ns, sha, head FROM files")}
            # A brief's whole result is read when it is first needed (Reader); other files' now.
            for path, checked in db.execute("SELECT path, checked FROM results JOIN files USING (path, sha) WHERE length(head) = 0"):
                self.files[path] = self.files[path]._replace(checked=checked)
            self.pages = {row[0]: PageEntry(*row[1:]) for row in db.execute("SELECT path, key, size, mtime_ns FROM pages")}
            spare_rows = db.execute("SELECT path, key, size, mtime_ns, links FROM spare").fetchall()
            self._spare_rows = {path: PageEntry(*entry) for path, *entry, _ in spare_rows}
            self._spare_links = {path: links for path, *_, links in spare_rows if links}
            self.spare = with_differences(self.pages, self._spare_rows)
            self.plan = {row[0]: SetEntry(row[1]) for row in db.execute("SELECT name, pages FROM plan")} if self.plan_basis else {}
            self.compiled = {row[0]: row[1:] for row in db.execute("SELECT key, checksum, code FROM compiled")}
            self._trusted = True

    def links(self, path: str) -> bytes:
        """The pickled links and ids of a page as the last build made it (b"" if it has none).

        Read one by one for the first pages asked for (a link check after an edit asks for a
        few dozen), then all at once and kept: after an addition or a deletion the check walks
        thousands of pages, and a query a page took twice as long as reading them all."""
        if self.reader is None or path not in self.pages:
            return b""
        if self._links is None and self._links_asked < LINKS_ONE_BY_ONE:
            self._links_asked += 1
            rows = self.reader.query("SELECT links FROM links WHERE path = ?", (path,))
            return rows[0][0] if rows else b""
        return self.all_links().get(path, b"")

    def spare_links(self, path: str) -> bytes:
        """The same for a page the spare holds in another version than the site's."""
        return self._spare_links.get(path, b"")

    def all_links(self) -> dict[str, bytes]:
        """The pickled links of every page of the site as the last build made it."""
        if self._links is None:
            self._links = dict(self.reader.query("SELECT path, links FROM links")) if self.reader is not None and self.pages else {}
        return self._links

    def outputs_intact(self, out_dir: Path) -> bool:
        """Whether every file the last build wrote is still in `out_dir` as it was written."""
        site = f"{out_dir}{os.sep}"
        # The search index's entry has no file of its own: no size, no mtime.
        return bool(self.pages) and all(as_recorded(site, path, entry) for path, entry in self.pages.items()
                                        if entry.size or entry.mtime_ns)

    def current(self, path: str, size: int, mtime_ns: int, location: str) -> FileEntry | None:
        """The entry of a content file as it is now, if the cache holds its result: where its size
        and mtime are the ones recorded, or else its bytes. A file touched, copied or checked out
        again (a fresh clone has every mtime new) is read and hashed, not checked again: its
        entry comes back with the new mtime."""
        entry = self.files.get(path)
        if entry is None or entry.size != size:
            return None
        if entry.mtime_ns == mtime_ns:
            return entry
        try:
            with open(location, "rb") as file:
                same = hashlib.sha256(file.read()).hexdigest() == entry.sha
        except OSError:
            return None
        return entry._replace(mtime_ns=mtime_ns) if same else None

    def checked(self, path: str, entry: FileEntry) -> Checked | None:
        """The cached result for a content file, from its entry (see `current`)."""
        unpickled = self._unpickled.get(path)
        if unpickled is not None and unpickled[0].sha == entry.sha:  # a process that builds again (serve)
            return unpickled[1]
        try:
            result = self.unpickle(path, entry)
        except Exception:  # a damaged entry is a miss, never an error
            return None
        self._unpickled[path] = (entry, result)
        return result

    def unpickle(self, path: str, entry: FileEntry) -> Checked:
        """A file's result from its entry: whole if the entry holds it, else a brief from its head."""
        if entry.checked or not entry.head:
            return pickle.loads(entry.checked)
        references, up_front = read_head(entry.head)
        return Checked("deal", up_front["slug"], path, StoredDeal.of(up_front, partial(self.reader.model, path, entry.sha)), (), references)

    def remember(self, path: str, entry: FileEntry, result: Checked) -> None:
        """Keep a file checked by this build for the next build in this process, which then gets
        this very object back (serve's planner keeps the pages of objects that did not change)."""
        self._unpickled[path] = (entry, result)

    def last_exports(self, site_dir: Path) -> dict[str, LastExport]:
        """The whole-archive exports as the last build wrote them in `site_dir` (the site the cache
        describes), by the field of Fragments their shares are of, each mapped into memory: no
        second copy of 55 MB in the cache, and nothing read but what is written out again. None
        if any is not there as that build wrote it: then every brief's shares are encoded again."""
        if not self._trusted:
            return {}
        try:
            with sqlite3.connect(self.path) as db:
                # An export's spans hold for the very file they were made with: a spare's older
                # version, taken back, has its own (and is not read here).
                rows = [row for row in db.execute("SELECT path, key, field, names, keys, bounds FROM spans")
                        if (entry := self.pages.get(row[0])) is not None and entry.key == row[1]]
                keys = {keys_id: marshal.loads(db.execute("SELECT keys FROM fragment_keys WHERE id = ?", (keys_id,)).fetchone()[0])
                        for keys_id in {row[4] for row in rows}}  # one list for the exports of a build
        except (sqlite3.Error, ValueError, EOFError, TypeError):
            return {}  # unreadable: encoded again
        positions = {keys_id: dict(zip(found, range(len(found)))) for keys_id, found in keys.items()}
        exports = {field: self._last_export(site_dir, path, names, positions[keys_id], bounds)
                   for path, _, field, names, keys_id, bounds in rows}
        if exports.keys() != set(Fragments._fields) or None in exports.values():
            return {}
        return exports

    def _last_export(self, site_dir: Path, path: str, names: str, positions: dict[str, int],
                     bounds: bytes) -> LastExport | None:
        """An export and its shares' places, if it is as the last build wrote it."""
        entry = self.pages[path]
        try:
            with open(site_dir / path, "rb") as stream:
                stat = os.fstat(stream.fileno())
                if (stat.st_size, stat.st_mtime_ns) != (entry.size, entry.mtime_ns):
                    return None
                # The file is never written in place (output.Staging unlinks first): the mapping
                # stays as it is while the build writes the next version.
                data = memoryview(mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ))
        except (OSError, ValueError):
            return None
        packed = array("q", bounds)
        return LastExport(data, positions, packed[0::2], packed[1::2], names)

    def owners_read_apart(self, basis: str) -> int:
        """Below how many owners `calls(basis, owners)` is worth giving them: 0 if no call is
        kept for this key basis. Reading a brief's rows by their owner takes about three times
        as long a row as reading the whole table, so beyond about two fifths of the briefs the
        whole table is quicker; a third leaves a margin."""
        return len(self.files) // 3 if self._trusted and self.calls_basis == basis else 0

    def calls(self, basis: str, owners: set[str] | None = None) -> StoredCalls:
        """The macro calls an earlier build kept, by name (render.Renderer._call_name), if they
        were rendered for this key basis; none otherwise. Given the `owners` of the calls a
        build will ask for (the files of the briefs its pages show, fewer than
        owners_read_apart), only theirs are read up front: after an edit at 10,000 briefs, the
        rows of 843 briefs in 13 ms instead of all 30,000 in 45-67 ms."""
        if not self._trusted or self.calls_basis != basis:
            return StoredCalls({})
        try:
            if owners is not None:
                with sqlite3.connect(self.path) as db:
                    rows = dict(db.execute("SELECT name, html FROM calls WHERE owner IN (SELECT value FROM json_each(?))",
                                           (json.dumps(sorted(owners)),)))
                return StoredCalls(rows, owners, self.reader)
            if self._calls is None:
                with sqlite3.connect(self.path) as db:
                    self._calls = dict(db.execute("SELECT name, html FROM calls"))
        except sqlite3.Error:
            return StoredCalls({})  # rendered again
        return StoredCalls(self._calls)

    def _save_calls(self, db: sqlite3.Connection, files: dict[str, FileEntry], basis: str,
                    new: dict[str, tuple[str, str]]) -> None:
        """Keep this build's new macro calls; drop those of files that changed or went, or all of
        them if the key basis changed."""
        if basis != self.calls_basis:
            db.execute("DELETE FROM calls")
        else:
            gone = [(f"{path}@{entry.sha}",) for path, entry in self.files.items()
                    if (now := files.get(path)) is not entry and (now is None or now.sha != entry.sha)]
            db.executemany("DELETE FROM calls WHERE owner = ?", gone)
        db.executemany("INSERT OR REPLACE INTO calls VALUES (?, ?, ?)", ((name, *call) for name, call in new.items()))
        db.execute("INSERT OR REPLACE INTO meta VALUES ('calls_basis', ?)", (basis,))

    @staticmethod
    def _save_spans(db: sqlite3.Connection, spans: dict[str, ExportSpans], pages: dict[str, PageEntry],
                    spare: dict[str, PageEntry]) -> None:
        """Keep where each brief's share lies in the export files written (see build.export_spans),
        and forget the spans of export files neither the site nor its spare holds any more."""
        stored = {}  # the fragment keys, by the list's identity: one list for a build's exports
        for written in spans.values():
            if id(written.keys) not in stored:
                data = marshal.dumps(written.keys)
                stored[id(written.keys)] = hashlib.sha256(data).hexdigest()
                db.execute("INSERT OR IGNORE INTO fragment_keys VALUES (?, ?)", (stored[id(written.keys)], data))
        db.executemany("INSERT OR REPLACE INTO spans VALUES (?, ?, ?, ?, ?, ?)",
                       [(path, written.key, written.field, written.names, stored[id(written.keys)],
                         array("q", chain.from_iterable(written.found)).tobytes()) for path, written in spans.items()])
        held = lambda path, key: any((entry := site.get(path)) is not None and entry.key == key for site in (pages, spare))
        gone = [row for row in db.execute("SELECT path, key FROM spans") if not held(*row)]
        db.executemany("DELETE FROM spans WHERE path = ? AND key = ?", gone)
        db.execute("DELETE FROM fragment_keys WHERE id NOT IN (SELECT keys FROM spans)")

    def save(self, files: dict[str, FileEntry], pages: dict[str, PageEntry], inputs: str, templates_key: str = "",
             spare: dict[str, PageEntry] | None = None,
             spans: dict[str, ExportSpans] | None = None,
             plan: tuple[str, dict[str, SetEntry]] | None = None,
             compiled: dict[str, tuple[str, bytes]] | None = None,
             calls: tuple[str, dict[str, tuple[str, str]]] | None = None,
             links: dict[str, bytes] | None = None) -> None:
        """Make the cache this build's: rows that changed are written, rows now gone deleted,
        all in one SQLite transaction, so a crash leaves the old cache whole. `spare`, `plan`
        (its key basis and page sets), `compiled` and `calls` (the key basis and the calls
        rendered by this build) are left as they were when not given; `spans` (where each
        brief's share lies in each export written, see build.export_spans) adds to those kept,
        and `links` (the pickled links of each file this build wrote) to the pages' links. The
        spare must be these pages, or the site they replace (self.pages), or empty. `inputs`
        and `templates_key` are digests of what the build was made from (build.inputs_digest,
        build.templates_digest); a `templates_key` of "" matches no build."""
        spare = self.spare if spare is None else spare
        spare_rows = differences(spare, pages)
        plan_basis, plan_sets = plan or (self.plan_basis, self.plan)
        tables = [("files", "path", files, self.files), ("pages", "path", pages, self.pages),
                  ("plan", "name", plan_sets, self.plan),
                  ("compiled", "key", self.compiled if compiled is None else compiled, self.compiled)]
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.files and not self.pages:
            self.path.unlink(missing_ok=True)  # a stale or unreadable cache is replaced whole
        try:
            with sqlite3.connect(self.path) as db:
                for statement in SCHEMA:
                    db.execute(statement)
                db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                               [("fingerprint", self.fingerprint), ("inputs", inputs), ("templates", templates_key),
                                ("plan_basis", plan_basis)])
                spare_links = self._save_spare(db, spare_rows)  # before the links it may take are replaced
                for table, column, new, old in tables:
                    write_changes(db, table, column, new, old)
                db.executemany("DELETE FROM links WHERE path = ?", ((path,) for path in self.pages.keys() - pages.keys()))
                db.executemany("INSERT OR REPLACE INTO links VALUES (?, ?)", (links or {}).items())
                if calls is not None:
                    self._save_calls(db, files, *calls)
                self._save_spans(db, spans or {}, pages, spare)
        except sqlite3.Error:
            self.path.unlink(missing_ok=True)  # better no cache than a doubtful one
            raise
        self.files, self.pages, self.spare, self._spare_rows = files, pages, spare, spare_rows
        self.inputs, self.templates_key = inputs, templates_key
        self._spare_links = spare_links
        if self._links is not None:  # kept up to date for the next build of this process (serve)
            for gone in self._links.keys() - pages.keys():  # in place: made anew, 31,000 entries took 40 ms
                del self._links[gone]
            self._links.update(links or {})
        self.plan_basis, self.plan = plan_basis, plan_sets
        self.compiled = self.compiled if compiled is None else compiled
        if calls is not None:
            self.calls_basis, self._calls = calls[0], None
        self._trusted = True
        self._as_known = self._on_disk()

    def _save_spare(self, db: sqlite3.Connection, rows: dict[str, PageEntry]) -> dict[str, bytes]:
        """Write the spare's rows (see differences), each with its page's links: a row kept from
        the last save keeps its own; a new one is a page of the site the spare now is, whose
        links the links table holds until this save replaces them. Returns the rows' links."""
        links = {path: self._spare_links.get(path, b"") for path, entry in rows.items()
                 if entry != NOT_IN_SPARE and self._spare_rows.get(path) == entry}
        for path, entry in rows.items():
            if entry != NOT_IN_SPARE and path not in links:
                found = db.execute("SELECT links FROM links WHERE path = ?", (path,)).fetchall()
                links[path] = found[0][0] if found else b""
        db.executemany("DELETE FROM spare WHERE path = ?", ((path,) for path in self._spare_rows.keys() - rows.keys()))
        db.executemany("INSERT OR REPLACE INTO spare VALUES (?, ?, ?, ?, ?)",
                       [(path, *entry, links.get(path, b"")) for path, entry in rows.items() if self._spare_rows.get(path) != entry])
        return {path: found for path, found in links.items() if found}
