"""parallel.py — run a function over many items on every core, in forked worker processes.

Workers are forked, so they inherit the items (and everything the parent has built, such as the
archive and the compiled templates) without copying them through a pipe; only results travel
back. Small jobs, platforms without fork, and `jobs=1` run in this process. A worker that dies
(killed, out of memory, a crash in a C library) fails the build, where multiprocessing.Pool
would wait for its results for ever.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Sequence, TypeVar

from generator.errors import BuildError

Item = TypeVar("Item")
Result = TypeVar("Result")

MIN_ITEMS = 200  # below this, starting workers costs more than it saves
_work: tuple[Callable, Sequence] | None = None  # what the forked workers read


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _same(result):
    return result


def _run_chunk(bounds: tuple[int, int]) -> list:
    function, items = _work
    return [function(item) for item in items[bounds[0]:bounds[1]]]


def parallel_map(function: Callable[[Item], Result], items: Sequence[Item], jobs: int | None = None,
                 done: Callable[[int], None] | None = None, then: Callable[[Result], Any] | None = None) -> list:
    """[function(item) for item in items], in order, spread over `jobs` processes; with `then`,
    [then(function(item)) …], `then` being called in this process on each result as it arrives,
    while the workers go on (and on the core a worker that has run out of work leaves idle).

    `done(n)` is called in this process as each n items finish, for a progress display."""
    global _work
    jobs = jobs or default_jobs()
    then = then or _same
    if jobs <= 1 or len(items) < MIN_ITEMS or "fork" not in multiprocessing.get_all_start_methods():
        results = []
        for item in items:
            results.append(then(function(item)))
            if done:
                done(1)
        return results
    # Several chunks per worker, so a worker that drew slow items does not hold up the others.
    size = max(1, len(items) // (jobs * 8))
    bounds = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    _work = (function, items)
    chunks = []
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
    try:
        for chunk in pool.map(_run_chunk, bounds):
            chunks.append([then(result) for result in chunk])
            if done:
                done(len(chunk))
    except BrokenProcessPool as exc:
        raise BuildError("a worker process stopped before it finished (killed by the system, perhaps for "
                         "lack of memory); try again, or with --jobs 1 to build in one process") from exc
    finally:
        pool.shutdown(cancel_futures=True)  # after an error, the chunks not yet begun are dropped
        _work = None
    return [result for chunk in chunks for result in chunk]
