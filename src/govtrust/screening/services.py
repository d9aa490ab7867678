"""Screening services: check subjects against the lists, remove an entry, keep the GOVTRUST list in step.

    results = screen_subjects([Subject(ref="1", name="南京某某有限公司", uscc="")])

Persons are matched only by ID number (full, or a court's masked number with the exact name).
Every hit is re-checked against the database before it is reported: an entry delisted after the index was
built never produces a hit (`index.live_keys`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from govtrust.accounts.models import OperationLog
from govtrust.core.audit import log_change, model_snapshot
from govtrust.core.crypto import keyed_hash
from govtrust.core.ingest.bulk import insert_one, insert_rows
from govtrust.screening.index import current_matcher, live_keys
from govtrust.screening.matching import Query, Result
from govtrust.screening.matching import identifiers as ids
from govtrust.screening.models import Decision, Feed, Screening, SubjectType, Watchlist, WatchlistEntry
from govtrust.screening.parallel import map_split

GOVTRUST = "GOVTRUST"


@dataclass(frozen=True)
class Subject:
    ref: str = ""
    name: str = ""
    uscc: str = ""
    id_number: str = ""
    exclude: frozenset[int] = field(default_factory=frozenset)  # entry keys cleared as false positives

    def query(self) -> Query:
        number = ids.clean(self.id_number)
        return Query(
            name=self.name,
            uscc=ids.clean(self.uscc),
            id_number=number,
            id_hash=keyed_hash(number) if number and "*" not in number else "",
        )


@dataclass
class Screened:
    subject: Subject
    result: Result
    list_versions: dict[str, int]

    @cached_property
    def hits(self) -> list[dict[str, Any]]:
        """The hits as the API answers them and the `Screening` row stores them (built once for both)."""
        return hit_payload(self)


def screen_subjects(subjects: Sequence[Subject]) -> list[Screened]:
    """Check each subject against every active list; results in input order."""
    matcher, versions = current_matcher()
    listed = {code: version for code, version, active in versions if active}
    queries = [s.query() for s in subjects]
    pairs = list(zip(queries, subjects, strict=True))

    def check(pair: tuple[Query, Subject]) -> Result:
        return matcher.check(pair[0], exclude=pair[1].exclude)

    if len(pairs) >= settings.GOVTRUST_SCREENING_PARALLEL_MIN > 0:
        results = map_split(check, pairs)  # two cores for a big batch (screening.parallel)
    else:
        results = [check(pair) for pair in pairs]
    # Delisted since the snapshot was built: screen those subjects again without them. A second round can
    # surface hits the first cut off (max_hits), so check again until every hit reported is live.
    dead: set[int] = set()
    pending = list(range(len(subjects)))
    for _round in range(5):
        hit_keys = {h.entry_key for i in pending for h in results[i].hits} - dead
        if not hit_keys:
            break
        newly_dead = hit_keys - live_keys(hit_keys)
        if not newly_dead:
            break
        dead |= newly_dead
        pending = [i for i in pending if any(h.entry_key in dead for h in results[i].hits)]
        for i in pending:
            results[i] = matcher.check(queries[i], exclude=set(subjects[i].exclude) | dead)
    else:  # pathological (a whole list switched off): check what remains once and drop the dead
        remaining = {h.entry_key for i in pending for h in results[i].hits}
        dead |= remaining - live_keys(remaining)
        for i in pending:
            results[i] = matcher.base.rank([h for h in results[i].hits if h.entry_key not in dead])
    return [Screened(s, r, listed) for s, r in zip(subjects, results, strict=True)]


SCREENING_FIELDS = (
    "platform",
    "api_client_pk",
    "channel",
    "request_id",
    "created_at",
    "ref",
    "subject_name",
    "subject_uscc",
    "subject_id_hash",
    "subject_id_masked",
    "excluded",
    "decision",
    "score",
    "list_code",
    "hits",
    "list_versions",
    "rules_version",
    "override_decision",
    "override_reason",
    "overridden_by",
)


def hit_payload(screened: Screened) -> list[dict[str, Any]]:
    return [
        {
            "entry_id": h.entry_key,
            "list": h.list_code,
            "name": h.name,
            "uscc": h.uscc,
            "score": h.score,
            "decision": h.decision,
            "explanation": h.explanation_dict(),
        }
        for h in screened.result.hits
    ]


@transaction.atomic
def screenings_record(
    *,
    actor: Any,
    screened: Sequence[Screened],
    platform: str,
    channel: str = "api",
    api_client_pk: int | None = None,
    operation_log: OperationLog | None = None,
) -> str:
    """Store every screening of one request (one row per subject) and one audit row for the request, and the
    request's operation-log row when given (the API's: one commit for all three, not two).

    Returns the request id. A person's ID number is kept only as its look-up hash and masked form."""
    request_id = uuid.uuid4().hex
    now = timezone.now()
    rows = []
    for item in screened:
        subject, result = item.subject, item.result
        number = ids.clean(subject.id_number)
        best = result.best
        rows.append(
            (
                ids.printable(platform, 100),
                api_client_pk,
                channel,
                request_id,
                now,
                ids.printable(subject.ref, 100),
                ids.printable(subject.name, 200),
                ids.printable(ids.clean(subject.uscc), 40),
                keyed_hash(number) if number and "*" not in number else "",
                ids.printable(ids.standard_mask(number) if "*" not in number else number, 18) if number else "",
                sorted(subject.exclude),
                result.decision,
                result.score,
                best.list_code if best else "",
                item.hits,
                item.list_versions,
                result.rules_version,
                "",
                "",
                "",
            )
        )
    insert_rows(Screening, SCREENING_FIELDS, rows)
    counts = {d: sum(1 for i in screened if i.result.decision == d) for d in ("intercept", "review", "pass")}
    log_change(
        actor=actor,
        action="create",
        object_type="screening.request",
        object_id=request_id,
        object_repr=platform[:200],
        message=f"screened {len(rows)}: {counts}",
    )
    if operation_log is not None:
        insert_one(operation_log)
    return request_id


@transaction.atomic
def screening_override(*, actor: Any, screening: Screening, decision: str, reason: str) -> Screening:
    """A reviewer's decision on a screening (人工复核), kept beside the original decision with its reason."""
    if decision not in Decision.values:
        raise ValidationError({"decision": _("复核结论无效")})
    if not reason.strip():
        raise ValidationError({"reason": _("请填写复核理由")})
    before = model_snapshot(screening)
    screening.override_decision = decision
    screening.override_reason = reason.strip()
    screening.overridden_by = getattr(actor, "username", "")[:150]
    screening.overridden_at = timezone.now()
    screening.save(update_fields=["override_decision", "override_reason", "overridden_by", "overridden_at"])
    log_change(
        actor=actor,
        action="update",
        obj=screening,
        before=before,
        after=model_snapshot(screening),
        message=reason.strip()[:500],
    )
    return screening


@transaction.atomic
def watchlist_entry_delist(
    *, actor: Any, entry: WatchlistEntry, delisted_on: Any = None, reason: str
) -> WatchlistEntry:
    """Remove one entry from its list now (performed duty, repaired, listed in error); it stops matching."""
    if not reason.strip():
        raise ValidationError({"reason": _("请填写移出原因")})
    before = model_snapshot(entry, exclude=WatchlistEntry.SECRET_FIELDS)
    entry.active = False
    entry.delisted_on = delisted_on or timezone.localdate()
    entry.save(update_fields=["active", "delisted_on", "updated_at"])
    Watchlist.objects.filter(pk=entry.watchlist_id).update(version=F("version") + 1, loaded_at=timezone.now())
    log_change(
        actor=actor,
        action="update",
        obj=entry,
        before=before,
        after=model_snapshot(entry, exclude=WatchlistEntry.SECRET_FIELDS),
        message=reason,
    )
    return entry


def _record_entries(only: Q | None = None) -> Iterable[tuple[str, dict[str, Any]]]:
    from govtrust.records.models import CreditRecord

    records = CreditRecord.objects.dishonesty().select_related("agency", "enterprise", "civil_servant", "person")
    if only is not None:
        records = records.filter(only)
    for record in records.iterator(chunk_size=2000):
        subject = record.subject
        data: dict[str, Any] = {
            "name": subject.name[:200],
            "reason": f"{record.document_number} {record.basis}"[:4000],
            "listed_on": record.publicity_start,
            "source_ref": record.number,
        }
        if record.is_personal:
            data.update(
                subject_type=SubjectType.PERSON,
                id_number_encrypted=subject.id_number_encrypted,
                id_number_hash=subject.id_number_hash,
                id_number_masked=subject.id_number_masked,
            )
        else:
            data.update(subject_type=SubjectType.ORGANISATION, uscc=subject.uscc, org_code=subject.uscc[8:17])
        yield "REC:" + record.number, data


@transaction.atomic
def govtrust_list_sync(*, actor: Any, records: Q | None = None) -> dict[str, int]:
    """Make the GOVTRUST list equal to the platform's dishonesty records in force (not covered by a
    fault-tolerance ruling): add the new ones, remove the repaired, revoked, expired or covered ones.

    `records` (a filter on CreditRecord) limits the sync to those records — what an event about one record or
    one batch needs; without it every record and entry is compared (the CLI's `watchlist sync`)."""
    from govtrust.records.models import CreditRecord
    from govtrust.screening.matching.normalise import fold

    # Two syncs at once: the (watchlist, natural_key) unique constraint stops a double insert.
    watchlist = Watchlist.objects.get(code=GOVTRUST, feed=Feed.RECORDS)
    entries = WatchlistEntry.objects.filter(watchlist=watchlist)
    if records is not None:
        numbers = CreditRecord.objects.filter(records).values_list("number", flat=True)
        entries = entries.filter(natural_key__in=["REC:" + number for number in numbers])
    current = {key: (pk, active) for key, pk, active in entries.values_list("natural_key", "pk", "active")}
    wanted = dict(_record_entries(records))
    counts = {"added": 0, "removed": 0, "restored": 0}
    for key, data in wanted.items():
        if key not in current:
            WatchlistEntry.objects.create(
                watchlist=watchlist, natural_key=key, name_normalised=fold(data["name"]), **data
            )
            counts["added"] += 1
        elif not current[key][1]:
            WatchlistEntry.objects.filter(pk=current[key][0]).update(active=True, delisted_on=None)
            counts["restored"] += 1
    gone = [pk for key, (pk, active) in current.items() if active and key not in wanted]
    if gone:
        counts["removed"] = WatchlistEntry.objects.filter(pk__in=gone).update(
            active=False, delisted_on=timezone.localdate()
        )
    if any(counts.values()):
        Watchlist.objects.filter(pk=watchlist.pk).update(version=F("version") + 1, loaded_at=timezone.now())
        log_change(actor=actor, action="update", obj=watchlist, message=f"GOVTRUST list sync {counts}")
    return counts
