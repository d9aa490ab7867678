"""Evaluation pipeline at 2,000 units × 60 indicators with 1,000 Monte Carlo runs (SCALE multiplies units).

Data (fixed seed): 60 indicators in 12 groups of 5 under 3 sub-indices and one index; log-normal, normal
and count-like columns, a fifth of them denominated by a population column, 2 % of cells missing, imputed
by group mean (13 groups, like the 13 cities). Platform: the whole pipeline (`govtrust.evaluation.pipeline.run`:
denominate, impute, treat, normalise, aggregate at every level, audit) plus the uncertainty analysis —
Saltelli's design over noisy weights × 2 normalisations × arithmetic/geometric means, 1,000 runs in all,
which give both the rank intervals and the Sobol indices (so `sobol_runs` = `mc_runs`).
Baseline: the same pipeline without uncertainty, then a run-by-run loop over the same draws (normalise,
aggregate the tree, rank each run on its own), timed on a sample of runs and extrapolated when slow. The
script checks that the loop's ranks equal the vectorised ranks on that sample.

Run from the repository root: `.venv/bin/python benchmarks/evaluation.py`. Last line: one JSON object.
"""

from __future__ import annotations

import sys
import time

import _harness as h
import numpy as np

SEED = 20260101
UNITS = max(20, int(2000 * h.SCALE))
INDICATORS = 60
RUNS = 1000
LOOP_SAMPLE = 100


def make_data(rng: np.random.Generator) -> tuple[dict, list[str], list[list[object]]]:
    groups = [f"city{k:02d}" for k in range(13)]
    indicators = []
    for j in range(INDICATORS):
        indicators.append(
            {
                "code": f"I{j:02d}",
                "parent": f"P{j // 5:02d}",
                "direction": -1 if j % 4 == 3 else 1,
                "weight": 1.0 + (j % 3),
                **({"denominator": "population"} if j % 5 == 0 else {}),
            }
        )
    aggregates = [{"code": f"P{p:02d}", "parent": f"S{p // 4}", "weight": 1.0} for p in range(12)]
    aggregates += [{"code": f"S{s}", "parent": "Index", "weight": 1.0} for s in range(3)] + [{"code": "Index"}]
    spec = {
        "version": "bench",
        "unit_column": "unit",
        "group_column": "city",
        "seed": SEED,
        "indicators": indicators,
        "aggregates": aggregates,
        "method": {
            "impute": {"method": "mean", "by_group": True},
            "treat": {"winmax": 5},
            "normalise": {"method": "minmax", "low": 0, "high": 100},
            "aggregate": {"method": "arithmetic", "threshold": 0.5},
        },
        "uncertainty": {"runs": RUNS, "weight_noise": 0.25},
    }
    cols = []
    for j in range(INDICATORS):
        kind = j % 3
        if kind == 0:
            cols.append(rng.lognormal(2.0, 1.0, UNITS))
        elif kind == 1:
            cols.append(rng.normal(50, 12, UNITS))
        else:
            cols.append(rng.poisson(4, UNITS).astype(float))
    x = np.column_stack(cols)
    x[rng.random(x.shape) < 0.02] = np.nan
    population = rng.uniform(5e4, 2e6, UNITS)
    header = ["unit", "city", "population"] + [i["code"] for i in indicators]
    rows: list[list[object]] = []
    for u in range(UNITS):
        rows.append([f"U{u:05d}", groups[u % 13], population[u], *x[u].tolist()])
    return spec, header, rows


def main() -> None:
    from govtrust.evaluation.pipeline import dataset_from_rows, parse_spec, run
    from govtrust.evaluation.pipeline import uncertainty as mc
    from govtrust.evaluation.pipeline.run import _normalise

    rng = np.random.default_rng(SEED)
    raw_spec, header, rows = make_data(rng)
    spec = parse_spec(raw_spec)
    data = dataset_from_rows(spec, header, rows)

    started = time.perf_counter()
    result = run(spec, data)
    seconds = time.perf_counter() - started
    unc = result.uncertainty
    assert unc is not None
    print(f"platform: {seconds:.2f} s for the pipeline + {unc.runs} runs ({unc.factors})", file=sys.stderr)

    # Baseline: the pipeline alone, then the same draws run by run.
    started = time.perf_counter()
    nominal = run(spec, data, uncertainty=False)
    base_pipeline = time.perf_counter() - started
    u = spec.uncertainty
    assert u is not None
    treated = nominal.stages["treated"]
    tree = type(spec.tree)(spec.tree.indicators, spec.tree.aggregates, spec.tree.parent, nominal.weights)
    plan = mc.design(
        tree,
        runs=u.runs,
        seed=spec.seed,
        noise=u.weight_noise,
        normalisations=len(u.normalisations),
        aggregations=len(u.aggregations),
        weight_sets=u.weight_sets,
    )
    normalisers = [lambda n=n: _normalise(spec, treated, n) for n in u.normalisations]
    sample = min(LOOP_SAMPLE, plan.runs)
    started = time.perf_counter()
    loop_ranks = mc.evaluate_loop(normalisers, tree, u.aggregations, plan, spec.threshold, runs=sample)
    loop_seconds = (time.perf_counter() - started) * plan.runs / sample
    alts = [n() for n in normalisers]
    fast_ranks = mc.evaluate(alts, tree, u.aggregations, plan, spec.threshold)[:sample]
    mismatches = int(np.sum(~((loop_ranks == fast_ranks) | (np.isnan(loop_ranks) & np.isnan(fast_ranks)))))
    print(
        f"baseline: pipeline {base_pipeline:.2f} s + loop {loop_seconds:.1f} s "
        f"(extrapolated from {sample} runs); rank mismatches vs vectorised on the sample: {mismatches}",
        file=sys.stderr,
    )
    print(
        f"Sobol (mean |rank shift|): first {np.round(unc.sobol_first, 3).tolist()}, "
        f"total {np.round(unc.sobol_total, 3).tolist()}",
        file=sys.stderr,
    )
    h.report(
        {
            "units": UNITS,
            "indicators": INDICATORS,
            "mc_runs": unc.runs,
            "seconds": round(seconds, 3),
            "baseline_seconds": round(base_pipeline + loop_seconds, 3),
            "sobol_runs": unc.base_samples * (len(unc.factors) + 2),
        }
    )


if __name__ == "__main__":
    main()
