"""The one read layer of the public portal and open data: every public query starts from `public_records()`.

`public_records()` is `CreditRecord.objects.published()` (government bodies' dishonesty records in force, inside
their publicity window, not covered by a fault-tolerance ruling, not repaired or revoked, `publish` set). Filters
here only ever *narrow* it (`filter_public`): a parameter can select fewer published records, never another
record. Values shown to the public go through `public_values()`, which masks natural persons' data in the text.
"""

from __future__ import annotations

import datetime
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from govtrust.core.models import Region
from govtrust.core.validators import normalise_code
from govtrust.disclosure.masking import mask_personal_data
from govtrust.records import policy as record_policy
from govtrust.records.models import CreditRecord
from govtrust.records.policy import DISHONESTY_CLASSES, RecordClass
from govtrust.registry.models import AgencyLeader, CivilServant
from govtrust.remedies.models import records_under_objection

LAWSUIT_LOST = "admin_lawsuit_lost"
ORDERINGS = {
    "-decision_date": ["-decision_date", "-id"],
    "decision_date": ["decision_date", "id"],
    "number": ["number"],
    "-number": ["-number"],
}
DEFAULT_ORDERING = "-decision_date"
# The only columns a public query reads: never the subject links to persons, never provenance internals.
PUBLIC_FIELDS = (
    "id",
    "number",
    "agency_id",
    "agency__uscc",
    "agency__name",
    "agency__region__code",
    "agency__region__name",
    "record_class",
    "sub_type",
    "severity",
    "document_number",
    "authority_name",
    "authority_uscc",
    "decision_date",
    "conduct_date",
    "facts",
    "basis",
    "content",
    "amount_fine",
    "amount_confiscated",
    "publicity_start",
    "publicity_max_end",
    "supplier__name",
    "updated_at",
)


def public_records(today: datetime.date | None = None) -> QuerySet[CreditRecord]:
    """Every record the public may see, today."""
    return CreditRecord.objects.published(today)


def public_record(number: str) -> CreditRecord | None:
    """The published record with this number, or None — the same None for "no such record" and "not published"."""
    number = (number or "").strip()[:20]
    return public_records().filter(number=number).select_related("agency__region", "supplier").first()


@dataclass(frozen=True)
class PublicFilter:
    """Narrowing parameters, already checked. Empty values mean "no filter"."""

    region_code: str = ""
    record_class: str = ""
    sub_type: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    uscc: str = ""
    text: str = ""  # a substring of the body's name or of the document number
    ordering: str = DEFAULT_ORDERING


class FilterError(ValueError):
    """A parameter that is not one of the accepted values (the message says which, in Chinese)."""


def _date(value: str | None, label: str) -> datetime.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise FilterError(_("%(label)s应为YYYY-MM-DD格式的日期") % {"label": label}) from exc


def parse_filter(params: Any) -> PublicFilter:
    """Check GET-style parameters (region, class, sub_type, date_from, date_to, uscc, q, ordering)."""
    record_class = (params.get("class") or params.get("record_class") or "").strip()
    if record_class and record_class not in DISHONESTY_CLASSES:
        raise FilterError(_("记录类别不在公开范围内：%(value)s") % {"value": record_class[:30]})
    ordering = (params.get("ordering") or DEFAULT_ORDERING).strip()
    if ordering not in ORDERINGS:
        raise FilterError(_("排序方式只能是：%(values)s") % {"values": "、".join(ORDERINGS)})
    date_from = _date(params.get("date_from"), _("起始日期"))
    date_to = _date(params.get("date_to"), _("截止日期"))
    if date_from and date_to and date_from > date_to:
        raise FilterError(_("起始日期不能晚于截止日期"))
    return PublicFilter(
        region_code=(params.get("region") or "").strip()[:12],
        record_class=record_class,
        sub_type=(params.get("sub_type") or "").strip()[:30],
        date_from=date_from,
        date_to=date_to,
        uscc=normalise_code(params.get("uscc") or "")[:18],
        text=(params.get("q") or "").strip()[:100],
        ordering=ordering,
    )


def filter_public(qs: QuerySet[CreditRecord], flt: PublicFilter) -> QuerySet[CreditRecord]:
    """`qs` (a `public_records()` query) narrowed by `flt`. Only ever adds conditions."""
    if flt.region_code:
        region = Region.objects.filter(code=flt.region_code).first()
        if region is None:
            return qs.none()
        qs = qs.filter(**{f"agency__region__{region.ancestor_field()}": region.code})
    if flt.record_class:
        qs = qs.filter(record_class=flt.record_class)
    if flt.sub_type:
        qs = qs.filter(sub_type=flt.sub_type)
    if flt.date_from:
        qs = qs.filter(decision_date__gte=flt.date_from)
    if flt.date_to:
        qs = qs.filter(decision_date__lte=flt.date_to)
    if flt.uscc:
        qs = qs.filter(agency__uscc=flt.uscc)
    if flt.text:
        qs = qs.filter(Q(agency__name__contains=flt.text) | Q(document_number__contains=flt.text))
    return qs.order_by(*ORDERINGS[flt.ordering])


def lawsuits_lost(qs: QuerySet[CreditRecord]) -> QuerySet[CreditRecord]:
    """行政机关败诉: judgments against a body in an administrative lawsuit (the judgment is the document number)."""
    return qs.filter(record_class=RecordClass.JUDGMENT, sub_type=LAWSUIT_LOST)


def defaulters(qs: QuerySet[CreditRecord]) -> QuerySet[CreditRecord]:
    """Bodies refusing to execute effective judgments (失信被执行人)."""
    return qs.filter(record_class=RecordClass.DEFAULTER)


# --- masking context ---------------------------------------------------------------------------------------------


class PersonNames:
    """Names of natural persons registered against bodies (leaders, civil servants), per body, LRU-cached.

    Streaming a million records touches each body's names once per cache window, not once per record.
    """

    def __init__(self, size: int = 2048) -> None:
        self._cache: OrderedDict[int, tuple[str, ...]] = OrderedDict()
        self._size = size

    def for_agency(self, agency_id: int) -> tuple[str, ...]:
        if agency_id in self._cache:
            self._cache.move_to_end(agency_id)
            return self._cache[agency_id]
        names = set(AgencyLeader.objects.filter(agency_id=agency_id).values_list("name", flat=True))
        names |= set(CivilServant.objects.filter(agency_id=agency_id).values_list("name", flat=True)[:5000])
        value = tuple(sorted(names))
        self._cache[agency_id] = value
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return value


def mask_record_text(text: str, *, agency_id: int, keep: Iterable[str], names: PersonNames) -> str:
    return mask_personal_data(text, known_names=names.for_agency(agency_id), keep=keep)


def _amount(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def public_values(row: dict[str, Any], *, names: PersonNames, objection_ids: set[int]) -> dict[str, Any]:
    """One record (a `.values(*PUBLIC_FIELDS)` row) as the public sees it: labels, masked text, plain types."""
    keep = (row["agency__uscc"], row["authority_uscc"])

    def masked(field: str) -> str:
        return mask_record_text(row[field] or "", agency_id=row["agency_id"], keep=keep, names=names)

    return {
        "number": row["number"],
        "body_name": row["agency__name"],
        "body_uscc": row["agency__uscc"],
        "region_code": row["agency__region__code"],
        "region_name": row["agency__region__name"],
        "record_class": row["record_class"],
        "record_class_label": str(RecordClass(row["record_class"]).label),
        "sub_type": row["sub_type"],
        "sub_type_label": record_policy.sub_type_label(row["record_class"], row["sub_type"]) if row["sub_type"] else "",
        "severity": row["severity"],
        "document_number": row["document_number"],
        "authority_name": row["authority_name"],
        "authority_uscc": row["authority_uscc"],
        "decision_date": row["decision_date"].isoformat(),
        "conduct_date": row["conduct_date"].isoformat() if row["conduct_date"] else "",
        "facts": masked("facts"),
        "basis": masked("basis"),
        "content": masked("content"),
        "amount_fine": _amount(row["amount_fine"]),
        "amount_confiscated": _amount(row["amount_confiscated"]),
        "publicity_start": row["publicity_start"].isoformat(),
        "publicity_end": row["publicity_max_end"].isoformat() if row["publicity_max_end"] else "",
        "supplier_name": row["supplier__name"],
        "under_objection": row["id"] in objection_ids,
    }


def iter_public_values(qs: QuerySet[CreditRecord], *, chunk: int = 2000) -> Iterator[dict[str, Any]]:
    """Stream `qs` as public values in bounded memory (objection labels fetched per chunk)."""
    names = PersonNames()
    rows = qs.values(*PUBLIC_FIELDS).iterator(chunk_size=chunk)
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            yield from _emit(batch, names)
            batch = []
    if batch:
        yield from _emit(batch, names)


def _emit(batch: list[dict[str, Any]], names: PersonNames) -> Iterator[dict[str, Any]]:
    ids = records_under_objection([r["id"] for r in batch])
    for row in batch:
        yield public_values(row, names=names, objection_ids=ids)


def page_values(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A page of `.values(*PUBLIC_FIELDS)` rows as public values."""
    ids = records_under_objection([r["id"] for r in rows])
    names = PersonNames()
    return [public_values(r, names=names, objection_ids=ids) for r in rows]
