"""`govtrust watchlist import`: full and incremental loads through the import machinery."""

from __future__ import annotations

import pytest

from govtrust.core.models import ImportBatch, ObjectChange
from govtrust.screening.models import Watchlist, WatchlistEntry

from .helpers import make_id, make_uscc, run, write_csv

HEADER = ["name", "uscc", "id_number", "region", "reason", "listed_on", "delisted_on"]


def load(path, code="SXBZXR", *extra):  # type: ignore[no-untyped-def]
    return run("watchlist", "import", str(path), "--list", code, *extra)


def active_names(code: str = "SXBZXR") -> set[str]:
    return set(WatchlistEntry.objects.filter(watchlist__code=code, active=True).values_list("name", flat=True))


@pytest.mark.django_db
def test_the_list_codes_ship_with_the_platform():
    codes = set(Watchlist.objects.values_list("code", flat=True))
    assert {"SXBZXR", "GOVTRUST", "TJ_YZSX", "ZFCG_YZWF", "SW_ZDSSWF", "SC_YZWFSX"} <= codes


@pytest.mark.django_db
def test_an_unknown_list_code_exits_2_and_stores_nothing(tmp_path):
    path = write_csv(tmp_path / "a.csv", HEADER, [["南京甲有限公司", "", "", "", "", "", ""]])
    status, _out, err = load(path, "NOPE")
    assert status == 2 and "未知的名单代码“NOPE”" in err
    assert not WatchlistEntry.objects.exists() and not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_the_govtrust_list_cannot_be_loaded_from_a_file(tmp_path):
    path = write_csv(tmp_path / "a.csv", HEADER, [["南京甲有限公司", "", "", "", "", "", ""]])
    status, _out, err = load(path, "GOVTRUST")
    assert status == 2 and "自动生成" in err


@pytest.mark.django_db
def test_an_incremental_load_adds_updates_and_removes_by_delisted_on(tmp_path):
    first = write_csv(
        tmp_path / "1.csv",
        HEADER,
        [
            ["南京甲建设有限公司", make_uscc(1), "", "南京", "失信", "2025-01-01", ""],
            ["南京乙建设有限公司", make_uscc(2), "", "南京", "失信", "2025-01-02", ""],
        ],
    )
    assert load(first)[0] == 0
    second = write_csv(
        tmp_path / "2.csv",
        HEADER,
        [
            ["南京乙建设有限公司", make_uscc(2), "", "南京", "", "", "2025-06-01"],
            ["南京丙建设有限公司", make_uscc(3), "", "", "", "", ""],
            ["南京丁建设有限公司", make_uscc(4), "", "", "", "", "2025-06-01"],  # never listed: nothing to do
        ],
    )
    status, out, _err = load(second)
    assert status == 0, out
    assert active_names() == {"南京甲建设有限公司", "南京丙建设有限公司"}
    removed = WatchlistEntry.objects.get(uscc=make_uscc(2))
    assert not removed.active and str(removed.delisted_on) == "2025-06-01"
    assert not WatchlistEntry.objects.filter(uscc=make_uscc(4)).exists()
    assert Watchlist.objects.get(code="SXBZXR").version == 2


@pytest.mark.django_db
def test_a_full_load_replaces_the_list(tmp_path):
    load(
        write_csv(
            tmp_path / "1.csv",
            HEADER,
            [
                ["南京甲建设有限公司", make_uscc(1), "", "", "", "", ""],
                ["南京乙建设有限公司", make_uscc(2), "", "", "", "", ""],
            ],
        )
    )
    status, _out, _err = load(
        write_csv(
            tmp_path / "2.csv",
            HEADER,
            [
                ["南京丙建设有限公司", make_uscc(3), "", "", "", "", ""],
                ["南京甲建设有限公司", make_uscc(1), "", "", "", "", ""],
            ],
        ),
        "SXBZXR",
        "--full",
    )
    assert status == 0
    assert active_names() == {"南京甲建设有限公司", "南京丙建设有限公司"}
    assert WatchlistEntry.objects.filter(uscc=make_uscc(2), active=False).exists()
    # Other lists are untouched by a full load of this one.
    load(write_csv(tmp_path / "3.csv", HEADER, [["南京戊建设有限公司", "", "", "", "", "", ""]]), "ZFCG_YZWF")
    load(
        write_csv(tmp_path / "4.csv", HEADER, [["南京甲建设有限公司", make_uscc(1), "", "", "", "", ""]]),
        "SXBZXR",
        "--full",
    )
    assert active_names("ZFCG_YZWF") == {"南京戊建设有限公司"}
    assert active_names() == {"南京甲建设有限公司"}


@pytest.mark.django_db
def test_person_id_numbers_are_stored_encrypted_hashed_and_masked_never_in_clear(tmp_path):
    number = make_id(1)
    path = write_csv(
        tmp_path / "p.csv",
        HEADER,
        [["张三", "", number, "", "", "", ""], ["李四", "", "3201**********1234", "", "", "", ""]],
    )
    assert load(path)[0] == 0
    zhang = WatchlistEntry.objects.get(name="张三")
    assert zhang.subject_type == "person" and zhang.id_number_masked == number[:6] + "*" * 8 + number[-4:]
    assert zhang.id_number_hash and number not in zhang.id_number_encrypted
    li = WatchlistEntry.objects.get(name="李四")
    assert li.id_number_masked == "3201**********1234" and li.id_number_hash == ""
    for change in ObjectChange.objects.all():
        assert number not in str(change.postchange_data) and number not in change.message


@pytest.mark.django_db
def test_bad_rows_are_rejected_with_chinese_reasons(tmp_path):
    bad_id = make_id(1)[:17] + ("0" if make_id(1)[17] != "0" else "1")
    path = write_csv(
        tmp_path / "bad.csv",
        HEADER,
        [
            ["张三", "", bad_id, "", "", "", ""],
            ["王五", "", "", "", "", "", ""],  # a person needs an ID number: set by subject_type below
            ["南京甲有限公司", "'; DROP TABLE x;--", "", "", "", "", ""],
            ["南京乙有限公司", "", "", "", "", "2025-13-01", ""],
            ["<script>alert(1)</script>", "", "", "", "", "", ""],
        ],
    )
    status, out, _err = load(path)
    assert status == 1
    assert "身份证号码无效" in out and "不是有效的统一社会信用代码" in out and "日期" in out
    assert active_names() == {"王五", "<script>alert(1)</script>"}  # an organisation name, stored as text
    person = write_csv(tmp_path / "person.csv", [*HEADER, "subject_type"], [["赵六", "", "", "", "", "", "", "person"]])
    status, out, _err = load(person)
    assert status == 1 and "自然人须填写身份证号码" in out


@pytest.mark.django_db
def test_court_fields_load_under_the_courts_own_keys_and_a_gbk_file(tmp_path):
    header = [
        "iname",
        "cardNum",
        "caseCode",
        "courtName",
        "areaName",
        "gistId",
        "gistUnit",
        "duty",
        "performance",
        "disruptTypeName",
        "regDate",
        "publishDate",
    ]
    row = [
        "张三",
        "3201**********1234",
        "（2025）苏0115执123号",
        "南京市江宁区人民法院",
        "江苏",
        "（2024）苏0115民初1号",
        "南京市江宁区人民法院",
        "支付货款10万元",
        "全部未履行",
        "有履行能力而拒不履行生效法律文书确定义务",
        "2025年01月02日",
        "2025-02-03",
    ]
    path = write_csv(tmp_path / "court.csv", header, [row], encoding="gbk")
    status, out, _err = load(path)
    assert status == 0, out
    entry = WatchlistEntry.objects.get()
    assert (entry.case_number, entry.court, entry.performance) == (
        "（2025）苏0115执123号",
        "南京市江宁区人民法院",
        "全部未履行",
    )
    assert str(entry.filing_date) == "2025-01-02" and str(entry.publish_date) == "2025-02-03"
    assert entry.id_number_masked == "3201**********1234" and entry.subject_type == "person"
