"""The project's own record templates (documented in docs/record-formats.md): judgments, judgment defaulters,
sanctions (处分), accountability (问责) and commendations.

Every template starts with the optional 操作类型 and the subject: 主体名称 plus its 统一社会信用代码 (a body,
which must be registered; an enterprise or other organisation where the class allows it) or — for 处分, 问责
and commendations, which usually concern civil servants — 身份证号码 of a civil servant registered on the
platform (an unknown one is reported, never created). Exactly one of the two codes.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.core.ingest import CellError, Column, register_kind
from govtrust.records.formats.base import (
    DOC_MAX,
    NAME_MAX,
    RecordFields,
    RecordKind,
    SubjectRef,
    compose,
    operation_column,
    severity_column,
)
from govtrust.records.policy import SUB_TYPES, RecordClass

DATE_HELP = gettext_lazy("格式YYYY-MM-DD（也可为YYYY/MM/DD或YYYYMMDD）")
USCC_EXAMPLE = "113200000000000195"


def _sub_type_choices(record_class: str) -> tuple[tuple[str, Any], ...]:
    return tuple(SUB_TYPES[record_class].items())


def _subject_columns(*, people: bool, name_header: str = "主体名称", uscc_required: bool = False) -> tuple[Column, ...]:
    columns = [
        Column("subject_name", name_header, required=True, example="南京市某某局", width=30),
        Column(
            "subject_uscc",
            "统一社会信用代码",
            required=uscc_required,
            example=USCC_EXAMPLE,
            help=gettext_lazy("政府部门须已在平台登记，未登记的报错、不会自动创建")
            if uscc_required or not people
            else gettext_lazy("主体为单位时填写（须已在平台登记）；主体为个人时填写身份证号码，二者填一"),
            width=22,
        ),
    ]
    if people:
        columns.append(
            Column(
                "subject_id",
                "身份证号码",
                sensitive=True,
                help=gettext_lazy("主体为公职人员时填写，须已在平台登记；二者填一"),
                width=22,
            )
        )
    return tuple(columns)


def _authority_columns(
    doc: str, authority: str, date: str, *, doc_example: str, authority_example: str
) -> tuple[Column, ...]:
    return (
        Column("document_number", doc, required=True, example=doc_example, width=26),
        Column("authority_name", authority, required=True, example=authority_example, width=26),
        Column("authority_uscc", f"{authority}统一社会信用代码", required=True, example=USCC_EXAMPLE, width=22),
        Column("decision_date", date, required=True, example="2024-03-01", help=DATE_HELP),
    )


class _ProjectKind(RecordKind):
    """Shared row handling: subject, document, authority, dates; subclasses add the class-specific cells."""

    def subject(self, values: dict[str, str], errors: list[CellError]) -> tuple[SubjectRef | None, str]:
        name = self.text_cell(values, "subject_name", errors, max_length=NAME_MAX)
        has_id = "subject_id" in values and bool(values["subject_id"])
        if values["subject_uscc"] and has_id:
            errors.append(CellError("subject_id", values["subject_id"], _("统一社会信用代码和身份证号码只能填一个")))
            return None, name
        if has_id:
            return self.servant_subject(values, "subject_id", errors), name
        if not values["subject_uscc"]:
            message = _("须填写统一社会信用代码或身份证号码") if self.accepts_servants else _("须填写统一社会信用代码")
            errors.append(CellError("subject_uscc", "", message))
            return None, name
        return self.organisation_subject(values, "subject_uscc", name, errors, name_key="subject_name"), name

    def common(self, values: dict[str, str], errors: list[CellError], **extra: Any) -> RecordFields:
        for key in ("facts", "basis", "content", "remark"):
            if key in values:
                self.text_cell(values, key, errors)
        decision_date = self.date_cell(values, "decision_date", errors)
        conduct_date = self.date_cell(values, "conduct_date", errors) if "conduct_date" in values else None
        if decision_date and conduct_date and conduct_date > decision_date:
            errors.append(CellError("conduct_date", values["conduct_date"], _("行为发生日期不能晚于决定日期")))
        fields = RecordFields(
            record_class=self.record_class,
            severity=values.get("severity", ""),
            sub_type="",
            document_number=self.text_cell(values, "document_number", errors, max_length=DOC_MAX),
            authority_name=self.text_cell(values, "authority_name", errors, max_length=NAME_MAX),
            authority_uscc=self.uscc_cell(values, "authority_uscc", errors),
            decision_date=decision_date,
            conduct_date=conduct_date,
            facts=values.get("facts", ""),
            basis=values.get("basis", ""),
            content=compose(values.get("content", ""), [("备注", values.get("remark", ""))]),
        )
        for name, value in extra.items():
            setattr(fields, name, value)
        return fields


CONDUCT_DATE = Column(
    "conduct_date",
    "行为发生日期",
    example="2023-10-01",
    help=gettext_lazy("可不填；不能晚于决定日期；用于确定当时的负责人"),
)
REMARK = Column("remark", "备注", help=gettext_lazy("撤销时可填写撤销原因"))


class Judgments(_ProjectKind):
    code = "records.judgment"
    label = gettext_lazy("司法判决（含行政机关败诉）")
    record_class = RecordClass.JUDGMENT
    columns = (
        operation_column(),
        *_subject_columns(people=False, name_header="当事人名称", uscc_required=True),
        Column(
            "judgment_type",
            "判决类型",
            required=True,
            choices=(("general", gettext_lazy("一般判决")), ("admin_lawsuit_lost", gettext_lazy("行政机关败诉"))),
            example="行政机关败诉",
            help=gettext_lazy("行政机关在行政诉讼中败诉的选“行政机关败诉”"),
        ),
        *_authority_columns(
            "案号", "审理法院", "裁判日期", doc_example="（2024）苏01行终123号", authority_example="南京市中级人民法院"
        ),
        Column("judgment_reference", "裁判文书编号", help=gettext_lazy("可不填；裁判文书网等的文书编号")),
        Column("facts", "案由", required=True, example="行政许可纠纷"),
        Column("basis", "裁判依据", example="《中华人民共和国行政诉讼法》第七十条"),
        Column("content", "裁判结果", required=True, example="撤销被诉行政行为", width=30),
        CONDUCT_DATE,
        severity_column(),
        REMARK,
    )

    def fields(self, values: dict[str, str], errors: list[CellError]) -> tuple[RecordFields, SubjectRef | None, str]:
        subject, name = self.subject(values, errors)
        self.text_cell(values, "judgment_reference", errors, max_length=DOC_MAX)
        sub_type = "" if values["judgment_type"] == "general" else values["judgment_type"]
        record = self.common(values, errors, sub_type=sub_type)
        record.content = compose(record.content, [("裁判文书编号", values["judgment_reference"])])
        return record, subject, name


class Defaulters(_ProjectKind):
    """失信被执行人 / 拒不执行生效判决: the fields of the SPC's list of judgment defaulters."""

    code = "records.defaulter"
    label = gettext_lazy("拒不执行生效判决（失信被执行人）")
    record_class = RecordClass.DEFAULTER
    columns = (
        operation_column(),
        *_subject_columns(people=False, name_header="被执行人名称", uscc_required=True),
        *_authority_columns(
            "案号",
            "执行法院",
            "发布日期",
            doc_example="（2024）苏0102执123号",
            authority_example="南京市玄武区人民法院",
        ),
        Column("basis_document", "执行依据文号", required=True, example="（2023）苏0102民初45号"),
        Column("basis_authority", "做出执行依据单位", required=True, example="南京市玄武区人民法院"),
        Column("filing_date", "立案日期", required=True, example="2024-01-10", help=DATE_HELP),
        Column("content", "生效法律文书确定的义务", required=True, example="支付工程款50万元", width=30),
        Column("performance", "被执行人的履行情况", required=True, example="全部未履行"),
        Column(
            "sub_type",
            "失信情形",
            required=True,
            choices=_sub_type_choices(RecordClass.DEFAULTER),
            example=str(SUB_TYPES[RecordClass.DEFAULTER]["trigger_1"]),
            help=gettext_lazy("《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条第（一）至（六）项"),
            width=30,
        ),
        Column("facts", "失信被执行人行为具体情形", required=True, example="有履行能力而拒不履行", width=30),
        severity_column(gettext_lazy("情节严重的填“严重”，可延长纳入期限")),
        Column("extension_years", "延长年限", help=gettext_lazy("情节严重时可延长1至3年；可不填")),
        REMARK,
    )

    def fields(self, values: dict[str, str], errors: list[CellError]) -> tuple[RecordFields, SubjectRef | None, str]:
        subject, name = self.subject(values, errors)
        self.text_cell(values, "basis_document", errors, max_length=DOC_MAX)
        self.text_cell(values, "basis_authority", errors, max_length=NAME_MAX)
        self.text_cell(values, "performance", errors, max_length=NAME_MAX)
        filing = self.date_cell(values, "filing_date", errors)
        extension = None
        if values["extension_years"]:
            raw = values["extension_years"]
            if raw not in ("1", "2", "3"):
                errors.append(CellError("extension_years", raw, _("延长年限应为1、2或3")))
            elif values["severity"] != "serious":
                errors.append(CellError("extension_years", raw, _("仅情节严重（失信严重程度为“严重”）时可延长")))
            else:
                extension = int(raw)
        record = self.common(values, errors, sub_type=values["sub_type"], extension_years=extension)
        if filing and record.decision_date and filing > record.decision_date:
            errors.append(CellError("filing_date", values["filing_date"], _("立案日期不能晚于发布日期")))
        record.basis = compose(
            "", [("执行依据文号", values["basis_document"]), ("做出执行依据单位", values["basis_authority"])]
        )
        record.content = compose(
            values["content"],
            [
                ("被执行人的履行情况", values["performance"]),
                ("立案日期", values["filing_date"]),
                ("备注", values["remark"]),
            ],
        )
        return record, subject, name


class Disciplines(_ProjectKind):
    code = "records.discipline"
    label = gettext_lazy("处分（政务处分）")
    record_class = RecordClass.DISCIPLINE
    accepts_servants = True
    accepts_enterprises = False
    columns = (
        operation_column(),
        *_subject_columns(people=True),
        Column(
            "sub_type",
            "处分种类",
            required=True,
            choices=_sub_type_choices(RecordClass.DISCIPLINE),
            example="记过",
            help=gettext_lazy("警告、记过、记大过、降级、撤职、开除；决定处分期间（政务处分法第八条）"),
        ),
        *_authority_columns(
            "处分决定文号",
            "处分决定机关",
            "处分决定日期",
            doc_example="玄纪处〔2024〕3号",
            authority_example="中共南京市玄武区纪律检查委员会",
        ),
        Column("facts", "违纪违法事实", required=True, example="……", width=36),
        Column("basis", "处分依据", example="《中华人民共和国公职人员政务处分法》第三十九条"),
        Column("content", "处分内容", example="给予记过处分"),
        CONDUCT_DATE,
        REMARK,
    )

    def fields(self, values: dict[str, str], errors: list[CellError]) -> tuple[RecordFields, SubjectRef | None, str]:
        subject, name = self.subject(values, errors)
        return self.common(values, errors, sub_type=values["sub_type"]), subject, name


class Accountability(_ProjectKind):
    code = "records.accountability"
    label = gettext_lazy("问责")
    record_class = RecordClass.ACCOUNTABILITY
    accepts_servants = True
    accepts_enterprises = False
    columns = (
        operation_column(),
        *_subject_columns(people=True),
        *_authority_columns(
            "问责决定文号",
            "问责机关",
            "问责决定日期",
            doc_example="玄委问〔2024〕2号",
            authority_example="中共南京市玄武区委员会",
        ),
        Column(
            "content",
            "问责方式",
            required=True,
            example="诫勉",
            help=gettext_lazy("如：检查、通报、改组（对单位）；通报、诫勉、组织调整或组织处理、纪律处分（对个人）"),
        ),
        Column("facts", "问责事由", required=True, example="……", width=36),
        Column("basis", "问责依据", example="《中国共产党问责条例》第七条"),
        CONDUCT_DATE,
        severity_column(),
        REMARK,
    )

    def fields(self, values: dict[str, str], errors: list[CellError]) -> tuple[RecordFields, SubjectRef | None, str]:
        subject, name = self.subject(values, errors)
        return self.common(values, errors), subject, name


class Commendations(_ProjectKind):
    code = "records.commendation"
    label = gettext_lazy("表彰奖励（诚信标兵）")
    record_class = RecordClass.COMMENDATION
    accepts_servants = True
    columns = (
        operation_column(),
        *_subject_columns(people=True, name_header="受表彰对象名称"),
        Column(
            "sub_type",
            "表彰类型",
            required=True,
            choices=_sub_type_choices(RecordClass.COMMENDATION),
            example="诚信标兵",
        ),
        *_authority_columns(
            "表彰决定文号", "表彰机关", "表彰日期", doc_example="苏政发〔2024〕8号", authority_example="江苏省人民政府"
        ),
        Column("content", "荣誉称号", required=True, example="江苏省诚信建设示范单位"),
        Column("facts", "主要事迹", example="……", width=36),
        Column("basis", "表彰依据"),
        REMARK,
    )

    def fields(self, values: dict[str, str], errors: list[CellError]) -> tuple[RecordFields, SubjectRef | None, str]:
        subject, name = self.subject(values, errors)
        return self.common(values, errors, sub_type=values["sub_type"]), subject, name


register_kind(Judgments())
register_kind(Defaulters())
register_kind(Disciplines())
register_kind(Accountability())
register_kind(Commendations())
