"""`govtrust screen`: a file of bidders screened against the lists in the database."""

from __future__ import annotations

import pytest

from govtrust.screening.models import WatchlistEntry
from govtrust.screening.services import Subject, screen_subjects, watchlist_entry_delist

from .helpers import make_id, make_uscc, read_output, run, write_csv

LIST_HEADER = ["name", "uscc", "id_number", "region", "reason", "listed_on", "delisted_on"]
SYSTEM = type("Actor", (), {"username": "test", "is_authenticated": False})()


@pytest.fixture
def listed(tmp_path):  # type: ignore[no-untyped-def]
    number = make_id(1)
    path = write_csv(
        tmp_path / "list.csv",
        LIST_HEADER,
        [
            ["南京华夏建设工程有限公司", make_uscc(1), "", "南京", "拒不履行", "2025-01-01", ""],
            ["张三", "", number[:4] + "*" * 10 + number[-4:], "", "", "2025-01-01", ""],
            ["李四", "", make_id(2), "", "", "2025-01-01", ""],
        ],
    )
    status, out, _err = run("watchlist", "import", str(path), "--list", "SXBZXR")
    assert status == 0, out
    return number


def screen(tmp_path, rows, *, header=("ref", "name", "uscc", "id_number"), encoding="utf-8"):  # type: ignore[no-untyped-def]
    source = write_csv(tmp_path / "in.csv", list(header), rows, encoding=encoding)
    target = tmp_path / "out.csv"
    status, out, err = run("screen", "--input", str(source), "--output", str(target))
    return status, (read_output(target) if status == 0 else []), out + err


@pytest.mark.django_db
def test_screen_works_straight_after_an_import_and_explains_every_decision(tmp_path, listed):
    status, rows, out = screen(
        tmp_path,
        [
            ["b1", "", " " + make_uscc(1).lower()[:10] + " " + make_uscc(1)[10:], ""],
            ["b2", "南京華夏建設工程有限責任公司", "", ""],
            ["b3", "苏州华夏建设工程有限公司", "", ""],
            ["p1", "张三", "", listed],
            ["p2", "张叁", "", listed],
            ["p3", "李四", "", make_id(2)],
            ["p4", "张三", "", ""],
        ],
    )
    assert status == 0, out
    assert list(rows[0]) == ["ref", "decision", "score", "matched_name", "matched_uscc", "list", "explanation"]
    decisions = {r["ref"]: r["decision"] for r in rows}
    assert decisions == {
        "b1": "intercept",
        "b2": "review",
        "b3": "pass",
        "p1": "intercept",
        "p2": "pass",
        "p3": "intercept",
        "p4": "pass",
    }
    first = rows[0]
    assert (first["matched_name"], first["matched_uscc"], first["list"]) == (
        "南京华夏建设工程有限公司",
        make_uscc(1),
        "SXBZXR",
    )
    assert "统一社会信用代码一致" in first["explanation"]
    assert "字号及行业一致" in rows[1]["explanation"]
    assert "拦截 3，人工复核 1，通过 3" in out


@pytest.mark.django_db
def test_a_delisted_entry_stops_matching_at_once_even_without_an_index_rebuild(tmp_path, listed):
    assert screen_subjects([Subject(uscc=make_uscc(1))])[0].result.decision == "intercept"
    # Flip the row behind the index's back (no version bump): the live check still drops the hit.
    WatchlistEntry.objects.filter(uscc=make_uscc(1)).update(active=False)
    assert screen_subjects([Subject(uscc=make_uscc(1))])[0].result.decision == "pass"
    assert screen_subjects([Subject(name="南京华夏建设工程有限公司")])[0].result.decision == "pass"


@pytest.mark.django_db
def test_delisting_through_the_service_is_audited_and_stops_matching(tmp_path, listed):
    entry = WatchlistEntry.objects.get(name="李四")
    with pytest.raises(Exception, match="移出原因"):
        watchlist_entry_delist(actor=SYSTEM, entry=entry, reason=" ")
    watchlist_entry_delist(actor=SYSTEM, entry=entry, reason="已全部履行")
    assert screen_subjects([Subject(name="李四", id_number=make_id(2))])[0].result.decision == "pass"


@pytest.mark.django_db
def test_an_incremental_delisting_row_stops_matching(tmp_path, listed):
    path = write_csv(
        tmp_path / "off.csv", LIST_HEADER, [["南京华夏建设工程有限公司", make_uscc(1), "", "", "", "", "2025-06-01"]]
    )
    assert run("watchlist", "import", str(path), "--list", "SXBZXR")[0] == 0
    status, rows, _out = screen(tmp_path, [["b1", "南京华夏建设工程有限公司", make_uscc(1), ""]])
    assert status == 0 and rows[0]["decision"] == "pass"


@pytest.mark.django_db
def test_a_gbk_input_file_without_the_id_number_column_is_read(tmp_path, listed):
    status, rows, out = screen(
        tmp_path, [["甲", "南京华夏建设工程有限公司", ""]], header=("ref", "name", "uscc"), encoding="gbk"
    )
    assert status == 0, out
    assert rows[0]["ref"] == "甲" and rows[0]["decision"] == "review"


@pytest.mark.django_db
def test_hostile_strings_come_back_inert(tmp_path, listed):
    status, rows, out = screen(
        tmp_path,
        [
            ["=cmd|' /C calc'!A0", "<script>alert(1)</script>", "'; DROP TABLE screening_watchlistentry;--", ""],
            ["x", "\x00\u200b", "@SUM(1)", "+1*"],
        ],
    )
    assert status == 0, out
    assert rows[0]["ref"].startswith("'=") and rows[0]["decision"] == "pass"
    assert rows[1]["decision"] == "pass"
    assert WatchlistEntry.objects.count() == 3


@pytest.mark.django_db
def test_an_input_without_the_required_columns_or_file_exits_2(tmp_path):
    status, _rows, out = screen(tmp_path, [["x", "y"]], header=("id", "company"))
    assert status == 2 and "ref" in out
    status, _out, err = run("screen", "--input", str(tmp_path / "missing.csv"), "--output", str(tmp_path / "o.csv"))
    assert status == 2 and "找不到文件" in err


@pytest.mark.django_db
def test_a_cleared_false_positive_can_be_excluded_per_subject(tmp_path, listed):
    key = WatchlistEntry.objects.get(name="南京华夏建设工程有限公司").pk
    result = screen_subjects([Subject(name="南京华夏建设工程有限公司", exclude=frozenset({key}))])[0]
    assert result.result.decision == "pass"
    assert result.list_versions["SXBZXR"] == 1
