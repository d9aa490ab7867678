"""The national 双公示 administrative-penalty templates (reference §2): legal persons (26 columns + 行政相对人类别)
and natural persons (20 columns), each with the optional 操作类型 and 失信严重程度 columns of the platform.

Headers are those of the national data standard, verbatim (a supplier's export carries them unchanged, so they
are not translated); the column codes used by other systems (CF_XDR_MC …) are accepted as aliases.

Severity (失信严重程度) comes from 处罚类别 through `PENALTY_SEVERITY` unless the optional 失信严重程度 column
says otherwise. Basis of the mapping — a **project decision, provisional** until the credit office confirms it:
the categories are those of 《行政处罚法》(2021) 第九条; NDRC Orders 58 and 36 treat penalties of 警告 and
通报批评 as light (in principle not published) and those that take away the right to operate — 吊销许可证件,
责令关闭, 责令停产停业, 限制开展生产经营活动, 限制从业 — or liberty (行政拘留) as serious; fines,
confiscation, suspension of a licence and a lowered qualification are 一般. A cell may list several
categories (separated by ；;，,、/ or spaces): the most severe wins.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.core.ingest import CellError, Column, RowOutcome, register_kind
from govtrust.core.validators import normalise_code
from govtrust.records.formats.base import (
    _CONTROL,
    ADD,
    DOC_MAX,
    ID_TYPE_CHOICES,
    ID_TYPE_RESIDENT,
    NAME_MAX,
    OTHER_ID_MAX,
    TEXT_MAX,
    USCC_CACHE_MAX,
    RecordFields,
    RecordKind,
    SubjectRef,
    compose,
    operation_column,
    severity_column,
)
from govtrust.records.policy import RecordClass, natural_key
from govtrust.records.services import AMOUNT_MAX, RecordDraft

MINOR, GENERAL, SERIOUS = "minor", "general", "serious"
_RANK = {MINOR: 0, GENERAL: 1, SERIOUS: 2}

# 处罚类别 (《行政处罚法》第九条) → severity. Project decision, provisional (see the module docstring).
PENALTY_SEVERITY: dict[str, str] = {
    "警告": MINOR,
    "通报批评": MINOR,
    "罚款": GENERAL,
    "没收违法所得": GENERAL,
    "没收非法财物": GENERAL,
    "暂扣许可证件": GENERAL,
    "降低资质等级": GENERAL,
    "其他": GENERAL,
    "吊销许可证件": SERIOUS,
    "限制开展生产经营活动": SERIOUS,
    "责令停产停业": SERIOUS,
    "责令关闭": SERIOUS,
    "限制从业": SERIOUS,
    "行政拘留": SERIOUS,
}
# Older spellings seen in suppliers' files (暂扣或者吊销许可证、执照 of the 1996 law …), matched by prefix.
PENALTY_PREFIXES: tuple[tuple[str, str], ...] = (
    ("吊销", SERIOUS),
    ("责令停产", SERIOUS),
    ("责令停业", SERIOUS),
    ("暂扣", GENERAL),
    ("没收", GENERAL),
)
_SPLIT = re.compile(r"[;；,，、/\s]+")

# 行政相对人类别 codes; the legal-person template takes 02/03/04 (01 自然人 uses the natural-person template).
SUBJECT_CATEGORY_CHOICES = (
    ("02", gettext_lazy("法人")),
    ("03", gettext_lazy("非法人组织")),
    ("04", gettext_lazy("个体工商户")),
)


def severity_of_categories(text: str) -> tuple[str, list[str]]:
    """(the most severe severity among the listed 处罚类别, the unknown entries)."""
    best, unknown = "", []
    for item in _SPLIT.split(text):
        if not item:
            continue
        severity = PENALTY_SEVERITY.get(item)
        if severity is None:
            severity = next((s for prefix, s in PENALTY_PREFIXES if item.startswith(prefix)), None)
        if severity is None:
            unknown.append(item)
        elif not best or _RANK[severity] > _RANK[best]:
            best = severity
    return best, unknown


def _date_help() -> Any:
    return gettext_lazy("格式YYYY-MM-DD（也可为YYYY/MM/DD或YYYYMMDD）")


# The columns from 行政处罚决定书文号 onward, shared by both templates (reference §2).
def _decision_columns() -> tuple[Column, ...]:
    return (
        Column(
            "document_number",
            "行政处罚决定书文号",
            required=True,
            example="苏市监罚〔2024〕12号",
            aliases=("CF_WSH",),
            help=gettext_lazy("与处罚机关、行政相对人一起识别一条记录；同一决定书处罚多个当事人的，每个当事人一行"),
            width=24,
        ),
        Column("violation_type", "违法行为类型", required=True, example="未按规定公示信息", aliases=("CF_WFXW",)),
        Column("facts", "违法事实", required=True, example="经查，当事人……", aliases=("CF_SY",), width=36),
        Column(
            "basis",
            "处罚依据",
            required=True,
            example="《中华人民共和国行政处罚法》第二十八条",
            aliases=("CF_YJ",),
            width=30,
        ),
        Column(
            "penalty_category",
            "处罚类别",
            required=True,
            example="罚款",
            aliases=("CF_CFLB",),
            help=gettext_lazy(
                "警告、通报批评、罚款、没收违法所得、没收非法财物、暂扣许可证件、降低资质等级、吊销许可证件、"
                "限制开展生产经营活动、责令停产停业、责令关闭、限制从业、行政拘留、其他；多项用分号分隔。"
                "据此确定失信严重程度：警告、通报批评为轻微；吊销许可证件、限制开展生产经营活动、责令停产停业、"
                "责令关闭、限制从业、行政拘留为严重；其余为一般；多项取最重"
            ),
            width=20,
        ),
        Column("content", "处罚内容", required=True, example="罚款人民币2万元", aliases=("CF_NR",), width=30),
        Column(
            "amount_fine",
            "罚款金额(万元)",
            example="2",
            aliases=("CF_NR_FK", "罚款金额"),
            help=gettext_lazy("单位万元，不小于0，最多6位小数"),
        ),
        Column(
            "amount_confiscated",
            "没收违法所得、没收非法财物的金额(万元)",
            example="",
            aliases=("CF_NR_WFFF",),
            help=gettext_lazy("单位万元，不小于0，最多6位小数"),
            width=22,
        ),
        Column("license", "暂扣或吊销证照名称及编号", aliases=("CF_NR_ZKDX",), width=22),
        Column(
            "decision_date",
            "处罚决定日期",
            required=True,
            example="2024-03-01",
            aliases=("CF_JDRQ",),
            help=gettext_lazy("格式YYYY-MM-DD（也可为YYYY/MM/DD或YYYYMMDD），不能晚于今天；决定公示期限适用的规则"),
        ),
        Column(
            "valid_until",
            "处罚有效期",
            required=True,
            example="2025-03-01",
            aliases=("CF_YXQ",),
            help=gettext_lazy("处罚决定的有效期至，格式同上，不早于处罚决定日期"),
        ),
        Column(
            "publicity_until",
            "公示截止期",
            aliases=("CF_GSJZQ",),
            help=gettext_lazy("可不填；平台按规则计算公示期限，此列仅作参考"),
        ),
        Column(
            "authority_name", "处罚机关", required=True, example="江苏省市场监督管理局", aliases=("CF_CFJG",), width=24
        ),
        Column(
            "authority_uscc",
            "处罚机关统一社会信用代码",
            required=True,
            example="113200000000000195",
            aliases=("CF_CFJGDM",),
            width=22,
        ),
        Column(
            "data_source", "数据来源单位", required=True, example="江苏省市场监督管理局", aliases=("CF_SJLY",), width=24
        ),
        Column(
            "data_source_uscc",
            "数据来源单位统一社会信用代码",
            required=True,
            example="113200000000000195",
            aliases=("CF_SJLYDM",),
            width=22,
        ),
        Column("remark", "备注", aliases=("BZ",), help=gettext_lazy("撤销时可填写撤销原因")),
    )


# The text cells `text_cell` checks (length, control characters), in the order their errors are reported.
_DECISION_TEXTS = (
    ("document_number", DOC_MAX), ("violation_type", TEXT_MAX), ("facts", TEXT_MAX), ("basis", TEXT_MAX),
    ("content", TEXT_MAX), ("license", TEXT_MAX), ("remark", TEXT_MAX), ("authority_name", NAME_MAX),
    ("data_source", NAME_MAX),
)  # fmt: skip
_LEGAL_SUBJECT_TEXTS = (
    ("name", NAME_MAX), ("reg_no", OTHER_ID_MAX), ("org_code", OTHER_ID_MAX), ("tax_no", OTHER_ID_MAX),
    ("institution_no", OTHER_ID_MAX), ("social_org_no", OTHER_ID_MAX), ("legal_rep", NAME_MAX),
)  # fmt: skip


def _platform_columns() -> tuple[Column, ...]:
    return (
        operation_column(),
        severity_column(gettext_lazy("可不填：按处罚类别确定；填写时以此为准（轻微、一般、严重）")),
    )


def penalty_content(values: dict[str, str]) -> str:
    """处罚内容 with the template's other decision cells appended (the general and the usual-row path alike)."""
    return compose(
        values["content"],
        [
            ("处罚类别", values["penalty_category"]),
            ("违法行为类型", values["violation_type"]),
            ("暂扣或吊销证照名称及编号", values["license"]),
            ("处罚有效期", values["valid_until"]),
            ("备注", values["remark"]),
        ],
    )


class _Penalty(RecordKind):
    record_class = RecordClass.PENALTY

    def decision(self, values: dict[str, str], errors: list[CellError]) -> RecordFields:
        self.text_cells(values, _DECISION_TEXTS, errors)
        doc, authority_name = values["document_number"], values["authority_name"]
        authority_uscc = self.uscc_cell(values, "authority_uscc", errors)
        self.uscc_cell(values, "data_source_uscc", errors)
        decision_date = self.date_cell(values, "decision_date", errors)
        valid_until = self.date_cell(values, "valid_until", errors, not_after_today=False)
        publicity_until = self.date_cell(values, "publicity_until", errors, not_after_today=False)
        if decision_date is not None:
            for key, value in (("valid_until", valid_until), ("publicity_until", publicity_until)):
                if value is not None and value < decision_date:
                    errors.append(
                        CellError(key, values[key], _("%(col)s不能早于处罚决定日期") % {"col": self.column(key).header})
                    )
        fine = self.amount_cell(values, "amount_fine", errors)
        confiscated = self.amount_cell(values, "amount_confiscated", errors)
        severity = values["severity"]
        categories = values["penalty_category"]
        memo = self.memo.get(("categories", categories))
        if memo is None:
            memo = severity_of_categories(categories)
            if len(self.memo) < USCC_CACHE_MAX:
                self.memo[("categories", categories)] = memo
        derived, unknown = memo
        if unknown:
            errors.append(
                CellError(
                    "penalty_category",
                    values["penalty_category"],
                    _("处罚类别“%(v)s”不是《行政处罚法》第九条规定的种类，请填写规定的种类或“其他”")
                    % {"v": "、".join(unknown)},
                )
            )
        content = penalty_content(values)
        return RecordFields(
            record_class=self.record_class,
            severity=severity or derived,
            sub_type="",
            document_number=doc,
            authority_name=authority_name,
            authority_uscc=authority_uscc,
            decision_date=decision_date,
            facts=values["facts"],
            basis=values["basis"],
            content=content,
            amount_fine=fine,
            amount_confiscated=confiscated,
        )


class PenaltyLegalPerson(_Penalty):
    code = "records.penalty_legal_person"
    label = gettext_lazy("行政处罚（法人及非法人组织，双公示）")
    columns = (
        Column("name", "行政相对人名称", required=True, example="江苏省某某局", aliases=("CF_XDR_MC",), width=30),
        Column(
            "subject_category",
            "行政相对人类别",
            required=True,
            choices=SUBJECT_CATEGORY_CHOICES,
            example="法人",
            help=gettext_lazy("02 法人、03 非法人组织、04 个体工商户（自然人请用自然人模板）"),
        ),
        Column(
            "uscc",
            "行政相对人代码_1(统一社会信用代码)",
            example="113200000000000195",
            aliases=("CF_XDR_SHXYM", "统一社会信用代码"),
            help=gettext_lazy(
                "平台据此识别主体，须填写。政府部门（机关、事业单位）须已在平台登记，未登记的报错、不会自动创建；"
                "企业等其他主体未登记的自动登记"
            ),
            width=22,
        ),
        Column("reg_no", "行政相对人代码_2(工商注册号)"),
        Column("org_code", "行政相对人代码_3(组织机构代码)"),
        Column("tax_no", "行政相对人代码_4(税务登记号)"),
        Column("institution_no", "行政相对人代码_5(事业单位证书号)"),
        Column("social_org_no", "行政相对人代码_6(社会组织登记证号)"),
        Column("legal_rep", "法定代表人"),
        Column(
            "legal_rep_id",
            "法定代表人身份证号",
            sensitive=True,
            help=gettext_lazy("可不填；填写时校验，不在平台保存"),
            width=22,
        ),
        *_decision_columns(),
        *_platform_columns(),
    )

    def fields(self, values: dict[str, str], errors: list[CellError]) -> tuple[RecordFields, SubjectRef | None, str]:
        self.text_cells(values, _LEGAL_SUBJECT_TEXTS, errors)
        name = values["name"]
        self.id_number_cell(values, "legal_rep_id", errors)
        subject = None
        if not values["uscc"]:
            errors.append(CellError("uscc", "", _("须填写统一社会信用代码（平台按统一社会信用代码识别主体）")))
        else:
            subject = self.organisation_subject(values, "uscc", name, errors, name_key="name")
        return self.decision(values, errors), subject, name

    def validate_row(self, values: dict[str, str], *, row_number: int) -> RowOutcome:
        usual = self._usual_row(values, row_number)
        return usual if usual is not None else super().validate_row(values, row_number=row_number)

    def _usual_row(self, values: dict[str, str], row_number: int) -> RowOutcome | None:
        """The usual row of a 双公示 file — 新增, a registered body identified by a valid USCC, every cell fine —
        validated in one pass with every check of the general path (`fields` + `decision` + `validate_row`) and its
        memos; None for any other row, which the general path then validates (and words its errors). Both give the
        same outcome for the same row (`tests/records/test_formats_usual_row.py`); a big file is ~99 % such rows.
        """
        if not self.set_based or self.supplier_pk is None or (values["operation"] or ADD) != ADD:
            return None
        if _CONTROL.search("".join(values.values())) is not None:
            return None
        for key, max_length in _USUAL_TEXTS:
            if len(values[key]) > max_length:
                return None
        if values["legal_rep_id"]:
            return None
        checks = self.uscc_checks
        codes = []
        for key in ("uscc", "authority_uscc", "data_source_uscc"):
            check = checks.get(values[key])
            if check is None or check.status != "valid":  # not checked yet (the general path memoises it), or not valid
                return None
            codes.append(check.code)
        code, authority_uscc = codes[0], codes[1]
        if code not in self.agencies or not self.accepts_agencies:
            return None
        dates = self.parsed_dates
        decision = dates.get(values["decision_date"])
        valid = dates.get(values["valid_until"])
        if decision is None or valid is None or decision[0] is None or valid[0] is None:
            return None
        decision_date, valid_until = decision[0], valid[0]
        if decision_date > self.today or valid_until < decision_date:
            return None
        if values["publicity_until"]:
            publicity = dates.get(values["publicity_until"])
            if publicity is None or publicity[0] is None or publicity[0] < decision_date:
                return None
        amounts: list[Decimal | None] = []
        for key in ("amount_fine", "amount_confiscated"):
            raw = values[key]
            if not raw:
                amounts.append(None)
                continue
            parsed = self.parsed_amounts.get(raw)
            if parsed is None or parsed[0] is None or parsed[0] < 0 or parsed[0] > AMOUNT_MAX:
                return None
            amounts.append(parsed[0])
        categories = self.memo.get(("categories", values["penalty_category"]))
        if categories is None or categories[1]:
            return None
        document_number = values["document_number"]
        key = natural_key(document_number, authority_uscc, f"A:{code}")
        if hash(key) in self.current_keys:
            return None
        content = penalty_content(values)
        # Texts that repeat from row to row as one object each: a chunk then pickles (and the importing process
        # unpickles) each of them once, not once per row.
        authority_name, basis = values["authority_name"], values["basis"]
        shared = self.memo
        if len(shared) < USCC_CACHE_MAX:  # bounded: a file of distinct texts gains nothing and keeps memory flat
            authority_name = shared.setdefault(("text", authority_name), authority_name)
            basis = shared.setdefault(("text", basis), basis)
        draft = RecordDraft(
            subject=self.agency_instance(code),
            record_class=self.record_class,
            severity=values["severity"] or categories[0],
            sub_type="",
            document_number=document_number,
            authority_name=authority_name,
            authority_uscc=authority_uscc,
            decision_date=decision_date,
            facts=values["facts"],
            basis=basis,
            content=content,
            amount_fine=amounts[0],
            amount_confiscated=amounts[1],
            source_row=row_number,
        )
        typed = self.draft_insert_values(draft, key, False)
        return None if typed is None else RowOutcome(None, natural_key=key, typed=typed)


# Every text cell the legal-person template checks (`text_cell`: length), for the usual row.
_USUAL_TEXTS = _LEGAL_SUBJECT_TEXTS + _DECISION_TEXTS


class PenaltyNaturalPerson(_Penalty):
    code = "records.penalty_natural_person"
    label = gettext_lazy("行政处罚（自然人，双公示）")
    accepts_agencies = False
    accepts_enterprises = False
    accepts_persons = True
    columns = (
        Column("name", "行政相对人名称", required=True, example="张三", aliases=("CF_XDR_MC",)),
        Column(
            "id_type",
            "证件类型",
            choices=ID_TYPE_CHOICES,
            example="身份证",
            help=gettext_lazy(
                "平台须填写：01 身份证、02 护照、03 港澳居民来往内地通行证、04 台湾居民来往大陆通行证、"
                "05 外国人永久居留身份证"
            ),
        ),
        Column(
            "id_number",
            "证件号码",
            sensitive=True,
            example="32990019800101001X",
            help=gettext_lazy("平台须填写；身份证号码校验校验码（15位自动升为18位），加密保存"),
            width=22,
        ),
        *_decision_columns(),
        *_platform_columns(),
    )

    def fields(self, values: dict[str, str], errors: list[CellError]) -> tuple[RecordFields, SubjectRef | None, str]:
        name = self.text_cell(values, "name", errors, max_length=registry_name_max())
        id_type, raw = values["id_type"], values["id_number"]
        number = ""
        if not id_type:
            errors.append(CellError("id_type", "", _("须填写证件类型")))
        elif not raw:
            errors.append(CellError("id_number", "", _("须填写证件号码")))
        elif id_type == ID_TYPE_RESIDENT:
            number = self.id_number_cell(values, "id_number", errors)
        else:
            number = normalise_code(raw)
            if not (5 <= len(number) <= OTHER_ID_MAX) or not number.isalnum() or not number.isascii():
                errors.append(CellError("id_number", raw, _("证件号码应为5至40位字母或数字")))
                number = ""
        subject = self.person_subject(number, name) if number and name else None
        return self.decision(values, errors), subject, name


def registry_name_max() -> int:
    from govtrust.registry.policy import PERSON_NAME_MAX

    return PERSON_NAME_MAX


register_kind(PenaltyLegalPerson())
register_kind(PenaltyNaturalPerson())
