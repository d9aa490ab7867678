"""Every write of the sanctions app. Keyword-only, in `transaction.atomic()`, each with its audit row.

Flow: a dishonesty record of a government body comes into force → `case_open_for_record` (the event
subscriber) creates a case whose measures are *proposed* → an officer of the credit office decides each one
(`measure_decide`: confirm, change or decline, with reasons; mitigation grounds recorded on the case by
`case_record_mitigation`) → a confirmed 限期整改 becomes a `RectificationOrder`, a confirmed accountability
measure a `Referral` → the record's later events (repaired, revoked, expired, covered) lift it all
(`case_lift_for_record`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from govtrust.core.audit import actor_identity, log_change, model_snapshot
from govtrust.core.notifications import notify
from govtrust.core.periods import add_period
from govtrust.core.uploads import CheckedFile, check_uploads
from govtrust.records.models import CreditRecord, RecordStatus, SubjectKind
from govtrust.records.policy import DISHONESTY_CLASSES, POSITIVE_CLASSES
from govtrust.registry.models import Agency
from govtrust.sanctions import policy
from govtrust.sanctions.models import (
    OPEN_ORDER_STATUSES,
    OPEN_REFERRAL_STATUSES,
    CaseStatus,
    Incentive,
    IncentiveStatus,
    Measure,
    MeasureStatus,
    RectificationEvidence,
    RectificationOrder,
    Referral,
    ReferralOutcome,
    SanctionCase,
    TimelineEntry,
)

VIEW = "sanctions.view"
DECIDE = "sanctions.decide"
RESPOND = "rectification.respond"
RECORD_REFERRAL = "referral.record"
TEXT_MAX = 5000


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


def _name(actor: Any) -> str:
    return actor_identity(actor)[1]


def _errors(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError({k: [ValidationError(v)] for k, v in errors.items()})  # type: ignore[dict-item]


def _text(value: Any, field: str, label: str, errors: dict[str, str], *, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors[field] = _("请填写%(label)s") % {"label": label}
    elif len(text) > TEXT_MAX:
        errors[field] = _("%(label)s不能超过%(n)d个字") % {"label": label, "n": TEXT_MAX}
    return text


def _number(prefix: str, obj: Any) -> str:
    # Human-readable, stable, unique: the prefix, the year and the row id (the id is unique already).
    return f"{prefix}{timezone.localdate():%Y}{obj.pk:07d}"


def _step(
    *,
    case: SanctionCase,
    actor: Any,
    action: str,
    note: str = "",
    order: RectificationOrder | None = None,
    referral: Referral | None = None,
    from_status: str = "",
    to_status: str = "",
) -> None:
    TimelineEntry.objects.create(
        case=case,
        order=order,
        referral=referral,
        actor_name=_name(actor),
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note[:TEXT_MAX],
    )


def _save(obj: Any) -> None:
    try:
        obj.save()
    except ConcurrentTransition:
        raise ValidationError(_("状态已被他人修改，请刷新后重试")) from None


def _move(obj: Any, method: str) -> str:
    previous = str(obj.status)
    try:
        getattr(obj, method)()
    except TransitionNotAllowed:
        raise ValidationError(
            _("当前状态“%(status)s”下不能进行此操作") % {"status": obj.get_status_display()}
        ) from None
    return previous


# --- who may act -----------------------------------------------------------------------------------------------------
def covers(user: Any, action: str, agency: Agency) -> bool:
    """True when `agency` lies in the user's scope for `action`."""
    return Agency.objects.visible_to(user, action).filter(pk=agency.pk).exists()


def may_decide(user: Any, agency: Agency) -> bool:
    """Credit-office officers with `sanctions.decide` over the body; never a user of the body itself."""
    own = getattr(user, "agency", None)
    if own is not None and own.pk == agency.pk:
        return False
    is_office = getattr(user, "is_superuser", False) or (own is not None and own.is_credit_office)
    return bool(is_office and covers(user, DECIDE, agency))


def may_respond(user: Any, agency: Agency) -> bool:
    return covers(user, RESPOND, agency)


def may_record_referral(user: Any, referral: Referral) -> bool:
    return covers(user, RECORD_REFERRAL, referral.department)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("您无权办理此事项"))


def users_with(agencies: Iterable[Agency], action: str) -> list[Any]:
    from govtrust.accounts.models import User

    ids = [a.pk for a in agencies]
    return [u for u in User.objects.filter(is_active=True, agency_id__in=ids) if u.data_scope(action) is not None]


def deciders_for(agency: Agency) -> list[Any]:
    """Active credit-office users who may decide measures about `agency`."""
    from govtrust.accounts.models import User

    candidates = User.objects.filter(is_active=True, agency__is_credit_office=True).select_related("agency")
    return [u for u in candidates if may_decide(u, agency)]


def _link(name: str, number: str | None) -> str:
    return reverse(name, args=[number]) if number else ""


# --- cases -----------------------------------------------------------------------------------------------------------
def case_open_for_record(
    *, record_id: int, source_event_id: int | None = None, today: datetime.date | None = None, notify_now: bool = True
) -> SanctionCase | None:
    """Open the case of a government body's dishonesty record in force and propose its measures.

    Idempotent: a record has at most one case (unique), so a second delivery of the event returns the first
    case unchanged. Nothing for a record that is not (or no longer) in force, is covered by a fault-tolerance
    ruling, is not a dishonesty record or is not about a government body.
    """
    today = _today(today)
    existing = SanctionCase.objects.filter(record_id=record_id).first()
    if existing is not None:
        return existing
    record = CreditRecord.objects.select_related("agency").filter(pk=record_id).first()
    if (
        record is None
        or record.status != RecordStatus.IN_FORCE
        or record.covered_by_id is not None
        or record.record_class not in DISHONESTY_CLASSES
        or record.subject_kind != SubjectKind.AGENCY
        or record.agency is None
    ):
        return None
    proposal = policy.propose(
        policy.catalog(),
        subject_kind=record.subject_kind,
        record_class=record.record_class,
        severity=record.severity,
        on=today,
    )
    if proposal is None:
        return None
    with transaction.atomic():
        try:
            with transaction.atomic():
                case = SanctionCase.objects.create(
                    record=record,
                    agency=record.agency,
                    rule_id=proposal.rule_id,
                    rule_provisional=proposal.rule_provisional,
                    proposed_on=today,
                    source_event_id=source_event_id,
                )
        except IntegrityError:  # another deliverer opened it a moment ago
            return SanctionCase.objects.get(record_id=record_id)
        case.number = _number("CJ", case)
        case.save(update_fields=["number"])
        Measure.objects.bulk_create(
            [
                Measure(case=case, code=spec.code, basis=spec.basis.as_data(), provisional=spec.provisional)
                for spec in proposal.measures
            ]
        )
        labels = "、".join(spec.label for spec in proposal.measures)
        _step(
            case=case,
            actor=None,
            action="proposed",
            to_status=CaseStatus.PENDING,
            note=_("记录%(number)s生效，规则建议：%(labels)s") % {"number": record.number, "labels": labels},
        )
        log_change(
            actor=None,
            action="create",
            obj=case,
            after={**model_snapshot(case), "measures": [s.code for s in proposal.measures]},
            message="sanctions.case_open",
        )
        if notify_now:
            notify(
                recipients=deciders_for(record.agency),
                title=_("待决定：%(agency)s的失信惩戒建议") % {"agency": record.agency.name[:150]},
                body=_("记录%(number)s生效，规则建议：%(labels)s。请逐项确认、变更或不予采取。")
                % {"number": record.number, "labels": labels},
                link=_link("sanctions:case_detail", case.number),
                category="sanctions.proposal",
                email=True,
            )
    return case


def case_record_mitigation(*, actor: Any, case: SanctionCase, grounds: Iterable[str], note: str) -> SanctionCase:
    """Record the grounds for a lighter or no measure (从轻或免于惩戒, 苏政发〔2023〕55号 二(五))."""
    grounds = sorted(set(grounds))
    errors = policy.check_mitigation(grounds, note)
    note = _text(note, "note", _("说明"), errors)
    _errors(errors)
    with transaction.atomic():
        case = SanctionCase.objects.select_related("agency").get(pk=case.pk)
        _require(may_decide(actor, case.agency))
        if case.status != CaseStatus.PENDING:
            raise ValidationError(_("案件已决定或已解除，不能再登记从轻或免于惩戒情形"))
        before = model_snapshot(case)
        case.mitigation_grounds = grounds
        case.mitigation_note = note
        case.mitigation_by_name = _name(actor)
        case.mitigation_at = timezone.now()
        _save(case)
        labels = "、".join(str(policy.MitigationGround(g).label) for g in grounds)
        _step(case=case, actor=actor, action="mitigation", note=f"{labels}：{note}")
        log_change(
            actor=actor,
            action="update",
            obj=case,
            before=before,
            after=model_snapshot(case),
            message="sanctions.mitigation",
        )
    return case


def measure_decide(
    *,
    actor: Any,
    measure: Measure,
    decision: str,
    reason: str,
    new_code: str = "",
    mitigated: bool = False,
    department: Agency | None = None,
    today: datetime.date | None = None,
) -> Measure:
    """An officer confirms, changes or declines one proposed measure, with reasons.

    Confirm/change puts the measure in force; a 限期整改 measure issues its order, an accountability measure
    sends its referral to `department` (required then). Claimed by a conditional UPDATE on the proposed
    state: of two officers deciding at once, exactly one succeeds.
    """
    today = _today(today)
    cat = policy.catalog()
    reason = str(reason or "").strip()
    with transaction.atomic():
        measure = Measure.objects.select_related("case__agency", "case__record").get(pk=measure.pk)
        case = measure.case
        _require(may_decide(actor, case.agency))
        errors = policy.check_decision(
            cat,
            proposed=measure.code,
            decision=decision,
            reason=reason,
            new_code=new_code,
            mitigated=mitigated,
            mitigation_grounds=case.mitigation_grounds,
        )
        if len(reason) > TEXT_MAX:
            errors["reason"] = _("理由不能超过%(n)d个字") % {"n": TEXT_MAX}
        applied = new_code if decision == policy.Decision.CHANGE else measure.code
        if decision != policy.Decision.DECLINE and not errors:
            spec = cat.measure(applied)
            if spec.creates == "referral":
                if department is None:
                    errors["department"] = _("请选择接收移送的纪检监察或组织人事部门")
                elif department.pk == case.agency_id:
                    errors["department"] = _("不能移送给失信主体本身")
            if case.measures.filter(status=MeasureStatus.IN_FORCE, applied_code=applied).exists():
                errors["new_code"] = _("本案已实施该措施")
        _errors(errors)
        before = model_snapshot(measure)
        if decision == policy.Decision.DECLINE:
            previous = _move(measure, "decline")
        else:
            previous = _move(measure, "apply")
            measure.applied_code = applied
        measure.decision = decision
        measure.decision_reason = reason
        measure.mitigated = bool(mitigated)
        measure.decided_by = actor if getattr(actor, "is_authenticated", False) else None
        measure.decided_by_name = _name(actor)
        measure.decided_on = today
        measure.decided_at = timezone.now()
        _save(measure)
        label = cat.measure(measure.code).label
        note = _("%(decision)s“%(label)s”") % {"decision": policy.Decision(decision).label, "label": label}
        if decision == policy.Decision.CHANGE:
            note += _("，变更为“%(label)s”") % {"label": cat.measure(applied).label}
        if mitigated:
            note += _("（从轻或免于惩戒）")
        _step(
            case=case,
            actor=actor,
            action="decision",
            from_status=previous,
            to_status=measure.status,
            note=f"{note}：{reason}",
        )
        log_change(
            actor=actor,
            action="transition",
            obj=measure,
            before=before,
            after=model_snapshot(measure),
            message=f"sanctions.measure_{decision}",
        )
        if measure.status == MeasureStatus.IN_FORCE:
            spec = cat.measure(applied)
            if spec.creates == "rectification_order":
                _order_issue(actor=actor, measure=measure, spec=spec, today=today)
            elif spec.creates == "referral":
                assert department is not None
                _referral_send(actor=actor, measure=measure, spec=spec, department=department, today=today)
        if not case.measures.filter(status=MeasureStatus.PROPOSED).exists():
            case_before = case.status
            _move(case, "decide")
            case.decided_at = timezone.now()
            _save(case)
            _step(case=case, actor=actor, action="case_decided", from_status=case_before, to_status=case.status)
        notify(
            recipients=users_with([case.agency], VIEW),
            title=_("失信惩戒决定：%(note)s") % {"note": note[:150]},
            body=reason,
            link=_link("sanctions:case_detail", case.number),
            category="sanctions.decision",
            email=True,
        )
    return measure


def _order_issue(*, actor: Any, measure: Measure, spec: policy.MeasureSpec, today: datetime.date) -> RectificationOrder:
    assert spec.deadline is not None
    case = measure.case
    deadline = add_period(today, spec.deadline.n, spec.deadline.unit, rule=spec.basis.number)
    order = RectificationOrder.objects.create(
        case=case,
        measure=measure,
        agency=case.agency,
        issued_on=today,
        deadline_rule={
            **spec.deadline.as_data(),
            "provisional": spec.deadline_provisional,
            "note": spec.deadline_note,
            "remind_before_working_days": spec.remind_before_working_days,
        },
        due_date=deadline.date,
        due_provisional=deadline.provisional,
        due_basis=deadline.basis[:300],
    )
    order.number = _number("ZG", order)
    order.save(update_fields=["number"])
    _step(
        case=case,
        order=order,
        actor=actor,
        action="order_issued",
        to_status=order.status,
        note=_("整改期限：%(date)s（%(basis)s）") % {"date": order.due_date.isoformat(), "basis": order.due_basis},
    )
    log_change(actor=actor, action="create", obj=order, after=model_snapshot(order), message="sanctions.order_issue")
    notify(
        recipients=users_with([case.agency], RESPOND),
        title=_("限期整改通知：请于%(date)s前书面说明原因并完成整改") % {"date": order.due_date.isoformat()},
        body=_("信用记录%(record)s。整改期限%(date)s。")
        % {"record": case.record.number, "date": order.due_date.isoformat()},
        link=_link("sanctions:order_detail", order.number),
        category="sanctions.order",
        email=True,
    )
    return order


def leader_at(agency: Agency, day: datetime.date) -> Any:
    """The body's responsible leader (AgencyLeader) whose term covers `day`, or None."""
    terms = [policy.Term(leader.pk, leader.term_start, leader.term_end) for leader in agency.leaders.all()]
    pk = policy.leader_on(terms, day)
    return agency.leaders.filter(pk=pk).first() if pk is not None else None


def _referral_send(
    *, actor: Any, measure: Measure, spec: policy.MeasureSpec, department: Agency, today: datetime.date
) -> Referral:
    case = measure.case
    record = case.record
    day, basis = policy.reference_date(record.conduct_date, record.decision_date)
    leader = leader_at(case.agency, day)
    due_rule = spec.outcome_due or policy.Duration(3, "month")
    due = add_period(today, due_rule.n, due_rule.unit, rule=spec.basis.number)
    referral = Referral.objects.create(
        case=case,
        measure=measure,
        agency=case.agency,
        department=department,
        leader=leader,
        leader_name=leader.name if leader else "",
        leader_position=leader.position if leader else "",
        reference_date=day,
        reference_basis=basis,
        sent_on=today,
        due_date=due.date,
        due_provisional=due.provisional or spec.outcome_due_provisional,
    )
    referral.number = _number("YS", referral)
    referral.save(update_fields=["number"])
    who = f"{leader.position} {leader.name}" if leader else _("（未登记该日期的主要负责人）")
    _step(
        case=case,
        referral=referral,
        actor=actor,
        action="referral_sent",
        to_status=referral.status,
        note=_("移送%(dept)s；%(date)s时的主要负责人：%(who)s")
        % {"dept": department.name, "date": day.isoformat(), "who": who},
    )
    log_change(
        actor=actor, action="create", obj=referral, after=model_snapshot(referral), message="sanctions.referral_send"
    )
    notify(
        recipients=users_with([department], RECORD_REFERRAL),
        title=_("移送追责：%(agency)s主要负责人") % {"agency": case.agency.name[:150]},
        body=_("请依法依规处理并于%(date)s前反馈结果。") % {"date": referral.due_date.isoformat()},
        link=_link("sanctions:referral_detail", referral.number),
        category="sanctions.referral",
        email=True,
    )
    return referral


# --- rectification orders --------------------------------------------------------------------------------------------
def order_submit_explanation(
    *, actor: Any, order: RectificationOrder, text: str, today: datetime.date | None = None
) -> RectificationOrder:
    """The body explains the dishonesty in writing (书面说明原因)."""
    errors: dict[str, str] = {}
    text = _text(text, "text", _("书面说明"), errors)
    _errors(errors)
    with transaction.atomic():
        order = RectificationOrder.objects.select_related("case", "agency").get(pk=order.pk)
        _require(may_respond(actor, order.agency))
        before = model_snapshot(order)
        previous = _move(order, "submit_explanation")
        order.explanation = text
        order.explained_on = _today(today)
        _save(order)
        _step(
            case=order.case,
            order=order,
            actor=actor,
            action="explained",
            from_status=previous,
            to_status=order.status,
            note=text,
        )
        log_change(
            actor=actor,
            action="transition",
            obj=order,
            before=before,
            after=model_snapshot(order),
            message="sanctions.order_explain",
        )
    return order


def order_submit_evidence(
    *, actor: Any, order: RectificationOrder, note: str, files: list[Any], today: datetime.date | None = None
) -> RectificationOrder:
    """The body submits its rectification and the evidence files (PDF/OFD/JPG/PNG, size-limited)."""
    errors: dict[str, str] = {}
    note = _text(note, "note", _("整改情况"), errors)
    checked: list[CheckedFile] = []
    if not files:
        errors["files"] = _("请上传整改证明材料")
    else:
        try:
            checked = check_uploads(files)
        except ValidationError as error:
            errors["files"] = "；".join(error.messages)
    _errors(errors)
    with transaction.atomic():
        order = RectificationOrder.objects.select_related("case", "agency").get(pk=order.pk)
        _require(may_respond(actor, order.agency))
        before = model_snapshot(order)
        previous = _move(order, "submit_evidence")
        order.evidence_note = note
        order.evidence_submitted_on = _today(today)
        order.rounds += 1
        _save(order)
        names = []
        for item in checked:
            evidence = RectificationEvidence(
                order=order,
                round=order.rounds,
                original_name=item.name,
                size=item.size,
                sha256=item.sha256,
                uploaded_by_name=_name(actor),
            )
            evidence.file.save("evidence", item.upload, save=False)
            evidence.save()
            names.append(f"{item.name} ({item.sha256[:12]})")
        _step(
            case=order.case,
            order=order,
            actor=actor,
            action="evidence",
            from_status=previous,
            to_status=order.status,
            note=f"{note}\n{'；'.join(names)}",
        )
        log_change(
            actor=actor,
            action="transition",
            obj=order,
            before=before,
            after={**model_snapshot(order), "files": names},
            message="sanctions.order_evidence",
        )
        notify(
            recipients=deciders_for(order.agency),
            title=_("整改材料待审核：%(agency)s") % {"agency": order.agency.name[:150]},
            link=_link("sanctions:order_detail", order.number),
            category="sanctions.order",
        )
    return order


def _order_review(
    *, actor: Any, order: RectificationOrder, note: str, accept: bool, today: datetime.date | None
) -> RectificationOrder:
    errors: dict[str, str] = {}
    note = _text(note, "note", _("审核意见"), errors, required=not accept)
    _errors(errors)
    with transaction.atomic():
        order = RectificationOrder.objects.select_related("case", "agency").get(pk=order.pk)
        _require(may_decide(actor, order.agency))
        before = model_snapshot(order)
        previous = _move(order, "accept" if accept else "send_back")
        order.review_note = note
        if accept:
            order.accepted_on = _today(today)
        _save(order)
        action = "accepted" if accept else "sent_back"
        _step(
            case=order.case,
            order=order,
            actor=actor,
            action=action,
            from_status=previous,
            to_status=order.status,
            note=note,
        )
        log_change(
            actor=actor,
            action="transition",
            obj=order,
            before=before,
            after=model_snapshot(order),
            message=f"sanctions.order_{action}",
        )
        title = _("整改已通过审核") if accept else _("整改材料被退回，请补充后重新提交")
        notify(
            recipients=users_with([order.agency], RESPOND),
            title=title,
            body=note,
            link=_link("sanctions:order_detail", order.number),
            category="sanctions.order",
            email=True,
        )
    return order


def order_accept(
    *, actor: Any, order: RectificationOrder, note: str = "", today: datetime.date | None = None
) -> RectificationOrder:
    """The credit office accepts the rectification."""
    return _order_review(actor=actor, order=order, note=note, accept=True, today=today)


def order_send_back(
    *, actor: Any, order: RectificationOrder, note: str, today: datetime.date | None = None
) -> RectificationOrder:
    """The credit office sends the evidence back (with reasons): the body submits again."""
    return _order_review(actor=actor, order=order, note=note, accept=False, today=today)


def order_recompute_provisional(*, year: int) -> int:
    """Recompute open orders' provisional deadlines once `year`'s holiday arrangement is entered."""
    changed = 0
    for order in RectificationOrder.objects.open().filter(due_provisional=True).select_related("case"):
        if not (order.issued_on.year <= year <= order.due_date.year):
            continue
        rule = order.deadline_rule
        deadline = add_period(order.issued_on, int(rule["n"]), str(rule["unit"]))
        if (deadline.date, deadline.provisional) == (order.due_date, order.due_provisional):
            continue
        with transaction.atomic():
            before = model_snapshot(order)
            RectificationOrder.objects.filter(pk=order.pk, due_date=order.due_date).update(
                due_date=deadline.date, due_provisional=deadline.provisional, due_basis=deadline.basis[:300]
            )
            order.refresh_from_db()
            _step(
                case=order.case,
                order=order,
                actor=None,
                action="deadline_recomputed",
                note=_("%(year)d年节假日安排已录入，整改期限重算为%(date)s")
                % {"year": year, "date": order.due_date.isoformat()},
            )
            log_change(
                actor=None,
                action="update",
                obj=order,
                before=before,
                after=model_snapshot(order),
                message="sanctions.order_deadline_recomputed",
            )
            changed += 1
    return changed


# --- referrals -------------------------------------------------------------------------------------------------------
def referral_receive(*, actor: Any, referral: Referral, today: datetime.date | None = None) -> Referral:
    """The discipline / organisation department acknowledges the referral."""
    with transaction.atomic():
        referral = Referral.objects.select_related("case", "department").get(pk=referral.pk)
        _require(may_record_referral(actor, referral))
        before = model_snapshot(referral)
        previous = _move(referral, "receive")
        referral.received_on = _today(today)
        _save(referral)
        _step(
            case=referral.case,
            referral=referral,
            actor=actor,
            action="referral_received",
            from_status=previous,
            to_status=referral.status,
        )
        log_change(
            actor=actor,
            action="transition",
            obj=referral,
            before=before,
            after=model_snapshot(referral),
            message="sanctions.referral_receive",
        )
    return referral


def referral_record_outcome(
    *,
    actor: Any,
    referral: Referral,
    outcome: str,
    text: str,
    reference: str = "",
    outcome_date: datetime.date,
    today: datetime.date | None = None,
) -> Referral:
    """The department records what it decided about the leader's accountability."""
    today = _today(today)
    errors: dict[str, str] = {}
    if outcome not in ReferralOutcome.values:
        errors["outcome"] = _("请选择处理结果")
    text = _text(text, "text", _("处理情况"), errors)
    reference = str(reference or "").strip()
    if len(reference) > 100:
        errors["reference"] = _("处理文号不能超过100个字")
    if outcome_date is None or outcome_date > today:
        errors["outcome_date"] = _("处理日期不能晚于今天")
    _errors(errors)
    with transaction.atomic():
        referral = Referral.objects.select_related("case", "department").get(pk=referral.pk)
        _require(may_record_referral(actor, referral))
        if outcome_date < referral.sent_on:
            _errors({"outcome_date": _("处理日期不能早于移送日期")})
        before = model_snapshot(referral)
        previous = _move(referral, "conclude")
        referral.outcome = outcome
        referral.outcome_text = text
        referral.outcome_reference = reference
        referral.outcome_date = outcome_date
        referral.concluded_on = today
        referral.recorded_by_name = _name(actor)
        _save(referral)
        _step(
            case=referral.case,
            referral=referral,
            actor=actor,
            action="referral_concluded",
            from_status=previous,
            to_status=referral.status,
            note=f"{ReferralOutcome(outcome).label} {reference}：{text}",
        )
        log_change(
            actor=actor,
            action="transition",
            obj=referral,
            before=before,
            after=model_snapshot(referral),
            message="sanctions.referral_outcome",
        )
        decider = referral.measure.decided_by
        notify(
            recipients=[decider] if decider else deciders_for(referral.agency),
            title=_("移送处理结果已反馈：%(agency)s") % {"agency": referral.agency.name[:150]},
            body=f"{ReferralOutcome(outcome).label}：{text}",
            link=_link("sanctions:referral_detail", referral.number),
            category="sanctions.referral",
        )
    return referral


# --- lifting (the record's later events) -----------------------------------------------------------------------------
LIFT_REASONS = {
    "record.repaired": _("信用记录已修复"),
    "record.revoked": _("信用记录已撤销"),
    "record.expired": _("信用记录公示期满"),
    "record.covered": _("经认定属于容错纠错情形"),
}
# Withdrawn also the referral: the conduct no longer counts (revoked) or is excused (covered). After a repair or the
# end of publicity the conduct did happen: accountability already referred stays with the department.
WITHDRAW_REFERRAL_ON = ("record.revoked", "record.covered")


def case_lift_for_record(*, record_id: int, event_name: str, today: datetime.date | None = None) -> SanctionCase | None:
    """Withdraw proposals, lift measures in force, withdraw open orders (and, for revoked/covered records,
    open referrals). Idempotent: a lifted case is left as it is."""
    today = _today(today)
    reason = str(LIFT_REASONS.get(event_name, event_name))
    with transaction.atomic():
        case = SanctionCase.objects.select_related("agency", "record").filter(record_id=record_id).first()
        if case is None or case.status == CaseStatus.LIFTED:
            return case
        before = model_snapshot(case)
        for measure in case.measures.filter(status__in=[MeasureStatus.PROPOSED, MeasureStatus.IN_FORCE]):
            previous = _move(measure, "withdraw" if measure.status == MeasureStatus.PROPOSED else "lift")
            measure.lifted_on = today
            measure.lift_reason = reason
            _save(measure)
        for order in case.orders.filter(status__in=OPEN_ORDER_STATUSES):
            previous = _move(order, "withdraw")
            order.review_note = reason
            _save(order)
            _step(
                case=case,
                order=order,
                actor=None,
                action="order_withdrawn",
                from_status=previous,
                to_status=order.status,
                note=reason,
            )
        if event_name in WITHDRAW_REFERRAL_ON:
            for referral in case.referrals.filter(status__in=OPEN_REFERRAL_STATUSES).select_related("department"):
                previous = _move(referral, "withdraw")
                _save(referral)
                _step(
                    case=case,
                    referral=referral,
                    actor=None,
                    action="referral_withdrawn",
                    from_status=previous,
                    to_status=referral.status,
                    note=reason,
                )
                notify(
                    recipients=users_with([referral.department], RECORD_REFERRAL),
                    title=_("移送已撤回：%(agency)s") % {"agency": case.agency.name[:150]},
                    body=str(reason),
                    link=_link("sanctions:referral_detail", referral.number),
                    category="sanctions.referral",
                )
        previous_case = _move(case, "lift")
        case.lift_reason = reason
        case.lifted_at = timezone.now()
        _save(case)
        _step(case=case, actor=None, action="lifted", from_status=previous_case, to_status=case.status, note=reason)
        log_change(
            actor=None,
            action="transition",
            obj=case,
            before=before,
            after=model_snapshot(case),
            message=f"sanctions.lift: {event_name}",
        )
        notify(
            recipients=users_with([case.agency], VIEW),
            title=_("失信惩戒措施已解除：%(reason)s") % {"reason": reason},
            link=_link("sanctions:case_detail", case.number),
            category="sanctions.decision",
        )
    return case


# --- incentives ------------------------------------------------------------------------------------------------------
def incentives_grant_for_record(*, record_id: int, today: datetime.date | None = None) -> list[Incentive]:
    """Give the catalog's incentives for a commendation record in force (idempotent per record and incentive)."""
    today = _today(today)
    record = CreditRecord.objects.filter(pk=record_id).first()
    if record is None or record.status != RecordStatus.IN_FORCE or record.record_class not in POSITIVE_CLASSES:
        return []
    if record.subject_kind not in (SubjectKind.AGENCY, SubjectKind.CIVIL_SERVANT):
        return []
    specs = policy.incentives_for_record(
        policy.catalog(),
        subject_kind=record.subject_kind,
        record_class=record.record_class,
        sub_type=record.sub_type,
        on=today,
    )
    existing = set(Incentive.objects.filter(record=record).values_list("code", flat=True))
    new = [s for s in specs if s.code not in existing]
    if not new:
        return []
    with transaction.atomic():
        try:
            with transaction.atomic():
                created = Incentive.objects.bulk_create(
                    [
                        Incentive(
                            record=record,
                            code=spec.code,
                            agency=record.agency,
                            civil_servant=record.civil_servant,
                            basis=spec.basis.as_data(),
                            provisional=spec.provisional,
                            granted_on=today,
                        )
                        for spec in new
                    ]
                )
        except IntegrityError:  # a concurrent delivery granted them
            return []
        log_change(
            actor=None,
            action="create",
            object_type="sanctions.incentive",
            object_id=str(record.pk),
            object_repr=record.number,
            after={"record": record.number, "incentives": [s.code for s in new]},
            message="sanctions.incentives_grant",
        )
    return created


def incentives_lift_for_record(*, record_id: int, event_name: str, today: datetime.date | None = None) -> int:
    today = _today(today)
    reason = str(LIFT_REASONS.get(event_name, event_name))
    with transaction.atomic():
        count = Incentive.objects.filter(record_id=record_id, status=IncentiveStatus.IN_FORCE).update(
            status=IncentiveStatus.LIFTED, lifted_on=today, lift_reason=reason
        )
        if count:
            log_change(
                actor=None,
                action="transition",
                object_type="sanctions.incentive",
                object_id=str(record_id),
                object_repr=str(record_id),
                after={"lifted": count, "reason": reason},
                message=f"sanctions.incentives_lift: {event_name}",
            )
    return count
