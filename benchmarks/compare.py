"""Time the rebuilds of two versions of the generator in turn, build by build, on one synthetic
archive: the way to tell a change from the hour on a machine whose speed moves by a fifth
within an hour (see benchmarks/README.md, "Reading the figures").

    python -m benchmarks.compare main                      # main against the working tree
    python -m benchmarks.compare 4cf7f72 05dcddb --size 10000 --rounds 5

Each version is a git worktree in a temporary folder (the working tree as it is, if no second
revision is named) and builds its own copy of the archive into its own site, each build a
separate process timed from the outside (run.run_build). After an untimed cold build and a
first rebuild, every round makes each of the benchmark's changes (run.CHANGES) to both copies and
rebuilds both, the order swapped from one round to the next; the briefs added and deleted are
restored, and rebuilt, at the end of the round. Before each build the file system is synced:
no build runs while the last one's files are still being written out. Reports, for each
change, the median wall and CPU time of each version, the difference, in how many rounds B was
faster, and each round's pair. Compare a version with itself first to see what differences the
machine makes alone (benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

from benchmarks.corpus import write_corpus
from benchmarks.run import CHANGES, ROOT, Timing, restore_briefs, run_build, speed_line, speed_now

# A round: the benchmark's changes, then the briefs added and deleted taken back (untimed), so that
# every round starts from the archive the first began with.
ROUND = CHANGES + [("", lambda content, run: restore_briefs(content), False)]


@contextmanager
def checkout(revision: str | None, folder: Path) -> Iterator[Path]:
    """The generator at `revision`, as a git worktree in `folder`; the working tree for None."""
    if revision is None:
        yield ROOT
        return
    git = ["git", "-C", str(ROOT)]
    added = subprocess.run([*git, "worktree", "add", "--detach", "--quiet", str(folder), revision],
                           capture_output=True, text=True)
    if added.returncode != 0:
        raise SystemExit(f"could not check out {revision}: {added.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run([*git, "worktree", "remove", "--force", str(folder)], check=False)


def label(revision: str | None) -> str:
    if revision is None:
        return "the working tree"
    found = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s", revision],
                           capture_output=True, text=True, check=True)
    return found.stdout.strip()


def compare(roots: tuple[Path, Path], size: int, rounds: int, folder: Path) -> dict[str, list[tuple[Timing, Timing]]]:
    """Each change's timings, (first version, second version), round by round."""
    corpus = write_corpus(folder / "corpus", size)
    contents, sites = [], []
    for side, root in enumerate(roots):
        compileall.compile_dir(root / "generator", quiet=1)  # every timed build starts as an installed one would
        contents.append(Path(shutil.copytree(corpus.parent, folder / f"side{side}")) / corpus.name)
        sites.append(folder / f"site{side}")
        run_build(contents[side], sites[side], "--no-index", root=root)  # cold, writing the cache
    pairs: dict[str, list[tuple[Timing, Timing]]] = {}
    for run in range(rounds + 1):  # round 0 is untimed: the first rebuilds make each site's spare
        order = (0, 1) if run % 2 else (1, 0)
        for name, change, timed in ROUND:
            timings: dict[int, Timing] = {}
            for side in order:
                change(contents[side], run)
                os.sync()  # nothing the last build wrote is still being written out while this one runs
                timings[side] = run_build(contents[side], sites[side], "--no-index", root=roots[side])
            if timed and run:
                pairs.setdefault(f"one brief {name}", []).append((timings[0], timings[1]))
    return pairs


def report(pairs: dict[str, list[tuple[Timing, Timing]]], names: tuple[str, str]) -> str:
    lines = ["| rebuild | A, median s | B, median s | B - A, s | rounds B was faster | A, CPU-s | B, CPU-s |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for change, found in pairs.items():
        wall = [statistics.median(pair[side].seconds for pair in found) for side in (0, 1)]
        cpu = [statistics.median(pair[side].user + pair[side].system for pair in found) for side in (0, 1)]
        faster = sum(b.seconds < a.seconds for a, b in found)
        lines.append(f"| {change} | {wall[0]:.2f} | {wall[1]:.2f} | {wall[1] - wall[0]:+.2f} | {faster} of {len(found)} "
                     f"| {cpu[0]:.2f} | {cpu[1]:.2f} |")
    lines.append("")
    lines += [f"{change}, A / B by round: " + ", ".join(f"{a.seconds:.2f} / {b.seconds:.2f}" for a, b in found)
              for change, found in pairs.items()]
    return "\n".join([f"A: {names[0]}", f"B: {names[1]}", "", *lines])


def main() -> None:
    parser = argparse.ArgumentParser(description="Time two versions' rebuilds in turn on one synthetic archive.")
    parser.add_argument("first", help="a git revision: A")
    parser.add_argument("second", nargs="?", help="a git revision: B (default: the working tree as it is)")
    parser.add_argument("--size", type=int, default=10000, help="number of briefs")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of changes; the median is shown")
    args = parser.parse_args()
    revisions = (args.first, args.second)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="archive-compare-")))
        roots = tuple(stack.enter_context(checkout(revision, folder / f"version{side}"))
                      for side, revision in enumerate(revisions))
        before = speed_now()
        pairs = compare(roots, args.size, args.rounds, folder)
        after = speed_now()
    print(f"{args.size:,} briefs, {args.rounds} rounds, each change rebuilt by A and B in turn (the order swapped "
          f"every round), output on disk.\n")
    print(report(pairs, tuple(map(label, revisions))))
    print("\n" + speed_line([("before", before), ("after", after)]))


if __name__ == "__main__":
    main()
