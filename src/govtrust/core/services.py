"""core's write services. Every write is a typed keyword-only function in a transaction that audits itself.

Sections belong to different concerns; keep each one together.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from govtrust.core import periods
from govtrust.core.audit import actor_identity, log_change, model_snapshot
from govtrust.core.codes import forget_legacy_codes
from govtrust.core.events import emit
from govtrust.core.models import CalendarYear, KnownLegacyCode, ObjectChange, Region
from govtrust.core.models.regions import RegionKind, RegionLevel
from govtrust.core.regions import RegionImportError, RegionRow, RowError
from govtrust.core.validators import check_uscc, normalise_code

# =====================================================================================================================
# Calendar (periods): the operator's year table of holidays and make-up working days
# =====================================================================================================================


def calendar_year_save(
    *,
    actor: Any,
    year: int,
    holidays: Iterable[datetime.date | str],
    workdays: Iterable[datetime.date | str],
    basis: str,
) -> CalendarYear:
    """Enter or correct one year's official holiday arrangement; it overrides the packaged data for that year.

    Validated by `periods.validate_arrangement` (raises ValidationError, nothing stored). Audited, and emits
    `calendar.year_entered` {"year": year} so that modules holding provisional deadlines recompute them.
    """
    year, days_off, days_on, basis = periods.validate_arrangement(
        year=year, holidays=holidays, workdays=workdays, basis=basis
    )
    entered_by_pk, entered_by_name = actor_identity(actor)
    values = {
        "holidays": [d.isoformat() for d in days_off],
        "workdays": [d.isoformat() for d in days_on],
        "basis": basis,
        "entered_by_pk": entered_by_pk,
        "entered_by_name": entered_by_name,
    }
    with transaction.atomic():
        row = CalendarYear.objects.filter(year=year).first()
        before = model_snapshot(row, exclude=("updated_at",)) if row else None
        if row is None:
            row = CalendarYear.objects.create(year=year, **values)
            action = ObjectChange.Action.CREATE
        else:
            for field, value in values.items():
                setattr(row, field, value)
            row.save()
            action = ObjectChange.Action.UPDATE
        log_change(
            actor=actor,
            action=action,
            obj=row,
            before=before,
            after=model_snapshot(row, exclude=("updated_at",)),
            message=basis[:500],
        )
        emit(periods.EVENT_YEAR_ENTERED, {"year": year})
        # Drop this process's cache now (reads later in this transaction see the new row) and again after commit;
        # other processes notice through the version check in periods.get_calendar().
        periods.invalidate_calendar()
        transaction.on_commit(periods.invalidate_calendar)
    return row


# =====================================================================================================================


# --- Known legacy USCCs -------------------------------------------------------------------------


def legacy_code_errors(code: str, note: str) -> dict[str, str]:
    """Field → reason for a proposed list entry (empty when acceptable); the admin form shows these too."""
    code = normalise_code(code)
    errors: dict[str, str] = {}
    # Only structurally sound codes that fail a check digit belong on the list.
    as_listed = check_uscc(code, legacy_codes={code})
    if as_listed.status == "invalid":
        errors["code"] = as_listed.reason
    elif as_listed.status == "valid":
        errors["code"] = _("该代码校验通过，无需登记为历史代码")
    elif KnownLegacyCode.objects.filter(code=code).exists():
        errors["code"] = _("该代码已登记")
    if not (note or "").strip():
        errors["note"] = _("请说明该代码的来源（如核实的登记证书）")
    return errors


def legacy_code_add(*, actor: Any, code: str, note: str) -> KnownLegacyCode:
    """Register a real USCC that fails a check digit, so validation reports it as `legacy`, not `invalid`."""
    errors = legacy_code_errors(code, note)
    if errors:
        raise ValidationError(errors)
    code, note = normalise_code(code), note.strip()
    pk, name = actor_identity(actor)
    try:
        with transaction.atomic():
            entry = KnownLegacyCode.objects.create(code=code, note=note[:500], added_by_pk=pk, added_by_name=name)
            log_change(
                actor=actor,
                action=ObjectChange.Action.CREATE,
                obj=entry,
                after=model_snapshot(entry, exclude=("id",)),
            )
            forget_legacy_codes()
    except IntegrityError:  # added by someone else since the check above
        raise ValidationError({"code": _("该代码已登记")})
    return entry


def legacy_code_remove(*, actor: Any, code: str) -> None:
    code = normalise_code(code)
    with transaction.atomic():
        entry = KnownLegacyCode.objects.filter(code=code).first()
        if entry is None:
            raise ValidationError({"code": _("该代码不在历史代码清单中")})
        before = model_snapshot(entry, exclude=("id",))
        log_change(actor=actor, action=ObjectChange.Action.DELETE, obj=entry, before=before)
        entry.delete()
        forget_legacy_codes()


# --- Township-level region import ---------------------------------------------------------------


@dataclass
class RegionImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


# The `kind` column: empty means township; the Chinese labels are accepted as typed in spreadsheets.
_KIND_ALIASES = {
    "": RegionKind.TOWNSHIP,
    "township": RegionKind.TOWNSHIP,
    "乡级单位": RegionKind.TOWNSHIP,
    "functional_zone": RegionKind.FUNCTIONAL_ZONE,
    "功能区": RegionKind.FUNCTIONAL_ZONE,
}
_COLUMN_ORDER = {"": 0, "code": 1, "name": 2, "parent_code": 3, "kind": 4}


def township_code(raw: str) -> tuple[str, str]:
    """(canonical 9-digit code, "") or ("", reason). See `govtrust.core.regions` for the 12-digit rule."""
    if not raw:
        return "", _("代码不能为空")
    if not raw.isascii() or not raw.isdigit():
        return "", _("代码只能包含数字")
    if len(raw) == 12:
        if not raw.endswith("000"):
            return "", _("12位代码“%(c)s”是村级代码，本平台只收录到乡级") % {"c": raw}
        return raw[:9], ""
    if len(raw) != 9:
        return "", _("乡级代码应为9位（或以000结尾的12位），实际为%(n)d位") % {"n": len(raw)}
    return raw, ""


def _in_chunks(codes: Iterable[str], size: int = 500) -> Iterable[list[str]]:
    # Keep IN lists well under SQLite's bound-variable limit.
    items = sorted(set(codes))
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _regions_by_code(codes: Iterable[str]) -> dict[str, Region]:
    found: dict[str, Region] = {}
    for chunk in _in_chunks(codes):
        found.update({r.code: r for r in Region.objects.filter(code__in=chunk)})
    return found


def region_import(*, actor: Any, rows: Sequence[RegionRow]) -> RegionImportResult:
    """Insert or update township-level regions, all or nothing.

    Any bad row raises RegionImportError listing every bad row (row number, column, reason) and stores
    nothing. Importing the same rows again changes nothing. One audit row records the batch.
    """
    max_name = Region._meta.get_field("name").max_length or 64
    errors: list[RowError] = []
    clean: list[tuple[RegionRow, str, str, RegionKind]] = []  # row, code, parent code, kind
    seen: dict[str, int] = {}
    for row in rows:
        bad = len(errors)
        if row.surplus_cells:
            errors.append(RowError(row.row, "", _("单元格数多于表头列数")))
        code, reason = township_code(row.code)
        if reason:
            errors.append(RowError(row.row, "code", reason))
        elif code in seen:
            errors.append(RowError(row.row, "code", _("代码%(c)s与第%(r)d行重复") % {"c": code, "r": seen[code]}))
        else:
            seen[code] = row.row
        if not row.name:
            errors.append(RowError(row.row, "name", _("名称不能为空")))
        elif len(row.name) > max_name:
            errors.append(RowError(row.row, "name", _("名称不能超过%(n)d个字") % {"n": max_name}))
        elif not row.name.isprintable():
            errors.append(RowError(row.row, "name", _("名称含有换行或控制字符")))
        kind = _KIND_ALIASES.get(row.kind)
        if kind is None:
            errors.append(RowError(row.row, "kind", _("类别应为 township 或 functional_zone")))
        parent_code = row.parent_code or code[:6]
        if row.parent_code and not (row.parent_code.isascii() and row.parent_code.isdigit()):
            errors.append(RowError(row.row, "parent_code", _("上级代码只能包含数字")))
        if len(errors) == bad and kind is not None:
            clean.append((row, code, parent_code, kind))

    parents = _regions_by_code(p for _row, _code, p, _kind in clean)
    existing = _regions_by_code(c for _row, c, _parent, _kind in clean)
    for row, code, parent_code, _kind in clean:
        column = "parent_code" if row.parent_code else "code"
        parent = parents.get(parent_code)
        if parent is None:
            errors.append(RowError(row.row, column, _("上级区划“%(c)s”不存在") % {"c": parent_code}))
        elif parent.level != RegionLevel.COUNTY:
            errors.append(RowError(row.row, column, _("上级区划“%(c)s”不是县级单位或功能区") % {"c": parent_code}))
        if code in existing and existing[code].level != RegionLevel.TOWNSHIP:
            errors.append(RowError(row.row, "code", _("代码%(c)s已被非乡级区划使用") % {"c": code}))
    if errors:
        raise RegionImportError(sorted(errors, key=lambda e: (e.row, _COLUMN_ORDER.get(e.column, 9))))

    result = RegionImportResult()
    changes: dict[str, dict[str, list[str]]] = {}
    with transaction.atomic():
        to_create: list[Region] = []
        for row, code, parent_code, kind in clean:
            parent = parents[parent_code]
            region = existing.get(code) or Region(code=code, level=RegionLevel.TOWNSHIP)
            new = {"name": row.name, "kind": kind.value, "parent_id": parent.pk}
            old = {"name": region.name, "kind": region.kind, "parent_id": region.parent_id}
            if region.pk and old == new:
                result.unchanged.append(code)
                continue
            region.name, region.kind, region.parent = row.name, kind.value, parent
            region.fill_ancestor_codes()
            if region.pk:
                changes[code] = {k: [str(old[k]), str(new[k])] for k in new if old[k] != new[k]}
                region.save()
                result.updated.append(code)
            else:
                to_create.append(region)
                result.created.append(code)
        Region.objects.bulk_create(to_create, batch_size=500)
        log_change(
            actor=actor,
            action=ObjectChange.Action.IMPORT,
            object_type="core.region",
            object_repr=_("乡级区划导入"),
            message=_("新增%(c)d个，修改%(u)d个，未变%(n)d个")
            % {"c": len(result.created), "u": len(result.updated), "n": len(result.unchanged)},
            after={"created": result.created, "updated": changes},
        )
    return result
