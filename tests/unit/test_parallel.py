"""parallel_map: results in order, spread over worker processes when there is enough work."""

from __future__ import annotations

import os

from generator.parallel import MIN_ITEMS, parallel_map


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
