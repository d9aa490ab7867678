"""The project's templates (judgments, defaulters, 处分, 问责, commendations) and every kind's Excel template."""

from __future__ import annotations

import io
import zipfile

import pytest
from python_calamine import CalamineWorkbook
from registry.builders import make_id, make_uscc, make_user

from govtrust.accounts.models import Role
from govtrust.core.ingest import get_kind
from govtrust.records.formats.base import RecordKind
from govtrust.records.models import CreditRecord, RecordStatus
from govtrust.registry.models import Agency, CivilServant

from .formats_helpers import errors_of, run, write_csv

COURT = make_uscc(601, area="320100")
RECORD_KINDS = [
    "records.penalty_legal_person",
    "records.penalty_natural_person",
    "records.judgment",
    "records.defaulter",
    "records.discipline",
    "records.accountability",
    "records.commendation",
]


def headers_of(kind: str) -> list[str]:
    return [str(c.header) for c in get_kind(kind).columns]


def run_rows(cast, tmp_path, kind, rows):  # type: ignore[no-untyped-def]
    return run(write_csv(tmp_path / f"{kind}.csv", headers_of(kind), rows), kind, cast.nj_credit.uscc)


def reasons(batch):  # type: ignore[no-untyped-def]
    return {column: reason for _row, column, reason in errors_of(batch)}


def judgment(cast, **cells):  # type: ignore[no-untyped-def]
    return {
        "当事人名称": cast.xw_gov.name, "统一社会信用代码": cast.xw_gov.uscc, "判决类型": "行政机关败诉",
        "案号": "（2025）苏01行终123号", "审理法院": "南京市中级人民法院", "审理法院统一社会信用代码": COURT,
        "裁判日期": "2025-06-02", "裁判文书编号": "WS-2025-001", "案由": "行政许可纠纷", "裁判结果": "撤销被诉行政行为",
        **cells,
    }  # fmt: skip


@pytest.mark.django_db
def test_an_administrative_organ_losing_a_lawsuit_is_a_judgment_record_with_its_case_number(cast, tmp_path):
    batch = run_rows(
        cast,
        tmp_path,
        "records.judgment",
        [judgment(cast), judgment(cast, 案号="（2025）苏01民终9号", 判决类型="一般判决")],
    )
    assert batch.rows_published == 2
    lost = CreditRecord.objects.get(document_number="（2025）苏01行终123号")
    assert (lost.agency, lost.record_class, lost.sub_type) == (cast.xw_gov, "judgment", "admin_lawsuit_lost")
    assert "裁判文书编号：WS-2025-001" in lost.content
    assert CreditRecord.objects.get(document_number="（2025）苏01民终9号").sub_type == ""


@pytest.mark.django_db
def test_a_judgment_names_its_subject_by_uscc_and_an_unknown_body_is_reported(cast, tmp_path):
    unknown = make_uscc(999, area="320102")
    batch = run_rows(
        cast, tmp_path, "records.judgment",
        [
            judgment(cast, 统一社会信用代码=unknown),
            judgment(cast, 统一社会信用代码=""),
            judgment(cast, 判决类型="胜诉"),
        ],
    )  # fmt: skip
    assert [(row, column) for row, column, _r in errors_of(batch)] == [
        (2, "统一社会信用代码"),
        (3, "统一社会信用代码"),
        (4, "判决类型"),
    ]
    assert "未在平台登记" in errors_of(batch)[0][2] and not Agency.objects.filter(uscc=unknown).exists()


def defaulter(cast, **cells):  # type: ignore[no-untyped-def]
    return {
        "被执行人名称": cast.xw_gov.name, "统一社会信用代码": cast.xw_gov.uscc, "案号": "（2025）苏0102执123号",
        "执行法院": "南京市玄武区人民法院", "执行法院统一社会信用代码": COURT, "发布日期": "2025-06-02",
        "执行依据文号": "（2024）苏0102民初45号", "做出执行依据单位": "南京市玄武区人民法院", "立案日期": "2025-01-10",
        "生效法律文书确定的义务": "支付工程款50万元", "被执行人的履行情况": "全部未履行",
        "失信情形": "违反财产报告制度", "失信被执行人行为具体情形": "未按执行通知报告财产", **cells,
    }  # fmt: skip


@pytest.mark.django_db
def test_a_judgment_defaulter_carries_the_spc_fields_and_a_serious_case_may_be_extended(cast, tmp_path):
    rows = [
        defaulter(cast),
        defaulter(cast, 案号="（2025）苏0102执124号", 失信严重程度="严重", 延长年限="2"),
        defaulter(cast, 案号="（2025）苏0102执125号", 延长年限="2"),
        defaulter(cast, 案号="（2025）苏0102执126号", 立案日期="2025-07-01"),
        defaulter(cast, 案号="（2025）苏0102执127号", 失信情形="拒不道歉"),
    ]
    batch = run_rows(cast, tmp_path, "records.defaulter", rows)
    record = CreditRecord.objects.get(document_number="（2025）苏0102执123号")
    assert (record.sub_type, record.record_class) == ("trigger_4", "defaulter")
    assert "执行依据文号：（2024）苏0102民初45号" in record.basis and "立案日期：2025-01-10" in record.content
    assert CreditRecord.objects.get(document_number="（2025）苏0102执124号").extension_years == 2
    assert reasons(batch) == {
        "延长年限": "仅情节严重（失信严重程度为“严重”）时可延长",
        "立案日期": "立案日期不能晚于发布日期",
        "失信情形": reasons(batch)["失信情形"],
    }
    assert "只能填写" in reasons(batch)["失信情形"]


def discipline(cast, **cells):  # type: ignore[no-untyped-def]
    return {
        "主体名称": "张三丰", "身份证号码": make_id(1), "处分种类": "记过", "处分决定文号": "玄纪处〔2025〕3号",
        "处分决定机关": "中共南京市玄武区纪律检查委员会", "处分决定机关统一社会信用代码": cast.xw_discipline.uscc,
        "处分决定日期": "2025-06-02", "违纪违法事实": "违规发放津贴补贴", "行为发生日期": "2024-10-01", **cells,
    }  # fmt: skip


@pytest.mark.django_db
def test_a_sanction_resolves_a_registered_civil_servant_by_id_number_and_reports_an_unknown_one(cast, tmp_path):
    rows = [
        discipline(cast),
        discipline(cast, 处分决定文号="玄纪处〔2025〕4号", 身份证号码=make_id(55)),
        discipline(
            cast,
            处分决定文号="玄纪处〔2025〕5号",
            身份证号码="",
            统一社会信用代码=cast.xw_edu.uscc,
            主体名称=cast.xw_edu.name,
        ),
        discipline(cast, 处分决定文号="玄纪处〔2025〕6号", 统一社会信用代码=cast.xw_edu.uscc),
        discipline(cast, 处分决定文号="玄纪处〔2025〕7号", 处分种类="罚酒"),
        discipline(cast, 处分决定文号="玄纪处〔2025〕8号", 行为发生日期="2025-07-01"),
    ]
    batch = run_rows(cast, tmp_path, "records.discipline", rows)
    record = CreditRecord.objects.get(document_number="玄纪处〔2025〕3号")
    assert (record.civil_servant, record.sub_type, record.publicity_max_end.isoformat()) == (
        cast.servant,
        "demerit",
        "2026-06-02",
    )  # 政务处分法 art. 8: 记过 12 months
    assert CreditRecord.objects.get(document_number="玄纪处〔2025〕5号").agency == cast.xw_edu
    found = {row: (column, reason) for row, column, reason in errors_of(batch)}
    assert found[3] == ("身份证号码", "该身份证号码的公职人员未在平台登记，请先登记")
    assert found[5] == ("身份证号码", "统一社会信用代码和身份证号码只能填一个")
    assert found[6][0] == "处分种类" and found[7] == ("行为发生日期", "行为发生日期不能晚于决定日期")
    assert CivilServant.objects.count() == 1  # never created
    assert not CreditRecord.objects.published().filter(civil_servant__isnull=False).exists()


@pytest.mark.django_db
def test_accountability_and_commendation_records_are_stored_for_servants_and_bodies(cast, tmp_path):
    base = {"主体名称": "张三丰", "身份证号码": make_id(1)}
    accountability = {
        **base, "问责决定文号": "玄委问〔2025〕2号", "问责机关": "中共南京市玄武区委员会",
        "问责机关统一社会信用代码": cast.xw_gov.uscc, "问责决定日期": "2025-06-02", "问责方式": "诫勉",
        "问责事由": "履职不力",
    }  # fmt: skip
    assert run_rows(cast, tmp_path, "records.accountability", [accountability]).rows_published == 1
    commendation = {
        "受表彰对象名称": cast.xw_edu.name, "统一社会信用代码": cast.xw_edu.uscc, "表彰类型": "诚信标兵",
        "表彰决定文号": "苏政发〔2025〕8号", "表彰机关": "江苏省人民政府",
        "表彰机关统一社会信用代码": cast.prov_credit.uscc,
        "表彰日期": "2025-06-02", "荣誉称号": "江苏省诚信建设示范单位",
    }  # fmt: skip
    assert run_rows(cast, tmp_path, "records.commendation", [commendation]).rows_published == 1
    assert CreditRecord.objects.get(record_class="accountability").civil_servant == cast.servant
    praised = CreditRecord.objects.get(record_class="commendation")
    assert (praised.agency, praised.sub_type, praised.status) == (cast.xw_edu, "integrity_model", RecordStatus.IN_FORCE)
    assert not CreditRecord.objects.published().filter(record_class="commendation").exists()


@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_every_record_kind_has_an_operation_column_and_helpful_columns(kind):
    import_kind = get_kind(kind)
    assert isinstance(import_kind, RecordKind) and import_kind.supplier_required
    assert import_kind.column("operation").choices
    required = [c for c in import_kind.columns if c.required]
    assert required and all(c.example for c in required), [str(c.header) for c in required if not c.example]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_each_kind_has_a_downloadable_template_with_drop_downs_and_an_example_row(cast, client, kind):
    supplier = make_user("sup", cast.xw_edu, Role.objects.get(code="supplier"))
    client.force_login(supplier)
    response = client.get(f"/console/ingest/templates/{kind}.xlsx")
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert '<dataValidation type="list"' in sheet and "新增,变更,撤销" in sheet
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    rows = book.get_sheet_by_index(0).to_python()
    assert [str(v) for v in rows[0]] == headers_of(kind)
    assert any(str(v) for v in rows[1])  # the example row
    assert len(book.sheet_names) >= 2  # the 填写说明 sheet
