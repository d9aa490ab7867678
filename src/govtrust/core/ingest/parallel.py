"""Row validation for the import machinery: inline, or in one forked child process.

Staging a big file is CPU-bound Python: reading and validating a row costs far more than writing it. A kind
that sets `ImportKind.parallel_validation` has its file read and validated by a child process forked after
`kind.begin(batch)` (so it inherits the kind's per-batch caches and the opened source), while this process
de-duplicates and writes the chunks it receives — two cores instead of one. Chunks come in file order, so
everything after validation (duplicate detection, chunk commits, resume points) is exactly as inline.

The child never uses the parent's database connections: it drops them unclosed (closing a PostgreSQL
connection from a forked child would end the parent's session) and opens its own when a kind needs to read,
which sees only committed data. So the child is used only when the caller is not inside a transaction (a
test's, or a service's) and the database is not an in-memory SQLite one; otherwise rows are validated inline.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.utils.translation import gettext as _

from govtrust.core.ingest.kinds import CellError, ImportKind
from govtrust.core.ingest.readers import RefusedFile, Source

# (row number, cell values, the reader's problem with the row or "")
RawRow = tuple[int, dict[str, str], str]


# One row after validation: (row number, errors, natural key, typed values, data). Plain tuples, not objects:
# they cross the process boundary, where unpickling is the parent's main cost.
Validated = tuple[int, list[CellError], str, Any, Any]


def check_cells(values: dict[str, str], kind: ImportKind) -> list[CellError]:
    """The framework's own checks: required cells filled, choice cells holding a code or a label (→ code)."""
    required, choices = _cell_rules(kind)
    errors: list[CellError] = []
    for key in required:
        if not values[key]:
            column = kind.column(key)
            errors.append(CellError(key, "", _("%(col)s不能为空") % {"col": column.header}))
    for key, codes in choices:
        value = values[key]
        if not value:
            continue
        code = codes.get(value)
        if code is None:
            column = kind.column(key)
            allowed = "、".join(str(label) for _code, label in column.choices)
            message = _("%(col)s只能填写：%(allowed)s") % {"col": column.header, "allowed": allowed}
            errors.append(CellError(key, value, message))
        else:
            values[key] = code
    if len(errors) > 1:  # report in column order, as the file shows them
        order = {column.key: n for n, column in enumerate(kind.columns)}
        errors.sort(key=lambda error: order[error.column_key])
    return errors


def _cell_rules(kind: ImportKind) -> tuple[list[str], list[tuple[str, dict[str, str]]]]:
    """The kind's required keys and its choice columns as {code or label: code}, built once per kind instance.

    Labels are lazy translations: they are rendered in the active language when the rules are built, as the
    cell loop did per cell before (a batch runs in one language)."""
    rules = kind.__dict__.get("_cell_rules")
    if rules is None:
        required = [c.key for c in kind.columns if c.required]
        choices = []
        for column in kind.columns:
            if column.choices:
                accepted: dict[str, str] = {}
                for code, label in column.choices:
                    accepted.setdefault(code, code)
                    accepted.setdefault(str(label), code)
                choices.append((column.key, accepted))
        rules = kind.__dict__["_cell_rules"] = (required, choices)
    return rules


def validate_chunk(kind: ImportKind, rows: list[RawRow]) -> list[Validated]:
    out: list[Validated] = []
    for row_number, values, problem in rows:
        if problem:
            out.append((row_number, [CellError("", "", problem)], "", None, None))
            continue
        errors = check_cells(values, kind)
        outcome = None if errors else kind.validate_row(values, row_number=row_number)
        if outcome is None:
            out.append((row_number, errors, "", None, None))
            continue
        errors = list(outcome.errors)
        if outcome.data is None and outcome.typed is None and not errors:
            errors = [CellError("", "", _("该行无法识别"))]
        if errors:
            out.append((row_number, errors, "", None, None))
        else:
            out.append((row_number, errors, outcome.natural_key, outcome.typed, outcome.data))
    return out


def in_memory_database() -> bool:
    """An in-memory SQLite database: another connection (thread or child process) would not see its data."""
    return connection.vendor == "sqlite" and bool(getattr(connection, "is_in_memory_db", lambda: False)())


def can_fork(kind: ImportKind) -> bool:
    if not kind.parallel_validation or not getattr(settings, "GOVTRUST_INGEST_PARALLEL", True):
        return False
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    return not connection.in_atomic_block and not in_memory_database()


def validated_chunks(
    kind: ImportKind, source: Source, size: int, resume_after: int
) -> Iterator[tuple[list[Validated], int]]:
    """The file's rows after `resume_after`, validated, in chunks of `size`, in order, each with how far into the
    file the reader is (bytes, for a progress estimate): read and validated by a child process when
    `can_fork(kind)`, otherwise here."""
    if not can_fork(kind):
        for rows in source.chunks(size, resume_after):
            yield validate_chunk(kind, rows), source.bytes_read()
        return
    yield from _Child(kind, source, size, resume_after).run()


# Connections inherited by a forked child: kept referenced so that they are never closed (or collected) there.
_INHERITED: list[Any] = []

IN_FLIGHT = 2  # validated chunks the child may hold ready before the parent takes them (bounds memory)


def _put(results: Any, item: tuple[Any, ...], parent: int) -> bool:
    """Hand a chunk to the importing process; False when that process is gone (killed: nothing will take it)."""
    while True:
        try:
            results.put(item, timeout=1.0)
            return True
        except queue.Full:
            if os.getppid() != parent:
                return False


def _child_main(kind: ImportKind, source: Source, size: int, resume_after: int, results: Any) -> None:
    # Everything inherited (Django, the kind's per-batch caches) lives until this process ends: keep it out of the
    # cyclic garbage collector's passes, which otherwise cost ~4 µs a row here (~14 % of reading and validating).
    gc.freeze()
    for alias in connections:
        wrapper = connections[alias]
        _INHERITED.append(wrapper.connection)
        wrapper.connection = None  # the next query opens the child's own connection
    parent = os.getppid()
    delivered = True
    try:
        try:
            for rows in source.chunks(size, resume_after):
                delivered = _put(results, ("ok", validate_chunk(kind, rows), source.bytes_read()), parent)
                if not delivered:
                    break
            else:
                delivered = _put(results, ("done", None, 0), parent)
        except RefusedFile as exc:
            delivered = _put(results, ("refused", str(exc), 0), parent)
        except Exception:
            delivered = _put(results, ("error", traceback.format_exc(), 0), parent)
    finally:
        if not delivered:
            # The importing process was killed: do not wait at exit to flush chunks nobody will read.
            results.cancel_join_thread()
        for alias in connections:
            if connections[alias].connection is not None:
                connections[alias].close()


class _Child:
    """A child process that reads the file itself and validates it, chunk by chunk. Only validated chunks cross the
    process boundary: pickling the raw rows to a child cost this process ~12 µs a row. (Splitting the chunks
    between both processes — each reading the whole file, validating its share — was measured slower on SQLite and
    PostgreSQL alike: this process's de-duplication and writes already keep it about as busy as the child.)"""

    def __init__(self, kind: ImportKind, source: Source, size: int, resume_after: int) -> None:
        context = multiprocessing.get_context("fork")
        self.results = context.Queue(maxsize=IN_FLIGHT)
        self.process = context.Process(
            target=_child_main, args=(kind, source, size, resume_after, self.results), daemon=True
        )
        self.process.start()

    def _get(self) -> tuple[str, Any, int]:
        while True:
            try:
                status, payload, read = self.results.get(timeout=1)
            except queue.Empty:
                if not self.process.is_alive() and self.results.empty():
                    raise RuntimeError(f"the validating process ended (exit code {self.process.exitcode})") from None
                continue
            if status == "refused":
                raise RefusedFile(payload)
            if status == "error":
                raise RuntimeError(f"validation failed in the child process:\n{payload}")
            return status, payload, read

    def run(self) -> Iterator[tuple[list[Validated], int]]:
        finished = False
        try:
            while True:
                status, payload, read = self._get()
                if status == "done":
                    finished = True
                    break
                yield payload, read
        finally:
            if finished:
                self.process.join(timeout=10)
            if self.process.is_alive():  # the importing side stopped early (an error, another runner)
                self.process.kill()
                self.process.join()
            self.results.close()
            self.results.cancel_join_thread()


# --- staging split over two processes -------------------------------------------------------------------------------
# Validating and writing a chunk cost far more than reading one: two forked processes each read the whole CSV file,
# validate every other chunk and write it themselves — no row crosses a process boundary. This process keeps what
# must follow file order: it de-duplicates the chunks' natural keys in order and grants each chunk its duplicates and
# ranks, then gives each chunk its turn to commit, so the batch counters still move on one chunk after the other in
# file order (resume and the superseded-runner check work as with one process). Between the two, a chunk's rows may
# be written where file order does not matter (a staging file keyed by row number: `core.ingest.stagingfile`), so
# the two processes write them at the same time.

PARTS = 2


class Superseded(Exception):
    """A chunk's commit found the batch moved on by another runner (`commit` raises it)."""


# (row number, natural key, whether the row is staged typed) of each valid row with a key, in order.
ChunkKeys = list[tuple[int, str, bool]]


@dataclass(frozen=True)
class Grant:
    """What file order decides about a chunk: its rows found earlier in the file (row → the earlier row) and the
    rank of the typed row before its first one."""

    index: int
    duplicates: dict[int, int]
    seq_before: int


@dataclass(frozen=True)
class Turn:
    """A chunk's turn to commit: the chunk before it has, and this is the batch's last committed row that the
    commit must find."""

    index: int
    last_row: int


@dataclass(frozen=True)
class Committed:
    """A committed chunk's counters."""

    total: int
    valid: int
    rejected: int
    last_row: int


def can_split(kind: ImportKind, source: Source) -> bool:
    """Staging split over two processes: a CSV file, a kind that validates in a child, two cores or more."""
    return (
        source.format == "csv"
        and bool(getattr(settings, "GOVTRUST_INGEST_SPLIT", True))
        and (os.cpu_count() or 1) >= PARTS
        and can_fork(kind)
    )


def staged_in_parts(
    kind: ImportKind,
    source: Source,
    size: int,
    resume_after: int,
    *,
    grant: Callable[[int, ChunkKeys], Grant],
    stage: Callable[[list[Validated], Grant], Any],
    commit: Callable[[Any, Turn], Committed],
    committed: Callable[[Committed, int], None],
) -> None:
    """Stage the file's chunks after `resume_after` in two forked processes. Here, in chunk order: `grant(index,
    keys)` once chunk `index − 1` is granted, and `committed(counters, bytes_read)` after each commit. In the process
    that validated the chunk (its own database connection): `stage(validated, grant)` — build the chunk, write what
    need not wait — then, on its turn (chunk `index − 1` committed), `commit(staged, turn)`."""
    context = multiprocessing.get_context("fork")
    up = context.Queue()
    downs = [context.Queue() for _part in range(PARTS)]
    workers = [
        context.Process(
            target=_part_main,
            args=(kind, source, size, resume_after, part, up, downs[part], stage, commit),
            daemon=True,
        )
        for part in range(PARTS)
    ]
    for worker in workers:
        worker.start()
    keys: dict[int, tuple[int, ChunkKeys]] = {}
    owners: dict[int, int] = {}
    granted, turned, last_committed, last_row, done = -1, -1, -1, resume_after, 0
    finished = False
    try:
        while done < PARTS or last_committed < granted or keys:
            message = _next_message(up, workers)
            what, part = message[0], message[1]
            if what == "keys":
                keys[message[2]] = (part, message[3])
            elif what == "committed":
                last_committed = message[2]
                last_row = message[3].last_row
                committed(message[3], message[4])
            elif what == "done":
                done += 1
            while granted + 1 in keys:
                granted += 1
                owner, chunk_keys = keys.pop(granted)
                owners[granted] = owner
                downs[owner].put(grant(granted, chunk_keys))
            if turned < granted and last_committed == turned:
                turned += 1
                downs[owners.pop(turned)].put(Turn(turned, last_row))
        finished = True
    finally:
        for down in downs:
            down.put(None)  # stop (ignored by a finished worker)
        for worker in workers:
            worker.join(timeout=10 if finished else 1)
            if worker.is_alive():
                worker.kill()
                worker.join()
        for queue_ in (up, *downs):
            queue_.close()
            queue_.cancel_join_thread()


def _next_message(up: Any, workers: list[Any]) -> tuple[Any, ...]:
    while True:
        try:
            message: tuple[Any, ...] = up.get(timeout=1)
        except queue.Empty:
            if any(not worker.is_alive() and worker.exitcode not in (0, None) for worker in workers):
                codes = [worker.exitcode for worker in workers]
                raise RuntimeError(f"a staging process ended (exit codes {codes})") from None
            continue
        if message[0] == "refused":
            raise RefusedFile(message[2])
        if message[0] == "error":
            raise RuntimeError(f"staging failed in a child process:\n{message[2]}")
        if message[0] == "superseded":
            raise Superseded
        return message


def _part_main(
    kind: ImportKind,
    source: Source,
    size: int,
    resume_after: int,
    part: int,
    up: Any,
    down: Any,
    stage: Callable[[list[Validated], Grant], Any],
    commit: Callable[[Any, Turn], Committed],
) -> None:
    gc.freeze()  # as `_child_main`: the inherited objects live until this process ends
    for alias in connections:
        wrapper = connections[alias]
        _INHERITED.append(wrapper.connection)
        wrapper.connection = None  # the next query opens this process's own connection
    parent = os.getppid()
    try:
        try:
            for index, rows in source.chunks_of_part(size, resume_after, part, PARTS):
                validated = validate_chunk(kind, rows)
                chunk_keys = [(row[0], row[2], row[3] is not None) for row in validated if row[2] and not row[1]]
                if not _put(up, ("keys", part, index, chunk_keys), parent):
                    return
                granted = _take(down, parent)
                if granted is None:
                    return
                staged = stage(validated, granted)
                turn = _take(down, parent)
                if turn is None:
                    return
                counters = commit(staged, turn)
                if not _put(up, ("committed", part, index, counters, source.bytes_read()), parent):
                    return
            _put(up, ("done", part), parent)
        except RefusedFile as exc:
            _put(up, ("refused", part, str(exc)), parent)
        except Superseded:
            _put(up, ("superseded", part), parent)
        except Exception:
            _put(up, ("error", part, traceback.format_exc()), parent)
    finally:
        for alias in connections:
            if connections[alias].connection is not None:
                connections[alias].close()


def _take(down: Any, parent: int) -> Any:
    """The next grant or turn from the importing process; None when it says stop or is gone."""
    while True:
        try:
            return down.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:
                return None
