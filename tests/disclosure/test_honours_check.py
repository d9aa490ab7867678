"""The honours check (评优评先): a body by its records and measures in force, a civil servant by ID, audited."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from registry.builders import make_id, make_user

from govtrust.core.models import AccessLog
from govtrust.disclosure import queries
from govtrust.disclosure import services_queries as services
from govtrust.disclosure.models import PersonalQueryLog
from govtrust.records import services as record_services
from govtrust.sanctions import services as sanction_services
from govtrust.sanctions.models import SanctionCase

from .conftest import World, record_kwargs, role


def recent() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=20)


def test_the_verdict_is_pure_and_explains_itself() -> None:
    clean = queries.honours_verdict(records=[], measures=[], barred=False)
    assert clean.eligible and "无有效期内的失信记录" in clean.reasons[0] and "国发〔2016〕76号" in clean.basis
    commendation = {"number": "X1", "class_label": "表彰", "document_number": "D", "dishonesty": False}
    assert queries.honours_verdict(records=[commendation], measures=[], barred=False).eligible
    penalty = {**commendation, "dishonesty": True, "class_label": "行政处罚"}
    verdict = queries.honours_verdict(records=[penalty], measures=[], barred=False)
    assert not verdict.eligible and "行政处罚" in verdict.reasons[0]
    assert not queries.honours_verdict(records=[], measures=[], barred=True).eligible
    review = queries.honours_verdict(
        records=[], measures=[], barred=False, list_hits=[{"decision": "review", "list": "SXBZXR"}]
    )
    assert not review.eligible and "人工复核" in review.reasons[0]


@pytest.mark.django_db
def test_a_body_with_a_confirmed_honours_bar_may_not_be_honoured(
    world: World, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    cast = world.cast
    assert services.honours_check_agency(actor=world.hr, agency=cast.xw_edu).eligible
    with django_capture_on_commit_callbacks(execute=True):
        record = record_services.record_create(
            actor=cast.prov_user, **record_kwargs(cast, document_number="宁罚〔2026〕8号", decision_date=recent())
        )
    case = SanctionCase.objects.get(record=record)
    sanction_services.measure_decide(
        actor=cast.city_user, measure=case.measures.get(code="honours_ineligible"), decision="confirm", reason="属实"
    )
    verdict = services.honours_check_agency(actor=world.hr, agency=cast.xw_edu)
    assert not verdict.eligible
    assert any("取消参加各类荣誉评选资格" in r for r in verdict.reasons)
    assert any(record.number in r for r in verdict.reasons)
    assert [m["code"] for m in verdict.measures] == ["honours_ineligible"]


@pytest.mark.django_db
def test_the_body_check_follows_the_grant_and_the_scope(world: World, client) -> None:  # type: ignore[no-untyped-def]
    cast = world.cast
    with pytest.raises(PermissionDenied):
        services.honours_check_agency(actor=cast.xw_user, agency=cast.xw_edu)  # recorded body: no grant
    with pytest.raises(PermissionDenied):
        services.honours_check_agency(actor=world.hr, agency=cast.sz_finance)  # outside the district
    client.force_login(world.hr)
    assert client.get("/console/honours/", {"uscc": cast.sz_finance.uscc}).status_code == 404
    response = client.get("/console/honours/", {"uscc": cast.xw_edu.uscc})
    assert response.status_code == 200 and "可以参加评优评先" in response.content.decode()
    api = client.get(f"/api/credit-queries/honours/agency/{cast.xw_edu.uscc}")
    assert api.status_code == 200 and api.json()["eligible"] is True
    assert client.get(f"/api/credit-queries/honours/agency/{cast.sz_finance.uscc}").status_code == 404
    client.force_login(cast.xw_user)
    assert client.get("/console/honours/").status_code == 403
    assert client.get(f"/api/credit-queries/honours/agency/{cast.xw_edu.uscc}").status_code == 403
    client.logout()
    assert client.get(f"/api/credit-queries/honours/agency/{cast.xw_edu.uscc}").status_code == 401


@pytest.mark.django_db
def test_a_civil_servant_check_is_purpose_bound_audited_and_shown_to_him(world: World, client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as missing:
        services.honours_check_civil_servant(actor=world.hr, name="张三丰", id_number=make_id(1), authorisation_ref="")
    assert "authorisation_ref" in missing.value.message_dict
    servant, verdict = services.honours_check_civil_servant(
        actor=world.hr, name="张三丰", id_number=make_id(1), authorisation_ref="PY-2026-1"
    )
    assert servant == world.cast.servant and not verdict.eligible
    assert any(world.record.number in r for r in verdict.reasons)
    access = AccessLog.objects.get(detail__kind="honours_check")
    assert "评优评先" in access.purpose and "PY-2026-1" in access.purpose
    log = PersonalQueryLog.objects.get()
    assert (log.kind, log.purpose, log.authorisation_ref) == ("honours_check", "honours", "PY-2026-1")
    client.force_login(world.servant_user)
    assert "评优评先资格核查" in client.get("/console/my-queries/").content.decode()


@pytest.mark.django_db
def test_a_civil_servant_outside_the_scope_or_with_another_name_is_refused(world: World) -> None:
    cast = world.cast
    sz_hr = make_user("szhr", cast.sz_finance, role("hr_department"))
    with pytest.raises(ValidationError):
        services.honours_check_civil_servant(actor=sz_hr, name="张三丰", id_number=make_id(1), authorisation_ref="A")
    with pytest.raises(ValidationError) as wrong:
        services.honours_check_civil_servant(actor=world.hr, name="张三", id_number=make_id(1), authorisation_ref="A")
    assert "name" in wrong.value.message_dict
    with pytest.raises(PermissionDenied):
        services.honours_check_civil_servant(
            actor=cast.xw_user, name="张三丰", id_number=make_id(1), authorisation_ref="A"
        )
    assert not PersonalQueryLog.objects.exists()


@pytest.mark.django_db
def test_the_civil_servant_api_needs_the_authorisation(world: World, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world.hr)
    url = "/api/credit-queries/honours/civil-servant"
    body = {"name": "张三丰", "id_number": make_id(1), "authorisation_ref": ""}
    assert client.post(url, body, content_type="application/json").status_code == 422
    body["authorisation_ref"] = "PY-1"
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 200 and response.json()["eligible"] is False
    assert make_id(1) not in response.content.decode()
