"""Coverage and timeliness (全覆盖): who reports which records, how late, how many rows fail, who is silent.

Three parts:
- **Deadline rules** (`rules/deadlines/*.json`, pure): per record class, the number of working days between
  the decision and its arrival on the platform, with legal basis, validity dates and a provisional flag.
  双公示 administrative penalties: 7 working days (发改办财金〔2018〕424号); other classes: a provisional
  project default (20 working days, setting `GOVTRUST_RECORDS_DEFAULT_REPORTING_WORKING_DAYS`).
- **Queries** (two, both grouped in SQL): records by (supplier, class, decision date, arrival date) and
  ingest batches by (supplier, month). Lateness is computed in Python once per distinct (decision date,
  arrival date) pair, never once per record, so a million records cost a few thousand date computations.
- **Aggregation** (pure): per supplier and month, and per supplier over the range; the not-reporting list.

Arrival = the local date of `CreditRecord.created_at` (set when the record is stored, i.e. when the import
batch is published or the API call is accepted). Days late are working days after the deadline
(`periods.working_days_between(deadline, arrival)`): the deadline day itself is on time.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from govtrust.core.audit import actor_identity, log_change, model_snapshot
from govtrust.core.periods import Calendar, get_calendar
from govtrust.records.models import CreditRecord, ExpectedSupplier
from govtrust.records.policy import RecordClass
from govtrust.registry.models import Agency

DEADLINES_DIR = Path(__file__).resolve().parent / "rules" / "deadlines"
EXPECTED_LOOKBACK_MONTHS = 12
INGEST_KIND_PREFIX = "records."


# --- deadline rules (pure) -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeadlineRule:
    key: str
    record_classes: tuple[str, ...]  # "*" = any class without a rule of its own
    working_days: int
    document: str
    number: str
    articles: str
    effective_from: datetime.date | None
    effective_to: datetime.date | None
    provisional: bool
    note: str = ""

    def covers(self, day: datetime.date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )

    @property
    def basis(self) -> str:
        parts = [f"《{self.document}》" if self.document else "", self.number, self.articles]
        return " ".join(p for p in parts if p)


def _date(value: Any) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def parse_deadlines(data: Mapping[str, Any]) -> tuple[DeadlineRule, ...]:
    rules = []
    for raw in data.get("deadlines") or ():
        days = raw["working_days"]
        classes = tuple(raw["record_classes"])
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
            raise ValueError(f"deadline {raw.get('key')}: working_days must be 1..365")
        if any(c != "*" and c not in RecordClass.values for c in classes) or not classes:
            raise ValueError(f"deadline {raw.get('key')}: unknown record class")
        rules.append(
            DeadlineRule(
                key=str(raw["key"]),
                record_classes=classes,
                working_days=days,
                document=str(raw.get("document", "")),
                number=str(raw.get("number", "")),
                articles=str(raw.get("articles", "")),
                effective_from=_date(raw.get("effective_from")),
                effective_to=_date(raw.get("effective_to")),
                provisional=bool(raw.get("provisional", False)),
                note=str(raw.get("note", "")),
            )
        )
    return tuple(rules)


@lru_cache(maxsize=1)
def _packaged_deadlines() -> tuple[DeadlineRule, ...]:
    rules: list[DeadlineRule] = []
    for path in sorted(DEADLINES_DIR.glob("*.json")):
        with path.open(encoding="utf-8") as fh:
            rules.extend(parse_deadlines(json.load(fh)))
    return tuple(rules)


def deadline_rules() -> tuple[DeadlineRule, ...]:
    """The packaged rules, with the default's working days replaced by the setting when it is set."""
    override = getattr(settings, "GOVTRUST_RECORDS_DEFAULT_REPORTING_WORKING_DAYS", None)
    rules = _packaged_deadlines()
    if not override:
        return rules
    out = []
    for rule in rules:
        if "*" in rule.record_classes:
            rule = DeadlineRule(**{**rule.__dict__, "working_days": int(override)})
        out.append(rule)
    return tuple(out)


def deadline_rule_for(
    record_class: str, decision_date: datetime.date, rules: Iterable[DeadlineRule] | None = None
) -> DeadlineRule:
    """The rule of the class in force on the decision date; else the default ("*") in force then."""
    rules = tuple(rules if rules is not None else deadline_rules())
    for wanted in (record_class, "*"):
        for rule in rules:
            if wanted in rule.record_classes and rule.covers(decision_date):
                return rule
    raise LookupError(f"no reporting deadline for {record_class} on {decision_date}")


def days_late(decision_date: datetime.date, arrival: datetime.date, working_days: int, calendar: Calendar) -> int:
    """Working days after the deadline (decision + n working days) on which the record arrived; 0 = on time."""
    due = calendar.add_working_days(decision_date, working_days).date
    if arrival <= due:
        return 0
    return max(1, calendar.working_days_between(due, arrival))


# --- aggregation (pure) ----------------------------------------------------------------------------------------------
@dataclass
class Group:
    """One row of the grouped query: `count` records of a class from a supplier, decided and arrived on dates."""

    supplier_id: int
    record_class: str
    decision_date: datetime.date
    arrived: datetime.date
    count: int


@dataclass
class Cell:
    """What a supplier sent in one month (or over the whole range)."""

    records: int = 0
    by_class: dict[str, int] = field(default_factory=dict)
    on_time: int = 0
    late: dict[int, int] = field(default_factory=dict)  # days late -> records
    rows_total: int = 0
    rows_rejected: int = 0
    batches: int = 0

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.records if self.records else None

    @property
    def max_late(self) -> int:
        return max(self.late) if self.late else 0

    @property
    def median_late(self) -> float:
        """Median days late over all records (on-time records count as 0)."""
        return weighted_median({0: self.on_time, **self.late}) if self.records else 0.0

    @property
    def rejected_rate(self) -> float | None:
        return self.rows_rejected / self.rows_total if self.rows_total else None

    @property
    def reported(self) -> bool:
        return self.records > 0 or self.batches > 0

    def add(self, record_class: str, late: int, count: int) -> None:
        self.records += count
        self.by_class[record_class] = self.by_class.get(record_class, 0) + count
        if late:
            self.late[late] = self.late.get(late, 0) + count
        else:
            self.on_time += count


def weighted_median(counts: Mapping[int, int]) -> float:
    """Median of a multiset given as value -> count (the mean of the two middle values for an even total)."""
    total = sum(counts.values())
    if total == 0:
        return 0.0
    items = sorted((v, n) for v, n in counts.items() if n)

    def nth(k: int) -> int:  # 0-based
        seen = 0
        for value, n in items:
            seen += n
            if k < seen:
                return value
        return items[-1][0]

    if total % 2:
        return float(nth(total // 2))
    return (nth(total // 2 - 1) + nth(total // 2)) / 2


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    out, month = [], month_of(first)
    while month <= last:
        out.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return out


def aggregate(
    groups: Iterable[Group], *, calendar: Calendar, rules: Iterable[DeadlineRule]
) -> dict[tuple[int, datetime.date], Cell]:
    """(supplier id, month of arrival) -> Cell. Lateness once per distinct (class rule, decision, arrival)."""
    rules = tuple(rules)
    cells: dict[tuple[int, datetime.date], Cell] = defaultdict(Cell)
    late_cache: dict[tuple[int, datetime.date, datetime.date], int] = {}
    rule_cache: dict[tuple[str, datetime.date], int] = {}
    for g in groups:
        days = rule_cache.get((g.record_class, g.decision_date))
        if days is None:
            days = deadline_rule_for(g.record_class, g.decision_date, rules).working_days
            rule_cache[(g.record_class, g.decision_date)] = days
        key = (days, g.decision_date, g.arrived)
        late = late_cache.get(key)
        if late is None:
            late = late_cache[key] = days_late(g.decision_date, g.arrived, days, calendar)
        cells[(g.supplier_id, month_of(g.arrived))].add(g.record_class, late, g.count)
    return dict(cells)


def merge(cells: Iterable[Cell]) -> Cell:
    total = Cell()
    for cell in cells:
        total.records += cell.records
        total.on_time += cell.on_time
        total.rows_total += cell.rows_total
        total.rows_rejected += cell.rows_rejected
        total.batches += cell.batches
        for k, n in cell.by_class.items():
            total.by_class[k] = total.by_class.get(k, 0) + n
        for d, n in cell.late.items():
            total.late[d] = total.late.get(d, 0) + n
    return total


# --- queries ---------------------------------------------------------------------------------------------------------
def _bounds(first: datetime.date, last: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Aware datetimes [first month's 1st 00:00, the day after the last month's end) in local time."""
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(month_of(first), datetime.time(0), tzinfo=tz)
    end_month = months_between(last, last)[0]
    after = (end_month + datetime.timedelta(days=32)).replace(day=1)
    return start, datetime.datetime.combine(after, datetime.time(0), tzinfo=tz)


def record_groups(
    suppliers: QuerySet[Agency], first: datetime.date, last: datetime.date, record_class: str = ""
) -> list[Group]:
    """One indexed query grouped in SQL by (supplier, class, decision date, arrival date)."""
    start, end = _bounds(first, last)
    qs = CreditRecord.objects.filter(created_at__gte=start, created_at__lt=end, supplier_id__in=suppliers.values("pk"))
    if record_class:
        qs = qs.filter(record_class=record_class)
    rows = (
        qs.annotate(arrived=TruncDate("created_at"))
        .values("supplier_id", "record_class", "decision_date", "arrived")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [
        Group(r["supplier_id"], r["record_class"], r["decision_date"], r["arrived"], r["n"])
        for r in rows.iterator(chunk_size=5000)
    ]


def batch_rates(
    suppliers: QuerySet[Agency], first: datetime.date, last: datetime.date
) -> dict[tuple[str, datetime.date], tuple[int, int, int]]:
    """(supplier USCC, month) -> (batches, rows_total, rows_rejected) of the records import batches."""
    from govtrust.core.models import ImportBatch

    start, end = _bounds(first, last)
    rows = (
        ImportBatch.objects.filter(
            created_at__gte=start,
            created_at__lt=end,
            kind__startswith=INGEST_KIND_PREFIX,
            supplier_code__in=suppliers.values("uscc"),
        )
        .annotate(month=TruncMonth("created_at"))
        .values("supplier_code", "month")
        .annotate(batches=Count("id"), total=Sum("rows_total"), rejected=Sum("rows_rejected"))
        .order_by()
    )
    out = {}
    for r in rows:
        month = r["month"]
        if isinstance(month, datetime.datetime):
            month = timezone.localtime(month).date() if timezone.is_aware(month) else month.date()
        out[(r["supplier_code"], month_of(month))] = (r["batches"], r["total"] or 0, r["rejected"] or 0)
    return out


def expected_suppliers(suppliers: QuerySet[Agency], month: datetime.date, record_class: str = "") -> set[int]:
    """Bodies expected to report in `month`: those that supplied anything in the 12 months before it, plus
    the operators' `ExpectedSupplier` list (from its `since`, for its classes)."""
    from govtrust.core.models import ImportBatch

    month = month_of(month)
    first = month
    for _i in range(EXPECTED_LOOKBACK_MONTHS):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    start, _end = _bounds(first, first)
    end, _x = _bounds(month, month)
    recent = CreditRecord.objects.filter(created_at__gte=start, created_at__lt=end, supplier__in=suppliers)
    if record_class:
        recent = recent.filter(record_class=record_class)
    ids = set(recent.values_list("supplier_id", flat=True).distinct())
    codes = ImportBatch.objects.filter(
        created_at__gte=start, created_at__lt=end, kind__startswith=INGEST_KIND_PREFIX
    ).values("supplier_code")
    ids |= set(suppliers.filter(uscc__in=codes).values_list("pk", flat=True))
    month_end = (month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    for agency_id, classes in ExpectedSupplier.objects.filter(since__lte=month_end, agency__in=suppliers).values_list(
        "agency_id", "record_classes"
    ):
        if not record_class or not classes or record_class in classes:
            ids.add(agency_id)
    return ids


@dataclass
class SupplierRow:
    agency: Agency
    total: Cell
    months: dict[datetime.date, Cell]
    missing: list[datetime.date]  # months in the range where it was expected and sent nothing


@dataclass
class Coverage:
    first: datetime.date
    last: datetime.date
    months: list[datetime.date]
    rows: list[SupplierRow]
    by_month_class: dict[datetime.date, dict[str, int]]

    @property
    def not_reporting(self) -> list[SupplierRow]:
        return [r for r in self.rows if r.missing]


def coverage(
    suppliers: QuerySet[Agency], first: datetime.date, last: datetime.date, *, record_class: str = ""
) -> Coverage:
    """The whole report for the suppliers (already limited to the user's scope and the region filter)."""
    months = months_between(first, last)
    calendar = get_calendar()
    cells = aggregate(record_groups(suppliers, first, last, record_class), calendar=calendar, rules=deadline_rules())
    rates = batch_rates(suppliers, first, last)
    expected = {m: expected_suppliers(suppliers, m, record_class) for m in months}
    involved = {sid for sid, _m in cells} | set().union(*expected.values()) if months else set()
    agencies = {a.pk: a for a in suppliers.filter(pk__in=involved).select_related("region")}
    uscc_to_id = {a.uscc: a.pk for a in agencies.values()}
    for (code, month), (batches, total, rejected) in rates.items():
        if code in uscc_to_id:
            cell = cells.setdefault((uscc_to_id[code], month), Cell())
            cell.batches, cell.rows_total, cell.rows_rejected = batches, total, rejected
    by_month_class: dict[datetime.date, dict[str, int]] = {m: {} for m in months}
    per_supplier: dict[int, dict[datetime.date, Cell]] = defaultdict(dict)
    for (sid, month), cell in cells.items():
        per_supplier[sid][month] = cell
        for k, n in cell.by_class.items():
            by_month_class.setdefault(month, {})[k] = by_month_class.get(month, {}).get(k, 0) + n
    rows = []
    for sid, agency in agencies.items():
        mine = per_supplier.get(sid, {})
        missing = [m for m in months if sid in expected[m] and not (mine.get(m) and mine[m].reported)]
        rows.append(SupplierRow(agency=agency, total=merge(mine.values()), months=mine, missing=missing))
    rows.sort(key=lambda r: (-r.total.max_late, -r.total.median_late, r.agency.name))
    return Coverage(first=month_of(first), last=month_of(last), months=months, rows=rows, by_month_class=by_month_class)


# --- expected suppliers (audited) ------------------------------------------------------------------------------------
def expected_supplier_save(
    *, actor: Any, agency: Agency, record_classes: Iterable[str] = (), since: datetime.date, note: str = ""
) -> ExpectedSupplier:
    """Mark a body as expected to report (for `record_classes`, [] = any) from `since`; create or update."""
    classes = sorted({str(c) for c in record_classes or ()})
    errors: dict[str, list[str]] = {}
    unknown = [c for c in classes if c not in RecordClass.values]
    if unknown:
        errors["record_classes"] = [_("记录类别“%(v)s”无效") % {"v": "、".join(unknown)}]
    if not isinstance(agency, Agency) or agency.pk is None:
        errors["agency"] = [_("报送单位应为已登记的政府部门")]
    if not isinstance(since, datetime.date):
        errors["since"] = [_("起始日期应为日期")]
    note = str(note or "").strip()
    if len(note) > 200:
        errors["note"] = [_("说明不能超过200个字")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = ExpectedSupplier.objects.filter(agency=agency).first()
        before = model_snapshot(row) if row else None
        row = row or ExpectedSupplier(agency=agency)
        row.record_classes = classes
        row.since = since
        row.note = note
        row.entered_by_name = actor_identity(actor)[1]
        row.updated_at = timezone.now()
        row.save()
        log_change(actor=actor, action="update" if before else "create", obj=row, before=before,
                   after=model_snapshot(row), message="records.expected_supplier")  # fmt: skip
    return row


def expected_supplier_remove(*, actor: Any, expected: ExpectedSupplier) -> None:
    with transaction.atomic():
        before = model_snapshot(expected)
        log_change(actor=actor, action="delete", obj=expected, before=before, message="records.expected_supplier")
        expected.delete()


def suppliers_in_scope(user: Any, region_code: str = "") -> QuerySet[Agency]:
    """Supplier bodies the user may see in the coverage report: `records.view` scope, then the region filter."""
    from govtrust.core.models import Region

    qs = Agency.objects.visible_to(user, "records.view")
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            return qs.none()
        qs = qs.filter(Q(**{f"region__{region.ancestor_field()}": region.code}))
    return qs
