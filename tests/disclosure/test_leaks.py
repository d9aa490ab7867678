"""Leak probes: nothing unpublished is reachable through any public URL, query parameter, API filter or download.

The world holds records that are not yet started, past their window, repaired, revoked, covered by a
fault-tolerance ruling, marked not to publish, commendations, records about a civil servant, a person and an
enterprise, and the old facts of a corrected record. Every probe below must show none of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import pytest
from django.test import Client

from govtrust.records.policy import RecordClass

from .portal_world import World, hidden_markers
from .portal_world import cast as cast  # noqa: F401
from .portal_world import world as world  # noqa: F401

pytestmark = pytest.mark.django_db

SNEAKY = [
    {"status": "received"},
    {"status": "revoked"},
    {"subject_kind": "person"},
    {"subject_kind": "civil_servant"},
    {"include_unpublished": "1"},
    {"publish": "false"},
    {"covered_by__isnull": "false"},
    {"id": "1"},
    {"pk": "1"},
    {"ordering": "-status"},
    {"ordering": "subject_kind"},
    {"ordering": "-id"},
    {"page": "-1"},
    {"page": "0"},
    {"page": "99999999999999999999"},
    {"page_size": "100000"},
    {"date_from": "1900-01-01", "date_to": "2999-12-31"},
]


def content(response) -> str:  # type: ignore[no-untyped-def]
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8", errors="replace")


# Where a page echoes the visitor's own query back (the search box, "“q” 共找到 0 个"): not a leak, so cut out.
_ECHOES = re.compile(r'value="[^"]*"|<p class="muted result-count">.*?</p>', re.S)


def assert_clean(text: str, markers: Iterable[str], where: str) -> None:
    text = _ECHOES.sub("", text)
    for marker in markers:
        assert marker not in text, f"{marker!r} leaked through {where}"


def probes(world: World) -> list[dict[str, str]]:
    out: list[dict[str, str]] = [{}] + [dict(p) for p in SNEAKY]
    out += [{"class": c} for c in RecordClass.values] + [{"record_class": c} for c in RecordClass.values]
    out += [{"sub_type": s} for s in ("warning", "commendation", "trigger_1", "admin_lawsuit_lost")]
    for record in world.hidden.values():
        out += [{"q": record.document_number}, {"q": record.number}, {"uscc": record.subject_name}]
    out += [{"uscc": world.cast.enterprise.uscc}, {"q": world.cast.enterprise.name}, {"q": world.cast.person.name}]
    out += [{"region": code} for code in ("320000", "320100", "320102", "320500", "329900")]
    return out


def test_no_hidden_record_has_a_page_and_the_404_says_nothing_more(client: Client, world: World) -> None:
    missing = client.get("/records/XY20269999999/")
    assert missing.status_code == 404
    for record in world.hidden.values():
        for number in (record.number, record.number.lower(), f" {record.number}", str(record.pk)):
            response = client.get(f"/records/{number}/")
            assert response.status_code == 404, number
            assert response.content == missing.content  # the same page for "not published" and "no such record"


def test_the_public_lists_never_show_a_hidden_record_whatever_the_parameters(client: Client, world: World) -> None:
    markers = hidden_markers(world)
    for path in ("/records/", "/lists/lawsuits-lost/", "/lists/defaulters/", f"/bodies/{world.cast.xw_edu.uscc}/"):
        for params in probes(world):
            response = client.get(path, params)
            assert response.status_code in (200, 400), (path, params, response.status_code)
            assert_clean(content(response), markers, f"{path} {params}")


def test_body_pages_of_every_body_show_no_hidden_record(client: Client, world: World) -> None:
    markers = hidden_markers(world)
    cast = world.cast
    for agency in (cast.xw_edu, cast.xw_gov, cast.sz_finance, cast.nj_credit, cast.xw_discipline):
        for params in ({}, {"class": "discipline"}, {"class": "commendation"}, {"ordering": "-id"}, {"page": "2"}):
            response = client.get(f"/bodies/{agency.uscc}/", params)
            assert_clean(content(response), markers, f"body {agency.name} {params}")
    # An enterprise is not a government body: it has no public page at all.
    assert client.get(f"/bodies/{cast.enterprise.uscc}/").status_code == 404


def test_search_and_suggestions_find_no_person_or_enterprise(client: Client, world: World) -> None:
    markers = hidden_markers(world)
    queries = [world.cast.servant.name, world.cast.person.name, world.cast.enterprise.name, world.cast.enterprise.uscc]
    queries += [r.number for r in world.hidden.values()] + [r.document_number for r in world.hidden.values()]
    for query in queries:
        for path in ("/search/", "/search/suggest/", "/regions/320102/"):
            assert_clean(content(client.get(path, {"q": query})), markers, f"{path} q={query}")


def test_statistics_regions_and_home_count_only_published_records(client: Client, world: World) -> None:
    assert "公示中的政务失信记录共 4 条" in content(client.get("/statistics/"))
    for path in ("/", "/regions/", "/regions/320100/", "/regions/320102/", "/opendata/"):
        assert_clean(content(client.get(path)), hidden_markers(world), path)


def test_downloads_never_contain_a_hidden_record(client: Client, world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.GOVTRUST_OPENDATA_DOWNLOADS_PER_HOUR = 10_000
    markers = hidden_markers(world)
    published = {r.number for r in world.published}
    for params in probes(world):
        for path in ("/opendata/records.csv", "/opendata/records.json"):
            response = client.get(path, params)
            assert response.status_code in (200, 400), (path, params)
            text = content(response)
            assert_clean(text, markers, f"{path} {params}")
            if path.endswith(".json") and response.status_code == 200:
                assert {r["number"] for r in json.loads(text)} <= published


def test_the_api_never_returns_a_hidden_record_whatever_the_parameters(client: Client, world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.GOVTRUST_OPENDATA_ANON_PER_MINUTE = 10_000
    markers = hidden_markers(world)
    published = {r.number for r in world.published}
    for params in probes(world):
        response = client.get("/api/opendata/records", params)
        assert response.status_code in (200, 400, 422), (params, response.status_code)
        text = content(response)
        assert_clean(text, markers, f"api {params}")
        if response.status_code == 200:
            data = response.json()
            assert data["count"] <= len(published)
            assert {r["number"] for r in data["results"]} <= published


def test_no_public_response_carries_a_civil_servants_or_persons_name(client: Client, world: World) -> None:
    """The records about people are hidden; their names must not surface through any other public page either."""
    names = [world.cast.servant.name, world.cast.person.name]
    for path in (
        "/",
        "/records/",
        "/statistics/",
        f"/bodies/{world.cast.xw_edu.uscc}/",
        f"/records/{world.penalty.number}/",
    ):
        assert_clean(content(client.get(path)), names, path)
