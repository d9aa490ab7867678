"""Open data: CSV (UTF-8 BOM) and JSON downloads, and the paginated API with ETag / If-None-Match and rate limits."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from registry.builders import SYSTEM

from govtrust.accounts.services import api_client_create, api_token_issue

from .portal_world import ID_NUMBER, LEGAL_REP, World, make, recent
from .portal_world import cast as cast  # noqa: F401
from .portal_world import world as world  # noqa: F401

pytestmark = pytest.mark.django_db
API = "/api/opendata/records"


def body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content) if response.streaming else response.content


def numbers(data: dict) -> set[str]:  # type: ignore[type-arg]
    return {r["number"] for r in data["results"]}


def test_the_csv_download_is_utf8_with_a_bom_and_masks_people(client: Client, world: World) -> None:
    response = client.get("/opendata/records.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "记录编号"
    assert {r[0] for r in rows[1:]} == {r.number for r in world.published}
    text = raw.decode("utf-8")
    assert LEGAL_REP not in text and ID_NUMBER not in text


def test_a_csv_cell_that_looks_like_a_formula_is_neutralised(client: Client, world: World) -> None:
    make(world.cast, "F1", content='=HYPERLINK("http://evil")')
    text = body(client.get("/opendata/records.csv")).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert not any(cell.startswith("=") for row in csv.reader(io.StringIO(text)) for cell in row)


def test_the_json_download_is_a_valid_array_of_published_records(client: Client, world: World) -> None:
    response = client.get("/opendata/records.json", {"region": "320100"})
    data = json.loads(body(response))
    assert {r["number"] for r in data} == {world.penalty.number, world.lawsuit.number, world.corrected.number}
    assert all(set(r) >= {"number", "body_uscc", "document_number", "under_objection"} for r in data)


def test_downloads_are_rate_limited_per_address(client: Client, world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.GOVTRUST_OPENDATA_DOWNLOADS_PER_HOUR = 2
    assert client.get("/opendata/records.csv").status_code == 200
    assert client.get("/opendata/records.json").status_code == 200
    response = client.get("/opendata/records.csv")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0


def test_the_api_pages_and_answers_304_to_a_matching_etag(client: Client, world: World) -> None:
    for n in range(5):
        make(world.cast, f"E{n}", decision_date=recent(60 + n))
    response = client.get(API, {"page_size": 3})
    assert response.status_code == 200
    data = response.json()
    assert (data["count"], data["pages"], len(data["results"])) == (9, 3, 3)
    etag = response["ETag"]
    assert etag.startswith('"')
    again = client.get(API, {"page_size": 3}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    other_page = client.get(API, {"page_size": 3, "page": 2}, HTTP_IF_NONE_MATCH=etag)
    assert other_page.status_code == 200 and numbers(other_page.json()).isdisjoint(numbers(data))
    # A change to the data changes the tag.
    make(world.cast, "E9", decision_date=recent(1))
    assert client.get(API, {"page_size": 3}, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_api_filters_narrow_the_published_records(client: Client, world: World) -> None:
    def found(**params: str) -> set[str]:
        response = client.get(API, params)
        assert response.status_code == 200, response.content
        return numbers(response.json())

    assert found(region="320500") == {world.defaulter.number}
    assert found(record_class="judgment") == {world.lawsuit.number}
    assert found(sub_type="admin_lawsuit_lost") == {world.lawsuit.number}
    assert found(uscc=world.cast.xw_gov.uscc) == {world.lawsuit.number}
    assert found(date_from=recent(41).isoformat(), date_to=recent(39).isoformat()) == {
        r.number for r in world.published
    }
    assert found(date_from=recent(10).isoformat()) == set()
    assert found(ordering="number", page_size="1") == {min(r.number for r in world.published)}


def test_api_rejects_malformed_parameters(client: Client, world: World) -> None:
    assert client.get(API, {"date_from": "yesterday"}).status_code == 422
    assert client.get(API, {"page_size": "1000"}).status_code == 422
    assert client.get(API, {"page": "0"}).status_code == 422
    assert client.get(API, {"ordering": "subject_kind"}).status_code == 400
    assert client.get(API, {"record_class": "commendation"}).status_code == 400
    response = client.get(API, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert response.status_code == 400 and "不能晚于" in response.json()["detail"]


def test_anonymous_api_calls_are_limited_per_address(client: Client, world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.GOVTRUST_OPENDATA_ANON_PER_MINUTE = 2
    assert client.get(API).status_code == 200
    assert client.get(API).status_code == 200
    response = client.get(API)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert client.get(API, REMOTE_ADDR="10.1.2.3").status_code == 200


def test_a_client_token_uses_its_own_quota_and_scope(client: Client, world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.GOVTRUST_OPENDATA_ANON_PER_MINUTE = 1
    reader = api_client_create(actor=SYSTEM, name="媒体数据中心", scopes=["opendata.read"], rate_limit_per_minute=100)
    token, _row = api_token_issue(actor=SYSTEM, client=reader)
    for _n in range(3):
        assert client.get(API, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    other = api_client_create(actor=SYSTEM, name="比对系统", scopes=["screening.query"])
    wrong_scope, _row = api_token_issue(actor=SYSTEM, client=other)
    assert client.get(API, HTTP_AUTHORIZATION=f"Bearer {wrong_scope}").status_code == 403
    # A wrong token is refused, not treated as an anonymous call.
    assert client.get(API, HTTP_AUTHORIZATION="Bearer gt_nothere1_secret").status_code == 401


def test_the_api_is_in_the_openapi_document(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/opendata/records"]["get"]
    params = {p["name"] for p in operation["parameters"]}
    assert {"region", "record_class", "date_from", "date_to", "uscc", "page", "page_size"} <= params
    assert client.get("/api/docs").status_code == 200
