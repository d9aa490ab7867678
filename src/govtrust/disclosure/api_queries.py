"""Staff API (session login) for personnel credit queries and the honours check, and the public verification
answer. Mounted at /api/credit-queries/ (OpenAPI at /api/docs)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from govtrust.core.validators import normalise_code
from govtrust.disclosure import queries, reports
from govtrust.disclosure import services_queries as services
from govtrust.disclosure.models import PersonnelQuery
from govtrust.registry.models import Agency

router = Router(tags=["credit-queries"])


class CandidateIn(Schema):
    name: str = Field(max_length=100)
    id_number: str = Field(max_length=30)
    purpose: str = Field(max_length=20, description="公务员录用 / 调任 / 评优评先 / 提拔任用 / 交流轮岗 (or the code)")
    authorisation_ref: str = Field(max_length=200, description="被查询人书面授权书编号")


class PersonnelQueryIn(Schema):
    candidates: list[CandidateIn] = Field(min_length=1, max_length=queries.BATCH_MAX_ROWS)


class HonoursPersonIn(Schema):
    name: str = Field(max_length=100)
    id_number: str = Field(max_length=30)
    authorisation_ref: str = Field(max_length=200)


def _verdict(verdict: queries.HonoursVerdict) -> dict[str, Any]:
    return {
        "eligible": verdict.eligible,
        "reasons": verdict.reasons,
        "records": verdict.records,
        "measures": verdict.measures,
        "list_hits": verdict.list_hits,
        "incentives": verdict.incentives,
        "basis": verdict.basis,
    }


@router.post("/personnel", auth=django_auth, summary="人员信用查询（≤1000人）")
def personnel_query(request: HttpRequest, payload: PersonnelQueryIn) -> dict[str, Any]:
    if not services.has_grant(request.user, services.RUN):
        raise HttpError(403, _("您没有此项权限"))
    good: list[queries.Candidate] = []
    bad: list[queries.RowProblem] = []
    for row, c in enumerate(payload.candidates, start=1):
        candidate, problems = queries.check_candidate(row, **c.dict())
        bad.extend(problems)
        if candidate is not None:
            good.append(candidate)
    if not good:
        return {"number": None, "results": [], "bad_rows": [p.__dict__ for p in bad]}
    query = services.personnel_query_run(
        actor=request.user, candidates=good, channel=PersonnelQuery.Channel.API, bad_rows=bad
    )
    return {
        "number": query.number,
        "results": [
            {
                "row": r.row,
                "name": r.name,
                "id_number_masked": r.id_number_masked,
                "purpose": r.purpose,
                "verdict": r.verdict,
                "verdict_label": queries.Verdict.label(r.verdict),
                "records": r.records,
                "list_hits": r.list_hits,
            }
            for r in query.results.all()
        ],
        "bad_rows": [p.__dict__ for p in bad],
    }


@router.get("/honours/agency/{uscc}", auth=django_auth, summary="政府部门评优评先资格核查")
def honours_agency(request: HttpRequest, uscc: str) -> dict[str, Any]:
    if not services.has_grant(request.user, services.HONOURS):
        raise HttpError(403, _("您没有此项权限"))
    agency = Agency.objects.visible_to(request.user, services.HONOURS).filter(uscc=normalise_code(uscc)).first()
    if agency is None:
        raise HttpError(404, _("您的数据权限范围内没有此统一社会信用代码的政府部门"))
    return {
        "uscc": agency.uscc,
        "name": agency.name,
        **_verdict(services.honours_check_agency(actor=request.user, agency=agency)),
    }


@router.post("/honours/civil-servant", auth=django_auth, summary="公务员评优评先资格核查（须授权书编号，留痕）")
def honours_civil_servant(request: HttpRequest, payload: HonoursPersonIn) -> dict[str, Any]:
    try:
        servant, verdict = services.honours_check_civil_servant(actor=request.user, **payload.dict())
    except PermissionDenied as exc:
        raise HttpError(403, _("您没有此项权限")) from exc
    except ValidationError as exc:
        raise HttpError(422, "；".join(m for ms in exc.message_dict.values() for m in ms)) from exc
    return {
        "name": servant.name,
        "id_number_masked": servant.id_number_masked,
        "agency": servant.agency.name,
        **_verdict(verdict),
    }


@router.get("/reports/{number}/verify", auth=None, summary="按编号核验信用报告（公开）")
def report_verify(request: HttpRequest, number: str) -> dict[str, Any]:
    result = reports.verify_number(number)
    report = result.report
    return {
        "status": result.status,
        "label": result.label,
        "number": report.number if report else None,
        "title": report.title if report else None,
        "subject": report.subject_display if report else None,
        "issued_at": report.issued_at.isoformat() if report else None,
        "valid_until": report.valid_until.isoformat() if report else None,
        "digest_sm3": report.digest_sm3 if report else None,
        "public_key_fingerprint": report.public_key_fingerprint if report else None,
    }
