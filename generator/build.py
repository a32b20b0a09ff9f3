"""build.py — the pipeline, stage by stage: content/ → archive → pages → files → site/.

    list files → check each file (parallel, cached) → cross-link the archive → plan pages
    → key each output → render what changed into a staging folder (parallel), hard-link the rest
    → check every link → index with Pagefind → swap the staging folder in → save the cache

`check` is the same pipeline into a throwaway folder, without indexing or swapping.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import os
import pickle
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, NamedTuple

try:
    import fcntl
except ImportError:  # not on Windows
    fcntl = None

from generator.archive import Archive, build_archive
from generator.cache import BuildCache, ExportSpans, FileEntry, PageEntry, SetEntry, as_recorded, code_fingerprint, head_of
from generator.errors import ContentErrors
from generator.exports import LAYOUTS, Fragments, LastExport, fragments_of
from generator.keys import page_key
from generator.links import Links, check_changed_links, check_links, extract_links
from generator.loader import Listed, list_content
from generator.model import Deal
from generator.output import Staging, refresh_spare
from generator.pages import LastPlan, Page, Planner, StandIn, recorded_sets, site_context
from generator.parallel import parallel_map
from generator.progress import silent
from generator.render import COMPILED, Renderer, static_files
from generator.search import INDEX_FOLDER, index_in_place, index_site
from generator.validate import Checked, check_file, combine

# progress(stage, done, total): told as each stage starts (done=0) and moves on, for a display.
Progress = Callable[[str, int, int], None]


def _counter(progress: Progress, stage: str, total: int) -> Callable[[int], None]:
    """Announce a stage and return the callback that advances it."""
    done = 0
    progress(stage, 0, total)

    def advance(n: int) -> None:
        nonlocal done
        done += n
        progress(stage, done, total)
    return advance

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CACHE_NAME = ".archive-cache.sqlite"  # beside the output folder: site/ → .site.archive-cache.sqlite
LOCK_NAME = ".archive-lock"  # beside it too: site/ → .site.archive-lock


@dataclass(frozen=True)
class BuildResult:
    pages: int  # HTML pages
    files: int  # every file of the site (pages, feeds, data, assets), the search index aside
    rendered: int  # files rendered by this build; the others were unchanged and kept
    indexed: int | None  # pages in the search index; None when indexing was skipped
    seconds: float
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage, for benchmarks
    notes: tuple[str, ...] = ()


class Written(NamedTuple):
    """A file this build rendered: its links if it is a page (and pickled, as the cache keeps
    them), and its size and mtime as written."""

    links: Links | None
    pickled_links: bytes
    size: int
    mtime_ns: int


class Output(NamedTuple):
    """A file of the site, with its cache key. (A tuple: a rebuild makes 31,000 of them, and a
    frozen dataclass takes four times as long to make.) A page kept from the last build's plan
    by a command-line rebuild (pages.StandIn) is its own output."""

    path: str
    key: str
    page: Page | StandIn | None = None  # None for a static asset, whose bytes are `data`
    data: bytes = b""


class Stopwatch:
    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.stages: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - self.last
        self.last = now

    def total(self) -> float:
        return time.perf_counter() - self.started


@contextmanager
def collector_paused(again: bool = False):
    """The build allocates millions of small objects that live to its end; Python's cycle
    collector would scan them again and again (half the load time at 10,000 briefs). What
    outlives the build (the cache in memory) is frozen out of the collector's sight: its first
    pass after the build would otherwise scan it all (0.8 s at 10,000 briefs).

    A process that builds `again` (serve) first collects the build's garbage, which a freeze
    would keep for good: a Jinja environment refers to itself, and holds its renderer, with the
    export files the renderer maps (41,000 objects and 70 MiB a rebuild at 10,000 briefs). Only
    the objects made since the last freeze are scanned: 0.014-0.06 s a rebuild at 10,000 briefs,
    1.2 s after a first build of them from nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if again:
            gc.collect()
        gc.freeze()
        if enabled:
            gc.enable()


def _check_listed(listed: Listed) -> tuple[bytes, bytes, str]:
    """In a worker: check one file; return the result pickled and its head (for the cache) and
    the file's SHA-256. The file is read once: the digest is of the very bytes checked, even if
    an editor saves the file meanwhile."""
    data = listed.file.read_bytes() if listed.file.is_file() else None
    sha = hashlib.sha256(data).hexdigest() if data is not None else ""
    result = check_file(listed, data)
    return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL), head_of(result), sha


def _unpickled(checked: tuple[bytes, bytes, str]) -> tuple[Checked, bytes, bytes, str]:
    """A worker's result taken back, as it arrives: 10,000 of them took 0.6 s after the last."""
    blob, head, sha = checked
    return pickle.loads(blob), blob, head, sha


def load_archive(content_dir: Path) -> Archive:
    """Stages 1–3 alone, without a cache: the archive, or ContentErrors with every problem."""
    return load_checked(list_content(content_dir))[0]


def load_checked(listing: tuple[list[Listed], list], cache: BuildCache | None = None, jobs: int | None = None,
                 progress: Progress = silent) -> tuple[Archive, dict[int, str], dict[str, FileEntry]]:
    """Stages 1–3: check every listed file (unchanged ones from the cache) and cross-link them.

    Returns the archive, the content digest standing for each brief and system in page keys,
    and the cache entries for this build. Raises ContentErrors with every problem found."""
    listed, listing_errors = listing
    entries: dict[str, FileEntry] = {}
    results = {}
    todo = []
    for item in listed:
        entry = cache.current(item.path, item.size, item.mtime_ns, item.location) if cache else None
        cached = cache.checked(item.path, entry) if entry is not None else None
        if cached is not None and (cached.kind, cached.slug) == (item.kind, item.slug):
            results[item.path], entries[item.path] = cached, entry
        else:
            todo.append(item)
    checked_now = parallel_map(_check_listed, todo, jobs, _counter(progress, "checking", len(todo)), then=_unpickled)
    for item, (result, blob, head, sha) in zip(todo, checked_now):
        results[item.path], entries[item.path] = result, FileEntry(item.size, item.mtime_ns, sha, head, blob)
        if cache:
            cache.remember(item.path, entries[item.path], results[item.path])
    checked = [results[item.path] for item in listed]
    archive = build_archive(combine(checked, listing_errors))
    known = {id(result.model): f"{result.path}@{entries[result.path].sha}" for result in checked
             if result.kind in ("deal", "system")}
    return archive, known, entries


# What the forked render workers read: set just before they start.
_renderer: Renderer | None = None
_staging: Staging | None = None


def _render_output(output: Output) -> tuple[str, Links | None, int, int, dict[str, tuple[str, str]]]:
    """In a worker: render one file into the staging folder; return its links if it is a page,
    its size and mtime, and the macro calls rendered for it, for the cache."""
    data = _renderer.render(output.page) if output.page else output.data
    size, mtime_ns = _staging.write(output.path, data)
    calls, _renderer.new_calls = _renderer.new_calls, {}
    return output.path, extract_links(data) if output.path.endswith(".html") else None, size, mtime_ns, calls


def _written(rendered: tuple[str, Links | None, int, int, dict], for_cache: bool = True) -> tuple[str, Written, dict[str, tuple[str, str]]]:
    """A render worker's result taken back as it arrives, its links pickled if a cache will keep
    them: after the last, 10,500 pages' links took 0.3 s."""
    path, links, size, mtime_ns, calls = rendered
    return path, Written(links, pickle.dumps(links) if links and for_cache else b"", size, mtime_ns), calls


def _encode(deal: Deal) -> Fragments:
    return fragments_of(deal, _renderer.names)


def encode_fragments(renderer: Renderer, deals: tuple[Deal, ...], known: dict[int, str],
                     last: dict[str, LastExport], jobs: int | None, meanwhile: Callable[[], None] | None = None) -> list[str]:
    """Give the renderer each brief's share of the whole-archive exports: where the brief's file
    and the site-wide names are unchanged, its place in the `last` exports; encoded on every core
    where not (`meanwhile` is done here as they are). Returns the briefs' fragment keys (their
    files), in order."""
    global _renderer
    keys = [known[id(deal)] for deal in deals]
    last = {field: export for field, export in last.items() if export.names == renderer.names_digest}
    placed = {field: list(map(export.positions.get, keys)) for field, export in last.items()}
    missing = [index for index, found in enumerate(zip(*placed.values())) if None in found] if placed else range(len(deals))
    _renderer = renderer
    try:
        encoded = parallel_map(_encode, [deals[index] for index in missing], jobs, meanwhile=meanwhile)
    finally:
        _renderer = None
    renderer.take_shares(deals, last, placed, dict(zip(missing, encoded)))
    return keys


def export_spans(renderer: Renderer, written: list[Output], deals: tuple[Deal, ...],
                 keys: list[str]) -> dict[str, ExportSpans]:
    """Where each brief's share lies in the whole-archive exports just written, for the build
    cache (BuildCache.last_exports), by file."""
    spans = {}
    for output in written:
        if output.page and output.page.export in LAYOUTS and output.page.context["deals"] is deals:
            layout, shares = renderer.shares(output.page)
            found = layout.spans(shares, renderer.last_exports.get(layout.field))
            spans[output.path] = ExportSpans(output.key, layout.field, renderer.names_digest, keys, found)
    return spans


def shown_files(todo: list[Output], known: dict[int, str], fewer_than: int) -> set[str] | None:
    """The files (as `known` names them) of the briefs and systems in the contexts of the pages
    to render, the whole-archive exports aside: the owners of the kept calls (a deal table's
    rows) those pages will ask for. None once they are `fewer_than` or more (a pass over every
    page of a full build took 0.06-0.08 s at 10,000 briefs)."""
    shown: set[str] = set()
    for output in todo:
        if type(output.page) is Page and not output.page.export:
            for value in output.page.context.values():
                if type(value) in (tuple, list):
                    shown.update(known[id(item)] for item in value if id(item) in known)
            if len(shown) >= fewer_than:
                return None
    return shown


def render_into(staging: Staging, renderer: Renderer, todo: list[Output], jobs: int | None,
                progress: Progress, for_cache: bool = True) -> dict[str, Written]:
    """Render files into the staging folder, on every core; return what each file is as written
    (with its links pickled, if `for_cache`)."""
    global _renderer, _staging
    renderer.compile({o.page.template for o in todo if o.page and o.page.template})
    _renderer, _staging = renderer, staging
    try:
        rendered = parallel_map(_render_output, todo, jobs, _counter(progress, "rendering", len(todo)),
                                then=functools.partial(_written, for_cache=for_cache))
    finally:
        _renderer = _staging = None
    for _, _, calls in rendered:
        renderer.new_calls.update(calls)
    return {path: written for path, written, _ in rendered}


def from_spare(kept: dict[str, PageEntry], previous: dict[str, PageEntry]) -> list[str]:
    """The files kept from the spare in another version than the last build's: the build before
    last made them (their links are the spare's, BuildCache.spare_links)."""
    return [path for path, entry in kept.items() if (made := previous.get(path)) is not entry and made != entry]


def check_site_links(outputs: list[Output | StandIn], kept: dict[str, PageEntry], rendered: dict[str, Written],
                     cache: BuildCache, taken_back: list[str]) -> list:
    """Every broken link of the site, and every page no link leads to. The last build's links all
    resolved: where that is enough, only what changed since is checked (links.check_changed_links).
    `taken_back` are the files kept from the spare in another version (from_spare)."""
    previous = cache.pages
    paths = {o.path for o in outputs}
    changed = {path: written.links for path, written in rendered.items() if written.links is not None}
    changed |= {path: pickle.loads(cache.spare_links(path)) for path in taken_back if path.endswith(".html")}

    @functools.cache  # the check may ask for a page more than once
    def before(path: str) -> Links | None:
        links = cache.links(path)
        return pickle.loads(links) if links else None

    def may_link_to(files: set[str]) -> set[str]:
        # A byte search of the pickled links, which hold each target's path as UTF-8 text: it
        # may find a page that only mentions the path, never miss one that links to it. Files in
        # a folder are looked for by their folder: a deleted brief's three files in one pass.
        needles = {(file.rpartition("/")[0] + "/" if "/" in file else file).encode("utf-8") for file in files}
        return {path for path, links in cache.all_links().items() if path.endswith(".html") and any(n in links for n in needles)}
    broken = check_changed_links(changed, before, paths, previous.keys() - {INDEX_FOLDER}, may_link_to)
    if broken is not None:
        return broken
    stored = cache.all_links()
    links = {path: pickle.loads(stored[path]) for path in kept if path.endswith(".html") and path not in changed and stored.get(path)}
    return check_links({**links, **changed}, paths)


def index_into(staging: Staging, out_dir: Path, wanted: bool, current: bool, pages: int,
               progress: Progress) -> tuple[int | None, list[str]]:
    """Index the staged site with Pagefind if asked and the last index is out of date; otherwise
    keep the site's index. Return the pages indexed (None if kept) and a note if the index is out
    of date."""
    if wanted and not current:
        staging.clear(INDEX_FOLDER)  # Pagefind would leave a spare's old chunks beside its new ones
        progress("indexing", 0, pages)
        indexed = index_site(staging.folder)
        progress("indexing", pages, pages)
        return indexed, []
    if not (out_dir / INDEX_FOLDER).is_dir():
        staging.clear(INDEX_FOLDER)
        return None, []
    staging.mirror(INDEX_FOLDER)
    return None, [] if current else ["search index not updated (--no-index); it reflects an earlier build"]


def plan_outputs(pages: list[Page | StandIn], renderer: Renderer, known: dict[int, str], templates: Path,
                 planner: Planner, keyed: bool = True) -> list[Output | StandIn]:
    """Every file of the site with its cache key. A page the planner kept from its last plan keeps
    the key it had (the planner forgets them when the templates or site-wide names change); a
    stand-in is its own output. Without `keyed` (a build that keeps no cache), pages get no key:
    there is nothing to compare one with (at 10,000 briefs, 0.4 s of a cold build, on one core)."""
    names, digests = renderer.names_digest, renderer.template_digests
    outputs: list[Output | StandIn] = []
    contexts, last, planner.outputs = {}, planner.outputs, {}
    for page in pages:
        if type(page) is StandIn:  # its own output
            outputs.append(page)
            continue
        found = last.get(id(page))
        if found is None or found.page is not page:
            found = Output(page.path, page_key(page, known, names, digests, contexts) if keyed else "", page)
        outputs.append(found)
        planner.outputs[id(page)] = found
    for path, data in static_files(templates / "static").items():
        outputs.append(Output(path, hashlib.sha256(data).hexdigest(), data=data))
    return outputs


def last_plan(cache: BuildCache, entries: dict[str, FileEntry]) -> LastPlan | None:
    """The last build's plan as the cache recorded it, with each brief changed since (`entries`
    are this build's files); None if there is none, or if more than briefs changed."""
    if not cache.plan or (changed := changed_briefs(cache, entries)) is None:
        return None
    records = {(kind, slug): entry.pages for name, entry in cache.plan.items() for kind, _, slug in [name.partition(":")]}
    sets = recorded_sets(records, cache.pages)
    return LastPlan(cache.plan_basis, sets, changed, records) if sets is not None else None


def changed_briefs(cache: BuildCache, entries: dict[str, FileEntry]) -> dict[str, list[Deal]] | None:
    """Each brief whose file differs from the cache's, with its versions before and after (one
    if it is new or gone); None if another kind of file differs, or an old version is unreadable."""
    changed: dict[str, list[Deal]] = {}
    for path in entries.keys() | cache.files.keys():
        before, now = cache.files.get(path), entries.get(path)
        if before is now or (before and now and before.sha == now.sha):  # the same bytes: the same pages
            continue
        for entry in filter(None, (before, now)):
            try:
                checked = cache.unpickle(path, entry)
            except Exception:  # a damaged entry: plan in full
                return None
            if checked.kind != "deal" or checked.model is None:
                return None  # a party, a system or the site settings: pages all over may change
            changed.setdefault(checked.slug, []).append(checked.model)
    return changed


def recorded_plan(planner: Planner, key_basis: str) -> tuple[str, dict[str, SetEntry]]:
    """The plan as the cache records it for the next build (see last_plan)."""
    return key_basis, {name: SetEntry(pages) for name, pages in planner.record().items()}


def same_keys(outputs: list[Output | StandIn], previous: dict[str, PageEntry]) -> bool:
    """Whether the last build made exactly these files with these keys."""
    if len(outputs) != len(previous) - (INDEX_FOLDER in previous):
        return False
    return all((entry := previous.get(o.path)) is not None and entry.key == o.key for o in outputs)


def unchanged(output: Output | StandIn, previous: PageEntry | None, site: str) -> bool:
    """Whether the previous site (`site`, its folder ending in a separator) holds this file as
    this build would make it (and untouched)."""
    return previous is not None and previous.key == output.key and as_recorded(site, output.path, previous)


def reuse_unchanged(staging: Staging, outputs: list[Output | StandIn], cache: BuildCache, previous_dir: Path,
                    commit: bool) -> dict[str, PageEntry]:
    """The files this build need not render, with their cache entries: those the reused spare
    already holds, and those the previous site holds as wanted, hard-linked into the staging
    folder (a check only reads their links from the cache). Stale files of the spare go first."""
    kept, site = staging.holding(outputs), f"{previous_dir}{os.sep}"
    linked = {o.path: cache.pages[o.path] for o in outputs
              if o.path not in kept and unchanged(o, cache.pages.get(o.path), site)}
    if commit:
        staging.keep_only({o.path for o in outputs})
        for path in linked:
            staging.link(path)
    return kept | linked


def output_entries(todo: list[Output], kept: dict[str, PageEntry], rendered: dict[str, Written]) -> dict[str, PageEntry]:
    """The cache entries of this build's files: kept or hard-linked, a file's entry stands; a
    file rendered (each of `todo`) is recorded as it was written (moving the folder changes no
    file's mtime)."""
    entries = dict(kept)
    for output in todo:
        written = rendered[output.path]
        entries[output.path] = PageEntry(output.key, written.size, written.mtime_ns)
    return entries


def new_links(taken_back: list[str], rendered: dict[str, Written], cache: BuildCache) -> dict[str, bytes]:
    """The pickled links of the files whose version differs from the last build's: rendered, or
    kept from the spare in another version (`taken_back`, see from_spare)."""
    return {path: cache.spare_links(path) for path in taken_back} | {path: written.pickled_links for path, written in rendered.items()}


def inputs_digest(listing: tuple[list[Listed], list], templates: Path) -> str:
    """A digest of every input file's name, size and mtime (content, templates): with the options
    (see _run), when it is the last build's and that build's output is intact, there is nothing
    to do."""
    listed, errors = listing
    digest = hashlib.sha256()
    for item in listed:
        digest.update(f"{item.path}\0{item.size}\0{item.mtime_ns}\n".encode())
    for error in errors:  # misnamed files: the build fails, but they are inputs all the same
        digest.update(f"{error.path}\n".encode())
    for file in sorted(templates.rglob("*")):
        stat = file.lstat()
        digest.update(f"{file}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def templates_digest(templates: Path, index: bool) -> str:
    """A digest of the bytes of every file of the templates folder, and the index option: with
    the content files' SHA-256 (see same_contents), what decides every byte of the site."""
    digest = hashlib.sha256(f"index={index}\n".encode())
    for file in sorted(templates.rglob("*")):
        if file.is_file():
            digest.update(f"{file.relative_to(templates).as_posix()}\0".encode() + hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def same_contents(cache: BuildCache, entries: dict[str, FileEntry], templates_key: str) -> bool:
    """Whether every input has the bytes it had for the last build (`templates_key` as
    templates_digest gives it, `entries` this build's content files), whatever the files' mtimes
    say (a checkout, a copy, a touch): the site then comes out as that build made it."""
    last = cache.files
    return (templates_key == cache.templates_key and entries.keys() == last.keys()
            and all(entry.sha == last[path].sha for path, entry in entries.items()))


def unchanged_site(cache: BuildCache, clock: Stopwatch) -> BuildResult:
    """The result of a build that finds the site as the last build made it."""
    html = sum(path.endswith(".html") for path in cache.pages)
    files = len(cache.pages) - (INDEX_FOLDER in cache.pages)
    return BuildResult(html, files, 0, None, clock.total(), clock.stages, ("nothing changed",))


def plan_site(archive: Archive, known: dict[int, str], file_entries: dict[str, FileEntry], cache: BuildCache,
              templates: Path, planner: Planner, caching: bool, last_exports: dict[str, LastExport],
              jobs: int | None) -> tuple[Renderer, list[Output | StandIn], list[str] | None]:
    """The renderer and every file of the site, planned afresh where the last plan (the
    planner's, or else the cache's) does not stand.

    Where no brief's share of the whole-archive exports can be taken from the `last_exports` (a
    cold build, new site-wide names), the workers encode them all while the pages are planned and
    their templates compiled here (at 10,000 briefs, about a second that left a core idle): then the
    briefs' fragment keys are returned too (see render_site)."""
    COMPILED.add_marshalled(cache.compiled)
    renderer = Renderer(templates, site_context(archive), known, cache.calls if caching else None)
    last = last_plan(cache, file_entries) if planner.archive is None else None
    outputs: list[Output | StandIn] = []

    def plan() -> None:
        outputs.extend(plan_outputs(planner.plan(archive, renderer.key_basis, last), renderer, known, templates,
                                    planner, caching))
    if any(export.names == renderer.names_digest for export in last_exports.values()):
        plan()
        return renderer, outputs, None

    def plan_and_compile() -> None:  # nearly every page renders: render_into will find them compiled
        plan()
        renderer.compile({o.page.template for o in outputs if type(o.page) is Page and o.page.template})
    return renderer, outputs, encode_fragments(renderer, archive.deals, known, {}, jobs, meanwhile=plan_and_compile)


def reindex_in_place(out_dir: Path, html_pages: int, progress: Progress, clock: Stopwatch) -> int:
    """Index the site the last build made, where it stands, and give its spare the new index."""
    progress("indexing", 0, html_pages)
    indexed = index_in_place(out_dir)
    refresh_spare(out_dir, INDEX_FOLDER)  # the next rebuild, staged in the spare, has it then
    progress("indexing", html_pages, html_pages)
    clock.lap("index")
    return indexed


def render_site(staging: Staging, renderer: Renderer, todo: list[Output], archive: Archive, known: dict[int, str],
                cache: BuildCache, last_exports: dict[str, LastExport], jobs: int | None, progress: Progress,
                caching: bool, keys: list[str] | None) -> tuple[dict[str, Written], dict]:
    """Render `todo` into the staging folder: the files written, and where each brief's share
    lies in the exports among them (see export_spans). `keys` are the briefs' fragment keys if
    their shares were encoded as the site was planned (plan_site)."""
    spans = {}
    if any(o.page and o.page.export in LAYOUTS for o in todo):
        if keys is None:
            keys = encode_fragments(renderer, archive.deals, known, last_exports, jobs)
        spans = export_spans(renderer, todo, archive.deals, keys)
    fewer_than = cache.owners_read_apart(renderer.key_basis) if caching else 0
    renderer.shown_files = shown_files(todo, known, fewer_than) if fewer_than else None
    return render_into(staging, renderer, todo, jobs, progress, caching), spans


def _run(content_dir: Path, out_dir: Path, templates: Path, index: bool, jobs: int | None,
         cache: BuildCache, commit: bool, progress: Progress, clock: Stopwatch,
         previous_dir: Path | None = None, planner: Planner | None = None) -> BuildResult:
    """The pipeline into `out_dir`, reusing from `previous_dir` (the site `cache` describes; by
    default `out_dir` itself) what is unchanged, and from `planner` the pages of its last plan
    that no change touched. Without `commit`, nothing is swapped or saved. `clock` was started
    by the caller, before it opened the cache."""
    previous_dir, planner = previous_dir or out_dir, planner or Planner()
    listing = list_content(content_dir)
    sources = inputs_digest(listing, templates) if commit else ""
    inputs = f"{sources} index={index}" if commit else ""
    if commit and inputs == cache.inputs and cache.outputs_intact(out_dir):
        clock.lap("inputs")
        return unchanged_site(cache, clock)
    caching = cache.path is not None  # keys, pickled links and named calls are for the cache; without one, none
    # The site this build replaces is kept as the spare if the cache will say what it holds; a
    # reused spare is listed, or without one the site is linked into the staging folder, by
    # another process while the build loads and plans.
    stage = lambda: Staging(out_dir, cache.spare if commit else None, keep_replaced=caching,
                            site=cache.pages if commit else None)
    # A build that only indexes what the last one made (serve, once the editor pauses) swaps in
    # the new index alone: through the spare, it made the spare a copy of the site, and lost the
    # pages from before the last change, which undoing that change needs.
    reindex = commit and index and cache.inputs == f"{sources} index=False"
    with ExitStack() as stack:
        staging = None if reindex else stack.enter_context(stage())
        archive, known, file_entries = load_checked(listing, cache, jobs, progress)
        templates_key = templates_digest(templates, index) if commit else ""
        if commit and same_contents(cache, file_entries, templates_key) and cache.outputs_intact(out_dir) \
                and (not index or (out_dir / INDEX_FOLDER).is_dir()):
            # Every file the same bytes as last time, only touched: the plan is not made again
            # (0.3-0.5 s at 10,000 briefs). The new mtimes are recorded, for the route above.
            cache.save(file_entries, cache.pages, inputs, templates_key)
            clock.lap("load")
            return unchanged_site(cache, clock)
        if commit and not index:  # the search index it keeps: by another process while it plans and renders
            staging.mirror_ahead(INDEX_FOLDER)
        clock.lap("load")
        last_exports = cache.last_exports(previous_dir)
        renderer, outputs, fragment_keys = plan_site(archive, known, file_entries, cache, templates, planner, caching,
                                                     last_exports, jobs)
        index_key = hashlib.sha256("".join(o.key for o in outputs if o.page and o.page.indexed).encode()).hexdigest()
        html_pages = sum(o.path.endswith(".html") for o in outputs)
        clock.lap("plan")
        previous = cache.pages
        index_current = previous.get(INDEX_FOLDER) is not None and previous[INDEX_FOLDER].key == index_key and (out_dir / INDEX_FOLDER).is_dir()
        if commit and same_keys(outputs, previous) and (index_current or not index) and cache.outputs_intact(out_dir):
            # Nothing changed in the output (files were only touched): record the new inputs, so the
            # next build takes the fast path above instead of checking these files again.
            cache.save(file_entries, previous, inputs, templates_key)
            return BuildResult(html_pages, len(outputs), 0, None, clock.total(), clock.stages, ("nothing changed",))
        if reindex and same_keys(outputs, previous) and cache.outputs_intact(out_dir):
            indexed = reindex_in_place(out_dir, html_pages, progress, clock)
            cache.save(file_entries, {**previous, INDEX_FOLDER: PageEntry(index_key, 0, 0)}, inputs, templates_key)
            clock.lap("save")
            return BuildResult(html_pages, len(outputs), 0, indexed, clock.total(), clock.stages)
        if staging is None:  # a re-index of a site changed by hand since: staged after all
            staging = stack.enter_context(stage())
        kept = reuse_unchanged(staging, outputs, cache, previous_dir, commit)
        todo = [o for o in outputs if o.path not in kept]
        if any(type(o.page) is StandIn for o in todo):
            # A page the last build made is not in the site as it made it (deleted or edited by
            # hand): planned again in full, it renders. The keys are the same, so `kept` stands.
            planner.forget()
            outputs = plan_outputs(planner.plan(archive, renderer.key_basis), renderer, known, templates, planner, caching)
            todo = [o for o in outputs if o.path not in kept]
        clock.lap("link")
        rendered, spans = render_site(staging, renderer, todo, archive, known, cache, last_exports, jobs, progress, caching,
                                      fragment_keys)
        clock.lap("render")
        taken_back = from_spare(kept, previous)
        broken = check_site_links(outputs, kept, rendered, cache, taken_back)
        if broken:
            raise ContentErrors(broken)
        clock.lap("links")
        if not commit:
            return BuildResult(html_pages, len(outputs), len(rendered), None, clock.total(), clock.stages)
        indexed, notes = index_into(staging, out_dir, index, index_current, html_pages, progress)
        clock.lap("index")
        replaced = out_dir.exists()
        staging.commit()
    page_entries = output_entries(todo, kept, rendered)
    if indexed is not None:
        page_entries[INDEX_FOLDER] = PageEntry(index_key, 0, 0)
    elif INDEX_FOLDER in previous and (out_dir / INDEX_FOLDER).is_dir():  # kept: linked or held as it was
        page_entries[INDEX_FOLDER] = previous[INDEX_FOLDER]
    cache.save(file_entries, page_entries, inputs, templates_key, spare=previous if replaced else {}, spans=spans,
               plan=recorded_plan(planner, renderer.key_basis), compiled=COMPILED.marshalled(renderer.env),
               calls=(renderer.key_basis, renderer.new_calls), links=new_links(taken_back, rendered, cache))
    clock.lap("save")
    return BuildResult(html_pages, len(outputs), len(rendered), indexed, clock.total(), clock.stages, tuple(notes))


def cache_path(out_dir: Path) -> Path:
    out_dir = out_dir.resolve()
    return out_dir.with_name(f".{out_dir.name}{CACHE_NAME}")


def open_cache(out_dir: Path, use_cache: bool = True) -> BuildCache:
    """The build cache of an output folder (an empty one if `use_cache` is false)."""
    return BuildCache(cache_path(out_dir) if use_cache else None, code_fingerprint())


@contextmanager
def output_locked(out_dir: Path):
    """Hold the output folder's lock (a file beside it) for a build: a second build of the same
    folder, such as `archive build` while `archive serve` runs, waits for the first to finish
    instead of moving the same folders at the same time. Where there is no flock, no lock."""
    out_dir = out_dir.resolve()
    lock = out_dir.with_name(f".{out_dir.name}{LOCK_NAME}")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as file:
        if fcntl is not None:
            fcntl.flock(file, fcntl.LOCK_EX)  # released when the file is closed
        yield


def build(content_dir: Path, out_dir: Path, templates: Path = TEMPLATES, index: bool = True,
          jobs: int | None = None, use_cache: bool = True, progress: Progress = silent,
          cache: BuildCache | None = None, planner: Planner | None = None) -> BuildResult:
    """Build the site into `out_dir`, redoing only what changed; on any error `out_dir` is left as it was.

    A process that builds again and again (serve) passes the same `cache` and `planner`, kept in
    memory; its garbage is then collected after each build (collector_paused). Without a planner,
    a build's garbage stays until the process ends, as a command's does."""
    clock = Stopwatch()  # the time reported is the time waited, reading the cache included
    # The collector is paused while the cache is read too: 50,000 rows at 10,000 briefs.
    with output_locked(out_dir), collector_paused(again=planner is not None):
        if cache is not None and cache.written_elsewhere():  # another process built meanwhile
            cache.reload()
            if planner is not None:
                planner.forget()
        cache = cache or open_cache(out_dir, use_cache)
        clock.lap("cache")
        result = _run(content_dir, out_dir, templates, index, jobs, cache, commit=True, progress=progress,
                      clock=clock, planner=planner)
    dropped, cache.dropped = cache.dropped, ""  # said once
    return replace(result, notes=(dropped, *result.notes)) if dropped else result


def check(content_dir: Path, templates: Path = TEMPLATES, jobs: int | None = None,
          progress: Progress = silent, site_dir: Path | None = None) -> BuildResult:
    """Everything a build does except indexing and replacing the output: nothing is kept.

    With `site_dir`, the cache of the site built there spares re-checking files and re-rendering
    pages that have not changed since (their links are checked from the cache); it is only read."""
    clock = Stopwatch()
    with tempfile.TemporaryDirectory(prefix="archive-check-") as scratch, collector_paused():
        cache = open_cache(site_dir) if site_dir else BuildCache(None, "")
        clock.lap("cache")
        result = _run(content_dir, Path(scratch) / "site", templates, False, jobs, cache, commit=False,
                      progress=progress, clock=clock, previous_dir=site_dir)
    return replace(result, notes=(cache.dropped, *result.notes)) if cache.dropped else result
