"""Rights protection (信用权益保护): objections (异议), credit repair (信用修复), agent authorisations, attachments,
the transitions table (the timeline) and operator values for the deadline rules.

Writes happen only in `remedies.services`. Status changes are conditional UPDATEs on the status column (the
row count decides who won), never `select_for_update`, so they behave the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govtrust.accounts.models import subject_hash_of
from govtrust.records.models import CreditRecord
from govtrust.registry.models import Agency, agency_scope_q


class ObjectionStatus(models.TextChoices):
    FILED = "filed", _("已提交")
    ACCEPTED = "accepted", _("处理中")
    EXTENDED = "extended", _("处理中（已延期）")
    UPHELD = "upheld", _("异议成立")
    PARTLY_UPHELD = "partly_upheld", _("异议部分成立")
    REJECTED = "rejected", _("异议不成立")
    REVIEW_REQUESTED = "review_requested", _("复核中")
    REVIEW_MAINTAINED = "review_maintained", _("复核维持原决定")
    REVIEW_CHANGED = "review_changed", _("复核变更原决定")
    WITHDRAWN = "withdrawn", _("已撤回")


# While an objection is in one of these states its record carries the label 异议处理中.
OBJECTION_OPEN = (
    ObjectionStatus.FILED,
    ObjectionStatus.ACCEPTED,
    ObjectionStatus.EXTENDED,
    ObjectionStatus.REVIEW_REQUESTED,
)
# States in which the supplier still has to decide (its deadline runs).
OBJECTION_PENDING_DECISION = (ObjectionStatus.FILED, ObjectionStatus.ACCEPTED, ObjectionStatus.EXTENDED)


class RecordAction(models.TextChoices):
    NONE = "", _("不变更记录")
    CORRECT = "correct", _("更正记录")
    REVOKE = "revoke", _("撤销记录")


class RepairStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("审核中")
    APPROVED = "approved", _("准予修复")
    REJECTED = "rejected", _("不予修复")
    WITHDRAWN = "withdrawn", _("已撤回")


REPAIR_OPEN = (RepairStatus.SUBMITTED, RepairStatus.ACCEPTED)


# A case is about a recorded body, or (for a civil servant's or a person's record) about a person by ID hash.
ONE_SUBJECT = Q(subject__isnull=False, subject_hash="") | (Q(subject__isnull=True) & ~Q(subject_hash=""))


class CaseSubjectMixin:
    """Who a case is about, for display and for the checks in services."""

    subject: Agency | None
    subject_hash: str
    record: CreditRecord

    @property
    def is_personal(self) -> bool:
        return bool(self.subject_hash)

    @property
    def subject_display(self) -> str:
        return self.subject.name if self.subject is not None else self.record.subject_name


def handler_scope_q(user: Any, action: str, field: str) -> Q | None:
    """Rows whose handling body (`field`, an FK to Agency) lies in the user's scope for `action`."""
    return agency_scope_q(user, action, f"{field}__")


class ObjectionQuerySet(models.QuerySet["Objection"]):
    def open(self) -> ObjectionQuerySet:
        return self.filter(status__in=OBJECTION_OPEN)

    def open_record_ids(self, record_ids: Iterable[int] | None = None) -> set[int]:
        """Ids of the records (among `record_ids`, or all) that carry an open objection: label them 异议处理中.

        One indexed query on (status, record); pass the ids shown on a page to keep it small.
        """
        qs = self.open()
        if record_ids is not None:
            ids = list(record_ids)
            if not ids:
                return set()
            qs = qs.filter(record_id__in=ids)
        return set(qs.values_list("record_id", flat=True))

    def visible_to(self, user: Any, action: str = "remedies.view") -> ObjectionQuerySet:
        """The subject's own objections (a body's users; a person through their SubjectAccount), those filed as
        an agent, and those routed to a body in scope."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        parts = Q(filed_by=user)
        if getattr(user, "agency_id", None):
            parts |= Q(subject_id=user.agency_id)
        own = subject_hash_of(user)
        if own:  # a civil servant's or a person's own cases, through their verified identity link
            parts |= Q(subject_hash=own)
        for q in (handler_scope_q(user, action, "routed_to"), agency_scope_q(user, action, "subject__")):
            if q is not None:
                parts |= q
        return self.filter(parts)


class RepairQuerySet(models.QuerySet["RepairRequest"]):
    def open(self) -> RepairQuerySet:
        return self.filter(status__in=REPAIR_OPEN)

    def visible_to(self, user: Any, action: str = "remedies.view") -> RepairQuerySet:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        parts = Q(filed_by=user)
        if getattr(user, "agency_id", None):
            parts |= Q(subject_id=user.agency_id)
        own = subject_hash_of(user)
        if own:  # a civil servant's or a person's own cases, through their verified identity link
            parts |= Q(subject_hash=own)
        for q in (handler_scope_q(user, action, "handled_by"), agency_scope_q(user, action, "subject__")):
            if q is not None:
                parts |= q
        return self.filter(parts)


class AgentAuthorisation(models.Model):
    """A recorded body's written authorisation (授权委托书) for a user of another body to act for it.

    An agent may file and pursue objections and repair requests for the principal while the authorisation is
    valid (from `valid_from` through `valid_until`, not revoked).
    """

    principal = models.ForeignKey(
        Agency, verbose_name=_("委托单位"), on_delete=models.PROTECT, related_name="agent_authorisations"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受托人"),
        on_delete=models.PROTECT,
        related_name="agencies_represented",
    )
    reference = models.CharField(_("授权委托书编号"), max_length=100)
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("截止日期"), null=True, blank=True)
    note = models.CharField(_("委托事项"), max_length=200, blank=True)
    granted_by_name = models.CharField(_("登记人"), max_length=150)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by_name = models.CharField(_("撤销人"), max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("委托代理")
        verbose_name_plural = _("委托代理")
        indexes = [models.Index(fields=["agent", "principal"], name="remedies_agent_principal")]

    def __str__(self) -> str:
        return f"{self.reference} {self.principal}"

    def valid_on(self, day: datetime.date) -> bool:
        return (
            self.revoked_at is None and self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)
        )


class Objection(CaseSubjectMixin, models.Model):
    """An objection (异议) by a recorded body (or its agent), or by a civil servant or a person about their own
    record (through their verified SubjectAccount), against one credit record.

    Routed to the body that supplied the record; decided within a deadline in working days from the rule in
    force on the filing day (see rules/objection.json); the applicant may ask the provincial credit office
    for a review (复核).
    """

    number = models.CharField(_("异议编号"), max_length=20, unique=True)
    record = models.ForeignKey(CreditRecord, verbose_name=_("信用记录"), on_delete=models.PROTECT, related_name="+")
    # Exactly one of: the recorded body (`subject`), or — for a record about a civil servant or a person — the keyed
    # hash of that person's ID number (`subject_hash`), matched against the users' verified SubjectAccount.
    subject = models.ForeignKey(
        Agency, verbose_name=_("异议主体"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_hash = models.CharField(_("本人身份摘要"), max_length=64, blank=True, db_index=True, editable=False)
    routed_to = models.ForeignKey(Agency, verbose_name=_("办理单位"), on_delete=models.PROTECT, related_name="+")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.PROTECT, related_name="+"
    )
    filed_by_name = models.CharField(_("提交人"), max_length=150)
    agent_authorisation = models.ForeignKey(
        AgentAuthorisation, verbose_name=_("委托代理"), null=True, blank=True, on_delete=models.PROTECT
    )
    claim = models.TextField(_("异议内容"))
    requested_action = models.CharField(
        _("请求"), max_length=10, choices=RecordAction.choices, blank=True, default=RecordAction.CORRECT
    )
    status = models.CharField(_("状态"), max_length=20, choices=ObjectionStatus.choices, default=ObjectionStatus.FILED)
    filed_on = models.DateField(_("提交日期"))
    # --- deadline (from the rule in force on filed_on) ---
    rule_version = models.CharField(_("时限规则"), max_length=40)
    rule_basis = models.CharField(_("时限依据"), max_length=300)
    rule_provisional = models.BooleanField(_("规则暂定"), default=False)
    decide_days = models.PositiveSmallIntegerField(_("处理时限（工作日）"))
    extended_days = models.PositiveSmallIntegerField(_("延长后时限（工作日）"), null=True, blank=True)
    review_days = models.PositiveSmallIntegerField(_("复核时限（工作日）"), null=True, blank=True)
    due_on = models.DateField(_("办理期限"))
    due_provisional = models.BooleanField(_("期限暂定"), default=False)
    due_basis = models.CharField(_("期限说明"), max_length=500, blank=True)
    # --- handling ---
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    extended_on = models.DateField(_("延期日期"), null=True, blank=True)
    extension_reason = models.TextField(_("延期理由"), blank=True)
    extension_approval = models.CharField(_("延期批准文号"), max_length=100, blank=True)
    extension_approver = models.CharField(_("延期批准人"), max_length=100, blank=True)
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("决定人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    decided_by_name = models.CharField(_("决定人"), max_length=150, blank=True)
    decision_reasons = models.TextField(_("决定理由"), blank=True)
    record_action = models.CharField(_("对记录的处理"), max_length=10, choices=RecordAction.choices, blank=True)
    # --- review (复核) ---
    review_reasons = models.TextField(_("复核申请理由"), blank=True)
    review_requested_on = models.DateField(_("申请复核日期"), null=True, blank=True)
    review_due_on = models.DateField(_("复核期限"), null=True, blank=True)
    review_due_provisional = models.BooleanField(_("复核期限暂定"), default=False)
    reviewed_on = models.DateField(_("复核日期"), null=True, blank=True)
    reviewed_by_name = models.CharField(_("复核人"), max_length=150, blank=True)
    review_decision_reasons = models.TextField(_("复核意见"), blank=True)
    # --- reminders sent by the sweep (the deadline they were about, so a new deadline gets new reminders) ---
    reminded_for = models.DateField(null=True, blank=True)
    overdue_notified_for = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    objects = ObjectionQuerySet.as_manager()

    class Meta:
        ordering = ["-filed_on", "-pk"]
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        indexes = [
            models.Index(fields=["status", "record"], name="remedies_objection_open"),
            models.Index(fields=["routed_to", "status"], name="remedies_objection_routed"),
        ]
        constraints = [
            # One open objection per record, even when two are filed at the same moment.
            models.UniqueConstraint(
                fields=["record"], condition=Q(status__in=OBJECTION_OPEN), name="remedies_one_open_objection"
            ),
            models.CheckConstraint(name="remedies_objection_one_subject", condition=ONE_SUBJECT),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OBJECTION_OPEN

    @property
    def current_due(self) -> datetime.date | None:
        if self.status in OBJECTION_PENDING_DECISION:
            return self.due_on
        if self.status == ObjectionStatus.REVIEW_REQUESTED:
            return self.review_due_on
        return None


class RepairRequest(CaseSubjectMixin, models.Model):
    """An application for credit repair (信用修复) of one dishonesty record, with the credit pledge (信用承诺书).

    Handled by the authority that decided the record (谁认定谁修复) when it is a registered body, otherwise by
    the supplier; approval calls `records.services.record_repair`, which emits `record.repaired`.
    """

    number = models.CharField(_("修复申请编号"), max_length=20, unique=True)
    record = models.ForeignKey(CreditRecord, verbose_name=_("信用记录"), on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(
        Agency, verbose_name=_("申请主体"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_hash = models.CharField(_("本人身份摘要"), max_length=64, blank=True, db_index=True, editable=False)
    handled_by = models.ForeignKey(Agency, verbose_name=_("办理单位"), on_delete=models.PROTECT, related_name="+")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.PROTECT, related_name="+"
    )
    filed_by_name = models.CharField(_("提交人"), max_length=150)
    agent_authorisation = models.ForeignKey(
        AgentAuthorisation, verbose_name=_("委托代理"), null=True, blank=True, on_delete=models.PROTECT
    )
    corrective_actions = models.TextField(_("纠正失信行为情况"))
    obligations_performed = models.BooleanField(_("已履行法定义务"), default=False)
    pledge_text = models.TextField(_("信用承诺书内容"))
    pledge_confirmed = models.BooleanField(_("已确认信用承诺"), default=False)
    status = models.CharField(_("状态"), max_length=20, choices=RepairStatus.choices, default=RepairStatus.SUBMITTED)
    filed_on = models.DateField(_("提交日期"))
    eligible_from = models.DateField(_("可申请日期"))
    rule_version = models.CharField(_("时限规则"), max_length=40)
    rule_basis = models.CharField(_("时限依据"), max_length=300)
    decide_days = models.PositiveSmallIntegerField(_("办理时限（工作日）"))
    due_on = models.DateField(_("办理期限"))
    due_provisional = models.BooleanField(_("期限暂定"), default=False)
    due_basis = models.CharField(_("期限说明"), max_length=500, blank=True)
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    decided_by_name = models.CharField(_("决定人"), max_length=150, blank=True)
    decision_reference = models.CharField(_("修复决定文号"), max_length=100, blank=True)
    decision_reasons = models.TextField(_("决定理由"), blank=True)
    reminded_for = models.DateField(null=True, blank=True)
    overdue_notified_for = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    objects = RepairQuerySet.as_manager()

    class Meta:
        ordering = ["-filed_on", "-pk"]
        verbose_name = _("信用修复申请")
        verbose_name_plural = _("信用修复申请")
        indexes = [
            models.Index(fields=["status", "record"], name="remedies_repair_open"),
            models.Index(fields=["handled_by", "status"], name="remedies_repair_handler"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["record"], condition=Q(status__in=REPAIR_OPEN), name="remedies_one_open_repair"
            ),
            models.CheckConstraint(name="remedies_repair_one_subject", condition=ONE_SUBJECT),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in REPAIR_OPEN

    @property
    def current_due(self) -> datetime.date | None:
        return self.due_on if self.is_open else None


class Attachment(models.Model):
    """A file attached to an objection or a repair request. Stored under a generated name; the uploaded name is
    kept only for display. Type and size are checked by `core.uploads` before anything is written."""

    class Purpose(models.TextChoices):
        EVIDENCE = "evidence", _("证明材料")
        PLEDGE = "pledge", _("信用承诺书")

    objection = models.ForeignKey(
        Objection, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    repair = models.ForeignKey(
        RepairRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    purpose = models.CharField(_("类别"), max_length=10, choices=Purpose.choices, default=Purpose.EVIDENCE)
    file = models.FileField(_("文件"), upload_to="remedies/%Y/%m/", max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by_name = models.CharField(_("上传人"), max_length=150)
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        constraints = [
            models.CheckConstraint(
                name="remedies_attachment_one_parent",
                condition=Q(objection__isnull=False, repair__isnull=True)
                | Q(objection__isnull=True, repair__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.original_name


class Transition(models.Model):
    """One status change of an objection or a repair request: the timeline shown on its page."""

    class Kind(models.TextChoices):
        OBJECTION = "objection", _("异议")
        REPAIR = "repair", _("信用修复")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.BigIntegerField()
    from_status = models.CharField(_("原状态"), max_length=20, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20)
    actor_pk = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(_("操作人"), max_length=150)
    note = models.TextField(_("说明"), blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("办理过程")
        verbose_name_plural = _("办理过程")
        indexes = [models.Index(fields=["kind", "object_id"], name="remedies_transition_object")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} {self.from_status}→{self.to_status}"

    def _label(self, status: str) -> str:
        choices = ObjectionStatus if self.kind == self.Kind.OBJECTION else RepairStatus
        try:
            return str(choices(status).label)
        except ValueError:
            return status

    @property
    def from_label(self) -> str:
        return self._label(self.from_status) if self.from_status else ""

    @property
    def to_label(self) -> str:
        return self._label(self.to_status)


class NumberCounter(models.Model):
    """The last number handed out per prefix and year (YY2026000001, XF2026000001); compare-and-set UPDATE."""

    key = models.CharField(max_length=10, unique=True)
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("编号计数器")
        verbose_name_plural = _("编号计数器")

    def __str__(self) -> str:
        return f"{self.key}: {self.last}"


class RuleValues(models.Model):
    """An operator's values for a packaged rule version (e.g. the 苏政规〔2025〕4号 slot, shipped empty).

    Written only by `services.rule_values_save` (audited). Values map a key ("decide", "extended", "review")
    to a number of working days.
    """

    rule_key = models.CharField(_("规则编号"), max_length=60)
    version = models.CharField(_("版本"), max_length=40)
    values = models.JSONField(_("取值"))
    articles = models.CharField(_("条款"), max_length=200)
    provisional = models.BooleanField(_("暂定"), default=False)
    entered_by_name = models.CharField(_("录入人"), max_length=150)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        ordering = ["rule_key", "version"]
        verbose_name = _("时限规则取值")
        verbose_name_plural = _("时限规则取值")
        constraints = [models.UniqueConstraint(fields=["rule_key", "version"], name="remedies_rulevalues_unique")]

    def __str__(self) -> str:
        return f"{self.rule_key}/{self.version}"


class GuidanceSent(models.Model):
    """Marks a `record.in_force` / `records.batch_in_force` event whose repair guidance was sent (idempotency)."""

    event_id = models.BigIntegerField(unique=True)
    records = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("修复提示发送记录")
        verbose_name_plural = _("修复提示发送记录")

    def __str__(self) -> str:
        return str(self.event_id)


def records_under_objection(record_ids: Iterable[int] | None = None) -> set[int]:
    """Ids of records with an open objection (label them 异议处理中). The portal and archive call this."""
    return Objection.objects.open_record_ids(record_ids)
