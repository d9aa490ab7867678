"""Monitoring and early warning: evaluate one alert rule on today's data (reads only; raising the alerts is
`services.alerts_evaluate`, called by the daily sweep).

Which period a rule looks at: for an imported indicator, the latest period that has values for it; for a
computed one, the current period of its kind; for overdue counts, the month of the sweep (so a unit that
stays overdue is warned once a month, not every day).

Overdue sources (`OVERDUE_SOURCES`): `fn(level, units, run_date) -> {unit code: count}`. Built in:
`records.publicity_overrun` — government bodies' records still published after their maximum publicity
end (the lifecycle sweep should have ended them: each one is a record shown longer than the law allows).
Remedies and sanctions register theirs (overdue objections, rectification orders) with
`register_overdue_source`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.core.notifications import notify
from govtrust.evaluation import policy, values
from govtrust.evaluation.models import (
    Alert,
    AlertKind,
    AlertRule,
    DataSource,
    FrameworkStatus,
    Indicator,
    IndicatorValue,
    NodeKind,
    PeriodKind,
    Severity,
    UnitLevel,
)

ALERT_MANAGE = "alert.manage"


@dataclass(frozen=True)
class Finding:
    unit: values.Unit
    period: str
    value: float | None
    message: str


OverdueFn = Callable[[str, Sequence[values.Unit], datetime.date], dict[str, int]]


@dataclass(frozen=True)
class OverdueSource:
    code: str
    label: Any
    fn: OverdueFn


OVERDUE_SOURCES: dict[str, OverdueSource] = {}


def register_overdue_source(code: str, label: Any) -> Callable[[OverdueFn], OverdueFn]:
    def add(fn: OverdueFn) -> OverdueFn:
        OVERDUE_SOURCES[code] = OverdueSource(code, label, fn)
        return fn

    return add


@register_overdue_source("records.publicity_overrun", gettext_lazy("超过最长公示期仍在公示的政务失信记录"))
def publicity_overrun(level: str, units: Sequence[values.Unit], run_date: datetime.date) -> dict[str, int]:
    from govtrust.records.models import CreditRecord, RecordStatus, SubjectKind

    field = {
        UnitLevel.CITY: "agency__region__city_code",
        UnitLevel.COUNTY: "agency__region__county_code",
        UnitLevel.BODY: "agency__uscc",
    }[UnitLevel(level)]
    qs = CreditRecord.objects.filter(
        subject_kind=SubjectKind.AGENCY, status=RecordStatus.IN_FORCE, publicity_max_end__lt=run_date
    )
    counts = dict(qs.values_list(field).annotate(n=Count("pk")).values_list(field, "n"))
    return {u.code: counts.get(u.code, 0) for u in units}


def _indicator(code: str) -> Indicator | None:
    """The indicator as the active framework defines it (else the newest version that has it)."""
    qs = Indicator.objects.filter(code=code, node=NodeKind.INDICATOR).select_related("framework")
    return qs.filter(framework__status=FrameworkStatus.ACTIVE).first() or qs.order_by("-framework__created_at").first()


def current_period(kind: str, day: datetime.date) -> policy.Period:
    if kind == PeriodKind.QUARTER:
        return policy.Period("quarter", day.year, (day.month - 1) // 3 + 1)
    if kind == PeriodKind.MONTH:
        return policy.Period("month", day.year, day.month)
    return policy.Period("year", day.year)


def latest_period(indicator: Indicator, level: str, run_date: datetime.date) -> policy.Period | None:
    if indicator.source == DataSource.COMPUTED:
        return current_period(indicator.period or PeriodKind.YEAR, run_date)
    qs = IndicatorValue.objects.filter(indicator_code=indicator.code)
    qs = qs.filter(agency__isnull=False) if level == UnitLevel.BODY else qs.filter(region__isnull=False)
    periods = [p for p in (policy.parse_period(t) for t in qs.values_list("period", flat=True).distinct()) if p]
    return max(periods, key=lambda p: (p.year, p.index)) if periods else None


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def evaluate_rule(rule: AlertRule, run_date: datetime.date) -> tuple[list[Finding], str]:
    """The units that breach `rule` now, and a note when the rule could not be evaluated."""
    units = values.units_of(rule.unit_level)
    params = rule.params or {}
    if rule.kind == AlertKind.OVERDUE:
        source = OVERDUE_SOURCES.get(params.get("source", ""))
        if source is None:
            return [], _("未知的逾期事项来源")
        counts = source.fn(rule.unit_level, units, run_date)
        month = f"{run_date:%Y-%m}"
        return [
            Finding(
                u,
                month,
                float(counts[u.code]),
                _("%(label)s：%(n)d项（预警线%(limit)d项）")
                % {"label": source.label, "n": counts[u.code], "limit": params["limit"]},
            )
            for u in units
            if policy.overdue_breached(counts.get(u.code, 0), limit=params["limit"])
        ], ""
    indicator = _indicator(rule.indicator_code)
    if indicator is None:
        return [], _("指标不存在")
    period = latest_period(indicator, rule.unit_level, run_date)
    if period is None:
        return [], _("没有数据")
    by_code = {u.code: u for u in units}
    now = values.indicator_values(indicator.code, indicator.source, rule.unit_level, units, period)
    label = indicator.name
    findings: list[Finding] = []
    if rule.kind == AlertKind.THRESHOLD:
        for code, v in now.items():
            if policy.threshold_breached(v, op=params["op"], limit=params["value"]):
                findings.append(
                    Finding(
                        by_code[code],
                        str(period),
                        v,
                        _("%(i)s为%(v)s，触及阈值（%(op)s %(lim)s）")
                        % {"i": label, "v": _fmt(v), "op": params["op"], "lim": _fmt(params["value"])},
                    )
                )
    elif rule.kind == AlertKind.CHANGE:
        before = values.indicator_values(indicator.code, indicator.source, rule.unit_level, units, period.previous())
        for code, v in now.items():
            if code in before and policy.change_breached(
                v,
                before[code],
                direction=indicator.direction,
                pct=params.get("pct"),
                abs_=params.get("abs"),
                either=params.get("either", False),
            ):
                findings.append(
                    Finding(
                        by_code[code],
                        str(period),
                        v,
                        _("%(i)s由%(a)s（%(pa)s）变为%(b)s（%(pb)s）")
                        % {"i": label, "a": _fmt(before[code]), "pa": period.previous(), "b": _fmt(v), "pb": period},
                    )
                )
    elif rule.kind == AlertKind.PEER_ANOMALY:
        flagged = policy.peer_anomalies(
            now,
            direction=indicator.direction,
            z=params.get("z", policy.DEFAULT_Z),
            min_peers=params.get("min_peers", 5),
        )
        for code, z in sorted(flagged.items()):
            findings.append(
                Finding(
                    by_code[code],
                    str(period),
                    now[code],
                    _("%(i)s为%(v)s，与同级地区相比明显异常（稳健Z分数%(z)s）")
                    % {"i": label, "v": _fmt(now[code]), "z": f"{z:.2f}"},
                )
            )
    return findings, ""


def recipients(alert: Alert) -> list[Any]:
    """The owner user, else the owner body's users who may manage alerts."""
    if alert.owner_user is not None:
        return [alert.owner_user]
    if alert.owner_agency_id is None:
        return []
    users = get_user_model().objects.filter(agency_id=alert.owner_agency_id, is_active=True)
    return [u for u in users if u.data_scope(ALERT_MANAGE) is not None]  # type: ignore[attr-defined]


def notify_alert(alert: Alert) -> None:
    notify(
        recipients=recipients(alert),
        title=_("政务诚信预警：%(rule)s · %(unit)s") % {"rule": alert.rule.name, "unit": alert.unit_name},
        body=alert.message,
        link=reverse("evaluation:alert_detail", args=[alert.pk]),
        category="evaluation.alert",
        email=alert.severity == Severity.CRITICAL,
    )
