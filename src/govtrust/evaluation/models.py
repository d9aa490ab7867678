"""Evaluation: versioned indicator frameworks, imported indicator values, stored runs, alert rules and alerts.

The scoring itself is the pure-numpy pipeline in `evaluation/pipeline/`; these models keep what a run needs
to be reproduced (its inputs, method, framework version and seed) and what it produced.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govtrust.core.models import Region
from govtrust.registry.models import Agency


class FrameworkStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("启用")
    RETIRED = "retired", _("停用")


class Framework(models.Model):
    """One version of an indicator framework (指标体系). Only a draft may be edited; one version per code is
    active. Runs keep the version they used, so an older ranking stays reproducible after a change."""

    code = models.CharField(_("体系代码"), max_length=40)
    version = models.CharField(_("版本"), max_length=40)
    name = models.CharField(_("名称"), max_length=200)
    status = models.CharField(_("状态"), max_length=10, choices=FrameworkStatus.choices, default=FrameworkStatus.DRAFT)
    basis = models.TextField(_("依据"), blank=True)
    provisional = models.BooleanField(_("暂定"), default=False)
    provisional_note = models.TextField(_("暂定说明"), blank=True)
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    derived_from = models.ForeignKey(
        "self", verbose_name=_("源版本"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)

    class Meta:
        ordering = ["code", "-created_at", "-pk"]
        verbose_name = _("指标体系")
        verbose_name_plural = _("指标体系")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="evaluation_framework_code_version"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(status="active"), name="evaluation_framework_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"

    @property
    def is_editable(self) -> bool:
        return self.status == FrameworkStatus.DRAFT


class NodeKind(models.TextChoices):
    AGGREGATE = "aggregate", _("汇总项")
    INDICATOR = "indicator", _("指标")


class UnitKind(models.TextChoices):
    REGION = "region", _("地区")
    BODY = "body", _("政府部门")


class PeriodKind(models.TextChoices):
    YEAR = "year", _("年度")
    QUARTER = "quarter", _("季度")
    MONTH = "month", _("月度")


class DataSource(models.TextChoices):
    COMPUTED = "computed", _("平台计算")
    IMPORTED = "imported", _("导入")


class Indicator(models.Model):
    """A node of a framework's tree: an aggregate (dimension, pillar, the index) or an indicator (leaf).

    `weight` is the node's weight within its parent; `direction` 1 = more is better, −1 = less is better.
    Indicators say whom they assess (`unit`: regions or bodies), how often (`period`) and where the values
    come from (`source`: computed by the platform, or imported per unit and period)."""

    framework = models.ForeignKey(Framework, verbose_name=_("指标体系"), on_delete=models.CASCADE, related_name="nodes")
    code = models.CharField(_("代码"), max_length=60)
    name = models.CharField(_("名称"), max_length=200)
    node = models.CharField(_("节点类型"), max_length=10, choices=NodeKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    weight = models.FloatField(_("权重"), default=1.0)
    direction = models.SmallIntegerField(_("方向"), default=1, choices=[(1, _("越大越好")), (-1, _("越小越好"))])
    unit = models.CharField(_("评价对象"), max_length=10, choices=UnitKind.choices, blank=True)
    period = models.CharField(_("周期"), max_length=10, choices=PeriodKind.choices, blank=True)
    source = models.CharField(_("数据来源"), max_length=10, choices=DataSource.choices, blank=True)
    unit_label = models.CharField(_("计量单位"), max_length=40, blank=True)
    basis = models.TextField(_("依据"), blank=True)
    position = models.PositiveIntegerField(_("顺序"), default=0)

    class Meta:
        ordering = ["framework", "position", "pk"]
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        constraints = [models.UniqueConstraint(fields=["framework", "code"], name="evaluation_indicator_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class IndicatorValue(models.Model):
    """An imported value of one indicator for one unit (a region or a body) and one period.

    Keyed by the indicator's code, not by a framework's node, so a new framework version keeps using the
    values already imported. A later import of the same key replaces the value (provenance is kept)."""

    indicator_code = models.CharField(_("指标代码"), max_length=60)
    region = models.ForeignKey(Region, verbose_name=_("地区"), null=True, blank=True, on_delete=models.PROTECT)
    agency = models.ForeignKey(Agency, verbose_name=_("政府部门"), null=True, blank=True, on_delete=models.PROTECT)
    period = models.CharField(_("期间"), max_length=10)
    value = models.FloatField(_("数值"))
    batch_number = models.CharField(_("批次号"), max_length=40, blank=True)
    source_row = models.PositiveIntegerField(_("来源行号"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        ordering = ["indicator_code", "period", "pk"]
        verbose_name = _("指标数据")
        verbose_name_plural = _("指标数据")
        constraints = [
            models.CheckConstraint(
                name="evaluation_value_one_unit",
                condition=Q(region__isnull=False, agency__isnull=True) | Q(region__isnull=True, agency__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["indicator_code", "period", "region"],
                condition=Q(region__isnull=False),
                name="evaluation_value_region_key",
            ),
            models.UniqueConstraint(
                fields=["indicator_code", "period", "agency"],
                condition=Q(agency__isnull=False),
                name="evaluation_value_agency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_code} {self.period} {self.value}"


class UnitLevel(models.TextChoices):
    CITY = "city", _("设区市")
    COUNTY = "county", _("县（市、区）")
    BODY = "body", _("政府部门")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("计算中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class EvaluationRunQuerySet(models.QuerySet["EvaluationRun"]):
    def published(self) -> EvaluationRunQuerySet:
        return self.filter(status=RunStatus.DONE, published_at__isnull=False)


class EvaluationRun(models.Model):
    """One evaluation: the data matrix it used, the method (the pipeline spec), the framework version and
    the seed — enough to compute it again and get the same bytes (`results_sha256`)."""

    number = models.CharField(_("评价编号"), max_length=30, unique=True)
    title = models.CharField(_("标题"), max_length=200)
    framework = models.ForeignKey(Framework, verbose_name=_("指标体系"), on_delete=models.PROTECT, related_name="runs")
    framework_version = models.CharField(_("体系版本"), max_length=40)
    period = models.CharField(_("评价期间"), max_length=10)
    unit_level = models.CharField(_("评价对象"), max_length=10, choices=UnitLevel.choices)
    scope_region = models.ForeignKey(
        Region, verbose_name=_("范围"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    seed = models.BigIntegerField(_("随机种子"))
    spec = models.JSONField(_("方法（规格）"))
    inputs = models.JSONField(_("输入数据"))
    inputs_sha256 = models.CharField(_("输入摘要"), max_length=64)
    notes = models.JSONField(_("说明"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    error = models.TextField(_("错误"), blank=True)
    results = models.JSONField(_("结果"), null=True, blank=True)
    results_sha256 = models.CharField(_("结果摘要"), max_length=64, blank=True)
    job_public_id = models.CharField(_("任务编号"), max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = EvaluationRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("评价运行")
        verbose_name_plural = _("评价运行")
        indexes = [models.Index(fields=["unit_level", "period"], name="evaluation_run_level_period")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def unit_rows(self) -> list[dict[str, Any]]:
        """Per unit: code, name, group, index score and rank with the rank interval, sorted by rank."""
        r = self.results or {}
        if not r:
            return []
        root = len(r["aggregates"]) - 1
        unc = r.get("uncertainty") or {}
        rows = []
        for k, unit in enumerate(r["units"]):
            rows.append(
                {
                    "code": unit,
                    "name": r["names"][k],
                    "group": r["groups"][k],
                    "score": r["scores"][k][root],
                    "rank": r["ranks"][k][root],
                    "median": unc["median"][k] if unc else None,
                    "q05": unc["q05"][k] if unc else None,
                    "q95": unc["q95"][k] if unc else None,
                    "scores": r["scores"][k],
                    "ranks": r["ranks"][k],
                }
            )
        rows.sort(key=lambda row: (row["rank"] is None, row["rank"] or 0, row["code"]))
        return rows


class AlertKind(models.TextChoices):
    THRESHOLD = "threshold", _("阈值")
    CHANGE = "change", _("较上期变化")
    PEER_ANOMALY = "peer_anomaly", _("同级异常（稳健Z分数）")
    OVERDUE = "overdue", _("逾期事项数")


class Severity(models.TextChoices):
    INFO = "info", _("提示")
    WARNING = "warning", _("预警")
    CRITICAL = "critical", _("严重")


class AlertRule(models.Model):
    """A monitoring rule evaluated by the daily sweep over indicator values or counts of overdue items."""

    code = models.CharField(_("规则代码"), max_length=60, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=20, choices=AlertKind.choices)
    indicator_code = models.CharField(_("指标代码"), max_length=60, blank=True)
    unit_level = models.CharField(_("评价对象"), max_length=10, choices=UnitLevel.choices)
    params = models.JSONField(_("参数"), default=dict)
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices, default=Severity.WARNING)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_agency = models.ForeignKey(
        Agency, verbose_name=_("负责单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    basis = models.TextField(_("依据"), blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        ordering = ["code"]
        verbose_name = _("预警规则")
        verbose_name_plural = _("预警规则")

    def __str__(self) -> str:
        return self.name


class AlertStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    RESOLVED = "resolved", _("已解除")


class AlertQuerySet(models.QuerySet["Alert"]):
    def visible_to(self, user: Any, action: str = "evaluation.view") -> AlertQuerySet:
        """Alerts about units in the user's scope: regions under a credit office's region, bodies in scope."""
        from govtrust.registry.models import agency_scope_q

        scope = user.data_scope(action) if getattr(user, "is_authenticated", False) else None
        if scope is None:
            return self.none()
        if scope == "all":
            return self
        agency = getattr(user, "agency", None)
        if agency is None:
            return self.none()
        q = Q(pk__in=[])
        body_q = agency_scope_q(user, action, "agency__")
        if body_q is not None:
            q |= Q(agency__isnull=False) & body_q
        if agency.is_credit_office and scope == "unit_and_below":
            q |= Q(**{f"region__{agency.region.ancestor_field()}": agency.region.code})
        return self.filter(q)


class Alert(models.Model):
    """One warning raised by a rule for one unit and period: open → acknowledged → resolved.

    Raised at most once per rule, unit and period (unique), so the daily sweep can run again safely."""

    rule = models.ForeignKey(AlertRule, verbose_name=_("规则"), on_delete=models.PROTECT, related_name="alerts")
    unit_code = models.CharField(_("对象代码"), max_length=20)
    unit_name = models.CharField(_("对象名称"), max_length=200)
    region = models.ForeignKey(Region, verbose_name=_("地区"), null=True, blank=True, on_delete=models.PROTECT)
    agency = models.ForeignKey(Agency, verbose_name=_("政府部门"), null=True, blank=True, on_delete=models.PROTECT)
    period = models.CharField(_("期间"), max_length=10)
    value = models.FloatField(_("数值"), null=True, blank=True)
    message = models.TextField(_("说明"))
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices)
    status = models.CharField(_("状态"), max_length=15, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_agency = models.ForeignKey(
        Agency, verbose_name=_("负责单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    raised_on = models.DateField(_("预警日期"))
    raised_at = models.DateTimeField(_("预警时间"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("解除人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("处理说明"), blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        constraints = [
            models.UniqueConstraint(fields=["rule", "unit_code", "period"], name="evaluation_alert_once"),
        ]
        indexes = [models.Index(fields=["status", "severity"], name="evaluation_alert_status")]

    def __str__(self) -> str:
        return f"{self.rule} · {self.unit_name} · {self.period}"
