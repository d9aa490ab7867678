"""Checking a big batch on two cores: the second half in a forked child while this process does the first.

Matching is CPU-bound Python over a read-only, memory-mapped index, so a forked child sees the same index
at no cost (the pages are shared) and needs nothing else: no database, no settings, no locks. It sends its
results back pickled through a pipe. If the child fails, or does not answer within `timeout` seconds, its
half is checked here instead — a slower answer, never a wrong or missing one.

Used by `services.screen_subjects` for batches of at least `GOVTRUST_SCREENING_PARALLEL_MIN` subjects (API
batch checks of up to 10,000 bidders, the `screen` CLI); single checks never fork.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_split(fn: Callable[[T], R], items: Sequence[T], *, timeout: float = 120.0) -> list[R]:
    """`[fn(x) for x in items]`, the second half computed by a forked child. `fn` must not touch the
    database or anything else the child shares with this process except read-only memory."""
    half = len(items) // 2
    if half == 0 or not hasattr(os, "fork"):
        return [fn(x) for x in items]
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running any of the parent's exit handlers
        status = 1
        try:
            os.close(read_end)
            data = pickle.dumps([fn(x) for x in items[half:]], protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(data)
            while view:
                view = view[os.write(write_end, view) :]
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        first = [fn(x) for x in items[:half]]
        second: list[R] | None = _receive(read_end, timeout)
    finally:
        os.close(read_end)
        _reap(pid)
    if second is None:
        second = [fn(x) for x in items[half:]]
    return first + second


def _receive(fd: int, timeout: float) -> list[R] | None:
    chunks: list[bytes] = []
    while True:
        ready, _w, _x = select.select([fd], [], [], timeout)
        if not ready:
            return None  # the child is stuck: its half is done here
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    try:
        result: list[R] = pickle.loads(b"".join(chunks))  # noqa: S301 (our own child's bytes, through a pipe)
    except Exception:
        return None  # the child died midway (truncated data)
    return result


def _reap(pid: int) -> None:
    done, _status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
