"""Rebuilds as `archive serve` does them: one process, one build cache and one page plan kept in
memory, a brief edited before each rebuild. Prints each rebuild's seconds as JSON.

    python -m benchmarks.serve_loop CONTENT OUT --runs 3
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.run import edit_brief
from generator.build import build, open_cache
from generator.pages import Planner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("content", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cache, planner = open_cache(args.out), Planner()
    build(args.content, args.out, index=False, cache=cache, planner=planner)  # serve's first build
    seconds = []
    for run in range(args.runs + 1):  # the first rebuild stages into a new spare: not counted
        edit_brief(args.content, run)
        started = time.perf_counter()
        build(args.content, args.out, index=False, cache=cache, planner=planner)
        seconds.append(time.perf_counter() - started)
    print(json.dumps(seconds[1:]))


if __name__ == "__main__":
    main()
