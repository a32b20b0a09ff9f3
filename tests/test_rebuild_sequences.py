"""Random sequences of changes, each followed by a rebuild: in the process that keeps its cache
and plan in memory (as `archive serve` does), in a restarted one, or in a new process (as
`archive build`), in any order. After each, the site is byte for byte what a cold build makes of
the same content, and a build that fails leaves the site as it was.

test_incremental.py tests each kind of change in a fixed order; these look for an order of
changes, and of the processes that build them, that the build cache, the spare site or the kept
plan gets wrong."""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import random
import re
import shutil
import tempfile
import traceback
from pathlib import Path
from typing import Callable
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks import corpus
from generator import pages, parallel, render
from generator.build import INDEX_FOLDER, TEMPLATES, build, open_cache
from generator.errors import BuildError, ContentErrors
from generator.pages import Planner
from tests.conftest import site_snapshot as snapshot

# Thousands of files made and deleted: on a disk, the kernel may take longer and longer to create
# each file after so many deletions (benchmarks/README.md, "Reading the figures").
RAM_DISK = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Sequences drawn a run. More before merging a change to the build, the cache or the planner:
#   REBUILD_SEQUENCES=200 .venv/bin/python -m pytest tests/test_rebuild_sequences.py   (80 took 5.5 minutes on two cores)
SEQUENCES = int(os.environ.get("REBUILD_SEQUENCES", "20"))
ANSWER_WITHIN = 300  # seconds for one build of a forked process; each takes a few
BRIEFS = 16  # between 4 parties on 4 systems, listed 4 to a page: every change moves other pages
TEMPLATE_EDITS = [
    ("deal.html", '<h2 id="facts">Facts</h2>', '<h2 id="facts">The facts</h2>'),
    ("macros.html", '<td data-label="Status">', '<td data-label="Status" class="status-cell">'),
    ("base.html", "Method, sources and corrections policy", "Method and sources"),
]


class Desk:
    """An archive being edited: its content, its templates, its site, and each change's files as
    they were before it, so that a change can be undone (as an editor's undo does)."""

    def __init__(self, root: Path):
        self.root = root
        self.content = corpus.write_corpus(root / "archive", BRIEFS)
        self.templates = root / "templates"
        shutil.copytree(TEMPLATES, self.templates)
        self.out = root / "site"
        self.undoable: list[list[tuple[Path, bytes | None]]] = []
        self.count = 0

    def number(self) -> int:
        """A number no earlier change used: new names never collide."""
        self.count += 1
        return self.count

    def briefs(self) -> list[Path]:
        return sorted((self.content / "deals").glob("*.md"))

    def field(self, file: Path, name: str) -> str:
        return re.search(rf"^{name}: (.*)$", file.read_text(encoding="utf-8"), re.M)[1]

    def begin(self) -> None:
        self.undoable.append([])

    def write(self, file: Path, text: str | None) -> None:
        """Write a file of the content or the templates (None: delete it), noting what it was."""
        self.undoable[-1].append((file, file.read_bytes() if file.exists() else None))
        if text is None:
            file.unlink()
        else:
            file.write_text(text, encoding="utf-8")

    def replace(self, file: Path, pattern: str, new: str | Callable) -> bool:
        text = file.read_text(encoding="utf-8")
        changed, count = re.subn(pattern, new, text, count=1, flags=re.M)
        if count:
            self.write(file, changed)
        return bool(count)

    def undo(self) -> None:
        for file, data in reversed(self.undoable.pop() if self.undoable else []):
            if data is None:
                file.unlink()
            else:
                file.write_bytes(data)


# Each change edits the desk as an editor would, drawing what it edits from `rng`.

def edit_a_summary(desk: Desk, rng: random.Random) -> None:
    desk.replace(rng.choice(desk.briefs()), r"^summary: ", f"summary: Edited ({desk.number()}). ")


def retitle_a_brief(desk: Desk, rng: random.Random) -> None:
    desk.replace(rng.choice(desk.briefs()), r'^title: "\[Synthetic\] ', f'title: "[Synthetic] Retitled ({desk.number()}) ')


def date_an_order_earlier(desk: Desk, rng: random.Random) -> None:
    """Moves the brief in every listing sorted by date, and perhaps to another year's page."""
    earlier = lambda match: f"{match[1]}{int(match[2]) - rng.randrange(1, 4)}"
    for brief in rng.sample(desk.briefs(), k=len(desk.briefs())):
        if desk.replace(brief, r"^(ordered:\n(?:  .*\n)*?  date: )(\d{4})", earlier):
            return


def give_a_brief_another_recipient(desk: Desk, rng: random.Random) -> None:
    brief = rng.choice(desk.briefs())
    codes = {desk.field(other, side) for other in desk.briefs() for side in ("supplier", "recipient")}
    codes.add("NOR")  # a party that may be new to the archive: a page of its own appears
    desk.replace(brief, r"^recipient: .*$", f"recipient: {rng.choice(sorted(codes - {desk.field(brief, 'supplier')}))}")


def give_a_brief_another_system(desk: Desk, rng: random.Random) -> None:
    systems = sorted(file.stem for file in (desk.content / "systems").glob("*.yaml"))
    desk.replace(rng.choice(desk.briefs()), r"^system: .*$", f"system: {rng.choice(systems)}")


def relate_briefs(desk: Desk, rng: random.Random) -> None:
    brief = rng.choice(desk.briefs())
    others = [other.stem for other in desk.briefs() if other != brief]
    line = f"related: [{', '.join(rng.sample(others, k=min(len(others), rng.randrange(1, 3))))}]\n"
    if not desk.replace(brief, r"^related: .*\n", line):
        desk.replace(brief, r"^status: .*\n", lambda match: match[0] + line)


def add_a_brief(desk: Desk, rng: random.Random) -> None:
    number = desk.number()
    text = rng.choice(desk.briefs()).read_text(encoding="utf-8")
    desk.write(desk.content / "deals" / f"synthetic-added-{number:03d}.md",
               text.replace('title: "[Synthetic] ', f'title: "[Synthetic] Added ({number}) ', 1))


def relink(desk: Desk, gone: Path, new: str | None) -> None:
    """Every other brief's related briefs without `gone`, or with `new` in its place."""
    for brief in desk.briefs():
        related = re.search(r"^related: \[(.*)\]\n", brief.read_text(encoding="utf-8"), re.M)
        if brief != gone and related and gone.stem in related[1].split(", "):
            slugs = [new if slug == gone.stem else slug for slug in related[1].split(", ")]
            slugs = [slug for slug in slugs if slug]
            desk.replace(brief, r"^related: .*\n", f"related: [{', '.join(slugs)}]\n" if slugs else "")


def delete_a_brief(desk: Desk, rng: random.Random) -> None:
    """Deletes a brief and takes it out of the related briefs of every other, as an editor must."""
    if len(desk.briefs()) > 4:
        gone = rng.choice(desk.briefs())
        relink(desk, gone, None)
        desk.write(gone, None)


def rename_a_brief(desk: Desk, rng: random.Random) -> None:
    """A brief under a new file name (a new address), and the briefs that relate to it updated."""
    brief = rng.choice(desk.briefs())
    new = f"synthetic-renamed-{desk.number():03d}"
    relink(desk, brief, new)
    desk.write(brief.with_name(f"{new}.md"), brief.read_text(encoding="utf-8"))
    desk.write(brief, None)


def rename_a_system(desk: Desk, rng: random.Random) -> None:
    system = rng.choice(sorted((desk.content / "systems").glob("*.yaml")))
    desk.replace(system, r"^name: .*$", f"name: Synthetic System, renamed ({desk.number()})")


def name_a_party(desk: Desk, rng: random.Random) -> None:
    code = desk.field(rng.choice(desk.briefs()), rng.choice(["supplier", "recipient"]))
    desk.write(desk.content / "countries" / f"{code}.yaml", f"name: Synthetic Party {desk.number()}\nkind: state\n")


def retitle_the_site(desk: Desk, rng: random.Random) -> None:
    desk.replace(desk.content / "site.yaml", r"^title: .*$", f"title: Synthetic Archive ({desk.number()})")


def edit_a_template(desk: Desk, rng: random.Random) -> None:
    name, before, after = rng.choice(TEMPLATE_EDITS)
    template = desk.templates / name
    text = template.read_text(encoding="utf-8")
    desk.write(template, text.replace(before, after) if before in text else text.replace(after, before))


def undo_the_last_change(desk: Desk, rng: random.Random) -> None:
    """The version before the last change: the spare site, two builds behind, may hold its pages."""
    desk.undo()


def touch_every_file(desk: Desk, rng: random.Random) -> None:
    """New times and the same bytes, as after a checkout."""
    for file in [*desk.content.rglob("*"), *desk.templates.rglob("*")]:
        if file.is_file():
            os.utime(file)


def edit_the_site_by_hand(desk: Desk, rng: random.Random) -> None:
    """A file of the built site deleted, or written to in place (through any hard link it has).
    The search index aside: a build keeps or replaces it whole, and never looks inside it."""
    file = rng.choice(sorted(file for file in desk.out.rglob("*") if file.is_file() and INDEX_FOLDER not in file.parts))
    if rng.random() < 0.5:
        file.unlink()
    else:
        with open(file, "ab") as opened:
            opened.write(b"\nedited by hand\n")


def break_a_brief(desk: Desk, rng: random.Random) -> None:
    desk.replace(rng.choice(desk.briefs()), r"^status: .*$", "status: maybe")


def break_a_template(desk: Desk, rng: random.Random) -> None:
    name, where = rng.choice([("deal.html", '<section aria-labelledby="facts">'), ("base.html", '<footer class="colophon">'),
                              ("macros.html", "{% macro deal_row(deal, show_supplier, show_recipient) -%}\n")])
    template = desk.templates / name
    desk.write(template, template.read_text(encoding="utf-8").replace(where, where + "{{ no_such_value.attribute }}"))


# What a build must fail with after each breaking change, and a word its report must hold.
BREAKS = {"break a brief": ("content errors", "status"), "break a template": ("build error", "no_such_value")}


CHANGES = {change.__name__.replace("_", " "): change for change in [
    edit_a_summary, retitle_a_brief, date_an_order_earlier, give_a_brief_another_recipient,
    give_a_brief_another_system, relate_briefs, add_a_brief, delete_a_brief, rename_a_brief, rename_a_system,
    name_a_party, retitle_the_site, edit_a_template, undo_the_last_change, touch_every_file,
    edit_the_site_by_hand, break_a_brief, break_a_template]}
UNDOABLE = set(CHANGES) - {"undo the last change", "touch every file", "edit the site by hand"}


def outcome(function: Callable) -> tuple[str, str]:
    """What function() came to: ("built" | "content errors" | "build error" | "failed", what it said)."""
    try:
        function()
        return "built", ""
    except ContentErrors as problems:
        return "content errors", problems.report()
    except BuildError as problem:
        return "build error", str(problem)
    except Exception:
        return "failed", traceback.format_exc()


def apart(function: Callable, new_process: bool = True) -> tuple[str, str]:
    """outcome(function) in a forked process. As `new_process`, it keeps nothing of this one's:
    no cache, no plan, no rendered rows, no compiled templates; otherwise, at least nothing of
    what it does reaches this one."""
    def forked() -> None:
        if new_process:
            render.MACRO_CALLS.for_basis("")
            render.COMPILED.compiled.clear()
        send.send(outcome(function))

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=forked)
    process.start()
    send.close()  # the child's end alone stays open: if the child dies without an answer, recv() ends
    if not receive.poll(ANSWER_WITHIN):  # a build that hangs fails the test, rather than stalling the suite
        process.kill()
        process.join()
        return "failed", f"the forked process gave no answer within {ANSWER_WITHIN} s"
    try:
        result = receive.recv()
    except EOFError:
        result = None
    process.join()
    return result or ("failed", f"the forked process ended without an answer (exit code {process.exitcode})")


def indexed_pages(site: Path) -> tuple[int, int]:
    """The pages the search index holds, and the pages it should hold."""
    entry = json.loads((site / INDEX_FOLDER / "pagefind-entry.json").read_text(encoding="utf-8"))
    body = sum(b"data-pagefind-body" in page.read_bytes() for page in site.rglob("*.html"))
    return entry["languages"]["en"]["page_count"], body


class Rebuilds:
    """The ways the site is rebuilt after a change: by `archive serve`, which keeps its cache and
    plan in memory from its start on and indexes once the editor pauses, or by `archive build`."""

    def __init__(self, desk: Desk):
        self.build = functools.partial(build, desk.content, desk.out, templates=desk.templates)
        self.out, self.serving = desk.out, None

    def __call__(self, process: str) -> tuple[str, str]:
        if process.startswith("command line"):
            return apart(functools.partial(self.build, index=process.endswith("indexing")))
        if process == "serve, restarted" or self.serving is None:
            render.MACRO_CALLS.for_basis("")  # as in a new process: nothing rendered yet
            self.serving = open_cache(self.out), Planner()
        cache, planner = self.serving
        result = outcome(functools.partial(self.build, index=False, cache=cache, planner=planner))
        if result[0] == "built" and process.endswith("pauses"):
            result = outcome(functools.partial(self.build, index=True, cache=cache, planner=planner))
        return result


PROCESSES = ["serve", "serve, indexing once the editor pauses", "serve, restarted", "command line",
             "command line, indexing"]
step = st.tuples(st.sampled_from(sorted(CHANGES)), st.integers(0, 2**32 - 1), st.sampled_from(PROCESSES))


@settings(max_examples=SEQUENCES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=2, max_size=8), st.booleans())
def test_any_sequence_of_changes_and_rebuilds_gives_the_cold_build_s_site(steps, in_workers):
    """`in_workers`: checking and rendering in worker processes, as for a large archive, whose
    results (and the deal tables' rows they render) come back to the build process."""
    with tempfile.TemporaryDirectory(dir=RAM_DISK) as folder, mock.patch.object(corpus, "PARTY_COUNT", 4), \
            mock.patch.object(corpus, "SYSTEM_COUNT", 4), mock.patch.object(pages, "PER_PAGE", 4), \
            mock.patch.object(pages, "MOST_PER_PAGE", 6), \
            mock.patch.object(parallel, "MIN_ITEMS", 1 if in_workers else parallel.MIN_ITEMS):
        desk = Desk(Path(folder))
        rebuild = Rebuilds(desk)
        assert rebuild("command line") == ("built", "")
        for number, (change, seed, process) in enumerate(steps):
            said = f"step {number} ({change}, {process})"
            if change in UNDOABLE:
                desk.begin()
            CHANGES[change](desk, random.Random(seed))
            before = snapshot(desk.out)
            result = rebuild(process)
            if change in BREAKS:
                failure, word = BREAKS[change]
                assert result[0] == failure and word in result[1], f"{said}: {result}"
                assert snapshot(desk.out) == before, f"{said}: a failed build leaves the site as it was"
                desk.undo()  # put right, to be built with the next change
                continue
            assert result == ("built", ""), f"{said}: {result[1]}"
            cold = desk.root / f"cold-{number}"
            assert apart(functools.partial(build, desk.content, cold, templates=desk.templates, index=False,
                                           use_cache=False), new_process=False) == ("built", "")
            assert snapshot(desk.out) == snapshot(cold), f"{said}: not the site a cold build makes"
            if process.endswith(("indexing", "pauses")):
                pages_indexed, pages_with_body = indexed_pages(desk.out)
                assert pages_indexed == pages_with_body, f"{said}: the search index is not the site's"
            shutil.rmtree(cold)
