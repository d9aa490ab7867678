"""Rules of the objection and repair procedures, as pure functions over plain values (no ORM).

Deadline rules ship as data in `rules/*.json`: each version names its legal basis (document, number, articles),
its validity dates, a `provisional` flag and `values` (working days per key: "decide", "extended", "review").
`values: null` is a slot we have no text for yet — 苏政规〔2025〕4号, which operators fill through
`services.rule_values_save`. The version in force on the filing day with the highest priority and values wins;
until the Jiangsu slot is filled that is Zhejiang's 2017 regulation (arts. 30–31: decide within 5 working days,
extendable to at most 20; review by the provincial development and reform department), marked provisional
because it is another province's rule (see shared/reference/china-credit-facts.md §3).

Repair eligibility combines the record's window (records.policy.repair_allowed_from / can_repair_on: from the
day after the minimum publicity period) with the bars in rules/repair.json (cases the law excludes from early
repair) and the record's state.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from django.utils.translation import gettext

from govtrust.records.policy import can_repair_on, lookup_keys, repair_allowed_from

RULES_DIR = Path(__file__).resolve().parent / "rules"
OBJECTION_RULE = "objection.deadline"
REPAIR_RULE = "repair.deadline"
DEADLINE_KEYS = ("decide", "extended", "review")


@dataclass(frozen=True)
class RuleVersion:
    key: str
    version: str
    priority: int
    document: str
    number: str
    articles: str
    effective_from: datetime.date | None
    effective_to: datetime.date | None
    provisional: bool
    note: str
    values: Mapping[str, int] | None
    provisional_keys: tuple[str, ...] = ()
    overridden: bool = False

    def covers(self, day: datetime.date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )

    @property
    def basis(self) -> str:
        text = (
            f"《{self.document}》（{self.number}）"
            if self.number and self.number != self.document
            else f"《{self.document}》"
        )
        return text + (self.articles or "")


@dataclass(frozen=True)
class Bar:
    key: str
    reason: str
    basis: str
    provisional: bool


@dataclass(frozen=True)
class Rules:
    title: str
    note: str
    versions: tuple[RuleVersion, ...]
    bars: tuple[Bar, ...] = ()


@dataclass(frozen=True)
class ChosenRule:
    """The deadline values that apply on a day, and where they come from."""

    version: str
    basis: str
    provisional: bool
    decide: int
    extended: int | None
    review: int | None


class RuleError(ValueError):
    pass


def _date(value: Any) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def parse_values(values: Any, where: str) -> dict[str, int] | None:
    """Check operator or packaged values: a map of known keys to whole working days (1–365); `decide` required."""
    if values is None:
        return None
    if not isinstance(values, Mapping):
        raise RuleError(gettext("%(where)s：取值应为对象") % {"where": where})
    parsed: dict[str, int] = {}
    for key, n in values.items():
        if key not in DEADLINE_KEYS:
            raise RuleError(gettext("%(where)s：未知的键“%(key)s”") % {"where": where, "key": str(key)[:40]})
        if n is None:
            continue
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 365:
            raise RuleError(
                gettext("%(where)s：“%(key)s”应为1至365之间的整数（工作日）") % {"where": where, "key": key}
            )
        parsed[key] = n
    if "decide" not in parsed:
        raise RuleError(gettext("%(where)s：缺少处理时限 decide") % {"where": where})
    if "extended" in parsed and parsed["extended"] < parsed["decide"]:
        raise RuleError(gettext("%(where)s：延长后时限不能短于处理时限") % {"where": where})
    return parsed


def parse_rules(data: Mapping[str, Any]) -> Rules:
    versions = []
    for item in data["versions"]:
        where = f"{data['key']}/{item['version']}"
        versions.append(
            RuleVersion(
                key=data["key"],
                version=item["version"],
                priority=int(item.get("priority", 0)),
                document=item["document"],
                number=item.get("number", ""),
                articles=item.get("articles", ""),
                effective_from=_date(item.get("effective_from")),
                effective_to=_date(item.get("effective_to")),
                provisional=bool(item.get("provisional", False)),
                note=item.get("note", ""),
                values=parse_values(item.get("values"), where),
                provisional_keys=tuple(item.get("provisional_keys", ())),
            )
        )
    bars = tuple(
        Bar(key=b["key"], reason=b["reason"], basis=b["basis"], provisional=bool(b.get("provisional", False)))
        for b in data.get("bars", ())
    )
    return Rules(title=data["title"], note=data.get("note", ""), versions=tuple(versions), bars=bars)


def load_packaged(key: str, directory: Path = RULES_DIR) -> Rules:
    name = {OBJECTION_RULE: "objection.json", REPAIR_RULE: "repair.json"}[key]
    return parse_rules(json.loads((directory / name).read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Override:
    version: str
    values: Mapping[str, int]
    articles: str
    provisional: bool


def merge(rules: Rules, overrides: Iterable[Override]) -> Rules:
    """Operator values fill (or replace) the values of packaged versions; unknown versions are ignored."""
    by_version = {o.version: o for o in overrides}
    versions = []
    for v in rules.versions:
        o = by_version.get(v.version)
        if o is None:
            versions.append(v)
            continue
        versions.append(
            replace(
                v,
                values=dict(o.values),
                articles=o.articles or v.articles,
                provisional=o.provisional,
                provisional_keys=(),
                overridden=True,
            )
        )
    return replace(rules, versions=tuple(versions))


def choose(rules: Rules, day: datetime.date) -> ChosenRule:
    """The version in force on `day` with values, highest priority first."""
    candidates = sorted(
        (v for v in rules.versions if v.values is not None and v.covers(day)), key=lambda v: -v.priority
    )
    if not candidates:
        raise RuleError(gettext("%(date)s 没有适用的时限规则") % {"date": day.isoformat()})
    v = candidates[0]
    values = v.values or {}
    return ChosenRule(
        version=v.version,
        basis=v.basis,
        provisional=v.provisional or bool(v.provisional_keys),
        decide=values["decide"],
        extended=values.get("extended"),
        review=values.get("review"),
    )


# --- repair eligibility ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Eligibility:
    """Whether a record may be applied for repair on `today`, from which day, and what the applicant must show."""

    eligible: bool
    eligible_from: datetime.date | None  # None: never by application (barred, or nothing to repair)
    reasons: tuple[str, ...] = ()
    barred: str = ""
    barred_basis: str = ""
    conditions: tuple[str, ...] = field(default=())


def conditions() -> tuple[str, ...]:
    """Order 36 arts. 1–4 as reported in our reference: every condition must hold."""
    return (
        gettext("最短公示期已届满"),
        gettext("失信行为已纠正，行政处罚等法定义务已全部履行"),
        gettext("作出信用承诺（信用承诺书），承诺所提交材料真实"),
        gettext("符合法律、法规规定的其他条件"),
    )


def repair_eligibility(
    *,
    record_class: str,
    severity: str,
    sub_type: str,
    status: str,
    is_dishonesty: bool,
    covered: bool,
    publicity_start: datetime.date,
    publicity_min_end: datetime.date | None,
    today: datetime.date,
    bars: Iterable[Bar],
    open_request: bool = False,
) -> Eligibility:
    reasons: list[str] = []
    if not is_dishonesty:
        return Eligibility(False, None, (gettext("表彰奖励记录无需修复"),))
    keys = lookup_keys(record_class, severity, sub_type)
    for bar in bars:
        if bar.key in keys:
            return Eligibility(False, None, (bar.reason,), barred=bar.reason, barred_basis=bar.basis)
    if status == "repaired":
        return Eligibility(False, None, (gettext("该记录已修复"),))
    if status == "revoked":
        return Eligibility(False, None, (gettext("该记录已撤销"),))
    if status == "publicity_ended":
        return Eligibility(False, None, (gettext("公示期已满，记录已停止公示，无需申请修复"),))
    if covered:
        return Eligibility(False, None, (gettext("该记录已被容错纠错认定免予认定为失信，无需修复"),))
    first = repair_allowed_from(publicity_min_end, publicity_start)
    if status == "received":
        reasons.append(gettext("该记录尚未开始公示"))
    if not can_repair_on(publicity_min_end, publicity_start, today):
        reasons.append(gettext("最短公示期未满，%(date)s起方可申请") % {"date": first.isoformat()})
    if open_request:
        reasons.append(gettext("该记录已有正在办理的修复申请"))
    return Eligibility(not reasons, first, tuple(reasons), conditions=conditions())
