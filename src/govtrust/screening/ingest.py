"""Watchlist loads through the import machinery (docs/ingest.md), one pair of kinds per file-fed list:

- `screening.watchlist.<CODE>`: incremental — a row adds or updates its entry; a row with `delisted_on`
  removes it (the entry is kept, inactive, as evidence of what was listed);
- `screening.watchlist.<CODE>.full`: the file is the whole list — entries not in it are removed.

Generic columns: name (required), uscc, id_number, region, reason, listed_on, delisted_on; the court's
fields of a judgment defaulter are optional columns too, under their Chinese headers or the zxgk.court.gov.cn
keys (iname, cardNum, caseCode, …). An `id_number` cell holds a person's ID number (full, or masked as the
court publishes it) or, in court data, an organisation code; the shape tells which. Persons need an ID
number: they are never matched by name. Clear ID numbers are never staged (SM4 + HMAC-SM3 + masked only).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django.db.models import F
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.core.crypto import keyed_hash, sm4_encrypt
from govtrust.core.ingest import CellError, Column, ImportKind, RowOutcome, Staged, register_kind
from govtrust.core.ingest.bulk import chunked, insert_rows
from govtrust.core.ingest.values import parse_date
from govtrust.core.models import ImportBatch
from govtrust.screening.lists import FILE_LISTS, kind_code
from govtrust.screening.matching import identifiers as ids
from govtrust.screening.matching.normalise import fold
from govtrust.screening.models import SubjectType, Watchlist, WatchlistEntry

IMPORT_ACTION = "screening.watchlist"
TEXT_LIMITS = {
    "name": 200,
    "legal_representative": 50,
    "court": 100,
    "province": 20,
    "case_number": 100,
    "basis_document_number": 200,
    "basis_unit": 100,
    "performance": 200,
    "region": 100,
    "duty": 4000,
    "conduct": 4000,
    "reason": 4000,
}
DATE_COLUMNS = ("listed_on", "delisted_on", "filing_date", "publish_date")
ENTRY_FIELDS = (
    "subject_type",
    "name",
    "name_normalised",
    "uscc",
    "org_code",
    "reg_number",
    "id_number_encrypted",
    "id_number_hash",
    "id_number_masked",
    "legal_representative",
    "court",
    "province",
    "case_number",
    "basis_document_number",
    "basis_unit",
    "filing_date",
    "duty",
    "performance",
    "conduct",
    "publish_date",
    "region",
    "reason",
    "listed_on",
    "delisted_on",
    "active",
    "batch_number",
    "source_row",
    "source_ref",
)
SUBJECT_TYPES = (("organisation", gettext_lazy("法人及非法人组织")), ("person", gettext_lazy("自然人")))


def _columns() -> tuple[Column, ...]:
    c = Column
    return (
        c(
            "name",
            gettext_lazy("名称／姓名"),
            required=True,
            aliases=("被执行人姓名/名称", "iname", "名称", "姓名"),
            example="南京某某建设工程有限公司",
            width=36,
        ),
        c(
            "uscc",
            gettext_lazy("统一社会信用代码"),
            aliases=("统一社会信用代码/注册号",),
            example="91320100MA1XXXXXXX",
            help=gettext_lazy("统一社会信用代码、组织机构代码或注册号"),
            width=22,
        ),
        c(
            "id_number",
            gettext_lazy("身份证号码／组织机构代码"),
            aliases=("身份证号码", "cardNum", "证件号码"),
            sensitive=True,
            help=gettext_lazy("自然人身份证号码（可为法院公布的脱敏号码，如3201**********1234），或组织机构代码"),
            width=22,
        ),
        c("subject_type", gettext_lazy("主体类型"), choices=SUBJECT_TYPES, help=gettext_lazy("不填则按证件号码判断")),
        c("region", gettext_lazy("地区"), aliases=("areaName",)),
        c("reason", gettext_lazy("列入事由"), width=30),
        c("listed_on", gettext_lazy("列入日期"), example="2025-03-01"),
        c("delisted_on", gettext_lazy("移出日期"), help=gettext_lazy("增量导入时填写表示移出名单")),
        c("legal_representative", gettext_lazy("法定代表人或负责人"), aliases=("businessEntity",)),
        c("court", gettext_lazy("执行法院"), aliases=("courtName",)),
        c("province", gettext_lazy("省份")),
        c("case_number", gettext_lazy("案号"), aliases=("caseCode",)),
        c("basis_document_number", gettext_lazy("执行依据文号"), aliases=("gistId",)),
        c("basis_unit", gettext_lazy("做出执行依据单位"), aliases=("gistUnit",)),
        c("filing_date", gettext_lazy("立案时间"), aliases=("regDate",)),
        c("duty", gettext_lazy("生效法律文书确定的义务")),
        c("performance", gettext_lazy("被执行人的履行情况")),
        c("conduct", gettext_lazy("失信被执行人行为具体情形"), aliases=("disruptTypeName",)),
        c("publish_date", gettext_lazy("发布时间"), aliases=("publishDate",)),
    )


def _identity(data: dict[str, Any], case_number: str) -> str:
    """The entry's identity within its list: its strongest identifier, plus the case number (a defaulter
    is listed once per case). Never a clear ID number."""
    if data["id_number_hash"]:
        key = "I:" + data["id_number_hash"]
    elif data["id_number_masked"]:
        key = "M:" + data["id_number_masked"] + "|" + data["name"]
    elif data["uscc"]:
        key = "U:" + data["uscc"]
    elif data["org_code"]:
        key = "O:" + data["org_code"]
    elif data["reg_number"]:
        key = "R:" + data["reg_number"]
    else:
        key = "N:" + data["name_normalised"]
    return (key + ("|" + fold(case_number) if case_number else ""))[:200]


class WatchlistKind(ImportKind):
    supplier_required = False
    action = IMPORT_ACTION

    def __init__(self, list_code: str, list_name: str, *, full: bool) -> None:
        self.list_code = list_code
        self.full = full
        self.code = kind_code(list_code, full=full)  # type: ignore[misc]
        mode = gettext_lazy("全量替换") if full else gettext_lazy("增量")
        self.label = format_lazy("{}：{}（{}）", gettext_lazy("比对名单"), list_name, mode)  # type: ignore[misc]
        self.columns = _columns()  # type: ignore[misc]

    def validate_row(self, values: dict[str, str], *, row_number: int) -> RowOutcome:
        errors: list[CellError] = []
        data: dict[str, Any] = {key: ids.printable(values[key], limit) for key, limit in TEXT_LIMITS.items()}
        if len(values["name"]) > TEXT_LIMITS["name"]:
            errors.append(CellError("name", values["name"][:50], _("名称不能超过200字")))
        data["name_normalised"] = fold(data["name"])[:200]
        if not data["name_normalised"] and not (values["uscc"] or values["id_number"]):
            errors.append(CellError("name", values["name"], _("名称无有效字符")))
        for key in DATE_COLUMNS:
            data[key] = None
            if values[key]:
                parsed, reason = parse_date(values[key])
                if parsed is None:
                    errors.append(CellError(key, values[key], reason))
                else:
                    data[key] = parsed.isoformat()
        data.update(uscc="", org_code="", reg_number="", id_number_encrypted="", id_number_hash="", id_number_masked="")
        org = ids.classify(values["uscc"], person=False)
        if org.kind == "unknown":
            errors.append(CellError("uscc", values["uscc"], _("不是有效的统一社会信用代码、组织机构代码或注册号")))
        forced = values["subject_type"]
        card = ids.classify(values["id_number"], person=True if forced == "person" else None)
        person = forced == "person" or (not forced and card.kind in ("id_number", "masked_id"))
        if person:
            if card.kind == "id_number" and card.valid:
                data.update(
                    id_number_encrypted=sm4_encrypt(card.value),
                    id_number_hash=keyed_hash(card.value),
                    id_number_masked=ids.standard_mask(card.value),
                )
            elif card.kind == "masked_id":
                data["id_number_masked"] = card.value
            elif card.kind:
                errors.append(CellError("id_number", values["id_number"], _("身份证号码无效（长度或校验位不符）")))
            else:
                errors.append(CellError("id_number", "", _("自然人须填写身份证号码：自然人只按证件号码比对")))
        else:
            if card.kind and card.kind not in ("uscc", "org_code", "reg_number"):
                errors.append(CellError("id_number", values["id_number"], _("不是有效的组织机构代码")))
            for identifier in (org, card):
                if identifier.kind == "uscc":
                    data["uscc"] = identifier.value
                    data["org_code"] = data["org_code"] or identifier.value[8:17]
                elif identifier.kind == "org_code":
                    data["org_code"] = identifier.value
                elif identifier.kind == "reg_number":
                    data["reg_number"] = identifier.value[:15]
        data["subject_type"] = SubjectType.PERSON if person else SubjectType.ORGANISATION
        if errors:
            return RowOutcome(None, errors)
        return RowOutcome(data, natural_key=_identity(data, data["case_number"]))

    def publish(self, batch: ImportBatch, staged: Iterator[Staged]) -> dict[str, int]:
        watchlist = Watchlist.objects.get(code=self.list_code)
        existing = dict(
            WatchlistEntry.objects.filter(watchlist=watchlist)
            .values_list("natural_key", "pk")
            .iterator(chunk_size=5000)
        )
        today, now = timezone.localdate(), timezone.now()
        counts = {"published": 0, "added": 0, "updated": 0, "removed": 0, "not_listed": 0}
        seen: set[str] = set()
        batch_number = batch.number or str(batch.pk)
        for group in chunked(staged, 2000):
            fresh: list[tuple[Any, ...]] = []
            changed: list[WatchlistEntry] = []
            for row in group:
                data = dict(row.data)
                for key in DATE_COLUMNS:
                    data[key] = datetime.date.fromisoformat(data[key]) if data[key] else None
                delisting = data["delisted_on"] is not None
                data.update(active=not delisting, batch_number=batch_number, source_row=row.row_number, source_ref="")
                seen.add(row.natural_key)
                pk = existing.get(row.natural_key)
                if delisting and not self.full and pk is None:
                    counts["not_listed"] += 1  # removing what is not listed: nothing to do
                    continue
                if pk is None:
                    fresh.append((watchlist.pk, row.natural_key, *(data[f] for f in ENTRY_FIELDS)))
                    counts["added"] += 1
                else:
                    changed.append(WatchlistEntry(pk=pk, updated_at=now, **{f: data[f] for f in ENTRY_FIELDS}))
                    counts["removed" if delisting else "updated"] += 1
                counts["published"] += 1
            insert_rows(WatchlistEntry, ("watchlist_id", "natural_key", *ENTRY_FIELDS), fresh)
            WatchlistEntry.objects.bulk_update(changed, [*ENTRY_FIELDS, "updated_at"], batch_size=500)
        if self.full:
            gone = [pk for key, pk in existing.items() if key not in seen]
            for pks in chunked(gone, 500):
                counts["removed"] += WatchlistEntry.objects.filter(pk__in=pks, active=True).update(
                    active=False, delisted_on=today, updated_at=now
                )
        Watchlist.objects.filter(pk=watchlist.pk).update(version=F("version") + 1, loaded_at=timezone.now())
        return counts


for _definition in FILE_LISTS:
    register_kind(WatchlistKind(_definition.code, _definition.name, full=False))
    register_kind(WatchlistKind(_definition.code, _definition.name, full=True))
