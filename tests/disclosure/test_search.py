"""Finding a body: exact name substrings and USCC prefixes, and suggestions that survive a typo or a missing part."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from registry.builders import add_agency

from govtrust.core.models import Region
from govtrust.disclosure.portal_search import fuzzy_bodies, suggest

from .portal_world import cast as cast  # noqa: F401

pytestmark = pytest.mark.django_db


def names(suggestions) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.agency.name for s in suggestions]


def test_a_name_substring_is_found_exactly(cast) -> None:  # type: ignore[no-untyped-def]
    found = suggest("玄武区教育")
    assert names(found)[0] == "南京市玄武区教育局" and found[0].exact


def test_a_uscc_prefix_is_found(cast) -> None:  # type: ignore[no-untyped-def]
    assert names(suggest(cast.sz_finance.uscc[:10])) == ["苏州市财政局"]
    assert names(suggest(cast.sz_finance.uscc.lower())) == ["苏州市财政局"]


def test_a_typo_still_suggests_the_body(cast) -> None:  # type: ignore[no-untyped-def]
    assert names(suggest("南京市玄武区教肓局"))[0] == "南京市玄武区教育局"  # 肓 for 育


def test_a_missing_region_level_still_suggests_the_body(cast) -> None:  # type: ignore[no-untyped-def]
    assert names(suggest("南京玄武区教育局"))[0] == "南京市玄武区教育局"  # 市 left out


def test_traditional_characters_are_folded(cast) -> None:  # type: ignore[no-untyped-def]
    assert names(suggest("南京市玄武區教育局"))[0] == "南京市玄武区教育局"


def test_a_missing_legal_form_still_finds_a_company_like_body(cast) -> None:  # type: ignore[no-untyped-def]
    region = Region.objects.get(code="320100")
    add_agency(41, "南京市城市建设投资控股（集团）有限责任公司", region, org_type="other")
    assert "南京市城市建设投资控股（集团）有限责任公司" in names(fuzzy_bodies("南京城市建设投资控股集团"))


def test_a_body_of_another_city_is_not_suggested_for_a_near_name(cast) -> None:  # type: ignore[no-untyped-def]
    region = Region.objects.get(code="320500")
    add_agency(42, "苏州市玄武区教育局", region)  # an invented look-alike in another city
    found = fuzzy_bodies("南京市玄武区教肓局")
    assert names(found)[0] == "南京市玄武区教育局"
    scores = {s.agency.name: s.score for s in found}
    assert scores.get("苏州市玄武区教育局", 0) < scores["南京市玄武区教育局"]


def test_nonsense_and_hostile_input_suggest_nothing_and_do_not_fail(cast) -> None:  # type: ignore[no-untyped-def]
    for query in ["", " ", "x", "'; DROP TABLE registry_agency; --", "<script>alert(1)</script>", "%_%", "z" * 5000]:
        assert isinstance(suggest(query), list)
    assert suggest("'; DROP TABLE registry_agency; --") == []


def test_the_suggestion_endpoint_returns_links_to_body_pages(client: Client, cast) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("portal:suggest"), {"q": "南京玄武区教育局"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("portal:body", kwargs={"uscc": cast.xw_edu.uscc}) in html
    hostile = client.get(reverse("portal:suggest"), {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert" not in hostile


def test_the_search_page_offers_close_names_when_nothing_matches_exactly(client: Client, cast) -> None:  # type: ignore[no-untyped-def]
    html = client.get(reverse("portal:search"), {"q": "南京市玄武区教肓局"}).content.decode()
    assert "共找到 0 个" in html and "您要找的是不是" in html and "南京市玄武区教育局" in html


def test_the_search_page_pages_through_many_bodies(client: Client, cast) -> None:  # type: ignore[no-untyped-def]
    region = Region.objects.get(code="320102")
    for n in range(25):
        add_agency(100 + n, f"南京市玄武区第{n:02d}中学", region, org_type="institution")
    first = client.get(reverse("portal:search"), {"q": "中学"}).content.decode()
    assert "共找到 25 个" in first and "第 1 / 2 页" in first
    second = client.get(reverse("portal:search"), {"q": "中学", "page": "2"}).content.decode()
    assert "第 2 / 2 页" in second and "第24中学" in second
