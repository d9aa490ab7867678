"""A big batch is checked on two cores; the answer is the same as in one process, whatever the child does."""

from __future__ import annotations

import os
import time

from govtrust.screening.parallel import map_split


def test_the_split_gives_the_same_list_in_the_same_order():
    items = list(range(1001))
    assert map_split(lambda x: (x, x * x, str(x)), items) == [(x, x * x, str(x)) for x in items]


def test_the_second_half_is_really_computed_by_another_process():
    parent = os.getpid()
    pids = map_split(lambda _x: os.getpid(), list(range(10)))
    assert pids[:5] == [parent] * 5
    assert len(set(pids[5:])) == 1 and pids[5] != parent


def test_a_child_that_fails_costs_time_not_results():
    parent = os.getpid()

    def fragile(x: int) -> int:
        if os.getpid() != parent:
            raise RuntimeError("the child breaks")
        return x + 1

    assert map_split(fragile, list(range(10))) == list(range(1, 11))


def test_a_child_that_hangs_is_killed_and_its_half_done_here():
    parent = os.getpid()

    def slow_in_child(x: int) -> int:
        if os.getpid() != parent:
            time.sleep(60)
        return -x

    started = time.monotonic()
    assert map_split(slow_in_child, list(range(6)), timeout=0.5) == [0, -1, -2, -3, -4, -5]
    assert time.monotonic() - started < 10


def test_tiny_inputs_do_not_fork():
    parent = os.getpid()
    assert map_split(lambda _x: os.getpid(), [1]) == [parent]
    assert map_split(lambda x: x, []) == []
