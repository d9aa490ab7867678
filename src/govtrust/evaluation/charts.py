"""ECharts options for the evaluation pages (plain JSON: rendered by static/js/charts.js, no inline script).

No boundary data ships with the platform, so the province overview is a tile map: one tile per city,
placed roughly where the city lies (north at the top), coloured by its score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

# (column, row) of each Jiangsu city on a 5 × 5 grid, north at the top.
CITY_TILES: dict[str, tuple[int, int]] = {
    "320300": (0, 0),  # 徐州
    "320700": (2, 0),  # 连云港
    "321300": (1, 1),  # 宿迁
    "320800": (2, 1),  # 淮安
    "320900": (3, 1),  # 盐城
    "321000": (2, 2),  # 扬州
    "321200": (3, 2),  # 泰州
    "320600": (4, 2),  # 南通
    "320100": (1, 3),  # 南京
    "321100": (2, 3),  # 镇江
    "320400": (3, 3),  # 常州
    "320200": (3, 4),  # 无锡
    "320500": (4, 4),  # 苏州
}
RED_TO_GREEN = ["#c0392b", "#e67e22", "#f1c40f", "#7dbb42", "#27ae60"]


def _r(value: float | None, places: int = 1) -> float | None:
    return None if value is None else round(value, places)


def tile_map(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The 13 cities as tiles coloured by their index score (grey: no score or not in the run)."""
    by_code = {row["code"]: row for row in rows}
    scores = [row["score"] for row in rows if row.get("score") is not None]
    data = []
    for code, (x, y) in CITY_TILES.items():
        row = by_code.get(code)
        score = _r(row["score"]) if row and row.get("score") is not None else None
        item: dict[str, Any] = {
            "name": row["name"] if row else code,
            "value": [x, y, score if score is not None else "-"],
        }
        if row and row.get("rank") is not None:
            item["name"] = f"{row['name']}（第{int(row['rank'])}名）"
        data.append(item)
    return {
        "tooltip": {"formatter": "{b}<br/>" + _("得分") + " {@[2]}"},
        "grid": {"left": 10, "right": 10, "top": 10, "bottom": 50},
        "xAxis": {"type": "value", "min": -0.5, "max": 4.5, "show": False},
        "yAxis": {"type": "value", "min": -0.5, "max": 4.5, "inverse": True, "show": False},
        "visualMap": {
            "type": "continuous",
            "dimension": 2,
            "min": min(scores) if scores else 0,
            "max": max(scores) if scores else 100,
            "orient": "horizontal",
            "left": "center",
            "bottom": 0,
            "calculable": True,
            "inRange": {"color": RED_TO_GREEN},
            "outOfRange": {"color": "#cccccc"},
            "text": [_("高"), _("低")],
        },
        "series": [
            {
                "type": "scatter",
                "symbol": "roundRect",
                "symbolSize": [96, 58],
                "data": data,
                "label": {"show": True, "formatter": "{b}\n{@[2]}", "color": "#111", "fontSize": 12},
            }
        ],
    }


def rank_intervals(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Each unit's nominal rank (dot) and its 5th–95th percentile range over the Monte Carlo runs (bar),
    best first. Drawn as an invisible bar up to the 5th percentile stacked with a visible one to the 95th."""
    rows = [row for row in rows if row.get("rank") is not None]
    names = [row["name"] for row in rows]
    has_ci = any(row.get("q05") is not None for row in rows)
    series: list[dict[str, Any]] = []
    if has_ci:
        series += [
            {
                "type": "bar",
                "stack": "ci",
                "silent": True,
                "itemStyle": {"color": "transparent"},
                "data": [(row["q05"] or 0) - 0.5 for row in rows],
                "tooltip": {"show": False},
            },
            {
                "type": "bar",
                "stack": "ci",
                "name": _("5%–95%分位区间"),
                "itemStyle": {"color": "#9ec5e8"},
                "data": [((row["q95"] or 0) - (row["q05"] or 0)) + 1 for row in rows],
                "barWidth": "60%",
            },
        ]
    series.append(
        {
            "type": "scatter",
            "name": _("名义排名"),
            "symbolSize": 9,
            "itemStyle": {"color": "#1f4e79"},
            "data": [[row["rank"], row["name"]] for row in rows],
        }
    )
    if has_ci:
        series.append(
            {
                "type": "scatter",
                "name": _("排名中位数"),
                "symbol": "diamond",
                "symbolSize": 8,
                "itemStyle": {"color": "#e67e22"},
                "data": [[row["median"], row["name"]] for row in rows],
            }
        )
    return {
        "tooltip": {"trigger": "item"},
        "legend": {"top": 0},
        "grid": {"left": 130, "right": 20, "top": 30, "bottom": 30},
        "xAxis": {"type": "value", "min": 0, "max": len(rows) + 1, "name": _("排名")},
        "yAxis": {"type": "category", "data": names, "inverse": True, "axisLabel": {"interval": 0}},
        "series": series,
    }


def chart_height(units: int) -> int:
    return max(240, 22 * units + 80)


def trend(periods: Sequence[str], series: Mapping[str, Sequence[float | None]]) -> dict[str, Any]:
    """Index score of each unit across periods (one line per unit)."""
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "top": 0},
        "grid": {"left": 40, "right": 20, "top": 40, "bottom": 30},
        "xAxis": {"type": "category", "data": list(periods)},
        "yAxis": {"type": "value", "name": _("综合得分"), "scale": True},
        "series": [
            {"type": "line", "name": name, "data": [_r(v) for v in values], "connectNulls": False}
            for name, values in series.items()
        ],
    }


def alert_counts(labels: Sequence[str], by_severity: Mapping[str, Sequence[int]]) -> dict[str, Any]:
    """Open alerts per region, stacked by severity."""
    colours = {"info": "#7f8c8d", "warning": "#e67e22", "critical": "#c0392b"}
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 40, "right": 10, "top": 40, "bottom": 60},
        "xAxis": {"type": "category", "data": list(labels), "axisLabel": {"rotate": 40}},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "type": "bar",
                "stack": "alerts",
                "name": name,
                "data": list(counts),
                "itemStyle": {"color": colours.get(key, "#999")},
            }
            for key, (name, counts) in ((k, v) for k, v in _labelled(by_severity).items())
        ],
    }


def _labelled(by_severity: Mapping[str, Sequence[int]]) -> dict[str, tuple[str, Sequence[int]]]:
    from govtrust.evaluation.models import Severity

    return {key: (str(Severity(key).label), counts) for key, counts in by_severity.items()}
