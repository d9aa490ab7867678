"""Write pairs_heldout.csv, the HELD-OUT labelled set (run once; the output is committed and frozen).

    python tests/screening/data/make_pairs_heldout.py > tests/screening/data/pairs_heldout.csv

Written after the matcher was tuned on pairs.csv and committed before the matcher was run on it, so its
score is an honest estimate for unseen names. Hand-written pairs (more than half) come from
hand_pairs_heldout.txt, whose header states the labelling rules; the rest are generated with a fixed seed
from pools that share no trade name with pairs.csv (tests/screening/test_accuracy.py checks it) and cover
more shapes than pairs.csv's generator: 股份/集团/合伙/经营部/中心/研究院, counties, brackets, Latin
letters and digits. Columns as pairs.csv: id, name_a, name_b, label, variant, source.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import opencc
from make_pairs import hand_pairs, write_pairs  # the same hand-pair file format (this folder is on sys.path when run)

HERE = Path(__file__).parent
S2T = opencc.OpenCC("s2t")
SEED = 20261127

# city -> counties/districts under it (a sample; names as registered)
PLACES = {
    "南京": ["江宁区", "浦口区", "六合区", "溧水区", "高淳区"],
    "无锡": ["惠山区", "锡山区", "江阴市", "宜兴市"],
    "徐州": ["铜山区", "沛县", "丰县", "睢宁县", "新沂市"],
    "常州": ["武进区", "金坛区", "溧阳市"],
    "苏州": ["吴江区", "吴中区", "相城区", "张家港市", "昆山市", "太仓市"],
    "南通": ["通州区", "海门区", "如东县", "启东市"],
    "连云港": ["赣榆区", "灌云县", "灌南县"],
    "淮安": ["淮阴区", "洪泽区", "盱眙县", "金湖县"],
    "盐城": ["大丰区", "射阳县", "阜宁县", "滨海县", "建湖县"],
    "扬州": ["江都区", "宝应县", "仪征市"],
    "镇江": ["京口区", "润州区", "扬中市"],
    "泰州": ["海陵区", "高港区", "靖江市", "泰兴市"],
    "宿迁": ["宿城区", "泗洪县", "泗阳县"],
}
OTHER_PROVINCES = ["浙江", "安徽", "山东", "上海", "河南", "湖北"]
# Trade-name characters: none of pairs.csv's generator pool (华泰鑫源恒通…), so no trade name is shared.
TRADE_CHARS = "翔宇凯骏朗峰岚澜溪柏桦梧榕蓝橙汀舟帆屹岳峻璟琪瑜璞晟昊旭曜昕暄沁沐渊泓涵逸骁驰"
LATIN = ["ACE", "TCL", "KJ", "HB", "XY", "A1", "E家", "3D", "5G", "i美"]
INDUSTRIES = [
    "建筑劳务",
    "土石方工程",
    "消防工程",
    "智能化工程",
    "幕墙装饰",
    "软件开发",
    "数据服务",
    "检测技术",
    "工程咨询",
    "造价咨询",
    "招标代理",
    "供应链管理",
    "冷链物流",
    "汽车租赁",
    "餐饮管理",
    "酒店管理",
    "农业开发",
    "生态农业",
    "医疗器械",
    "生物技术",
    "光伏科技",
    "环境监测",
    "安防科技",
    "印刷包装",
    "塑料制品",
    "五金机电",
    "办公用品",
    "文化传播",
    "教育咨询",
    "人力资源",
]
RESEARCH = ["检测技术", "工程咨询", "生物技术", "光伏科技", "环境监测", "软件开发", "医疗器械"]
# (form, a variant of the same form that denotes the same subject, or None)
FORMS = [
    ("有限公司", "有限责任公司"),
    ("有限公司", "有限责任公司"),
    ("有限责任公司", "有限公司"),
    ("股份有限公司", "股份公司"),
    ("集团有限公司", "集团公司"),
    ("经营部", None),
    ("合伙企业（有限合伙）", "合伙企业(有限合伙)"),
    ("研究院有限公司", "研究院有限责任公司"),
    ("服务中心", None),
]
BRANCHES = ["分公司", "分公司", "分店", "办事处", "营业部"]
FULL = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def generated(rng: random.Random, count: int) -> list[tuple[str, str, int, str]]:
    pairs: list[tuple[str, str, int, str]] = []
    seen: set[str] = set()
    while len(pairs) < count:
        city = rng.choice(sorted(PLACES))
        county = rng.choice(PLACES[city]) if rng.random() < 0.35 else ""
        trade = "".join(rng.sample(TRADE_CHARS, rng.choice((2, 2, 3))))
        if rng.random() < 0.1:
            trade = rng.choice(LATIN) + trade[:1]
        industry = rng.choice(INDUSTRIES)
        form, same_form = rng.choice(FORMS)
        if form.startswith("研究院"):  # an institute does research, not catering
            industry = rng.choice(RESEARCH)
        if form == "经营部" and not county:
            county = rng.choice(PLACES[city])  # a sole trader is registered in a county
        city_full = city + "市"
        prefix = (city_full if rng.random() < 0.6 else city) + county
        base = prefix + trade + industry + form
        if base in seen:
            continue
        seen.add(base)
        choice = rng.randrange(14)
        if choice == 0:
            pairs.append((base, S2T.convert(base), 1, "traditional"))
        elif choice == 1:
            if same_form is None:
                continue
            pairs.append((base, base[: -len(form)] + same_form, 1, "legal_form"))
        elif choice == 2:
            if county:  # a district keeps its city: drop only the province-level prefix we add
                pairs.append(("江苏省" + base, base, 1, "dropped_province"))
            else:
                pairs.append((base, trade + industry + form, 1, "dropped_region"))
        elif choice == 3:
            short = (city if prefix.startswith(city_full) else city_full) + county
            pairs.append((base, short + trade + industry + form, 1, "region_suffix"))
        elif choice == 4:
            if county or form == "经营部":
                continue
            bracketed = trade + "（" + city + "）" + industry + form
            half = bracketed.replace("（", "(").replace("）", ")")
            pairs.append((bracketed, half, 1, "brackets"))
        elif choice == 5:
            if not re.search("[A-Za-z0-9]", trade):
                continue
            pairs.append((base, base.translate(FULL), 1, "fullwidth"))
        elif choice == 6:
            pairs.append((base, " ".join((prefix, trade, industry, form)), 1, "spaces"))
        elif choice == 7:
            other = rng.choice([c for c in sorted(PLACES) if c != city])
            pairs.append((base, other + "市" + trade + industry + form, 0, "other_city"))
        elif choice == 8:
            others = [c for c in PLACES[city] if c != county]
            if not county or not others:
                continue
            moved = prefix.replace(county, rng.choice(others))
            pairs.append((base, moved + trade + industry + form, 0, "other_county"))
        elif choice == 9:
            i = rng.randrange(len(trade))
            if not ("\u4e00" <= trade[i] <= "\u9fff"):
                continue
            swapped = trade[:i] + rng.choice([c for c in TRADE_CHARS if c not in trade]) + trade[i + 1 :]
            pairs.append((base, prefix + swapped + industry + form, 0, "one_char"))
        elif choice == 10:
            other = rng.choice([x for x in INDUSTRIES if x != industry])
            pairs.append((base, prefix + trade + other + form, 0, "other_industry"))
        elif choice == 11:
            if form in ("经营部", "服务中心") or form.startswith("合伙"):
                continue
            where = rng.choice([c.rstrip("区市县") for cs in PLACES.values() for c in cs] + sorted(PLACES))
            pairs.append((base + where + rng.choice(BRANCHES), base, 0, "branch_vs_parent"))
        elif choice == 12:
            if form != "集团有限公司":
                continue
            sub = prefix + trade + rng.choice([x for x in INDUSTRIES if x != industry]) + "有限公司"
            pairs.append((base, sub, 0, "parent_vs_subsidiary"))
        else:
            pairs.append((base, rng.choice(OTHER_PROVINCES) + trade + industry + form, 0, "other_province"))
    return pairs


def main() -> None:
    rng = random.Random(SEED)
    hand = hand_pairs(HERE / "hand_pairs_heldout.txt")
    write_pairs([(*p, "hand") for p in hand] + [(*p, "generated") for p in generated(rng, 300)])


if __name__ == "__main__":
    main()
