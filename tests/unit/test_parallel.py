"""parallel_map: results in order, spread over worker processes when there is enough work."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.parallel import MIN_CHUNK, MIN_ITEMS, chunk_bounds, parallel_map

ROOT = Path(__file__).resolve().parents[2]


def pid_and_square(number: int) -> tuple[int, int]:
    return os.getpid(), number * number


def test_few_items_run_here():
    few = parallel_map(pid_and_square, [1, 2, 3], jobs=2)
    assert [square for _, square in few] == [1, 4, 9]
    assert {pid for pid, _ in few} == {os.getpid()}


def test_many_items_run_in_workers_keep_their_order_and_report_progress():
    done: list[int] = []
    results = parallel_map(pid_and_square, list(range(MIN_ITEMS)), jobs=2, done=done.append)
    assert [square for _, square in results] == [n * n for n in range(MIN_ITEMS)]
    assert os.getpid() not in {pid for pid, _ in results}
    assert sum(done) == MIN_ITEMS and len(done) > 1


def test_then_takes_each_result_in_this_process_as_it_arrives():
    for items in ([1, 2, 3], list(range(MIN_ITEMS))):  # run here, and in workers
        results = parallel_map(pid_and_square, items, jobs=2, then=lambda result: (result, os.getpid()))
        assert [square for (_, square), _ in results] == [n * n for n in items]
        assert {here for _, here in results} == {os.getpid()}


def test_meanwhile_runs_here_while_the_workers_go_on():
    interval = sys.getswitchinterval()
    for items in ([1, 2, 3], list(range(MIN_ITEMS))):  # run here, and in workers
        ran = []
        results = parallel_map(pid_and_square, items, jobs=2, meanwhile=lambda: ran.append(os.getpid()))
        assert ran == [os.getpid()]
        assert [square for _, square in results] == [n * n for n in items]
    assert os.getpid() not in {pid for pid, _ in results}
    # While the workers wait for their next chunks, this process lets the threads passing them on
    # have the interpreter lock sooner; afterwards, as before.
    seen = []
    parallel_map(pid_and_square, list(range(MIN_ITEMS)), jobs=2, meanwhile=lambda: seen.append(sys.getswitchinterval()))
    assert seen[0] < interval and sys.getswitchinterval() == interval


def test_an_error_meanwhile_reaches_the_caller_and_stops_the_workers():
    def fail():
        raise ValueError("planning failed")
    with pytest.raises(ValueError, match="planning failed"):
        parallel_map(pid_and_square, list(range(MIN_ITEMS)), jobs=2, meanwhile=fail)
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("count", [MIN_ITEMS, 1_000, 10_301, 30_889])
def test_chunks_cover_every_item_once_in_order_and_shrink_towards_the_end(count):
    bounds = chunk_bounds(count, 2)
    assert bounds[0][0] == 0 and bounds[-1][1] == count
    assert all(end == next_start for (_, end), (next_start, _) in zip(bounds, bounds[1:]))
    sizes = [end - start for start, end in bounds]
    assert min(sizes) > 0 and sizes == sorted(sizes, reverse=True)
    # A worker that takes the last chunk finishes soon after the other: it is a small part of the work.
    assert sizes[-2] <= max(MIN_CHUNK, count // 128) <= sizes[0]


def square_or_die(number: int) -> int:
    if number == MIN_ITEMS // 2:
        os._exit(9)  # as a worker killed by the system (out of memory) or crashed in a C library ends
    return number * number


def test_a_worker_that_dies_fails_the_work_instead_of_leaving_it_waiting():
    # In another process, so that waiting for ever (as multiprocessing.Pool does) fails the test
    # at the timeout rather than stalling the suite.
    code = ("from generator.parallel import MIN_ITEMS, parallel_map; from tests.unit.test_parallel import square_or_die; "
            "parallel_map(square_or_die, list(range(MIN_ITEMS)), jobs=2)")
    ran = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 1
    assert "BuildError: a worker process stopped before it finished" in ran.stderr
    assert "--jobs 1" in ran.stderr


def raise_for_one(number: int) -> int:
    if number == 3:
        raise ValueError("item 3 is bad")
    return number


def test_an_error_in_a_worker_reaches_the_caller_as_it_was_raised():
    with pytest.raises(ValueError, match="item 3 is bad"):
        parallel_map(raise_for_one, list(range(MIN_ITEMS)), jobs=2)
