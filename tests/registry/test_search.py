"""Body search, the region tree, the console page, its export and the API: real database, hand-built data."""

from __future__ import annotations

import io
import itertools

import pytest
from python_calamine import CalamineWorkbook

from govtrust.accounts.models import Role, User
from govtrust.core.models import Region
from govtrust.core.validators import check_uscc, org_code_check_digit, uscc_check_digit
from govtrust.registry.models import Agency, AgencyNameGram, CodeStatus
from govtrust.registry.search import agency_search, index_agency_name, region_children, reindex_all

_serial = itertools.count(1)


def region(code: str, name: str, parent: Region | None = None) -> Region:
    """Get or create: the core region data migration may already hold the real row."""
    found = Region.objects.filter(code=code).first()
    if found:
        return found
    r = Region(code=code, name=name, level=parent.level + 1 if parent else 1, parent=parent)
    r.fill_ancestor_codes()
    r.save()
    return r


def make_uscc(region_code: str, kind: str = "11") -> str:
    body = f"0{next(_serial):07d}"
    first17 = kind + region_code[:6] + body + org_code_check_digit(body)
    return first17 + uscc_check_digit(first17)


def body(name: str, where: Region, *, parent: Agency | None = None, credit: bool = False) -> Agency:
    agency = Agency.objects.create(
        uscc=make_uscc(where.code),
        name=name,
        region=where,
        parent=parent,
        is_credit_office=credit,
        level={1: "province", 2: "city", 3: "county"}[where.level],
    )
    index_agency_name(agency)  # what the registry services do after a create
    return agency


@pytest.fixture
def jiangsu(db):
    province = region("320000", "江苏省")
    nanjing = region("320100", "南京市", province)
    wuxi = region("320200", "无锡市", province)
    jiangning = region("320115", "江宁区", nanjing)
    return {"province": province, "nanjing": nanjing, "wuxi": wuxi, "jiangning": jiangning}


@pytest.fixture
def bodies(jiangsu):
    gov = body("江苏省人民政府", jiangsu["province"])
    return {
        "gov": gov,
        "fgw": body("江苏省发展和改革委员会", jiangsu["province"], parent=gov, credit=True),
        "czt": body("江苏省财政厅", jiangsu["province"], parent=gov),
        "nj_cz": body("南京市财政局", jiangsu["nanjing"]),
        "nj_fgw": body("南京市发展和改革委员会", jiangsu["nanjing"], credit=True),
        "jn_cz": body("南京市江宁区财政局", jiangsu["jiangning"]),
        "wx_cz": body("无锡市财政局", jiangsu["wuxi"]),
    }


def names(page) -> set[str]:
    return {a.name for a in page.rows}


def test_a_name_substring_matches_anywhere_in_the_name(bodies):
    assert names(agency_search(Agency.objects.all(), query="财政局")) == {
        "南京市财政局",
        "南京市江宁区财政局",
        "无锡市财政局",
    }
    assert names(agency_search(Agency.objects.all(), query="江宁")) == {"南京市江宁区财政局"}
    assert names(agency_search(Agency.objects.all(), query="改革委员")) == {
        "江苏省发展和改革委员会",
        "南京市发展和改革委员会",
    }


def test_a_single_character_query_is_answered_too(bodies):
    assert names(agency_search(Agency.objects.all(), query="厅")) == {"江苏省财政厅"}


def test_a_long_query_needs_the_whole_run_not_just_its_pieces(bodies, jiangsu):
    body("南京市财政局机关服务中心", jiangsu["nanjing"])
    body("财政局服务南京市中心", jiangsu["nanjing"])  # every 4-character piece differs, so no false hit
    body("南京市财政局南京市财政", jiangsu["nanjing"])  # holds 南京市财政 twice, but not …局机关
    page = agency_search(Agency.objects.all(), query="南京市财政局机关")
    assert names(page) == {"南京市财政局机关服务中心"}
    assert page.total == 1


def test_a_uscc_prefix_matches_from_the_start_only(bodies):
    target = bodies["jn_cz"]
    page = agency_search(Agency.objects.all(), query=target.uscc[:12])
    assert page.mode == "uscc"
    assert [a.uscc for a in page.rows] == [target.uscc]
    # The region part in the middle of a code is not a prefix.
    assert agency_search(Agency.objects.all(), query=target.uscc[2:8]).total == 0
    assert agency_search(Agency.objects.all(), query="1132").total == 7


def test_a_lower_case_or_spaced_uscc_prefix_is_normalised(bodies):
    code = bodies["gov"].uscc
    assert agency_search(Agency.objects.all(), query=f" {code[:4]} {code[4:17].lower()} ").rows == [bodies["gov"]]


def test_the_region_filter_includes_everything_under_the_region(bodies):
    page = agency_search(Agency.objects.all(), region_code="320100")
    assert names(page) == {"南京市财政局", "南京市发展和改革委员会", "南京市江宁区财政局"}
    assert agency_search(Agency.objects.all(), region_code="320000").total == 7
    both = agency_search(Agency.objects.all(), query="财政", region_code="320100")
    assert names(both) == {"南京市财政局", "南京市江宁区财政局"}


def test_an_unknown_region_gives_nothing_and_says_so(bodies):
    page = agency_search(Agency.objects.all(), region_code="999999")
    assert page.unknown_region and page.total == 0 and page.rows == []


def test_search_never_leaves_the_base_queryset(bodies):
    scoped = Agency.objects.filter(region__city_code="320100")
    assert names(agency_search(scoped, query="财政局")) == {"南京市财政局", "南京市江宁区财政局"}
    assert agency_search(scoped, query=bodies["wx_cz"].uscc).total == 0
    assert agency_search(Agency.objects.none(), query="财政").total == 0


def test_pages_hold_per_page_rows_and_the_total_counts_all(jiangsu):
    for i in range(45):
        body(f"南京市第{i:02d}中学", jiangsu["nanjing"])
    first = agency_search(Agency.objects.all(), query="中学")
    third = agency_search(Agency.objects.all(), query="中学", page=3)
    assert (first.total, first.pages, len(first.rows), first.has_next) == (45, 3, 20, True)
    assert (len(third.rows), third.has_next, third.first_index, third.last_index) == (5, False, 41, 45)
    every = agency_search(Agency.objects.all(), query="中学", per_page=100).rows
    assert len({a.pk for a in every}) == 45
    assert agency_search(Agency.objects.all(), query="中学", page=99).page == 3  # clamped, not an error


@pytest.mark.parametrize(
    "hostile", ["%", "_", "'", "%%", "a_b", "<script>alert(1)</script>", "'; DROP TABLE x; --", "\\"]
)
def test_hostile_query_strings_are_matched_literally(jiangsu, hostile):
    body("南京市财政局", jiangsu["nanjing"])
    literal = body(f"测试{hostile}单位", jiangsu["nanjing"])
    page = agency_search(Agency.objects.all(), query=hostile)
    assert [a.pk for a in page.rows] == [literal.pk]
    assert Agency.objects.count() == 2


def test_the_index_follows_a_rename(bodies):
    agency = bodies["nj_cz"]
    agency.name = "南京市财政和税务局"
    agency.save()
    index_agency_name(agency)
    assert agency_search(Agency.objects.all(), query="税务").rows == [agency]
    assert "南京市财政局" not in names(agency_search(Agency.objects.all(), query="市财政局"))
    assert not AgencyNameGram.objects.filter(agency=agency, gram="政局").exists()


def test_reindex_all_rebuilds_a_lost_index(bodies):
    AgencyNameGram.objects.all().delete()
    assert agency_search(Agency.objects.all(), query="财政局").total == 0
    assert reindex_all() > 0
    assert agency_search(Agency.objects.all(), query="财政局").total == 3


def test_region_children_count_every_body_in_each_subtree(bodies, jiangsu):
    nodes = {n.region.code: n for n in region_children(Agency.objects.all(), jiangsu["province"])}
    assert nodes["320100"].count == 3 and nodes["320100"].has_children
    assert nodes["320200"].count == 1
    scoped = {
        n.region.code: n.count
        for n in region_children(Agency.objects.filter(name__contains="财政"), jiangsu["province"])
    }
    assert scoped["320100"] == 2


def test_every_code_in_the_fixture_is_valid(bodies):
    assert all(check_uscc(a.uscc).status == "valid" for a in Agency.objects.all())


# --- console page, export and API ---------------------------------------------------------------


def login(client, agency: Agency, role_code: str, scope: str) -> User:
    role, _ = Role.objects.get_or_create(code=role_code, defaults={"name": role_code, "grants": {}})
    role.grants = {"registry.view": scope}
    role.save()
    user = User.objects.create_user(username=f"u{next(_serial)}", password="x-long-password", agency=agency)
    user.roles.add(role)
    client.force_login(user)
    return user


def test_a_city_credit_office_sees_only_its_own_region(client, bodies):
    login(client, bodies["nj_fgw"], "city_credit_office", "unit_and_below")
    html = client.get("/console/agencies/", {"q": "财政局"}).content.decode()
    assert "南京市江宁区财政局" in html and "南京市财政局" in html
    assert "无锡市财政局" not in html
    assert 'hx-get="/console/agencies/regions/320100/children/"' in html  # its tree starts at 南京市
    assert "/console/agencies/regions/320000/children/" not in html
    assert client.get("/console/agencies/regions/320000/children/").status_code == 404
    assert client.get(f"/console/agencies/{bodies['wx_cz'].uscc}/").status_code == 404


def test_an_htmx_search_returns_only_the_results_partial(client, bodies):
    login(client, bodies["fgw"], "provincial_credit_office", "unit_and_below")
    response = client.get("/console/agencies/", {"q": "财政"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "region-tree" not in html
    assert "南京市江宁区财政局" in html and f'href="/console/agencies/{bodies["jn_cz"].uscc}/"' in html
    # The region picked in the tree travels with the swapped results, so the next search keeps it.
    partial = client.get("/console/agencies/", {"region": "320115"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert 'name="region" value="320115" form="agency-search"' in partial.content.decode()


def test_the_region_tree_loads_children_with_counts(client, bodies):
    login(client, bodies["fgw"], "provincial_credit_office", "unit_and_below")
    html = client.get("/console/agencies/regions/320000/children/", HTTP_HX_REQUEST="true").content.decode()
    assert "南京市" in html and "无锡市" in html and "<html" not in html


def test_a_page_shows_legacy_codes_and_escapes_names(client, bodies, jiangsu):
    Agency.objects.filter(pk=bodies["nj_cz"].pk).update(uscc_status=CodeStatus.LEGACY)
    body("<script>alert(1)</script>局", jiangsu["nanjing"])
    login(client, bodies["fgw"], "provincial_credit_office", "unit_and_below")
    html = client.get("/console/agencies/", {"region": "320100"}).content.decode()
    assert "历史代码" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_a_user_without_the_grant_sees_nothing(client, bodies):
    login(client, bodies["nj_cz"], "nobody", "")
    html = client.get("/console/agencies/", {"q": "财政局"}).content.decode()
    assert "南京市财政局</a>" not in html


def test_the_export_opens_as_xlsx_with_the_result_rows(client, bodies):
    login(client, bodies["nj_fgw"], "city_credit_office", "unit_and_below")
    response = client.get("/console/agencies/export.xlsx", {"q": "财政"})
    assert response.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert sheet[0][:2] == ["名称", "统一社会信用代码"]
    assert {row[0] for row in sheet[1:]} == {"南京市财政局", "南京市江宁区财政局"}
    assert {row[1] for row in sheet[1:]} == {bodies["nj_cz"].uscc, bodies["jn_cz"].uscc}


def test_the_api_searches_within_the_callers_scope(client, bodies):
    login(client, bodies["nj_fgw"], "city_credit_office", "unit_and_below")
    data = client.get("/api/registry/agencies", {"q": "财政局"}).json()
    assert data["count"] == 2 and data["page"] == 1 and data["per_page"] == 20
    assert {i["name"] for i in data["items"]} == {"南京市财政局", "南京市江宁区财政局"}
    assert client.get("/api/registry/agencies", {"region": "999999"}).status_code == 404


def test_the_api_and_the_page_need_a_login(client, bodies):
    assert client.get("/api/registry/agencies").status_code == 401
    assert client.get("/console/agencies/").status_code == 302
