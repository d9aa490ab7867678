"""Demo data for the evaluation: imported indicator values for the 13 cities and 95 counties (2024 and 2025),
two published 2025 rankings (cities, counties), a 2024 city ranking for the trend, and example alert rules.

Deterministic for a seed (numpy's generator is the only randomness). The values are synthetic but
plausible: each region has a latent "integrity" level that moves all its indicators together, plus noise,
so the ranking has structure and the uncertainty intervals are neither all tiny nor all huge.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from govtrust.core.models import Region
from govtrust.core.models.regions import RegionKind
from govtrust.evaluation import services
from govtrust.evaluation.models import AlertKind, DataSource, IndicatorValue, NodeKind, Severity, UnitKind, UnitLevel

PERIODS = ("2024", "2025")
# code -> (centre, spread, low, high, direction of the latent effect). Scores 0–100, rates in %, days, ratios.
SHAPES: dict[str, tuple[float, float, float, float, int]] = {
    "rectification_on_time": (88, 6, 50, 100, 1),
    "screening_interceptions": (18, 7, 0, 60, 1),
    "objection_days": (8, 2.5, 2, 20, -1),
    "repair_days": (11, 3, 3, 25, -1),
    "commitment_fulfilment": (93, 3.5, 70, 100, 1),
    "debt_risk": (95, 22, 40, 200, -1),
    "complaint_satisfaction": (87, 4.5, 60, 100, 1),
    "npc_cppcc_rate": (96, 2.5, 80, 100, 1),
}
SCORE_SHAPE = (82.0, 5.0, 50.0, 100.0, 1)


def _value(rng: np.random.Generator, latent: float, shape: tuple[float, float, float, float, int]) -> float:
    centre, spread, low, high, sign = shape
    x = centre + sign * spread * (0.55 * latent + 0.85 * rng.standard_normal())
    return round(float(np.clip(x, low, high)), 2)


def load_demo_evaluation(*, seed: int, actor: Any = None) -> dict[str, int]:
    """Write the demo indicator values, run and publish the demo rankings, add example alert rules."""
    framework = services.active_framework()
    if framework is None:
        return {}
    codes = list(
        framework.nodes.filter(node=NodeKind.INDICATOR, unit=UnitKind.REGION, source=DataSource.IMPORTED)
        .order_by("position")
        .values_list("code", flat=True)
    )
    regions = list(
        Region.objects.filter(level__in=[2, 3], kind=RegionKind.DIVISION).order_by("code").values_list("pk", "code")
    )
    rng = np.random.default_rng(seed)
    latent = {code: float(rng.standard_normal()) for _pk, code in regions}
    rows = []
    for period_index, period in enumerate(PERIODS):
        for pk, code in regions:
            drifted = latent[code] + 0.3 * period_index * float(rng.standard_normal())  # regions drift a little
            for indicator in codes:
                shape = SHAPES.get(indicator, SCORE_SHAPE)
                rows.append(
                    IndicatorValue(
                        indicator_code=indicator,
                        region_id=pk,
                        period=period,
                        value=_value(rng, drifted, shape),
                        batch_number="DEMO",
                    )
                )
    IndicatorValue.objects.bulk_create(rows, batch_size=1000)
    counts = {"indicator_values": len(rows)}
    runs = 0
    for level, period, publish in (
        (UnitLevel.CITY, "2024", True),
        (UnitLevel.CITY, "2025", True),
        (UnitLevel.COUNTY, "2025", True),
    ):
        run = services.evaluation_run_create(
            actor=actor, framework=framework, period=period, unit_level=level, seed=seed + runs, background=False
        )
        if publish:
            services.evaluation_run_publish(actor=actor, run=run)
        runs += 1
    counts["evaluation_runs"] = runs
    for code, name, kind, level, indicator, params, severity in (
        (
            "debt-ratio-high",
            "政府债务率超过120%",
            AlertKind.THRESHOLD,
            UnitLevel.COUNTY,
            "debt_risk",
            {"op": ">", "value": 120},
            Severity.CRITICAL,
        ),
        (
            "rectification-drop",
            "限期整改按时完成率较上年下降10%以上",
            AlertKind.CHANGE,
            UnitLevel.COUNTY,
            "rectification_on_time",
            {"pct": 10},
            Severity.WARNING,
        ),
        (
            "satisfaction-anomaly",
            "投诉办理满意率显著低于同级地区",
            AlertKind.PEER_ANOMALY,
            UnitLevel.COUNTY,
            "complaint_satisfaction",
            {"z": 3.0},
            Severity.WARNING,
        ),
        (
            "publicity-overrun",
            "超过最长公示期仍在公示的记录",
            AlertKind.OVERDUE,
            UnitLevel.CITY,
            "",
            {"source": "records.publicity_overrun", "limit": 1},
            Severity.CRITICAL,
        ),
    ):
        services.alert_rule_create(
            actor=actor,
            code=code,
            name=name,
            kind=kind,
            unit_level=level,
            indicator_code=indicator,
            params=params,
            severity=severity,
            basis="苏政发〔2023〕55号 四(三) 区域政务诚信大数据监测预警（演示规则）",
        )
    counts["alert_rules"] = 4
    return counts
