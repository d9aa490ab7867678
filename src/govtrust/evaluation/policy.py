"""Pure rules of the evaluation module (no ORM): periods, the spec a framework gives, result digests, rank
changes between runs, and the alert rules of the monitoring (early warning).

Alert rules (苏政发〔2023〕55号 四(三)“实施区域政务诚信大数据监测预警”; the rule values are the operator's,
stored on each `AlertRule`, with its own basis):
- threshold: the value crosses a limit (`op` one of > >= < <=);
- change: the value moved against the previous period by at least `pct` per cent (relative) or `abs`
  (absolute), in the worse direction for the indicator (or either direction with `either`);
- peer_anomaly: the robust z-score against the unit's peers (same level), z = 0.6745·(x − median) / MAD
  (Iglewicz & Hoaglin 1993), is at least `z` (default 3.5) in the worse direction; when more than half
  the peers share one value MAD is 0 and no unit is flagged (nothing can be said to be unusual);
- overdue: a count of overdue items (from a registered source) is at least `limit`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# --- periods ----------------------------------------------------------------------------------------

_YEAR = re.compile(r"(\d{4})")
_QUARTER = re.compile(r"(\d{4})[Qq]([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class Period:
    kind: str  # year | quarter | month
    year: int
    index: int = 0  # quarter 1–4 or month 1–12

    def __str__(self) -> str:
        if self.kind == "quarter":
            return f"{self.year}Q{self.index}"
        if self.kind == "month":
            return f"{self.year}-{self.index:02d}"
        return str(self.year)

    def previous(self) -> Period:
        if self.kind == "year":
            return Period("year", self.year - 1)
        last = 4 if self.kind == "quarter" else 12
        if self.index == 1:
            return Period(self.kind, self.year - 1, last)
        return Period(self.kind, self.year, self.index - 1)

    def last_month(self) -> tuple[int, int]:
        """(year, month) of the period's last month."""
        if self.kind == "year":
            return self.year, 12
        if self.kind == "quarter":
            return self.year, self.index * 3
        return self.year, self.index


def parse_period(text: str) -> Period | None:
    """'2025' (year), '2025Q1' (quarter), '2025-03' (month); None for anything else."""
    text = (text or "").strip()
    if m := _YEAR.fullmatch(text):
        year = int(m.group(1))
        return Period("year", year) if 1990 <= year <= 2200 else None
    if m := _QUARTER.fullmatch(text):
        year = int(m.group(1))
        return Period("quarter", year, int(m.group(2))) if 1990 <= year <= 2200 else None
    if m := _MONTH.fullmatch(text):
        year, month = int(m.group(1)), int(m.group(2))
        return Period("month", year, month) if 1990 <= year <= 2200 and 1 <= month <= 12 else None
    return None


# --- the spec a framework gives -------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    code: str
    name: str
    node: str  # aggregate | indicator
    parent: str | None
    weight: float
    direction: int = 1
    unit: str = ""


def subtree_for(nodes: Sequence[Node], unit: str, available: set[str]) -> list[Node]:
    """The nodes a run over `unit` (region|body) uses: indicators of that unit that have data (`available`),
    and the aggregates above at least one of them. Order kept."""
    by_code = {n.code: n for n in nodes}
    keep: set[str] = set()
    for n in nodes:
        if n.node == "indicator" and n.unit == unit and n.code in available:
            code: str | None = n.code
            while code is not None and code not in keep:
                keep.add(code)
                code = by_code[code].parent
    return [n for n in nodes if n.code in keep]


def spec_for(
    nodes: Sequence[Node],
    *,
    version: str,
    seed: int,
    method: Mapping[str, Any],
    uncertainty: Mapping[str, Any] | None,
    group_column: str | None,
) -> dict[str, Any]:
    """The pipeline spec (docs/evaluation.md) for the given framework nodes and method choices."""
    spec: dict[str, Any] = {
        "version": version,
        "unit_column": "unit",
        "name_column": "name",
        "seed": seed,
        "indicators": [
            {"code": n.code, "name": n.name, "parent": n.parent, "weight": n.weight, "direction": n.direction}
            for n in nodes
            if n.node == "indicator"
        ],
        "aggregates": [
            {"code": n.code, "name": n.name, "weight": n.weight, **({"parent": n.parent} if n.parent else {})}
            for n in nodes
            if n.node == "aggregate"
        ],
        "method": dict(method),
    }
    if group_column:
        spec["group_column"] = group_column
    if uncertainty is not None:
        spec["uncertainty"] = dict(uncertainty)
    return spec


DEFAULT_METHOD: dict[str, Any] = {
    "denominate": False,
    "impute": {"method": "mean", "by_group": False},
    "treat": {"winmax": 5},
    "normalise": {"method": "minmax", "low": 1, "high": 100},
    "weights": "explicit",
    "aggregate": {"method": "arithmetic", "threshold": 0.5},
}
DEFAULT_UNCERTAINTY: dict[str, Any] = {"runs": 1000, "weight_noise": 0.25, "weight_sets": 100}


# --- results --------------------------------------------------------------------------------------


def clean_number(value: float) -> float | None:
    """JSON has no NaN: a missing score or rank is null."""
    value = float(value)
    return None if math.isnan(value) else value


def canonical_json(data: Any) -> str:
    # Sorted keys, no spaces, floats as Python's shortest round-trip repr: the same results give the
    # same text on every machine, and the text gives back the same floats.
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def digest(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RankChange:
    unit: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        """Places gained (positive = moved up); None when the unit is missing from either run."""
        if self.before is None or self.after is None:
            return None
        return self.before - self.after


def rank_changes(before: Mapping[str, float | None], after: Mapping[str, float | None]) -> list[RankChange]:
    """Every unit of either run with its two ranks, biggest moves first, then by unit code."""
    units = sorted(set(before) | set(after))
    changes = [RankChange(u, before.get(u), after.get(u)) for u in units]
    return sorted(changes, key=lambda c: (c.delta is None, -abs(c.delta or 0), c.unit))


# --- alert rules ----------------------------------------------------------------------------------

OPS = {
    ">": lambda v, lim: v > lim,
    ">=": lambda v, lim: v >= lim,
    "<": lambda v, lim: v < lim,
    "<=": lambda v, lim: v <= lim,
}
DEFAULT_Z = 3.5
MAD_SCALE = 0.6745  # Φ⁻¹(0.75): makes MAD comparable to a standard deviation for normal data


class RuleParamError(ValueError):
    """Rule parameters that do not make sense; the message is Chinese, for the form."""


def _finite(params: Mapping[str, Any], key: str, *, positive: bool = False) -> float:
    value = params.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RuleParamError(f"参数 {key} 须为数值")
    if positive and value <= 0:
        raise RuleParamError(f"参数 {key} 须大于0")
    return float(value)


def check_rule_params(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and normalise a rule's parameters; raise RuleParamError with a Chinese message."""
    if not isinstance(params, Mapping):
        raise RuleParamError("参数须为JSON对象")
    if kind == "threshold":
        op = params.get("op")
        if op not in OPS:
            raise RuleParamError("参数 op 须为 >、>=、< 或 <=")
        return {"op": op, "value": _finite(params, "value")}
    if kind == "change":
        out: dict[str, Any] = {"either": bool(params.get("either", False))}
        if "pct" in params:
            out["pct"] = _finite(params, "pct", positive=True)
        if "abs" in params:
            out["abs"] = _finite(params, "abs", positive=True)
        if "pct" not in out and "abs" not in out:
            raise RuleParamError("变化规则须设置 pct（百分比）或 abs（绝对值）")
        return out
    if kind == "peer_anomaly":
        z = _finite(params, "z", positive=True) if "z" in params else DEFAULT_Z
        min_peers = params.get("min_peers", 5)
        if isinstance(min_peers, bool) or not isinstance(min_peers, int) or min_peers < 3:
            raise RuleParamError("参数 min_peers 须为不小于3的整数")
        return {"z": z, "min_peers": min_peers}
    if kind == "overdue":
        limit = params.get("limit")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise RuleParamError("参数 limit 须为正整数")
        source = params.get("source")
        if not isinstance(source, str) or not source:
            raise RuleParamError("参数 source 须为逾期事项来源代码")
        return {"limit": limit, "source": source}
    raise RuleParamError(f"未知的规则类型 {kind}")


def threshold_breached(value: float, *, op: str, limit: float) -> bool:
    return bool(OPS[op](value, limit))


def change_breached(
    current: float,
    previous: float,
    *,
    direction: int,
    pct: float | None = None,
    abs_: float | None = None,
    either: bool = False,
) -> bool:
    """True when the change from `previous` to `current` is at least `pct` % (relative to |previous|) or at
    least `abs_` (absolute), and points the worse way for an indicator of `direction` (unless `either`).
    A relative change from 0 is not defined: only `abs_` can fire then."""
    change = current - previous
    if change == 0:
        return False
    worse = change < 0 if direction > 0 else change > 0
    if not (worse or either):
        return False
    if abs_ is not None and abs(change) >= abs_:
        return True
    return pct is not None and previous != 0 and abs(change) / abs(previous) * 100 >= pct


def robust_z(values: Mapping[str, float]) -> dict[str, float]:
    """Modified z-score of every unit against all units given: 0.6745·(x − median)/MAD. Empty when MAD = 0."""
    xs = sorted(values.values())
    if not xs:
        return {}
    med = _median(xs)
    mad = _median(sorted(abs(x - med) for x in xs))
    if mad == 0:
        return {}
    return {unit: MAD_SCALE * (x - med) / mad for unit, x in values.items()}


def peer_anomalies(
    values: Mapping[str, float], *, direction: int, z: float = DEFAULT_Z, min_peers: int = 5
) -> dict[str, float]:
    """Units whose robust z-score is at least `z` in the worse direction (with fewer than `min_peers`
    values nothing is flagged: a median of three says little)."""
    if len(values) < min_peers:
        return {}
    scores = robust_z(values)
    sign = -1 if direction > 0 else 1  # worse = lower for "more is better"
    return {unit: s for unit, s in scores.items() if sign * s >= z}


def overdue_breached(count: int, *, limit: int) -> bool:
    return count >= limit


def _median(sorted_xs: Sequence[float]) -> float:
    n = len(sorted_xs)
    mid = n // 2
    return sorted_xs[mid] if n % 2 else (sorted_xs[mid - 1] + sorted_xs[mid]) / 2
