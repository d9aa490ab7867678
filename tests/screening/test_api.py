"""The screening API: single and batch checks, exclusions, and every screening on record."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from django.db import connection

from govtrust.accounts.models import OperationLog
from govtrust.accounts.services import api_client_create, api_token_issue
from govtrust.core.models import ObjectChange
from govtrust.screening.models import Screening, WatchlistEntry
from govtrust.screening.services import screening_override

from .helpers import make_id, make_uscc, run, write_csv

SYSTEM = SimpleNamespace(username="test-setup", is_authenticated=False)
HEADER = ["name", "uscc", "id_number", "region", "reason", "listed_on", "delisted_on"]


@pytest.fixture
def token(tmp_path):  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "l.csv", HEADER, [
        ["南京华夏建设工程有限公司", make_uscc(1), "", "南京", "", "", ""],
        ["李四", "", make_id(2), "", "", "", ""],
    ])  # fmt: skip
    assert run("watchlist", "import", str(path), "--list", "SXBZXR")[0] == 0
    client = api_client_create(actor=SYSTEM, name="某招标投标交易平台", agency=None, scopes=["screening.query"],
                               rate_limit_per_minute=1000)  # fmt: skip
    return api_token_issue(actor=SYSTEM, client=client)[0]


def post(client, url, token, body):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.django_db
def test_a_platform_checks_one_bidder_and_the_check_is_stored(client, token):
    response = post(client, "/api/screening/check", token, {"ref": "b1", "uscc": make_uscc(1)})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["decision"] == "intercept" and body["ref"] == "b1"
    assert body["hits"][0]["explanation"]["identifier"]["detail"] == "统一社会信用代码一致"
    assert body["rules_version"] and body["list_versions"]["SXBZXR"] == 1
    stored = Screening.objects.get()
    assert (stored.platform, stored.decision, stored.request_id) == (
        "某招标投标交易平台",
        "intercept",
        body["request_id"],
    )
    assert ObjectChange.objects.filter(object_type="screening.request", object_id=body["request_id"]).exists()


@pytest.mark.django_db
def test_a_batch_screens_each_subject_with_its_own_exclusions_and_never_stores_a_clear_id(client, token):
    entry = WatchlistEntry.objects.get(name="南京华夏建设工程有限公司").pk
    number = make_id(2)
    response = post(client, "/api/screening/batch", token, {"subjects": [
        {"ref": "1", "name": "南京華夏建設工程有限責任公司"},
        {"ref": "2", "name": "南京華夏建設工程有限責任公司", "exclude": [entry]},
        {"ref": "3", "name": "李四", "id_number": number},
        {"ref": "4", "name": "李四"},
    ]})  # fmt: skip
    assert response.status_code == 200, response.content
    assert [r["decision"] for r in response.json()["results"]] == ["review", "pass", "intercept", "pass"]
    assert Screening.objects.count() == 4
    person = Screening.objects.get(ref="3")
    assert person.subject_id_masked == number[:6] + "*" * 8 + number[-4:]
    assert number not in json.dumps(list(Screening.objects.values()), default=str)


@pytest.mark.django_db
def test_a_batch_split_over_two_processes_answers_exactly_as_one_process(client, token, settings):
    entry = WatchlistEntry.objects.get(name="南京华夏建设工程有限公司").pk
    subjects = [
        {"ref": "1", "name": "南京華夏建設工程有限責任公司"},
        {"ref": "2", "name": "南京华夏建设工程有限公司", "exclude": [entry]},
        {"ref": "3", "name": "李四", "id_number": make_id(2)},
        {"ref": "4", "uscc": make_uscc(1)},
        {"ref": "5", "name": "苏州华夏建设工程有限公司分公司"},
    ] * 3

    def answer() -> list[dict]:  # type: ignore[type-arg]
        response = post(client, "/api/screening/batch", token, {"subjects": subjects})
        assert response.status_code == 200, response.content
        return response.json()["results"]

    settings.GOVTRUST_SCREENING_PARALLEL_MIN = 0
    one_process = answer()
    settings.GOVTRUST_SCREENING_PARALLEL_MIN = 2
    assert answer() == one_process
    assert [r["decision"] for r in one_process[:5]] == ["review", "pass", "intercept", "intercept", "pass"]


@pytest.mark.django_db
def test_bad_requests_are_refused(client, token):
    assert post(client, "/api/screening/check", "gt_wrong", {"name": "x"}).status_code == 401
    too_many = {"subjects": [{"name": "x"}] * 10_001}
    assert post(client, "/api/screening/batch", token, too_many).status_code == 422
    assert post(client, "/api/screening/check", token, {"name": "x" * 201}).status_code == 422
    hostile = post(client, "/api/screening/check", token, {"name": "<script>alert(1)</script>", "uscc": "'; DROP--"})
    assert hostile.status_code == 200 and hostile.json()["decision"] == "pass"


@pytest.mark.django_db
def test_a_reviewer_overrides_a_review_with_a_reason_kept_beside_the_original(client, token):
    post(client, "/api/screening/check", token, {"ref": "1", "name": "南京华夏建设工程有限公司"})
    screening = Screening.objects.get()
    assert screening.decision == "review"
    with pytest.raises(Exception, match="复核理由"):
        screening_override(actor=SYSTEM, screening=screening, decision="pass", reason="")
    screening_override(actor=SYSTEM, screening=screening, decision="pass", reason="统一社会信用代码不同，非同一主体")
    screening.refresh_from_db()
    assert (screening.decision, screening.final_decision, screening.overridden_by) == ("review", "pass", "test-setup")


@pytest.mark.django_db
def test_an_answer_says_where_the_server_time_went(client, token):  # type: ignore[no-untyped-def]
    response = client.post(
        "/api/screening/check",
        data={"ref": "x", "name": "南京某某有限公司"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200
    timing = response["Server-Timing"]
    assert timing.startswith("match;dur=") and ", record;dur=" in timing


@pytest.mark.django_db
def test_a_call_has_one_operation_log_row_written_with_its_screening(client, token):  # type: ignore[no-untyped-def]
    body = post(client, "/api/screening/check", token, {"ref": "b1", "uscc": make_uscc(1)}).json()
    entry = OperationLog.objects.get()  # written in the screening's transaction: the middleware adds none
    stored = Screening.objects.get(request_id=body["request_id"])
    assert (entry.business_type, entry.method, entry.status_code, entry.success) == (
        "api.check",
        "POST",
        200,
        True,
    )
    assert (entry.user_pk, entry.user_name, entry.api_client_pk) == (
        None,
        "api:某招标投标交易平台",
        stored.api_client_pk,
    )


REFUSE_SCREENINGS = {
    "sqlite": [
        "CREATE TRIGGER refuse_screening BEFORE INSERT ON screening_screening "
        "BEGIN SELECT RAISE(ABORT, 'disk refused'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_screening() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk refused'; END $$ "
        "LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_screening BEFORE INSERT ON screening_screening "
        "FOR EACH ROW EXECUTE FUNCTION refuse_screening()",
    ],
}


@pytest.mark.django_db
def test_a_call_whose_screening_cannot_be_stored_is_still_logged_with_its_error(client, token):  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:  # the database itself refuses the screening row
        for statement in REFUSE_SCREENINGS[connection.vendor]:
            cursor.execute(statement)
    client.raise_request_exception = False
    response = post(client, "/api/screening/check", token, {"ref": "b1", "uscc": make_uscc(1)})
    assert response.status_code == 500
    assert not Screening.objects.exists()
    assert not ObjectChange.objects.filter(object_type="screening.request").exists()
    entry = OperationLog.objects.get()  # the screening's transaction rolled back; the middleware logged the call
    assert (entry.business_type, entry.status_code, entry.success) == ("api.check", 500, False)
