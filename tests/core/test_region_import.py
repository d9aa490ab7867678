"""Township-level CSV import: encodings, all-or-nothing errors with row/column/reason, idempotent re-import."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from govtrust.accounts.models import User
from govtrust.core.models import ObjectChange, Region
from govtrust.core.regions import RegionImportError, RowError, parse_region_csv
from govtrust.core.services import region_import

# Hand-made sample rows in the 国家统计局 code layout (county code + 3 digits).
GOOD = (
    "code,name,parent_code,kind\n"
    "320102002,梅园新村街道,,\n"
    "320102003,新街口街道,,\n"
    "320576001000,娄葑街道,,township\n"  # 12-digit form of a township code: stored as 9 digits
    "320505401,苏州科技城,320505,functional_zone\n"
)


def encode(text, encoding="utf-8"):
    return text.encode(encoding)


def import_bytes(data, actor=None):
    return region_import(actor=actor, rows=parse_region_csv(data))


def errors_of(data):
    with pytest.raises(RegionImportError) as excinfo:
        import_bytes(data)
    return excinfo.value.errors


@pytest.fixture
def operator(db):
    return User.objects.create_user(username="op", password="x" * 12)


def township_rows():
    return list(Region.objects.filter(level=4).values_list("code", "name", "kind", "parent__code").order_by("code"))


EXPECTED = [
    ("320102002", "梅园新村街道", "township", "320102"),
    ("320102003", "新街口街道", "township", "320102"),
    ("320505401", "苏州科技城", "functional_zone", "320505"),
    ("320576001", "娄葑街道", "township", "320576"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_it_imports_townships_in_every_supported_encoding(encoding):
    result = import_bytes(encode(GOOD, encoding))
    assert sorted(result.created) == [row[0] for row in EXPECTED]
    assert township_rows() == EXPECTED


@pytest.mark.django_db
def test_chinese_headers_and_only_the_required_columns_work():
    result = import_bytes(encode("代码,名称\n320102002,梅园新村街道\n", "gbk"))
    assert result.created == ["320102002"]


@pytest.mark.django_db
def test_imported_townships_join_the_ancestor_queries():
    import_bytes(encode(GOOD))
    town = Region.objects.get(code="320576001")
    assert (town.level, town.province_code, town.city_code, town.county_code, town.township_code) == (
        4,
        "320000",
        "320500",
        "320576",
        "320576001",
    )
    suzhou = Region.objects.get(code="320500")
    names = set(Region.objects.descendants_of(suzhou).values_list("name", flat=True))
    assert {"娄葑街道", "苏州科技城", "苏州工业园区"} <= names
    assert [r.code for r in Region.objects.ancestors_of(town)] == ["320000", "320500", "320576", "320576001"]
    nanjing = Region.objects.get(code="320100")
    assert Region.objects.descendants_of(nanjing).filter(level=4).count() == 2


@pytest.mark.django_db
def test_re_importing_the_same_file_changes_nothing(operator):
    import_bytes(encode(GOOD), actor=operator)
    before = list(Region.objects.order_by("code").values())
    result = import_bytes(encode(GOOD, "gbk"), actor=operator)
    assert (result.created, result.updated) == ([], [])
    assert len(result.unchanged) == 4
    assert list(Region.objects.order_by("code").values()) == before


@pytest.mark.django_db
def test_a_renamed_or_moved_township_is_updated(operator):
    import_bytes(encode(GOOD), actor=operator)
    result = import_bytes(encode("code,name,parent_code\n320102002,梅园新村街道办事处,\n320505401,苏州科技城,320506\n"))
    assert sorted(result.updated) == ["320102002", "320505401"]
    moved = Region.objects.get(code="320505401")
    assert (moved.parent.code, moved.county_code, moved.kind) == ("320506", "320506", "township")
    assert Region.objects.get(code="320102002").name == "梅园新村街道办事处"


@pytest.mark.django_db
def test_each_batch_writes_one_audit_row(operator):
    import_bytes(encode(GOOD), actor=operator)
    import_bytes(encode(GOOD), actor=operator)
    changes = ObjectChange.objects.filter(action="import", object_type="core.region").order_by("seq")
    assert changes.count() == 2
    assert changes[0].user_name == "op"
    assert sorted(changes[0].postchange_data["created"]) == [row[0] for row in EXPECTED]
    assert changes[1].postchange_data == {"created": [], "updated": {}}


@pytest.mark.django_db
def test_hostile_names_are_stored_verbatim_and_escaped_on_display(client):
    hostile = '<script>alert(1)</script>镇,"\'; DROP TABLE core_region;--"'
    import_bytes(encode(f"code,name\n320102002,{hostile.split(',')[0]}\n320102003,{hostile.split(',', 1)[1]}\n"))
    assert Region.objects.get(code="320102002").name == "<script>alert(1)</script>镇"
    assert Region.objects.get(code="320102003").name == "'; DROP TABLE core_region;--"
    assert Region.objects.count() == 118 + 2
    admin = User.objects.create_superuser(username="root", password="x" * 12)
    client.force_login(admin)
    page = client.get("/admin/core/region/?q=320102").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;镇" in page


BAD = (
    "code,name,parent_code,kind\n"
    "320102002,梅园新村街道,,\n"  # 2: fine, but must not be stored
    "999999001,不存在的街道,,\n"  # 3: the county 999999 does not exist
    "3201020,短代码,,\n"  # 4: 7 digits
    "32010200A,字母,,\n"  # 5: not digits
    "320102002001,村委会,,\n"  # 6: village (村级) code
    "320102002,重复,,\n"  # 7: duplicate of row 2
    "320102004,,,\n"  # 8: no name
    "320102005,某街道,320100,\n"  # 9: parent is a city, not a county
    "320102006,某街道,,village\n"  # 10: unknown kind
    "320102007,某街道,888888,\n"  # 11: explicit unknown parent
    "320102008,<script>alert(1)</script>,,\n"  # 12: hostile but valid
    "320102009,某街道,,,多余\n"  # 13: surplus cell
)


@pytest.mark.django_db
def test_a_bad_file_stores_nothing_and_reports_every_bad_row():
    errors = errors_of(encode(BAD, "gbk"))
    assert [(e.row, e.column) for e in errors] == [
        (3, "code"),
        (4, "code"),
        (5, "code"),
        (6, "code"),
        (7, "code"),
        (8, "name"),
        (9, "parent_code"),
        (10, "kind"),
        (11, "parent_code"),
        (13, ""),
    ]
    reasons = {e.row: e.reason for e in errors}
    assert "999999" in reasons[3] and "不存在" in reasons[3]
    assert "9位" in reasons[4]
    assert "数字" in reasons[5]
    assert "村级" in reasons[6]
    assert "第2行" in reasons[7]
    assert "不能为空" in reasons[8]
    assert "县级" in reasons[9]
    assert str(errors[0]) == "第3行 code 列：上级区划“999999”不存在"
    assert Region.objects.count() == 118
    assert not ObjectChange.objects.exists()


@pytest.mark.django_db
def test_a_name_with_a_control_character_or_too_long_is_rejected():
    errors = errors_of(encode('code,name\n320102002,"两行\n名称"\n320102003,' + "长" * 65 + "\n"))
    assert [(e.column, "换行" in e.reason or "64" in e.reason) for e in errors] == [("name", True), ("name", True)]
    assert errors[1].row == 4  # line numbers follow the file even after a quoted newline


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "为空"),
        (encode("code,name\n\n"), "没有数据行"),
        (b"\xff\xfe\xff\xfe", "编码"),
        (encode("code\n320102002\n"), "name"),
        (encode("code,name,parentcode\n320102002,x,\n"), "parentcode"),
        (encode("code,name,code\n320102002,x,320102002\n"), "重复"),
    ],
)
def test_file_level_problems_are_reported_before_any_row(data, words):
    with pytest.raises(RegionImportError) as excinfo:
        parse_region_csv(data)
    assert words in " ".join(f"{e.column} {e.reason}" for e in excinfo.value.errors)


def test_row_errors_read_as_chinese_sentences():
    assert str(RowError(5, "code", "代码只能包含数字")) == "第5行 code 列：代码只能包含数字"
    assert str(RowError(0, "", "文件为空")) == "文件：文件为空"


# --- `govtrust regions import FILE` -------------------------------------------------------------


@pytest.mark.django_db
def test_the_import_command_reports_counts(tmp_path):
    path = tmp_path / "towns.csv"
    path.write_bytes(encode(GOOD, "gbk"))
    out = StringIO()
    call_command("regions", "import", str(path), stdout=out)
    assert out.getvalue().strip() == "导入完成：新增4个，修改0个，未变0个"
    out = StringIO()
    call_command("regions", "import", str(path), stdout=out)
    assert out.getvalue().strip() == "导入完成：新增0个，修改0个，未变4个"
    assert ObjectChange.objects.filter(action="import").first().user_name.startswith("cli:")


@pytest.mark.django_db
def test_the_import_command_lists_every_error_and_fails(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(encode(BAD, "utf-8-sig"))
    err = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("regions", "import", str(path), stderr=err)
    assert "10处错误" in str(excinfo.value)
    lines = err.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[0] == "第3行 code 列：上级区划“999999”不存在"
    assert Region.objects.count() == 118


@pytest.mark.django_db
def test_the_import_command_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError):
        call_command("regions", "import", str(tmp_path / "missing.csv"))
