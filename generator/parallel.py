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
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Sequence, TypeVar

from generator.errors import BuildError

Item = TypeVar("Item")
Result = TypeVar("Result")

MIN_ITEMS = 200  # below this, starting workers costs more than it saves
MIN_CHUNK = 16  # items a worker takes at once, at the least: each chunk is a round trip
_work: tuple[Callable, Sequence] | None = None  # what the forked workers read


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def chunk_bounds(count: int, jobs: int) -> list[tuple[int, int]]:
    """The items' (start, end) chunks, shrinking as the work runs out ("guided" scheduling): each
    an eighth of a worker's share of what is left, down to a sixty-fourth of its share of all of
    it (and MIN_CHUNK). Large at first, so few results travel back; small at the end, so the workers
    finish together. With equal chunks of 1,900 files at 10,000 briefs, one worker went on
    rendering alone for the last 1.6-3.1 s; with these, 0.1-0.5 s."""
    smallest = max(MIN_CHUNK, count // (jobs * 64))
    bounds, start = [], 0
    while start < count:
        end = min(count, start + max(smallest, (count - start) // (jobs * 8)))
        bounds.append((start, end))
        start = end
    return bounds


def _while_feeding(meanwhile: Callable[[], Any]) -> None:
    """Run `meanwhile` while the pool's threads in this process pass the workers their chunks: a
    worker that finishes one waits for them. They need the interpreter lock a few times a chunk,
    and by default a busy thread keeps it for 5 ms before it lets another have it: workers
    encoding at 10,000 briefs waited 0.9 s each while this process planned the pages."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.0005))
    try:
        meanwhile()
    finally:
        sys.setswitchinterval(interval)


def _same(result):
    return result


def _run_chunk(bounds: tuple[int, int]) -> list:
    function, items = _work
    return [function(item) for item in items[bounds[0]:bounds[1]]]


def parallel_map(function: Callable[[Item], Result], items: Sequence[Item], jobs: int | None = None,
                 done: Callable[[int], None] | None = None, then: Callable[[Result], Any] | None = None,
                 meanwhile: Callable[[], Any] | None = None) -> list:
    """[function(item) for item in items], in order, spread over `jobs` processes; with `then`,
    [then(function(item)) …], `then` being called in this process on each result as it arrives,
    while the workers go on (and on the core a worker that has run out of work leaves idle).

    `done(n)` is called in this process as each n items finish, for a progress display.
    `meanwhile()` is called in this process once the workers have started (they do not see what
    it does), before their results are taken: other work for it to do while they go on."""
    global _work
    jobs = jobs or default_jobs()
    then = then or _same
    if jobs <= 1 or len(items) < MIN_ITEMS or "fork" not in multiprocessing.get_all_start_methods():
        if meanwhile:
            meanwhile()
        results = []
        for item in items:
            results.append(then(function(item)))
            if done:
                done(1)
        return results
    bounds = chunk_bounds(len(items), jobs)
    _work = (function, items)
    chunks = []
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
    try:
        running = pool.map(_run_chunk, bounds)  # the workers are forked here
        if meanwhile:
            _while_feeding(meanwhile)
        for chunk in running:
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
