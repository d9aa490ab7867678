"""The matcher over the lists in the database: a snapshot on disk shared by every process, plus a delta.

Lifecycle (issue 6 item 7):
- `snapshot_build()` reads every active entry page by page (a raw keyset-paginated cursor: no model objects),
  builds the columnar index, writes it under `SCREENING_INDEX_DIR/index-<time>-<id>/` (one uncompressed
  .npy per array), renames the directory into place and then publishes an `IndexSnapshot` row. Run by
  `govtrust watchlist index`, the daily sweep, a background job when the delta grows, or — only when no
  snapshot exists at all — by the first check (under a file lock, so parallel workers build it once).
- `current_matcher()` maps the newest snapshot read-only (`mmap_mode="r"`: every server worker shares
  the same pages through the page cache) and builds in memory a small delta matcher of the entries added
  or changed since the snapshot was read. Both are consulted; a snapshot entry that has a newer version in
  the delta is ignored. The delta is refreshed when any list's (version, loaded_at) changes, so
  `govtrust screen` works straight after `watchlist import`, with no rebuild and no downtime.
- `live_keys()` is the check against current status that every hit passes before it is reported: a
  delisted entry stops matching at once, whatever the snapshot still holds.
"""

from __future__ import annotations

import datetime
import fcntl
import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Max, Q
from django.utils import timezone

from govtrust.core.ingest.bulk import chunked
from govtrust.screening.matching import Entry, Matcher, Query, Result, Rules, load_rules
from govtrust.screening.matching.engine import RULES_PATH, Row, SubjectKind
from govtrust.screening.models import IndexSnapshot, SubjectType, Watchlist, WatchlistEntry

logger = logging.getLogger(__name__)

PAGE = 20_000
# Entries changed since the snapshot above which a rebuild is queued (the delta is rebuilt in every worker
# whenever a list changes, so it must stay small).
DELTA_REBUILD = 50_000
# An entry written by a transaction that committed after the snapshot read it may carry an earlier
# updated_at than the read's start: the delta looks this far back (loads take less than this).
MARGIN = datetime.timedelta(minutes=15)
KEEP = 3  # snapshots kept on disk (workers still mapping an older one keep its pages until they switch)

_lock = threading.Lock()
_state: dict[str, Any] = {}

ENTRY_COLUMNS = (
    "pk",
    "watchlist__code",
    "subject_type",
    "name",
    "uscc",
    "org_code",
    "reg_number",
    "id_number_hash",
    "id_number_masked",
)


def index_dir() -> Path:
    return Path(getattr(settings, "SCREENING_INDEX_DIR", None) or Path(settings.VAR_DIR) / "screening")


def list_versions() -> tuple[tuple[str, int, bool], ...]:
    return tuple((code, version, active) for code, version, active, _at in _list_state()[0])


def _list_state() -> tuple[tuple[tuple[str, int, bool, object], ...], str | None]:
    """Every list's (code, version, active, loaded_at), and the newest snapshot's name (None: no snapshot).

    One raw statement: this runs on every check, and the ORM's compile step costs more than the query."""
    # loaded_at is part of the key: a version number alone can repeat after a rolled-back load.
    with connection.cursor() as cursor:
        cursor.execute(_LIST_STATE_SQL())
        rows = cursor.fetchall()
    lists = tuple((code, version, bool(active), at) for kind, code, version, active, at in rows if kind == "L")
    newest = next((name for kind, name, *_rest in rows if kind == "S"), None)
    return lists, newest


@lru_cache(maxsize=1)
def _LIST_STATE_SQL() -> str:  # noqa: N802
    lists = connection.ops.quote_name(Watchlist._meta.db_table)
    snapshots = connection.ops.quote_name(IndexSnapshot._meta.db_table)
    return (
        f"SELECT 'L', code, version, active, loaded_at FROM {lists} "
        f"UNION ALL SELECT 'S', newest.name, NULL, NULL, NULL "
        f"FROM (SELECT name FROM {snapshots} ORDER BY id DESC LIMIT 1) newest ORDER BY 1, 2"
    )


def _rules() -> Rules:
    """The matching rules, read again only when rules/matching.json changes."""
    path = RULES_PATH
    stamp = path.stat().st_mtime_ns
    cached = _state.get("rules")
    if cached is None or cached[0] != stamp:
        cached = (stamp, load_rules(path))
        _state["rules"] = cached
    rules: Rules = cached[1]
    return rules


def _kind(subject_type: str) -> SubjectKind:
    return "person" if subject_type == SubjectType.PERSON else "organisation"


def entries_from_db(only: Q | None = None) -> Iterator[Entry]:
    """Active entries (of any list: a switched-off list is filtered by the live check) as `Entry`."""
    rows = WatchlistEntry.objects.filter(active=True)
    if only is not None:
        rows = rows.filter(only)
    for pk, code, subject_type, name, uscc, org_code, reg, id_hash, id_masked in (
        rows.order_by("pk").values_list(*ENTRY_COLUMNS).iterator(chunk_size=10_000)
    ):
        yield Entry(pk, code, _kind(subject_type), name, uscc, org_code, reg, id_hash, id_masked)


def _row_pages(max_id: int) -> Iterator[list[Row]]:
    """Every active entry up to `max_id`, a page at a time, straight from a cursor (keyset pagination:
    constant cost per page on SQLite and PostgreSQL, and no client-side result set of millions of rows)."""
    codes = dict(Watchlist.objects.values_list("pk", "code"))
    table = connection.ops.quote_name(WatchlistEntry._meta.db_table)
    sql = (
        "SELECT id, watchlist_id, subject_type, name, uscc, org_code, reg_number, id_number_hash, "
        f"id_number_masked FROM {table} WHERE active = %s AND id > %s AND id <= %s ORDER BY id LIMIT %s"
    )
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [True, last, max_id, PAGE])
            rows = cursor.fetchall()
        if not rows:
            return
        last = rows[-1][0]
        yield [
            (pk, codes[w], _kind(kind), name, uscc, org, reg, id_hash, masked)
            for pk, w, kind, name, uscc, org, reg, id_hash, masked in rows
        ]


@contextmanager
def _build_lock() -> Iterator[None]:
    root = index_dir()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def snapshot_build(*, rules: Rules | None = None, only_if_missing: bool = False) -> IndexSnapshot:
    """Build the index from the database, save it to disk and publish it (the newest row wins).

    `only_if_missing`: return the newest usable snapshot instead, if there is one once the build lock is
    held (parallel workers starting on an empty directory build it once)."""
    rules = rules or load_rules()
    root = index_dir()
    with _build_lock():
        newest = _newest()
        if only_if_missing and newest is not None and _usable(newest, rules):
            return newest
        started = time.perf_counter()
        built_from = timezone.now()
        max_id = WatchlistEntry.objects.aggregate(top=Max("pk"))["top"] or 0
        matcher = Matcher.build_from_rows(_row_pages(max_id), rules=rules)
        name = f"index-{built_from:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
        partial = root / f"{name}.partial"
        matcher.save(partial, meta={"built_from": built_from.isoformat(), "max_entry_id": max_id})
        partial.rename(root / name)  # complete or absent: a reader never maps half a snapshot
        size = sum(p.stat().st_size for p in (root / name).iterdir())
        snapshot = IndexSnapshot.objects.create(
            name=name,
            built_from=built_from,
            max_entry_id=max_id,
            entries=len(matcher),
            size_bytes=size,
            build_seconds=round(time.perf_counter() - started, 3),
            rules_version=rules.version,
        )
        _prune(root)
    logger.info("screening index %s: %s entries in %.1fs", name, len(matcher), snapshot.build_seconds)
    return snapshot


def _prune(root: Path) -> None:
    """Remove snapshot directories no longer among the newest KEEP rows (and older than MARGIN, so that a
    snapshot another transaction is about to publish survives)."""
    keep = set(IndexSnapshot.objects.order_by("-pk").values_list("name", flat=True)[:KEEP])
    cutoff = time.time() - MARGIN.total_seconds()
    for path in root.glob("index-*"):
        if path.name not in keep and path.stat().st_mtime < cutoff:
            shutil.rmtree(path, ignore_errors=True)


class _Union(Collection[int]):
    """`a ∪ b` for membership tests, without copying either set (a check runs thousands of times a second)."""

    def __init__(self, a: Collection[int], b: Collection[int]) -> None:
        self.a, self.b = a, b

    def __contains__(self, key: object) -> bool:
        return key in self.b or key in self.a

    def __iter__(self) -> Iterator[int]:
        yield from self.a
        yield from (k for k in self.b if k not in self.a)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class LayeredMatcher:
    """The snapshot and the delta as one matcher (the same `check` as `Matcher`)."""

    def __init__(self, base: Matcher, delta: Matcher | None, delta_keys: frozenset[int], snapshot: str) -> None:
        self.base, self.delta, self.delta_keys, self.snapshot = base, delta, delta_keys, snapshot
        self.rules = base.rules

    def __len__(self) -> int:
        return len(self.base) + (len(self.delta) if self.delta is not None else 0)

    def check(
        self, query: Query, *, exclude: Collection[int] = (), alive: Callable[[int], bool] | None = None
    ) -> Result:
        if self.delta is None:
            return self.base.check(query, exclude=exclude, alive=alive)
        old = self.base.check(query, exclude=_Union(exclude, self.delta_keys), alive=alive)
        new = self.delta.check(query, exclude=exclude, alive=alive)
        return self.base.rank(old.hits + new.hits)


def _newest() -> IndexSnapshot | None:
    return IndexSnapshot.objects.order_by("-pk").first()


def _usable(snapshot: IndexSnapshot | None, rules: Rules) -> bool:
    return (
        snapshot is not None
        and snapshot.rules_version == rules.version
        and (index_dir() / snapshot.name / "meta.json").exists()
    )


def _delta_filter(snapshot: IndexSnapshot) -> Q:
    return Q(pk__gt=snapshot.max_entry_id) | Q(updated_at__gte=snapshot.built_from - MARGIN)


def current_matcher() -> tuple[LayeredMatcher, tuple[tuple[str, int, bool], ...]]:
    """The matcher for the lists as they are now, and the list versions it answers for.

    The fast path (nothing changed since the last call in this process) is one small raw query."""
    state, newest = _list_state()
    versions = tuple((code, version, active) for code, version, active, _at in state)
    rules = _rules()
    with _lock:
        if newest is None or newest != _state.get("snapshot") or _state.get("rules_version") != rules.version:
            snapshot = _newest()
            if not _usable(snapshot, rules):
                snapshot = snapshot_build(rules=rules, only_if_missing=True)
            assert snapshot is not None
            _state["base"] = Matcher.load(index_dir() / snapshot.name, rules=rules)
            _state["snapshot"], _state["snapshot_row"] = snapshot.name, snapshot
            _state["rules_version"] = rules.version
            _state.pop("list_state", None)
        snapshot = _state["snapshot_row"]
        if _state.get("list_state") != state:
            delta_entries = list(entries_from_db(_delta_filter(snapshot)))
            _state["delta"] = Matcher.build(delta_entries, rules=rules) if delta_entries else None
            _state["delta_keys"] = frozenset(e.key for e in delta_entries)
            _state["list_state"] = state
            if len(delta_entries) > DELTA_REBUILD and snapshot.created_at < timezone.now() - MARGIN:
                queue_rebuild()
        layered = LayeredMatcher(_state["base"], _state["delta"], _state["delta_keys"], snapshot.name)
    return layered, versions


def queue_rebuild() -> None:
    """Queue a background rebuild of the snapshot unless one is already queued or running."""
    from govtrust.core.jobs import job_create, job_enqueue
    from govtrust.core.models import Job
    from govtrust.screening.tasks import INDEX_JOB, rebuild_index

    pending = Job.objects.filter(kind=INDEX_JOB, status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
    if not pending.exists():
        job_enqueue(job_create(actor=None, kind=INDEX_JOB), rebuild_index)


def delta_size(snapshot: IndexSnapshot) -> int:
    return WatchlistEntry.objects.filter(active=True).filter(_delta_filter(snapshot)).count()


def live_keys(keys: Iterable[int]) -> set[int]:
    """Which of these entries are listed right now (active entry on an active list)."""
    # Plain SQL: every screening with a hit runs this, and the ORM's query building cost more than the query.
    quote = connection.ops.quote_name
    entries, lists = quote(WatchlistEntry._meta.db_table), quote(Watchlist._meta.db_table)
    true = connection.ops.adapt_unknown_value(True)
    alive: set[int] = set()
    with connection.cursor() as cursor:
        for group in chunked(sorted(set(keys)), 500):
            cursor.execute(
                f"SELECT e.id FROM {entries} e JOIN {lists} w ON w.id = e.watchlist_id "  # noqa: S608
                f"WHERE e.id IN ({', '.join(['%s'] * len(group))}) AND e.active = %s AND w.active = %s",
                [*group, true, true],
            )
            alive.update(pk for (pk,) in cursor.fetchall())
    return alive
