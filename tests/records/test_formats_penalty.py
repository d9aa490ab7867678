"""The national 双公示 penalty kinds: every column check, subjects, keys, operations, real files, windows."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from registry.builders import make_id, make_uscc

from govtrust.core.codes import forget_legacy_codes
from govtrust.core.ingest import get_kind
from govtrust.core.ingest.services import ingest_run, ingest_start
from govtrust.core.models import ImportBatch, KnownLegacyCode
from govtrust.records.formats.penalty import severity_of_categories
from govtrust.records.models import CreditRecord, CreditRecordVersion, RecordStatus
from govtrust.registry.models import Agency, Enterprise, Person

from .formats_helpers import LEGAL_HEADERS, NATURAL_HEADERS, errors_of, legal_row, run, write_csv, write_xlsx

LEGAL = "records.penalty_legal_person"
NATURAL = "records.penalty_natural_person"
AUTH = make_uscc(501, area="320100")


def legal(cast, tmp_path, rows, name="p.csv", **kw):  # type: ignore[no-untyped-def]
    return run(
        write_csv(tmp_path / name, [*LEGAL_HEADERS, "操作类型", "失信严重程度"], rows), LEGAL, cast.nj_credit.uscc, **kw
    )


def good(cast, **cells):  # type: ignore[no-untyped-def]
    return legal_row(cast.xw_edu.name, cast.xw_edu.uscc, AUTH, **cells)


def reasons(batch: ImportBatch) -> dict[str, str]:
    return {column: reason for _row, column, reason in errors_of(batch)}


def test_the_legal_person_template_has_the_27_national_columns_plus_operation_and_severity():
    headers = [str(c.header) for c in get_kind(LEGAL).columns]
    assert headers[:27] == [h.replace("（", "(").replace("）", ")") for h in LEGAL_HEADERS]
    assert headers[27:] == ["操作类型", "失信严重程度"]
    required = {str(c.header) for c in get_kind(LEGAL).columns if c.required}
    assert required == {
        "行政相对人名称", "行政相对人类别", "行政处罚决定书文号", "违法行为类型", "违法事实", "处罚依据", "处罚类别",
        "处罚内容", "处罚决定日期", "处罚有效期", "处罚机关", "处罚机关统一社会信用代码", "数据来源单位",
        "数据来源单位统一社会信用代码",
    }  # fmt: skip
    natural = [str(c.header) for c in get_kind(NATURAL).columns]
    assert len(natural) == 22 and natural[:3] == ["行政相对人名称", "证件类型", "证件号码"]
    assert natural[3:20] == headers[10:27]


@pytest.mark.django_db
def test_a_good_row_becomes_an_in_force_record_of_the_body(cast, tmp_path):
    batch = legal(cast, tmp_path, [good(cast, 处罚决定日期=timezone.localdate().isoformat(), 处罚有效期="2099-12-31")])
    assert (batch.status, batch.rows_published) == (ImportBatch.Status.PUBLISHED, 1)
    record = CreditRecord.objects.get()
    assert (record.agency, record.severity, record.status, record.source, record.source_row) == (
        cast.xw_edu,
        "general",
        RecordStatus.IN_FORCE,
        "import",
        2,
    )
    assert record.supplier == cast.nj_credit and record.batch_number == batch.number
    assert record.amount_fine == 2 and "处罚类别：罚款" in record.content and "违法行为类型" in record.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        (
            {"行政相对人代码_1（统一社会信用代码）": "11320102000000061A"},
            "行政相对人代码_1(统一社会信用代码)",
            "统一社会信用代码无效",
        ),
        ({"行政相对人代码_1（统一社会信用代码）": ""}, "行政相对人代码_1(统一社会信用代码)", "须填写统一社会信用代码"),
        ({"处罚机关统一社会信用代码": "123"}, "处罚机关统一社会信用代码", "统一社会信用代码无效"),
        (
            {"数据来源单位统一社会信用代码": "<script>alert(1)</script>"},
            "数据来源单位统一社会信用代码",
            "统一社会信用代码无效",
        ),
        ({"行政相对人类别": "01"}, "行政相对人类别", "只能填写"),
        ({"行政相对人类别": "自然人"}, "行政相对人类别", "只能填写"),
        ({"违法事实": ""}, "违法事实", "不能为空"),
        ({"处罚决定日期": "03/01/2024"}, "处罚决定日期", "日期格式应为YYYY-MM-DD"),
        ({"处罚决定日期": "2024-13-01"}, "处罚决定日期", "日期不存在"),
        ({"处罚决定日期": "2023-02-30"}, "处罚决定日期", "日期不存在"),
        ({"处罚决定日期": "2999-01-01"}, "处罚决定日期", "不能晚于今天"),
        ({"处罚有效期": "2020-01-01"}, "处罚有效期", "不能早于处罚决定日期"),
        ({"公示截止期": "昨天"}, "公示截止期", "日期格式"),
        ({"罚款金额(万元)": "-1"}, "罚款金额(万元)", "不能为负数"),
        ({"罚款金额(万元)": "1.1234567"}, "罚款金额(万元)", "最多6位小数"),
        ({"罚款金额(万元)": "两万"}, "罚款金额(万元)", "应为数字"),
        (
            {"没收违法所得、没收非法财物的金额(万元)": "1e9"},
            "没收违法所得、没收非法财物的金额(万元)",
            "不超过99999999万元",
        ),
        ({"处罚类别": "责令改正"}, "处罚类别", "不是《行政处罚法》第九条规定的种类"),
        ({"法定代表人身份证号": "320102198001010011"}, "法定代表人身份证号", "校验码错误"),
        ({"行政处罚决定书文号": "文" * 101}, "行政处罚决定书文号", "不能超过100个字"),
        ({"违法事实": "事实\x07'; DROP TABLE records_creditrecord; --"}, "违法事实", "控制字符"),
        ({"操作类型": "删除"}, "操作类型", "只能填写"),
        ({"失信严重程度": "特别严重"}, "失信严重程度", "只能填写"),
    ],
)
def test_each_bad_cell_is_reported_with_its_column_and_a_chinese_reason(cast, tmp_path, cells, column, reason):
    batch = legal(cast, tmp_path, [good(cast, **cells)])
    assert batch.rows_rejected == 1 and not CreditRecord.objects.exists()
    found = reasons(batch)
    assert column in found and reason in found[column], found


@pytest.mark.django_db
@pytest.mark.parametrize("date", ["2025-06-02", "2025/06/02", "20250602", "2025/6/2"])
def test_dates_are_read_in_every_accepted_layout(cast, tmp_path, date):
    legal(cast, tmp_path, [good(cast, 处罚决定日期=date)])
    assert CreditRecord.objects.get().decision_date == datetime.date(2025, 6, 2)


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("警告", "minor"),
        ("通报批评", "minor"),
        ("罚款", "general"),
        ("警告;罚款", "general"),
        ("罚款、没收违法所得", "general"),
        ("暂扣许可证件", "general"),
        ("降低资质等级", "general"),
        ("其他", "general"),
        ("吊销许可证件", "serious"),
        ("罚款；吊销营业执照", "serious"),
        ("限制开展生产经营活动", "serious"),
        ("责令停产停业", "serious"),
        ("责令关闭", "serious"),
        ("限制从业", "serious"),
        ("行政拘留", "serious"),
    ],
)
def test_the_penalty_category_decides_the_severity_and_the_most_severe_wins(text, severity):
    assert severity_of_categories(text) == (severity, [])


@pytest.mark.django_db
def test_an_explicit_severity_overrides_the_category(cast, tmp_path):
    legal(cast, tmp_path, [good(cast, 处罚类别="罚款", 失信严重程度="严重")])
    assert CreditRecord.objects.get().severity == "serious"


@pytest.mark.django_db
def test_a_legacy_code_passes_with_a_note(cast, tmp_path):
    legacy = "91320000MA1XXXXX0Q"  # fails the checksum
    KnownLegacyCode.objects.create(code=legacy, note="早期试点")
    forget_legacy_codes()
    batch = legal(cast, tmp_path, [legal_row("某某有限公司", legacy, AUTH)])
    assert batch.rows_published == 1 and batch.result["legacy_code_rows"] == 1
    assert Enterprise.objects.get(uscc=legacy).uscc_status == "legacy"


@pytest.mark.django_db
def test_an_unknown_body_is_reported_and_never_created(cast, tmp_path):
    unknown = make_uscc(4242, area="320102")
    batch = legal(cast, tmp_path, [legal_row("南京市玄武区不存在局", unknown, AUTH), good(cast)])
    assert errors_of(batch) == [
        (2, "行政相对人代码_1(统一社会信用代码)", f"政府部门（机关、事业单位）“{unknown}”未在平台登记，请先登记该单位")
    ]
    assert not Agency.objects.filter(uscc=unknown).exists() and CreditRecord.objects.count() == 1


@pytest.mark.django_db
def test_an_enterprise_is_registered_on_first_sight_and_reused_after(cast, tmp_path):
    new = make_uscc(88, area="320102", kind="91")
    legal(
        cast,
        tmp_path,
        [legal_row("南京某新公司", new, AUTH), legal_row(cast.enterprise.name, cast.enterprise.uscc, AUTH)],
    )
    created = Enterprise.objects.get(uscc=new)
    assert created.name == "南京某新公司" and created.region.code == "320102"
    assert {r.enterprise for r in CreditRecord.objects.all()} == {created, cast.enterprise}
    assert Enterprise.objects.count() == 2


@pytest.mark.django_db
def test_a_joint_penalty_on_several_subjects_is_several_records(cast, tmp_path):
    rows = [
        good(cast),
        legal_row(cast.xw_gov.name, cast.xw_gov.uscc, AUTH),
        legal_row("某公司", cast.enterprise.uscc, AUTH),
    ]
    batch = legal(cast, tmp_path, rows)
    assert batch.rows_published == 3
    assert set(CreditRecord.objects.values_list("document_number", flat=True)) == {"宁市监罚〔2025〕12号"}
    assert CreditRecord.objects.values("natural_key").distinct().count() == 3


@pytest.mark.django_db
def test_a_duplicate_within_the_file_is_rejected_with_the_first_row(cast, tmp_path):
    batch = legal(cast, tmp_path, [good(cast), good(cast, 行政处罚决定书文号="宁市监罚[2025]12号")])
    assert errors_of(batch) == [(3, "", "与第2行重复")]  # brackets normalised: the same decision


@pytest.mark.django_db
def test_a_new_row_whose_record_exists_is_rejected_and_change_and_revoke_keep_history(cast, tmp_path):
    first = legal(cast, tmp_path, [good(cast)], name="1.csv")
    record = CreditRecord.objects.get()
    again = legal(cast, tmp_path, [good(cast, 违法事实="再次报送")], name="2.csv")
    assert reasons(again) == {"行政处罚决定书文号": "该记录已存在，请使用操作类型“变更”或“撤销”"}
    changed = legal(cast, tmp_path, [good(cast, 操作类型="变更", 处罚类别="吊销许可证件")], name="3.csv")
    assert changed.result["corrected"] == 1
    record.refresh_from_db()
    assert (record.severity, record.version) == ("serious", 2) and "吊销许可证件" in record.content
    version = CreditRecordVersion.objects.get(record=record)
    assert version.data["severity"] == "general" and changed.number in version.reason
    same = legal(cast, tmp_path, [good(cast, 操作类型="变更", 处罚类别="吊销许可证件", 备注="x")], name="4.csv")
    assert same.result["corrected"] == 1  # the 备注 changes the content
    revoked = legal(cast, tmp_path, [good(cast, 操作类型="撤销", 备注="决定已被复议撤销")], name="5.csv")
    record.refresh_from_db()
    assert revoked.result["revoked"] == 1 and record.status == RecordStatus.REVOKED
    assert "决定已被复议撤销" in record.status_reason
    assert first.status == ImportBatch.Status.PUBLISHED


@pytest.mark.django_db
@pytest.mark.parametrize("operation", ["变更", "撤销"])
def test_change_or_revoke_of_an_unknown_record_is_rejected(cast, tmp_path, operation):
    batch = legal(cast, tmp_path, [good(cast, 操作类型=operation)])
    assert reasons(batch) == {"操作类型": "找不到要变更或撤销的记录（按决定书文号、决定机关和主体）"}


@pytest.mark.django_db
def test_a_real_format_gbk_csv_is_imported(cast, tmp_path):
    path = write_csv(
        tmp_path / "gbk.csv",
        LEGAL_HEADERS,
        [good(cast), good(cast, 行政处罚决定书文号="宁市监罚〔2025〕13号")],
        encoding="gbk",
    )
    batch = run(path, LEGAL, cast.nj_credit.uscc)
    assert (batch.encoding, batch.rows_published) == ("gb18030", 2)
    assert CreditRecord.objects.filter(subject_name="南京市玄武区教育局").count() == 2


@pytest.mark.django_db
def test_an_xlsx_made_with_xlsxwriter_is_imported_with_numbers_and_dates_as_typed(cast, tmp_path):
    row = good(cast)
    row["罚款金额(万元)"] = 2.5  # a number cell
    row["处罚决定日期"] = "2025-06-02"
    path = write_xlsx(
        tmp_path / "p.xlsx",
        LEGAL_HEADERS,
        [row, good(cast, 行政处罚决定书文号="宁市监罚〔2025〕14号", 处罚决定日期="bad")],
    )
    batch = run(path, LEGAL, cast.nj_credit.uscc)
    assert batch.rows_published == 1 and reasons(batch) == {"处罚决定日期": "日期格式应为YYYY-MM-DD"}
    assert CreditRecord.objects.get().amount_fine == pytest.approx(2.5)


@pytest.mark.django_db
def test_decisions_either_side_of_2023_05_01_fall_under_different_regimes_in_the_archive(cast, client, tmp_path):
    rows = [
        good(
            cast,
            行政处罚决定书文号="宁罚〔2023〕1号",
            处罚决定日期="2023-04-30",
            处罚有效期="2024-04-30",
            处罚类别="吊销许可证件",
        ),
        good(
            cast,
            行政处罚决定书文号="宁罚〔2023〕2号",
            处罚决定日期="2023-05-01",
            处罚有效期="2024-05-01",
            处罚类别="吊销许可证件",
        ),
    ]
    legal(cast, tmp_path, rows)
    before = CreditRecord.objects.get(document_number="宁罚〔2023〕1号")
    after = CreditRecord.objects.get(document_number="宁罚〔2023〕2号")
    assert (before.rule_version, before.publicity_min_end) == ("2019-527", datetime.date(2023, 10, 30))
    assert (after.rule_version, after.publicity_min_end) == ("ndrc-58", datetime.date(2024, 5, 1))
    assert before.publicity_max_end == datetime.date(2026, 4, 30) and after.publicity_max_end == datetime.date(
        2026, 5, 1
    )
    client.force_login(cast.xw_user)
    response = client.get(f"/console/archive/agency/{cast.xw_edu.uscc}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert before.number in html and after.number in html


@pytest.mark.django_db
def test_natural_persons_are_found_or_registered_by_id_number_which_is_stored_encrypted(cast, tmp_path):
    newcomer = make_id(77)
    rows = [
        {**legal_row("", "", AUTH), "行政相对人名称": "李四光", "证件类型": "身份证", "证件号码": make_id(2)},
        {
            **legal_row("", "", AUTH, 行政处罚决定书文号="宁罚〔2025〕2号"),
            "行政相对人名称": "王五",
            "证件类型": "01",
            "证件号码": newcomer,
        },
        {
            **legal_row("", "", AUTH, 行政处罚决定书文号="宁罚〔2025〕3号"),
            "行政相对人名称": "Tom",
            "证件类型": "护照",
            "证件号码": "E12345678",
        },
        {
            **legal_row("", "", AUTH, 行政处罚决定书文号="宁罚〔2025〕4号"),
            "行政相对人名称": "赵六",
            "证件类型": "01",
            "证件号码": "329900198001010010",
        },
        {
            **legal_row("", "", AUTH, 行政处罚决定书文号="宁罚〔2025〕5号"),
            "行政相对人名称": "钱七",
            "证件类型": "01",
            "证件号码": "",
        },
    ]
    batch = run(write_csv(tmp_path / "n.csv", NATURAL_HEADERS, rows), NATURAL, cast.nj_credit.uscc)
    assert batch.rows_published == 3 and batch.result["persons_created"] == 2
    assert reasons(batch) == {"证件号码": "须填写证件号码"} | {
        k: v for k, v in reasons(batch).items() if k != "证件号码"
    }
    assert [r for r in errors_of(batch) if r[0] == 5][0][2].startswith("校验码错误")
    assert CreditRecord.objects.get(document_number="宁市监罚〔2025〕12号").person == cast.person
    person = Person.objects.get(name="王五")
    assert (
        newcomer not in (person.id_number_encrypted, person.id_number_masked) and person.decrypt_id_number() == newcomer
    )
    assert not CreditRecord.objects.published().exists()  # persons' records are never published


@pytest.mark.django_db
def test_a_strict_batch_with_one_bad_row_stores_nothing(cast, tmp_path):
    batch = legal(cast, tmp_path, [good(cast), good(cast, 行政处罚决定书文号="x", 违法事实="")], strict=True)
    assert batch.status == ImportBatch.Status.REJECTED and not CreditRecord.objects.exists()


@pytest.mark.django_db
def test_the_same_file_twice_changes_nothing(cast, tmp_path):
    path = write_csv(tmp_path / "p.csv", LEGAL_HEADERS, [good(cast)])
    run(path, LEGAL, cast.nj_credit.uscc)
    again = ingest_start(actor=None, kind=LEGAL, source=path, file_name="p.csv", supplier_code=cast.nj_credit.uscc)
    assert again.duplicate and ingest_run(again).pk == again.pk and CreditRecord.objects.count() == 1
