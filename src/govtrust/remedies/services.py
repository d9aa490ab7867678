"""Every write of the remedies app: objections (异议), credit repair (信用修复), agent authorisations, rule values.

Each function is keyword-only, runs in `transaction.atomic()`, writes its audit row (`core.audit.log_change`)
and a `Transition` row (the timeline) in the same transaction, and notifies the people concerned through
`core.notifications.notify`. A status change is a conditional UPDATE (`WHERE pk = … AND status IN (…)`); the row
count decides who won, so two officers deciding at once get exactly one decision and the other a clear error.

Who may do what (checked here, not only in the views):
  * file / withdraw / ask for review, for a record about a body: a user of the recorded body holding
    `remedies.file`, or a user holding it with a valid `AgentAuthorisation` from that body;
  * the same for a record about a civil servant or a person: only the user whose verified identity link
    (`accounts.SubjectAccount`) carries that person's ID-number hash — the right is their own (seed 二(五)); no
    role is needed, no colleague, superior or agent may act for them;
  * accept / extend / decide: a user holding `remedies.decide` whose scope covers the handling body — never a
    user of the recorded body itself (a body cannot decide its own objection), never the recorded person;
  * review (复核): a user holding `remedies.review` (the provincial credit office), not of the recorded body, not
    the recorded person, and not the person who made the first decision.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from govtrust.accounts.models import Role, User, subject_hash_of, users_linked_to
from govtrust.core import periods
from govtrust.core.audit import actor_identity, log_change, model_snapshot
from govtrust.core.errors import ErrorDict, add_error, raise_if_errors
from govtrust.core.models import Region
from govtrust.core.notifications import notify
from govtrust.core.uploads import CheckedFile, check_uploads
from govtrust.records import services as record_services
from govtrust.records.models import CreditRecord, RecordStatus, SubjectKind
from govtrust.registry.models import Agency
from govtrust.remedies import policy
from govtrust.remedies.models import (
    OBJECTION_PENDING_DECISION,
    AgentAuthorisation,
    Attachment,
    NumberCounter,
    Objection,
    ObjectionStatus,
    RecordAction,
    RepairRequest,
    RepairStatus,
    RuleValues,
    Transition,
)

FILE = "remedies.file"
DECIDE = "remedies.decide"
REVIEW = "remedies.review"
VIEW = "remedies.view"
TEXT_MAX = 5000

DECISION_OUTCOMES = (ObjectionStatus.UPHELD, ObjectionStatus.PARTLY_UPHELD, ObjectionStatus.REJECTED)
REVIEW_OUTCOMES = (ObjectionStatus.REVIEW_MAINTAINED, ObjectionStatus.REVIEW_CHANGED)


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


def _text(errors: ErrorDict, field: str, value: Any, message: str, *, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        add_error(errors, field, message, code="required")
    elif len(text) > TEXT_MAX:
        add_error(errors, field, _("不能超过%(n)d个字") % {"n": TEXT_MAX})
    elif "\x00" in text:
        add_error(errors, field, _("含有不可见的控制字符"))
    return text


# --- rules ---------------------------------------------------------------------------------------------------------
def current_rules(key: str) -> policy.Rules:
    """The packaged rule with the operator's values merged in (one small query)."""
    overrides = [
        policy.Override(version=r.version, values=r.values, articles=r.articles, provisional=r.provisional)
        for r in RuleValues.objects.filter(rule_key=key)
    ]
    return policy.merge(policy.load_packaged(key), overrides)


def rule_values_save(
    *, actor: Any, rule_key: str, version: str, values: dict[str, Any], articles: str, provisional: bool
) -> RuleValues:
    """Fill (or change) the values of a packaged rule version, e.g. the 苏政规〔2025〕4号 slot. Audited.

    Applies to objections and repairs filed from now on; those already filed keep the deadline they were given.
    """
    if rule_key not in (policy.OBJECTION_RULE, policy.REPAIR_RULE):
        raise ValidationError({"rule_key": [_("未知的规则")]})
    packaged = policy.load_packaged(rule_key)
    if version not in {v.version for v in packaged.versions}:
        raise ValidationError({"version": [_("该规则没有此版本")]})
    try:
        parsed = policy.parse_values(values, f"{rule_key}/{version}")
    except policy.RuleError as exc:
        raise ValidationError({"values": [str(exc)]}) from None
    articles = str(articles or "").strip()
    if not articles:
        raise ValidationError({"articles": [_("请写明所依据的条款")]})
    with transaction.atomic():
        row = RuleValues.objects.filter(rule_key=rule_key, version=version).first()
        before = model_snapshot(row) if row else None
        row = row or RuleValues(rule_key=rule_key, version=version)
        row.values = parsed
        row.articles = articles[:200]
        row.provisional = bool(provisional)
        row.entered_by_name = actor_identity(actor)[1]
        row.updated_at = timezone.now()
        row.save()
        log_change(actor=actor, action="update" if before else "create", obj=row, before=before,
                   after=model_snapshot(row), message="remedies.rule_values")  # fmt: skip
    return row


def _deadline(start: datetime.date, n: int, basis: str) -> periods.Deadline:
    return periods.add_working_days(start, n, rule=basis)


# --- numbers -------------------------------------------------------------------------------------------------------
def _next_number(prefix: str, year: int) -> str:
    key = f"{prefix}{year}"
    if not NumberCounter.objects.filter(key=key).exists():
        try:
            with transaction.atomic():
                NumberCounter.objects.create(key=key, last=0)
        except IntegrityError:
            pass  # created by a concurrent caller
    # The UPDATE takes the row lock until our transaction ends: numbers are gap-free and unique.
    NumberCounter.objects.filter(key=key).update(last=F("last") + 1)
    last = NumberCounter.objects.values_list("last", flat=True).get(key=key)
    return f"{key}{last:06d}"


# --- who is who ----------------------------------------------------------------------------------------------------
def _has(user: Any, action: str) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.data_scope(action) is not None)


def acting_authorisation(*, user: Any, subject: Agency, today: datetime.date) -> AgentAuthorisation | None:
    """None when `user` acts as the body itself; the authorisation when as its agent. PermissionDenied otherwise.

    Only the recorded body or its authorised agent may open (or pursue) an objection or a repair request.
    """
    if not _has(user, FILE):
        raise PermissionDenied(_("您没有提出异议或修复申请的权限"))
    if user.agency_id == subject.pk:
        return None
    for authorisation in AgentAuthorisation.objects.filter(agent=user, principal=subject, revoked_at__isnull=True):
        if authorisation.valid_on(today):
            return authorisation
    raise PermissionDenied(_("只有被记录主体或其委托代理人可以办理"))


def record_subject(record: CreditRecord) -> tuple[Agency | None, str]:
    """(the recorded body, "") or (None, the person's ID-number hash) for a record about a civil servant or a person.

    ValidationError for a record about an enterprise, or a person registered without an ID number.
    """
    if record.subject_kind == SubjectKind.AGENCY and record.agency is not None:
        return record.agency, ""
    person = (
        record.civil_servant
        if record.subject_kind == SubjectKind.CIVIL_SERVANT
        else record.person
        if record.subject_kind == SubjectKind.PERSON
        else None
    )
    if person is None or not person.id_number_hash:
        raise ValidationError(_("本平台受理政府部门、公务员和自然人对本主体信用记录提出的异议和修复申请"))
    return None, person.id_number_hash


def acting_for(
    *, user: Any, subject: Agency | None, subject_hash: str, today: datetime.date
) -> AgentAuthorisation | None:
    """Check that `user` may act as the subject: the body (or its agent), or the recorded person themself.

    A person acts only through their own verified identity link; nobody else may act for them.
    """
    if subject is not None:
        return acting_authorisation(user=user, subject=subject, today=today)
    own = subject_hash_of(user)
    if not own or own != subject_hash:
        raise PermissionDenied(_("只有被记录的本人可以办理（须经当面核验关联本人身份）"))
    return None


def may_act_for(user: Any, case: Objection | RepairRequest, today: datetime.date | None = None) -> bool:
    try:
        acting_for(user=user, subject=case.subject, subject_hash=case.subject_hash, today=_today(today))
    except PermissionDenied:
        return False
    return True


def own_records(user: Any) -> Any:
    """The credit records about the user themself (a civil servant's or a person's), via their SubjectAccount."""
    own = subject_hash_of(user)
    if not own:
        return CreditRecord.objects.none()
    return CreditRecord.objects.filter(
        Q(subject_kind=SubjectKind.CIVIL_SERVANT, civil_servant__id_number_hash=own)
        | Q(subject_kind=SubjectKind.PERSON, person__id_number_hash=own)
    )


def subjects_for(user: Any, today: datetime.date | None = None) -> list[Agency]:
    """The bodies a user may act for: its own body, and those that authorised it as agent."""
    if not _has(user, FILE):
        return []
    today = _today(today)
    bodies = [user.agency] if user.agency_id else []
    for a in AgentAuthorisation.objects.filter(agent=user, revoked_at__isnull=True).select_related("principal"):
        if a.valid_on(today) and a.principal not in bodies:
            bodies.append(a.principal)
    return bodies


def _may_handle(
    user: Any, handler: Agency, subject: Agency | None, action: str = DECIDE, *, subject_hash: str = ""
) -> None:
    if not _has(user, action):
        raise PermissionDenied(_("您没有办理该事项的权限"))
    if subject is not None and user.agency_id == subject.pk:
        raise PermissionDenied(_("被记录主体不能办理本单位的异议或修复申请"))
    if subject_hash and subject_hash_of(user) == subject_hash:
        raise PermissionDenied(_("被记录人不能办理本人的异议或修复申请"))
    if not Agency.objects.visible_to(user, action).filter(pk=handler.pk).exists():
        raise PermissionDenied(_("该事项不由您所在单位办理"))


def can_handle(
    user: Any, handler: Agency, subject: Agency | None, action: str = DECIDE, *, subject_hash: str = ""
) -> bool:
    try:
        _may_handle(user, handler, subject, action, subject_hash=subject_hash)
    except PermissionDenied:
        return False
    return True


def _may_review(user: Any, objection: Objection) -> None:
    if not _has(user, REVIEW):
        raise PermissionDenied(_("复核由省社会信用综合管理部门办理"))
    if objection.subject_id is not None and user.agency_id == objection.subject_id:
        raise PermissionDenied(_("被记录主体不能复核本单位的异议"))
    if objection.subject_hash and subject_hash_of(user) == objection.subject_hash:
        raise PermissionDenied(_("被记录人不能复核本人的异议"))
    if objection.decided_by_id == user.pk:
        raise PermissionDenied(_("作出原决定的人员不能办理复核"))
    # A person's case is in scope where its handling body is (a person has no place in the body tree).
    scope_body = objection.subject_id if objection.subject_id is not None else objection.routed_to_id
    if not Agency.objects.visible_to(user, REVIEW).filter(pk=scope_body).exists():
        raise PermissionDenied(_("该主体不在您的复核范围内"))


def _credit_office_for(agency: Agency) -> Agency | None:
    region: Region | None = agency.region
    while region is not None:
        office = (
            Agency.objects.filter(is_credit_office=True, region=region).exclude(pk=agency.pk).order_by("pk").first()
        )
        if office is not None:
            return office
        region = region.parent
    return None


def route_objection(record: CreditRecord) -> Agency:
    """The supplying department; when a body supplied a record about itself, the nearest credit office."""
    if record.supplier_id != record.agency_id:
        return record.supplier
    return _credit_office_for(record.supplier) or record.supplier


def route_repair(record: CreditRecord) -> Agency:
    """谁认定谁修复: the deciding authority when it is a registered body (and not the subject), else as objections."""
    authority = Agency.objects.filter(uscc=record.authority_uscc).first()
    if authority is not None and authority.pk != record.agency_id:
        return authority
    return route_objection(record)


def users_with(action: str, agency: Agency | None = None) -> list[Any]:
    """Active users (of `agency`, or anywhere) holding `action` in any scope."""
    roles = [r.pk for r in Role.objects.all() if action in (r.grants or {})]
    qs = User.objects.filter(is_active=True).filter(roles__in=roles)
    if agency is not None:
        qs = qs.filter(agency=agency)
    return list(qs.distinct())


def _subject_people(obj: Objection | RepairRequest) -> list[Any]:
    """Who hears of a case's progress: the body's filers, or the recorded person's linked user; and the filer."""
    if obj.subject is None:
        return [*users_linked_to(obj.subject_hash), obj.filed_by]
    return [*users_with(FILE, obj.subject), obj.filed_by]


# --- shared transition machinery -------------------------------------------------------------------------------------
def _move(
    model: type[Objection] | type[RepairRequest],
    obj: Any,
    *,
    sources: Sequence[str],
    target: str,
    actor: Any,
    note: str,
    fields: dict[str, Any],
    refused: str,
) -> Any:
    """Conditional UPDATE from one of `sources` to `target`; ValidationError if the row was not in a source state."""
    fresh = model.objects.get(pk=obj.pk)
    before = model_snapshot(fresh)
    changed = model.objects.filter(pk=obj.pk, status__in=list(sources)).update(
        status=target, updated_at=timezone.now(), **fields
    )
    if changed != 1:
        current = model.objects.get(pk=obj.pk)
        raise ValidationError(refused % {"status": current.get_status_display()}, code="state")
    fresh = model.objects.get(pk=obj.pk)
    kind = Transition.Kind.OBJECTION if model is Objection else Transition.Kind.REPAIR
    pk, name = actor_identity(actor)
    Transition.objects.create(
        kind=kind, object_id=obj.pk, from_status=before["status"], to_status=target, actor_pk=pk, actor_name=name,
        note=note[:TEXT_MAX],
    )  # fmt: skip
    log_change(actor=actor, action="transition", obj=fresh, before=before, after=model_snapshot(fresh),
               message=f"remedies.{kind}: {before['status']} -> {target}")  # fmt: skip
    return fresh


def _save_attachments(files: Iterable[CheckedFile], *, actor: Any, purpose: str, **parent: Any) -> list[Attachment]:
    saved = []
    name = actor_identity(actor)[1]
    for f in files:
        ext = f.name.rsplit(".", 1)[-1].lower()
        attachment = Attachment(
            purpose=purpose, original_name=f.name, content_type=f.content_type, size=f.size, sha256=f.sha256,
            uploaded_by_name=name, **parent,
        )  # fmt: skip
        attachment.file.save(f"{uuid.uuid4().hex}.{ext}", f.upload, save=False)
        attachment.save()
        saved.append(attachment)
    return saved


def _link(name: str, number: str) -> str:
    return reverse(name, kwargs={"number": number})


# =====================================================================================================================
# Agent authorisations
# =====================================================================================================================
def agent_authorisation_grant(
    *,
    actor: Any,
    principal: Agency,
    agent: Any,
    reference: str,
    valid_from: datetime.date,
    valid_until: datetime.date | None = None,
    note: str = "",
) -> AgentAuthorisation:
    """A body authorises a user of another body to act for it (授权委托书 `reference`)."""
    if not _has(actor, FILE) or actor.agency_id != principal.pk:
        raise PermissionDenied(_("只有本单位人员可以登记委托代理"))
    errors: ErrorDict = {}
    reference = _text(errors, "reference", reference, _("请填写授权委托书编号"))
    if len(reference) > 100:
        add_error(errors, "reference", _("不能超过100个字"))
    if agent is None or not getattr(agent, "is_active", False):
        add_error(errors, "agent", _("受托人账号不存在或已停用"))
    elif agent.agency_id == principal.pk:
        add_error(errors, "agent", _("本单位人员无需委托"))
    if valid_until is not None and valid_until < valid_from:
        add_error(errors, "valid_until", _("截止日期不能早于生效日期"))
    raise_if_errors(errors)
    with transaction.atomic():
        authorisation = AgentAuthorisation.objects.create(
            principal=principal, agent=agent, reference=reference, valid_from=valid_from, valid_until=valid_until,
            note=str(note or "").strip()[:200], granted_by_name=actor_identity(actor)[1],
        )  # fmt: skip
        log_change(actor=actor, action="create", obj=authorisation, after=model_snapshot(authorisation))
        notify(
            recipients=[agent],
            title=_("%(body)s委托您办理异议、信用修复事项") % {"body": principal.name},
            body=_("授权委托书编号：%(ref)s") % {"ref": reference},
            link=reverse("remedies:my_records"),
            category="remedies",
        )
    return authorisation


def agent_authorisation_revoke(*, actor: Any, authorisation: AgentAuthorisation) -> AgentAuthorisation:
    if not _has(actor, FILE) or actor.agency_id != authorisation.principal_id:
        raise PermissionDenied(_("只有委托单位人员可以撤销委托"))
    with transaction.atomic():
        before = model_snapshot(authorisation)
        changed = AgentAuthorisation.objects.filter(pk=authorisation.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by_name=actor_identity(actor)[1]
        )
        if changed != 1:
            raise ValidationError(_("该委托已撤销"))
        authorisation.refresh_from_db()
        log_change(actor=actor, action="update", obj=authorisation, before=before, after=model_snapshot(authorisation),
                   message="remedies.agent_revoke")  # fmt: skip
    return authorisation


# =====================================================================================================================
# Objections
# =====================================================================================================================
def objection_file(
    *,
    actor: Any,
    record: CreditRecord,
    claim: str,
    requested_action: str = RecordAction.CORRECT,
    attachments: Sequence[Any] = (),
    today: datetime.date | None = None,
) -> Objection:
    """File an objection against a record of the actor's body (or of a body that authorised the actor), or — for a
    civil servant or a person — against a record about the actor themself (verified SubjectAccount).

    The record is labelled 异议处理中 at once (`records_under_objection`); the supplier is notified.
    """
    today = _today(today)
    record = CreditRecord.objects.select_related("agency", "supplier", "civil_servant", "person").get(pk=record.pk)
    subject, subject_hash = record_subject(record)
    authorisation = acting_for(user=actor, subject=subject, subject_hash=subject_hash, today=today)
    errors: ErrorDict = {}
    claim = _text(errors, "claim", claim, _("请说明异议的事实和理由"))
    if requested_action not in (RecordAction.CORRECT, RecordAction.REVOKE):
        add_error(errors, "requested_action", _("请求应为更正或撤销记录"))
    if record.status == RecordStatus.REVOKED:
        add_error(errors, "record", _("已撤销的记录不能提出异议"))
    files: list[CheckedFile] = []
    try:
        files = check_uploads(list(attachments))
    except ValidationError as exc:
        for message in exc.messages:
            add_error(errors, "attachments", message)
    raise_if_errors(errors)
    rule = policy.choose(current_rules(policy.OBJECTION_RULE), today)
    due = _deadline(today, rule.decide, rule.basis)
    routed_to = route_objection(record)
    with transaction.atomic():
        if Objection.objects.open().filter(record=record).exists():
            raise ValidationError({"record": [_("该记录已有正在办理的异议")]})
        try:
            with transaction.atomic():
                objection = Objection.objects.create(
                    number=_next_number("YY", today.year), record=record, subject=subject, subject_hash=subject_hash,
                    routed_to=routed_to,
                    filed_by=actor, filed_by_name=actor_identity(actor)[1], agent_authorisation=authorisation,
                    claim=claim, requested_action=requested_action, filed_on=today, rule_version=rule.version,
                    rule_basis=rule.basis[:300], rule_provisional=rule.provisional, decide_days=rule.decide,
                    extended_days=rule.extended, review_days=rule.review, due_on=due.date,
                    due_provisional=due.provisional, due_basis=due.basis[:500],
                )  # fmt: skip
        except IntegrityError:  # a concurrent filing for the same record won (partial unique index)
            raise ValidationError({"record": [_("该记录已有正在办理的异议")]}) from None
        Transition.objects.create(
            kind=Transition.Kind.OBJECTION, object_id=objection.pk, to_status=ObjectionStatus.FILED,
            actor_pk=actor.pk, actor_name=objection.filed_by_name,
            note=_("委托代理：%(ref)s") % {"ref": authorisation.reference} if authorisation else "",
        )  # fmt: skip
        log_change(actor=actor, action="create", obj=objection, after=model_snapshot(objection))
        _save_attachments(files, actor=actor, purpose=Attachment.Purpose.EVIDENCE, objection=objection)
        link = _link("remedies:objection_detail", objection.number)
        notify(
            recipients=users_with(DECIDE, routed_to),
            title=_("新异议 %(n)s：%(body)s 对记录 %(r)s 提出异议") % {"n": objection.number,
                                                               "body": objection.subject_display,
                                                               "r": record.number},
            body=_("请于%(due)s前作出决定（%(basis)s）。") % {"due": due.date.isoformat(), "basis": due.basis},
            link=link, category="remedies.deadline", email=True,
        )  # fmt: skip
        notify(
            recipients=[actor],
            title=_("异议 %(n)s 已提交") % {"n": objection.number},
            body=_("办理单位：%(unit)s；办理期限：%(due)s。") % {"unit": routed_to.name, "due": due.date.isoformat()},
            link=link, category="remedies",
        )  # fmt: skip
    return objection


def objection_accept(*, actor: Any, objection: Objection, today: datetime.date | None = None) -> Objection:
    """The handling department accepts the objection (处理中). The deadline keeps running from the filing day."""
    _may_handle(actor, objection.routed_to, objection.subject, subject_hash=objection.subject_hash)
    today = _today(today)
    with transaction.atomic():
        result = _move(Objection, objection, sources=[ObjectionStatus.FILED], target=ObjectionStatus.ACCEPTED,
                       actor=actor, note="", fields={"accepted_on": today},
                       refused=_("“%(status)s”的异议不能受理"))  # fmt: skip
        notify(recipients=_subject_people(result), title=_("异议 %(n)s 已受理") % {"n": result.number},
               link=_link("remedies:objection_detail", result.number), category="remedies")  # fmt: skip
    return result


def objection_extend(
    *,
    actor: Any,
    objection: Objection,
    reason: str,
    approval_reference: str,
    approver: str,
    today: datetime.date | None = None,
) -> Objection:
    """Extend the deadline to the rule's maximum, with the approval recorded; only before the deadline passes."""
    _may_handle(actor, objection.routed_to, objection.subject, subject_hash=objection.subject_hash)
    today = _today(today)
    errors: ErrorDict = {}
    reason = _text(errors, "reason", reason, _("请说明延期理由"))
    approval_reference = _text(errors, "approval_reference", approval_reference, _("请填写延期批准文号"))[:100]
    approver = _text(errors, "approver", approver, _("请填写批准人"))[:100]
    if not objection.extended_days:
        add_error(errors, "reason", _("适用的时限规则不允许延期"))
    elif today > objection.due_on:
        add_error(errors, "reason", _("办理期限（%(due)s）已过，不能再延期") % {"due": objection.due_on.isoformat()})
    raise_if_errors(errors)
    assert objection.extended_days is not None
    due = _deadline(objection.filed_on, objection.extended_days, objection.rule_basis)
    with transaction.atomic():
        result = _move(
            Objection, objection, sources=[ObjectionStatus.ACCEPTED], target=ObjectionStatus.EXTENDED, actor=actor,
            note=f"{reason}（{approval_reference}，{approver}）",
            fields={"extended_on": today, "extension_reason": reason, "extension_approval": approval_reference,
                    "extension_approver": approver, "due_on": due.date, "due_provisional": due.provisional,
                    "due_basis": due.basis[:500]},
            refused=_("“%(status)s”的异议不能延期"),
        )  # fmt: skip
        notify(recipients=_subject_people(result),
               title=_("异议 %(n)s 办理期限延长至%(due)s") % {"n": result.number, "due": due.date.isoformat()},
               body=reason, link=_link("remedies:objection_detail", result.number), category="remedies")  # fmt: skip
    return result


def _apply_to_record(
    *, actor: Any, objection: Objection, record_action: str, changes: dict[str, Any] | None, reason: str
) -> None:
    record = CreditRecord.objects.get(pk=objection.record_id)
    text = _("异议%(n)s：%(reason)s") % {"n": objection.number, "reason": reason}
    if record_action == RecordAction.REVOKE:
        record_services.record_revoke(actor=actor, record=record, reason=text)
    elif record_action == RecordAction.CORRECT:
        record_services.record_correct(actor=actor, record=record, changes=changes or {}, reason=text)


def _check_outcome(errors: ErrorDict, upheld: bool, partly: bool, record_action: str, changes: Any) -> None:
    if upheld and record_action not in (RecordAction.CORRECT, RecordAction.REVOKE):
        add_error(errors, "record_action", _("异议成立的，应更正或撤销记录"))
    if partly and record_action != RecordAction.CORRECT:
        add_error(errors, "record_action", _("异议部分成立的，应更正记录"))
    if not upheld and not partly and record_action:
        add_error(errors, "record_action", _("异议不成立的，不变更记录"))
    if record_action == RecordAction.CORRECT and not changes:
        add_error(errors, "changes", _("请填写需要更正的内容"))


def objection_decide(
    *,
    actor: Any,
    objection: Objection,
    outcome: str,
    reasons: str,
    record_action: str = "",
    changes: dict[str, Any] | None = None,
    today: datetime.date | None = None,
) -> Objection:
    """Decide: upheld (record corrected or revoked), partly upheld (corrected), or rejected — with reasons.

    Exactly one of two concurrent deciders wins: the status UPDATE is conditional and the loser's
    transaction (and its record change) rolls back with a ValidationError.
    """
    _may_handle(actor, objection.routed_to, objection.subject, subject_hash=objection.subject_hash)
    today = _today(today)
    errors: ErrorDict = {}
    if outcome not in DECISION_OUTCOMES:
        add_error(errors, "outcome", _("决定应为异议成立、部分成立或不成立"))
    reasons = _text(errors, "reasons", reasons, _("请说明决定理由"))
    _check_outcome(errors, outcome == ObjectionStatus.UPHELD, outcome == ObjectionStatus.PARTLY_UPHELD,
                   record_action, changes)  # fmt: skip
    raise_if_errors(errors)
    with transaction.atomic():
        result = _move(
            Objection, objection, sources=[ObjectionStatus.ACCEPTED, ObjectionStatus.EXTENDED], target=outcome,
            actor=actor, note=reasons,
            fields={"decided_on": today, "decided_by": actor, "decided_by_name": actor_identity(actor)[1],
                    "decision_reasons": reasons, "record_action": record_action},
            refused=_("“%(status)s”的异议不能作出决定（可能已由他人处理）"),
        )  # fmt: skip
        _apply_to_record(actor=actor, objection=result, record_action=record_action, changes=changes, reason=reasons)
        notify(
            recipients=_subject_people(result),
            title=_("异议 %(n)s 已作出决定：%(outcome)s")
            % {"n": result.number, "outcome": result.get_status_display()},
            body=reasons, link=_link("remedies:objection_detail", result.number), category="remedies.decision",
            email=True,
        )  # fmt: skip
    return result


def objection_withdraw(
    *, actor: Any, objection: Objection, reason: str = "", today: datetime.date | None = None
) -> Objection:
    acting_for(user=actor, subject=objection.subject, subject_hash=objection.subject_hash, today=_today(today))
    with transaction.atomic():
        result = _move(Objection, objection, sources=list(OBJECTION_PENDING_DECISION), target=ObjectionStatus.WITHDRAWN,
                       actor=actor, note=str(reason or "").strip(), fields={},
                       refused=_("“%(status)s”的异议不能撤回"))  # fmt: skip
        notify(recipients=users_with(DECIDE, result.routed_to), title=_("异议 %(n)s 已撤回") % {"n": result.number},
               link=_link("remedies:objection_detail", result.number), category="remedies")  # fmt: skip
    return result


def objection_request_review(
    *, actor: Any, objection: Objection, reasons: str, today: datetime.date | None = None
) -> Objection:
    """Ask the provincial credit office for a review (复核) of a rejected or partly upheld objection."""
    today = _today(today)
    acting_for(user=actor, subject=objection.subject, subject_hash=objection.subject_hash, today=today)
    errors: ErrorDict = {}
    reasons = _text(errors, "reasons", reasons, _("请说明申请复核的理由"))
    raise_if_errors(errors)
    due = _deadline(today, objection.review_days, objection.rule_basis) if objection.review_days else None
    try:
        with transaction.atomic():
            result = _move(
                Objection, objection, sources=[ObjectionStatus.REJECTED, ObjectionStatus.PARTLY_UPHELD],
                target=ObjectionStatus.REVIEW_REQUESTED, actor=actor, note=reasons,
                fields={"review_reasons": reasons, "review_requested_on": today,
                        "review_due_on": due.date if due else None,
                        "review_due_provisional": due.provisional if due else False},
                refused=_("“%(status)s”的异议不能申请复核"),
            )  # fmt: skip
            notify(
                recipients=users_with(REVIEW),
                title=_("复核申请：异议 %(n)s") % {"n": result.number},
                body=_("复核期限：%(due)s") % {"due": due.date.isoformat() if due else "—"},
                link=_link("remedies:objection_detail", result.number), category="remedies.deadline", email=True,
            )  # fmt: skip
    except IntegrityError:
        raise ValidationError(_("该记录已有正在办理的异议")) from None
    return result


def objection_review(
    *,
    actor: Any,
    objection: Objection,
    outcome: str,
    reasons: str,
    record_action: str = "",
    changes: dict[str, Any] | None = None,
    today: datetime.date | None = None,
) -> Objection:
    """The provincial credit office maintains or changes the decision; a change corrects or revokes the record."""
    objection = Objection.objects.get(pk=objection.pk)
    _may_review(actor, objection)
    today = _today(today)
    errors: ErrorDict = {}
    if outcome not in REVIEW_OUTCOMES:
        add_error(errors, "outcome", _("复核结论应为维持或变更原决定"))
    reasons = _text(errors, "reasons", reasons, _("请说明复核意见"))
    changed = outcome == ObjectionStatus.REVIEW_CHANGED
    if changed:
        _check_outcome(errors, True, False, record_action, changes)
    elif record_action:
        add_error(errors, "record_action", _("维持原决定的，不变更记录"))
    raise_if_errors(errors)
    with transaction.atomic():
        result = _move(
            Objection, objection, sources=[ObjectionStatus.REVIEW_REQUESTED], target=outcome, actor=actor,
            note=reasons,
            fields={"reviewed_on": today, "reviewed_by_name": actor_identity(actor)[1],
                    "review_decision_reasons": reasons, **({"record_action": record_action} if changed else {})},
            refused=_("“%(status)s”的异议不能复核（可能已由他人处理）"),
        )  # fmt: skip
        if changed:
            _apply_to_record(actor=actor, objection=result, record_action=record_action, changes=changes,
                             reason=reasons)  # fmt: skip
        notify(
            recipients=[*_subject_people(result), *users_with(DECIDE, result.routed_to)],
            title=_("异议 %(n)s 复核结论：%(outcome)s") % {"n": result.number, "outcome": result.get_status_display()},
            body=reasons, link=_link("remedies:objection_detail", result.number), category="remedies.decision",
            email=True,
        )  # fmt: skip
    return result


# =====================================================================================================================
# Credit repair
# =====================================================================================================================
def repair_bars() -> tuple[policy.Bar, ...]:
    return policy.load_packaged(policy.REPAIR_RULE).bars


def eligibility(record: CreditRecord, today: datetime.date | None = None) -> policy.Eligibility:
    """Whether the record may be applied for repair today, and from which date (shown to the subject)."""
    return policy.repair_eligibility(
        record_class=record.record_class, severity=record.severity, sub_type=record.sub_type, status=record.status,
        is_dishonesty=record.is_dishonesty, covered=record.covered_by_id is not None,
        publicity_start=record.publicity_start, publicity_min_end=record.publicity_min_end, today=_today(today),
        bars=repair_bars(), open_request=RepairRequest.objects.open().filter(record=record).exists(),
    )  # fmt: skip


def pledge_template(subject_name: str, *, personal: bool = False) -> str:
    if personal:
        return _(
            "本人（%(name)s）郑重承诺：所提交的信用修复申请材料真实、准确、完整；失信行为已纠正，"
            "相关法定义务已全部履行；如有虚假，自愿承担相应法律责任，并接受有关部门依法依规实施的惩戒。"
        ) % {"name": subject_name}
    return _(
        "本单位（%(name)s）郑重承诺：所提交的信用修复申请材料真实、准确、完整；失信行为已纠正，"
        "相关法定义务已全部履行；如有虚假，自愿承担相应法律责任，并接受有关部门依法依规实施的惩戒。"
    ) % {"name": subject_name}


def repair_file(
    *,
    actor: Any,
    record: CreditRecord,
    corrective_actions: str,
    obligations_performed: bool,
    pledge_text: str,
    pledge_confirmed: bool,
    pledge_file: Any,
    evidence: Sequence[Any] = (),
    today: datetime.date | None = None,
) -> RepairRequest:
    """Apply for repair: refused unless the record is eligible today; needs the pledge and the evidence."""
    today = _today(today)
    record = CreditRecord.objects.select_related("agency", "supplier", "civil_servant", "person").get(pk=record.pk)
    subject, subject_hash = record_subject(record)
    authorisation = acting_for(user=actor, subject=subject, subject_hash=subject_hash, today=today)
    verdict = eligibility(record, today)
    errors: ErrorDict = {}
    if not verdict.eligible:
        for reason in verdict.reasons:
            add_error(errors, "record", reason, code="not_eligible")
    corrective_actions = _text(errors, "corrective_actions", corrective_actions, _("请说明纠正失信行为的情况"))
    pledge_text = _text(errors, "pledge_text", pledge_text, _("请填写信用承诺书内容"))
    if not obligations_performed:
        add_error(errors, "obligations_performed", _("法定义务全部履行后方可申请信用修复"))
    if not pledge_confirmed:
        add_error(errors, "pledge_confirmed", _("请确认信用承诺"))
    pledge: list[CheckedFile] = []
    files: list[CheckedFile] = []
    if pledge_file is None:
        add_error(errors, "pledge_file", _("请上传签章的信用承诺书"))
    else:
        try:
            pledge = check_uploads([pledge_file])
        except ValidationError as exc:
            for message in exc.messages:
                add_error(errors, "pledge_file", message)
    if not evidence:
        add_error(errors, "evidence", _("请上传履行义务、纠正失信行为的证明材料"))
    else:
        try:
            files = check_uploads(list(evidence))
        except ValidationError as exc:
            for message in exc.messages:
                add_error(errors, "evidence", message)
    raise_if_errors(errors)
    assert verdict.eligible_from is not None
    rule = policy.choose(current_rules(policy.REPAIR_RULE), today)
    due = _deadline(today, rule.decide, rule.basis)
    handled_by = route_repair(record)
    with transaction.atomic():
        try:
            with transaction.atomic():
                repair = RepairRequest.objects.create(
                    number=_next_number("XF", today.year), record=record, subject=subject, subject_hash=subject_hash,
                    handled_by=handled_by,
                    filed_by=actor, filed_by_name=actor_identity(actor)[1], agent_authorisation=authorisation,
                    corrective_actions=corrective_actions, obligations_performed=True, pledge_text=pledge_text,
                    pledge_confirmed=True, filed_on=today, eligible_from=verdict.eligible_from,
                    rule_version=rule.version, rule_basis=rule.basis[:300], decide_days=rule.decide, due_on=due.date,
                    due_provisional=due.provisional, due_basis=due.basis[:500],
                )  # fmt: skip
        except IntegrityError:
            raise ValidationError({"record": [_("该记录已有正在办理的修复申请")]}) from None
        Transition.objects.create(kind=Transition.Kind.REPAIR, object_id=repair.pk, to_status=RepairStatus.SUBMITTED,
                                  actor_pk=actor.pk, actor_name=repair.filed_by_name)  # fmt: skip
        log_change(actor=actor, action="create", obj=repair, after=model_snapshot(repair))
        _save_attachments(pledge, actor=actor, purpose=Attachment.Purpose.PLEDGE, repair=repair)
        _save_attachments(files, actor=actor, purpose=Attachment.Purpose.EVIDENCE, repair=repair)
        link = _link("remedies:repair_detail", repair.number)
        notify(
            recipients=users_with(DECIDE, handled_by),
            title=_("信用修复申请 %(n)s：%(body)s，记录 %(r)s") % {"n": repair.number,
                                                             "body": repair.subject_display,
                                                             "r": record.number},
            body=_("请于%(due)s前办结（%(basis)s）。") % {"due": due.date.isoformat(), "basis": due.basis},
            link=link, category="remedies.deadline", email=True,
        )  # fmt: skip
        notify(recipients=[actor], title=_("信用修复申请 %(n)s 已提交") % {"n": repair.number}, link=link,
               category="remedies")  # fmt: skip
    return repair


def repair_accept(*, actor: Any, repair: RepairRequest, today: datetime.date | None = None) -> RepairRequest:
    _may_handle(actor, repair.handled_by, repair.subject, subject_hash=repair.subject_hash)
    today = _today(today)
    with transaction.atomic():
        result = _move(RepairRequest, repair, sources=[RepairStatus.SUBMITTED], target=RepairStatus.ACCEPTED,
                       actor=actor, note="", fields={"accepted_on": today},
                       refused=_("“%(status)s”的申请不能受理"))  # fmt: skip
        notify(recipients=_subject_people(result), title=_("信用修复申请 %(n)s 已受理") % {"n": result.number},
               link=_link("remedies:repair_detail", result.number), category="remedies")  # fmt: skip
    return result


def repair_decide(
    *,
    actor: Any,
    repair: RepairRequest,
    approve: bool,
    reasons: str,
    reference: str = "",
    today: datetime.date | None = None,
) -> RepairRequest:
    """Approve (the record is repaired through `records.services.record_repair`, emitting `record.repaired`:
    publication and sharing end, measures are lifted by their subscribers) or refuse, with reasons."""
    _may_handle(actor, repair.handled_by, repair.subject, subject_hash=repair.subject_hash)
    today = _today(today)
    errors: ErrorDict = {}
    reasons = _text(errors, "reasons", reasons, _("请说明决定理由"))
    reference = str(reference or "").strip()[:100]
    raise_if_errors(errors)
    target = RepairStatus.APPROVED if approve else RepairStatus.REJECTED
    with transaction.atomic():
        result = _move(
            RepairRequest, repair, sources=[RepairStatus.ACCEPTED], target=target, actor=actor, note=reasons,
            fields={"decided_on": today, "decided_by_name": actor_identity(actor)[1], "decision_reasons": reasons,
                    "decision_reference": reference or repair.number},
            refused=_("“%(status)s”的申请不能作出决定（可能已由他人处理）"),
        )  # fmt: skip
        if approve:
            record_services.record_repair(actor=actor, record=result.record, reason=reasons,
                                          reference=reference or result.number, today=today)  # fmt: skip
        notify(
            recipients=_subject_people(result),
            title=_("信用修复申请 %(n)s：%(outcome)s") % {"n": result.number, "outcome": result.get_status_display()},
            body=reasons, link=_link("remedies:repair_detail", result.number), category="remedies.decision",
            email=True,
        )  # fmt: skip
    return result


def repair_withdraw(*, actor: Any, repair: RepairRequest, today: datetime.date | None = None) -> RepairRequest:
    acting_for(user=actor, subject=repair.subject, subject_hash=repair.subject_hash, today=_today(today))
    with transaction.atomic():
        result = _move(RepairRequest, repair, sources=[RepairStatus.SUBMITTED, RepairStatus.ACCEPTED],
                       target=RepairStatus.WITHDRAWN, actor=actor, note="", fields={},
                       refused=_("“%(status)s”的申请不能撤回"))  # fmt: skip
    return result


# =====================================================================================================================
# Deadlines: recompute provisional ones when a year's holiday arrangement is entered
# =====================================================================================================================
def deadlines_recompute(*, year: int | None = None) -> int:
    """Recompute every open provisional deadline with the current calendar. Returns how many changed."""
    changed: list[str] = []
    with transaction.atomic():
        for o in Objection.objects.filter(status__in=list(OBJECTION_PENDING_DECISION), due_provisional=True):
            n = o.extended_days if o.status == ObjectionStatus.EXTENDED and o.extended_days else o.decide_days
            due = _deadline(o.filed_on, n, o.rule_basis)
            if (due.date, due.provisional) != (o.due_on, o.due_provisional):
                Objection.objects.filter(pk=o.pk).update(
                    due_on=due.date,
                    due_provisional=due.provisional,
                    due_basis=due.basis[:500],
                    updated_at=timezone.now(),
                )
                changed.append(f"{o.number}: {o.due_on} -> {due.date}")
        reviews = Objection.objects.filter(status=ObjectionStatus.REVIEW_REQUESTED, review_due_provisional=True)
        for o in reviews:
            if not (o.review_days and o.review_requested_on):
                continue
            due = _deadline(o.review_requested_on, o.review_days, o.rule_basis)
            if (due.date, due.provisional) != (o.review_due_on, o.review_due_provisional):
                Objection.objects.filter(pk=o.pk).update(review_due_on=due.date, review_due_provisional=due.provisional)
                changed.append(f"{o.number}: {o.review_due_on} -> {due.date}")
        for r in RepairRequest.objects.open().filter(due_provisional=True):
            due = _deadline(r.filed_on, r.decide_days, r.rule_basis)
            if (due.date, due.provisional) != (r.due_on, r.due_provisional):
                RepairRequest.objects.filter(pk=r.pk).update(
                    due_on=due.date,
                    due_provisional=due.provisional,
                    due_basis=due.basis[:500],
                    updated_at=timezone.now(),
                )
                changed.append(f"{r.number}: {r.due_on} -> {due.date}")
        if changed:
            log_change(actor=None, action="update", object_type="remedies.deadline", object_id=str(year or ""),
                       object_repr=_("节假日安排录入后重算期限"), after={"changed": changed})  # fmt: skip
    return len(changed)
