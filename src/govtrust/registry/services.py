"""Every write to the registry. Views, the API and the CLI call these; none of them saves a model itself.

Each function validates first and raises `django.core.exceptions.ValidationError` keyed by field with
Chinese messages; the write and its audit row then happen in one transaction, so a failure stores nothing.
A duplicate code is reported with `code="duplicate"` on the error so the API can answer 409.

`actor` is whoever acts (a User, an API client, or the CLI's operator); the services do not check data
scope — callers do, with `visible_to` (see `permissions.py`).
"""

from __future__ import annotations

import datetime
import enum
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from govtrust.core.audit import log_access, log_change, model_snapshot
from govtrust.core.codes import validate_uscc
from govtrust.core.errors import ErrorDict, add_error, raise_if_errors
from govtrust.core.masking import mask_name
from govtrust.core.models import Region
from govtrust.core.validators import check_id_number, normalise_code
from govtrust.registry import policy
from govtrust.registry.models import (
    TREE_PATH_MAX,
    TREE_SEGMENT,
    Agency,
    AgencyLeader,
    AgencyLevel,
    AgencyStatus,
    AgencyType,
    CivilServant,
    CodeStatus,
    Enterprise,
    Person,
    ProtectedIdentity,
)
from govtrust.registry.search import index_agency_name


class _Unset(enum.Enum):
    UNSET = "unset"


# "Leave this field as it is" in the update services (None can be a real value, e.g. no parent).
UNSET: Final = _Unset.UNSET

REGION_LEVEL_TO_AGENCY_LEVEL = {
    1: AgencyLevel.PROVINCE,
    2: AgencyLevel.CITY,
    3: AgencyLevel.COUNTY,
    4: AgencyLevel.TOWNSHIP,
}

# Short local names: these are called on almost every line of the checks below.
_add = add_error
_raise_if = raise_if_errors


def is_duplicate_error(error: ValidationError) -> bool:
    """True when any field error is a duplicate code (the API answers 409 for these)."""
    return any(e.code == "duplicate" for errs in getattr(error, "error_dict", {}).values() for e in errs)


def _snapshot(obj: Any) -> dict[str, Any]:
    exclude = ProtectedIdentity.SECRET_FIELDS if isinstance(obj, ProtectedIdentity) else ()
    return model_snapshot(obj, exclude=exclude)


# --- field checks shared by the services ----------------------------------------------------------


def _checked_name(errors: ErrorDict, field: str, value: str | None, *, max_length: int, label: str) -> str:
    value = policy.clean_text(value)
    message = policy.check_name(value, max_length=max_length, label=label)
    if message:
        _add(errors, field, message)
    return value


def _checked_uscc(
    errors: ErrorDict, raw: str | None, model: type[Agency] | type[Enterprise], *, exclude_pk: int | None = None
) -> tuple[str, str]:
    """(normalised code, CodeStatus value); adds an error for an empty, invalid or already registered code."""
    if not policy.clean_text(raw):
        _add(errors, "uscc", _("统一社会信用代码不能为空"))
        return "", ""
    check = validate_uscc(raw or "")
    if check.status == "invalid":
        _add(errors, "uscc", check.reason)
        return check.code, ""
    same_code = model.objects.filter(uscc=check.code)
    existing = (same_code.exclude(pk=exclude_pk) if exclude_pk is not None else same_code).first()
    if existing is not None:
        _add(
            errors,
            "uscc",
            _("统一社会信用代码%(code)s已登记为“%(name)s”") % {"code": check.code, "name": existing.name},
            code="duplicate",
        )
    return check.code, (CodeStatus.LEGACY if check.status == "legacy" else CodeStatus.VALID)


def _checked_region(errors: ErrorDict, code: str | None, *, required: bool = True) -> Region | None:
    code = normalise_code(code or "")
    if not code:
        if required:
            _add(errors, "region_code", _("行政区划代码不能为空"))
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        _add(errors, "region_code", _("行政区划代码“%(code)s”不存在") % {"code": code})
    return region


def _checked_parent(errors: ErrorDict, uscc: str | None) -> Agency | None:
    code = normalise_code(uscc or "")
    if not code:
        return None
    parent = Agency.objects.filter(uscc=code).first()
    if parent is None:
        _add(errors, "parent_uscc", _("上级单位“%(code)s”未登记") % {"code": code})
    return parent


def _check_choice(errors: ErrorDict, field: str, value: str, choices: Any, label: str) -> None:
    if value not in choices.values:
        _add(errors, field, _("%(label)s“%(value)s”无效") % {"label": label, "value": value})


def _check_parent_fits(errors: ErrorDict, region: Region | None, parent: Agency | None) -> None:
    if region is None or parent is None:
        return
    if not policy.parent_region_fits(
        child_region_ancestors=region.ancestor_codes(), parent_region_code=parent.region.code
    ):
        _add(
            errors,
            "parent_uscc",
            _("上级单位“%(parent)s”位于%(pregion)s，不在本单位所在的%(region)s或其上级区划")
            % {"parent": parent.name, "pregion": parent.region.name, "region": region.name},
        )


def _checked_id_number(errors: ErrorDict, raw: str | None) -> str:
    """The validated ID number in its 18-digit form, or "" with an error added."""
    if not policy.clean_text(raw):
        _add(errors, "id_number", _("身份证号码不能为空"))
        return ""
    check = check_id_number(raw or "")
    if check.status == "invalid":
        _add(errors, "id_number", check.reason)
        return ""
    return policy.upgrade_id_number(check.code)


def _check_dates(errors: ErrorDict, field: str, start: datetime.date | None, end: datetime.date | None) -> None:
    if start is not None and end is not None:
        message = policy.term_error(start, end)
        if message:
            _add(errors, field, message)


# --- agencies ---------------------------------------------------------------------------------------


def agency_create(
    *,
    actor: Any,
    uscc: str,
    name: str,
    region_code: str,
    parent_uscc: str | None = None,
    level: str | None = None,
    org_type: str = AgencyType.ORGAN,
    is_credit_office: bool = False,
    status: str = AgencyStatus.ACTIVE,
) -> Agency:
    """Register a government body. `level` defaults to the level of its region."""
    with transaction.atomic():
        errors: ErrorDict = {}
        code, code_status = _checked_uscc(errors, uscc, Agency)
        name = _checked_name(errors, "name", name, max_length=policy.AGENCY_NAME_MAX, label=_("单位名称"))
        region = _checked_region(errors, region_code)
        parent = _checked_parent(errors, parent_uscc)
        _check_parent_fits(errors, region, parent)
        if parent is not None and len(parent.tree_path) + TREE_SEGMENT > TREE_PATH_MAX:
            _add(errors, "parent_uscc", _("单位层级过深"))
        if not level and region is not None:
            level = REGION_LEVEL_TO_AGENCY_LEVEL[region.level]
        _check_choice(errors, "level", level or "", AgencyLevel, _("层级"))
        _check_choice(errors, "org_type", org_type, AgencyType, _("机构类型"))
        _check_choice(errors, "status", status, AgencyStatus, _("状态"))
        _raise_if(errors)
        assert region is not None and level  # for mypy: errors were raised otherwise

        agency = Agency(
            uscc=code,
            uscc_status=code_status,
            name=name,
            region=region,
            parent=parent,
            level=level,
            org_type=org_type,
            is_credit_office=is_credit_office,
            status=status,
        )
        try:
            with transaction.atomic():
                agency.save()
        except IntegrityError:  # a concurrent insert of the same code won the race
            _add(errors, "uscc", _("统一社会信用代码%(code)s已登记") % {"code": code}, code="duplicate")
            _raise_if(errors)
        # The path needs the primary key, so it is written right after the insert.
        agency.tree_path = (parent.tree_path if parent else "") + agency.own_tree_segment()
        agency.save(update_fields=["tree_path"])
        index_agency_name(agency)
        log_change(actor=actor, action="create", obj=agency, after=_snapshot(agency))
        return agency


def agency_update(
    *,
    actor: Any,
    agency: Agency,
    uscc: str | _Unset = UNSET,
    name: str | _Unset = UNSET,
    region_code: str | _Unset = UNSET,
    parent_uscc: str | None | _Unset = UNSET,
    level: str | _Unset = UNSET,
    org_type: str | _Unset = UNSET,
    is_credit_office: bool | _Unset = UNSET,
    status: str | _Unset = UNSET,
) -> Agency:
    """Change a body; only the arguments given change. Moving it re-roots its whole subtree."""
    with transaction.atomic():
        agency.refresh_from_db()
        before = _snapshot(agency)
        errors: ErrorDict = {}
        if not isinstance(uscc, _Unset) and normalise_code(uscc) != agency.uscc:
            agency.uscc, agency.uscc_status = _checked_uscc(errors, uscc, Agency, exclude_pk=agency.pk)
        if not isinstance(name, _Unset):
            agency.name = _checked_name(errors, "name", name, max_length=policy.AGENCY_NAME_MAX, label=_("单位名称"))
        region = agency.region
        if not isinstance(region_code, _Unset):
            region = _checked_region(errors, region_code) or region
            for child in agency.children.select_related("region"):
                if region.code not in child.region.ancestor_codes():
                    _add(
                        errors,
                        "region_code",
                        _("下级单位“%(child)s”位于%(cregion)s，不在%(region)s之下")
                        % {"child": child.name, "cregion": child.region.name, "region": region.name},
                    )
                    break
        parent = agency.parent
        if not isinstance(parent_uscc, _Unset):
            parent = _checked_parent(errors, parent_uscc)
            if parent is not None and parent.tree_path.startswith(agency.tree_path):
                _add(errors, "parent_uscc", _("上级单位不能是本单位或其下级单位"))
        _check_parent_fits(errors, region, parent)
        for field, value, choices, label in (
            ("level", level, AgencyLevel, _("层级")),
            ("org_type", org_type, AgencyType, _("机构类型")),
            ("status", status, AgencyStatus, _("状态")),
        ):
            if not isinstance(value, _Unset):
                _check_choice(errors, field, value, choices, label)
                setattr(agency, field, value)
        if not isinstance(is_credit_office, _Unset):
            agency.is_credit_office = is_credit_office
        agency.region, agency.parent = region, parent

        old_path = agency.tree_path
        new_path = (parent.tree_path if parent else "") + agency.own_tree_segment()
        moved: list[Agency] = []
        if new_path != old_path:
            for body in Agency.objects.in_subtree(agency, include_self=False).only("pk", "tree_path"):
                body.tree_path = new_path + body.tree_path[len(old_path) :]
                if len(body.tree_path) > TREE_PATH_MAX:
                    _add(errors, "parent_uscc", _("单位层级过深"))
                    break
                moved.append(body)
        _raise_if(errors)

        agency.tree_path = new_path
        try:
            with transaction.atomic():
                agency.save()
        except IntegrityError:
            _add(errors, "uscc", _("统一社会信用代码%(code)s已登记") % {"code": agency.uscc}, code="duplicate")
            _raise_if(errors)
        # Derived paths of the subtree: no audit row each; the moved body's own row records the move.
        Agency.objects.bulk_update(moved, ["tree_path"], batch_size=1000)
        after = _snapshot(agency)
        changed = {k for k in after if k != "updated_at" and after[k] != before.get(k)}
        if "name" in changed:
            index_agency_name(agency)
        if changed:
            log_change(
                actor=actor,
                action="update",
                obj=agency,
                before=before,
                after=after,
                message=_("下级单位路径随之更新%(n)d个") % {"n": len(moved)} if moved else "",
            )
        return agency


def agency_leader_add(
    *,
    actor: Any,
    agency: Agency,
    name: str,
    position: str,
    term_start: datetime.date,
    term_end: datetime.date | None = None,
    civil_servant: CivilServant | None = None,
    end_previous: bool = True,
) -> AgencyLeader:
    """Record a new responsible leader's term.

    With `end_previous` (the default), an open term that began before this one ends the day before it
    (the usual hand-over). Any remaining overlap with another term is refused.
    """
    with transaction.atomic():
        errors: ErrorDict = {}
        name = _checked_name(errors, "name", name, max_length=policy.PERSON_NAME_MAX, label=_("姓名"))
        position = _checked_name(errors, "position", position, max_length=policy.POSITION_MAX, label=_("职务"))
        _check_dates(errors, "term_end", term_start, term_end)
        _raise_if(errors)

        if end_previous:
            for previous in agency.leaders.filter(term_end__isnull=True, term_start__lt=term_start):
                before = _snapshot(previous)
                previous.term_end = term_start - datetime.timedelta(days=1)
                previous.save(update_fields=["term_end"])
                log_change(
                    actor=actor,
                    action="update",
                    obj=previous,
                    before=before,
                    after=_snapshot(previous),
                    message=_("新任负责人接任，前任任期截止"),
                )
        for other in agency.leaders.all():
            if policy.terms_overlap(term_start, term_end, other.term_start, other.term_end):
                _add(
                    errors,
                    "term_start",
                    _("任期与%(name)s的任期（%(start)s至%(end)s）重叠")
                    % {"name": mask_name(other.name), "start": other.term_start, "end": other.term_end or _("今")},
                )
                break
        _raise_if(errors)  # rolls back an ended previous term too

        leader = AgencyLeader.objects.create(
            agency=agency,
            name=name,
            position=position,
            term_start=term_start,
            term_end=term_end,
            civil_servant=civil_servant,
        )
        log_change(actor=actor, action="create", obj=leader, after=_snapshot(leader))
        return leader


def agency_leader_end(*, actor: Any, leader: AgencyLeader, term_end: datetime.date) -> AgencyLeader:
    """Close an open leader term on `term_end`."""
    with transaction.atomic():
        leader.refresh_from_db()
        errors: ErrorDict = {}
        if leader.term_end is not None:
            _add(errors, "term_end", _("该任期已于%(date)s结束") % {"date": leader.term_end})
        _check_dates(errors, "term_end", leader.term_start, term_end)
        _raise_if(errors)
        before = _snapshot(leader)
        leader.term_end = term_end
        leader.save(update_fields=["term_end"])
        log_change(actor=actor, action="update", obj=leader, before=before, after=_snapshot(leader))
        return leader


# --- civil servants and persons ---------------------------------------------------------------------


def civil_servant_create(
    *,
    actor: Any,
    agency: Agency,
    name: str,
    id_number: str,
    position: str = "",
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
) -> CivilServant:
    with transaction.atomic():
        errors: ErrorDict = {}
        name = _checked_name(errors, "name", name, max_length=policy.PERSON_NAME_MAX, label=_("姓名"))
        number = _checked_id_number(errors, id_number)
        position = policy.clean_text(position)
        if position:
            _checked_name(errors, "position", position, max_length=policy.POSITION_MAX, label=_("职务"))
        _check_dates(errors, "end_date", start_date, end_date)
        if number and CivilServant.objects.with_id_number(number).filter(agency=agency).exists():
            _add(errors, "id_number", _("该身份证号码的人员已在本单位登记"), code="duplicate")
        _raise_if(errors)

        servant = CivilServant(agency=agency, name=name, position=position, start_date=start_date, end_date=end_date)
        servant.set_id_number(number)
        servant.save()
        log_change(actor=actor, action="create", obj=servant, after=_snapshot(servant))
        return servant


def civil_servant_update(
    *,
    actor: Any,
    civil_servant: CivilServant,
    agency: Agency | _Unset = UNSET,
    name: str | _Unset = UNSET,
    id_number: str | _Unset = UNSET,
    position: str | _Unset = UNSET,
    start_date: datetime.date | None | _Unset = UNSET,
    end_date: datetime.date | None | _Unset = UNSET,
) -> CivilServant:
    with transaction.atomic():
        servant = civil_servant
        servant.refresh_from_db()
        before = _snapshot(servant)
        errors: ErrorDict = {}
        if not isinstance(agency, _Unset):
            servant.agency = agency
        if not isinstance(name, _Unset):
            servant.name = _checked_name(errors, "name", name, max_length=policy.PERSON_NAME_MAX, label=_("姓名"))
        if not isinstance(id_number, _Unset):
            number = _checked_id_number(errors, id_number)
            if number:
                servant.set_id_number(number)
        if not isinstance(position, _Unset):
            servant.position = policy.clean_text(position)
            if servant.position:
                _checked_name(errors, "position", servant.position, max_length=policy.POSITION_MAX, label=_("职务"))
        if not isinstance(start_date, _Unset):
            servant.start_date = start_date
        if not isinstance(end_date, _Unset):
            servant.end_date = end_date
        _check_dates(errors, "end_date", servant.start_date, servant.end_date)
        if (
            CivilServant.objects.filter(agency=servant.agency, id_number_hash=servant.id_number_hash)
            .exclude(pk=servant.pk)
            .exists()
        ):
            _add(errors, "id_number", _("该身份证号码的人员已在本单位登记"), code="duplicate")
        _raise_if(errors)
        servant.save()
        after = _snapshot(servant)
        if after != before:
            log_change(actor=actor, action="update", obj=servant, before=before, after=after)
        return servant


def _validated_person(name: str, id_number: str) -> tuple[str, str]:
    errors: ErrorDict = {}
    name = _checked_name(errors, "name", name, max_length=policy.PERSON_NAME_MAX, label=_("姓名"))
    number = _checked_id_number(errors, id_number)
    _raise_if(errors)
    return name, number


def _person_insert(actor: Any, name: str, number: str) -> Person:
    person = Person(name=name)
    person.set_id_number(number)
    person.save()
    log_change(actor=actor, action="create", obj=person, after=_snapshot(person))
    return person


def person_create(*, actor: Any, name: str, id_number: str) -> Person:
    """Register a natural person; an ID number already registered is refused (see person_get_or_create)."""
    with transaction.atomic():
        name, number = _validated_person(name, id_number)
        if Person.objects.with_id_number(number).exists():
            raise ValidationError(
                {"id_number": [ValidationError(_("该身份证号码已登记"), code="duplicate")]}  # type: ignore[dict-item]
            )
        return _person_insert(actor, name, number)


def person_get_or_create(*, actor: Any, name: str, id_number: str) -> tuple[Person, bool]:
    """The person with this ID number, registering them first if needed; (person, created)."""
    with transaction.atomic():
        name, number = _validated_person(name, id_number)
        existing = Person.objects.with_id_number(number).first()
        if existing is not None:
            return existing, False
        return _person_insert(actor, name, number), True


def id_number_reveal(*, actor: Any, subject: ProtectedIdentity, purpose: str) -> str:
    """The clear ID number of a civil servant or person; every call writes an access-log row."""
    purpose = policy.clean_text(purpose)
    if not purpose:
        raise ValidationError({"purpose": [ValidationError(_("查看完整证件号码须说明用途"))]})  # type: ignore[dict-item]
    with transaction.atomic():
        log_access(actor=actor, subject=subject, purpose=purpose, detail={"field": "id_number"})
        return subject.decrypt_id_number()


# --- enterprises ------------------------------------------------------------------------------------


def enterprise_create(*, actor: Any, uscc: str, name: str, region_code: str | None = None) -> Enterprise:
    with transaction.atomic():
        errors: ErrorDict = {}
        code, code_status = _checked_uscc(errors, uscc, Enterprise)
        name = _checked_name(errors, "name", name, max_length=policy.AGENCY_NAME_MAX, label=_("企业名称"))
        region = _checked_region(errors, region_code, required=False)
        _raise_if(errors)
        try:
            with transaction.atomic():
                enterprise = Enterprise.objects.create(uscc=code, uscc_status=code_status, name=name, region=region)
        except IntegrityError:
            _add(errors, "uscc", _("统一社会信用代码%(code)s已登记") % {"code": code}, code="duplicate")
            _raise_if(errors)
        log_change(actor=actor, action="create", obj=enterprise, after=_snapshot(enterprise))
        return enterprise
