"""The import machinery's writes: receive a file (`ingest_start`), then validate, stage and publish it (`ingest_run`).

Semantics (docs/ingest.md):
- rows are validated and staged in committed chunks of at most 5,000 rows (`GOVTRUST_INGEST_CHUNK_ROWS`);
  each chunk commits its staged rows, its rejected rows and the batch counters together, so a process
  killed midway loses at most one chunk, and `ingest_run` on the same batch continues after
  `last_chunk_row`;
- nothing is visible until publication: `kind.publish` runs in ONE transaction that also marks the batch
  published, writes the batch's one audit row and deletes its staged rows;
- by default valid rows are published and bad rows rejected; a strict batch with any bad row publishes
  nothing (status rejected);
- the same file (SHA-256) of the same kind from the same supplier, once published, is recognised and
  changes nothing; an unfinished batch of the same file is handed back so that it can be resumed.

Two runners of one batch (a job delivered twice, a CLI re-run while the worker still runs) cannot both
stage: each chunk advances `last_chunk_row` with a conditional UPDATE from the value its runner read, and
the runner whose UPDATE matches no row stops. Publication is claimed the same way (staged → publishing).
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import fcntl
import gc
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from govtrust.core.audit import log_change
from govtrust.core.ingest import parallel, stagingfile
from govtrust.core.ingest.bulk import chunked
from govtrust.core.ingest.kinds import CellError, ImportKind, Staged, get_kind, suppliers
from govtrust.core.ingest.readers import RefusedFile, Source, open_source
from govtrust.core.ingest.stagingfile import StagingFile
from govtrust.core.masking import mask_id_number
from govtrust.core.models import ImportBatch, ImportRowError, ObjectChange, StagedRow
from govtrust.core.validators import normalise_code

logger = logging.getLogger(__name__)

CHUNK_ROWS_MAX = 5000
Progress = Callable[[int, int | None, str], None]


def chunk_rows() -> int:
    return max(1, min(CHUNK_ROWS_MAX, int(getattr(settings, "GOVTRUST_INGEST_CHUNK_ROWS", CHUNK_ROWS_MAX))))


def ingest_root() -> Path:
    return Path(settings.VAR_DIR) / "ingest"


def batch_dir(batch: ImportBatch) -> Path:
    """The batch's own directory: its submitted file and, while it is staged, its staging file."""
    return ingest_root() / batch.number


def source_path(batch: ImportBatch) -> Path:
    """Where the submitted file of a batch is kept (it is the evidence of what the supplier sent)."""
    suffix = Path(batch.file_name).suffix.lower()
    suffix = suffix if suffix.isascii() and len(suffix) <= 8 else ""
    return batch_dir(batch) / f"source{suffix}"


@dataclass(frozen=True)
class BatchActor:
    """The submitter of a batch, for the audit row written later by the worker or the CLI."""

    pk: int | None
    username: str

    @property
    def is_authenticated(self) -> bool:
        return self.pk is not None

    def get_username(self) -> str:
        return self.username


def batch_actor(batch: ImportBatch) -> BatchActor:
    return BatchActor(pk=batch.created_by_pk, username=batch.created_by_name or "system")


# --- receiving a file -----------------------------------------------------------------------------


def _copy_hashing(source: str | Path | IO[bytes] | Any, target: Path) -> tuple[str, int]:
    """Copy an upload (Django UploadedFile, binary file object or path) to `target`; (sha256 hex, size)."""
    digest, size = hashlib.sha256(), 0
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, str | Path):
        blocks: Iterable[bytes] = _file_blocks(Path(source))
    elif hasattr(source, "chunks"):
        blocks = source.chunks(1 << 20)
    else:
        blocks = iter(lambda: source.read(1 << 20), b"")
    with open(target, "wb") as out:
        for block in blocks:
            digest.update(block)
            size += len(block)
            out.write(block)
    return digest.hexdigest(), size


def _file_blocks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as raw:
        while block := raw.read(1 << 20):
            yield block


def _next_number(today: datetime.date) -> str:
    prefix = f"GJ-{today:%Y%m%d}-"
    last = ImportBatch.objects.filter(number__startswith=prefix).order_by("-pk").values_list("number", flat=True)
    latest = last.first()
    n = int(latest[len(prefix) :]) + 1 if latest else 1
    return f"{prefix}{n:04d}"


def _resolve_supplier(kind: ImportKind, supplier_code: str) -> tuple[str, str]:
    code = normalise_code(supplier_code or "")
    if not code:
        if kind.supplier_required:
            raise ValidationError(_("请指明报送单位（统一社会信用代码）"), code="supplier")
        return "", ""
    registry = suppliers()
    name = registry.name_of(code) if registry else None
    if name is None:
        raise ValidationError(_("报送单位“%(code)s”未登记") % {"code": code}, code="supplier")
    return code, name


def kind_or_error(code: str) -> ImportKind:
    try:
        return get_kind(code)
    except KeyError:
        raise ValidationError(_("未知的导入类型“%(kind)s”") % {"kind": code}, code="kind") from None


def ingest_start(
    *,
    actor: Any,
    kind: str,
    source: str | Path | IO[bytes] | Any,
    file_name: str,
    supplier_code: str = "",
    strict: bool = False,
) -> ImportBatch:
    """Receive a file for `kind` from the supplier body `supplier_code` and return its batch (not run yet).

    The file is copied to VAR_DIR/ingest/<batch number>/ while its SHA-256 is computed. If the same file
    of this kind from this supplier is already published, that batch is returned with `duplicate = True`
    and nothing changes; if an unfinished batch of it exists (same strictness), that batch is returned to be
    resumed. Raises ValidationError (code "kind" or "supplier") for an unknown kind or supplier.
    """
    import_kind = kind_or_error(kind)
    code, name = _resolve_supplier(import_kind, supplier_code)
    file_name = os.path.basename(file_name or "upload")[:255] or "upload"
    incoming = ingest_root() / "incoming" / uuid.uuid4().hex
    try:
        sha, size = _copy_hashing(source, incoming)
        same_file = ImportBatch.objects.filter(sha256=sha, kind=import_kind.code, supplier_code=code)
        published = same_file.filter(status=ImportBatch.Status.PUBLISHED).order_by("pk").first()
        if published is not None:
            published.duplicate = True
            return published
        unfinished = same_file.exclude(status__in=ImportBatch.FINISHED).filter(strict=strict).order_by("-pk").first()
        if unfinished is not None and source_path(unfinished).exists():
            return unfinished
        user_pk, user_name = _actor_identity(actor)
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    batch = ImportBatch.objects.create(
                        number=_next_number(timezone.localdate()),
                        kind=import_kind.code,
                        supplier_code=code,
                        supplier_name=name,
                        file_name=file_name,
                        file_size=size,
                        sha256=sha,
                        strict=strict,
                        created_by_pk=user_pk,
                        created_by_name=user_name,
                    )
                break
            except IntegrityError:  # two batches numbered at once: take the next number
                continue
        else:
            raise RuntimeError("could not number the import batch")
        target = source_path(batch)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(incoming), target)
        return batch
    finally:
        incoming.unlink(missing_ok=True)


def _actor_identity(actor: Any) -> tuple[int | None, str]:
    from govtrust.core.audit import actor_identity

    return actor_identity(actor)


def ingest_attach_job(*, batch: ImportBatch, job_id: uuid.UUID) -> None:
    """Remember which background job runs the batch (derived bookkeeping: no audit row of its own)."""
    ImportBatch.objects.filter(pk=batch.pk).update(job=job_id)
    batch.job = job_id


# --- running a batch ------------------------------------------------------------------------------


class _Superseded(Exception):
    """Another runner advanced the batch: this one stops."""


class _StrictRollback(Exception):
    """A strict batch got a bad row during publication: undo the publication, then report the row."""

    def __init__(self, row_number: int, errors: list[CellError]) -> None:
        super().__init__(row_number)
        self.row_number = row_number
        self.errors = errors


def ingest_run(batch: ImportBatch, *, progress: Progress | None = None) -> ImportBatch:
    """Validate, stage and publish `batch` (or continue an interrupted run); returns it refreshed.

    `progress(done_rows, total_rows_or_None, message)` is called after every committed chunk.
    A refused file ends as status "refused" with `message`; an unexpected error marks the batch "failed"
    (it can be run again) and is re-raised.
    """
    batch.refresh_from_db()
    if batch.is_finished:
        return batch
    # A copy per run: `begin` keeps per-batch caches on the kind, and two runs may share a process.
    kind = copy.copy(get_kind(batch.kind))
    try:
        _run(batch, kind, progress)
    except RefusedFile as exc:
        _refuse(batch, str(exc))
    except _Superseded:
        logger.warning("import batch %s is being run by another process; this run stops", batch.number)
    except Exception:
        logger.exception("import batch %s failed", batch.number)
        ImportBatch.objects.filter(pk=batch.pk).exclude(status__in=ImportBatch.FINISHED).update(
            status=ImportBatch.Status.FAILED, message=_("处理出错，请联系管理员（批次号 %(n)s）") % {"n": batch.number}
        )
        batch.refresh_from_db()
        raise
    batch.refresh_from_db()
    return batch


def _run(batch: ImportBatch, kind: ImportKind, progress: Progress | None) -> None:
    path = source_path(batch)
    if not path.exists():
        raise RefusedFile(_("找不到上传的文件"))
    source = open_source(path, batch.file_name, kind)
    if batch.status == ImportBatch.Status.STAGED and not _staged_intact(batch, kind, _existing_staging(batch, kind)):
        # Staged, but not all its rows are there (its staging file lost or damaged): stage it again.
        _restage_from_start(batch, kind)
    if batch.status != ImportBatch.Status.STAGED:
        claimed = ImportBatch.objects.filter(
            pk=batch.pk,
            status__in=[ImportBatch.Status.RECEIVED, ImportBatch.Status.STAGING, ImportBatch.Status.FAILED],
            last_chunk_row=batch.last_chunk_row,
        ).update(
            status=ImportBatch.Status.STAGING,
            format=source.format,
            encoding=source.encoding,
            warnings=source.warnings[:50],
            message="",
        )
        if not claimed:
            raise _Superseded
        batch.status = ImportBatch.Status.STAGING
        _stage(batch, kind, source, progress)
    else:
        # Stopped after staging, before publication: nothing to stage, but `publish` relies on what `begin` sets
        # up for the batch (the records kinds' stamp, caches and switches), as in any other run.
        kind.begin(batch)
    if batch.rows_total == 0:
        raise RefusedFile(_("文件中没有数据行"))
    if batch.strict and batch.rows_rejected:
        _reject(batch)
        return
    if progress:
        progress(batch.rows_total, batch.rows_total, _("正在入库"))
    try:
        _publish(batch, kind)
    except _StrictRollback as rollback:
        # The rollback took the row's report with it: write it again, outside the undone publication.
        with transaction.atomic():
            ImportRowError.objects.bulk_create(_error_rows(batch, kind, rollback.row_number, rollback.errors))
            ImportBatch.objects.filter(pk=batch.pk).update(
                rows_valid=F("rows_valid") - 1, rows_rejected=F("rows_rejected") + 1
            )
        _reject(batch)


@dataclass
class _Chunk:
    staged: list[tuple[int, int, str, str]]
    errors: list[ImportRowError]
    typed: list[tuple[Any, ...]] = field(default_factory=list)
    total: int = 0
    valid: int = 0
    rejected: int = 0
    last_row: int = 0


def _new_chunk() -> _Chunk:
    return _Chunk(staged=[], errors=[])


def _error_rows(batch: ImportBatch, kind: ImportKind, row_number: int, errors: list[CellError]) -> list[ImportRowError]:
    rows = []
    for error in errors:
        column = _column_or_none(kind, error.column_key)
        value = error.value or ""
        if column is not None and column.sensitive:
            value = mask_id_number(value)
        rows.append(
            ImportRowError(
                batch_id=batch.pk,
                row_number=row_number,
                column=str(column.header) if column is not None else "",
                value=value[: ImportRowError.VALUE_MAX],
                reason=str(error.reason)[:500],
            )
        )
    return rows


def _column_or_none(kind: ImportKind, key: str) -> Any:
    try:
        return kind.column(key) if key else None
    except KeyError:
        return None


class _SeenKeys:
    """Natural keys met so far in this file → the first row with each, in little memory.

    A million keys of ~50 characters would take ~250 MB as strings; here each is its 64-bit hash. A hash
    match is confirmed against the real key (in this chunk, or read back from the staged row), so a hash
    collision never rejects a good row.
    """

    def __init__(self, batch: ImportBatch, kind: ImportKind, staging: StagingFile | None) -> None:
        self.batch = batch
        self.tables = [StagedRow, *([kind.staging_model] if kind.staging_model else [])]
        self.staging = staging
        self.first: dict[int, int] = {}
        self.collided: dict[str, int] = {}
        self.pending: dict[int, str] = {}  # row -> key, for rows of the chunk not yet committed

    def load_committed(self) -> None:
        for row_number, key in self._committed_keys():
            earlier = self.first.get(hash(key))
            if earlier is None or row_number < earlier:
                self.first[hash(key)] = row_number

    def _committed_keys(self) -> Iterator[tuple[int, str]]:
        """(row number, natural key) of the staged rows with a key: the database's staging tables, then the file."""
        for table in self.tables:
            rows = table.objects.filter(batch=self.batch).exclude(natural_key="").order_by("row_number")
            yield from rows.values_list("row_number", "natural_key").iterator(chunk_size=5000)
        if self.staging is not None:
            yield from self.staging.keys()

    def forget_through(self, row_number: int) -> None:
        """Rows up to `row_number` are committed: their keys are read back from the database from now on."""
        self.pending = {row: key for row, key in self.pending.items() if row > row_number}

    def _key_of(self, row_number: int) -> str:
        if row_number in self.pending:
            return self.pending[row_number]
        for table in self.tables:
            rows = table.objects.filter(batch=self.batch, row_number=row_number).values_list("natural_key", flat=True)
            key = rows.first()
            if key is not None:
                return str(key)
        if self.staging is not None:
            return self.staging.key_of(row_number) or ""
        return ""

    def first_row(self, key: str, row_number: int) -> int | None:
        """The earlier row with `key`, or None after remembering this row as the first one."""
        if key in self.collided:
            return self.collided[key]
        h = hash(key)
        earlier = self.first.get(h)
        if earlier is None:
            self.first[h] = row_number
            self.pending[row_number] = key
            return None
        if self._key_of(earlier) == key:
            return earlier
        self.collided[key] = row_number
        self.pending[row_number] = key
        return None


def _stage(batch: ImportBatch, kind: ImportKind, source: Source, progress: Progress | None) -> None:
    with _staging_lock(batch):
        _stage_locked(batch, kind, source, progress)


@contextlib.contextmanager
def _staging_lock(batch: ImportBatch) -> Iterator[None]:
    """One runner at a time stages a batch (an exclusive `flock` on VAR_DIR/ingest/<batch>/staging.lock).

    The counters' conditional UPDATE alone no longer suffices once rows go to a staging file before their counters:
    a second runner would cut off the first one's uncounted rows (`trim_after`) or start the file afresh. A runner
    that cannot take the lock within `GOVTRUST_INGEST_LOCK_WAIT_S` stops as superseded; one that takes it after
    another runner moved the batch on stops too. Waiting, not failing at once: the forked staging processes of a
    killed run hold the lock (they share its open file) until they notice, within about a second. The staging
    processes inherit the lock; it goes with the last of them."""
    path = batch_dir(batch) / "staging.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        deadline = time.monotonic() + float(getattr(settings, "GOVTRUST_INGEST_LOCK_WAIT_S", 60))
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _Superseded from None
                time.sleep(0.1)
        try:
            still_ours = ImportBatch.objects.filter(
                pk=batch.pk, status=ImportBatch.Status.STAGING, last_chunk_row=batch.last_chunk_row
            ).exists()
            if not still_ours:
                raise _Superseded
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@dataclass
class _StagingRun:
    """What one run's staging works with, for the inline and the split staging alike."""

    batch: ImportBatch
    kind: ImportKind
    source: Source
    progress: Progress | None
    seen: _SeenKeys
    staging: StagingFile | None  # the batch's staging file, or None: typed rows go to the kind's table
    resume_after: int  # the last row committed by an earlier run
    typed_seq: int  # the rank of the last typed row staged by an earlier run (`TypedStagedRow.seq`)
    size: int = field(default_factory=chunk_rows)
    dumps: Callable[[Any], str] = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode

    def report(self, total: int | None, read: int) -> None:
        """Progress after a committed chunk: rows so far of `total`, estimated from `read` bytes when unknown."""
        if not self.progress:
            return
        done = self.batch.rows_total
        if total is None:  # CSV / JSON Lines: estimate from how far into the file the reader is
            total = max(done, done * max(1, self.batch.file_size) // read) if read else None
        self.progress(done, total, _("已校验 %(n)d 行") % {"n": done})


def _stage_locked(batch: ImportBatch, kind: ImportKind, source: Source, progress: Progress | None) -> None:
    kind.begin(batch)
    staging = _staging_for_run(batch, kind)
    resume_after = batch.last_chunk_row
    seen = _SeenKeys(batch, kind, staging)
    if resume_after:
        seen.load_committed()
    # Typed rows are ranked 1, 2, … in row order across runs (`TypedStagedRow.seq`).
    typed_before = _typed_staged_count(batch, kind, staging) if resume_after else 0
    run = _StagingRun(
        batch=batch, kind=kind, source=source, progress=progress, seen=seen, staging=staging,
        resume_after=resume_after, typed_seq=typed_before,
    )  # fmt: skip
    writer = _ChunkWriter(batch, kind, seen, staging)
    # What exists now (Django, the kind's caches) outlives staging: the cyclic garbage collector need not walk it
    # again and again while a million rows' objects come and go (frozen only for the staging; a worker lives on).
    gc.freeze()
    try:
        try:
            if parallel.can_split(kind, source):
                writer.close()
                _stage_in_parts(run)
            else:
                _stage_rows(run, writer)
        except BaseException:
            writer.close(raise_errors=False)  # the reader's or validator's error is the one to report
            raise
        finally:
            gc.unfreeze()
        writer.close()
    finally:
        if staging is not None:
            staging.close()  # after the writer thread's last chunk: that thread's connection is closed here too
    changed = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.STAGING).update(
        status=ImportBatch.Status.STAGED
    )
    if not changed:
        raise _Superseded
    batch.status = ImportBatch.Status.STAGED


def _existing_staging(batch: ImportBatch, kind: ImportKind) -> StagingFile | None:
    return StagingFile.existing(batch_dir(batch), kind.staging_model)


def _staging_for_run(batch: ImportBatch, kind: ImportKind) -> StagingFile | None:
    """Where this run stages typed rows: the batch's staging file when it resumes with one, a new file when it
    starts and `stagingfile.wanted`, else (None) the kind's table in the database. A resumed batch whose staged
    rows are not all there any more (a damaged or lost file) starts again from its first row."""
    if batch.last_chunk_row:
        staging = _existing_staging(batch, kind)
        if _staged_intact(batch, kind, staging, trim=True):
            return staging
        _restage_from_start(batch, kind)
    model = kind.staging_model
    return StagingFile.create(batch_dir(batch), model) if stagingfile.wanted(model) else None


def _typed_staged_count(batch: ImportBatch, kind: ImportKind, staging: StagingFile | None) -> int:
    if staging is not None:
        return staging.count()
    return kind.staging_model.objects.filter(batch_id=batch.pk).count() if kind.staging_model else 0


def _staged_intact(batch: ImportBatch, kind: ImportKind, staging: StagingFile | None, *, trim: bool = False) -> bool:
    """Whether the batch's staged rows are exactly its valid rows counted so far. `trim`: first cut off rows the
    staging file holds past `last_chunk_row` (committed there by a run that died before its counters were)."""
    staged = StagedRow.objects.filter(batch_id=batch.pk).count()
    if kind.staging_model is not None:
        staged += kind.staging_model.objects.filter(batch_id=batch.pk).count()
    if staging is not None:
        if not staging.intact():
            return False
        if trim:
            staging.trim_after(batch.last_chunk_row)
        staged += staging.count()
    return staged == batch.rows_valid


def _restage_from_start(batch: ImportBatch, kind: ImportKind) -> None:
    """Forget what the batch has staged and counted, so that it is staged again from its first row."""
    logger.warning("import batch %s: its staged rows are not all there; staging it again from the start", batch.number)
    with transaction.atomic():
        moved = ImportBatch.objects.filter(
            pk=batch.pk, status=batch.status, last_chunk_row=batch.last_chunk_row
        ).update(
            status=ImportBatch.Status.STAGING,
            last_chunk_row=0,
            rows_total=0,
            rows_valid=0,
            rows_rejected=0,
            updated_at=timezone.now(),
        )
        if not moved:
            raise _Superseded
        _delete_staged(batch)
        ImportRowError.objects.filter(batch_id=batch.pk).delete()
    staging = _existing_staging(batch, kind)
    if staging is not None:
        staging.remove()
    batch.status = ImportBatch.Status.STAGING
    batch.last_chunk_row = batch.rows_total = batch.rows_valid = batch.rows_rejected = 0


class _ChunkWriter:
    """Commits the staged chunks — in a second thread when it can, so that validating chunk N+1 (Python, holding
    the GIL) overlaps writing chunk N (SQLite and PostgreSQL drivers release the GIL while the database works).

    At most one chunk is in flight: `submit` first waits for the previous one (and re-raises its error), so
    memory stays bounded and chunks commit in file order, exactly as without the thread. The thread has its own
    database connection, which sees only committed data: it is used only outside any transaction of the caller
    (a test's, or a service's) and never on an in-memory SQLite database; otherwise chunks commit inline.
    """

    def __init__(self, batch: ImportBatch, kind: ImportKind, seen: _SeenKeys, staging: StagingFile | None) -> None:
        self.batch, self.kind, self.seen, self.staging = batch, kind, seen, staging
        self.pool: ThreadPoolExecutor | None = None
        self.future: Future[None] | None = None
        self.in_flight_last_row = 0
        threaded = bool(getattr(settings, "GOVTRUST_INGEST_WRITER_THREAD", True))
        if threaded and not connection.in_atomic_block and not parallel.in_memory_database():
            self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer")

    def wait(self) -> None:
        """Wait for the chunk in flight (its rows are then committed and counted on `batch`)."""
        if self.future is not None:
            future, self.future = self.future, None
            future.result()
            # In this (the validating) thread: `seen` is not shared with the writer.
            self.seen.forget_through(self.in_flight_last_row)

    def submit(self, chunk: _Chunk) -> None:
        self.wait()
        if self.pool is None:
            _commit_chunk(self.batch, self.kind, chunk, self.staging)
            self.seen.forget_through(chunk.last_row)
        else:
            self.in_flight_last_row = chunk.last_row
            self.future = self.pool.submit(_commit_chunk_in_thread, self.batch, self.kind, chunk, self.staging)

    def close(self, *, raise_errors: bool = True) -> None:
        if self.pool is None:
            return
        try:
            try:
                self.wait()
            except Exception:
                if raise_errors:
                    raise
        finally:
            self.pool.submit(connections.close_all).result()  # the thread's own connection
            self.pool.shutdown(wait=True)
            self.pool = None


def _stage_rows(run: _StagingRun, writer: _ChunkWriter) -> None:
    typed_seq = run.typed_seq
    for rows, read in parallel.validated_chunks(run.kind, run.source, run.size, run.resume_after):
        chunk, typed_seq = _chunk_of(run.batch, run.kind, rows, run.seen.first_row, typed_seq, run.dumps)
        writer.submit(chunk)
        # The counters of the chunks committed so far (the writer may still be on this one).
        run.report(run.source.total_rows, read)


def _chunk_of(
    batch: ImportBatch,
    kind: ImportKind,
    rows: list[parallel.Validated],
    earlier_row: Callable[[str, int], int | None],
    typed_seq: int,
    dumps: Callable[[Any], str],
) -> tuple[_Chunk, int]:
    """The chunk to commit for validated `rows`, and the last typed rank given. `earlier_row(key, row)` is the
    earlier row of the file with the same natural key (a duplicate), or None."""
    chunk = _new_chunk()
    for row_number, errors, natural_key, typed, data in rows:
        chunk.total += 1
        chunk.last_row = row_number
        if natural_key and not errors:
            earlier = earlier_row(natural_key, row_number)
            if earlier is not None:
                errors = [CellError("", "", _("与第%(row)d行重复") % {"row": earlier})]
        if errors:
            chunk.rejected += 1
            chunk.errors.extend(_error_rows(batch, kind, row_number, errors))
        elif typed is not None:
            chunk.valid += 1
            typed_seq += 1
            chunk.typed.append((batch.pk, row_number, natural_key, typed_seq, *typed))
        else:
            chunk.valid += 1
            chunk.staged.append((batch.pk, row_number, natural_key[:255], dumps(data)))
    return chunk, typed_seq


def _stage_in_parts(run: _StagingRun) -> None:
    """`_stage_rows` split over two processes (`parallel.staged_in_parts`): they validate and commit alternate
    chunks; here the keys are de-duplicated in file order and each chunk gets its turn, its duplicates and its ranks.
    The staged rows, errors and counters are those of `_stage_rows` (tests/records/test_formats_parallel.py)."""
    batch, kind, seen = run.batch, run.kind, run.seen
    ranks = [run.typed_seq]

    def grant(index: int, keys: parallel.ChunkKeys) -> parallel.Grant:
        duplicates: dict[int, int] = {}
        typed = 0
        for row_number, natural_key, is_typed in keys:
            earlier = seen.first_row(natural_key, row_number)
            if earlier is not None:
                duplicates[row_number] = earlier
            elif is_typed:
                typed += 1
        granted = parallel.Grant(index, duplicates, ranks[0])
        ranks[0] += typed
        return granted

    def stage(validated: list[parallel.Validated], granted: parallel.Grant) -> _Chunk:
        def earlier_row(_key: str, row_number: int) -> int | None:
            return granted.duplicates.get(row_number)  # found in file order by `grant`

        chunk, _last = _chunk_of(batch, kind, validated, earlier_row, granted.seq_before, run.dumps)
        _write_staging_file(kind, chunk, run.staging)  # before its turn: the file is keyed by row number
        return chunk

    def commit(chunk: _Chunk, turn: parallel.Turn) -> parallel.Committed:
        batch.last_chunk_row = turn.last_row  # this process's copy: what the commit must find
        try:
            _commit_chunk_in_thread(batch, kind, chunk, None)
        except _Superseded:
            raise parallel.Superseded from None
        return parallel.Committed(chunk.total, chunk.valid, chunk.rejected, chunk.last_row)

    def committed(counters: parallel.Committed, read: int) -> None:
        batch.last_chunk_row = counters.last_row
        batch.rows_total += counters.total
        batch.rows_valid += counters.valid
        batch.rows_rejected += counters.rejected
        seen.forget_through(counters.last_row)
        run.report(None, read)

    try:
        parallel.staged_in_parts(
            kind, run.source, run.size, run.resume_after, grant=grant, stage=stage, commit=commit, committed=committed
        )
    except parallel.Superseded:
        raise _Superseded from None


@cache
def _stage_columns(model: Any, columns: tuple[str, ...]) -> tuple[str, str]:
    """(quoted table, quoted column list) of a staging table's (batch_id, row_number, natural_key, *columns)."""
    qn = connection.ops.quote_name
    names = ["batch_id", "row_number", "natural_key", *(model._meta.get_field(c).column for c in columns)]
    return qn(model._meta.db_table), ", ".join(qn(n) for n in names)


def _stage_write(cursor: Any, model: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Write staged rows (batch_id, row_number, natural_key, *columns): `executemany` on SQLite, `COPY` on
    PostgreSQL — there executemany binds and executes every row on its own (a 100,000-row file staged at ~10,000
    rows/s with the server and the driver waiting on each other); COPY streams the chunk in one statement, every
    value as text that the server parses by column type (ISO dates, decimals, NULL)."""
    table, names = _stage_columns(model, columns)
    if connection.vendor != "postgresql":
        placeholders = ", ".join(["%s"] * (3 + len(columns)))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)  # noqa: S608
        return
    # The driver's cursor directly (Django's wrapper has no COPY); its errors still surface as Django's.
    with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _delete_staged(batch: ImportBatch) -> None:
    """Drop the batch's staged rows (inside the caller's transaction)."""
    for model in (StagedRow, get_kind(batch.kind).staging_model):
        if model is None:
            continue
        rows = model.objects.filter(batch_id=batch.pk)
        if connection.vendor == "sqlite" and not model.objects.exclude(batch_id=batch.pk).exists():
            # Only this batch is staged (the usual case): a DELETE without WHERE is SQLite's truncate
            # optimisation — pages are freed, not rewritten one by one (a million staged rows: ~5 s → <1 s).
            # The check is safe: the caller holds SQLite's one write lock, so no other batch can stage meanwhile.
            rows = model.objects.all()
        with _zeroing_freed_pages(on=not getattr(model, "residue_is_public", False)):
            rows.delete()


@contextlib.contextmanager
def _zeroing_freed_pages(*, on: bool) -> Iterator[None]:
    """SQLite's `secure_delete` for one statement: off only for staged rows whose residue is public
    (`TypedStagedRow.residue_is_public`); on, as the build's default, for everything else."""
    if on or connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        before = cursor.fetchone()[0]
        cursor.execute("PRAGMA secure_delete = OFF")
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA secure_delete = {int(before)}")


# SQLite copies the write-ahead log into the database (a checkpoint, with an fsync) once it passes 1,000 pages — after
# every chunk of a big import. The writer thread's own connection (closed after staging) lets it grow to this many
# pages first (~32 MB).
STAGING_WAL_AUTOCHECKPOINT = 8192


def _commit_chunk_in_thread(batch: ImportBatch, kind: ImportKind, chunk: _Chunk, staging: StagingFile | None) -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {STAGING_WAL_AUTOCHECKPOINT}")
    _commit_chunk(batch, kind, chunk, staging)


def _write_staging_file(kind: ImportKind, chunk: _Chunk, staging: StagingFile | None) -> None:
    """Commit the chunk's typed rows to the batch's staging file, if it has one (then they are not written again)."""
    if staging is not None and chunk.typed:
        _table, names = _stage_columns(kind.staging_model, ("seq", *kind.staging_columns))
        staging.append(names, chunk.typed)
        chunk.typed = []


def _commit_chunk(batch: ImportBatch, kind: ImportKind, chunk: _Chunk, staging: StagingFile | None) -> None:
    """One transaction: the batch counters move on (only from where this runner left them), then the rows. Typed
    rows going to a staging file are committed there first (a run that dies between the two leaves rows past
    `last_chunk_row` in the file, which the next run cuts off)."""
    _write_staging_file(kind, chunk, staging)
    with transaction.atomic():
        moved = ImportBatch.objects.filter(
            pk=batch.pk, status=ImportBatch.Status.STAGING, last_chunk_row=batch.last_chunk_row
        ).update(
            last_chunk_row=chunk.last_row,
            rows_total=F("rows_total") + chunk.total,
            rows_valid=F("rows_valid") + chunk.valid,
            rows_rejected=F("rows_rejected") + chunk.rejected,
            updated_at=timezone.now(),
        )
        if moved != 1:
            raise _Superseded
        if chunk.staged or chunk.typed:
            with connection.cursor() as cursor:
                if chunk.staged:
                    _stage_write(cursor, StagedRow, ("data",), chunk.staged)
                if chunk.typed:
                    _stage_write(cursor, kind.staging_model, ("seq", *kind.staging_columns), chunk.typed)
        if chunk.errors:
            ImportRowError.objects.bulk_create(chunk.errors, batch_size=1000)
    batch.last_chunk_row = chunk.last_row
    batch.rows_total += chunk.total
    batch.rows_valid += chunk.valid
    batch.rows_rejected += chunk.rejected


def staged_rows(batch: ImportBatch) -> Iterator[Staged]:
    """The staged rows of a batch in row order, parsed (what `publish` receives; kinds use it in `begin`)."""
    loads = json.loads
    rows = StagedRow.objects.filter(batch=batch).order_by("row_number")
    for row_number, key, data in rows.values_list("row_number", "natural_key", "data").iterator(chunk_size=5000):
        yield Staged(row_number, key, loads(data))


def reject_at_publish(batch: ImportBatch, *, row_number: int, errors: list[CellError]) -> None:
    """For `publish`: reject a staged row after all (e.g. its object appeared in the database meanwhile).

    The row is counted as rejected instead of valid and its errors are reported. In a strict batch the
    whole publication is then undone and the batch rejected.
    """
    if batch.strict:
        raise _StrictRollback(row_number, errors)
    kind = get_kind(batch.kind)
    ImportRowError.objects.bulk_create(_error_rows(batch, kind, row_number, errors))
    ImportBatch.objects.filter(pk=batch.pk).update(rows_valid=F("rows_valid") - 1, rows_rejected=F("rows_rejected") + 1)
    batch.rows_valid -= 1
    batch.rows_rejected += 1


def _summary(batch: ImportBatch) -> dict[str, Any]:
    return {
        "number": batch.number,
        "kind": batch.kind,
        "supplier_code": batch.supplier_code,
        "file_name": batch.file_name,
        "sha256": batch.sha256,
        "strict": batch.strict,
        "status": batch.status,
        "rows_total": batch.rows_total,
        "rows_valid": batch.rows_valid,
        "rows_rejected": batch.rows_rejected,
        "rows_published": batch.rows_published,
        "message": batch.message,
    }


def _publish(batch: ImportBatch, kind: ImportKind) -> None:
    staging = _existing_staging(batch, kind)
    if staging is not None and connection.in_atomic_block:
        # Inside a caller's transaction SQLite refuses ATTACH: the rows are copied into the kind's table instead.
        _copy_into_database(kind, staging)
        staging = None
    if kind.staging_model is not None:
        batch.typed_staging_table = stagingfile.qualified_table(kind.staging_model, staging)
    with stagingfile.attached_for_publication(staging):  # and unlinked after it
        _publish_in_transaction(batch, kind)


def remove_finished_staging_files() -> int:
    """Unlink the staging files of finished batches (published, rejected or refused); how many were removed."""
    root = ingest_root()
    numbers = [path.parent.name for path in root.glob(f"*/{stagingfile.FILE_NAME}")] if root.exists() else []
    removed = 0
    finished = ImportBatch.objects.filter(number__in=numbers, status__in=ImportBatch.FINISHED)
    for batch in finished.only("number", "kind"):
        staging = StagingFile.existing(batch_dir(batch), get_kind(batch.kind).staging_model)
        if staging is not None:
            staging.remove()
            removed += 1
    return removed


def _copy_into_database(kind: ImportKind, staging: StagingFile) -> None:
    columns = tuple(staging.columns()[3:])  # after batch_id, row_number, natural_key
    with connection.cursor() as cursor:
        for rows in chunked(staging.rows(), CHUNK_ROWS_MAX):
            _stage_write(cursor, kind.staging_model, columns, rows)
    transaction.on_commit(staging.remove)


def _publish_in_transaction(batch: ImportBatch, kind: ImportKind) -> None:
    with transaction.atomic():
        claimed = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.STAGED).update(
            status=ImportBatch.Status.PUBLISHING
        )
        if not claimed:
            raise _Superseded
        batch.refresh_from_db()
        result = dict(kind.publish(batch, staged_rows(batch)) or {})
        batch.refresh_from_db()
        now = timezone.now()
        batch.status = ImportBatch.Status.PUBLISHED
        batch.rows_published = int(result.get("published", batch.rows_valid))
        batch.result = result
        batch.finished_at = now
        batch.save(update_fields=["status", "rows_published", "result", "finished_at", "updated_at"])
        _delete_staged(batch)
        log_change(
            actor=batch_actor(batch),
            action=ObjectChange.Action.IMPORT,
            obj=batch,
            after={**_summary(batch), "result": result},
            message=_("归集入库%(n)d行") % {"n": batch.rows_published},
        )


def _finish_without_publishing(batch: ImportBatch, status: str, message: str, *, clear_errors: bool) -> None:
    with transaction.atomic():
        changed = (
            ImportBatch.objects.filter(pk=batch.pk)
            .exclude(status__in=ImportBatch.FINISHED)
            .update(status=status, message=message, finished_at=timezone.now())
        )
        if not changed:
            return
        _delete_staged(batch)
        staging = _existing_staging(batch, get_kind(batch.kind))
        if staging is not None:
            transaction.on_commit(staging.remove)
        if clear_errors:
            ImportRowError.objects.filter(batch_id=batch.pk).delete()
        batch.refresh_from_db()
        log_change(
            actor=batch_actor(batch),
            action=ObjectChange.Action.IMPORT,
            obj=batch,
            after=_summary(batch),
            message=message,
        )


def _reject(batch: ImportBatch) -> None:
    batch.refresh_from_db()
    message = _("严格模式：%(n)d行有错误，整批未入库") % {"n": batch.rows_rejected}
    _finish_without_publishing(batch, ImportBatch.Status.REJECTED, message, clear_errors=False)


def _refuse(batch: ImportBatch, message: str) -> None:
    # A refused file has no meaningful rows: counters and row errors of a partial read are dropped.
    ImportBatch.objects.filter(pk=batch.pk).exclude(status__in=ImportBatch.FINISHED).update(
        rows_total=0, rows_valid=0, rows_rejected=0, last_chunk_row=0
    )
    _finish_without_publishing(batch, ImportBatch.Status.REFUSED, message, clear_errors=True)
