"""Credit records (信用记录), their versions, rule overrides, fault-tolerance rulings and the number counter.

Only government bodies' records are ever published: `CreditRecordQuerySet.published()` is the one query the
portal and open data may use, and it filters on `subject_kind = agency` before anything else.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from govtrust.core.models import TypedStagedRow
from govtrust.records.policy import DISHONESTY_CLASSES, RecordClass, Severity
from govtrust.registry.models import Agency, CivilServant, Enterprise, Person, agency_scope_q


class SubjectKind(models.TextChoices):
    AGENCY = "agency", _("政府部门")
    CIVIL_SERVANT = "civil_servant", _("公务员")
    PERSON = "person", _("自然人")
    ENTERPRISE = "enterprise", _("企业")


SUBJECT_FIELDS = {
    SubjectKind.AGENCY: "agency",
    SubjectKind.CIVIL_SERVANT: "civil_servant",
    SubjectKind.PERSON: "person",
    SubjectKind.ENTERPRISE: "enterprise",
}


class RecordStatus(models.TextChoices):
    RECEIVED = "received", _("已接收")
    IN_FORCE = "in_force", _("公示中")
    PUBLICITY_ENDED = "publicity_ended", _("公示期满")
    REPAIRED = "repaired", _("已修复")
    REVOKED = "revoked", _("已撤销")


class Source(models.TextChoices):
    IMPORT = "import", _("批量导入")
    API = "api", _("接口报送")
    CONSOLE = "console", _("工作台录入")
    FEED = "feed", _("共享交换")


def _scope(user: Any, action: str) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False) or not hasattr(user, "data_scope"):
        return None
    scope = user.data_scope(action)
    return str(scope) if scope is not None else None


def subject_scope_q(user: Any, action: str, prefix: str = "") -> Q | None:
    """Records (or rulings, via `prefix`) whose subject lies in the user's scope; None for nothing."""
    scope = _scope(user, action)
    if scope is None:
        return None
    if scope == "all":
        return Q()
    parts = []
    for q in (
        agency_scope_q(user, action, f"{prefix}agency__"),
        agency_scope_q(user, action, f"{prefix}civil_servant__agency__"),
    ):
        if q is not None:
            parts.append(q)
    agency = getattr(user, "agency", None)
    if agency is not None and scope in ("unit_and_below", "unit") and prefix == "":
        region = agency.region
        if scope == "unit":
            parts.append(Q(enterprise__region=region))
        else:
            parts.append(Q(**{f"enterprise__region__{region.ancestor_field()}": region.code}))
    if not parts:
        return None
    combined = parts[0]
    for q in parts[1:]:
        combined |= q
    return combined


def _either(first: Q | None, second: Q | None) -> Q:
    """OR of two scope filters where None means "nothing" and Q() means "everything".

    Careful: an empty Q() is falsy, so `q or fallback` would turn "everything" into "nothing".
    """
    parts = [q for q in (first, second) if q is not None]
    if not parts:
        return Q(pk__in=[])
    if any(not q for q in parts):  # Q() — the user sees everything
        return Q()
    return parts[0] | parts[1] if len(parts) == 2 else parts[0]


# The partial unique index of current records' natural keys (every new record enters it).
CURRENT_NATURAL_KEY = "creditrecord_current_natural_key"


class CreditRecordQuerySet(models.QuerySet["CreditRecord"]):
    def published(self, today: datetime.date | None = None) -> CreditRecordQuerySet:
        """What may be shown to the public: government bodies' dishonesty records inside their window.

        Never a record about a civil servant, a person or an enterprise; never one covered by a fault-tolerance
        ruling, repaired, revoked, not yet started, past its maximum end, or marked not to be published.
        """
        today = today or timezone.localdate()
        return self.filter(
            Q(publicity_max_end__isnull=True) | Q(publicity_max_end__gte=today),
            subject_kind=SubjectKind.AGENCY,
            agency__isnull=False,
            record_class__in=sorted(DISHONESTY_CLASSES),
            status=RecordStatus.IN_FORCE,
            publish=True,
            publicity_start__lte=today,
            covered_by__isnull=True,
        )

    def dishonesty(self) -> CreditRecordQuerySet:
        """Counted as dishonesty (for measures and evaluations): in force, a dishonesty class, not covered."""
        return self.filter(
            record_class__in=sorted(DISHONESTY_CLASSES), status=RecordStatus.IN_FORCE, covered_by__isnull=True
        )

    def visible_to(self, user: Any, action: str = "records.view") -> CreditRecordQuerySet:
        """Records whose subject is in the user's scope, or that the user's own unit (or units below) supplied."""
        q = subject_scope_q(user, action)
        supplier_q = agency_scope_q(user, action, "supplier__") if _scope(user, action) else None
        return self.filter(_either(q, supplier_q))


class CreditRecord(ConcurrentTransitionMixin, models.Model):
    """One credit record about one subject. Corrections keep the previous values in `CreditRecordVersion`."""

    number = models.CharField(_("记录编号"), max_length=20, unique=True, editable=False)
    # --- subject: exactly one of the four, and subject_kind says which (DB check constraint) ---
    subject_kind = models.CharField(_("主体类型"), max_length=20, choices=SubjectKind.choices)
    # Indexed by `creditrecord_agency_public` in Meta, whose prefix serves every look-up by body.
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("政府部门"),
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="credit_records",
    )
    # The three other subject FKs are indexed only where set (partial indexes in Meta): most records are about
    # government bodies, and a full index would carry one NULL entry per such record.
    civil_servant = models.ForeignKey(
        CivilServant,
        verbose_name=_("公务员"),
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="credit_records",
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("自然人"),
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="credit_records",
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("企业"),
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="credit_records",
    )
    subject_name = models.CharField(_("主体名称"), max_length=200)  # searched by `contains`: no B-tree helps
    # --- what was decided ---
    record_class = models.CharField(_("记录类别"), max_length=20, choices=RecordClass.choices)
    sub_type = models.CharField(_("子类"), max_length=30, blank=True)
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices, blank=True)
    document_number = models.CharField(_("决定书文号"), max_length=100)
    authority_name = models.CharField(_("决定机关"), max_length=200)
    authority_uscc = models.CharField(_("决定机关统一社会信用代码"), max_length=18)
    decision_date = models.DateField(_("决定日期"), db_index=True)
    conduct_date = models.DateField(_("行为发生日期"), null=True, blank=True)
    facts = models.TextField(_("事实"), blank=True)
    basis = models.TextField(_("依据"), blank=True)
    content = models.TextField(_("内容"), blank=True)
    amount_fine = models.DecimalField(_("罚款金额（万元）"), max_digits=14, decimal_places=6, null=True, blank=True)
    amount_confiscated = models.DecimalField(
        _("没收金额（万元）"), max_digits=14, decimal_places=6, null=True, blank=True
    )
    extension_years = models.PositiveSmallIntegerField(_("延长年数"), null=True, blank=True)
    # --- provenance ---
    # Indexed by the composite (supplier, decision_date) in Meta, whose prefix serves every supplier look-up.
    supplier = models.ForeignKey(
        Agency,
        verbose_name=_("数据提供部门"),
        db_index=False,
        on_delete=models.PROTECT,
        related_name="supplied_records",
    )
    batch_number = models.CharField(_("批次号"), max_length=40, blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    source_row = models.PositiveIntegerField(_("来源行号"), null=True, blank=True)
    source_ref = models.CharField(_("来源标识"), max_length=200, blank=True)
    # --- lifecycle and publicity window ---
    status = FSMField(_("状态"), max_length=20, choices=RecordStatus.choices, default=RecordStatus.RECEIVED)
    publish = models.BooleanField(_("公示"), default=True)
    publicity_start = models.DateField(_("公示起始日"))
    publicity_min_end = models.DateField(_("最短公示期届满日"), null=True, blank=True)
    publicity_max_end = models.DateField(_("最长公示期届满日"), null=True, blank=True)
    rule_key = models.CharField(_("规则"), max_length=60)
    rule_version = models.CharField(_("规则版本"), max_length=40)
    rule_provisional = models.BooleanField(_("规则暂定"), default=False)
    natural_key = models.CharField(_("业务键"), max_length=400, editable=False)
    version = models.PositiveIntegerField(_("版本"), default=1)
    covered_by = models.ForeignKey(
        "FaultToleranceRuling",
        verbose_name=_("容错认定"),
        null=True,
        blank=True,
        db_index=False,  # partial index in Meta: almost every record is uncovered
        on_delete=models.PROTECT,
        related_name="covered_records",
    )
    status_reason = models.TextField(_("状态说明"), blank=True)
    status_reference = models.CharField(_("状态变更依据"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    objects = CreditRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-decision_date", "-id"]
        verbose_name = _("信用记录")
        verbose_name_plural = _("信用记录")
        constraints = [
            models.CheckConstraint(
                name="creditrecord_one_subject",
                condition=(
                    Q(
                        subject_kind="agency",
                        agency__isnull=False,
                        civil_servant__isnull=True,
                        person__isnull=True,
                        enterprise__isnull=True,
                    )
                    | Q(
                        subject_kind="civil_servant",
                        agency__isnull=True,
                        civil_servant__isnull=False,
                        person__isnull=True,
                        enterprise__isnull=True,
                    )
                    | Q(
                        subject_kind="person",
                        agency__isnull=True,
                        civil_servant__isnull=True,
                        person__isnull=False,
                        enterprise__isnull=True,
                    )
                    | Q(
                        subject_kind="enterprise",
                        agency__isnull=True,
                        civil_servant__isnull=True,
                        person__isnull=True,
                        enterprise__isnull=False,
                    )
                ),
            ),
            # A revoked record is no longer current: the same decision may be reported again afterwards.
            models.UniqueConstraint(fields=["natural_key"], condition=~Q(status="revoked"), name=CURRENT_NATURAL_KEY),
        ]
        # Every index costs each of a million imported rows an insert: only what a query path needs (the list
        # with each one's query is in docs/records.md, "Indexes"). The partial unique index on `natural_key`
        # above also serves the current-record look-ups (they exclude revoked records, as its condition does).
        indexes = [
            # A body's published records (its public page, the search results' counts) from the index alone: it
            # holds every column `published()` tests and the list's order. Equality on body and status plus the
            # range on publicity_start also makes SQLite's planner (no statistics) prefer it to status_start.
            models.Index(
                fields=[
                    "agency",
                    "status",
                    "publicity_start",
                    "publicity_max_end",
                    "decision_date",
                    "record_class",
                    "publish",
                    "covered_by",
                    "subject_kind",
                ],
                name="creditrecord_agency_public",
            ),
            models.Index(fields=["status", "publicity_start"], name="creditrecord_status_start"),
            models.Index(fields=["status", "publicity_max_end"], name="creditrecord_status_max_end"),
            models.Index(fields=["supplier", "decision_date"], name="creditrecord_supplier_date"),
            models.Index(
                fields=["civil_servant"], condition=Q(civil_servant__isnull=False), name="creditrecord_civil_servant"
            ),
            models.Index(fields=["person"], condition=Q(person__isnull=False), name="creditrecord_person"),
            models.Index(fields=["enterprise"], condition=Q(enterprise__isnull=False), name="creditrecord_enterprise"),
            models.Index(fields=["covered_by"], condition=Q(covered_by__isnull=False), name="creditrecord_covered_by"),
            # The feed finds its own copy by the source's record number.
            models.Index(fields=["source_ref"], condition=Q(source="feed"), name="creditrecord_feed_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject_name}"

    @property
    def subject(self) -> Any:
        return getattr(self, SUBJECT_FIELDS[SubjectKind(self.subject_kind)])

    @property
    def is_dishonesty(self) -> bool:
        return self.record_class in DISHONESTY_CLASSES

    @property
    def is_personal(self) -> bool:
        return self.subject_kind in (SubjectKind.CIVIL_SERVANT, SubjectKind.PERSON)

    # --- transitions: called only from records.services, which save and audit ---
    @transition(field=status, source=RecordStatus.RECEIVED, target=RecordStatus.IN_FORCE)
    def start_publicity(self) -> None:
        pass

    @transition(field=status, source=RecordStatus.IN_FORCE, target=RecordStatus.PUBLICITY_ENDED)
    def end_publicity(self) -> None:
        pass

    @transition(
        field=status, source=[RecordStatus.IN_FORCE, RecordStatus.PUBLICITY_ENDED], target=RecordStatus.REPAIRED
    )
    def repair(self) -> None:
        pass

    @transition(
        field=status,
        source=[RecordStatus.RECEIVED, RecordStatus.IN_FORCE, RecordStatus.PUBLICITY_ENDED, RecordStatus.REPAIRED],
        target=RecordStatus.REVOKED,
    )
    def revoke(self) -> None:
        pass


class StagedRecord(TypedStagedRow):
    """A 新增 row of a credit-record import, staged insert-ready (the import kinds' set-based path).

    The same columns and types as `CreditRecord` (`records.services.STAGED_COLUMNS`), computed at staging by
    `record_insert_values`, plus when they were computed (`stamp`: the day and the rule-catalogue version —
    a window or status computed on another day or under another catalogue is stale) and whether the subject
    was identified by a legacy code. Subject columns are plain integers: the registry rows existed at staging,
    and publication checks the records' own foreign keys.
    """

    # Only registered government bodies' new records are staged here (`RecordKind._insert_values`): public by
    # policy, about no person, so their deletion after publication need not zero the freed pages.
    residue_is_public = True

    record_class = models.CharField(max_length=20)
    severity = models.CharField(max_length=10, blank=True)
    sub_type = models.CharField(max_length=30, blank=True)
    document_number = models.CharField(max_length=100)
    authority_name = models.CharField(max_length=200)
    authority_uscc = models.CharField(max_length=18)
    decision_date = models.DateField()
    conduct_date = models.DateField(null=True)
    facts = models.TextField(blank=True)
    basis = models.TextField(blank=True)
    content = models.TextField(blank=True)
    amount_fine = models.DecimalField(max_digits=14, decimal_places=6, null=True)
    amount_confiscated = models.DecimalField(max_digits=14, decimal_places=6, null=True)
    extension_years = models.PositiveSmallIntegerField(null=True)
    subject_kind = models.CharField(max_length=20)
    agency_id = models.BigIntegerField(null=True)
    civil_servant_id = models.BigIntegerField(null=True)
    person_id = models.BigIntegerField(null=True)
    enterprise_id = models.BigIntegerField(null=True)
    subject_name = models.CharField(max_length=200)
    source_row = models.PositiveIntegerField(null=True)
    source_ref = models.CharField(max_length=200, blank=True)
    publicity_start = models.DateField()
    publicity_min_end = models.DateField(null=True)
    publicity_max_end = models.DateField(null=True)
    publish = models.BooleanField(default=True)
    rule_key = models.CharField(max_length=60)
    rule_version = models.CharField(max_length=40)
    rule_provisional = models.BooleanField(default=False)
    status = models.CharField(max_length=20)
    stamp = models.CharField(max_length=80)
    legacy = models.BooleanField(default=False)

    class Meta(TypedStagedRow.Meta):
        pass


class CreditRecordVersion(models.Model):
    """The values a record had before one correction: who changed it, when, why."""

    record = models.ForeignKey(CreditRecord, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("版本"))
    data = models.JSONField(_("修改前的内容"))
    changed_fields = models.JSONField(_("修改的字段"), default=list)
    reason = models.TextField(_("原因"))
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    batch_number = models.CharField(_("批次号"), max_length=40, blank=True)
    actor_pk = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(_("操作人"), max_length=150)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        ordering = ["record", "-version"]
        verbose_name = _("信用记录历史版本")
        verbose_name_plural = _("信用记录历史版本")
        constraints = [models.UniqueConstraint(fields=["record", "version"], name="creditrecordversion_unique")]

    def __str__(self) -> str:
        return f"{self.record_id} v{self.version}"


class RecordNumberCounter(models.Model):
    """The last record number handed out per year. Claimed by compare-and-set UPDATE (see services)."""

    year = models.PositiveIntegerField(unique=True)
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("记录编号计数器")
        verbose_name_plural = _("记录编号计数器")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class RuleOverride(models.Model):
    """An operator's version of a period rule; wins over the packaged rule for its validity dates."""

    rule_key = models.CharField(_("规则编号"), max_length=60)
    version = models.CharField(_("版本"), max_length=40)
    values = models.JSONField(_("取值"), null=True, blank=True)
    basis = models.TextField(_("依据（文件、文号、条款）"))
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    provisional = models.BooleanField(_("暂定"), default=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    entered_by_name = models.CharField(_("录入人"), max_length=150, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        ordering = ["rule_key", "effective_from"]
        verbose_name = _("规则覆盖")
        verbose_name_plural = _("规则覆盖")
        constraints = [models.UniqueConstraint(fields=["rule_key", "version"], name="ruleoverride_unique_version")]

    def __str__(self) -> str:
        return f"{self.rule_key}/{self.version}"


class RulingStatus(models.TextChoices):
    RECORDED = "recorded", _("已登记，待信用主管部门核对")
    IN_EFFECT = "in_effect", _("已核对，生效")
    REJECTED = "rejected", _("核对不通过")


class FaultToleranceRulingQuerySet(models.QuerySet["FaultToleranceRuling"]):
    def visible_to(self, user: Any, action: str = "fault_tolerance.manage") -> FaultToleranceRulingQuerySet:
        """Rulings whose subject, or whose deciding authority, lies in the user's scope for `action`."""
        q = subject_scope_q(user, action, "subject_")
        authority_q = agency_scope_q(user, action, "authority__") if _scope(user, action) else None
        return self.filter(_either(q, authority_q))


class FaultToleranceRuling(models.Model):
    """A 容错纠错 ruling by the competent discipline or organisation department, checked by the credit office.

    It covers a subject's conduct, named by document numbers, record natural keys and/or a conduct date
    range. A record it covers is not counted as dishonesty, not published and not sanctioned.
    """

    number = models.CharField(_("认定文号"), max_length=100, unique=True)
    authority = models.ForeignKey(
        Agency, verbose_name=_("认定机关"), on_delete=models.PROTECT, related_name="fault_tolerance_rulings"
    )
    decision_date = models.DateField(_("认定日期"))
    grounds = models.TextField(_("认定理由"))
    subject_kind = models.CharField(_("主体类型"), max_length=20, choices=SubjectKind.choices[:2])
    subject_agency = models.ForeignKey(
        Agency, verbose_name=_("政府部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_civil_servant = models.ForeignKey(
        CivilServant, verbose_name=_("公务员"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    conduct_description = models.TextField(_("所涉行为"))
    document_numbers = models.JSONField(_("所涉决定书文号"), default=list, blank=True)
    natural_keys = models.JSONField(_("所涉记录业务键"), default=list, blank=True)
    conduct_from = models.DateField(_("行为起始日期"), null=True, blank=True)
    conduct_to = models.DateField(_("行为截止日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=RulingStatus.choices, default=RulingStatus.RECORDED)
    check_reason = models.TextField(_("核对意见"), blank=True)
    checked_by_name = models.CharField(_("核对人"), max_length=150, blank=True)
    checked_at = models.DateTimeField(_("核对时间"), null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    entered_by_name = models.CharField(_("登记人"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    objects = FaultToleranceRulingQuerySet.as_manager()

    class Meta:
        ordering = ["-decision_date", "-id"]
        verbose_name = _("容错纠错认定")
        verbose_name_plural = _("容错纠错认定")
        constraints = [
            models.CheckConstraint(
                name="ruling_one_subject",
                condition=Q(subject_kind="agency", subject_agency__isnull=False, subject_civil_servant__isnull=True)
                | Q(subject_kind="civil_servant", subject_agency__isnull=True, subject_civil_servant__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def subject(self) -> Any:
        return self.subject_agency if self.subject_kind == SubjectKind.AGENCY else self.subject_civil_servant


# --- sharing: the change feed (see records/feed.py and docs/sharing.md) ---------------------------------------------
class ChangeType(models.TextChoices):
    CREATED = "created", _("新增")
    IN_FORCE = "in_force", _("开始公示")
    CORRECTED = "corrected", _("更正")
    REVOKED = "revoked", _("撤销")
    REPAIRED = "repaired", _("信用修复")
    EXPIRED = "expired", _("公示期满")
    COVERED = "covered", _("容错免责")


class RecordChange(models.Model):
    """One change to a credit record, written by the records services in the same transaction as the change.

    `seq` is the feed cursor. It is NOT the auto-increment id: ids are handed out at INSERT but become visible
    at COMMIT, so under concurrent writers id 11 can be visible before id 10 and a reader paging by id would
    skip 10 for ever. `seq` is stamped afterwards, only on committed rows, by `feed.feed_sequence()` holding the
    `FeedSequence` row lock, so a reader that sees seq N has every seq below N already visible.
    """

    record = models.ForeignKey(CreditRecord, on_delete=models.CASCADE, related_name="changes")
    change = models.CharField(_("变更类型"), max_length=12, choices=ChangeType.choices)
    version = models.PositiveIntegerField(_("版本"), default=1)
    status = models.CharField(_("状态"), max_length=20, choices=RecordStatus.choices)
    personal = models.BooleanField(_("涉及自然人"), default=False)
    seq = models.BigIntegerField(_("游标"), null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        ordering = ["seq", "id"]
        verbose_name = _("信用记录变更")
        verbose_name_plural = _("信用记录变更")
        indexes = [
            # The sequencer's work list: committed rows not yet stamped (few at any time).
            models.Index(fields=["id"], condition=Q(seq__isnull=True), name="recordchange_unsequenced"),
            models.Index(fields=["personal", "seq"], name="recordchange_personal_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.seq or '-'} {self.change} {self.record_id}"


class FeedSequence(models.Model):
    """The single row whose UPDATE serialises the feed sequencer; `last` is the highest seq handed out."""

    last = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("变更游标计数器")
        verbose_name_plural = _("变更游标计数器")

    def __str__(self) -> str:
        return str(self.last)


# --- coverage: bodies expected to report (see records/coverage.py) ---------------------------------------------------
class ExpectedSupplier(models.Model):
    """A body the credit office expects to report records every month, whether or not it ever has.

    Bodies that supplied anything in the last 12 months are expected anyway; this adds the silent ones.
    `record_classes` is a list of class codes ([] = any class). Written only by `coverage.expected_supplier_save`.
    """

    agency = models.OneToOneField(
        Agency, verbose_name=_("报送单位"), on_delete=models.PROTECT, related_name="expected_supplier"
    )
    record_classes = models.JSONField(_("应报送的记录类别"), default=list, blank=True)
    since = models.DateField(_("起始日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    entered_by_name = models.CharField(_("录入人"), max_length=150, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        ordering = ["agency__name"]
        verbose_name = _("应报送单位")
        verbose_name_plural = _("应报送单位")

    def __str__(self) -> str:
        return str(self.agency)
