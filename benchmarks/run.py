"""Time the generator on synthetic archives: cold, unchanged, and after editing, adding and
deleting one brief, as medians of several runs, with peak memory and Pagefind's share.

    python -m benchmarks.run --sizes 1000 10000 --runs 3
    python -m benchmarks.run --sizes 10000 --output-in /dev/shm   # the site on a RAM disk

Each build is a separate `python -m generator build` process, timed from the outside (wall
clock, start-up included), with the CPU time of that process and of its workers (user and
system apart); peak memory is the largest resident size among them. The speed of the machine,
which varies by the hour, is taken before and after each size (speed_now). Rebuilds as `archive
serve` makes them (one process keeping its cache and page plan in memory) are timed inside that
process (benchmarks/serve_loop.py), after the same three changes.
The synthetic content is written to a temporary folder, never into content/; the sites are built
there too, or in a temporary folder under `--output-in` (to tell disk from CPU time).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from benchmarks.corpus import write_corpus

RELATED = re.compile(r"^related: \[(.*)\]$", re.M)

ROOT = Path(__file__).resolve().parent.parent


def settle(out: Path, seconds: float = 120) -> None:
    """Wait until the sites replaced by earlier builds are deleted (the build leaves that to a
    background process), so one measurement does not pay for the last one's clean-up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(out.parent.glob(f".{out.name}.previous-*")):
        time.sleep(0.1)


class Timing(NamedTuple):
    seconds: float  # wall clock
    user: float  # CPU-seconds in user mode, of the process and its workers
    system: float  # CPU-seconds in the kernel (creating files, mostly)
    memory: float  # peak resident size, MiB


def allocation_speed() -> float:
    """Seconds for one core to build and sort a dict of 200,000 entries, which does not stay in
    the processor's caches (the loop of `loops` does). On a shared machine both vary by the hour,
    and every figure with them (a dict five times this size took from 4.6 to 7 s within one hour)."""
    started, numbers = time.perf_counter(), random.Random(1)
    entries = {f"k{numbers.random()}": (number, str(number)) for number in range(200_000)}
    sorted(entries.items())
    return time.perf_counter() - started


def loops(copies: int, additions: int = 10_000_000) -> list[float]:
    """The seconds each of `copies` processes, started together, took for a loop of `additions`."""
    loop = f"import time\nt, s = time.perf_counter(), 0\nfor n in range({additions}): s += n\nprint(time.perf_counter() - t)"
    started = [subprocess.Popen([sys.executable, "-c", loop], stdout=subprocess.PIPE, text=True) for _ in range(copies)]
    return [float(process.communicate()[0]) for process in started]


def throughput(alone: list[float], together: list[list[float]]) -> float:
    """Two processes each doing the work one did `alone` in its median time, finished when the
    slower one of each pair `together` is done: the work of two loops in that time, in loops."""
    return 2 * statistics.median(alone) / statistics.median(max(pair) for pair in together)


def speed_now(rounds: int = 3) -> tuple[float, float, float]:
    """The machine's speed now: the loop of `loops` alone (the median of `rounds`), the dict of
    allocation_speed, and how many times one core's work the two cores do at once (not twice, on a
    shared machine: `throughput` of the loop alone and of two copies at once). Each in a process
    of its own: a child's peak memory counts its parent's at the fork, and the dict would leave
    the parent tens of MiB larger for every build after."""
    alone, pairs = [loops(1)[0] for _ in range(rounds)], [loops(2) for _ in range(rounds)]
    found = subprocess.run([sys.executable, "-c", "from benchmarks.run import allocation_speed; print(allocation_speed())"],
                           cwd=ROOT, capture_output=True, text=True, check=True)
    return statistics.median(alone), float(found.stdout), throughput(alone, pairs)


def speed_line(speeds: list[tuple[str, tuple[float, float, float]]]) -> str:
    """The machine's speed (speed_now) at each moment named, as the benchmarks print it."""
    return ("The machine's speed (seconds for a loop of 10 million additions in Python; for a dict of 200,000 "
            "entries built and sorted; how many times one core's work two cores did, the loop alone and two "
            "at once): " + "; ".join(f"{looped:.2f}, {allocated:.2f} and {cores:.2f} {when}"
                                     for when, (looped, allocated, cores) in speeds) + ".")


def run_build(content: Path, out: Path, *flags: str, root: Path = ROOT) -> Timing:
    """One build in its own process, by the generator in `root` (a checkout)."""
    settle(out)
    command = [sys.executable, "-m", "generator", "build", "--content", str(content), "--out", str(out), *flags]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"build failed: {' '.join(command)}\n{process.stderr.read().decode()}")
    return Timing(seconds, usage.ru_utime, usage.ru_stime, usage.ru_maxrss / 1024)


def edit_brief(content: Path, run: int, slug: str = "synthetic-00001") -> None:
    brief = content / "deals" / f"{slug}.md"
    text = brief.read_text(encoding="utf-8")
    brief.write_text(text.replace("summary: ", f"summary: Edited ({run}). ", 1), encoding="utf-8")


def edit_another_brief(content: Path, run: int) -> None:
    edit_brief(content, run, "synthetic-00003")


def add_brief(content: Path, run: int) -> None:
    source = (content / "deals" / "synthetic-00002.md").read_text(encoding="utf-8")
    (content / "deals" / f"synthetic-added-{run}.md").write_text(source.replace("[Synthetic]", "[Synthetic, added]"), encoding="utf-8")


def delete_brief(content: Path, run: int) -> None:
    """Delete a brief of the synthetic archive that no other brief names as related (the build
    must stand), setting it aside for restore_briefs. Not the brief just added: that would give
    back the site before the addition, which the spare site holds whole, and render nothing."""
    named = set()
    for file in (content / "deals").glob("*.md"):
        named.update(re.findall(r"synthetic-\d{5}", RELATED.search(file.read_text(encoding="utf-8"))[1]))
    free = sorted(file.stem for file in (content / "deals").glob("synthetic-[0-9]*.md") if file.stem not in named)
    aside = content.parent / "deleted"
    aside.mkdir(exist_ok=True)
    slug = free[(len(free) // 2 + 101 * run) % len(free)]
    (content / "deals" / f"{slug}.md").rename(aside / f"{slug}.md")


def restore_briefs(content: Path) -> None:
    """Take back the briefs added and deleted (untimed), so that every run starts from one archive."""
    for added in (content / "deals").glob("synthetic-added-*.md"):
        added.unlink()
    for deleted in (content.parent / "deleted").glob("*.md"):
        deleted.rename(content / "deals" / deleted.name)


# A run's changes, each rebuilt after: (name, change, timed). The site a build replaces becomes its
# spare, so a deletion just after an addition would find its site there, in all but the rows
# between the two briefs: an untimed edit comes between, as most changes would in an editor's day.
CHANGES = [("edited", edit_brief, True), ("added", add_brief, True), ("", edit_another_brief, False),
           ("deleted", delete_brief, True)]


def touch_every_file(content: Path, run: int) -> None:
    """A new mtime for every content file and the same bytes, as after a fresh checkout."""
    for file in content.rglob("*"):
        if file.is_file():
            os.utime(file)


def serve_rebuilds(content: Path, out: Path, runs: int) -> dict[str, list[Timing]]:
    """Rebuilds in one process, as `archive serve` makes them, by change; the memory is the
    process's peak over all of them."""
    settle(out)
    command = [sys.executable, "-m", "benchmarks.serve_loop", str(content), str(out), "--runs", str(runs)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{process.stderr.read().decode()}")
    found = json.loads(process.stdout.read())
    return {change: [Timing(seconds, user, system, usage.ru_maxrss / 1024) for seconds, user, system in rebuilds]
            for change, rebuilds in found.items()}


def measure(size: int, runs: int, folder: Path, output_folder: Path) -> dict[str, Timing]:
    content = write_corpus(folder / f"n{size}", size)
    times: dict[str, list[Timing]] = {}

    def record(name: str, result: Timing) -> None:
        times.setdefault(name, []).append(result)

    # Every build from nothing gets a folder of its own, and no site is deleted until the end: on
    # a file system that will not reuse an inode freed minutes ago (ext4 without a journal, as on
    # the machine in the README), the files created after a site is deleted cost up to ten times
    # as much, and a cold build would pay for the benchmark's own clean-up.
    for run in range(runs):
        record("cold build, no index", run_build(content, output_folder / f"cold{size}-{run}", "--no-cache", "--no-index"))
        record("cold build with Pagefind", run_build(content, output_folder / f"indexed{size}-{run}", "--no-cache"))
        out = output_folder / f"site{size}-{run}"
        # What `archive build` does in a fresh clone: a build from nothing that also writes the cache.
        record("cold build writing the build cache, no index", run_build(content, out, "--no-index"))
        edit_brief(content, run)  # the first rebuild has no spare site to stage into yet: it makes one
        record("first rebuild after a cold build, one brief edited", run_build(content, out, "--no-index"))
        record("rebuild, nothing changed", run_build(content, out, "--no-index"))
        for name, change, timed in CHANGES:
            change(content, run)
            result = run_build(content, out, "--no-index")
            if timed:
                record(f"rebuild, one brief {name}", result)
        touch_every_file(content, run)
        record("rebuild, every file touched, none changed", run_build(content, out, "--no-index"))
        restore_briefs(content)
    for change, found in serve_rebuilds(content, out, runs).items():
        times[f"rebuild in archive serve, one brief {change}"] = found
    settle(out)  # before the temporary folder is removed
    return {name: Timing(*(statistics.median(t[column] for t in found) for column in range(3)),
                         max(t.memory for t in found)) for name, found in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the generator on synthetic archives.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="numbers of briefs")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is shown")
    parser.add_argument("--output-in", type=Path, help="build the sites in a temporary folder here (default: beside the content)")
    args = parser.parse_args()
    # Python keeps each module compiled after its first import, unless told not to
    # (PYTHONDONTWRITEBYTECODE); compiled here once, every timed build starts as an installed one would.
    compileall.compile_dir(ROOT / "generator", quiet=1)
    where = f"output in {args.output_in}" if args.output_in else "output on disk"
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"medians of {args.runs} runs, {where}.\n")
    print("| briefs | measurement | median seconds | median CPU-seconds, user + system | peak memory (MiB) |\n"
          "|---:|---|---:|---:|---:|")
    speeds = [("at the start", speed_now())]
    with tempfile.TemporaryDirectory(prefix="archive-benchmark-") as folder, \
            tempfile.TemporaryDirectory(prefix="archive-benchmark-", dir=args.output_in) as output_folder:
        for size in args.sizes:
            results = measure(size, args.runs, Path(folder), Path(output_folder))
            for name, (seconds, user, system, memory) in results.items():
                print(f"| {size:,} | {name} | {seconds:.2f} | {user:.2f} + {system:.2f} | {memory:.0f} |", flush=True)
            seconds, user, system = (with_index - without for with_index, without
                                     in zip(results["cold build with Pagefind"], results["cold build, no index"][:3]))
            print(f"| {size:,} | Pagefind's share of a cold build | {seconds:.2f} | {user:.2f} + {system:.2f} | |", flush=True)
            speeds.append((f"after {size:,} briefs", speed_now()))
    print("\n" + speed_line(speeds))


if __name__ == "__main__":
    main()
