"""Fast INSERTs without the ORM's query building.

- `insert_rows`: the fast INSERT for kinds' `publish` — executemany, no model instances.
- `insert_one`: one unsaved instance, primary key back (`RETURNING`) — for rows written on every request
  (audit rows, the operation log), where building the INSERT through the ORM cost ~0.3 ms each.
- `sqlite_indexes_rebuilt`: around a bulk INSERT into a table that holds few rows yet (a first big load), drop its
  indexes and build them again afterwards, in the same transaction.

`Model.objects.bulk_create` spends most of its time building and preparing one model instance per row
(measured: ~70% of publishing 100,000 civil servants on SQLite). Kinds that need no primary keys back
insert plain tuples here instead. No signals, no `save()`, no validation: rows must already be validated.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from functools import cache
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

T = TypeVar("T")


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]], *, batch_size: int = 5000
) -> int:
    """INSERT `rows` (tuples in the order of `fields`, attnames such as "agency_id") into `model`'s table.

    Date, datetime, decimal and JSON values are prepared for the database here; auto_now / auto_now_add
    fields not listed get the current time. Returns the number of rows inserted.
    """
    sql, given, prepared, stamps = _insert_rows_plan(model, tuple(fields), connection.vendor)
    now = timezone.now()
    stamp_values = [f.get_db_prep_save(now, connection) for f in stamps]
    written, batch = 0, []
    with connection.cursor() as cursor:
        for row in rows:
            values = list(row)
            for i in prepared:
                values[i] = given[i].get_db_prep_save(values[i], connection)
            batch.append((*values, *stamp_values))
            if len(batch) >= batch_size:
                cursor.executemany(sql, batch)
                written, batch = written + len(batch), []
        if len(batch) == 1:
            cursor.execute(sql, batch[0])  # one screening per API call: a plain execute is the cheaper call
        elif batch:
            cursor.executemany(sql, batch)
        written += len(batch)
    return written


@cache
def _insert_rows_plan(
    model: type[models.Model], fields: tuple[str, ...], vendor: str
) -> tuple[str, list[Any], list[int], list[Any]]:
    """The INSERT for these fields, the fields, which values need preparing, the auto stamps (cached: the
    screening API inserts one row per call)."""
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    given = [by_attname[name] for name in fields]
    stamps = [
        f for f in meta.concrete_fields
        if (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)) and f not in given
    ]  # fmt: skip
    columns = [str(f.column) for f in (*given, *stamps)]
    prepared = [
        i for i, f in enumerate(given)
        if isinstance(f, models.DateField | models.DecimalField | models.JSONField)
    ]  # fmt: skip
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (our own table and column names)
        qn(meta.db_table), ", ".join(qn(c) for c in columns), ", ".join(["%s"] * len(columns))
    )
    return sql, given, prepared, stamps


@cache
def _insert_one_sql(model: type[models.Model], vendor: str) -> tuple[str, tuple[Any, ...]]:
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({}) RETURNING {}".format(  # noqa: S608 (our own table and column names)
        qn(meta.db_table), ", ".join(qn(str(f.column)) for f in fields), ", ".join(["%s"] * len(fields)),
        qn(str(meta.pk.column)),  # type: ignore[union-attr]
    )  # fmt: skip
    return sql, fields


def insert_one(obj: models.Model) -> None:
    """INSERT one unsaved instance and set its primary key. Like `save()` without signals, `auto_now`
    stamps (set the values yourself) or the ORM's query building; both databases support RETURNING."""
    sql, fields = _insert_one_sql(type(obj), connection.vendor)
    values = [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = connection.alias


# Existing rows per incoming row up to which dropping and rebuilding the indexes is cheaper than inserting into them.
# Measured on SQLite 3.40 with the records table (six indexes every row enters; a million rows): inserting into the
# indexes costs ~20 µs a new row, building them afresh ~11.5 µs a row of the whole table, so the rebuild wins while
# the table holds fewer than ~0.7 rows per incoming row. Half leaves a margin.
INDEX_REBUILD_MAX_EXISTING_PER_ROW = 0.5


@contextlib.contextmanager
def sqlite_indexes_rebuilt(model: type[models.Model], *, rows: int, also: Collection[str] = ()) -> Iterator[bool]:
    """Around a bulk INSERT of `rows` new rows into `model`'s table: on SQLite, inside the caller's transaction, when
    the table holds at most half as many rows as are coming (a first big load), drop its indexes for the block and
    create them again after it, each from its own stored SQL. Yields whether it did.

    Dropped: every index of the table without a WHERE clause, and the partial ones named in `also` (those every
    incoming row enters; the caller knows its rows). Unique indexes are checked again as they are built: a duplicate
    raises IntegrityError and the caller's transaction — DROP and INSERT included — rolls back. Readers are not
    disturbed: under WAL they keep reading the last committed schema and rows, indexes included, until the commit.
    Not on PostgreSQL, where DROP INDEX would lock readers out of the table until the commit.
    """
    minimum = int(getattr(settings, "GOVTRUST_SQLITE_INDEX_REBUILD_MIN_ROWS", 0))
    if connection.vendor != "sqlite" or not connection.in_atomic_block or minimum <= 0 or rows < minimum:
        yield False
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        # The largest rowid bounds the number of rows from above at no cost (a count would scan an index).
        cursor.execute(f'SELECT coalesce(max(rowid), 0) FROM "{table}"')  # noqa: S608 (our own table name)
        if cursor.fetchone()[0] > rows * INDEX_REBUILD_MAX_EXISTING_PER_ROW:
            yield False
            return
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                       [table])  # fmt: skip
        dropped = [(name, sql) for name, sql in cursor.fetchall() if " WHERE " not in sql.upper() or name in also]
        for name, _sql in dropped:
            cursor.execute(f'DROP INDEX "{name}"')
    yield True
    with connection.cursor() as cursor:
        for _name, sql in dropped:
            cursor.execute(sql)


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of at most `size` items, consuming `items` lazily (itertools.batched is Python 3.12+)."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
