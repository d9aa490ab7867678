"""On SQLite, a batch's typed staged rows in a database file of their own (`var/ingest/<batch>/staged.sqlite3`).

Why: staged rows live only from validation to publication. Written into the platform's database they pass
through its write-ahead log and are checkpointed into it (written twice, fsync'd), every chunk's commit
waits on the one database lock, and after publication deleting them frees a million rows' pages one by one
(a million 双公示 rows: ≈ 3 s of checkpoints, ≈ 4 s of deleting, and the two staging processes queueing
for the lock). In a file of the batch's own: the rows are written once, the two staging processes never
wait on the platform's database for them, publication reads them through `ATTACH`, and the file is
unlinked afterwards.

The price is that a chunk's rows and its batch counters are no longer committed together: the file
commits first, then the counters. A run that dies in between leaves rows past `last_chunk_row` in the
file; the next run cuts them off (`trim_after`) and counts what is left against the counters
(`services._staged_intact`) — a file that is missing, damaged or short restages the batch from the start.
`synchronous=OFF`: a killed process loses nothing the operating system has been handed; a crash of the
machine itself may damage the file, which that check then finds.

Used only where it is safe and useful (`wanted`): SQLite on a file, a kind with a typed staging table whose
rows are public by policy (`TypedStagedRow.residue_is_public`: an unlinked file's blocks are not zeroed, as
SQLite's secure_delete zeroes freed pages), and staging outside the caller's transaction (`ATTACH` is not
allowed inside one). Everywhere else the rows go into the kind's table in the platform's database, as before.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, models

from govtrust.core.ingest import parallel

FILE_NAME = "staged.sqlite3"
SCHEMA = "staging"  # the name it is attached under for publication
# SQLite's largest page: the file is only appended to and then read through once, so big pages mean fewer page
# operations for both (a million rows: staging ≈ 1 s and publication's reads ≈ 0.5 s less than with 4 KB pages).
PAGE_SIZE = 65536


def wanted(model: Any) -> bool:
    """Stage `model`'s rows in a file of the batch's own (see the module's docstring for when)."""
    return (
        model is not None
        and getattr(model, "residue_is_public", False)
        and bool(getattr(settings, "GOVTRUST_INGEST_STAGING_FILE", True))
        and connection.vendor == "sqlite"
        and not parallel.in_memory_database()
        and not connection.in_atomic_block
    )


class StagingFile:
    """The file of one batch: one table, `model`'s own name and columns, keyed by the row number."""

    def __init__(self, path: Path, model: Any) -> None:
        self.path = path
        self.model = model
        self.table = model._meta.db_table
        # This process's and thread's own connection (a forked child never uses its parent's).
        self._connections: dict[tuple[int, int], sqlite3.Connection] = {}
        self._lock = threading.Lock()

    # --- the file -------------------------------------------------------------------------------------------------
    @classmethod
    def create(cls, directory: Path, model: Any) -> StagingFile:
        """A new, empty file (an old one of the batch is replaced)."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / FILE_NAME
        for stale in (path, path.with_name(FILE_NAME + "-journal")):
            stale.unlink(missing_ok=True)
        staging = cls(path, model)
        db = staging._db()
        db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        db.execute(staging.create_table_sql())
        return staging

    @classmethod
    def existing(cls, directory: Path, model: Any) -> StagingFile | None:
        path = directory / FILE_NAME
        return cls(path, model) if model is not None and path.exists() else None

    def create_table_sql(self) -> str:
        """The kind's staging table without its `id`: `row_number` is the key (rows in file order, whichever
        process commits first), no foreign key (the batch lives in the other database)."""
        columns = ['"row_number" integer NOT NULL PRIMARY KEY']
        for field in self.model._meta.concrete_fields:
            if field.primary_key or field.attname == "row_number":
                continue
            if isinstance(field, models.ForeignKey):
                db_type = "bigint"
            else:
                db_type = field.db_type(connection)
            columns.append(f'"{field.column}" {db_type}{"" if field.null else " NOT NULL"}')
        return f'CREATE TABLE "{self.table}" ({", ".join(columns)})'

    def remove(self) -> None:
        self.close()
        for path in (self.path, self.path.with_name(FILE_NAME + "-journal")):
            path.unlink(missing_ok=True)

    def close(self) -> None:
        """Close this process's connections (a forked child's copies of its parent's are left alone)."""
        pid = os.getpid()
        with self._lock:
            for key in [key for key in self._connections if key[0] == pid]:
                self._connections.pop(key).close()

    def _db(self) -> sqlite3.Connection:
        key = (os.getpid(), threading.get_ident())
        db = self._connections.get(key)
        if db is None:
            # isolation_level=None: transactions are explicit below. A staging process waits for the other's
            # commit (the file's one write lock) rather than fail.
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA synchronous = OFF")
            db.execute("PRAGMA journal_mode = TRUNCATE")
            with self._lock:
                self._connections[key] = db
        return db

    # --- rows -----------------------------------------------------------------------------------------------------
    def append(self, names: str, rows: list[tuple[Any, ...]]) -> None:
        """Commit staged rows into the columns `names` (quoted, comma-separated: the database table's, as
        `services._stage_columns` gives them)."""
        marks = ", ".join(["?"] * len(rows[0])) if rows else ""
        sql = f'INSERT INTO "{self.table}" ({names}) VALUES ({marks})'  # noqa: S608 (our own table and column names)
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(sql, rows)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def columns(self) -> list[str]:
        """The columns `rows` gives: batch_id, row_number, natural_key, then the rest in the model's order."""
        first = ["batch_id", "row_number", "natural_key"]
        rest = [f.column for f in self.model._meta.concrete_fields if not f.primary_key and f.column not in first]
        return first + rest

    def rows(self) -> Iterator[tuple[Any, ...]]:
        names = ", ".join(f'"{name}"' for name in self.columns())
        yield from self._db().execute(f'SELECT {names} FROM "{self.table}" ORDER BY row_number')  # noqa: S608

    def trim_after(self, row_number: int) -> None:
        """Drop rows after `row_number`: committed here by a run that died before its counters were."""
        self._db().execute(f'DELETE FROM "{self.table}" WHERE row_number > ?', [row_number])  # noqa: S608

    def count(self) -> int:
        return int(self._db().execute(f'SELECT count(*) FROM "{self.table}"').fetchone()[0])  # noqa: S608

    def keys(self) -> Iterator[tuple[int, str]]:
        """(row number, natural key) of the rows with a key, in row order."""
        sql = f"SELECT row_number, natural_key FROM \"{self.table}\" WHERE natural_key <> '' ORDER BY row_number"  # noqa: S608
        yield from self._db().execute(sql)

    def key_of(self, row_number: int) -> str | None:
        sql = f'SELECT natural_key FROM "{self.table}" WHERE row_number = ?'  # noqa: S608
        row = self._db().execute(sql, [row_number]).fetchone()
        return None if row is None else str(row[0])

    def intact(self) -> bool:
        """Whether SQLite can read the file (a machine crash under synchronous=OFF may have damaged it)."""
        try:
            return self._db().execute("PRAGMA quick_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            return False


def qualified_table(model: Any, staging: StagingFile | None) -> str:
    """The staged rows' table as SQL: in the attached file, or the kind's table in the platform's database."""
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    return f"{qn(SCHEMA)}.{table}" if staging is not None else table


class attached_for_publication:  # noqa: N801 (a context manager, named as contextlib's are)
    """The file attached to the platform's connection as `staging` for the publication's block, which must be
    outside any transaction (SQLite refuses ATTACH inside one); after a block that succeeded, the file is unlinked.

    The write-ahead log is checkpointed after that, not at the publication's COMMIT as SQLite would on its own
    (`wal_autocheckpoint` is 0 for the block): until it is unlinked, the kernel keeps writing the staging file's
    dirty pages back to disk, and that competed with the checkpoint's writes and fsyncs (a million rows: the
    checkpoint took ≈ 4.4 s at COMMIT, ≈ 2.9 s after the unlink). PASSIVE: it never waits for readers."""

    def __init__(self, staging: StagingFile | None) -> None:
        self.staging = staging
        self.autocheckpoint = 0

    def __enter__(self) -> StagingFile | None:
        if self.staging is None:
            return None
        self.staging.close()  # this process's own connection would hold the file's lock against the attached one
        with connection.cursor() as cursor:
            cursor.execute(f"ATTACH DATABASE %s AS {SCHEMA}", [str(self.staging.path)])
            cursor.execute(f"PRAGMA {SCHEMA}.synchronous = OFF")
            cursor.execute(f"PRAGMA {SCHEMA}.journal_mode = TRUNCATE")
            cursor.execute("PRAGMA wal_autocheckpoint")
            self.autocheckpoint = int(cursor.fetchone()[0])
            cursor.execute("PRAGMA wal_autocheckpoint = 0")
        return self.staging

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if self.staging is None:
            return
        with connection.cursor() as cursor:
            cursor.execute(f"DETACH DATABASE {SCHEMA}")
            try:
                if exc_type is None:
                    self.staging.remove()
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                cursor.execute(f"PRAGMA wal_autocheckpoint = {self.autocheckpoint}")
