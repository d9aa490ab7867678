"""Body search and region tree at 200,000 government bodies on SQLite (SCALE=0.1 → 20,000).

Query mix (fixed seed): 50% name substrings of 2–4 Chinese characters cut from real names, 25% USCC
prefixes, 25% region filters; each is the first page of 20 plus the total count. Tree: children of a
region with body counts. Baseline: the same searches as plain SQL through `sqlite3` (LIKE '%x%',
LIKE 'P%', a join on the region's ancestor column).

Run from the repository root: `.venv/bin/python benchmarks/search.py`. Last line: one JSON object.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import time

import _harness as h

SEED = 20260101
BODIES = 200_000
QUERIES = 400


def build() -> None:
    from govtrust.demo.loader import load_demo

    started = time.monotonic()
    result = load_demo(seed=SEED, scale=BODIES / 2000 * h.SCALE, people=False)
    print(f"generated {result.counts['bodies']} bodies in {time.monotonic() - started:.1f} s", file=sys.stderr)


def query_mix(names: list[str], usccs: list[str], regions: list[tuple[str, int]]) -> list[tuple[str, str]]:
    rng = random.Random(SEED)
    mix: list[tuple[str, str]] = []
    for i in range(QUERIES):
        kind = ("name", "name", "uscc", "region")[i % 4]
        if kind == "name":
            name = rng.choice(names)
            length = rng.randint(2, min(4, len(name)))
            start = rng.randrange(0, len(name) - length + 1)
            mix.append(("name", name[start : start + length]))
        elif kind == "uscc":
            mix.append(("uscc", rng.choice(usccs)[: rng.choice((4, 6, 8, 10, 12))]))
        else:
            mix.append(("region", rng.choice(regions)[0]))
    return mix


def main() -> None:
    path, built = h.database("search", f"s{SEED}-x{h.SCALE:g}", build)

    from govtrust.core.models import Region
    from govtrust.registry.models import Agency
    from govtrust.registry.search import agency_search, region_children

    sample = random.Random(SEED + 1)
    all_pks = list(Agency.objects.values_list("pk", flat=True))
    picked = Agency.objects.filter(pk__in=sample.sample(all_pks, min(2000, len(all_pks))))
    names = [a.name for a in picked]
    usccs = [a.uscc for a in picked]
    regions = list(Region.objects.filter(level__lte=3).values_list("code", "level"))
    mix = query_mix(names, usccs, regions)
    tree_parents = list(Region.objects.filter(level__lte=2))

    base = Agency.objects.all()
    search_ms, per_kind, totals = [], {"name": [], "uscc": [], "region": []}, []
    for kind, value in mix[:20]:  # warm the page cache, as a running server would have
        agency_search(base, query=value if kind != "region" else "", region_code=value if kind == "region" else "")
    for kind, value in mix:
        query, region = (value, "") if kind != "region" else ("", value)
        started = time.perf_counter()
        page = agency_search(base, query=query, region_code=region)
        elapsed = (time.perf_counter() - started) * 1000
        search_ms.append(elapsed)
        per_kind[kind].append(elapsed)
        totals.append(page.total)
    tree_rng = random.Random(SEED + 2)
    tree_ms = [h.time_ms(lambda: region_children(base, tree_rng.choice(tree_parents))) for _ in range(200)]

    # Baseline: the obvious SQL, through the sqlite3 module directly.
    db = sqlite3.connect(path)
    ancestor = {1: "province_code", 2: "city_code", 3: "county_code"}
    levels = dict(regions)
    page_cols = "a.id, a.uscc, a.name, a.level, a.org_type, a.status, r.name"
    frm = "registry_agency a JOIN core_region r ON r.id = a.region_id"
    baseline_ms, baseline_totals = [], []
    for kind, value in mix:
        if kind == "name":
            escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where, params = "a.name LIKE ? ESCAPE '\\'", [f"%{escaped}%"]
        elif kind == "uscc":
            where, params = "a.uscc LIKE ?", [f"{value}%"]
        else:
            where, params = f"r.{ancestor[levels[value]]} = ?", [value]
        started = time.perf_counter()
        total = db.execute(f"SELECT COUNT(*) FROM {frm} WHERE {where}", params).fetchone()[0]  # noqa: S608
        db.execute(f"SELECT {page_cols} FROM {frm} WHERE {where} ORDER BY a.uscc LIMIT 20", params).fetchall()  # noqa: S608
        baseline_ms.append((time.perf_counter() - started) * 1000)
        baseline_totals.append(total)
    db.close()
    mismatches = sum(1 for a, b in zip(totals, baseline_totals, strict=True) if a != b)

    print(f"database {'built' if built else 'reused from cache'}: {path.name}", file=sys.stderr)
    for kind, values in per_kind.items():
        print(f"  {kind:<7} {h.summary(values)}", file=sys.stderr)
    print(f"  tree    {h.summary(tree_ms)}", file=sys.stderr)
    print(f"  baseline {h.summary(baseline_ms)}", file=sys.stderr)
    h.report(
        {
            "bodies": len(all_pks),
            "search_p95_ms": h.summary(search_ms)["p95_ms"],
            "tree_p95_ms": h.summary(tree_ms)["p95_ms"],
            "baseline_search_p95_ms": h.summary(baseline_ms)["p95_ms"],
            "search_p50_ms": h.summary(search_ms)["p50_ms"],
            "name_p95_ms": h.summary(per_kind["name"])["p95_ms"],
            "uscc_p95_ms": h.summary(per_kind["uscc"])["p95_ms"],
            "region_p95_ms": h.summary(per_kind["region"])["p95_ms"],
            "baseline_search_p50_ms": h.summary(baseline_ms)["p50_ms"],
            "count_mismatches_vs_baseline": mismatches,
        }
    )


if __name__ == "__main__":
    main()
