"""Write pairs.csv, the FROZEN labelled set of organisation-name pairs (run once; the output is committed).

    python tests/screening/data/make_pairs.py > tests/screening/data/pairs.csv

Hand-written pairs come from hand_pairs.txt; the rest are generated from combinatorial pools with a fixed
seed. Columns: id, name_a, name_b, label (1 = same subject, 0 = different), variant, source (hand/generated).
The set was written before the matcher existed and must not be edited to suit it.
"""

from __future__ import annotations

import csv
import random
import re
import sys
from pathlib import Path

import opencc

HERE = Path(__file__).parent
S2T = opencc.OpenCC("s2t")

CITIES = ["南京", "无锡", "徐州", "常州", "苏州", "南通", "连云港", "淮安", "盐城", "扬州", "镇江", "泰州", "宿迁"]
COUNTIES = [
    "江宁区",
    "浦口区",
    "江阴市",
    "宜兴市",
    "沛县",
    "邳州市",
    "溧阳市",
    "昆山市",
    "常熟市",
    "太仓市",
    "如皋市",
    "海安市",
    "东海县",
    "涟水县",
    "东台市",
    "高邮市",
    "丹阳市",
    "句容市",
    "兴化市",
    "沭阳县",
]
TRADE_CHARS = "华泰鑫源恒通宏达金盛天瑞安康永兴昌隆嘉信诚美佳德润丰汇和顺明新博远海星光中利众"
INDUSTRIES = [
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
FORMS = ["有限公司", "有限责任公司", "股份有限公司"]
HALF_TO_FULL = str.maketrans("()", "（）")


def hand_pairs(path: Path = HERE / "hand_pairs.txt") -> list[tuple[str, str, int, str]]:
    """The hand-written pairs of `path` ("= base", then "+ variant  kind" or "- negative  kind" lines)."""
    pairs, base = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        mark, rest = line[0], line[2:]
        if mark == "=":
            base = rest.strip()
            continue
        name, variant = re.split(r"\s{2,}", rest.rstrip())
        pairs.append((base, name, 1 if mark == "+" else 0, variant))
    return pairs


def generated(rng: random.Random, count: int) -> list[tuple[str, str, int, str]]:
    pairs: list[tuple[str, str, int, str]] = []
    seen: set[str] = set()
    while len(pairs) < count:
        city = rng.choice(CITIES)
        trade = "".join(rng.sample(TRADE_CHARS, rng.choice((2, 2, 2, 3))))
        industry = rng.choice(INDUSTRIES)
        form = rng.choice(("有限公司", "有限公司", "有限责任公司", "股份有限公司"))
        county = rng.choice(COUNTIES) if rng.random() < 0.2 else ""
        prefix = city + ("市" if rng.random() < 0.5 else "") + county
        base = prefix + trade + industry + form
        if base in seen:
            continue
        seen.add(base)
        choice = rng.randrange(12)
        if choice == 0:
            pairs.append((base, S2T.convert(base), 1, "traditional"))
        elif choice == 1:
            other = {"有限公司": "有限责任公司", "有限责任公司": "有限公司"}.get(form)
            if other is None:
                continue
            pairs.append((base, base[: -len(form)] + other, 1, "legal_form"))
        elif choice == 2:
            pairs.append((base, base[len(prefix) :], 1, "dropped_region"))
        elif choice == 3:
            spaced = prefix + " " + trade + " " + industry + " " + form
            pairs.append((base, spaced, 1, "spaces"))
        elif choice == 4:
            bracketed = trade + "(" + city + ")" + industry + form
            pairs.append((bracketed, bracketed.translate(HALF_TO_FULL), 1, "brackets"))
        elif choice == 5:
            mixed = S2T.convert(prefix + trade) + " " + industry + ("有限责任公司" if form == "有限公司" else form)
            pairs.append((base, mixed, 1, "combined"))
        elif choice == 6:
            other_city = rng.choice([c for c in CITIES if c != city])
            pairs.append((base, other_city + trade + industry + form, 0, "other_city"))
        elif choice == 7:
            i = rng.randrange(len(trade))
            swapped = trade[:i] + rng.choice([c for c in TRADE_CHARS if c not in trade]) + trade[i + 1 :]
            pairs.append((base, prefix + swapped + industry + form, 0, "one_char"))
        elif choice == 8:
            other = rng.choice([x for x in INDUSTRIES if x != industry])
            pairs.append((base, prefix + trade + other + form, 0, "other_industry"))
        elif choice == 9:
            branch = rng.choice(COUNTIES).rstrip("区市县") + rng.choice(("分公司", "分公司", "分店"))
            pairs.append((base + branch, base, 0, "branch_vs_parent"))
        elif choice == 10:
            b1, b2 = rng.sample([c.rstrip("区市县") for c in COUNTIES], 2)
            pairs.append((base + b1 + "分公司", base + b2 + "分公司", 0, "two_branches"))
        else:
            other_trade = "".join(rng.sample(TRADE_CHARS, len(trade)))
            if set(other_trade) & set(trade):
                continue
            pairs.append((base, prefix + other_trade + industry + form, 0, "other_trade_name"))
    return pairs


def write_pairs(rows: list[tuple[str, str, str, str, str]]) -> None:
    """The labelled pairs (name_a, name_b, label, variant, source) as the frozen CSV, numbered from 1, to stdout."""
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["id", "name_a", "name_b", "label", "variant", "source"])
    for i, (a, b, label, variant, source) in enumerate(rows, 1):
        out.writerow([i, a, b, label, variant, source])


def main() -> None:
    rng = random.Random(20260601)
    hand = hand_pairs()
    write_pairs([(*p, "hand") for p in hand] + [(*p, "generated") for p in generated(rng, 700)])


if __name__ == "__main__":
    main()
