"""Rebuilds as `archive serve` does them: one process, one build cache and one page plan kept in
memory, and before each rebuild one brief edited, added or deleted (run.CHANGES). Like serve, it
keeps a search index: each rebuild keeps the last index (--no-index), and the site is indexed
again after it, as serve does once the editor pauses (not timed). Prints the seconds of each kind
of rebuild as JSON.

    python -m benchmarks.serve_loop CONTENT OUT --runs 3
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.run import CHANGES, edit_brief, restore_briefs
from generator.build import build, open_cache
from generator.pages import Planner


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
    seconds: dict[str, list[float]] = {name: [] for name, _, timed in CHANGES if timed}
    for run in range(args.runs):
        for name, change, timed in CHANGES:
            change(args.content, run)
            started = time.perf_counter()
            build(args.content, args.out, index=False, cache=cache, planner=planner)
            if timed:
                seconds[name].append(time.perf_counter() - started)
            build(args.content, args.out, cache=cache, planner=planner)  # the editor pauses: search catches up
    restore_briefs(args.content)
    print(json.dumps(seconds))


if __name__ == "__main__":
    main()
