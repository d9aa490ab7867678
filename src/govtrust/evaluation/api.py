"""Evaluation API (mounted at /api/evaluation/): published runs and their results, for the systems that use
the rankings in performance assessment, funding and pilot decisions (苏政发〔2023〕55号 二(四)).

Token auth with the scope `evaluation.read`; only published runs exist here (an unpublished or withdrawn run
is 404). Every unit comes with its rank interval (5th–95th percentile over the Monte Carlo runs).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from govtrust.accounts.api_auth import ApiTokenAuth
from govtrust.evaluation.models import EvaluationRun

SCOPE = "evaluation.read"

router = Router(auth=ApiTokenAuth(SCOPE), tags=["evaluation"])


class RunOut(Schema):
    number: str = Field(..., description="评价编号", examples=["PJ20260301-001"])
    title: str
    period: str = Field(..., description="评价期间：2025、2025Q1 或 2025-03")
    unit_level: str = Field(..., description="city 设区市、county 县（市、区）、body 政府部门")
    framework_version: str
    seed: int = Field(..., description="随机种子（复算时使用）")
    results_sha256: str = Field(..., description="结果的SHA-256（规范JSON），复算应得到同一值")
    published_at: str


class LevelScoreOut(Schema):
    code: str = Field(..., description="汇总项代码（维度、支柱或综合指数）")
    name: str
    score: float | None
    rank: float | None


class UnitOut(Schema):
    code: str = Field(..., description="行政区划代码或统一社会信用代码")
    name: str
    rank: float | None = Field(..., description="综合指数名义排名（1为最好）")
    score: float | None
    rank_median: float | None = Field(..., description="蒙特卡洛排名中位数")
    rank_q05: float | None = Field(..., description="排名5%分位")
    rank_q95: float | None = Field(..., description="排名95%分位")
    levels: list[LevelScoreOut]


class RunResultsOut(RunOut):
    units: list[UnitOut]


def _run_out(run: EvaluationRun) -> dict[str, object]:
    return {
        "number": run.number,
        "title": run.title,
        "period": run.period,
        "unit_level": run.unit_level,
        "framework_version": run.framework_version,
        "seed": run.seed,
        "results_sha256": run.results_sha256,
        "published_at": run.published_at.isoformat() if run.published_at else "",
    }


@router.get("/runs", response=list[RunOut], summary="已发布的评价")
def runs(request: HttpRequest, unit_level: str = "", period: str = "") -> list[dict[str, object]]:
    qs = EvaluationRun.objects.published().order_by("-published_at")
    if unit_level:
        qs = qs.filter(unit_level=unit_level)
    if period:
        qs = qs.filter(period=period)
    return [_run_out(run) for run in qs[:200]]


@router.get("/runs/{number}", response=RunResultsOut, summary="已发布评价的结果")
def run_results(request: HttpRequest, number: str) -> dict[str, object]:
    run = get_object_or_404(EvaluationRun.objects.published(), number=number)
    res = run.results or {}
    aggs = res.get("aggregates", [])
    names = res.get("aggregate_names", {})
    units = [
        {
            "code": row["code"],
            "name": row["name"],
            "rank": row["rank"],
            "score": row["score"],
            "rank_median": row["median"],
            "rank_q05": row["q05"],
            "rank_q95": row["q95"],
            "levels": [
                {"code": a, "name": names.get(a, a), "score": row["scores"][j], "rank": row["ranks"][j]}
                for j, a in enumerate(aggs)
            ],
        }
        for row in run.unit_rows()
    ]
    return {**_run_out(run), "units": units}
