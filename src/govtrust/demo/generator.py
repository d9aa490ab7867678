"""The demo data generator: deterministic, realistic-looking Jiangsu government bodies and people.

Pure Python (no ORM): the same regions, seed and scale always give the same bodies, codes and names.
Every USCC is valid (GB 32100 with the embedded GB 11714 check); every ID number uses the unassigned
area code 329900, so no real person's number can be generated.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from govtrust.core.validators import USCC_CHARSET, id_check_digit, org_code_check_digit, uscc_check_digit

BODIES_PER_SCALE = 2000
CIVIL_SERVANTS_PER_SCALE = 20000
PERSONS_PER_SCALE = 50
ENTERPRISES_PER_SCALE = 200
DEMO_ID_AREA = "329900"  # not assigned by GB/T 2260: synthetic numbers cannot belong to anyone

ORGAN, INSTITUTION = "organ", "institution"

PROVINCE_DEPARTMENTS = [
    "人民政府办公厅", "教育厅", "科学技术厅", "工业和信息化厅", "民族宗教事务委员会", "公安厅", "民政厅", "司法厅",
    "财政厅", "人力资源和社会保障厅", "自然资源厅", "生态环境厅", "住房和城乡建设厅", "交通运输厅", "水利厅",
    "农业农村厅", "商务厅", "文化和旅游厅", "卫生健康委员会", "退役军人事务厅", "应急管理厅", "审计厅",
    "人民政府外事办公室", "人民政府国有资产监督管理委员会", "市场监督管理局", "广播电视局", "体育局", "统计局",
    "医疗保障局", "地方金融管理局", "信访局", "粮食和物资储备局", "机关事务管理局", "数据局",
]  # fmt: skip
CITY_DEPARTMENTS = [
    "人民政府办公室", "教育局", "科学技术局", "工业和信息化局", "公安局", "民政局", "司法局", "财政局",
    "人力资源和社会保障局", "自然资源和规划局", "生态环境局", "住房和城乡建设局", "交通运输局", "水务局",
    "农业农村局", "商务局", "文化广电和旅游局", "卫生健康委员会", "退役军人事务局", "应急管理局", "审计局",
    "市场监督管理局", "统计局", "医疗保障局", "城市管理局", "行政审批局", "数据局", "信访局",
]  # fmt: skip
COUNTY_DEPARTMENTS = [
    "人民政府办公室", "教育局", "公安局", "民政局", "司法局", "财政局", "人力资源和社会保障局", "生态环境局",
    "住房和城乡建设局", "交通运输局", "农业农村局", "卫生健康委员会", "审计局", "市场监督管理局",
]  # fmt: skip
ZONE_DEPARTMENTS = ["财政局", "市场监督管理局", "社会事业局"]
# Public institutions of a city or county: (name pattern, parent department, numbered?).
INSTITUTIONS = [
    ("第{n}中学", "教育局", True), ("第{n}实验小学", "教育局", True), ("第{n}幼儿园", "教育局", True),
    ("第{n}人民医院", "卫生健康委员会", True), ("中医院", "卫生健康委员会", False),
    ("疾病预防控制中心", "卫生健康委员会", False), ("妇幼保健院", "卫生健康委员会", False),
    ("档案馆", "人民政府办公室", False), ("图书馆", "人民政府办公室", False), ("融媒体中心", "人民政府办公室", False),
    ("公共资源交易中心", "人民政府办公室", False), ("不动产登记中心", "财政局", False),
    ("社会保险基金管理中心", "人力资源和社会保障局", False), ("公共就业和人才服务中心", "人力资源和社会保障局", False),
    ("市场监管综合行政执法大队", "市场监督管理局", False), ("食品药品检验检测中心", "市场监督管理局", False),
    ("农业技术推广中心", "农业农村局", False), ("公路事业发展中心", "交通运输局", False),
    ("公证处", "司法局", False), ("法律援助中心", "司法局", False),
]  # fmt: skip
TOWNSHIP_BODIES = [
    ("社区卫生服务中心", INSTITUTION), ("中心小学", INSTITUTION), ("初级中学", INSTITUTION),
    ("财政所", ORGAN), ("司法所", ORGAN), ("便民服务中心", INSTITUTION), ("农业农村服务中心", INSTITUTION),
    ("文化体育服务中心", INSTITUTION), ("综合行政执法局", ORGAN),
]  # fmt: skip
PLACE_FIRST = "东西南北新青长永安平太和兴丰宝金石龙凤白黄马双三大小古高柳桃杨梅花竹松清秀湖汤淳横禄秣谷东洪"
PLACE_SECOND = "山湖桥港庄集坝塘店口阳河城台圩埠洲沟桥泉林岗岭湾墩堰营渡陵化溪亭浦埭镇泽"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
    "崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉宇浩鹏晨阳欣怡子涵雨轩博文思远佳琪梓萱俊杰"
    "志国海燕春梅晓东立新振宏德胜庆丰学斌雪松宁波晶莹亮斌婷媛慧珍瑞峰凯旭冬梅嘉懿昊然一诺欣妍语桐"
)
STAFF_POSITIONS = [
    "一级科员",
    "二级科员",
    "四级主任科员",
    "三级主任科员",
    "二级主任科员",
    "副科长",
    "科长",
    "四级调研员",
]

CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 35 → 三十五, 105 → 一百零五 (as in school names such as 第一百零五中学)."""
    if n < 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if rest == 0 else ("零" + CN_DIGITS[rest] if rest < 10 else chinese_number(rest).replace("十", "一十", 1))
    return CN_DIGITS[n // 100] + "百" + tail


@dataclass(frozen=True)
class RegionRow:
    pk: int
    code: str
    name: str
    level: int
    kind: str
    parent_pk: int | None


@dataclass
class BodySpec:
    key: int
    name: str
    org_type: str
    level: str  # province / city / county / township
    region: RegionRow
    parent: int | None = None  # key of the parent body
    is_credit_office: bool = False
    uscc: str = ""
    leader_title: str = ""
    tags: set[str] = field(default_factory=set)


@dataclass
class PersonSpec:
    name: str
    id_number: str
    body: int | None = None  # key of the body, for civil servants
    position: str = ""
    start_date: datetime.date | None = None


@dataclass
class LeaderSpec:
    body: int
    name: str
    position: str
    term_start: datetime.date
    term_end: datetime.date | None
    civil_servant: int | None = None  # index into the civil-servant list


@dataclass
class EnterpriseSpec:
    name: str
    uscc: str
    region: RegionRow


@dataclass
class DemoSet:
    bodies: list[BodySpec]
    civil_servants: list[PersonSpec]
    leaders: list[LeaderSpec]
    persons: list[PersonSpec]
    enterprises: list[EnterpriseSpec]


class Generator:
    def __init__(self, regions: list[RegionRow], *, seed: int, scale: float) -> None:
        self.rng = random.Random(seed)
        self.scale = scale
        self.regions = sorted(regions, key=lambda r: r.code)
        self.by_pk = {r.pk: r for r in self.regions}
        self.bodies: list[BodySpec] = []
        self.usccs: set[str] = set()
        self.org_codes: set[str] = set()
        self.ids: set[str] = set()

    # --- names -----------------------------------------------------------------------------

    def prefix(self, region: RegionRow) -> str:
        """The name a body's name starts with: 江苏省, 南京市, 南京市江宁区, 江阴市, 丰县, 苏州工业园区."""
        if region.level == 3 and region.kind == "division" and region.name.endswith("区") and region.parent_pk:
            return self.by_pk[region.parent_pk].name + region.name
        return region.name

    def person_name(self) -> str:
        given = "".join(self.rng.choice(GIVEN_CHARS) for _ in range(self.rng.choice((1, 2, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    # --- codes -----------------------------------------------------------------------------

    def org_code(self) -> str:
        while True:
            if self.rng.random() < 0.7:
                body = "0" + "".join(self.rng.choice("0123456789") for _ in range(7))
            else:
                body = "MB" + "".join(self.rng.choice("0123456789") for _ in range(6))
            code = body + org_code_check_digit(body)
            if code not in self.org_codes:
                self.org_codes.add(code)
                return code

    def uscc(self, authority_type: str, region: RegionRow, org_code: str | None = None) -> str:
        while True:
            first17 = authority_type + region.code[:6] + (org_code or self.org_code())
            code = first17 + uscc_check_digit(first17)
            if code not in self.usccs:
                self.usccs.add(code)
                return code
            org_code = None

    def enterprise_uscc(self, region: RegionRow) -> str:
        while True:
            body = "MA" + "".join(self.rng.choice(USCC_CHARSET[:30]) for _ in range(6))
            org = body + org_code_check_digit(body)
            if org not in self.org_codes:
                self.org_codes.add(org)
                return self.uscc("91", region, org)

    def id_number(self) -> str:
        while True:
            born = datetime.date(1960, 1, 1) + datetime.timedelta(days=self.rng.randrange(0, 41 * 365))
            first17 = DEMO_ID_AREA + born.strftime("%Y%m%d") + f"{self.rng.randrange(0, 1000):03d}"
            number = first17 + id_check_digit(first17)
            if number not in self.ids:
                self.ids.add(number)
                return number

    # --- bodies ----------------------------------------------------------------------------

    def add(self, name: str, region: RegionRow, level: str, *, org_type: str = ORGAN, parent: int | None = None,
            credit: bool = False, title: str = "", tags: tuple[str, ...] = ()) -> int:  # fmt: skip
        key = len(self.bodies)
        uscc = self.uscc("11" if org_type == ORGAN else "12", region)
        self.bodies.append(BodySpec(key, name, org_type, level, region, parent, credit, uscc, title, set(tags)))
        return key

    def candidate_bodies(self) -> Iterator[tuple[str, RegionRow, str, dict]]:
        """Every body the demo may contain, most important first: the generator stops at the target count.

        Yields (name, region, level, options); options may name the parent by (region pk, suffix).
        """
        provinces = [r for r in self.regions if r.level == 1]
        cities = [r for r in self.regions if r.level == 2]
        counties = [r for r in self.regions if r.level == 3]
        divisions = [r for r in counties if r.kind == "division"]
        levels = {1: "province", 2: "city", 3: "county"}
        # 1. A government and a credit office for every region, and the bodies of the demo logins:
        #    the skeleton that is always there, whatever the scale.
        for region in provinces + cities + counties:
            zone = region.kind == "functional_zone"
            gov = "管理委员会" if zone else "人民政府"
            yield self.prefix(region) + gov, region, levels[region.level], {"suffix": gov, "skeleton": True}
            if not zone:
                dev = "发展和改革局" if region.level == 3 else "发展和改革委员会"
                opts = {"credit": True, "suffix": dev, "skeleton": True}
                yield self.prefix(region) + dev, region, levels[region.level], opts
        city, county = demo_login_regions(self.regions)
        for home, dept in ((city, "市场监督管理局"), (city, "人力资源和社会保障局"), (county, "财政局")):
            if home is not None:
                yield self.prefix(home) + dept, home, levels[home.level], {"suffix": dept, "skeleton": True}
        # 2. Departments: province and cities, then counties, interleaved so a cut-off spreads evenly.
        for tier in (
            [(provinces, PROVINCE_DEPARTMENTS), (cities, CITY_DEPARTMENTS)],
            [(divisions, COUNTY_DEPARTMENTS)],
        ):
            width = max(len(depts) for _, depts in tier)
            for i in range(width):
                for regions, depts in tier:
                    if i < len(depts):
                        for region in regions:
                            yield self.prefix(region) + depts[i], region, levels[region.level], {"suffix": depts[i]}
        for region in [r for r in counties if r.kind == "functional_zone"]:
            for dept in ZONE_DEPARTMENTS:
                yield self.prefix(region) + dept, region, "county", {"suffix": dept}
        for region in provinces + cities:
            yield self.prefix(region) + "公共信用信息中心", region, levels[region.level], {
                "org_type": INSTITUTION, "under": "发展和改革委员会"}  # fmt: skip
        # 3. Townships and public institutions, round-robin over cities and counties, without end.
        yield from self.endless_bodies(cities + divisions)

    def endless_bodies(self, regions: list[RegionRow]) -> Iterator[tuple[str, RegionRow, str, dict]]:
        numbers: dict[tuple[int, str], int] = {}
        places: dict[int, set[str]] = {r.pk: set() for r in regions}
        turn = 0
        while True:
            for region in regions:
                level = "city" if region.level == 2 else "county"
                if region.level == 3 and turn % 2 == 0:
                    place = self.township_name(places[region.pk])
                    town = place + ("镇" if self.rng.random() < 0.6 else "街道")
                    gov = "人民政府" if town.endswith("镇") else "办事处"
                    full = self.prefix(region) + town
                    yield full + gov, region, "township", {"township": full + gov}
                    for suffix, org_type in self.rng.sample(TOWNSHIP_BODIES, self.rng.randint(2, 5)):
                        yield full + suffix, region, "township", {"org_type": org_type, "parent_name": full + gov}
                else:
                    pattern, dept, numbered = self.rng.choice(INSTITUTIONS)
                    if numbered:
                        n = numbers[(region.pk, pattern)] = numbers.get((region.pk, pattern), 0) + 1
                        name = pattern.format(n=chinese_number(n))
                    elif (region.pk, pattern) in numbers:
                        continue  # one of each unnumbered institution per region
                    else:
                        numbers[(region.pk, pattern)] = 1
                        name = pattern
                    yield self.prefix(region) + name, region, level, {"org_type": INSTITUTION, "under": dept}
            turn += 1

    def township_name(self, taken: set[str]) -> str:
        for length in (2, 2, 2, 3, 3, 3, 3):
            name = self.rng.choice(PLACE_FIRST) + "".join(self.rng.choice(PLACE_SECOND) for _ in range(length - 1))
            if name not in taken:
                taken.add(name)
                return name
        name = f"{self.rng.choice(PLACE_FIRST)}{self.rng.choice(PLACE_SECOND)}{chinese_number(len(taken))}"
        taken.add(name)
        return name

    def build_bodies(self, target: int) -> None:
        by_name: dict[str, int] = {}
        # (region pk, suffix) → key, to hang departments under their 人民政府 and institutions under theirs.
        by_suffix: dict[tuple[int, str], int] = {}
        for name, region, level, opts in self.candidate_bodies():
            if not opts.get("skeleton") and len(self.bodies) >= target:
                break
            if name in by_name:
                continue
            parent = self.parent_for(region, opts, by_suffix, by_name)
            title = leader_title(name, level)
            key = self.add(name, region, level, org_type=opts.get("org_type", ORGAN), parent=parent,
                           credit=bool(opts.get("credit")), title=title)  # fmt: skip
            by_name[name] = key
            if "suffix" in opts:
                by_suffix[(region.pk, opts["suffix"])] = key

    def parent_for(self, region: RegionRow, opts: dict, by_suffix: dict, by_name: dict) -> int | None:
        if "parent_name" in opts:
            return by_name.get(opts["parent_name"])
        if "township" in opts:
            return by_suffix.get((region.pk, "人民政府"))
        if "under" in opts:
            return by_suffix.get((region.pk, opts["under"])) or by_suffix.get((region.pk, "人民政府"))
        suffix = opts.get("suffix")
        if suffix in ("人民政府", "管理委员会"):  # a government sits under the government of the region above
            return by_suffix.get((region.parent_pk, "人民政府")) if region.parent_pk else None
        return by_suffix.get((region.pk, "人民政府")) or by_suffix.get((region.pk, "管理委员会"))

    # --- people ----------------------------------------------------------------------------

    def build_people(self, civil_servants: int) -> tuple[list[PersonSpec], list[LeaderSpec]]:
        staff: list[PersonSpec] = []
        leaders: list[LeaderSpec] = []
        organs = [b for b in self.bodies if b.org_type == ORGAN]
        today = datetime.date(2026, 1, 1)
        for body in self.bodies:
            # The current leader and one or two predecessors, with back-to-back terms.
            start = datetime.date(2020, 1, 1) + datetime.timedelta(days=self.rng.randrange(0, 5 * 365))
            current: int | None = None
            if body.org_type == ORGAN and len(staff) < civil_servants:
                current = len(staff)
                staff.append(PersonSpec(self.person_name(), self.id_number(), body.key, body.leader_title, start))
            leaders.append(LeaderSpec(body.key, staff[current].name if current is not None else self.person_name(),
                                      body.leader_title, start, None, current))  # fmt: skip
            end = start - datetime.timedelta(days=1)
            for _ in range(self.rng.choice((1, 2))):
                begin = end - datetime.timedelta(days=self.rng.randrange(3 * 365, 5 * 365))
                leaders.append(LeaderSpec(body.key, self.person_name(), body.leader_title, begin, end))
                end = begin - datetime.timedelta(days=1)
        weights = [5 if b.name.endswith("人民政府") else 2 if b.level in ("province", "city") else 1 for b in organs]
        while organs and len(staff) < civil_servants:
            body = self.rng.choices(organs, weights)[0]
            hired = today - datetime.timedelta(days=self.rng.randrange(30, 30 * 365))
            staff.append(PersonSpec(self.person_name(), self.id_number(), body.key, self.rng.choice(STAFF_POSITIONS),
                                    hired))  # fmt: skip
        return staff, leaders

    def build_enterprises(self, count: int) -> list[EnterpriseSpec]:
        places = [r for r in self.regions if r.level >= 2]
        words = ["科技", "建设工程", "信息技术", "环保", "物业管理", "商贸", "医药", "新材料", "智能装备", "文化传媒"]
        result: list[EnterpriseSpec] = []
        names: set[str] = set()
        while places and len(result) < count:
            region = self.rng.choice(places)
            short = region.name.rstrip("市区县") or region.name
            name = (
                f"{short}{self.rng.choice(PLACE_FIRST)}{self.rng.choice(PLACE_SECOND)}{self.rng.choice(words)}有限公司"
            )
            if name not in names:
                names.add(name)
                result.append(EnterpriseSpec(name, self.enterprise_uscc(region), region))
        return result


def demo_login_regions(regions: list[RegionRow]) -> tuple[RegionRow | None, RegionRow | None]:
    """南京市 and its 江宁区 when present (the demo logins live there), else the first city and county."""
    cities = [r for r in regions if r.level == 2]
    city = next((r for r in cities if r.code.startswith("320100")), cities[0] if cities else None)
    counties = [r for r in regions if r.level == 3 and r.kind == "division" and city and r.parent_pk == city.pk]
    county = next((r for r in counties if r.code.startswith("320115")), counties[0] if counties else None)
    return city, county


LEADER_TITLES = [
    ("办事处", "主任"), ("厅", "厅长"), ("委员会", "主任"), ("局", "局长"), ("中学", "校长"), ("小学", "校长"),
    ("幼儿园", "园长"), ("医院", "院长"), ("卫生服务中心", "主任"), ("保健院", "院长"), ("馆", "馆长"), ("所", "所长"),
    ("处", "主任"), ("大队", "大队长"),
]  # fmt: skip


def leader_title(name: str, level: str) -> str:
    if name.endswith("人民政府"):
        return {"province": "省长", "city": "市长", "township": "镇长"}.get(level, "县长" if name.endswith("县人民政府")
                                                                            else "区长" if name.endswith("区人民政府")
                                                                            else "市长")  # fmt: skip
    for suffix, title in LEADER_TITLES:
        if name.endswith(suffix):
            return title
    return "主任"


def targets(scale: float) -> dict[str, int]:
    return {
        "bodies": round(BODIES_PER_SCALE * scale),
        "civil_servants": round(CIVIL_SERVANTS_PER_SCALE * scale),
        "persons": max(5, round(PERSONS_PER_SCALE * scale)),
        "enterprises": max(10, round(ENTERPRISES_PER_SCALE * scale)),
    }


def generate(regions: list[RegionRow], *, seed: int, scale: float, people: bool = True) -> DemoSet:
    """The whole demo set. Below scale ~0.11 the bodies are just the skeleton (a government and a credit
    office for every region), so every demo login has its body at any scale."""
    gen = Generator(regions, seed=seed, scale=scale)
    want = targets(scale)
    gen.build_bodies(want["bodies"])
    staff: list[PersonSpec] = []
    leaders: list[LeaderSpec] = []
    persons: list[PersonSpec] = []
    enterprises: list[EnterpriseSpec] = []
    if people:
        staff, leaders = gen.build_people(want["civil_servants"])
        persons = [PersonSpec(gen.person_name(), gen.id_number()) for _ in range(want["persons"])]
        enterprises = gen.build_enterprises(want["enterprises"])
    return DemoSet(gen.bodies, staff, leaders, persons, enterprises)
