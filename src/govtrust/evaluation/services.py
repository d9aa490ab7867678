"""Every write of the evaluation module: framework versions, runs (create, execute, re-run, publish) and the
alert lifecycle. Each is keyword-only, atomic, and audited with `log_change` in the same transaction.

A run stores its data matrix, the pipeline spec (method + tree + seed) and the framework version; its
results are hashed (SHA-256 of their canonical JSON) so `evaluation_run_rerun` can prove that computing
the stored inputs again gives exactly the same results.
"""

from __future__ import annotations

import datetime
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govtrust.core.audit import log_change
from govtrust.core.errors import ErrorDict, add_error, raise_if_errors
from govtrust.core.models import ObjectChange, Region
from govtrust.evaluation import pipeline, policy, values
from govtrust.evaluation.models import (
    Alert,
    AlertKind,
    AlertRule,
    AlertStatus,
    EvaluationRun,
    Framework,
    FrameworkStatus,
    Indicator,
    NodeKind,
    RunStatus,
    Severity,
    UnitKind,
    UnitLevel,
)

# Above this many unit × Monte Carlo runs a run goes to the worker with a progress bar (95 counties × 1,000
# runs take well under a second; thousands of bodies take longer).
BACKGROUND_WORK = 500_000
JOB_KIND = "evaluation.run"
logger = logging.getLogger(__name__)
MAX_MC_RUNS = 20_000


# --- frameworks -----------------------------------------------------------------------------------


def _nodes(framework: Framework) -> list[Indicator]:
    return list(framework.nodes.select_related("parent").order_by("position", "pk"))


def framework_tree_errors(framework: Framework) -> list[str]:
    """What stops a framework from being used: a tree the pipeline refuses, for either kind of unit."""
    problems = []
    for unit in (UnitKind.REGION, UnitKind.BODY):
        nodes = policy.subtree_for(_policy_nodes(framework), unit, {n.code for n in _nodes(framework)})
        if not nodes:
            continue
        try:
            pipeline.parse_spec(
                policy.spec_for(
                    nodes,
                    version=framework.version,
                    seed=0,
                    method=policy.DEFAULT_METHOD,
                    uncertainty=None,
                    group_column=None,
                )
            )
        except pipeline.PipelineError as exc:
            problems.append(str(exc))
    return problems


def _policy_nodes(framework: Framework) -> list[policy.Node]:
    return [
        policy.Node(
            code=n.code,
            name=n.name,
            node=n.node,
            parent=n.parent.code if n.parent else None,
            weight=n.weight,
            direction=n.direction,
            unit=n.unit,
        )
        for n in _nodes(framework)
    ]


def framework_new_version(*, actor: Any, source: Framework, version: str, name: str = "") -> Framework:
    """A draft copy of `source` under a new version, to be edited and then activated."""
    version = version.strip()
    errors: ErrorDict = {}
    if not version or len(version) > 40:
        add_error(errors, "version", _("版本号不能为空，且不超过40个字符"))
    elif Framework.objects.filter(code=source.code, version=version).exists():
        add_error(errors, "version", _("该体系已有版本%(v)s") % {"v": version})
    raise_if_errors(errors)
    with transaction.atomic():
        draft = Framework.objects.create(
            code=source.code,
            version=version,
            name=(name or source.name).strip()[:200],
            basis=source.basis,
            provisional=source.provisional,
            provisional_note=source.provisional_note,
            effective_from=source.effective_from,
            derived_from=source,
        )
        copies: dict[int, Indicator] = {}
        for node in _nodes(source):  # parents come first (position order of the tree file)
            copies[node.pk] = Indicator.objects.create(
                framework=draft,
                code=node.code,
                name=node.name,
                node=node.node,
                parent=copies[node.parent_id] if node.parent_id else None,
                weight=node.weight,
                direction=node.direction,
                unit=node.unit,
                period=node.period,
                source=node.source,
                unit_label=node.unit_label,
                basis=node.basis,
                position=node.position,
            )
        log_change(
            actor=actor,
            action=ObjectChange.Action.CREATE,
            obj=draft,
            after={"version": version, "derived_from": source.version, "nodes": len(copies)},
        )
    return draft


def indicator_change(
    *,
    actor: Any,
    indicator: Indicator,
    weight: float | None = None,
    direction: int | None = None,
    name: str | None = None,
    basis: str | None = None,
) -> Indicator:
    """Change a node of a draft framework (an active or retired version never changes)."""
    errors: ErrorDict = {}
    if not indicator.framework.is_editable:
        add_error(errors, "framework", _("只能修改草稿版本的指标体系"), code="not_draft")
    if weight is not None and not (np.isfinite(weight) and weight >= 0):
        add_error(errors, "weight", _("权重须为非负数"))
    if direction is not None and direction not in (1, -1):
        add_error(errors, "direction", _("方向须为1或-1"))
    if name is not None and not name.strip():
        add_error(errors, "name", _("名称不能为空"))
    raise_if_errors(errors)
    with transaction.atomic():
        fields = ("weight", "direction", "name", "basis")
        before = {f: getattr(indicator, f) for f in fields}
        if weight is not None:
            indicator.weight = float(weight)
        if direction is not None and indicator.node == NodeKind.INDICATOR:
            indicator.direction = direction
        if name is not None:
            indicator.name = name.strip()[:200]
        if basis is not None:
            indicator.basis = basis.strip()
        indicator.save()
        log_change(
            actor=actor,
            action=ObjectChange.Action.UPDATE,
            obj=indicator,
            before=before,
            after={f: getattr(indicator, f) for f in fields},
        )
    return indicator


def framework_activate(*, actor: Any, framework: Framework) -> Framework:
    """Make a draft the active version of its code; the previously active one is retired."""
    errors: ErrorDict = {}
    if framework.status != FrameworkStatus.DRAFT:
        add_error(errors, "status", _("只能启用草稿版本"), code="not_draft")
    else:
        for problem in framework_tree_errors(framework):
            add_error(errors, "nodes", problem)
    raise_if_errors(errors)
    with transaction.atomic():
        now = timezone.now()
        previous = list(Framework.objects.filter(code=framework.code, status=FrameworkStatus.ACTIVE))
        Framework.objects.filter(pk__in=[f.pk for f in previous]).update(status=FrameworkStatus.RETIRED)
        changed = Framework.objects.filter(pk=framework.pk, status=FrameworkStatus.DRAFT).update(
            status=FrameworkStatus.ACTIVE, activated_at=now
        )
        if not changed:
            raise ValidationError({"status": [_("该版本已被他人启用或修改，请刷新后重试")]})
        framework.status, framework.activated_at = FrameworkStatus.ACTIVE, now
        log_change(
            actor=actor,
            action=ObjectChange.Action.TRANSITION,
            obj=framework,
            before={"status": "draft", "retired": [f.version for f in previous]},
            after={"status": "active"},
        )
    return framework


def active_framework(code: str = "gov-integrity") -> Framework | None:
    return Framework.objects.filter(code=code, status=FrameworkStatus.ACTIVE).first()


# --- runs -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    header: list[str]
    rows: list[list[Any]]
    nodes: list[policy.Node]
    notes: list[str]


def _constant_after_treatment(column: list[float | None], code: str, method: Mapping[str, Any]) -> bool:
    """Would COINr's outlier treatment leave this indicator with one value for every unit? (It does when
    almost every unit has the same value: winsorising the few others pulls them onto it.) The pipeline
    refuses such an indicator, so it is left out beforehand with a note."""
    treat = method.get("treat", True)
    if treat is False or treat == "none":
        return False
    params = treat if isinstance(treat, Mapping) else {}
    x = np.array([np.nan if v is None else v for v in column], dtype=float)[:, None]
    winmax = params.get("winmax", 5)
    treated, _treatments = pipeline.treat(
        x,
        [code],
        winmax=None if winmax == "auto" else int(winmax),
        skew_thresh=float(params.get("skew", 2.0)),
        kurt_thresh=float(params.get("kurt", 3.5)),
    )
    return bool(np.nanmax(treated) == np.nanmin(treated))


def collect_inputs(
    *,
    framework: Framework,
    unit_level: str,
    period: policy.Period,
    scope_region: Region | None = None,
    method: Mapping[str, Any] | None = None,
) -> Inputs:
    """The data matrix of a run: one row per unit, one column per indicator of that unit kind that has data.
    Indicators without any value, or with the same value for every unit (nothing to rank by, also after the
    outlier treatment of `method`), are left out with a note."""
    unit_kind = UnitKind.BODY if unit_level == UnitLevel.BODY else UnitKind.REGION
    units = values.units_of(unit_level, scope_region)
    notes: list[str] = []
    columns: dict[str, dict[str, float]] = {}
    for node in _nodes(framework):
        if node.node != NodeKind.INDICATOR or node.unit != unit_kind:
            continue
        if node.period and node.period != period.kind:
            notes.append(_("指标%(c)s（%(n)s）的周期与评价期间不符，未纳入") % {"c": node.code, "n": node.name})
            continue
        got = values.indicator_values(node.code, node.source, unit_level, units, period)
        distinct = set(got.values())
        if not got:
            notes.append(_("指标%(c)s（%(n)s）在%(p)s没有数据，未纳入") % {"c": node.code, "n": node.name, "p": period})
        elif len(distinct) == 1:
            notes.append(_("指标%(c)s（%(n)s）各对象数值相同，无法区分，未纳入") % {"c": node.code, "n": node.name})
        elif _constant_after_treatment([got.get(u.code) for u in units], node.code, method or policy.DEFAULT_METHOD):
            notes.append(
                _("指标%(c)s（%(n)s）经离群值处理后各对象数值相同，无法区分，未纳入") % {"c": node.code, "n": node.name}
            )
        else:
            columns[node.code] = got
    nodes = policy.subtree_for(_policy_nodes(framework), unit_kind, set(columns))
    codes = [n.code for n in nodes if n.node == NodeKind.INDICATOR]
    header = ["unit", "name", "group", *codes]
    rows = [[u.code, u.name, u.group, *[columns[c].get(u.code) for c in codes]] for u in units]
    return Inputs(header, rows, nodes, notes)


def _results(
    result: pipeline.Result, names: list[str], groups: list[str], agg_names: Mapping[str, str]
) -> dict[str, Any]:
    tree = result.spec.tree
    clean = policy.clean_number
    raw = result.stages["raw"]
    out: dict[str, Any] = {
        "units": list(result.units),
        "names": names,
        "groups": groups,
        "aggregates": list(tree.aggregates),
        "aggregate_names": {a: agg_names.get(a, a) for a in tree.aggregates},
        "indicators": list(tree.indicators),
        "scores": [[clean(v) for v in row] for row in result.scores],
        "ranks": [[clean(v) for v in row] for row in result.ranks],
        "weights": {k: float(v) for k, v in sorted(result.weights.items())},
        "treatments": [
            {"indicator": t.indicator, "method": t.method, "low": t.low, "high": t.high}
            for t in result.treatments
            if t.method != "none"
        ],
        "availability": {code: float(np.mean(~np.isnan(raw[:, j]))) for j, code in enumerate(tree.indicators)},
        "alpha": {k: clean(v) for k, v in sorted(result.audit.alpha.items())},
        "flags": [{"first": f.first, "second": f.second, "r": clean(f.r), "kind": f.kind} for f in result.audit.flags],
        "uncertainty": None,
    }
    u = result.uncertainty
    if u is not None:
        out["uncertainty"] = {
            "runs": int(u.runs),
            "factors": list(u.factors),
            "nominal": [clean(v) for v in u.nominal_rank],
            "median": [clean(v) for v in u.rank_median],
            "q05": [clean(v) for v in u.rank_q05],
            "q95": [clean(v) for v in u.rank_q95],
            "mean": [clean(v) for v in u.rank_mean],
            "sobol_first": [clean(v) for v in u.sobol_first],
            "sobol_total": [clean(v) for v in u.sobol_total],
        }
    return out


def compute(spec_raw: Mapping[str, Any], inputs: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The results of a stored spec on stored inputs (what a run and its re-run both call)."""
    spec = pipeline.parse_spec(spec_raw)
    header, rows = inputs["header"], inputs["rows"]
    data = pipeline.dataset_from_rows(spec, header, rows)
    result = pipeline.run(spec, data, seed=seed)
    names = [str(r[1]) for r in rows]
    groups = [str(r[2]) for r in rows]
    agg_names = {a["code"]: a.get("name", a["code"]) for a in spec_raw["aggregates"]}
    return _results(result, names, groups, agg_names)


def _next_number(today: datetime.date) -> str:
    prefix = f"PJ{today:%Y%m%d}-"
    last = (
        EvaluationRun.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True)
    ).first()
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:03d}"


def evaluation_run_create(
    *,
    actor: Any,
    framework: Framework,
    period: str,
    unit_level: str,
    scope_region: Region | None = None,
    method: Mapping[str, Any] | None = None,
    uncertainty: Mapping[str, Any] | bool = True,
    seed: int | None = None,
    title: str = "",
    background: bool | None = None,
) -> EvaluationRun:
    """Collect the inputs, store the run and compute it — now, or on the worker (a job with a progress bar)
    when it is big or `background` is True. Raises ValidationError for bad choices or data the pipeline
    refuses (nothing is stored then when run inline)."""
    errors: ErrorDict = {}
    parsed = policy.parse_period(period)
    if parsed is None:
        add_error(errors, "period", _("评价期间格式应为2025、2025Q1或2025-03"))
    if unit_level not in UnitLevel.values:
        add_error(errors, "unit_level", _("未知的评价对象"))
    if framework.status == FrameworkStatus.RETIRED:
        add_error(errors, "framework", _("不能使用已停用的指标体系版本"))
    if seed is not None and (isinstance(seed, bool) or not 0 <= seed < 2**63):
        add_error(errors, "seed", _("随机种子须为非负整数"))
    unc: dict[str, Any] | None = None
    if uncertainty is True:
        unc = dict(policy.DEFAULT_UNCERTAINTY)
    elif isinstance(uncertainty, Mapping):
        unc = {**policy.DEFAULT_UNCERTAINTY, **uncertainty}
        runs = unc.get("runs")
        if not isinstance(runs, int) or not 1 <= runs <= MAX_MC_RUNS:
            add_error(errors, "uncertainty", _("蒙特卡洛次数须在1到%(n)d之间") % {"n": MAX_MC_RUNS})
    raise_if_errors(errors)
    assert parsed is not None
    full_method = {**policy.DEFAULT_METHOD, **(method or {})}
    inputs = collect_inputs(
        framework=framework, unit_level=unit_level, period=parsed, scope_region=scope_region, method=full_method
    )
    if not any(n.node == NodeKind.INDICATOR for n in inputs.nodes):
        raise ValidationError({"period": [_("%(p)s没有可用于评价的指标数据") % {"p": parsed}]})
    if len(inputs.rows) < 2:
        raise ValidationError({"unit_level": [_("评价对象少于2个，无法排名")]})
    seed = int(seed) if seed is not None else secrets.randbelow(2**31)  # stored: the run stays reproducible
    group_column = "group" if unit_level != UnitLevel.CITY else None
    spec_raw = policy.spec_for(
        inputs.nodes,
        version=framework.version,
        seed=seed,
        method=full_method,
        uncertainty=unc,
        group_column=group_column,
    )
    try:
        pipeline.parse_spec(spec_raw)
    except pipeline.PipelineError as exc:
        raise ValidationError({"method": [str(exc)]}) from None
    stored_inputs = {"header": inputs.header, "rows": inputs.rows}
    level_label = UnitLevel(unit_level).label
    title = (title.strip() or _("%(p)s年度%(l)s政务诚信评价") % {"p": parsed, "l": level_label})[:200]
    work = len(inputs.rows) * (unc["runs"] if unc else 1)
    background = work > BACKGROUND_WORK if background is None else background
    today = timezone.localdate()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                run = EvaluationRun.objects.create(
                    number=_next_number(today),
                    title=title,
                    framework=framework,
                    framework_version=framework.version,
                    period=str(parsed),
                    unit_level=unit_level,
                    scope_region=scope_region,
                    seed=seed,
                    spec=spec_raw,
                    inputs=stored_inputs,
                    inputs_sha256=policy.digest(stored_inputs),
                    notes=inputs.notes,
                    created_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
                log_change(
                    actor=actor,
                    action=ObjectChange.Action.CREATE,
                    obj=run,
                    after={
                        "framework": framework.version,
                        "period": run.period,
                        "unit_level": unit_level,
                        "seed": seed,
                        "units": len(inputs.rows),
                        "inputs_sha256": run.inputs_sha256,
                    },
                )
            break
        except IntegrityError:  # two runs numbered at once: take the next number
            continue
    else:
        raise ValidationError(_("评价编号分配冲突，请重试"))
    if background:
        from govtrust.core.jobs import job_create, job_enqueue
        from govtrust.evaluation.tasks import run_evaluation

        job = job_create(actor=actor, kind=JOB_KIND, total=3)
        EvaluationRun.objects.filter(pk=run.pk).update(job_public_id=str(job.public_id))
        run.job_public_id = str(job.public_id)
        job_enqueue(job, run_evaluation, number=run.number)
        run.refresh_from_db()
        return run
    evaluation_run_execute(run)
    if run.status == RunStatus.FAILED:
        raise ValidationError({"method": [run.error]})
    return run


def evaluation_run_execute(run: EvaluationRun, *, progress: Callable[[int, str], None] | None = None) -> EvaluationRun:
    """Compute a queued run (claimed with a conditional UPDATE, so a job delivered twice computes once)."""
    claimed = EvaluationRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(status=RunStatus.RUNNING)
    if not claimed:
        run.refresh_from_db()
        return run
    if progress:
        progress(1, _("正在计算得分、排名与不确定性"))
    try:
        results = compute(run.spec, run.inputs, run.seed)
    except Exception as exc:
        # A PipelineError's message is written for users (it names the indicator or unit at fault);
        # anything else is a bug: logged, shown by reference only.
        if isinstance(exc, pipeline.PipelineError):
            message = str(exc)
        else:
            logger.exception("evaluation run %s failed", run.number)
            message = _("计算出错，请联系管理员（评价编号 %(n)s）") % {"n": run.number}
        with transaction.atomic():
            EvaluationRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED, error=message, finished_at=timezone.now()
            )
            run.refresh_from_db()
            log_change(
                actor=None,
                action=ObjectChange.Action.TRANSITION,
                obj=run,
                before={"status": "running"},
                after={"status": "failed", "error": message[:500]},
            )
        return run
    if progress:
        progress(2, _("正在保存结果"))
    with transaction.atomic():
        sha = policy.digest(results)
        EvaluationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE, results=results, results_sha256=sha, finished_at=timezone.now()
        )
        run.refresh_from_db()
        log_change(
            actor=None,
            action=ObjectChange.Action.TRANSITION,
            obj=run,
            before={"status": "running"},
            after={"status": "done", "results_sha256": sha},
        )
    return run


@dataclass(frozen=True)
class RerunCheck:
    identical: bool
    stored_sha256: str
    computed_sha256: str
    inputs_intact: bool  # the stored inputs still hash to what was recorded at creation


def evaluation_run_rerun(*, actor: Any, run: EvaluationRun) -> RerunCheck:
    """Compute the run again from its stored inputs, spec and seed, and compare the SHA-256 of the results.
    Nothing of the run changes; the check itself is audited."""
    if run.status != RunStatus.DONE:
        raise ValidationError({"status": [_("只能复算已完成的评价")]})
    results = compute(run.spec, run.inputs, run.seed)
    check = RerunCheck(
        identical=policy.digest(results) == run.results_sha256,
        stored_sha256=run.results_sha256,
        computed_sha256=policy.digest(results),
        inputs_intact=policy.digest(run.inputs) == run.inputs_sha256,
    )
    with transaction.atomic():
        log_change(
            actor=actor,
            action=ObjectChange.Action.UPDATE,
            obj=run,
            message=_("复算核验"),
            after={
                "identical": check.identical,
                "computed_sha256": check.computed_sha256,
                "inputs_intact": check.inputs_intact,
            },
        )
    return check


@dataclass(frozen=True)
class Comparison:
    before: EvaluationRun
    after: EvaluationRun
    changes: list[policy.RankChange]
    names: dict[str, str]


def evaluation_run_compare(*, before: EvaluationRun, after: EvaluationRun) -> Comparison:
    """Rank changes of the index between two finished runs (units of either; biggest moves first)."""
    for run in (before, after):
        if run.status != RunStatus.DONE:
            raise ValidationError({"run": [_("评价%(n)s尚未完成") % {"n": run.number}]})

    def ranks(run: EvaluationRun) -> dict[str, float | None]:
        return {row["code"]: row["rank"] for row in run.unit_rows()}

    names = {row["code"]: row["name"] for run in (before, after) for row in run.unit_rows()}
    return Comparison(before, after, policy.rank_changes(ranks(before), ranks(after)), names)


def evaluation_run_publish(*, actor: Any, run: EvaluationRun) -> EvaluationRun:
    """Publish a finished run on the portal and the API (conditional UPDATE: published once)."""
    if run.status != RunStatus.DONE:
        raise ValidationError({"status": [_("只能发布已完成的评价")]})
    with transaction.atomic():
        now = timezone.now()
        user = actor if getattr(actor, "is_authenticated", False) else None
        changed = EvaluationRun.objects.filter(pk=run.pk, published_at__isnull=True).update(
            published_at=now, published_by=user
        )
        if not changed:
            raise ValidationError({"status": [_("该评价已发布")]})
        run.published_at, run.published_by = now, user
        log_change(
            actor=actor,
            action=ObjectChange.Action.TRANSITION,
            obj=run,
            before={"published": False},
            after={"published": True, "results_sha256": run.results_sha256},
        )
    return run


def evaluation_run_unpublish(*, actor: Any, run: EvaluationRun, reason: str) -> EvaluationRun:
    """Withdraw a published run from the portal and the API, with a reason."""
    if not reason.strip():
        raise ValidationError({"reason": [_("请填写撤回原因")]})
    with transaction.atomic():
        changed = EvaluationRun.objects.filter(pk=run.pk, published_at__isnull=False).update(
            published_at=None, published_by=None
        )
        if not changed:
            raise ValidationError({"status": [_("该评价未发布")]})
        run.published_at = run.published_by = None
        log_change(
            actor=actor,
            action=ObjectChange.Action.TRANSITION,
            obj=run,
            before={"published": True},
            after={"published": False},
            message=reason.strip()[:500],
        )
    return run


# --- alert rules and alerts -----------------------------------------------------------------------


def alert_rule_create(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    unit_level: str,
    params: Mapping[str, Any],
    indicator_code: str = "",
    severity: str = Severity.WARNING,
    owner_user: Any = None,
    owner_agency: Any = None,
    basis: str = "",
) -> AlertRule:
    errors: ErrorDict = {}
    code, name, indicator_code = code.strip(), name.strip(), indicator_code.strip()
    if not code or len(code) > 60:
        add_error(errors, "code", _("规则代码不能为空，且不超过60个字符"))
    elif AlertRule.objects.filter(code=code).exists():
        add_error(errors, "code", _("规则代码%(c)s已存在") % {"c": code})
    if not name:
        add_error(errors, "name", _("名称不能为空"))
    if kind not in AlertKind.values:
        add_error(errors, "kind", _("未知的规则类型"))
    if unit_level not in UnitLevel.values:
        add_error(errors, "unit_level", _("未知的评价对象"))
    if severity not in Severity.values:
        add_error(errors, "severity", _("未知的严重程度"))
    if kind in (AlertKind.THRESHOLD, AlertKind.CHANGE, AlertKind.PEER_ANOMALY):
        if not indicator_code:
            add_error(errors, "indicator_code", _("此类规则须指定指标"))
        elif not Indicator.objects.filter(code=indicator_code, node=NodeKind.INDICATOR).exists():
            add_error(errors, "indicator_code", _("指标%(c)s不存在") % {"c": indicator_code})
    checked: dict[str, Any] = {}
    try:
        checked = policy.check_rule_params(kind, params)
    except policy.RuleParamError as exc:
        add_error(errors, "params", str(exc))
    if kind == AlertKind.OVERDUE and checked:
        from govtrust.evaluation.monitoring import OVERDUE_SOURCES

        if checked["source"] not in OVERDUE_SOURCES:
            add_error(errors, "params", _("未知的逾期事项来源%(s)s") % {"s": checked["source"]})
    raise_if_errors(errors)
    with transaction.atomic():
        rule = AlertRule.objects.create(
            code=code,
            name=name[:200],
            kind=kind,
            unit_level=unit_level,
            indicator_code=indicator_code,
            params=checked,
            severity=severity,
            owner_user=owner_user,
            owner_agency=owner_agency,
            basis=basis.strip(),
        )
        log_change(
            actor=actor,
            action=ObjectChange.Action.CREATE,
            obj=rule,
            after={"kind": kind, "indicator": indicator_code, "params": checked, "severity": severity},
        )
    return rule


def alert_rule_set_active(*, actor: Any, rule: AlertRule, active: bool) -> AlertRule:
    with transaction.atomic():
        before = rule.active
        rule.active = active
        rule.save(update_fields=["active"])
        log_change(
            actor=actor,
            action=ObjectChange.Action.UPDATE,
            obj=rule,
            before={"active": before},
            after={"active": active},
        )
    return rule


def _transition(alert: Alert, *, actor: Any, source: list[str], target: str, note: str, **fields: Any) -> Alert:
    with transaction.atomic():
        values = {"status": target, **fields}
        if note.strip():
            values["note"] = (alert.note + "\n" if alert.note else "") + note.strip()[:2000]
        changed = Alert.objects.filter(pk=alert.pk, status__in=source).update(**values)
        if not changed:
            raise ValidationError({"status": [_("预警当前状态不允许此操作，请刷新后重试")]})
        before = alert.status
        alert.refresh_from_db()
        log_change(
            actor=actor,
            action=ObjectChange.Action.TRANSITION,
            obj=alert,
            before={"status": before},
            after={"status": target, "note": note.strip()[:500]},
        )
    return alert


def alert_acknowledge(*, actor: Any, alert: Alert, note: str = "") -> Alert:
    """open → acknowledged: someone has taken the warning in hand."""
    return _transition(
        alert,
        actor=actor,
        source=[AlertStatus.OPEN],
        target=AlertStatus.ACKNOWLEDGED,
        note=note,
        acknowledged_at=timezone.now(),
        acknowledged_by=_user(actor),
    )


def alert_resolve(*, actor: Any, alert: Alert, note: str) -> Alert:
    """open or acknowledged → resolved, with what was done. A resolved alert is not raised again for the
    same rule, unit and period."""
    if not note.strip():
        raise ValidationError({"note": [_("请填写处理说明")]})
    return _transition(
        alert,
        actor=actor,
        source=[AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED],
        target=AlertStatus.RESOLVED,
        note=note,
        resolved_at=timezone.now(),
        resolved_by=_user(actor),
    )


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def alerts_evaluate(*, run_date: datetime.date, rules: list[AlertRule] | None = None) -> dict[str, Any]:
    """Evaluate every active rule and raise the alerts not raised yet (idempotent: one alert per rule, unit
    and period; an existing one, whatever its status, is left alone). Owners are notified."""
    from govtrust.evaluation.monitoring import evaluate_rule, notify_alert

    rules = rules if rules is not None else list(AlertRule.objects.filter(active=True))
    raised, skipped = 0, []
    for rule in rules:
        findings, note = evaluate_rule(rule, run_date)
        if note:
            skipped.append(f"{rule.code}: {note}")
        if not findings:
            continue
        existing = set(
            Alert.objects.filter(rule=rule, unit_code__in=[f.unit.code for f in findings]).values_list(
                "unit_code", "period"
            )
        )
        for finding in findings:
            if (finding.unit.code, finding.period) in existing:
                continue
            try:
                with transaction.atomic():
                    alert = Alert.objects.create(
                        rule=rule,
                        unit_code=finding.unit.code,
                        unit_name=finding.unit.name,
                        region_id=finding.unit.region_pk,
                        agency_id=finding.unit.agency_pk,
                        period=finding.period,
                        value=finding.value,
                        message=finding.message,
                        severity=rule.severity,
                        owner_user=rule.owner_user,
                        owner_agency=rule.owner_agency,
                        raised_on=run_date,
                    )
                    log_change(
                        actor=None,
                        action=ObjectChange.Action.CREATE,
                        obj=alert,
                        after={
                            "rule": rule.code,
                            "unit": finding.unit.code,
                            "period": finding.period,
                            "value": finding.value,
                        },
                    )
                    notify_alert(alert)
            except IntegrityError:  # raised by a concurrent sweep in between
                continue
            raised += 1
    return {"run_date": run_date.isoformat(), "rules": len(rules), "raised": raised, "skipped": skipped}
