"""Bulk loads of the registry through the import machinery: bodies, civil servants, persons.

The rules are those of `registry.services` (the same pure checks of `policy.py` and `core.validators`),
applied row by row from caches loaded once per batch in `begin`, and the objects are bulk-inserted at
publication. Each batch has one audit row (written by the machinery), not one per object.

Bodies: a parent may be an earlier row of the same file (rows are read top to bottom, so list parents
before their children); a later row is not found ("上级单位未登记"). Tree paths and the name index are
rebuilt at publication.

Data scope of a console user (`registry.change`): rows must fall within it — a body's parent must be a body
the user may change (or a body defined earlier in the file), or, for a credit office, the body's region
must lie in the office's region; a civil servant's body must be one the user may change. Rows from the CLI
(no user) are not limited. Duplicates against the database are checked at publication in bulk.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.core import codes
from govtrust.core.crypto import keyed_hash, sm4_encrypt
from govtrust.core.ingest import CellError, Column, ImportKind, RowOutcome, Staged, register_kind
from govtrust.core.ingest.bulk import insert_rows
from govtrust.core.ingest.services import reject_at_publish, staged_rows
from govtrust.core.ingest.values import parse_date
from govtrust.core.masking import mask_id_number
from govtrust.core.models import ImportBatch, Region
from govtrust.core.validators import check_id_number, check_uscc, normalise_code
from govtrust.registry import policy
from govtrust.registry.models import (
    Agency,
    AgencyLevel,
    AgencyType,
    CivilServant,
    CodeStatus,
    Person,
)
from govtrust.registry.permissions import CHANGE
from govtrust.registry.search import index_names

T = TypeVar("T")
PUBLISH_GROUP = 2000
REGION_LEVEL_TO_AGENCY_LEVEL = {
    1: AgencyLevel.PROVINCE,
    2: AgencyLevel.CITY,
    3: AgencyLevel.COUNTY,
    4: AgencyLevel.TOWNSHIP,
}
SERVANT_FIELDS = ("agency_id", "name", "position", "start_date", "id_number_encrypted", "id_number_hash",
                  "id_number_masked")  # fmt: skip
PERSON_FIELDS = ("name", "id_number_encrypted", "id_number_hash", "id_number_masked")
LABEL_AGENCY_NAME, LABEL_NAME, LABEL_POSITION = gettext_lazy("单位名称"), gettext_lazy("姓名"), gettext_lazy("职务")
YES_NO = (("1", gettext_lazy("是")), ("0", gettext_lazy("否")))


def groups(items: Iterable[T], size: int) -> Iterator[list[T]]:
    group: list[T] = []
    for item in items:
        group.append(item)
        if len(group) >= size:
            yield group
            group = []
    if group:
        yield group


class _Scope:
    """The `registry.change` scope of the batch's submitter (no submitter: the CLI, unlimited)."""

    def __init__(self, batch: ImportBatch) -> None:
        self.unlimited = True
        self.agency_pks: set[int] = set()
        self.region_code = ""
        user = get_user_model().objects.filter(pk=batch.created_by_pk).first() if batch.created_by_pk else None
        if user is None:
            return
        scope = user.data_scope(CHANGE)  # type: ignore[attr-defined]
        if scope == "all":
            return
        self.unlimited = False
        self.agency_pks = set(Agency.objects.visible_to(user, CHANGE).values_list("pk", flat=True))
        agency = getattr(user, "agency", None)
        if agency is not None and agency.is_credit_office and scope == "unit_and_below":
            self.region_code = agency.region.code

    def allows_agency(self, pk: int) -> bool:
        return self.unlimited or pk in self.agency_pks


def _id_number(values: dict[str, str], errors: list[CellError]) -> str:
    raw = values["id_number"]
    check = check_id_number(raw)
    if check.status == "invalid":
        errors.append(CellError("id_number", raw, check.reason))
        return ""
    return policy.upgrade_id_number(check.code)


def _name(values: dict[str, str], key: str, errors: list[CellError], *, max_length: int, label: Any) -> str:
    value = policy.clean_text(values[key])
    if value and len(value) <= max_length and value.isprintable():
        return value  # the common case, without building a translated label per row
    message = policy.check_name(value, max_length=max_length, label=str(label))
    if message:
        errors.append(CellError(key, value, message))
    return value


def _protected(number: str) -> dict[str, str]:
    """The stored forms of an ID number (as ProtectedIdentity.set_id_number): never the clear number."""
    return {"enc": sm4_encrypt(number), "hash": keyed_hash(number), "masked": mask_id_number(number)}


# --- government bodies ----------------------------------------------------------------------------


class Agencies(ImportKind):
    code = "registry.agencies"
    label = gettext_lazy("政府部门")
    supplier_required = False
    action = CHANGE
    columns = (
        Column(
            "uscc",
            gettext_lazy("统一社会信用代码"),
            required=True,
            example="11320000014000001X",
            help=gettext_lazy("18位，GB 32100"),
            width=22,
        ),
        Column(
            "name",
            gettext_lazy("名称"),
            required=True,
            example="江苏省某某局",
            width=36,
            help=gettext_lazy("单位全称，不超过200字"),
        ),
        Column(
            "region_code",
            gettext_lazy("行政区划代码"),
            required=True,
            example="320000",
            help=gettext_lazy("6位或9位行政区划代码（GB/T 2260）"),
        ),
        Column(
            "parent_uscc",
            gettext_lazy("上级单位统一社会信用代码"),
            width=22,
            help=gettext_lazy("已登记的单位，或本文件中排在本行之前的单位；须位于本单位所在区划或其上级区划"),
        ),
        Column(
            "level", gettext_lazy("层级"), choices=tuple(AgencyLevel.choices), help=gettext_lazy("不填则按行政区划确定")
        ),
        Column(
            "org_type", gettext_lazy("机构类型"), choices=tuple(AgencyType.choices), help=gettext_lazy("不填为“机关”")
        ),
        Column(
            "is_credit_office",
            gettext_lazy("是否信用主管部门"),
            choices=YES_NO,
            help=gettext_lazy("社会信用综合管理部门填“是”，不填为“否”"),
        ),
    )

    def template_rows(self) -> list[dict[str, str]]:
        return [
            {
                "uscc": "11320000014000001X",
                "name": "江苏省某某局",
                "region_code": "320000",
                "level": "province",
                "org_type": "organ",
                "is_credit_office": "0",
            }
        ]

    def begin(self, batch: ImportBatch) -> None:
        self.legacy = codes.known_legacy_codes()
        self.regions = {
            code: (pk, level, [c for c in ancestors if c])
            for pk, code, level, *ancestors in Region.objects.values_list(
                "pk", "code", "level", "province_code", "city_code", "county_code", "township_code"
            )
        }
        self.region_code_by_pk = {pk: code for code, (pk, _level, _anc) in self.regions.items()}
        # uscc -> (pk, region code) of registered bodies; uscc -> region code of bodies earlier in this file.
        self.known = {
            uscc: (pk, self.region_code_by_pk[region_id])
            for uscc, pk, region_id in Agency.objects.values_list("uscc", "pk", "region_id")
        }
        self.in_file: dict[str, str] = {}
        for row in staged_rows(batch):  # a resumed run: rows already staged are earlier rows of the file
            self.in_file[row.data["uscc"]] = self.region_code_by_pk[row.data["region_id"]]
        self.scope = _Scope(batch)

    def validate_row(self, values: dict[str, str], *, row_number: int) -> RowOutcome:
        errors: list[CellError] = []
        check = check_uscc(values["uscc"], legacy_codes=self.legacy)
        code = check.code
        if check.status == "invalid":
            errors.append(CellError("uscc", values["uscc"], check.reason))
        elif code in self.known:
            errors.append(CellError("uscc", code, _("统一社会信用代码%(code)s已登记") % {"code": code}))
        name = _name(values, "name", errors, max_length=policy.AGENCY_NAME_MAX, label=LABEL_AGENCY_NAME)
        region_code = normalise_code(values["region_code"])
        region = self.regions.get(region_code)
        if region is None:
            errors.append(
                CellError("region_code", values["region_code"], _("行政区划代码“%(c)s”不存在") % {"c": region_code})
            )
        parent_uscc = normalise_code(values["parent_uscc"])
        parent_region = ""
        in_scope = self.scope.unlimited
        if parent_uscc:
            if parent_uscc == code:
                errors.append(CellError("parent_uscc", parent_uscc, _("上级单位不能是本单位")))
            elif parent_uscc in self.known:
                parent_pk, parent_region = self.known[parent_uscc]
                in_scope = in_scope or self.scope.allows_agency(parent_pk)
            elif parent_uscc in self.in_file:
                parent_region, in_scope = self.in_file[parent_uscc], True
            else:
                errors.append(
                    CellError(
                        "parent_uscc",
                        parent_uscc,
                        _("上级单位“%(c)s”未登记（若在本文件中，须排在本行之前）") % {"c": parent_uscc},
                    )
                )
        if region is not None:
            ancestors = region[2]
            if parent_region and not policy.parent_region_fits(
                child_region_ancestors=ancestors, parent_region_code=parent_region
            ):
                errors.append(CellError("parent_uscc", parent_uscc, _("上级单位不在本单位所在区划或其上级区划")))
            if self.scope.region_code and self.scope.region_code in ancestors:
                in_scope = True
        if not in_scope and not errors:
            errors.append(CellError("", "", _("超出您的数据权限范围")))
        level = values["level"] or (REGION_LEVEL_TO_AGENCY_LEVEL.get(region[1], "") if region else "")
        if errors:
            return RowOutcome(None, errors, natural_key=code)
        assert region is not None
        self.in_file.setdefault(code, region_code)
        data = {
            "uscc": code,
            "uscc_status": CodeStatus.LEGACY if check.status == "legacy" else CodeStatus.VALID,
            "name": name,
            "region_id": region[0],
            "parent_uscc": parent_uscc,
            "level": level,
            "org_type": values["org_type"] or AgencyType.ORGAN,
            "is_credit_office": values["is_credit_office"] == "1",
        }
        return RowOutcome(data, natural_key=code)

    def publish(self, batch: ImportBatch, staged: Iterator[Staged]) -> dict[str, int]:
        pk_of = dict(Agency.objects.values_list("uscc", "pk"))
        created: list[tuple[int, str]] = []
        pending: list[tuple[Staged, Agency]] = []
        pending_codes: set[str] = set()

        def flush() -> None:
            taken = set(Agency.objects.filter(uscc__in=[a.uscc for _r, a in pending]).values_list("uscc", flat=True))
            fresh = []
            for row, agency in pending:
                if agency.uscc in taken:  # registered by someone else since validation
                    reject_at_publish(
                        batch,
                        row_number=row.row_number,
                        errors=[
                            CellError("uscc", agency.uscc, _("统一社会信用代码%(code)s已登记") % {"code": agency.uscc})
                        ],
                    )
                else:
                    fresh.append(agency)
            Agency.objects.bulk_create(fresh, batch_size=PUBLISH_GROUP)
            for agency in fresh:
                pk_of[agency.uscc] = agency.pk
                created.append((agency.pk, agency.name))
            pending.clear()
            pending_codes.clear()

        for row in staged:
            data = row.data
            parent = data["parent_uscc"]
            if parent and parent in pending_codes:  # the parent is in this group: insert it first
                flush()
            if parent and parent not in pk_of:  # its parent was rejected at publication
                reject_at_publish(
                    batch,
                    row_number=row.row_number,
                    errors=[CellError("parent_uscc", parent, _("上级单位“%(c)s”未登记") % {"c": parent})],
                )
                continue
            agency = Agency(
                uscc=data["uscc"],
                uscc_status=data["uscc_status"],
                name=data["name"],
                region_id=data["region_id"],
                parent_id=pk_of[parent] if parent else None,
                level=data["level"],
                org_type=data["org_type"],
                is_credit_office=data["is_credit_office"],
            )
            pending.append((row, agency))
            pending_codes.add(agency.uscc)
            if len(pending) >= PUBLISH_GROUP:
                flush()
        flush()
        Agency.objects.rebuild_tree_paths()
        index_names(created)
        return {"published": len(created)}


# --- civil servants -------------------------------------------------------------------------------


class CivilServants(ImportKind):
    code = "registry.civil_servants"
    label = gettext_lazy("公务员")
    supplier_required = False
    action = CHANGE
    columns = (
        Column("name", gettext_lazy("姓名"), required=True, example="张三"),
        Column(
            "id_number",
            gettext_lazy("身份证号码"),
            required=True,
            sensitive=True,
            width=22,
            example="32990019800101001X",
            help=gettext_lazy("18位居民身份证号码（15位旧号码自动升位）"),
        ),
        Column(
            "agency_uscc",
            gettext_lazy("所在单位统一社会信用代码"),
            required=True,
            width=22,
            example="11320000014000001X",
            help=gettext_lazy("已登记的政府部门"),
        ),
        Column("position", gettext_lazy("职务"), example="科员"),
        Column("start_date", gettext_lazy("任职日期"), example="2020-01-01", help=gettext_lazy("格式YYYY-MM-DD")),
    )

    def begin(self, batch: ImportBatch) -> None:
        self.agencies = dict(Agency.objects.values_list("uscc", "pk"))
        self.scope = _Scope(batch)
        self.today = timezone.localdate()

    def validate_row(self, values: dict[str, str], *, row_number: int) -> RowOutcome:
        errors: list[CellError] = []
        name = _name(values, "name", errors, max_length=policy.PERSON_NAME_MAX, label=LABEL_NAME)
        number = _id_number(values, errors)
        code = normalise_code(values["agency_uscc"])
        agency_pk = self.agencies.get(code)
        if agency_pk is None:
            errors.append(CellError("agency_uscc", values["agency_uscc"], _("单位“%(c)s”未登记") % {"c": code}))
        elif not self.scope.allows_agency(agency_pk):
            errors.append(CellError("agency_uscc", code, _("超出您的数据权限范围")))
        position = policy.clean_text(values["position"])
        if position:
            _name(values, "position", errors, max_length=policy.POSITION_MAX, label=LABEL_POSITION)
        start = None
        if values["start_date"]:
            start, reason = parse_date(values["start_date"])
            if reason:
                errors.append(CellError("start_date", values["start_date"], reason))
            elif start is not None and start > self.today:
                errors.append(CellError("start_date", values["start_date"], _("任职日期不能晚于今天")))
        if errors:
            return RowOutcome(None, errors)
        protected = _protected(number)
        data = {
            "name": name,
            "agency_id": agency_pk,
            "position": position,
            "start_date": start.isoformat() if start else None,
            **protected,
        }
        return RowOutcome(data, natural_key=f"{code}|{protected['hash']}")

    def publish(self, batch: ImportBatch, staged: Iterator[Staged]) -> dict[str, int]:
        published = 0
        for group in groups(staged, PUBLISH_GROUP):
            hashes = {row.data["hash"] for row in group}
            existing = set(
                CivilServant.objects.filter(id_number_hash__in=hashes).values_list("agency_id", "id_number_hash")
            )
            servants = []
            for row in group:
                d = row.data
                if (d["agency_id"], d["hash"]) in existing:
                    reject_at_publish(
                        batch,
                        row_number=row.row_number,
                        errors=[CellError("id_number", "", _("该身份证号码的人员已在本单位登记"))],
                    )
                    continue
                start = datetime.date.fromisoformat(d["start_date"]) if d["start_date"] else None
                servants.append((d["agency_id"], d["name"], d["position"], start, d["enc"], d["hash"], d["masked"]))
            published += insert_rows(CivilServant, SERVANT_FIELDS, servants)
        return {"published": published}


# --- persons --------------------------------------------------------------------------------------


class Persons(ImportKind):
    code = "registry.persons"
    label = gettext_lazy("自然人")
    supplier_required = False
    action = CHANGE
    columns = (
        Column("name", gettext_lazy("姓名"), required=True, example="李四"),
        Column(
            "id_number",
            gettext_lazy("身份证号码"),
            required=True,
            sensitive=True,
            width=22,
            example="32990019800101002X",
            help=gettext_lazy("18位居民身份证号码（15位旧号码自动升位）"),
        ),
    )

    def validate_row(self, values: dict[str, str], *, row_number: int) -> RowOutcome:
        errors: list[CellError] = []
        name = _name(values, "name", errors, max_length=policy.PERSON_NAME_MAX, label=LABEL_NAME)
        number = _id_number(values, errors)
        if errors:
            return RowOutcome(None, errors)
        protected = _protected(number)
        return RowOutcome({"name": name, **protected}, natural_key=protected["hash"])

    def publish(self, batch: ImportBatch, staged: Iterator[Staged]) -> dict[str, int]:
        published = 0
        for group in groups(staged, PUBLISH_GROUP):
            existing = set(
                Person.objects.filter(id_number_hash__in=[r.data["hash"] for r in group]).values_list(
                    "id_number_hash", flat=True
                )
            )
            persons = []
            for row in group:
                d = row.data
                if d["hash"] in existing:
                    reject_at_publish(
                        batch, row_number=row.row_number, errors=[CellError("id_number", "", _("该身份证号码已登记"))]
                    )
                    continue
                existing.add(d["hash"])
                persons.append((d["name"], d["enc"], d["hash"], d["masked"]))
            published += insert_rows(Person, PERSON_FIELDS, persons)
        return {"published": published}


def agency_name(code: str) -> str | None:
    """The name of the registered body with this USCC (the machinery's supplier look-up)."""
    return Agency.objects.filter(uscc=code).values_list("name", flat=True).first()


def visible_codes(user: Any, action: str) -> Any:
    """The USCCs of the bodies in the user's scope for `action`, as a subquery."""
    return Agency.objects.visible_to(user, action).values("uscc")


register_kind(Agencies())
register_kind(CivilServants())
register_kind(Persons())
