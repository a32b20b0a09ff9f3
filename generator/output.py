"""output.py — stage 6: files into a staging folder, then swapped into place in one step.

The previous site stays untouched until the new one is complete (indexed included); a build
that fails or is interrupted at any point removes its staging folder and leaves the old output
exactly as it was.

The site the swap replaces is not deleted: it is kept beside the output as the spare
(`.site.spare`), and the next build stages into it, two builds behind, bringing it up to date
instead of building a folder of 30,000 files from nothing. Files that did not change since it
was the site stay; files the last build changed are hard-linked from the current site; only
what this build changes is written. A file is never written in place (it may be a hard link
shared with the live site): it is unlinked first and written anew.
"""

from __future__ import annotations

import ctypes
import errno
import marshal
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from generator.errors import BuildError

if TYPE_CHECKING:
    from generator.build import Output
    from generator.cache import PageEntry
    from generator.pages import StandIn

WRITE_BUFFER = 1 << 20  # bytes, for a file written in pieces (Staging.write)


class Staging:
    """A staging folder beside `out_dir`; `commit()` swaps it in, leaving it undoes everything.

    With `spare` (the cache's entries for the files the spare folder held when it was last the
    site), the spare becomes the staging folder; `holding` says which files it already has.
    Without a spare, but with `site` (the entries for the files of `out_dir`), the staging folder
    starts as a copy of the site made of hard links, by another process while the build goes on.
    With `keep_replaced`, the site the commit replaces becomes the spare; otherwise it is deleted."""

    def __init__(self, out_dir: Path, spare: dict[str, PageEntry] | None = None, keep_replaced: bool = False,
                 site: dict[str, PageEntry] | None = None):
        self.out_dir = out_dir.resolve()
        self.keep_replaced = keep_replaced
        self.folder = self.sibling(f"staging-{os.getpid()}")
        self.spare_folder = self.sibling("spare")
        self._manifest = spare or {}
        self._site = site or {}
        self.present: dict[str, tuple[int, int]] = {}  # files in the staging folder: (size, mtime_ns)
        self._reused = False  # whether the staging folder began as a spare
        self._shared = False  # whether it may hold hard links to the live site's files
        self._made: set[str] = set()
        self._listing: Helper | None = None  # of a reused spare, until it is read into `present`
        self._mirroring: tuple[str, Helper] | None = None  # a folder mirrored ahead, until `mirror` asks for it
        self._source, self._target = f"{self.out_dir}{os.sep}", f"{self.folder}{os.sep}"

    def sibling(self, role: str) -> Path:
        return self.out_dir.with_name(f".{self.out_dir.name}.{role}")

    def __enter__(self) -> Staging:
        shutil.rmtree(self.folder, ignore_errors=True)
        # Replaced sites whose background deletion did not finish, and staging folders of builds
        # that were killed (the machine stopped first). Builds of one site take turns (the build's
        # lock), so no other build is using them.
        for pattern in ("previous-*", "staging-*"):
            for leftover in self.out_dir.parent.glob(f".{self.out_dir.name}.{pattern}"):
                remove_in_background(leftover)
        if self._manifest and self.spare_folder.is_dir():
            self._guard(os.replace, self.spare_folder, self.folder)  # a build that dies here leaves no spare
            self._listing = Helper(walk, self.folder)  # read when first needed: the build goes on meanwhile
            self._reused = self._shared = True
        else:
            if self.spare_folder.exists():  # its contents are unknown: not worth sorting out
                retire(self.spare_folder, self.out_dir)
            self._guard(self.folder.mkdir, parents=True)
            if self._site and self.out_dir.is_dir():
                # The first rebuild after a cold build has no spare: linking the site's 31,000 files
                # one by one took it a second. Written through as a reused spare would be.
                self._manifest = self._site
                self._listing = Helper(link_tree, self.out_dir, self.folder)
                self._shared = True
        return self

    def __exit__(self, *exc_info) -> None:
        for helper in (self._listing, self._mirroring and self._mirroring[1]):
            if helper is not None:
                helper.cancel()
        if self._reused and self.folder.exists() and not self.spare_folder.exists():
            # A build that failed in a reused spare puts it back: the files it changed no longer
            # match the cache's record of the spare, so the next build redoes them.
            try:
                os.replace(self.folder, self.spare_folder)
                return
            except OSError:
                pass
        # Out of the way, and deleted in the background (if there is one: a committed build has
        # none): a build that failed as it rendered at 10,000 briefs, or that found nothing
        # changed while the site was being linked into the folder, waited 0.5 s and more.
        retire(self.folder, self.out_dir)

    def _guard(self, action, *args, **kwargs):
        try:
            return action(*args, **kwargs)
        except OSError as exc:
            raise BuildError(f"could not write the site to {self.out_dir}: {exc}") from exc

    def _listed(self) -> None:
        """Wait for the reused spare's listing, if it is still being made."""
        if self._listing is not None:
            listing = self._listing.result()
            self.present, self._made = listing if listing is not None else walk(self.folder)
            self._listing = None

    def holding(self, files: Iterable[Output | StandIn]) -> dict[str, PageEntry]:
        """The files that the staging folder (a reused spare, or a copy of the site) already has
        as their keys make them, with their entries."""
        self._listed()
        manifest, present = self._manifest, self.present  # looked up once: asked of 31,000 files
        return {file.path: held for file in files if (held := manifest.get(file.path)) is not None
                and held.key == file.key and present.get(file.path) == (held.size, held.mtime_ns)}

    def keep_only(self, wanted: set[str]) -> None:
        """Delete every file of a reused spare that this build does not make, and the folders that
        leaves empty; call before writing, so no stale file or folder stands in a new one's way."""
        self._listed()
        emptied = set()
        for relative in sorted(self.present.keys() - wanted):
            self._guard(os.unlink, self._target + relative)
            del self.present[relative]
            emptied.add(relative.rpartition("/")[0])
        for folder in sorted(emptied, key=len, reverse=True):  # deepest first
            while folder:
                try:
                    os.rmdir(self._target + folder)
                except OSError:  # not empty: it holds a file this build keeps or makes
                    break
                self._made.discard(folder)
                folder = folder.rpartition("/")[0]

    def clear(self, relative: str) -> None:
        """Remove a folder of the staging folder, such as a search index about to be replaced."""
        shutil.rmtree(self._target + relative, ignore_errors=True)

    def _parent(self, relative: str) -> str:
        # Plain strings, not Path objects: a rebuild links tens of thousands of files.
        self._listed()
        folder = relative.rpartition("/")[0]
        if folder not in self._made:
            self._guard(os.makedirs, self._target + folder, exist_ok=True)
            self._made.add(folder)
        target = self._target + relative
        if self._shared and relative in self.present:
            self._guard(os.unlink, target)  # never write through a link shared with the live site
        return target

    def write(self, relative: str, data: bytes | list[bytes]) -> tuple[int, int]:
        """Write a file: its bytes, or its pieces one after another. Return its size and mtime as
        written, which the build cache records: asking again after the build is a second pass
        over every file (0.35 s at 10,000 briefs)."""
        target = self._parent(relative)
        if isinstance(data, bytes):
            with self._guard(open, target, "wb") as file:
                self._guard(file.write, data)
                return self._written(file)
        # Pieces (a whole-archive export: 20,000 of them, 46 MB at 10,000 briefs) go through a
        # large buffer: with the default 8 KiB one, every other piece is a system call.
        with self._guard(open, target, "wb", buffering=WRITE_BUFFER) as file:
            self._guard(file.writelines, data)
            return self._written(file)

    def _written(self, file) -> tuple[int, int]:
        # Flushed first: the last write sets the mtime, and closing the file writes nothing more.
        self._guard(file.flush)
        stat = os.fstat(file.fileno())
        return stat.st_size, stat.st_mtime_ns

    def link(self, relative: str) -> None:
        """Take an unchanged file from the current site (a hard link; a copy where links fail)."""
        self._guard(link_or_copy, self._source + relative, self._parent(relative))

    def mirror_ahead(self, relative: str) -> None:
        """Start mirroring a folder of the site that this build will keep as it is (the search
        index, for a build that does not index) in another process; `mirror` then waits for it.
        After a re-index that links 10,500 files anew (0.15 s at 10,000 briefs) while the second
        core is free. Call it once the content is loaded: during the load's own 10,000 file system
        calls it slowed them down by as much as it saved."""
        if os.path.isdir(self._source + relative):
            self._mirroring = (relative, Helper(mirror_tree, self._source + relative, self._target + relative))

    def mirror(self, relative: str) -> None:
        """Make a folder of the staging folder hold exactly what the current site's holds, as hard
        links (mirror_tree), for the search index kept by --no-index; done already if it was
        mirrored ahead and the process that did it succeeded."""
        if self._mirroring is not None and self._mirroring[0] == relative:
            helper, self._mirroring = self._mirroring[1], None
            if helper.result() is not None:
                return
        self._guard(mirror_tree, self._source + relative, self._target + relative)

    def commit(self) -> None:
        """Swap the staging folder in as the output folder; the replaced site becomes the spare."""
        if not self.out_dir.exists():
            self._guard(os.replace, self.folder, self.out_dir)
            return
        if self._guard(exchange, self.folder, self.out_dir):
            try:
                os.replace(self.folder, self.spare_folder)
            except OSError:
                return  # the new site is in place; without a spare the next build starts afresh
        else:
            # No atomic exchange here (not Linux, or a file system without it): two renames,
            # with a moment between them when there is no site.
            self._guard(os.replace, self.out_dir, self.spare_folder)
            try:
                self._guard(os.replace, self.folder, self.out_dir)
            except BuildError:
                os.replace(self.spare_folder, self.out_dir)  # put the previous site back
                raise
        if not self.keep_replaced:
            retire(self.spare_folder, self.out_dir)


def _size_and_mtime(entry: os.DirEntry) -> tuple[int, int]:
    stat = entry.stat(follow_symlinks=False)
    return stat.st_size, stat.st_mtime_ns


def walk(root: Path, skip: str = "pagefind", record: Callable[[os.DirEntry], object] = _size_and_mtime) -> tuple[dict, set[str]]:
    """Every file under `root` with its size and mtime (or what `record` takes of it), and every
    folder, as paths relative to `root` (the top folder `skip` aside: the search index is kept or
    replaced whole); one scandir, and one stat per file."""
    files, folders = {}, {""}
    pending = [("", str(root))]
    while pending:
        relative, absolute = pending.pop()
        with os.scandir(absolute) as entries:
            for entry in entries:
                name = f"{relative}/{entry.name}" if relative else entry.name
                if entry.is_dir(follow_symlinks=False):
                    if name != skip:
                        folders.add(name)
                        pending.append((name, entry.path))
                else:
                    files[name] = record(entry)
    return files, folders


def link_tree(source: str, target: str) -> tuple[dict, set[str]]:
    """Fill the folder `target` with hard links to the files under `source` (its search index
    aside, as walk leaves it); return the listing of `target` they make, as `walk` gives it."""
    files, folders = walk(Path(source))
    for folder in sorted(folders):
        os.makedirs(os.path.join(target, folder), exist_ok=True)
    for name in list(files):
        try:
            os.link(os.path.join(source, name), os.path.join(target, name))
        except OSError:
            del files[name]  # not there: the build makes it
    return files, folders


def mirror_tree(source: str, target: str) -> list[str]:
    """Make the folder `target` hold exactly what `source` holds, as hard links: files that already
    are the source's (the same inode) stay, the others are linked anew (copied where links fail),
    and what `source` lacks is deleted. Return the files linked anew. For the search index kept by
    --no-index: after a re-index, only the files Pagefind changed are linked again."""
    wanted, wanted_folders = walk(Path(source), skip="", record=os.DirEntry.inode)
    held, held_folders = walk(Path(target), skip="", record=os.DirEntry.inode) if os.path.isdir(target) else ({}, set())
    for name, inode in held.items():
        if wanted.get(name) != inode:
            os.unlink(f"{target}/{name}")
    for folder in sorted(held_folders - wanted_folders, key=len, reverse=True):  # deepest first
        os.rmdir(f"{target}/{folder}")
    for folder in sorted(wanted_folders - held_folders):
        os.makedirs(f"{target}/{folder}", exist_ok=True)
    linked = [name for name, inode in sorted(wanted.items()) if held.get(name) != inode]
    for name in linked:
        link_or_copy(f"{source}/{name}", f"{target}/{name}")
    return linked


def refresh_spare(out_dir: Path, relative: str) -> None:
    """Make the spare's folder `relative` hold what the site's holds (mirror_tree), if there is a
    spare. For the search index after a re-index, which serve makes while the editor pauses: the
    next rebuild, staged in the spare, then has no index to link. In serve at 10,000 briefs on
    disk, that rebuild used to link 10,561 files while the disk wrote the new index back: an
    addition took 1.41-2.21 s, now 1.08-1.38 s. Nothing relies on the spare's copy: every build
    mirrors the site's index into its staging folder, or indexes afresh."""
    spare = Staging(out_dir).spare_folder
    if spare.is_dir() and (out_dir / relative).is_dir():
        try:
            mirror_tree(str(out_dir / relative), str(spare / relative))
        except OSError:
            pass  # the next build mirrors it


def link_or_copy(source: str, target: str) -> None:
    """A hard link to `source` at `target`; a copy where the file system cannot link."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


class Helper:
    """One of this module's functions (`walk`, `link_tree`, `mirror_tree`) run by a separate Python
    process while this one goes on, on the second core, which idles as the build loads and plans:
    at 10,000 briefs listing the spare's 31,000 files takes a fifth of a rebuild. (A forked process
    would slow this one down: copy-on-write faults in its hundreds of megabytes. And file system
    work in another process still slows this one's own: see `Staging.mirror_ahead`.)"""

    def __init__(self, function: Callable, *arguments: Path | str):
        # Isolated (no environment variables, no site-packages: it needs only the standard library)
        # and pointed at this very package.
        code = ("import marshal, sys; sys.path.insert(0, sys.argv[1]); import generator.output as output; "
                f"marshal.dump(output.{function.__name__}(*sys.argv[2:]), sys.stdout.buffer)")
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", code, str(Path(__file__).parent.parent), *map(str, arguments)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except OSError:
            self._process = None

    def result(self):
        """What the function returned; None where the process could not start or failed, and the
        caller does the work itself."""
        if self._process is not None:
            data, _ = self._process.communicate()
            if self._process.returncode == 0:
                try:
                    return marshal.loads(data)
                except (EOFError, ValueError, TypeError):
                    pass
        return None

    def cancel(self) -> None:
        """Stop the process if it still runs (a build that ends early, or fails)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()


_RENAME_EXCHANGE, _AT_FDCWD = 2, -100
_renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None) if os.name == "posix" else None


def exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step, so that `second` is never missing; False where this system
    cannot (Linux's renameat2 with RENAME_EXCHANGE, which the standard library does not offer)."""
    if _renameat2 is None:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def retire(folder: Path, out_dir: Path) -> None:
    """Move a folder out of the way under a unique name and delete it in the background."""
    retired = out_dir.with_name(f".{out_dir.name}.previous-{os.urandom(6).hex()}")
    try:
        os.replace(folder, retired)
    except OSError:
        return
    remove_in_background(retired)


def remove_in_background(folder: Path) -> None:
    """Delete a retired site without making the editor wait: at 10,000 briefs that takes seconds,
    and the new site is already in place. Where no process can be started, delete it here."""
    try:
        subprocess.Popen(["rm", "-rf", "--", str(folder)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
