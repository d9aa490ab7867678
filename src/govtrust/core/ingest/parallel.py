"""Row validation for the import machinery: inline, or in one forked child process.

Staging a big file is CPU-bound Python: reading and validating a row costs far more than writing it. A kind
that sets `ImportKind.parallel_validation` has its rows validated in a child process forked after
`kind.begin(batch)` (so it inherits the kind's per-batch caches), while this process reads the next chunk,
de-duplicates and writes the last one — two cores instead of one. Chunks come back in file order, so
everything after validation (duplicate detection, chunk commits, resume points) is exactly as inline.

The child never uses the parent's database connections: it drops them unclosed (closing a PostgreSQL
connection from a forked child would end the parent's session) and opens its own when a kind needs to read,
which sees only committed data. So the child is used only when the caller is not inside a transaction (a
test's, or a service's) and the database is not an in-memory SQLite one; otherwise rows are validated inline.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import traceback
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.utils.translation import gettext as _

from govtrust.core.ingest.kinds import CellError, ImportKind

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


def chunks(rows: Iterable[RawRow], size: int, resume_after: int) -> Iterator[list[RawRow]]:
    chunk: list[RawRow] = []
    for row in rows:
        if row[0] <= resume_after:
            continue
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def in_memory_database() -> bool:
    """An in-memory SQLite database: another connection (thread or child process) would not see its data."""
    return connection.vendor == "sqlite" and bool(getattr(connection, "is_in_memory_db", lambda: False)())


def can_fork(kind: ImportKind) -> bool:
    if not kind.parallel_validation or not getattr(settings, "GOVTRUST_INGEST_PARALLEL", True):
        return False
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    return not connection.in_atomic_block and not in_memory_database()


def validated_chunks(kind: ImportKind, raw: Iterator[list[RawRow]]) -> Iterator[list[Validated]]:
    """The chunks of `raw`, validated, in order: in a child process when `can_fork(kind)`, else inline."""
    if not can_fork(kind):
        for rows in raw:
            yield validate_chunk(kind, rows)
        return
    yield from _Child(kind).run(raw)


# Connections inherited by a forked child: kept referenced so that they are never closed (or collected) there.
_INHERITED: list[Any] = []

IN_FLIGHT = 2  # chunks sent ahead: the child validates one while the next waits in its queue


def _child_main(kind: ImportKind, tasks: Any, results: Any) -> None:
    for alias in connections:
        wrapper = connections[alias]
        _INHERITED.append(wrapper.connection)
        wrapper.connection = None  # the next query opens the child's own connection
    parent = os.getppid()
    try:
        while True:
            try:
                rows = tasks.get(timeout=1.0)
            except queue.Empty:
                # The importing process was killed: nothing more will come (this process holds the queue's write
                # end too, so it would never see end-of-file). Stop instead of lingering as an orphan.
                if os.getppid() != parent:
                    break
                continue
            if rows is None:
                break
            try:
                results.put(("ok", validate_chunk(kind, rows)))
            except Exception:
                results.put(("error", traceback.format_exc()))
                break
    finally:
        for alias in connections:
            if connections[alias].connection is not None:
                connections[alias].close()


class _Child:
    def __init__(self, kind: ImportKind) -> None:
        context = multiprocessing.get_context("fork")
        self.tasks = context.Queue(maxsize=IN_FLIGHT)
        self.results = context.Queue()
        self.process = context.Process(target=_child_main, args=(kind, self.tasks, self.results), daemon=True)
        self.process.start()

    def _get(self) -> list[Validated]:
        while True:
            try:
                status, payload = self.results.get(timeout=1)
            except queue.Empty:
                if not self.process.is_alive():
                    raise RuntimeError(f"the validating process ended (exit code {self.process.exitcode})") from None
                continue
            if status == "error":
                raise RuntimeError(f"validation failed in the child process:\n{payload}")
            return list(payload)

    def run(self, raw: Iterator[list[RawRow]]) -> Iterator[list[Validated]]:
        sent = received = 0
        try:
            for rows in raw:
                if sent - received >= IN_FLIGHT:
                    received += 1
                    yield self._get()
                self.tasks.put(rows)
                sent += 1
            while received < sent:
                received += 1
                yield self._get()
        finally:
            try:
                self.tasks.put(None, timeout=1)
            except queue.Full:  # the child is stuck or gone: it is killed below
                pass
            self.process.join(timeout=10)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
            self.tasks.close()
            self.results.close()
