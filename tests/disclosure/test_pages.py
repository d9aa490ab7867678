"""The public portal's pages render without login, show published records only, and page through results."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from registry.builders import SYSTEM, add_agency

from govtrust.core.masking import mask_id_number, mask_name
from govtrust.core.models import Region

from .portal_world import ID_NUMBER, LEADER, LEGAL_REP, PHONE, World, make, recent
from .portal_world import cast as cast  # noqa: F401
from .portal_world import world as world  # noqa: F401

pytestmark = pytest.mark.django_db


def get(client: Client, url: str, **params: str) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_every_portal_page_renders_for_an_anonymous_visitor_in_chinese(client: Client, world: World) -> None:
    for name, kwargs in [
        ("home", {}),
        ("search", {}),
        ("record_list", {}),
        ("lawsuits_lost", {}),
        ("defaulters", {}),
        ("regions", {}),
        ("region", {"code": "320100"}),
        ("statistics", {}),
        ("opendata", {}),
        ("body", {"uscc": world.cast.xw_edu.uscc}),
        ("record", {"number": world.penalty.number}),
    ]:
        html = get(client, reverse(f"portal:{name}", kwargs=kwargs))
        assert "政务诚信信息公开" in html, name
        assert 'name="viewport"' in html


def test_a_body_page_lists_its_published_records_and_nothing_else(client: Client, world: World) -> None:
    html = get(client, reverse("portal:body", kwargs={"uscc": world.cast.xw_edu.uscc}))
    assert world.penalty.number in html
    assert world.corrected.number in html
    assert world.lawsuit.number not in html  # another body's record
    for record in world.hidden.values():
        assert record.number not in html


def test_a_body_page_for_an_unknown_code_is_a_404(client: Client, world: World) -> None:
    assert client.get(reverse("portal:body", kwargs={"uscc": "11320100MB0000000X"})).status_code == 404


def test_the_record_page_masks_people_named_in_the_facts(client: Client, world: World) -> None:
    html = get(client, reverse("portal:record", kwargs={"number": world.penalty.number}))
    assert LEADER not in html and mask_name(LEADER) in html
    assert LEGAL_REP not in html and mask_name(LEGAL_REP) in html
    assert ID_NUMBER not in html and mask_id_number(ID_NUMBER) in html
    assert PHONE not in html and "138****5678" in html
    assert world.cast.xw_edu.uscc in html  # the body's own code is public and stays


def test_the_lawsuit_list_shows_the_judgment_reference(client: Client, world: World) -> None:
    html = get(client, reverse("portal:lawsuits_lost"))
    assert "（2026）苏01行终123号" in html and world.lawsuit.number in html
    assert world.penalty.number not in html and world.defaulter.number not in html


def test_the_defaulter_list_shows_bodies_refusing_to_execute_judgments(client: Client, world: World) -> None:
    html = get(client, reverse("portal:defaulters"))
    assert world.defaulter.number in html and "苏州市财政局" in html
    assert world.penalty.number not in html


def test_the_record_list_filters_by_city_class_and_dates(client: Client, world: World) -> None:
    url = reverse("portal:record_list")
    html = get(client, url, region="320500")
    assert world.defaulter.number in html and world.penalty.number not in html
    html = get(client, url, **{"class": "judgment"})
    assert world.lawsuit.number in html and world.penalty.number not in html
    future = (datetime.date.today() + datetime.timedelta(days=400)).isoformat()
    html = get(client, url, date_from=future)
    assert world.penalty.number not in html and "共 0 条" in html


def test_a_bad_filter_value_is_refused_with_a_chinese_message(client: Client, world: World) -> None:
    response = client.get(reverse("portal:record_list"), {"class": "commendation"})
    assert response.status_code == 400
    assert "不在公开范围内" in response.content.decode()
    assert client.get(reverse("portal:record_list"), {"date_from": "2026-13-45"}).status_code == 400


def test_lists_page_through_many_records(client: Client, world: World) -> None:
    for n in range(25):
        make(world.cast, f"PG{n:02d}", decision_date=recent(50 + n))
    url = reverse("portal:record_list")
    first = get(client, url)
    assert "第 1 / 2 页" in first
    second = get(client, url, page="2")
    assert "第 2 / 2 页" in second
    assert get(client, url, page="abc").count("第 1 / 2 页") == 1
    assert "第 2 / 2 页" in get(client, url, page="999")  # past the end: the last page


def test_the_region_pages_walk_the_tree_and_count_records(client: Client, world: World) -> None:
    html = get(client, reverse("portal:regions"))
    assert "南京市" in html and "苏州市" in html
    html = get(client, reverse("portal:region", kwargs={"code": "320100"}))
    assert "玄武区" in html and "南京市玄武区教育局" in html
    assert client.get(reverse("portal:region", kwargs={"code": "999999"})).status_code == 404


def test_the_statistics_page_counts_only_published_records(client: Client, world: World) -> None:
    html = get(client, reverse("portal:statistics"))
    assert "公示中的政务失信记录共 4 条" in html
    assert 'data-chart="chart-by-city"' in html and 'id="chart-by-month"' in html


def test_a_body_in_another_province_still_has_a_page(client: Client, world: World) -> None:
    region = Region.objects.get(code="320102")
    agency = add_agency(88, "南京市玄武区档案馆", region)
    html = get(client, reverse("portal:body", kwargs={"uscc": agency.uscc}))
    assert "南京市玄武区档案馆" in html and "没有公开的记录" in html
    assert SYSTEM is not None


def test_a_body_page_pages_through_its_records_newest_first_with_the_full_count(client: Client, world: World) -> None:
    # The page is read in two steps (ids from the index, then rows by id): order, count and pages must still agree.
    made = [make(world.cast, f"PG{i:02d}", decision_date=recent(60 + i)) for i in range(23)]
    url = reverse("portal:body", kwargs={"uscc": world.cast.xw_edu.uscc})
    first, second = get(client, url), get(client, url, page="2")
    shown = sorted([world.penalty, world.corrected, *made], key=lambda r: (r.decision_date, r.pk), reverse=True)
    assert '<dd class="record-total">25</dd>' in first
    positions = [first.find(r.number) for r in shown[:20]]
    assert -1 not in positions and positions == sorted(positions)
    assert all(r.number not in first for r in shown[20:])
    assert all(r.number in second for r in shown[20:]) and all(r.number not in second for r in shown[:20])
    for record in world.hidden.values():
        assert record.number not in first and record.number not in second
