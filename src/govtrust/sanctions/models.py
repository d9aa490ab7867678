"""Sanction cases (失信惩戒), their proposed and decided measures, rectification orders (限期整改), referrals for
the accountability of the responsible leader (移送), incentives (守信激励) and each workflow's timeline.

Every state field is a django-fsm-2 `FSMField` on a `ConcurrentTransitionMixin` model: a save is a conditional
UPDATE on the old state, so two officers deciding the same measure at once cannot both succeed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from govtrust.records.models import CreditRecord
from govtrust.registry.models import Agency, AgencyLeader, CivilServant, agency_scope_q


def _scoped(qs: Any, user: Any, action: str, prefix: str) -> Any:
    q = agency_scope_q(user, action, prefix)
    return qs.none() if q is None else qs.filter(q)


# --- cases ----------------------------------------------------------------------------------------------------------
class CaseStatus(models.TextChoices):
    PENDING = "pending", _("待决定")
    DECIDED = "decided", _("已决定")
    LIFTED = "lifted", _("已解除")


class SanctionCaseQuerySet(models.QuerySet["SanctionCase"]):
    def visible_to(self, user: Any, action: str = "sanctions.view") -> SanctionCaseQuerySet:
        return _scoped(self, user, action, "agency__")  # type: ignore[no-any-return]


class SanctionCase(ConcurrentTransitionMixin, models.Model):
    """The sanction case of one dishonesty record of a government body: the measures the rules proposed and
    what an officer decided about each."""

    number = models.CharField(_("案件编号"), max_length=20, unique=True, null=True, editable=False)
    record = models.OneToOneField(
        CreditRecord, verbose_name=_("信用记录"), on_delete=models.PROTECT, related_name="sanction_case"
    )
    agency = models.ForeignKey(Agency, verbose_name=_("失信主体"), on_delete=models.PROTECT, related_name="+")
    status = FSMField(_("状态"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.PENDING)
    rule_id = models.CharField(_("建议规则"), max_length=60)
    rule_provisional = models.BooleanField(_("规则暂定"), default=False)
    proposed_on = models.DateField(_("建议日期"))
    source_event_id = models.BigIntegerField(_("来源事件"), null=True, blank=True)
    mitigation_grounds = models.JSONField(_("从轻或免于惩戒情形"), default=list, blank=True)
    mitigation_note = models.TextField(_("从轻或免于惩戒说明"), blank=True)
    mitigation_by_name = models.CharField(_("登记人"), max_length=150, blank=True)
    mitigation_at = models.DateTimeField(_("登记时间"), null=True, blank=True)
    lift_reason = models.TextField(_("解除原因"), blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    lifted_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = SanctionCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("失信惩戒案件")
        verbose_name_plural = _("失信惩戒案件")
        indexes = [models.Index(fields=["agency", "status"], name="sanctioncase_agency_status")]

    def __str__(self) -> str:
        return self.number or f"case {self.pk}"

    @transition(field=status, source=CaseStatus.PENDING, target=CaseStatus.DECIDED)
    def decide(self) -> None:
        pass

    @transition(field=status, source=[CaseStatus.PENDING, CaseStatus.DECIDED], target=CaseStatus.LIFTED)
    def lift(self) -> None:
        pass


class MeasureStatus(models.TextChoices):
    PROPOSED = "proposed", _("建议（待决定）")
    IN_FORCE = "in_force", _("实施中")
    DECLINED = "declined", _("不予采取")
    WITHDRAWN = "withdrawn", _("建议已撤回")
    LIFTED = "lifted", _("已解除")


class MeasureQuerySet(models.QuerySet["Measure"]):
    def visible_to(self, user: Any, action: str = "sanctions.view") -> MeasureQuerySet:
        return _scoped(self, user, action, "case__agency__")  # type: ignore[no-any-return]

    def in_force(self) -> MeasureQuerySet:
        return self.filter(status=MeasureStatus.IN_FORCE)


class Measure(ConcurrentTransitionMixin, models.Model):
    """One measure of a case: proposed by a rule, then confirmed, changed or declined by an officer."""

    case = models.ForeignKey(SanctionCase, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="measures")
    code = models.CharField(_("建议措施"), max_length=40)
    applied_code = models.CharField(_("实施措施"), max_length=40, blank=True)
    status = FSMField(_("状态"), max_length=10, choices=MeasureStatus.choices, default=MeasureStatus.PROPOSED)
    basis = models.JSONField(_("依据"), default=dict)
    provisional = models.BooleanField(_("暂定"), default=False)
    decision = models.CharField(_("决定"), max_length=10, blank=True)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    mitigated = models.BooleanField(_("从轻或免于惩戒"), default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("决定人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    decided_by_name = models.CharField(_("决定人"), max_length=150, blank=True)
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    lifted_on = models.DateField(_("解除日期"), null=True, blank=True)
    lift_reason = models.TextField(_("解除原因"), blank=True)

    objects = MeasureQuerySet.as_manager()

    class Meta:
        ordering = ["case", "pk"]
        verbose_name = _("惩戒措施")
        verbose_name_plural = _("惩戒措施")
        # One proposal of a measure per case: a second delivery of the same event cannot add another.
        constraints = [models.UniqueConstraint(fields=["case", "code"], name="measure_unique_per_case")]
        indexes = [models.Index(fields=["status", "applied_code"], name="measure_status_code")]

    def __str__(self) -> str:
        return f"{self.case} {self.applied_code or self.code}"

    @transition(field=status, source=MeasureStatus.PROPOSED, target=MeasureStatus.IN_FORCE)
    def apply(self) -> None:
        pass

    @transition(field=status, source=MeasureStatus.PROPOSED, target=MeasureStatus.DECLINED)
    def decline(self) -> None:
        pass

    @transition(field=status, source=MeasureStatus.PROPOSED, target=MeasureStatus.WITHDRAWN)
    def withdraw(self) -> None:
        pass

    @transition(field=status, source=MeasureStatus.IN_FORCE, target=MeasureStatus.LIFTED)
    def lift(self) -> None:
        pass


# --- rectification orders -------------------------------------------------------------------------------------------
class OrderStatus(models.TextChoices):
    ISSUED = "issued", _("已下达，待书面说明")
    EXPLAINED = "explained", _("已书面说明，待提交整改材料")
    EVIDENCE_SUBMITTED = "evidence_submitted", _("已提交整改材料，待审核")
    SENT_BACK = "sent_back", _("退回补充整改材料")
    ACCEPTED = "accepted", _("整改通过")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_ORDER_STATUSES = (
    OrderStatus.ISSUED,
    OrderStatus.EXPLAINED,
    OrderStatus.EVIDENCE_SUBMITTED,
    OrderStatus.SENT_BACK,
)
# The body still has to act (the office's review time is not the body's delay).
BODY_TURN_STATUSES = (OrderStatus.ISSUED, OrderStatus.EXPLAINED, OrderStatus.SENT_BACK)


class RectificationOrderQuerySet(models.QuerySet["RectificationOrder"]):
    def visible_to(self, user: Any, action: str = "sanctions.view") -> RectificationOrderQuerySet:
        return _scoped(self, user, action, "agency__")  # type: ignore[no-any-return]

    def open(self) -> RectificationOrderQuerySet:
        return self.filter(status__in=OPEN_ORDER_STATUSES)


class RectificationOrder(ConcurrentTransitionMixin, models.Model):
    """限期整改: the body explains in writing and rectifies by the deadline; the credit office accepts or sends
    the evidence back. Reminders before the deadline; escalation to the superior body when overdue."""

    number = models.CharField(_("整改通知编号"), max_length=20, unique=True, null=True, editable=False)
    case = models.ForeignKey(SanctionCase, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="orders")
    measure = models.OneToOneField(Measure, verbose_name=_("措施"), on_delete=models.PROTECT, related_name="order")
    agency = models.ForeignKey(Agency, verbose_name=_("整改单位"), on_delete=models.PROTECT, related_name="+")
    status = FSMField(_("状态"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.ISSUED)
    issued_on = models.DateField(_("下达日期"))
    deadline_rule = models.JSONField(_("期限规则"), default=dict)
    due_date = models.DateField(_("整改期限"))
    due_provisional = models.BooleanField(_("期限暂定"), default=False)
    due_basis = models.CharField(_("期限依据"), max_length=300, blank=True)
    explanation = models.TextField(_("书面说明"), blank=True)
    explained_on = models.DateField(_("说明日期"), null=True, blank=True)
    evidence_note = models.TextField(_("整改情况"), blank=True)
    evidence_submitted_on = models.DateField(_("材料提交日期"), null=True, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)
    rounds = models.PositiveSmallIntegerField(_("提交次数"), default=0)
    accepted_on = models.DateField(_("通过日期"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        Agency, verbose_name=_("已报告上级单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalated_on = models.DateField(_("报告上级日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = RectificationOrderQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("限期整改通知")
        verbose_name_plural = _("限期整改通知")
        indexes = [models.Index(fields=["status", "due_date"], name="rectorder_status_due")]

    def __str__(self) -> str:
        return self.number or f"order {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ORDER_STATUSES

    @transition(field=status, source=OrderStatus.ISSUED, target=OrderStatus.EXPLAINED)
    def submit_explanation(self) -> None:
        pass

    @transition(
        field=status, source=[OrderStatus.EXPLAINED, OrderStatus.SENT_BACK], target=OrderStatus.EVIDENCE_SUBMITTED
    )
    def submit_evidence(self) -> None:
        pass

    @transition(field=status, source=OrderStatus.EVIDENCE_SUBMITTED, target=OrderStatus.ACCEPTED)
    def accept(self) -> None:
        pass

    @transition(field=status, source=OrderStatus.EVIDENCE_SUBMITTED, target=OrderStatus.SENT_BACK)
    def send_back(self) -> None:
        pass

    @transition(field=status, source=list(OPEN_ORDER_STATUSES), target=OrderStatus.WITHDRAWN)
    def withdraw(self) -> None:
        pass


def evidence_path(instance: RectificationEvidence, filename: str) -> str:
    # Never the uploaded name on disk: a random name keeps paths unguessable and free of hostile characters.
    import uuid

    return f"sanctions/evidence/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class RectificationEvidence(models.Model):
    """A file of rectification evidence (PDF, OFD or image), kept with its checksum."""

    order = models.ForeignKey(
        RectificationOrder, verbose_name=_("整改通知"), on_delete=models.PROTECT, related_name="evidence"
    )
    round = models.PositiveSmallIntegerField(_("提交轮次"))
    file = models.FileField(_("文件"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by_name = models.CharField(_("上传人"), max_length=150)
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        ordering = ["order", "round", "pk"]
        verbose_name = _("整改材料")
        verbose_name_plural = _("整改材料")

    def __str__(self) -> str:
        return self.original_name


# --- referrals ------------------------------------------------------------------------------------------------------
class ReferralStatus(models.TextChoices):
    SENT = "sent", _("已移送，待接收")
    RECEIVED = "received", _("已接收，办理中")
    CONCLUDED = "concluded", _("已反馈处理结果")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_REFERRAL_STATUSES = (ReferralStatus.SENT, ReferralStatus.RECEIVED)


class ReferralOutcome(models.TextChoices):
    HELD_ACCOUNTABLE = "held_accountable", _("已追究责任")
    NOT_ACCOUNTABLE = "not_accountable", _("经核查不予追究")
    OTHER = "other", _("其他处理")


class ReferralQuerySet(models.QuerySet["Referral"]):
    def visible_to(self, user: Any, action: str = "sanctions.view") -> ReferralQuerySet:
        """Referrals about a body in the user's scope, or sent to a department in it (for `referral.record`)."""
        parts = [
            q
            for q in (agency_scope_q(user, action, "agency__"), agency_scope_q(user, action, "department__"))
            if q is not None
        ]
        if not parts:
            return self.none()
        if any(not q for q in parts):
            return self
        return self.filter(parts[0] | parts[1] if len(parts) == 2 else parts[0])


class Referral(ConcurrentTransitionMixin, models.Model):
    """移送: accountability of the body's responsible leader at the date of the conduct, referred to the discipline
    or organisation department, whose outcome is recorded."""

    number = models.CharField(_("移送编号"), max_length=20, unique=True, null=True, editable=False)
    case = models.ForeignKey(SanctionCase, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="referrals")
    measure = models.OneToOneField(Measure, verbose_name=_("措施"), on_delete=models.PROTECT, related_name="referral")
    agency = models.ForeignKey(Agency, verbose_name=_("失信主体"), on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Agency, verbose_name=_("接收部门"), on_delete=models.PROTECT, related_name="received_referrals"
    )
    leader = models.ForeignKey(
        AgencyLeader, verbose_name=_("主要负责人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    leader_name = models.CharField(_("主要负责人"), max_length=50, blank=True)
    leader_position = models.CharField(_("职务"), max_length=100, blank=True)
    reference_date = models.DateField(_("认定负责人所依日期"))
    reference_basis = models.CharField(_("日期依据"), max_length=20)  # conduct_date | decision_date
    status = FSMField(_("状态"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.SENT)
    sent_on = models.DateField(_("移送日期"))
    due_date = models.DateField(_("反馈期限"))
    due_provisional = models.BooleanField(_("期限暂定"), default=False)
    received_on = models.DateField(_("接收日期"), null=True, blank=True)
    outcome = models.CharField(_("处理结果"), max_length=20, choices=ReferralOutcome.choices, blank=True)
    outcome_text = models.TextField(_("处理情况"), blank=True)
    outcome_reference = models.CharField(_("处理文号"), max_length=100, blank=True)
    outcome_date = models.DateField(_("处理日期"), null=True, blank=True)
    concluded_on = models.DateField(_("反馈日期"), null=True, blank=True)
    recorded_by_name = models.CharField(_("录入人"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_on", "-pk"]
        verbose_name = _("移送追责")
        verbose_name_plural = _("移送追责")

    def __str__(self) -> str:
        return self.number or f"referral {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REFERRAL_STATUSES

    @transition(field=status, source=ReferralStatus.SENT, target=ReferralStatus.RECEIVED)
    def receive(self) -> None:
        pass

    @transition(field=status, source=list(OPEN_REFERRAL_STATUSES), target=ReferralStatus.CONCLUDED)
    def conclude(self) -> None:
        pass

    @transition(field=status, source=list(OPEN_REFERRAL_STATUSES), target=ReferralStatus.WITHDRAWN)
    def withdraw(self) -> None:
        pass


# --- incentives -----------------------------------------------------------------------------------------------------
class IncentiveStatus(models.TextChoices):
    IN_FORCE = "in_force", _("有效")
    LIFTED = "lifted", _("已解除")


class IncentiveQuerySet(models.QuerySet["Incentive"]):
    def visible_to(self, user: Any, action: str = "sanctions.view") -> IncentiveQuerySet:
        parts = [
            q
            for q in (agency_scope_q(user, action, "agency__"), agency_scope_q(user, action, "civil_servant__agency__"))
            if q is not None
        ]
        if not parts:
            return self.none()
        if any(not q for q in parts):
            return self
        return self.filter(parts[0] | parts[1])


class Incentive(models.Model):
    """守信激励 given for a commendation record (表彰奖励 / 诚信标兵) from the incentive catalog."""

    record = models.ForeignKey(CreditRecord, verbose_name=_("信用记录"), on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("激励措施"), max_length=40)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    civil_servant = models.ForeignKey(CivilServant, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("状态"), max_length=10, choices=IncentiveStatus.choices, default=IncentiveStatus.IN_FORCE
    )
    basis = models.JSONField(_("依据"), default=dict)
    provisional = models.BooleanField(_("暂定"), default=False)
    granted_on = models.DateField(_("给予日期"))
    lifted_on = models.DateField(_("解除日期"), null=True, blank=True)
    lift_reason = models.TextField(_("解除原因"), blank=True)

    objects = IncentiveQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_on", "-pk"]
        verbose_name = _("守信激励")
        verbose_name_plural = _("守信激励")
        constraints = [
            models.UniqueConstraint(fields=["record", "code"], name="incentive_unique_per_record"),
            models.CheckConstraint(
                name="incentive_one_subject",
                condition=Q(agency__isnull=False, civil_servant__isnull=True)
                | Q(agency__isnull=True, civil_servant__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} {self.code}"


# --- timeline and sent notices --------------------------------------------------------------------------------------
TIMELINE_ACTIONS = {
    "proposed": _("规则提出惩戒建议"),
    "mitigation": _("登记从轻或免于惩戒情形"),
    "decision": _("决定措施"),
    "case_decided": _("全部措施已决定"),
    "order_issued": _("下达限期整改通知"),
    "explained": _("提交书面说明"),
    "evidence": _("提交整改材料"),
    "accepted": _("整改通过"),
    "sent_back": _("退回补充"),
    "reminded": _("到期前提醒"),
    "escalated": _("超期报告上级"),
    "deadline_recomputed": _("重算期限"),
    "order_withdrawn": _("撤回整改通知"),
    "referral_sent": _("移送"),
    "referral_received": _("接收移送"),
    "referral_concluded": _("反馈处理结果"),
    "referral_overdue": _("移送反馈超期"),
    "referral_withdrawn": _("撤回移送"),
    "lifted": _("解除"),
}
STATUS_LABELS: dict[str, Any] = {
    **dict(CaseStatus.choices),
    **dict(MeasureStatus.choices),
    **dict(OrderStatus.choices),
    **dict(ReferralStatus.choices),
}


class TimelineEntry(models.Model):
    """One step of a workflow as users see it (the audit trail keeps the full before/after)."""

    case = models.ForeignKey(SanctionCase, on_delete=models.CASCADE, related_name="timeline")
    order = models.ForeignKey(
        RectificationOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="timeline"
    )
    referral = models.ForeignKey(Referral, null=True, blank=True, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("时间"), default=timezone.now)
    actor_name = models.CharField(_("操作人"), max_length=150)
    action = models.CharField(_("事项"), max_length=40)
    from_status = models.CharField(_("原状态"), max_length=20, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("办理过程")
        verbose_name_plural = _("办理过程")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    @property
    def action_label(self) -> str:
        return str(TIMELINE_ACTIONS.get(self.action, self.action))

    @property
    def from_label(self) -> str:
        return str(STATUS_LABELS.get(self.from_status, self.from_status))

    @property
    def to_label(self) -> str:
        return str(STATUS_LABELS.get(self.to_status, self.to_status))


class NoticeSent(models.Model):
    """A reminder, escalation or digest already sent: its key makes the sweep idempotent."""

    key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("已发送提醒")
        verbose_name_plural = _("已发送提醒")

    def __str__(self) -> str:
        return self.key
