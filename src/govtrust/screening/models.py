"""Watchlists (严重失信主体名单) that bidders are screened against, and their entries.

List codes ship with the platform (data migration 0002); an entry is what one list publishes about one
subject. Persons' ID numbers follow the registry's pattern (SM4 at rest, HMAC-SM3 look-up hash, masked
copy); a court-published masked number (3201**********1234) is kept as published, with the exact name.
An entry that is delisted, or whose list is switched off, stops matching at once: every hit of the matcher
is checked against `active` here before it is reported (`screening.index.live_keys`).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SubjectType(models.TextChoices):
    PERSON = "person", _("自然人")
    ORGANISATION = "organisation", _("法人及非法人组织")


class Feed(models.TextChoices):
    FILE = "file", _("文件导入")
    RECORDS = "records", _("平台信用记录")


class Watchlist(models.Model):
    code = models.CharField(_("名单代码"), max_length=20, unique=True)
    name = models.CharField(_("名单名称"), max_length=100)
    source = models.CharField(_("发布机关／来源"), max_length=200)
    basis = models.TextField(_("依据"))
    feed = models.CharField(_("数据来源方式"), max_length=10, choices=Feed.choices, default=Feed.FILE)
    active = models.BooleanField(_("启用"), default=True)
    # Bumped by every load or delisting: the in-process index is rebuilt when any version changes.
    version = models.PositiveIntegerField(_("版本"), default=0)
    loaded_at = models.DateTimeField(_("最近更新时间"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("比对名单")
        verbose_name_plural = _("比对名单")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class WatchlistEntry(models.Model):
    SECRET_FIELDS = ("id_number_encrypted", "id_number_hash")

    watchlist = models.ForeignKey(Watchlist, verbose_name=_("名单"), on_delete=models.PROTECT, related_name="entries")
    subject_type = models.CharField(_("主体类型"), max_length=20, choices=SubjectType.choices)
    name = models.CharField(_("名称／姓名"), max_length=200)
    name_normalised = models.CharField(_("规范化名称"), max_length=200, db_index=True, editable=False)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    org_code = models.CharField(_("组织机构代码"), max_length=9, blank=True, db_index=True)
    reg_number = models.CharField(_("注册号"), max_length=15, blank=True)
    id_number_encrypted = models.TextField(_("证件号码（密文）"), blank=True, editable=False)
    id_number_hash = models.CharField(_("证件号码检索摘要"), max_length=64, blank=True, db_index=True, editable=False)
    id_number_masked = models.CharField(_("证件号码（脱敏）"), max_length=18, blank=True)
    legal_representative = models.CharField(_("法定代表人或负责人"), max_length=50, blank=True)
    # --- as the court publishes a judgment defaulter (zxgk.court.gov.cn; china-credit-facts §4) ---
    court = models.CharField(_("执行法院"), max_length=100, blank=True)
    province = models.CharField(_("省份"), max_length=20, blank=True)
    case_number = models.CharField(_("案号"), max_length=100, blank=True)
    basis_document_number = models.CharField(_("执行依据文号"), max_length=200, blank=True)
    basis_unit = models.CharField(_("做出执行依据单位"), max_length=100, blank=True)
    filing_date = models.DateField(_("立案时间"), null=True, blank=True)
    duty = models.TextField(_("生效法律文书确定的义务"), blank=True)
    performance = models.CharField(_("被执行人的履行情况"), max_length=200, blank=True)
    conduct = models.TextField(_("失信被执行人行为具体情形"), blank=True)
    publish_date = models.DateField(_("发布时间"), null=True, blank=True)
    # --- generic ---
    region = models.CharField(_("地区"), max_length=100, blank=True)
    reason = models.TextField(_("列入事由"), blank=True)
    listed_on = models.DateField(_("列入日期"), null=True, blank=True)
    delisted_on = models.DateField(_("移出日期"), null=True, blank=True)
    active = models.BooleanField(_("有效"), default=True)
    # Identity within the list (identifier + case number): an incremental load updates or removes by it.
    natural_key = models.CharField(_("名单内标识"), max_length=200, editable=False)
    source_ref = models.CharField(_("来源编号"), max_length=100, blank=True)  # e.g. the credit record number
    batch_number = models.CharField(_("导入批次"), max_length=20, blank=True)
    source_row = models.PositiveIntegerField(_("来源行号"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # Indexed: the matcher's delta (entries changed since its snapshot) is read by it.
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta:
        ordering = ["watchlist", "name"]
        verbose_name = _("名单条目")
        verbose_name_plural = _("名单条目")
        constraints = [
            models.UniqueConstraint(fields=["watchlist", "natural_key"], name="watchlist_entry_unique_key"),
        ]
        indexes = [models.Index(fields=["watchlist", "active"], name="watchlist_entry_active")]

    def __str__(self) -> str:
        return f"{self.watchlist.code} {self.name}"


class Decision(models.TextChoices):
    INTERCEPT = "intercept", _("拦截")
    REVIEW = "review", _("人工复核")
    PASS = "pass", _("通过")


class ScreeningQuerySet(models.QuerySet["Screening"]):
    def visible_to(self, user: Any, action: str = "screening.view") -> ScreeningQuerySet:
        """Screenings a credit office supervises: every one with scope "all"; otherwise those made by the
        API clients (bidding platforms) of the bodies in the user's scope. File screenings (`govtrust
        screen`, no client) only with scope "all"."""
        from govtrust.accounts.models import ApiClient
        from govtrust.registry.models import agency_scope_q

        q = agency_scope_q(user, action, "agency__") if getattr(user, "is_authenticated", False) else None
        if q is None:
            return self.none()
        if q == Q():
            return self.all()
        return self.filter(api_client_pk__in=ApiClient.objects.filter(q).values("pk"))


class Screening(models.Model):
    """One subject screened once: who asked (platform), when, what was asked, what came back.

    Stored for every check (API and file), so the credit office can supervise interceptions and the 人工复核
    queue. The input keeps a person's ID number only as its look-up hash and masked form, never in clear.
    An override (a reviewer's decision on a `review`, or on a contested `intercept`) is kept beside the
    original decision, with its reason, reviewer and time.
    """

    platform = models.CharField(_("调用平台"), max_length=100, db_index=True)
    api_client_pk = models.BigIntegerField(_("接口客户端编号"), null=True, blank=True)
    channel = models.CharField(_("渠道"), max_length=10, default="api")  # api / file
    request_id = models.CharField(_("请求编号"), max_length=40, db_index=True)
    created_at = models.DateTimeField(_("比对时间"), db_index=True)
    ref = models.CharField(_("调用方编号"), max_length=100, blank=True)
    subject_name = models.CharField(_("名称／姓名"), max_length=200, blank=True)
    subject_uscc = models.CharField(_("统一社会信用代码"), max_length=40, blank=True)
    subject_id_hash = models.CharField(_("证件号码检索摘要"), max_length=64, blank=True)
    subject_id_masked = models.CharField(_("证件号码（脱敏）"), max_length=18, blank=True)
    excluded = models.JSONField(_("排除的名单条目"), default=list, blank=True)
    decision = models.CharField(_("比对结论"), max_length=10, choices=Decision.choices, db_index=True)
    score = models.FloatField(_("得分"), default=0)
    list_code = models.CharField(_("命中名单"), max_length=20, blank=True, db_index=True)
    hits = models.JSONField(_("命中及说明"), default=list, blank=True)
    list_versions = models.JSONField(_("名单版本"), default=dict, blank=True)
    rules_version = models.CharField(_("规则版本"), max_length=20)
    override_decision = models.CharField(_("复核结论"), max_length=10, choices=Decision.choices, blank=True)
    override_reason = models.TextField(_("复核理由"), blank=True)
    overridden_by = models.CharField(_("复核人"), max_length=150, blank=True)
    overridden_at = models.DateTimeField(_("复核时间"), null=True, blank=True)

    objects = ScreeningQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("比对记录")
        verbose_name_plural = _("比对记录")
        indexes = [models.Index(fields=["decision", "override_decision", "created_at"], name="screening_queue")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.ref} {self.decision}"

    @property
    def final_decision(self) -> str:
        return self.override_decision or self.decision


class IndexSnapshot(models.Model):
    """A snapshot of the matcher's index on disk (var/screening/<name>/, one .npy per array), published
    once its files are complete. The newest row is the one every worker maps; the row lives in the same
    database as the entries, so a snapshot is never used against a database it was not built from.

    Entries added or changed since `built_from` (or above `max_entry_id`) form the delta each worker
    builds in memory; delisted ones are filtered by the live status check."""

    name = models.CharField(_("快照目录"), max_length=100, unique=True)
    built_from = models.DateTimeField(_("读取开始时间"))
    max_entry_id = models.BigIntegerField(_("最大条目编号"))
    entries = models.PositiveIntegerField(_("条目数"))
    size_bytes = models.BigIntegerField(_("文件大小（字节）"), default=0)
    build_seconds = models.FloatField(_("构建用时（秒）"), default=0)
    rules_version = models.CharField(_("规则版本"), max_length=20)
    created_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("比对索引快照")
        verbose_name_plural = _("比对索引快照")

    def __str__(self) -> str:
        return self.name


class PledgeStatus(models.TextChoices):
    PLEDGED = "pledged", _("已承诺")
    FULFILLED = "fulfilled", _("已履行")
    BREACHED = "breached", _("违反承诺")
    WITHDRAWN = "withdrawn", _("已撤回")


class PledgeKindChoice(models.TextChoices):
    # Same codes as screening.pledge_policy.KINDS (the basis of each lives there).
    BID = "bid", _("投标信用承诺")
    REPAIR = "repair", _("信用修复信用承诺")
    OTHER = "other", _("其他信用承诺")


class PledgeQuerySet(models.QuerySet["Pledge"]):
    def visible_to(self, user: Any, action: str = "pledge.manage") -> PledgeQuerySet:
        """Pledges of the bidders in the user's area (by the pledge's region), as Enterprise.visible_to does;
        a pledge without a region only with scope "all"."""
        if not getattr(user, "is_authenticated", False) or not hasattr(user, "data_scope"):
            return self.none()
        scope = user.data_scope(action)
        if scope == "all":
            return self.all()
        agency = getattr(user, "agency", None)
        if agency is None or scope not in ("unit_and_below", "unit"):
            return self.none()
        if scope == "unit":
            return self.filter(region=agency.region)
        return self.filter(**{f"region__{agency.region.ancestor_field()}": agency.region.code})


class Pledge(models.Model):
    """A bidder's credit pledge (信用承诺) and whether it was kept: pledged → fulfilled / breached / withdrawn.

    The subject is kept as given (USCC and name, as the bidder signed) and linked to the registry's
    Enterprise when one with that USCC exists. Transitions are conditional updates on `status`
    (services in screening.pledge_services), so two officers cannot both decide the same pledge.
    """

    number = models.CharField(_("承诺编号"), max_length=30, unique=True)
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("企业"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="pledges",
    )  # fmt: skip
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, db_index=True)
    name = models.CharField(_("承诺主体名称"), max_length=200)
    region = models.ForeignKey(
        "core.Region", verbose_name=_("行政区划"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    kind = models.CharField(_("承诺类型"), max_length=10, choices=PledgeKindChoice.choices)
    platform = models.CharField(_("交易平台"), max_length=100, blank=True)
    tender_ref = models.CharField(_("项目编号／标段"), max_length=100, blank=True)
    text = models.TextField(_("承诺内容"))
    pledged_on = models.DateField(_("承诺日期"))
    due_on = models.DateField(_("履行核查日期"), db_index=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=PledgeStatus.choices, default=PledgeStatus.PLEDGED, db_index=True
    )
    outcome_note = models.TextField(_("核查说明／违诺原因"), blank=True)
    evidence_ref = models.CharField(_("证据材料编号"), max_length=200, blank=True)
    decided_by = models.CharField(_("核查人"), max_length=150, blank=True)
    decided_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    breach_record = models.ForeignKey(
        "records.CreditRecord", verbose_name=_("违约信用记录"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    recorded_by = models.ForeignKey(
        "accounts.User", verbose_name=_("登记人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    overdue_notified_at = models.DateTimeField(_("逾期提醒时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = PledgeQuerySet.as_manager()

    class Meta:
        ordering = ["-pledged_on", "-pk"]
        verbose_name = _("信用承诺")
        verbose_name_plural = _("信用承诺")

    def __str__(self) -> str:
        return f"{self.number} {self.name}"
