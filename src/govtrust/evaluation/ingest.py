"""Import kind `evaluation.values`: indicator values per unit and period (xlsx, CSV, JSON Lines).

Columns: 行政区划代码 (for an indicator assessed per region) or 统一社会信用代码 (per body), 指标代码, 期间
(2025, 2025Q1 or 2025-03, matching the indicator's periodicity) and 数值. The indicator must be an
imported one of some framework version (computed indicators are the platform's own). A value already
stored for the same indicator, unit and period is replaced (the batch number and row are kept with it);
the same file twice is recognised by the machinery and changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.core.ingest import CellError, Column, ImportKind, RowOutcome, Staged, register_kind
from govtrust.core.models import ImportBatch, Region
from govtrust.core.validators import normalise_code
from govtrust.evaluation import policy
from govtrust.evaluation.models import DataSource, Indicator, IndicatorValue, NodeKind, UnitKind
from govtrust.registry.models import Agency

MANAGE = "evaluation.manage"
GROUP = 1000
MAX_ABS = 1e12  # beyond any rate, count, ratio or amount an indicator holds: a typo or a unit mix-up


def parse_value(text: str) -> tuple[float | None, str]:
    """A number such as 1,234.5 or 87.5% (the % is dropped: rates are stored in per cent)."""
    cleaned = text.strip().replace(",", "").replace("，", "").removesuffix("%").removesuffix("％").strip()
    try:
        value = float(cleaned)
    except ValueError:
        return None, _("应为数字")
    if not math.isfinite(value) or abs(value) > MAX_ABS:
        return None, _("数值超出合理范围")
    return value, ""


class IndicatorValues(ImportKind):
    code = "evaluation.values"
    label = gettext_lazy("评价指标数据")
    supplier_required = False
    action = MANAGE
    columns = (
        Column(
            "region_code",
            gettext_lazy("行政区划代码"),
            example="320100",
            help=gettext_lazy("按地区评价的指标填写6位行政区划代码"),
        ),
        Column(
            "uscc",
            gettext_lazy("统一社会信用代码"),
            width=22,
            help=gettext_lazy("按政府部门评价的指标填写单位的统一社会信用代码"),
        ),
        Column(
            "indicator_code",
            gettext_lazy("指标代码"),
            required=True,
            example="rectification_on_time",
            help=gettext_lazy("指标体系中由导入取得数据的指标代码"),
        ),
        Column(
            "period",
            gettext_lazy("期间"),
            required=True,
            example="2025",
            help=gettext_lazy("年度2025、季度2025Q1或月度2025-03，与指标周期一致"),
        ),
        Column(
            "value",
            gettext_lazy("数值"),
            required=True,
            example="92.5",
            help=gettext_lazy("数字；百分比可带%，按百分数存储"),
        ),
    )

    def begin(self, batch: ImportBatch) -> None:
        self.regions = dict(Region.objects.filter(level__lte=3).values_list("code", "pk"))
        self.agencies = dict(Agency.objects.values_list("uscc", "pk"))
        # code -> (unit, period kind): the newest framework version that defines the indicator decides.
        self.indicators: dict[str, tuple[str, str, str]] = {}
        for code, unit, period, source in (
            Indicator.objects.filter(node=NodeKind.INDICATOR)
            .order_by("framework__created_at", "framework_id")
            .values_list("code", "unit", "period", "source")
        ):
            self.indicators[code] = (unit, period, source)

    def validate_row(self, values: dict[str, str], *, row_number: int) -> RowOutcome:
        errors: list[CellError] = []
        code = values["indicator_code"].strip()
        meta = self.indicators.get(code)
        if meta is None:
            errors.append(CellError("indicator_code", code, _("指标代码“%(c)s”不存在") % {"c": code}))
        elif meta[2] != DataSource.IMPORTED:
            errors.append(CellError("indicator_code", code, _("指标“%(c)s”由平台计算，不能导入") % {"c": code}))
        unit_key, region_pk, agency_pk = "", None, None
        if meta is not None:
            if meta[0] == UnitKind.BODY:
                uscc = normalise_code(values["uscc"])
                agency_pk = self.agencies.get(uscc)
                if not uscc:
                    errors.append(CellError("uscc", "", _("该指标按政府部门评价，请填写统一社会信用代码")))
                elif agency_pk is None:
                    errors.append(CellError("uscc", values["uscc"], _("单位“%(c)s”未登记") % {"c": uscc}))
                unit_key = f"A:{uscc}"
            else:
                region_code = normalise_code(values["region_code"])
                region_pk = self.regions.get(region_code)
                if not region_code:
                    errors.append(CellError("region_code", "", _("该指标按地区评价，请填写行政区划代码")))
                elif region_pk is None:
                    errors.append(
                        CellError(
                            "region_code", values["region_code"], _("行政区划代码“%(c)s”不存在") % {"c": region_code}
                        )
                    )
                unit_key = f"R:{region_code}"
        period = policy.parse_period(values["period"])
        if period is None:
            errors.append(CellError("period", values["period"], _("期间格式应为2025、2025Q1或2025-03")))
        elif meta is not None and meta[1] and period.kind != meta[1]:
            errors.append(
                CellError(
                    "period",
                    values["period"],
                    _("该指标为%(k)s指标，期间格式不符")
                    % {"k": dict(Indicator._meta.get_field("period").choices or []).get(meta[1], meta[1])},
                )
            )
        value, reason = parse_value(values["value"])
        if reason:
            errors.append(CellError("value", values["value"], reason))
        if errors:
            return RowOutcome(None, errors)
        data = {"code": code, "region": region_pk, "agency": agency_pk, "period": str(period), "value": value}
        return RowOutcome(data, natural_key=f"{code}|{unit_key}|{period}")

    def publish(self, batch: ImportBatch, staged: Iterator[Staged]) -> dict[str, int]:
        published = replaced = 0
        number = batch.number or str(batch.pk)
        group: list[Staged] = []

        def flush() -> None:
            nonlocal published, replaced
            codes = {row.data["code"] for row in group}
            periods = {row.data["period"] for row in group}
            existing = {
                (v.indicator_code, v.region_id, v.agency_id, v.period): v
                for v in IndicatorValue.objects.filter(indicator_code__in=codes, period__in=periods)
            }
            now = timezone.now()
            fresh, changed = [], []
            for row in group:
                d = row.data
                current = existing.get((d["code"], d["region"], d["agency"], d["period"]))
                if current is None:
                    fresh.append(
                        IndicatorValue(
                            indicator_code=d["code"],
                            region_id=d["region"],
                            agency_id=d["agency"],
                            period=d["period"],
                            value=d["value"],
                            batch_number=number,
                            source_row=row.row_number,
                            updated_at=now,
                        )
                    )
                else:
                    current.value, current.batch_number, current.source_row, current.updated_at = (
                        d["value"],
                        number,
                        row.row_number,
                        now,
                    )
                    changed.append(current)
            IndicatorValue.objects.bulk_create(fresh)
            IndicatorValue.objects.bulk_update(changed, ["value", "batch_number", "source_row", "updated_at"])
            published += len(fresh) + len(changed)
            replaced += len(changed)
            group.clear()

        for row in staged:
            group.append(row)
            if len(group) >= GROUP:
                flush()
        if group:
            flush()
        return {"published": published, "replaced": replaced}


register_kind(IndicatorValues())
