"""Sanctions policy: the measure and incentive catalogs, which measures a record proposes, mitigation,
the decision rules, the responsible leader at a date, and on-time/overdue. Pure functions, no ORM.

The catalogs are data (`rules/measures.json`, `rules/incentives.json`), each item with its legal basis (the
seed's section and the exact sentence), effective dates and `provisional` where a value is not confirmed
from a text. Measures are only ever *proposed* here: a person decides each one (services.measure_decide).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from govtrust.core.periods import PeriodUnit

RULES_DIR = Path(__file__).resolve().parent / "rules"
ANY = "*"


class PolicyError(ValueError):
    """A catalog file is malformed."""


class Decision(models.TextChoices):
    CONFIRM = "confirm", _("确认")
    CHANGE = "change", _("变更")
    DECLINE = "decline", _("不予采取")


class MitigationGround(models.TextChoices):
    # 苏政发〔2023〕55号 二(五): 主动挽回损失、消除不良影响或者有效阻止危害结果发生的，可从轻或免于惩戒
    RECOVERED_LOSS = "recovered_loss", _("主动挽回损失")
    REMOVED_HARM = "removed_harm", _("消除不良影响")
    STOPPED_IN_TIME = "stopped_in_time", _("有效阻止危害结果发生")


@dataclass(frozen=True)
class Basis:
    document: str
    number: str
    articles: str
    quote: str
    other: str = ""

    def text(self) -> str:
        return f"《{self.document}》（{self.number}）{self.articles}：“{self.quote}”"

    def as_data(self) -> dict[str, str]:
        return {
            "document": self.document,
            "number": self.number,
            "articles": self.articles,
            "quote": self.quote,
            "other": self.other,
        }


@dataclass(frozen=True)
class Duration:
    n: int
    unit: str

    def as_data(self) -> dict[str, Any]:
        return {"n": self.n, "unit": self.unit}


@dataclass(frozen=True)
class MeasureSpec:
    code: str
    label: str
    weight: int  # heavier = harsher; mitigation may only change a measure to a lighter one
    creates: str  # "", "rectification_order" or "referral"
    basis: Basis
    effective_from: datetime.date | None
    effective_to: datetime.date | None
    provisional: bool
    note: str = ""
    deadline: Duration | None = None
    deadline_provisional: bool = False
    deadline_note: str = ""
    remind_before_working_days: int = 0
    outcome_due: Duration | None = None
    outcome_due_provisional: bool = False

    def covers(self, day: datetime.date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )


@dataclass(frozen=True)
class ProposalRule:
    id: str
    subject_kinds: tuple[str, ...]
    record_classes: tuple[str, ...]
    severities: tuple[str, ...]
    measures: tuple[str, ...]
    provisional: bool
    note: str = ""

    def matches(self, subject_kind: str, record_class: str, severity: str) -> bool:
        return (
            subject_kind in self.subject_kinds
            and (ANY in self.record_classes or record_class in self.record_classes)
            and (ANY in self.severities or (severity or "") in self.severities)
        )


@dataclass(frozen=True)
class IncentiveSpec:
    code: str
    label: str
    basis: Basis
    subject_kinds: tuple[str, ...]
    effective_from: datetime.date | None
    effective_to: datetime.date | None
    provisional: bool

    def covers(self, day: datetime.date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )


@dataclass(frozen=True)
class Catalog:
    measures: dict[str, MeasureSpec]
    proposals: tuple[ProposalRule, ...]
    mitigation_basis: Basis
    incentives: dict[str, IncentiveSpec]
    incentive_grants: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = field(default=())

    def measure(self, code: str) -> MeasureSpec:
        try:
            return self.measures[code]
        except KeyError:
            raise PolicyError(gettext("未知的惩戒措施：%(code)s") % {"code": code}) from None


# --- loading --------------------------------------------------------------------------------------------------------
def _date(value: Any, where: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise PolicyError(f"{where}: bad date {value!r}") from None


def _duration(value: Any, where: str) -> Duration | None:
    if value is None:
        return None
    try:
        n, unit = int(value["n"]), str(value["unit"])
    except (KeyError, TypeError, ValueError):
        raise PolicyError(f"{where}: a duration is {{'n': int, 'unit': ...}}") from None
    if n < 1 or unit not in PeriodUnit.values:
        raise PolicyError(f"{where}: bad duration {value!r}")
    return Duration(n, unit)


def _basis(raw: Mapping[str, Any], sources: Mapping[str, Any], where: str) -> Basis:
    source = sources.get(str(raw.get("source", "")), {})
    document = str(raw.get("document") or source.get("document", ""))
    number = str(raw.get("number") or source.get("number", ""))
    quote = str(raw.get("quote", ""))
    if not document or not quote or not raw.get("articles"):
        raise PolicyError(f"{where}: every item needs its legal basis (document, articles, quote)")
    return Basis(document, number, str(raw["articles"]), quote, str(raw.get("other", "")))


def parse_catalog(measures: Mapping[str, Any], incentives: Mapping[str, Any]) -> Catalog:
    specs: dict[str, MeasureSpec] = {}
    sources = measures.get("sources") or {}
    for raw in measures.get("measures") or ():
        code = str(raw.get("code", ""))
        where = f"measures/{code or '?'}"
        creates = str(raw.get("creates", ""))
        if not code or code in specs or creates not in ("", "rectification_order", "referral"):
            raise PolicyError(f"{where}: missing or duplicate code, or unknown 'creates'")
        rect = raw.get("rectification") or {}
        ref = raw.get("referral") or {}
        spec = MeasureSpec(
            code=code,
            label=str(raw.get("label", code)),
            weight=int(raw.get("weight", 0)),
            creates=creates,
            basis=_basis(raw.get("basis") or {}, sources, where),
            effective_from=_date(raw.get("effective_from"), where),
            effective_to=_date(raw.get("effective_to"), where),
            provisional=bool(raw.get("provisional", False)),
            note=str(raw.get("note", "")),
            deadline=_duration(rect.get("deadline"), where),
            deadline_provisional=bool(rect.get("deadline_provisional", False)),
            deadline_note=str(rect.get("deadline_note", "")),
            remind_before_working_days=int(rect.get("remind_before_working_days", 0)),
            outcome_due=_duration(ref.get("outcome_due"), where),
            outcome_due_provisional=bool(ref.get("outcome_due_provisional", False)),
        )
        if creates == "rectification_order" and spec.deadline is None:
            raise PolicyError(f"{where}: a rectification measure needs its deadline rule")
        specs[code] = spec
    rules = []
    for raw in measures.get("proposals") or ():
        rule = ProposalRule(
            id=str(raw["id"]),
            subject_kinds=tuple(raw.get("subject_kinds") or ()),
            record_classes=tuple(raw.get("record_classes") or (ANY,)),
            severities=tuple(raw.get("severities") or (ANY,)),
            measures=tuple(raw.get("measures") or ()),
            provisional=bool(raw.get("provisional", False)),
            note=str(raw.get("note", "")),
        )
        unknown = [m for m in rule.measures if m not in specs]
        if unknown or not rule.measures:
            raise PolicyError(f"proposals/{rule.id}: unknown measures {unknown}")
        rules.append(rule)
    mitigation = measures.get("mitigation") or {}
    mitigation_basis = _basis(mitigation.get("basis") or {}, sources, "mitigation")
    known_grounds = {g["code"] for g in mitigation.get("grounds") or ()}
    if known_grounds != set(MitigationGround.values):
        raise PolicyError("mitigation grounds in the data and in the code differ")

    isources = incentives.get("sources") or {}
    ispecs: dict[str, IncentiveSpec] = {}
    for raw in incentives.get("incentives") or ():
        code = str(raw.get("code", ""))
        where = f"incentives/{code or '?'}"
        if not code or code in ispecs:
            raise PolicyError(f"{where}: missing or duplicate code")
        ispecs[code] = IncentiveSpec(
            code=code,
            label=str(raw.get("label", code)),
            basis=_basis(raw.get("basis") or {}, isources, where),
            subject_kinds=tuple(raw.get("subject_kinds") or ("agency",)),
            effective_from=_date(raw.get("effective_from"), where),
            effective_to=_date(raw.get("effective_to"), where),
            provisional=bool(raw.get("provisional", False)),
        )
    grants = []
    for raw in incentives.get("grants") or ():
        codes = tuple(raw.get("incentives") or ())
        if any(c not in ispecs for c in codes):
            raise PolicyError(f"incentive grant {raw.get('id')}: unknown incentive")
        grants.append((tuple(raw.get("record_classes") or ()), tuple(raw.get("sub_types") or (ANY,)), codes))
    return Catalog(specs, tuple(rules), mitigation_basis, ispecs, tuple(grants))


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    """The packaged catalog (operators' overrides would merge here, as records.catalog does)."""
    with (RULES_DIR / "measures.json").open(encoding="utf-8") as fh:
        measures = json.load(fh)
    with (RULES_DIR / "incentives.json").open(encoding="utf-8") as fh:
        incentives = json.load(fh)
    return parse_catalog(measures, incentives)


# --- proposals ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Proposal:
    rule_id: str
    rule_provisional: bool
    measures: tuple[MeasureSpec, ...]


def propose(cat: Catalog, *, subject_kind: str, record_class: str, severity: str, on: datetime.date) -> Proposal | None:
    """The measures the first matching rule proposes for a dishonesty record, as in force on `on`.

    None when no rule applies (e.g. a person's or an enterprise's record: not a government integrity case).
    A measure whose catalog entry is not in force on `on` is left out.
    """
    for rule in cat.proposals:
        if rule.matches(subject_kind, record_class, severity):
            specs = tuple(cat.measures[c] for c in rule.measures if cat.measures[c].covers(on))
            return Proposal(rule.id, rule.provisional, specs) if specs else None
    return None


def incentives_for_record(
    cat: Catalog, *, subject_kind: str, record_class: str, sub_type: str, on: datetime.date
) -> list[IncentiveSpec]:
    out: list[IncentiveSpec] = []
    for classes, sub_types, codes in cat.incentive_grants:
        if record_class in classes and (ANY in sub_types or sub_type in sub_types):
            for code in codes:
                spec = cat.incentives[code]
                if subject_kind in spec.subject_kinds and spec.covers(on) and spec not in out:
                    out.append(spec)
    return out


# --- decisions ------------------------------------------------------------------------------------------------------
def check_decision(
    cat: Catalog,
    *,
    proposed: str,
    decision: str,
    reason: str,
    new_code: str = "",
    mitigated: bool = False,
    mitigation_grounds: Iterable[str] = (),
) -> dict[str, str]:
    """Errors by field for an officer's decision on one proposed measure ({} when it is acceptable).

    - every decision needs reasons (the seed: no sanction without a person deciding, and a trail);
    - CHANGE names another catalog measure; with mitigation (从轻) it must be lighter than the proposal;
    - mitigation (从轻或免于惩戒) needs grounds recorded on the case first, and can only CHANGE or DECLINE.
    """
    errors: dict[str, str] = {}
    if decision not in Decision.values:
        errors["decision"] = gettext("请选择确认、变更或不予采取")
        return errors
    if not (reason or "").strip():
        errors["reason"] = gettext("请说明理由")
    if decision == Decision.CHANGE:
        if new_code not in cat.measures:
            errors["new_code"] = gettext("请选择变更后的措施")
        elif new_code == proposed:
            errors["new_code"] = gettext("变更后的措施与建议措施相同，请选择“确认”")
        elif mitigated and cat.measures[new_code].weight >= cat.measures[proposed].weight:
            errors["new_code"] = gettext("从轻惩戒只能变更为较轻的措施")
    if mitigated:
        if decision == Decision.CONFIRM:
            errors["mitigated"] = gettext("从轻或免于惩戒时请选择变更为较轻措施或不予采取")
        grounds = [g for g in mitigation_grounds if g in MitigationGround.values]
        if not grounds:
            errors["mitigated"] = gettext("请先在案件中登记从轻或免于惩戒的情形")
    return errors


def check_mitigation(grounds: Iterable[str], note: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    values = list(grounds)
    if not values:
        errors["grounds"] = gettext("请至少选择一项情形")
    elif any(g not in MitigationGround.values for g in values):
        errors["grounds"] = gettext("情形无效")
    if not (note or "").strip():
        errors["note"] = gettext("请说明具体事实和证明材料")
    return errors


# --- responsible leader ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    key: Any
    start: datetime.date
    end: datetime.date | None  # inclusive; None = still in office


def reference_date(conduct_date: datetime.date | None, decision_date: datetime.date) -> tuple[datetime.date, str]:
    """The date whose leader answers for the conduct: the conduct date, or the decision date when unknown."""
    if conduct_date is not None:
        return conduct_date, "conduct_date"
    return decision_date, "decision_date"


def leader_on(terms: Iterable[Term], day: datetime.date) -> Any | None:
    """The key of the term that covers `day` (start and end both inclusive; registry ends the predecessor's
    term the day before the successor's starts, so the day of the hand-over belongs to the successor)."""
    covering = [t for t in terms if t.start <= day and (t.end is None or day <= t.end)]
    if not covering:
        return None
    return max(covering, key=lambda t: t.start).key


# --- time -----------------------------------------------------------------------------------------------------------
class Timeliness(models.TextChoices):
    OPEN_ON_TIME = "open_on_time", _("办理中（未超期）")
    OPEN_OVERDUE = "open_overdue", _("已超期未办结")
    DONE_ON_TIME = "done_on_time", _("按期办结")
    DONE_LATE = "done_late", _("逾期办结")


def timeliness(*, due: datetime.date, done_on: datetime.date | None, today: datetime.date) -> str:
    """A deadline's last day counts as on time (民法典 art. 203: it ends at 24:00)."""
    if done_on is not None:
        return Timeliness.DONE_ON_TIME if done_on <= due else Timeliness.DONE_LATE
    return Timeliness.OPEN_OVERDUE if today > due else Timeliness.OPEN_ON_TIME
