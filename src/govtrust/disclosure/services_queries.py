"""Services for personnel credit queries, the honours check, credit reports and subjects' own query record.

Every read of a natural person's data writes one AccessLog row (`core.audit.log_access`) with its purpose, and
one `PersonalQueryLog` row the person concerned can see. Every write logs an ObjectChange.

Permissions (accounts.permissions.ACTIONS):
- `personnel_query.run`: query candidates by ID number for a purpose on the fixed list, with the reference of the
  candidate's written authorisation; issue personal reports from the results. Candidates need not be in the
  user's data scope (recruitment looks at outsiders): the purpose and the authorisation bound the query.
- `honours.check`: the honours check for a body in the user's scope, or for a civil servant of such a body.
- `records.view` (scope): credit reports about a body or an enterprise in the user's scope.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from govtrust.accounts.models import SubjectAccount
from govtrust.accounts.services import subject_account_link  # noqa: F401  (re-exported: its old home)
from govtrust.core.audit import log_access, log_change, model_snapshot
from govtrust.core.crypto import keyed_hash, sm4_decrypt, sm4_encrypt
from govtrust.core.masking import mask_name
from govtrust.core.periods import add_days
from govtrust.disclosure import queries
from govtrust.disclosure.models import (
    CreditReport,
    PersonalQueryLog,
    PersonnelQuery,
    PersonnelQueryResult,
    QueryPurpose,
    ReportKind,
)
from govtrust.disclosure.queries import Candidate, Findings, HonoursVerdict, RowProblem
from govtrust.disclosure.reports import (
    TITLES,
    ReportContent,
    ReportSection,
    new_report_number,
    render_pdf,
    sign_pdf,
    verify_url,
)
from govtrust.registry.models import Agency, CivilServant, Enterprise, Person
from govtrust.registry.permissions import has_grant

RUN = "personnel_query.run"
HONOURS = "honours.check"
RECORDS_VIEW = "records.view"
USER_MANAGE = "user.manage"


def _require(actor: Any, action: str) -> None:
    if not has_grant(actor, action):
        raise PermissionDenied(_("您没有此项权限"))


def _actor_name(actor: Any) -> str:
    return str(actor) if actor is not None else "system"


def _new_query_number() -> str:
    return f"RYCX{timezone.localtime():%Y%m%d%H%M%S}{uuid.uuid4().hex[:6].upper()}"


def _purpose_text(candidate: Candidate) -> str:
    return _("人员信用查询：%(purpose)s（授权书编号：%(ref)s）") % {
        "purpose": queries.purpose_label(candidate.purpose),
        "ref": candidate.authorisation_ref,
    }


def _log_personal_read(
    *,
    actor: Any,
    candidate: Candidate,
    findings: Findings,
    kind: str,
    reference: str,
    purpose_text: str,
) -> None:
    """The two logs of one read of a person's data: the security AccessLog and the subject-visible record."""
    civil_servant_pk = findings.civil_servant_pks[0] if findings.civil_servant_pks else None
    subject_type = "civil_servant" if civil_servant_pk else ("person" if findings.person_pk else "candidate")
    log_access(
        actor=actor,
        subject_type=subject_type,
        subject_id=str(civil_servant_pk or findings.person_pk or ""),
        subject_repr=f"{candidate.name} {candidate.id_number_masked}",
        purpose=purpose_text,
        detail={
            "kind": kind,
            "reference": reference,
            "row": candidate.row,
            "purpose": candidate.purpose,
            "authorisation_ref": candidate.authorisation_ref,
        },
    )
    agency = getattr(actor, "agency", None)
    PersonalQueryLog.objects.create(
        subject_id_hash=keyed_hash(candidate.id_number),
        subject_name=candidate.name,
        civil_servant_id=civil_servant_pk,
        person_id=findings.person_pk,
        kind=kind,
        agency=agency,
        agency_name=agency.name if agency else "",
        user_pk=getattr(actor, "pk", None),
        user_name=_actor_name(actor),
        purpose=candidate.purpose,
        authorisation_ref=candidate.authorisation_ref,
        reference=reference,
    )


# --- personnel queries (item 3) -------------------------------------------------------------------


def personnel_query_run(
    *,
    actor: Any,
    candidates: Sequence[Candidate],
    channel: str = PersonnelQuery.Channel.SINGLE,
    file_name: str = "",
    bad_rows: Sequence[RowProblem] = (),
) -> PersonnelQuery:
    """Query each candidate (already checked by `queries.check_candidate`); store and log the results."""
    _require(actor, RUN)
    if not candidates:
        raise ValidationError(_("没有可查询的候选人"))
    if len(candidates) > queries.BATCH_MAX_ROWS:
        raise ValidationError(_("一次最多查询%(max)d人") % {"max": queries.BATCH_MAX_ROWS})
    for c in candidates:
        if not c.authorisation_ref.strip() or c.purpose not in QueryPurpose.values:
            raise ValidationError(_("每位候选人都须有规定用途和书面授权书编号"))
    findings = queries.findings_for(candidates)
    agency = getattr(actor, "agency", None)
    with transaction.atomic():
        query = PersonnelQuery.objects.create(
            number=_new_query_number(),
            user=actor if getattr(actor, "pk", None) else None,
            user_name=_actor_name(actor),
            agency=agency,
            agency_name=agency.name if agency else "",
            channel=channel,
            file_name=file_name[:200],
            candidate_count=len(candidates),
            flagged_count=sum(1 for f in findings if f.verdict != queries.Verdict.CLEAR),
            bad_rows=[{"row": p.row, "field": p.field, "message": p.message} for p in bad_rows],
        )
        PersonnelQueryResult.objects.bulk_create(
            [
                PersonnelQueryResult(
                    query=query,
                    row=c.row,
                    name=c.name,
                    id_number_masked=c.id_number_masked,
                    id_number_hash=keyed_hash(c.id_number),
                    id_number_encrypted=sm4_encrypt(c.id_number),
                    purpose=c.purpose,
                    authorisation_ref=c.authorisation_ref,
                    civil_servant_id=f.civil_servant_pks[0] if f.civil_servant_pks else None,
                    person_id=f.person_pk,
                    verdict=f.verdict,
                    records=f.records,
                    list_hits=f.list_hits,
                )
                for c, f in zip(candidates, findings, strict=True)
            ]
        )
        for c, f in zip(candidates, findings, strict=True):
            _log_personal_read(
                actor=actor,
                candidate=c,
                findings=f,
                kind=PersonalQueryLog.Kind.PERSONNEL_QUERY,
                reference=query.number,
                purpose_text=_purpose_text(c),
            )
        log_change(actor=actor, action="create", obj=query, after=model_snapshot(query))
    return query


def personnel_queries_of(user: Any) -> QuerySet[PersonnelQuery]:
    """The queries a user may reopen: their own only (results hold personal data for one purpose)."""
    if not has_grant(user, RUN):
        return PersonnelQuery.objects.none()
    return PersonnelQuery.objects.filter(user=user)


def personnel_results_read(*, actor: Any, query: PersonnelQuery, purpose: str) -> list[PersonnelQueryResult]:
    """Reopen (view or export) a query's results: one access-log row for the batch."""
    if query.user_id != getattr(actor, "pk", None) or not has_grant(actor, RUN):
        raise PermissionDenied(_("只能查看本人提交的查询"))
    results = list(query.results.all())
    log_access(
        actor=actor,
        subject_type="personnel_query",
        subject_id=query.number,
        subject_repr=_("人员信用查询%(n)s（%(count)d人）") % {"n": query.number, "count": len(results)},
        purpose=purpose,
    )
    return results


def result_candidate(result: PersonnelQueryResult) -> Candidate:
    return Candidate(
        row=result.row,
        name=result.name,
        id_number=sm4_decrypt(result.id_number_encrypted),
        purpose=result.purpose,
        authorisation_ref=result.authorisation_ref,
    )


# --- the honours check (item 4) --------------------------------------------------------------------


def _measure_rows(subject: Agency | CivilServant) -> list[dict[str, Any]]:
    from govtrust.sanctions.queries import measures_in_force

    return [
        {
            "code": m.code,
            "label": m.label,
            "case": m.case_number,
            "record": m.record_number,
            "since": m.since.isoformat(),
            "basis": m.basis,
        }
        for m in measures_in_force(subject)
    ]


def _incentive_rows(subject: Agency | CivilServant) -> list[dict[str, Any]]:
    from govtrust.sanctions.queries import incentives_for

    return [
        {"code": i.code, "label": i.label, "record": i.record_number, "since": i.since.isoformat()}
        for i in incentives_for(subject)
    ]


def agency_records_in_force(agency: Agency) -> list[dict[str, Any]]:
    from govtrust.records.models import CreditRecord

    rows = CreditRecord.objects.filter(agency=agency, **queries.records_in_force_q()).order_by("-decision_date")
    return [queries.record_summary(r) for r in rows]


def enterprise_records_in_force(enterprise: Enterprise) -> list[dict[str, Any]]:
    from govtrust.records.models import CreditRecord

    rows = CreditRecord.objects.filter(enterprise=enterprise, **queries.records_in_force_q()).order_by("-decision_date")
    return [queries.record_summary(r) for r in rows]


def honours_check_agency(*, actor: Any, agency: Agency) -> HonoursVerdict:
    """May this body be honoured? Reasons from its records, measures and the honours bar in force."""
    from govtrust.sanctions.queries import honours_barred

    _require(actor, HONOURS)
    if not Agency.objects.visible_to(actor, HONOURS).filter(pk=agency.pk).exists():
        raise PermissionDenied(_("超出您的数据权限范围"))
    return queries.honours_verdict(
        records=agency_records_in_force(agency),
        measures=_measure_rows(agency),
        barred=honours_barred(agency),
        incentives=_incentive_rows(agency),
    )


def honours_check_civil_servant(
    *, actor: Any, name: str, id_number: str, authorisation_ref: str
) -> tuple[CivilServant, HonoursVerdict]:
    """The honours check for a civil servant of a body in the user's scope: purpose-bound and audited."""
    _require(actor, HONOURS)
    candidate, problems = queries.check_candidate(
        1, name=name, id_number=id_number, purpose=QueryPurpose.HONOURS, authorisation_ref=authorisation_ref
    )
    if candidate is None:
        raise ValidationError({p.field: [p.message] for p in problems})
    servant = CivilServant.objects.visible_to(actor, HONOURS).with_id_number(candidate.id_number).first()
    if servant is None:
        raise ValidationError({"id_number": [_("您的数据权限范围内没有此身份证号码的公务员")]})
    if servant.name != candidate.name:
        raise ValidationError({"name": [_("姓名与登记的公务员信息不一致")]})
    findings = queries.findings_for([candidate])[0]
    with transaction.atomic():
        _log_personal_read(
            actor=actor,
            candidate=candidate,
            findings=findings,
            kind=PersonalQueryLog.Kind.HONOURS_CHECK,
            reference="",
            purpose_text=_("评优评先资格核查（授权书编号：%(ref)s）") % {"ref": candidate.authorisation_ref},
        )
    from govtrust.sanctions.queries import honours_barred

    verdict = queries.honours_verdict(
        records=findings.records,
        measures=_measure_rows(servant),
        # The honours bar is a measure against the body; a civil servant carries no sanction case of their own.
        barred=False,
        list_hits=findings.list_hits,
        incentives=_incentive_rows(servant),
    )
    if honours_barred(servant.agency):
        verdict.reasons.append(_("所在单位正在执行“取消参加各类荣誉评选资格”惩戒措施（仅供参考）"))
    return servant, verdict


# --- credit reports (item 5) -----------------------------------------------------------------------


def _valid_until(issued: datetime.datetime) -> datetime.date:
    return add_days(
        timezone.localtime(issued).date(),
        settings.GOVTRUST_REPORT_VALID_DAYS,
        roll_to_working_day=False,
        rule="GOVTRUST_REPORT_VALID_DAYS",
    ).date


def _record_section(records: Sequence[dict[str, Any]], heading: str) -> ReportSection:
    return ReportSection(
        heading=heading,
        headers=[_("记录编号"), _("类别"), _("严重程度"), _("决定书文号"), _("决定机关"), _("决定日期"), _("内容")],
        rows=[
            [
                r["number"],
                r["class_label"],
                r["severity_label"] or "—",
                r["document_number"],
                r["authority_name"],
                r["decision_date"],
                r["content"],
            ]
            for r in records
        ],
        empty=_("无有效期内的信用记录"),
        widths=[1.5, 1.2, 0.8, 1.6, 1.6, 1.1, 2.2],
    )


def _hits_section(hits: Sequence[dict[str, Any]]) -> ReportSection:
    return ReportSection(
        heading=_("严重失信主体名单比对"),
        headers=[_("名单"), _("名单内名称"), _("比对结论"), _("执行法院"), _("案号")],
        rows=[
            [
                h.get("list_name") or h.get("list", ""),
                h.get("name", ""),
                _("命中") if h.get("decision") == "intercept" else _("疑似命中，需人工复核"),
                h.get("court", ""),
                h.get("case_number", ""),
            ]
            for h in hits
        ],
        empty=_("未列入失信被执行人等严重失信主体名单"),
    )


def _store_report(
    *,
    actor: Any,
    kind: str,
    subject_pk: int,
    subject_display: str,
    content: ReportContent,
    purpose: str = "",
    authorisation_ref: str = "",
) -> tuple[CreditReport, bytes]:
    pdf = render_pdf(content)
    signed = sign_pdf(pdf)
    agency = getattr(actor, "agency", None)
    report = CreditReport.objects.create(
        number=content.number,
        kind=kind,
        title=content.title,
        subject_pk=subject_pk,
        subject_display=subject_display,
        requester=actor if getattr(actor, "pk", None) else None,
        requester_name=_actor_name(actor),
        requester_agency_name=agency.name if agency else "",
        purpose=purpose,
        authorisation_ref=authorisation_ref,
        issued_at=content.issued_at,
        valid_until=content.valid_until,
        size_bytes=len(pdf),
        digest_sm3=signed.digest_sm3,
        signature_sm2=signed.signature_sm2,
        signer_id=signed.signer_id,
        public_key=signed.public_key,
        public_key_fingerprint=signed.public_key_fingerprint,
        signature_ed25519=signed.signature_ed25519,
        ed25519_public_key=signed.ed25519_public_key,
    )
    log_change(actor=actor, action="create", obj=report, after=model_snapshot(report))
    return report, pdf


def _frame(kind: str) -> tuple[str, datetime.datetime, datetime.date, str]:
    number = new_report_number()
    issued = timezone.now()
    return number, issued, _valid_until(issued), str(TITLES[kind])


def _notes(kind: str) -> list[str]:
    notes = [
        _(
            "本报告由政务诚信平台根据出具时平台归集的信息生成，反映出具时点的情况；信用记录以有效期内、未被容错纠错认定覆盖的为限。"
        ),
        _(
            "本报告的SM3摘要已使用平台SM2密钥签名。扫描二维码或访问核验地址，上传本PDF文件即可核验其真伪；任何改动都会使核验失败。"
        ),
    ]
    if kind in (ReportKind.CIVIL_SERVANT, ReportKind.PERSON):
        notes.append(
            _("本报告含个人信息，仅限用于所载用途，依据被查询人书面授权出具；被查询人可在平台查看本次查询记录。")
        )
    return notes


def credit_report_for_agency(*, actor: Any, agency: Agency) -> tuple[CreditReport, bytes]:
    """A government body's report, for a user whose `records.view` scope covers the body."""
    from govtrust.sanctions.queries import honours_barred

    if not Agency.objects.visible_to(actor, RECORDS_VIEW).filter(pk=agency.pk).exists():
        raise PermissionDenied(_("超出您的数据权限范围"))
    number, issued, valid_until, title = _frame(ReportKind.AGENCY)
    measures = _measure_rows(agency)
    incentives = _incentive_rows(agency)
    content = ReportContent(
        number=number,
        title=title,
        subject_lines=[
            (_("单位名称"), agency.name),
            (_("统一社会信用代码"), agency.uscc),
            (_("行政区划"), agency.region.name),
            (_("机构类型"), str(agency.get_org_type_display())),
            (_("荣誉评选资格"), _("已被取消（惩戒措施执行中）") if honours_barred(agency) else _("未被取消")),
        ],
        sections=[
            _record_section(agency_records_in_force(agency), _("有效期内的信用记录")),
            ReportSection(
                heading=_("正在执行的失信惩戒措施"),
                headers=[_("措施"), _("案件编号"), _("信用记录"), _("起始日期")],
                rows=[[m["label"], m["case"], m["record"], m["since"]] for m in measures],
                empty=_("无"),
            ),
            ReportSection(
                heading=_("守信激励"),
                headers=[_("激励措施"), _("信用记录"), _("给予日期")],
                rows=[[i["label"], i["record"], i["since"]] for i in incentives],
                empty=_("无"),
            ),
        ],
        issued_at=issued,
        valid_until=valid_until,
        verify_url=verify_url(number),
        request_lines=[(_("申请单位"), getattr(getattr(actor, "agency", None), "name", "")), (_("申请人"), str(actor))],
        notes=_notes(ReportKind.AGENCY),
    )
    with transaction.atomic():
        return _store_report(
            actor=actor, kind=ReportKind.AGENCY, subject_pk=agency.pk, subject_display=agency.name, content=content
        )


def credit_report_for_enterprise(*, actor: Any, enterprise: Enterprise) -> tuple[CreditReport, bytes]:
    """An enterprise's report (for bidding), for a user whose `records.view` scope covers it; list check by USCC."""
    from govtrust.screening.services import Subject, screen_subjects

    if not Enterprise.objects.visible_to(actor, RECORDS_VIEW).filter(pk=enterprise.pk).exists():
        raise PermissionDenied(_("超出您的数据权限范围"))
    number, issued, valid_until, title = _frame(ReportKind.ENTERPRISE)
    screened = screen_subjects([Subject(ref="1", name=enterprise.name, uscc=enterprise.uscc)])[0]
    details = queries._entry_details(h.entry_key for h in screened.result.hits)
    hits = [
        {"list": h.list_code, "name": h.name, "decision": h.decision, **details.get(h.entry_key, {})}
        for h in screened.result.hits
    ]
    content = ReportContent(
        number=number,
        title=title,
        subject_lines=[
            (_("企业名称"), enterprise.name),
            (_("统一社会信用代码"), enterprise.uscc),
            (_("行政区划"), enterprise.region.name if enterprise.region else "—"),
        ],
        sections=[
            _record_section(enterprise_records_in_force(enterprise), _("有效期内的信用记录")),
            _hits_section(hits),
        ],
        issued_at=issued,
        valid_until=valid_until,
        verify_url=verify_url(number),
        request_lines=[(_("申请单位"), getattr(getattr(actor, "agency", None), "name", "")), (_("申请人"), str(actor))],
        notes=_notes(ReportKind.ENTERPRISE),
    )
    with transaction.atomic():
        return _store_report(
            actor=actor,
            kind=ReportKind.ENTERPRISE,
            subject_pk=enterprise.pk,
            subject_display=enterprise.name,
            content=content,
        )


def credit_report_for_candidate(*, actor: Any, candidate: Candidate, reference: str = "") -> tuple[CreditReport, bytes]:
    """A civil servant's or person's report, only to an authorised requester (personnel_query.run) for a purpose
    on the fixed list with the written authorisation's reference; audited and shown to the person concerned."""
    _require(actor, RUN)
    if candidate.purpose not in QueryPurpose.values or not candidate.authorisation_ref.strip():
        raise ValidationError(_("出具个人信用报告须有规定用途和被查询人书面授权书编号"))
    findings = queries.findings_for([candidate])[0]
    kind = ReportKind.CIVIL_SERVANT if findings.civil_servant_pks else ReportKind.PERSON
    number, issued, valid_until, title = _frame(kind)
    servants = list(CivilServant.objects.filter(pk__in=findings.civil_servant_pks).select_related("agency"))
    lines = [(_("姓名"), candidate.name), (_("身份证号码"), candidate.id_number_masked)]
    if servants:
        lines.append((_("所在单位"), "；".join(f"{s.agency.name} {s.position}".strip() for s in servants)))
    agency = getattr(actor, "agency", None)
    content = ReportContent(
        number=number,
        title=title,
        subject_lines=lines,
        sections=[_record_section(findings.records, _("有效期内的信用记录")), _hits_section(findings.list_hits)],
        issued_at=issued,
        valid_until=valid_until,
        verify_url=verify_url(number),
        request_lines=[
            (_("申请单位"), agency.name if agency else ""),
            (_("申请人"), str(actor)),
            (_("用途"), queries.purpose_label(candidate.purpose)),
            (_("授权书编号"), candidate.authorisation_ref),
        ],
        notes=_notes(kind),
    )
    subject_pk = servants[0].pk if servants else (findings.person_pk or 0)
    with transaction.atomic():
        report, pdf = _store_report(
            actor=actor,
            kind=kind,
            subject_pk=subject_pk,
            subject_display=f"{mask_name(candidate.name)}（{candidate.id_number_masked}）",
            content=content,
            purpose=queries.purpose_label(candidate.purpose),
            authorisation_ref=candidate.authorisation_ref,
        )
        _log_personal_read(
            actor=actor,
            candidate=candidate,
            findings=findings,
            kind=PersonalQueryLog.Kind.CREDIT_REPORT,
            reference=report.number,
            purpose_text=_("出具个人信用报告%(n)s：%(purpose)s（授权书编号：%(ref)s）")
            % {
                "n": report.number,
                "purpose": queries.purpose_label(candidate.purpose),
                "ref": candidate.authorisation_ref,
            },
        )
    return report, pdf


# --- the person concerned --------------------------------------------------------------------------


def _account_of(user: Any) -> SubjectAccount | None:
    pk = getattr(user, "pk", None)
    return SubjectAccount.objects.filter(user_id=pk).first() if pk is not None else None


def my_queries(user: Any) -> QuerySet[PersonalQueryLog]:
    """The queries about the logged-in user themself (through their verified SubjectAccount); none without one."""
    account = _account_of(user)
    if account is None:
        return PersonalQueryLog.objects.none()
    return PersonalQueryLog.objects.filter(subject_id_hash=account.id_number_hash)


def persons_for(user: Any) -> tuple[list[CivilServant], Person | None]:
    account = _account_of(user)
    if account is None:
        return [], None
    return (
        list(CivilServant.objects.filter(id_number_hash=account.id_number_hash).select_related("agency")),
        Person.objects.filter(id_number_hash=account.id_number_hash).first(),
    )
