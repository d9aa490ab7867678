"""Push API: POST /api/records/push with an API token of scope records.ingest, one machinery with uploads."""

from __future__ import annotations

import json

import pytest
from registry.builders import SYSTEM, make_uscc

from govtrust.accounts.services import api_client_create, api_token_issue
from govtrust.core.models import ImportBatch
from govtrust.records.api import PUSH_MAX_ROWS
from govtrust.records.models import CreditRecord

from .formats_helpers import legal_row

AUTH = make_uscc(501, area="320100")
URL = "/api/records/push"


def token_for(agency, scopes=("records.ingest",), name="供应方系统"):  # type: ignore[no-untyped-def]
    client = api_client_create(actor=SYSTEM, name=name, agency=agency, scopes=list(scopes), rate_limit_per_minute=1000)
    token, _t = api_token_issue(actor=SYSTEM, client=client)
    return token


def push(client, token, body):  # type: ignore[no-untyped-def]
    return client.post(URL, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def rows(cast, n=1):  # type: ignore[no-untyped-def]
    return [
        legal_row(cast.xw_edu.name, cast.xw_edu.uscc, AUTH, 行政处罚决定书文号=f"宁罚〔2025〕{i}号")
        for i in range(1, n + 1)
    ]


@pytest.mark.django_db
def test_a_supplier_system_pushes_rows_and_gets_the_batch_with_every_bad_cell(cast, client):
    token = token_for(cast.nj_credit)
    body = {
        "kind": "records.penalty_legal_person",
        "rows": [*rows(cast, 2), {**rows(cast)[0], "处罚决定日期": "2025-02-30", "行政处罚决定书文号": "x"}],
    }
    response = push(client, token, body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["status"], data["published"], data["duplicate"]) == ("published", 2, False)
    assert data["rejected"] == [{"row": 3, "column": "处罚决定日期", "value": "2025-02-30", "reason": "日期不存在"}]
    batch = ImportBatch.objects.get(number=data["batch"])
    assert (batch.supplier_code, batch.format, batch.created_by_name) == (
        cast.nj_credit.uscc,
        "jsonl",
        "api:供应方系统",
    )
    assert set(CreditRecord.objects.values_list("source", "supplier")) == {("api", cast.nj_credit.pk)}


@pytest.mark.django_db
def test_the_same_payload_twice_is_recognised_and_changes_nothing(cast, client):
    token = token_for(cast.nj_credit)
    body = {"kind": "records.penalty_legal_person", "rows": rows(cast, 2)}
    first = push(client, token, body).json()
    second = push(client, token, body)
    assert second.status_code == 200
    assert second.json() | {"duplicate": False} == first and second.json()["duplicate"] is True
    assert CreditRecord.objects.count() == 2 and ImportBatch.objects.count() == 1


@pytest.mark.django_db
def test_keys_of_the_column_codes_are_accepted_too(cast, client):
    token = token_for(cast.nj_credit)
    row = {
        "uscc": cast.xw_edu.uscc, "CF_XDR_MC": cast.xw_edu.name, "subject_category": "02",
        "CF_WSH": "宁罚〔2025〕9号", "CF_WFXW": "违规", "CF_SY": "事实", "CF_YJ": "依据", "CF_CFLB": "警告",
        "CF_NR": "警告", "CF_JDRQ": "2025-06-02", "CF_YXQ": "2026-06-02", "CF_CFJG": "南京市市场监督管理局",
        "CF_CFJGDM": AUTH, "CF_SJLY": "南京市市场监督管理局", "CF_SJLYDM": AUTH, "CF_NR_FK": 0.5,
    }  # fmt: skip
    data = push(client, token, {"kind": "records.penalty_legal_person", "rows": [row]}).json()
    assert data["published"] == 1 and CreditRecord.objects.get().severity == "minor"


@pytest.mark.django_db
def test_a_strict_push_with_a_bad_row_stores_nothing(cast, client):
    token = token_for(cast.nj_credit)
    body = {
        "kind": "records.penalty_legal_person",
        "rows": [*rows(cast), {"行政相对人名称": "<script>alert(1)</script>"}],
        "strict": True,
    }
    data = push(client, token, body).json()
    assert (data["status"], data["published"]) == ("rejected", 0) and data["rejected"]
    assert not CreditRecord.objects.exists()


@pytest.mark.django_db
def test_no_token_a_wrong_scope_or_a_client_without_a_body_is_refused(cast, client):
    body = {"kind": "records.penalty_legal_person", "rows": rows(cast)}
    assert client.post(URL, json.dumps(body), content_type="application/json").status_code == 401
    assert push(client, "gt_12345678_nonsense", body).status_code == 401
    assert push(client, token_for(cast.nj_credit, scopes=("registry.read",), name="只读"), body).status_code == 403
    response = push(client, token_for(None, name="无单位"), body)
    assert response.status_code == 403 and "未关联报送单位" in response.json()["detail"]
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_too_many_rows_are_refused_with_413_and_other_kinds_with_400(cast, client):
    token = token_for(cast.nj_credit)
    many = push(client, token, {"kind": "records.penalty_legal_person", "rows": [{"a": "1"}] * (PUSH_MAX_ROWS + 1)})
    assert many.status_code == 413 and "至多" in many.json()["detail"]
    assert push(client, token, {"kind": "registry.agencies", "rows": [{"a": "1"}]}).status_code == 400
    assert push(client, token, {"kind": "records.nothing", "rows": [{"a": "1"}]}).status_code == 400
    assert push(client, token, {"kind": "records.penalty_legal_person", "rows": []}).status_code == 400
    assert push(client, token, {"kind": "records.penalty_legal_person", "rows": "x"}).status_code == 422
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_the_push_api_is_documented_in_openapi(client):
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/records/push"]["post"]
    assert {"200", "403", "413"} <= set(operation["responses"])
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("PushIn") and "PushOut" in schema["components"]["schemas"]
    assert "records.penalty_legal_person" in json.dumps(schema["components"]["schemas"]["PushIn"], ensure_ascii=False)
