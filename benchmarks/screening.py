"""Screening matcher: index build and check speed on synthetic lists, and accuracy on the frozen labelled set
against nomenklatura's logic-v2 (the yente default) when it is importable.

    .venv/bin/python benchmarks/screening.py              # 1,000,000 entries (200,000 organisations)
    SCALE=0.1 .venv/bin/python benchmarks/screening.py    # a tenth
    NOMENKLATURA_PATH=/tmp/nk .venv/bin/python benchmarks/screening.py   # nomenklatura installed with --target

This measures the pure matcher in process (no HTTP, no database): build of the identifier tables and the
bigram index from `Entry` objects, then single checks (p50/p99) over a query mix of 40% listed organisation
names in a variant spelling (traditional, legal form, dropped region), 30% organisation names not listed,
20% USCCs (half listed) and 10% persons' ID numbers (half listed), and a batch of 10,000 of them.
The HTTP figures of the issue (loopback, gunicorn, 10M entries) are a later benchmark.
Last line: one JSON object.
"""

from __future__ import annotations

import csv
import hashlib
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

import _harness as h  # noqa: I001  (sets sys.path first)
import opencc

from govtrust.screening.matching import Entry, Matcher, Query, load_rules

SEED = 20260601
ORGS = 200_000
PERSONS = 800_000
CHECKS = 2_000
BATCH = 10_000
PAIRS = h.ROOT / "tests" / "screening" / "data" / "pairs.csv"

CITIES = ["南京", "无锡", "徐州", "常州", "苏州", "南通", "连云港", "淮安", "盐城", "扬州", "镇江", "泰州", "宿迁"]
COUNTIES = [
    "江宁区",
    "江阴市",
    "宜兴市",
    "沛县",
    "邳州市",
    "溧阳市",
    "昆山市",
    "常熟市",
    "如皋市",
    "东海县",
    "高邮市",
    "丹阳市",
]
TRADE = "华泰鑫源恒通宏达金盛天瑞安康永兴昌隆嘉信诚美佳德润丰汇和顺明新博远海星光中利众东方长城广陵紫金钟山秦淮"
INDUSTRY = [
    "建设工程",
    "建筑安装",
    "装饰工程",
    "市政工程",
    "园林绿化",
    "电子科技",
    "信息技术",
    "网络科技",
    "物流",
    "运输",
    "贸易",
    "商贸",
    "机械制造",
    "化工",
    "纺织",
    "服饰",
    "食品",
    "医药",
    "环保科技",
    "新能源",
    "物业管理",
    "劳务派遣",
    "建材",
    "钢结构",
    "电气设备",
    "水利工程",
    "交通工程",
    "广告传媒",
]
FORMS = ["有限公司", "有限公司", "有限责任公司", "股份有限公司"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_W = (3, 7, 9, 10, 5, 8, 4, 2)


def uscc(n: int) -> str:
    org8 = f"{n:08d}"
    r = 11 - sum(int(c) * w for c, w in zip(org8, ORG_W, strict=True)) % 11
    first17 = "91320100" + org8 + {10: "X", 11: "0"}.get(r, str(r))
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_W, strict=True))
    return first17 + USCC_CHARSET[(31 - total % 31) % 31]


def id_hash(n: int) -> str:
    return hashlib.blake2b(f"ID{n}".encode(), digest_size=16).hexdigest()


def org_name(rng: random.Random) -> tuple[str, str, str, str]:
    prefix = (
        rng.choice(CITIES)
        + ("市" if rng.random() < 0.4 else "")
        + (rng.choice(COUNTIES) if rng.random() < 0.15 else "")
    )
    trade = "".join(rng.sample(TRADE, rng.choice((2, 2, 3, 4))))
    return prefix, trade, rng.choice(INDUSTRY), rng.choice(FORMS)


def generate(n_orgs: int, n_persons: int) -> tuple[list[Entry], list[tuple[str, str, str, str]]]:
    rng = random.Random(SEED)
    entries: list[Entry] = []
    parts = []
    for i in range(n_orgs):
        p = org_name(rng)
        parts.append(p)
        entries.append(Entry(i, "SXBZXR", "organisation", "".join(p), uscc=uscc(i) if i % 2 == 0 else ""))
    for j in range(n_persons):
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        key = n_orgs + j
        if j % 3 == 0:  # a court-masked number
            masked = "3201" + "*" * 10 + f"{j % 10000:04d}"
            entries.append(Entry(key, "SXBZXR", "person", name, id_masked=masked))
        else:
            entries.append(Entry(key, "SXBZXR", "person", name, id_hash=id_hash(j)))
    return entries, parts


def queries(parts: list[tuple[str, str, str, str]], n_orgs: int, n_persons: int, count: int) -> list[Query]:
    rng = random.Random(SEED + 1)
    s2t = opencc.OpenCC("s2t")
    out: list[Query] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.4:
            prefix, trade, industry, form = rng.choice(parts)
            variant = rng.randrange(3)
            name = (
                s2t.convert(prefix + trade + industry) + form
                if variant == 0
                else prefix + trade + industry + ("有限责任公司" if form == "有限公司" else form)
                if variant == 1
                else trade + industry + form
            )
            out.append(Query(name=name))
        elif roll < 0.7:
            prefix, trade, industry, form = org_name(rng)
            out.append(Query(name=prefix + trade + "x" + industry + form))
        elif roll < 0.9:
            out.append(Query(uscc=uscc(rng.randrange(n_orgs * 2))))
        else:
            j = rng.randrange(n_persons * 2)
            out.append(Query(name="王伟", id_number="32010219800101123X", id_hash=id_hash(j)))
    return out


def accuracy_ours(rows: list[dict[str, str]]) -> list[bool]:
    rules = load_rules()
    return [
        Matcher([Entry(1, "T", "organisation", r["name_a"])], rules=rules).check(Query(name=r["name_b"])).decision
        != "pass"
        for r in rows
    ]


def accuracy_nomenklatura(rows: list[dict[str, str]]) -> tuple[list[bool] | None, str]:
    """logic-v2 on the same pairs as Company entities (threshold 0.7, yente's default)."""
    extra = os.environ.get("NOMENKLATURA_PATH")
    if extra:
        sys.path.append(extra)
    try:
        from followthemoney import model  # type: ignore[import-not-found]
        from nomenklatura.matching import get_algorithm  # type: ignore[import-not-found]
        from nomenklatura.matching.types import ScoringConfig  # type: ignore[import-not-found]
    except Exception as error:  # noqa: BLE001  (any import problem: no baseline)
        return None, f"nomenklatura not importable: {error}"
    algorithm = get_algorithm("logic-v2")
    if algorithm is None:
        return None, "logic-v2 not found"
    config = ScoringConfig.defaults()

    def company(i: str, name: str) -> Any:
        entity = model.make_entity("Company")
        entity.id = i
        entity.add("name", name)
        return entity

    predicted = []
    for n, row in enumerate(rows):
        result = algorithm.compare(company(f"q{n}", row["name_b"]), company(f"r{n}", row["name_a"]), config)
        predicted.append(result.score >= 0.7)
    return predicted, "ok"


def confusion(rows: list[dict[str, str]], predicted: list[bool]) -> dict[str, float]:
    tp = sum(p and r["label"] == "1" for r, p in zip(rows, predicted, strict=True))
    fn = sum(not p and r["label"] == "1" for r, p in zip(rows, predicted, strict=True))
    fp = sum(p and r["label"] == "0" for r, p in zip(rows, predicted, strict=True))
    tn = sum(not p and r["label"] == "0" for r, p in zip(rows, predicted, strict=True))
    return {
        "recall": round(tp / max(1, tp + fn), 4),
        "fpr": round(fp / max(1, fp + tn), 4),
        "precision": round(tp / max(1, tp + fp), 4),
    }


def main() -> None:
    n_orgs, n_persons = max(1000, int(ORGS * h.SCALE)), max(1000, int(PERSONS * h.SCALE))
    started = time.perf_counter()
    entries, parts = generate(n_orgs, n_persons)
    print(f"generated {len(entries):,} entries in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    started = time.perf_counter()
    matcher = Matcher.build(entries, rules=load_rules())
    build_s = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"built in {build_s:.1f}s; arrays {matcher.nbytes / 1e6:.1f} MB", file=sys.stderr)
    mix = queries(parts, n_orgs, n_persons, CHECKS)
    for q in mix[:100]:  # warm the parse caches' code paths
        matcher.check(q)
    times = [h.time_ms(lambda q=q: matcher.check(q)) for q in mix]  # type: ignore[misc]
    decisions = [matcher.check(q).decision for q in mix]
    batch = queries(parts, n_orgs, n_persons, BATCH)
    started = time.perf_counter()
    for q in batch:
        matcher.check(q)
    batch_s = time.perf_counter() - started
    with open(PAIRS, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ours = confusion(rows, accuracy_ours(rows))
    baseline, note = accuracy_nomenklatura(rows)
    base = confusion(rows, baseline) if baseline is not None else {}
    print(f"decisions: { {d: decisions.count(d) for d in set(decisions)} }; baseline: {note} {base}", file=sys.stderr)
    h.report(
        {
            "entries": len(entries),
            "build_s": round(build_s, 2),
            "rss_mb": round(rss_mb, 1),
            "p50_ms": round(h.percentile(times, 50), 3),
            "p99_ms": round(h.percentile(times, 99), 3),
            "rps_one_core": round(BATCH / batch_s, 1),
            "batch_10k_s": round(batch_s, 2),
            "recall": ours["recall"],
            "fpr": ours["fpr"],
            "precision": ours["precision"],
            "baseline_recall": base.get("recall"),
            "baseline_fpr": base.get("fpr"),
            "in_process": True,
        }
    )


if __name__ == "__main__":
    Path(h.BENCH_DIR).mkdir(parents=True, exist_ok=True)
    main()
