"""The matcher over the lists in the database, kept per process and rebuilt when any list changes.

`current_matcher()` compares the lists' versions (one small query) with those its matcher was built from
and rebuilds when they differ, so `govtrust screen` works straight after `watchlist import` with no other
step. Snapshots to disk and sharing between workers are a later step (the index is flat numpy arrays).
`live_keys()` is the check against current status that every hit passes before it is reported.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

from govtrust.core.ingest.bulk import chunked
from govtrust.screening.matching import Entry, Matcher, load_rules
from govtrust.screening.matching.engine import SubjectKind
from govtrust.screening.models import SubjectType, Watchlist, WatchlistEntry

_lock = threading.Lock()
_built: dict[str, object] = {}

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


def list_versions() -> tuple[tuple[str, int, bool], ...]:
    return tuple((code, version, active) for code, version, active, _at in _list_state())


def _list_state() -> tuple[tuple[str, int, bool, object], ...]:
    # loaded_at is part of the key: a version number alone can repeat after a rolled-back load.
    return tuple(Watchlist.objects.order_by("code").values_list("code", "version", "active", "loaded_at"))


def entries_from_db() -> Iterator[Entry]:
    rows = (
        WatchlistEntry.objects.filter(active=True, watchlist__active=True)
        .order_by("pk")
        .values_list(*ENTRY_COLUMNS)
        .iterator(chunk_size=10_000)
    )
    for pk, code, subject_type, name, uscc, org_code, reg, id_hash, id_masked in rows:
        kind: SubjectKind = "person" if subject_type == SubjectType.PERSON else "organisation"
        yield Entry(pk, code, kind, name, uscc, org_code, reg, id_hash, id_masked)


def current_matcher() -> tuple[Matcher, tuple[tuple[str, int, bool], ...]]:
    """The matcher for the lists as they are now, and the list versions it was built from."""
    state = _list_state()
    versions = tuple((code, version, active) for code, version, active, _at in state)
    with _lock:
        if _built.get("state") != state:
            _built["matcher"] = Matcher.build(entries_from_db(), rules=load_rules())
            _built["state"] = state
        matcher = _built["matcher"]
    assert isinstance(matcher, Matcher)
    return matcher, versions


def live_keys(keys: Iterable[int]) -> set[int]:
    """Which of these entries are listed right now (active entry on an active list)."""
    alive: set[int] = set()
    for group in chunked(sorted(set(keys)), 500):
        alive.update(
            WatchlistEntry.objects.filter(pk__in=group, active=True, watchlist__active=True).values_list(
                "pk", flat=True
            )
        )
    return alive
