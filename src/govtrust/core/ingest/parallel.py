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
import queue
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.utils.translation import gettext as _

from govtrust.core.ingest.kinds import CellError, ImportKind, RowOutcome

# (row number, cell values, the reader's problem with the row or "")
RawRow = tuple[int, dict[str, str], str]


@dataclass
class Validated:
    """One row after validation: its errors, or its outcome (data or typed values, natural key)."""

    row_number: int
    errors: list[CellError]
    outcome: RowOutcome | None


def check_cells(values: dict[str, str], kind: ImportKind) -> list[CellError]:
    """The framework's own checks: required cells filled, choice cells holding a code or a label (→ code)."""
    errors: list[CellError] = []
    for column in kind.columns:
        value = values[column.key]
        if not value:
            if column.required:
                errors.append(CellError(column.key, "", _("%(col)s不能为空") % {"col": column.header}))
            continue
        if column.choices:
            for code, label in column.choices:
                if value == code or value == str(label):
                    values[column.key] = code
                    break
            else:
                allowed = "、".join(str(label) for _code, label in column.choices)
                errors.append(
                    CellError(
                        column.key,
                        value,
                        _("%(col)s只能填写：%(allowed)s") % {"col": column.header, "allowed": allowed},
                    )
                )
    return errors


def validate_chunk(kind: ImportKind, rows: list[RawRow]) -> list[Validated]:
    out = []
    for row_number, values, problem in rows:
        if problem:
            out.append(Validated(row_number, [CellError("", "", problem)], None))
            continue
        errors = check_cells(values, kind)
        outcome = None if errors else kind.validate_row(values, row_number=row_number)
        if outcome is not None:
            errors = list(outcome.errors)
            if outcome.data is None and outcome.typed is None and not errors:
                errors = [CellError("", "", _("该行无法识别"))]
        out.append(Validated(row_number, errors, None if errors else outcome))
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


def can_fork(kind: ImportKind) -> bool:
    if not kind.parallel_validation or not getattr(settings, "GOVTRUST_INGEST_PARALLEL", True):
        return False
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    in_memory = connection.vendor == "sqlite" and connection.is_in_memory_db()
    return not connection.in_atomic_block and not in_memory


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
    try:
        while True:
            rows = tasks.get()
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
