"""The record catalog as policy data: record classes, their period rules, and the publicity window.

Pure: no ORM. The packaged rules live in `rules/*.json`, one file per rule; operator overrides come from
the database and are merged by `records.catalog` (which calls `merge_overrides` here).

A rule (`Rule`) applies to one or more record classes and holds dated versions (`RuleVersion`). Each
version names its legal basis (document, number, articles), its validity dates, a `provisional` flag and
its values: a map from a key to a `PeriodSpec` (minimum, maximum, whether the record is published at all).
`values` may be null: a rule slot whose text we do not have yet (the console shows it as 待补充).

Which version applies is chosen by the record's date named in `selected_by` (the decision date for every
packaged rule: publicity periods run from the decision or document date). Which value applies is looked up
with the keys, in order: "<class>.<sub_type>", "<class>.<severity>", "<class>.*", "<sub_type>",
"<severity>", "*" (empty parts skipped). A rule of higher `priority` (the Jiangsu slot) wins when it has a
version with values for the record's key on that date; otherwise the class's own rule (priority 0) applies.

Dates. A period starts on the decision date and ends per 《民法典》第二百零一、二百零二条
(`govtrust.core.periods`, e.g. 2026-04-10 + 3个月 = 2026-07-10). It is NOT rolled to the next working day:
the end of a publicity period is not a deadline for anyone to act (第二百零三条 protects a person who must
act by the last day), so a period ending on a Sunday ends on that Sunday. `min_end` is the last day of the
minimum period: repair (early removal) may be applied for from the next day. `max_end` is the last day of
publication: published through that day, ended from the day after. A null `min_end` means no minimum (repair
any time, or no repair concept); a null `max_end` means no automatic end.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from django.db import models
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from govtrust.core.periods import Calendar, PeriodUnit

RULES_DIR = Path(__file__).resolve().parent / "rules"


# --- vocabulary ------------------------------------------------------------------------------------------------------
class RecordClass(models.TextChoices):
    JUDGMENT = "judgment", _("司法判决")
    DEFAULTER = "defaulter", _("拒不执行生效判决（失信被执行人）")
    PENALTY = "penalty", _("行政处罚")
    DISCIPLINE = "discipline", _("处分（政务处分）")
    ACCOUNTABILITY = "accountability", _("问责")
    BREACH = "breach", _("违约")
    STATISTICS_FRAUD = "statistics_fraud", _("统计造假")
    COMMENDATION = "commendation", _("表彰奖励（诚信标兵）")


DISHONESTY_CLASSES: frozenset[str] = frozenset(
    {
        RecordClass.JUDGMENT,
        RecordClass.DEFAULTER,
        RecordClass.PENALTY,
        RecordClass.DISCIPLINE,
        RecordClass.ACCOUNTABILITY,
        RecordClass.BREACH,
        RecordClass.STATISTICS_FRAUD,
    }
)
POSITIVE_CLASSES: frozenset[str] = frozenset({RecordClass.COMMENDATION})


class Severity(models.TextChoices):
    MINOR = "minor", _("轻微")
    GENERAL = "general", _("一般")
    SERIOUS = "serious", _("严重")


# Sub-types per class ("" = none). A class missing here accepts only "".
SUB_TYPES: dict[str, dict[str, Any]] = {
    RecordClass.JUDGMENT: {"admin_lawsuit_lost": _("行政机关败诉（行政诉讼）")},
    RecordClass.DEFAULTER: {
        "trigger_1": _("有履行能力而拒不履行生效法律文书确定义务"),
        "trigger_2": _("以伪造证据、暴力、威胁等方法妨碍、抗拒执行"),
        "trigger_3": _("以虚假诉讼、虚假仲裁或者以隐匿、转移财产等方法规避执行"),
        "trigger_4": _("违反财产报告制度"),
        "trigger_5": _("违反限制消费令"),
        "trigger_6": _("无正当理由拒不履行执行和解协议"),
    },
    RecordClass.DISCIPLINE: {
        "warning": _("警告"),
        "demerit": _("记过"),
        "major_demerit": _("记大过"),
        "demotion": _("降级"),
        "removal": _("撤职"),
        "expulsion": _("开除"),
    },
    RecordClass.STATISTICS_FRAUD: {"repeat": _("再次违法或整改不到位")},
    RecordClass.COMMENDATION: {"commendation": _("表彰奖励"), "integrity_model": _("诚信标兵")},
}

# Classes where the sub-type must be given (the period depends on it).
SUB_TYPE_REQUIRED: frozenset[str] = frozenset({RecordClass.DISCIPLINE, RecordClass.DEFAULTER})
# Classes where the severity must be given.
SEVERITY_REQUIRED: frozenset[str] = frozenset({RecordClass.PENALTY})


def sub_type_label(record_class: str, sub_type: str) -> str:
    return str(SUB_TYPES.get(record_class, {}).get(sub_type, sub_type))


# --- rule data -------------------------------------------------------------------------------------------------------
class PolicyError(ValueError):
    """A rule file or override is malformed, or no rule applies to a record."""


@dataclass(frozen=True)
class Duration:
    n: int
    unit: PeriodUnit

    def text(self) -> str:
        # Whole phrases with the number inside, so English gets "3 months", not "3months".
        if self.unit == PeriodUnit.DAY:
            return ngettext("%(n)d日", "%(n)d日", self.n) % {"n": self.n}
        if self.unit == PeriodUnit.MONTH:
            return ngettext("%(n)d个月", "%(n)d个月", self.n) % {"n": self.n}
        if self.unit == PeriodUnit.YEAR:
            return ngettext("%(n)d年", "%(n)d年", self.n) % {"n": self.n}
        return f"{self.n} {self.unit}"

    def as_data(self) -> dict[str, Any]:
        return {"n": self.n, "unit": str(self.unit)}


@dataclass(frozen=True)
class PeriodSpec:
    min: Duration | None
    max: Duration | None
    publish: bool = True
    provisional: bool = False
    extension_years: tuple[int, int] | None = None
    note: str = ""


@dataclass(frozen=True)
class RuleVersion:
    version: str
    document: str
    number: str
    articles: str
    effective_from: datetime.date | None
    effective_to: datetime.date | None
    provisional: bool
    values: dict[str, PeriodSpec] | None
    note: str = ""
    overridden: bool = False  # True when this version comes from the operator table
    entered_by: str = ""

    def covers(self, day: datetime.date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )

    @property
    def basis(self) -> str:
        parts = [f"《{self.document}》" if self.document else "", self.number, self.articles]
        return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class Rule:
    key: str
    title: str
    record_classes: tuple[str, ...]
    selected_by: str  # "decision_date" or "conduct_date"
    priority: int
    versions: tuple[RuleVersion, ...]
    note: str = ""

    def version_on(self, day: datetime.date) -> RuleVersion | None:
        """The version in force on `day`: an operator override covering the day wins over a packaged one."""
        for overridden in (True, False):
            for version in self.versions:
                if version.overridden == overridden and version.covers(day):
                    return version
        return None

    @property
    def pending(self) -> bool:
        """A slot with at least one version that has no values yet (待补充)."""
        return any(v.values is None for v in self.versions)


@dataclass(frozen=True)
class Catalog:
    rules: tuple[Rule, ...]

    def rule(self, key: str) -> Rule:
        for rule in self.rules:
            if rule.key == key:
                return rule
        raise PolicyError(gettext("没有编号为“%(key)s”的规则") % {"key": key})

    def rules_for(self, record_class: str) -> list[Rule]:
        """The rules for a class, highest priority first."""
        found = [r for r in self.rules if record_class in r.record_classes]
        return sorted(found, key=lambda r: -r.priority)


SELECTED_BY = ("decision_date", "conduct_date")
_UNITS = {PeriodUnit.DAY, PeriodUnit.MONTH, PeriodUnit.YEAR}


def _parse_date(value: Any, where: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise PolicyError(gettext("%(where)s：日期“%(value)s”无效") % {"where": where, "value": value}) from None


def _parse_duration(value: Any, where: str) -> Duration | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) != {"n", "unit"}:
        raise PolicyError(gettext('%(where)s：期限应为 {"n": 数字, "unit": 单位}') % {"where": where})
    n, unit = value["n"], value["unit"]
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 1200:
        raise PolicyError(gettext("%(where)s：期限数值应为1至1200的整数") % {"where": where})
    if unit not in {str(u) for u in _UNITS}:
        raise PolicyError(gettext("%(where)s：期限单位应为 day、month 或 year") % {"where": where})
    return Duration(n, PeriodUnit(unit))


def _months(d: Duration) -> float:
    return {PeriodUnit.DAY: d.n / 30.0, PeriodUnit.MONTH: float(d.n), PeriodUnit.YEAR: 12.0 * d.n}[d.unit]


def parse_values(data: Any, where: str = "values") -> dict[str, PeriodSpec] | None:
    """Parse and check a version's `values` (also used for operator overrides). None stays None (待补充)."""
    if data is None:
        return None
    if not isinstance(data, Mapping) or not data:
        raise PolicyError(gettext("%(where)s：应为非空对象，或 null 表示待补充") % {"where": where})
    known = {"min", "max", "publish", "provisional", "extension_years", "note"}
    specs: dict[str, PeriodSpec] = {}
    for key, raw in data.items():
        here = f"{where}.{key}"
        if not isinstance(key, str) or not key or len(key) > 60:
            raise PolicyError(gettext("%(where)s：键无效") % {"where": here})
        if not isinstance(raw, Mapping) or not {"min", "max"} <= set(raw) or set(raw) - known:
            raise PolicyError(
                gettext("%(where)s：应包含 min 和 max，可选 publish、provisional、extension_years、note")
                % {"where": here}
            )
        low, high = _parse_duration(raw["min"], here + ".min"), _parse_duration(raw["max"], here + ".max")
        if low is not None and high is not None and _months(low) > _months(high):
            raise PolicyError(gettext("%(where)s：最短期限不能长于最长期限") % {"where": here})
        extension = raw.get("extension_years")
        if extension is not None:
            ok = (
                isinstance(extension, list | tuple)
                and len(extension) == 2
                and all(isinstance(x, int) and not isinstance(x, bool) for x in extension)
                and 1 <= extension[0] <= extension[1] <= 10
            )
            if not ok or high is None:
                raise PolicyError(gettext("%(where)s：extension_years 应为 [最少年数, 最多年数]") % {"where": here})
            extension = (extension[0], extension[1])
        for flag in ("publish", "provisional"):
            if flag in raw and not isinstance(raw[flag], bool):
                raise PolicyError(gettext("%(where)s：%(flag)s 应为 true 或 false") % {"where": here, "flag": flag})
        specs[key] = PeriodSpec(
            min=low,
            max=high,
            publish=raw.get("publish", True),
            provisional=raw.get("provisional", False),
            extension_years=extension,
            note=str(raw.get("note", "")),
        )
    return specs


def values_as_data(values: dict[str, PeriodSpec] | None) -> dict[str, Any] | None:
    """The JSON form of parsed values (inverse of `parse_values`)."""
    if values is None:
        return None
    out: dict[str, Any] = {}
    for key, spec in values.items():
        item: dict[str, Any] = {
            "min": spec.min.as_data() if spec.min else None,
            "max": spec.max.as_data() if spec.max else None,
        }
        if not spec.publish:
            item["publish"] = False
        if spec.provisional:
            item["provisional"] = True
        if spec.extension_years:
            item["extension_years"] = list(spec.extension_years)
        if spec.note:
            item["note"] = spec.note
        out[key] = item
    return out


def parse_rule(data: Mapping[str, Any]) -> Rule:
    key = str(data.get("key", ""))
    where = key or "rule"
    classes = tuple(data.get("record_classes") or ())
    unknown = [c for c in classes if c not in RecordClass.values]
    if not key or not classes or unknown:
        raise PolicyError(gettext("%(where)s：缺少规则编号或记录类别无效") % {"where": where})
    selected_by = data.get("selected_by", "decision_date")
    if selected_by not in SELECTED_BY:
        raise PolicyError(gettext("%(where)s：selected_by 应为 decision_date 或 conduct_date") % {"where": where})
    versions = []
    for raw in data.get("versions") or ():
        vwhere = f"{key}/{raw.get('version', '?')}"
        versions.append(
            RuleVersion(
                version=str(raw["version"]),
                document=str(raw.get("document", "")),
                number=str(raw.get("number", "")),
                articles=str(raw.get("articles", "")),
                effective_from=_parse_date(raw.get("effective_from"), vwhere),
                effective_to=_parse_date(raw.get("effective_to"), vwhere),
                provisional=bool(raw.get("provisional", False)),
                values=parse_values(raw.get("values"), vwhere),
                note=str(raw.get("note", "")),
            )
        )
    rule = Rule(
        key=key,
        title=str(data.get("title", key)),
        record_classes=classes,
        selected_by=selected_by,
        priority=int(data.get("priority", 0)),
        versions=tuple(versions),
        note=str(data.get("note", "")),
    )
    check_versions(rule)
    return rule


def check_versions(rule: Rule) -> None:
    """Packaged versions of one rule must not overlap (overrides may: they win for their dates)."""
    packaged = sorted(
        (v for v in rule.versions if not v.overridden), key=lambda v: v.effective_from or datetime.date.min
    )
    for version in packaged:
        if version.effective_from and version.effective_to and version.effective_from > version.effective_to:
            raise PolicyError(gettext("%(key)s/%(v)s：生效日期晚于失效日期") % {"key": rule.key, "v": version.version})
    for earlier, later in zip(packaged, packaged[1:], strict=False):
        if earlier.effective_to is None or (later.effective_from and earlier.effective_to >= later.effective_from):
            raise PolicyError(
                gettext("%(key)s：版本 %(a)s 与 %(b)s 的有效期重叠")
                % {"key": rule.key, "a": earlier.version, "b": later.version}
            )


def load_packaged(directory: Path = RULES_DIR) -> Catalog:
    rules = []
    for path in sorted(directory.glob("*.json")):
        with path.open(encoding="utf-8") as fh:
            rules.append(parse_rule(json.load(fh)))
    catalog = Catalog(tuple(rules))
    keys = [r.key for r in rules]
    if len(keys) != len(set(keys)):
        raise PolicyError("duplicate rule keys in rules/")
    for record_class in RecordClass.values:
        base = [r for r in catalog.rules_for(record_class) if r.priority == 0]
        if len(base) != 1:
            raise PolicyError(f"record class {record_class} needs exactly one priority-0 rule, has {len(base)}")
    return catalog


@dataclass(frozen=True)
class OverrideData:
    """One operator override as plain data (the `RuleOverride` row, read by `records.catalog`)."""

    rule_key: str
    version: str
    values: Any
    basis: str
    effective_from: datetime.date | None
    effective_to: datetime.date | None
    provisional: bool
    entered_by: str = ""


def merge_overrides(catalog: Catalog, overrides: Iterable[OverrideData]) -> Catalog:
    """Add operator overrides to the packaged rules as overriding versions.

    An override with the version id of a packaged version replaces it (the packaged one is dropped); an
    override with a new id is added. Either way `Rule.version_on` prefers an override for the dates it covers.
    """
    by_rule: dict[str, list[OverrideData]] = {}
    for item in overrides:
        by_rule.setdefault(item.rule_key, []).append(item)
    rules = []
    for rule in catalog.rules:
        items = by_rule.pop(rule.key, [])
        if not items:
            rules.append(rule)
            continue
        replaced = {i.version for i in items}
        versions = [v for v in rule.versions if v.version not in replaced]
        for item in sorted(items, key=lambda i: i.effective_from or datetime.date.min):
            versions.append(
                RuleVersion(
                    version=item.version,
                    document="",
                    number="",
                    articles=item.basis,
                    effective_from=item.effective_from,
                    effective_to=item.effective_to,
                    provisional=item.provisional,
                    values=parse_values(item.values, f"{rule.key}/{item.version}"),
                    overridden=True,
                    entered_by=item.entered_by,
                )
            )
        rules.append(replace(rule, versions=tuple(versions)))
    # An override for an unknown rule is ignored here; the service refuses to save one.
    return Catalog(tuple(rules))


# --- the window ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    start: datetime.date
    min_end: datetime.date | None
    max_end: datetime.date | None
    publish: bool
    rule_key: str
    rule_version: str
    provisional: bool
    basis: str = ""
    notes: tuple[str, ...] = field(default=())


# Periods are pure calendar arithmetic here (no roll to a working day), so an empty calendar suffices and no
# database is read.
_CALENDAR = Calendar()


def add_duration(start: datetime.date, duration: Duration) -> datetime.date:
    return _CALENDAR.add_period(start, duration.n, duration.unit, roll_to_working_day=False).date


def lookup_keys(record_class: str, severity: str, sub_type: str) -> list[str]:
    keys = []
    for part in (sub_type, severity):
        if part:
            keys.append(f"{record_class}.{part}")
    keys.append(f"{record_class}.*")
    keys.extend(p for p in (sub_type, severity) if p)
    keys.append("*")
    return keys


_CLASS_VALUES = frozenset(RecordClass.values)
_SEVERITY_VALUES = frozenset(Severity.values)


def check_record_kind(record_class: str, severity: str, sub_type: str) -> dict[str, str]:
    """Field → Chinese message for an invalid class / severity / sub-type combination."""
    errors: dict[str, str] = {}
    if record_class not in _CLASS_VALUES:
        errors["record_class"] = gettext("记录类别“%(v)s”无效") % {"v": record_class}
        return errors
    if severity and severity not in _SEVERITY_VALUES:
        errors["severity"] = gettext("严重程度“%(v)s”无效，应为轻微、一般或严重") % {"v": severity}
    elif not severity and record_class in SEVERITY_REQUIRED:
        errors["severity"] = gettext("行政处罚须注明严重程度（轻微、一般、严重）")
    allowed = SUB_TYPES.get(record_class, {})
    if sub_type and sub_type not in allowed:
        errors["sub_type"] = gettext("子类“%(v)s”不适用于该记录类别") % {"v": sub_type}
    elif not sub_type and record_class in SUB_TYPE_REQUIRED:
        errors["sub_type"] = gettext("该记录类别须注明子类")
    return errors


def compute_window(
    catalog: Catalog,
    *,
    record_class: str,
    severity: str = "",
    sub_type: str = "",
    decision_date: datetime.date,
    conduct_date: datetime.date | None = None,
    extension_years: int | None = None,
    checked: bool = False,
) -> Window:
    """The publicity (or effect) window of a record, by the rule and version in force on its selecting date.

    `checked=True` skips `check_record_kind` when the caller has just run it.
    """
    if not checked:
        errors = check_record_kind(record_class, severity, sub_type)
        if errors:
            raise PolicyError("；".join(errors.values()))
    keys = lookup_keys(record_class, severity, sub_type)
    for rule in catalog.rules_for(record_class):
        day = conduct_date if rule.selected_by == "conduct_date" and conduct_date else decision_date
        version = rule.version_on(day)
        if version is None or version.values is None:
            if rule.priority > 0:
                continue  # an empty or out-of-date slot: fall through to the national rule
            raise PolicyError(
                gettext("%(date)s 不在规则“%(rule)s”任何版本的有效期内") % {"date": day.isoformat(), "rule": rule.title}
            )
        spec = next((version.values[k] for k in keys if k in version.values), None)
        if spec is None:
            if rule.priority > 0:
                continue
            raise PolicyError(
                gettext("规则“%(rule)s”（%(version)s）没有适用于该记录的期限")
                % {"rule": rule.title, "version": version.version}
            )
        return _window(rule, version, spec, decision_date, extension_years, severity)
    raise PolicyError(gettext("记录类别“%(v)s”没有期限规则") % {"v": record_class})


def _window(
    rule: Rule,
    version: RuleVersion,
    spec: PeriodSpec,
    start: datetime.date,
    extension_years: int | None,
    severity: str,
) -> Window:
    notes = [n for n in (spec.note,) if n]
    max_end = add_duration(start, spec.max) if spec.max else None
    if extension_years:
        if spec.extension_years is None or max_end is None:
            raise PolicyError(gettext("该规则不允许延长期限"))
        low, high = spec.extension_years
        if not low <= extension_years <= high:
            raise PolicyError(gettext("延长期限应为%(low)d至%(high)d年") % {"low": low, "high": high})
        if severity != Severity.SERIOUS:
            raise PolicyError(gettext("只有情节严重的才可延长期限"))
        max_end = add_duration(max_end, Duration(extension_years, PeriodUnit.YEAR))
        notes.append(gettext("延长%(n)d年") % {"n": extension_years})
    return Window(
        start=start,
        min_end=add_duration(start, spec.min) if spec.min else None,
        max_end=max_end,
        publish=spec.publish,
        rule_key=rule.key,
        rule_version=version.version,
        provisional=version.provisional or spec.provisional,
        basis=version.basis,
        notes=tuple(notes),
    )


# --- what a window means on a day ------------------------------------------------------------------------------------
def status_on(start: datetime.date, max_end: datetime.date | None, today: datetime.date) -> str:
    """The lifecycle status a fresh record has on `today`: received, in_force or publicity_ended."""
    if today < start:
        return "received"
    if max_end is not None and today > max_end:
        return "publicity_ended"
    return "in_force"


def in_window(start: datetime.date, max_end: datetime.date | None, today: datetime.date) -> bool:
    return start <= today and (max_end is None or today <= max_end)


def repair_allowed_from(min_end: datetime.date | None, start: datetime.date) -> datetime.date:
    """The first day an application for repair (early removal) may be made: the day after the minimum ends."""
    return min_end + datetime.timedelta(days=1) if min_end else start


def can_repair_on(min_end: datetime.date | None, start: datetime.date, today: datetime.date) -> bool:
    return today >= repair_allowed_from(min_end, start)


# --- natural key -----------------------------------------------------------------------------------------------------
_BRACKETS = str.maketrans({"[": "〔", "［": "〔", "【": "〔", "]": "〕", "］": "〕", "】": "〕"})


_HAS_BRACKET = re.compile("[\\[\\]［］【】]").search


def normalise_document_number(text: str) -> str:
    """决定书文号 as compared: whitespace removed, the year brackets written 〔〕 whatever the supplier typed."""
    text = "".join((text or "").split())
    # `translate` looks every character up in the table (~1 µs for a Chinese number): only when there is a bracket.
    return text.translate(_BRACKETS) if _HAS_BRACKET(text) else text


def natural_key(document_number: str, authority_uscc: str, subject_identifier: str) -> str:
    """Document number + deciding authority USCC + subject identifier: a joint penalty is one key per subject."""
    return f"{normalise_document_number(document_number)}|{authority_uscc}|{subject_identifier}"
