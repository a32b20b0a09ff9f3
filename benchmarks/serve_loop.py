"""Rebuilds as `archive serve` does them: one process, one build cache and one page plan kept in
memory, and before each rebuild one brief edited, added or deleted (run.CHANGES). Like serve, it
keeps a search index: each rebuild keeps the last index (--no-index), and the site is indexed
again after it, as serve does once the editor pauses (not timed). Prints, as JSON, each kind of
rebuild's [seconds, user CPU-seconds, system CPU-seconds]: the CPU time of this process and of
the processes it ran.

    python -m benchmarks.serve_loop CONTENT OUT --runs 3
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from benchmarks.run import CHANGES, edit_brief, restore_briefs
from generator.build import build, open_cache
from generator.pages import Planner


def cpu_seconds() -> tuple[float, float]:
    """User and system time of this process and of its children that have ended (the build's
    workers, and the process that lists the spare)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + children.ru_utime, own.ru_stime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("content", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cache, planner = open_cache(args.out), Planner()
    build(args.content, args.out, cache=cache, planner=planner)  # serve's first build, indexed
    edit_brief(args.content, -1)  # the first rebuild stages into a new spare: not counted
    build(args.content, args.out, index=False, cache=cache, planner=planner)
    build(args.content, args.out, cache=cache, planner=planner)
    timings: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _, timed in CHANGES if timed}
    for run in range(args.runs):
        for name, change, timed in CHANGES:
            change(args.content, run)
            started, (user, system) = time.perf_counter(), cpu_seconds()
            build(args.content, args.out, index=False, cache=cache, planner=planner)
            if timed:
                user_after, system_after = cpu_seconds()
                timings[name].append((time.perf_counter() - started, user_after - user, system_after - system))
            build(args.content, args.out, cache=cache, planner=planner)  # the editor pauses: search catches up
    restore_briefs(args.content)
    print(json.dumps(timings))


if __name__ == "__main__":
    main()
