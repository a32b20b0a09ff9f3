"""How much of a cold build is the libraries' and the disk's own work: the least any build of the
archive could take with them, set against the cold-build targets (at 10,000 briefs 12 s on two
cores, which is 24 CPU-seconds; at 1,000, 2 s).

    python -m benchmarks.floor --size 10000 --runs 3

Each run is a cold build (no cache, no index) of a synthetic archive in a process of its own,
in that process alone (`--jobs 1`), with the CPU time (user + system) spent inside the calls
that each item needs once and that no code of ours can make cheaper, only fewer: Jinja2
rendering a page's template (with our filters and macros), Python-Markdown and nh3 rendering a
brief's context (configured as the build configures them), and creating a file of the site
(its folder too) and writing it. libyaml's parse of every content file's YAML is timed apart,
its events read through and dropped, since the build reads them inside its own loop. What is
left of the build is our code: reading and checking the fields, the model, planning, the
exports, the links.

Two cores are not twice one: it also times a fixed loop of pure Python alone, then two copies of
it at once in two processes, and sets the libraries' work, and the whole build's, against what
the machine's two cores do together; and it times the same cold build on both cores (as
`archive build --no-cache --no-index` makes it), beside them.
"""

from __future__ import annotations

import argparse
import compileall
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Iterator
from unittest import mock

from benchmarks.corpus import write_corpus
from benchmarks.run import ROOT, run_build, speed_line, speed_now

# The calls timed inside the build: (module, class, method), and what the report calls them.
CALLS = {
    "jinja2": (("jinja2.environment", "Template", "render"), "Jinja2 rendering the pages and feeds (our filters and macros in it)"),
    "markdown": (("generator.prose", "MarkdownRenderer", "__call__"), "Python-Markdown and nh3, the briefs' and systems' prose"),
    "files": (("generator.output", "Staging", "write"), "creating and writing the site's files"),
}
YAML = "libyaml's events, every content file's YAML (timed apart)"
TARGETS = {1000: 2, 10000: 12}  # seconds for a cold build on two cores (see README.md)


@contextmanager
def timed(module: str, owner: str, method: str, spent: dict[str, float]) -> Iterator[None]:
    """Count the calls of a method and the CPU time inside them."""
    cls = getattr(importlib.import_module(module), owner)
    original = getattr(cls, method)

    def counted(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent["calls"] += 1
            spent["cpu"] += time.process_time() - started

    with mock.patch.object(cls, method, counted):
        yield


def yaml_events(content: Path) -> dict[str, float]:
    """libyaml's events for the YAML of every content file, read through: the parse alone."""
    from generator.loader import Parser, list_content, split_front_matter
    texts = []
    for listed in list_content(content)[0]:
        text = listed.file.read_text(encoding="utf-8")
        texts.append(split_front_matter(text, listed.path)[0] if listed.kind == "deal" else text)
    started = time.process_time()
    for text in texts:
        for _ in iter(Parser(text).get_event, None):
            pass
    return {"calls": len(texts), "cpu": time.process_time() - started}


def one_run(content: Path, out: Path) -> dict[str, dict[str, float]]:
    """In this process: one cold build with the library calls timed, then the YAML apart."""
    from generator.build import build
    parts: dict[str, dict[str, float]] = {name: {"calls": 0, "cpu": 0.0} for name in CALLS}
    with ExitStack() as stack:
        for name, (where, _) in CALLS.items():
            stack.enter_context(timed(*where, parts[name]))
        started = time.process_time()
        result = build(content, out, index=False, use_cache=False, jobs=1)
        parts["build"] = {"calls": result.files, "cpu": time.process_time() - started}
    parts["yaml"] = yaml_events(content)
    return parts


def measured(content: Path, out: Path) -> dict[str, dict[str, float]]:
    """one_run in a fresh process, as a build starts: nothing warmed by an earlier run."""
    command = [sys.executable, "-m", "benchmarks.floor", "--one-run", str(content), str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the build failed: {' '.join(command)}\n{done.stderr}")
    return json.loads(done.stdout)


def report(size: int, runs: list[dict[str, dict[str, float]]], cores: float, both: list[float]) -> list[str]:
    """The table's rows for one size, and the sentence that sets the floor against the target:
    `cores` is how many times one core's work the two cores do together (run.speed_now), `both` the
    seconds the build took on both cores."""
    def median(part: str, field: str) -> float:
        return statistics.median(run[part][field] for run in runs)

    whole = median("build", "cpu")
    rows = [f"| {size:,} | the whole cold build, in one process | {median('build', 'calls'):,.0f} files | {whole:.2f} | 100% |"]
    floor = 0.0
    for part, label in [*((name, label) for name, (_, label) in CALLS.items()), ("yaml", YAML)]:
        cpu = median(part, "cpu")
        floor += cpu
        rows.append(f"| {size:,} | {label} | {median(part, 'calls'):,.0f} | {cpu:.2f} | {cpu / whole:.0%} |")
    rows.append(f"| {size:,} | the libraries and the disk together | | {floor:.2f} | {floor / whole:.0%} |")
    said = (f"At {size:,} briefs the libraries' and the disk's own work took {floor:.1f} CPU-seconds, the rest "
            f"of the build {whole - floor:.1f}. This machine's two cores did {cores:.2f} times the work of one: "
            f"at that, the libraries' work takes {floor / cores:.1f} s, and the whole build's {whole / cores:.1f} s; "
            f"on both cores the build took {statistics.median(both):.1f} s.")
    if size in TARGETS:
        said += f" The target is {TARGETS[size]} s."
    return [*rows, "", said]


def main() -> None:
    parser = argparse.ArgumentParser(description="How much of a cold build the libraries and the disk take.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="numbers of briefs")
    parser.add_argument("--runs", type=int, default=3, help="runs per size; the medians are shown")
    parser.add_argument("--one-run", nargs=2, type=Path, metavar=("CONTENT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_run:
        print(json.dumps(one_run(*args.one_run)))
        return
    compileall.compile_dir(ROOT / "generator", quiet=1)
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"one process (--jobs 1), no cache, no index, output on disk; medians of {args.runs} runs.\n")
    speeds = [("at the start", speed_now())]
    sentences = []
    print("| briefs | spent in | items | CPU-seconds, user + system | share of the build |\n|---:|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="archive-floor-") as folder:
        for size in args.sizes:
            content = write_corpus(Path(folder) / f"archive-{size}", size)
            # Each run builds into a new folder, and none is deleted until the end: files created
            # just after others were deleted take longer on some disks (benchmarks/README.md).
            runs = [measured(content, Path(folder) / f"site-{size}-{run}") for run in range(args.runs)]
            both = [run_build(content, Path(folder) / f"both-{size}-{run}", "--no-cache", "--no-index").seconds
                    for run in range(args.runs)]
            *rows, _, said = report(size, runs, speeds[-1][1][2], both)  # the cores' rate just before
            print("\n".join(rows), flush=True)
            sentences.append(said)
            speeds.append((f"after {size:,} briefs", speed_now()))
    print("\n" + "\n".join(sentences) + "\n\n" + speed_line(speeds))


if __name__ == "__main__":
    main()
