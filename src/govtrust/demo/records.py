"""Demo credit records: a deterministic, realistic spread over the demo bodies and civil servants.

Penalties against government bodies under all three publicity regimes (decisions from 2021 to 2026),
lost administrative lawsuits, refusals to execute judgments, disciplinary sanctions and accountability of
civil servants, statistics fraud, commendations, and two fault-tolerance rulings (one accepted, one
pending). Everything goes through the records services, so windows, numbers, events and audit rows are
exactly what a real import produces.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from decimal import Decimal

from govtrust.core.models import Region
from govtrust.core.validators import org_code_check_digit, uscc_check_digit
from govtrust.records.services import RecordDraft, record_bulk_create, ruling_check, ruling_record
from govtrust.registry.models import Agency, CivilServant

PENALTY_FACTS = [
    ("未按规定履行环境影响评价程序即开工建设", "《中华人民共和国环境影响评价法》第二十五条", "罚款", "environment"),
    ("拖欠中小企业工程款逾期未支付", "《保障中小企业款项支付条例》第九条", "通报批评", "market"),
    ("违规占用耕地建设停车场", "《中华人民共和国土地管理法》第七十七条", "责令限期改正并罚款", "nature"),
    ("未依法履行安全生产监督检查职责", "《中华人民共和国安全生产法》第九十四条", "警告", "safety"),
    ("政府采购项目未按规定公开采购信息", "《中华人民共和国政府采购法》第七十一条", "警告", "finance"),
    (
        "所属食堂未取得食品经营许可从事经营活动",
        "《中华人民共和国食品安全法》第一百二十二条",
        "没收违法所得并罚款",
        "market",
    ),
]
AUTHORITY_SUFFIX = {
    "environment": "生态环境局",
    "market": "市场监督管理局",
    "nature": "自然资源和规划局",
    "safety": "应急管理局",
    "finance": "财政局",
}
DEFAULTER_FACTS = "有履行能力而拒不履行生效法律文书确定的义务"
DEFAULTER_BASIS = "《最高人民法院关于公布失信被执行人名单信息的若干规定》"
DISCIPLINE = ["warning", "demerit", "major_demerit", "demotion", "removal"]
DISCIPLINE_FACTS = [
    "违反中央八项规定精神，违规公款吃喝",
    "在行政审批中不作为、慢作为，造成不良影响",
    "违规干预和插手市场经济活动",
    "对群众诉求推诿扯皮，造成严重不良影响",
]


def _fake_uscc(rng: random.Random, region_code: str, kind: str = "11") -> str:
    org = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = f"{kind}{region_code}{org}{org_code_check_digit(org)}"
    return first17 + uscc_check_digit(first17)


def _date(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def load_demo_records(*, seed: int, scale: float, today: datetime.date) -> dict[str, int]:
    rng = random.Random(seed * 7 + 3)
    bodies = list(Agency.objects.select_related("region").order_by("pk"))
    by_city_suffix: dict[tuple[str, str], Agency] = {}
    credit_office: dict[str, Agency] = {}
    for body in bodies:
        city = body.region.city_code or body.region.province_code
        for suffix in AUTHORITY_SUFFIX.values():
            if body.name.endswith(suffix) and body.region.level <= 2:
                by_city_suffix.setdefault((city, suffix), body)
        if body.is_credit_office and body.region.level <= 2:
            credit_office.setdefault(city, body)
    province_office = next(b for b in bodies if b.is_credit_office and b.region.level == 1)

    drafts: dict[int, list[RecordDraft]] = defaultdict(list)  # supplier pk → drafts
    suppliers: dict[int, Agency] = {}
    penalty_numbers: dict[int, str] = {}  # subject pk → its penalty's document number (for the rulings)
    n_penalties = max(20, int(600 * scale))
    targets = rng.sample(bodies, min(len(bodies), n_penalties))
    for i, subject in enumerate(targets):
        facts, basis, content, area = rng.choice(PENALTY_FACTS)
        city = subject.region.city_code or subject.region.province_code
        authority = by_city_suffix.get((city, AUTHORITY_SUFFIX[area]), province_office)
        decided = _date(rng, datetime.date(2021, 6, 1), today - datetime.timedelta(days=3))
        severity = rng.choices(["minor", "general", "serious"], weights=[1, 6, 2])[0]
        fine = Decimal(rng.choice([0, 1, 2, 5, 10, 20, 50])) if "罚款" in content else None
        number = f"{authority.region.name[:2]}{area[:2].upper()}罚〔{decided.year}〕{100 + i}号"
        penalty_numbers[subject.pk] = number
        drafts[authority.pk].append(
            RecordDraft(
                subject=subject,
                record_class="penalty",
                severity=severity,
                document_number=number,
                authority_name=authority.name,
                authority_uscc=authority.uscc,
                decision_date=decided,
                conduct_date=decided - datetime.timedelta(days=rng.randrange(30, 400)),
                facts=f"{subject.name}{facts}",
                basis=basis,
                content=content + (f"{fine}万元" if fine else ""),
                amount_fine=fine,
            )
        )
        suppliers[authority.pk] = authority

    courts: dict[str, tuple[str, str]] = {}
    city_names = dict(Region.objects.filter(level=2).values_list("code", "name"))
    for j, subject in enumerate(rng.sample(bodies, min(len(bodies), max(8, int(120 * scale))))):
        city = subject.region.city_code or subject.region.province_code
        court_name = f"{city_names[city]}中级人民法院" if city in city_names else "江苏省高级人民法院"
        court = courts.setdefault(city, (court_name, _fake_uscc(rng, city)))
        office = credit_office.get(city, province_office)
        decided = _date(rng, datetime.date(2022, 1, 1), today - datetime.timedelta(days=3))
        lost_lawsuit = rng.random() < 0.7
        drafts[office.pk].append(
            RecordDraft(
                subject=subject,
                record_class="judgment" if lost_lawsuit else "defaulter",
                severity="general",
                sub_type="admin_lawsuit_lost" if lost_lawsuit else f"trigger_{rng.randint(2, 6)}",
                document_number=f"（{decided.year}）苏{city[2:4]}行初{200 + j}号"
                if lost_lawsuit
                else f"（{decided.year}）苏{city[2:4]}执{300 + j}号",
                authority_name=court[0],
                authority_uscc=court[1],
                decision_date=decided,
                facts="行政机关在行政诉讼中败诉" if lost_lawsuit else "有履行能力而拒不履行生效法律文书确定的义务",
                basis="《中华人民共和国行政诉讼法》"
                if lost_lawsuit
                else "《最高人民法院关于公布失信被执行人名单信息的若干规定》",
                content="判决撤销被诉行政行为" if lost_lawsuit else "纳入失信被执行人名单",
            )
        )
        suppliers[office.pk] = office

    servants = list(CivilServant.objects.select_related("agency__region").order_by("pk"))
    for k, servant in enumerate(rng.sample(servants, min(len(servants), max(10, int(300 * scale))))):
        city = servant.agency.region.city_code or servant.agency.region.province_code
        office = credit_office.get(city, province_office)
        decided = _date(rng, datetime.date(2021, 1, 1), today - datetime.timedelta(days=3))
        accountability = rng.random() < 0.3
        drafts[office.pk].append(
            RecordDraft(
                subject=servant,
                record_class="accountability" if accountability else "discipline",
                severity="general",
                sub_type="" if accountability else rng.choices(DISCIPLINE, weights=[5, 4, 2, 1, 1])[0],
                document_number=f"{servant.agency.region.name[:2]}纪处〔{decided.year}〕{400 + k}号",
                authority_name=f"{servant.agency.region.name}纪委监委",
                authority_uscc=_fake_uscc(rng, city),
                decision_date=decided,
                facts=rng.choice(DISCIPLINE_FACTS),
                basis="《中华人民共和国公职人员政务处分法》",
                content="问责" if accountability else "给予政务处分",
            )
        )
        suppliers[office.pk] = office

    for m, subject in enumerate(rng.sample(bodies, min(len(bodies), max(10, int(200 * scale))))):
        decided = _date(rng, datetime.date(2022, 1, 1), today - datetime.timedelta(days=3))
        drafts[province_office.pk].append(
            RecordDraft(
                subject=subject,
                record_class="commendation",
                severity="general",
                sub_type=rng.choice(["commendation", "integrity_model"]),
                document_number=f"苏政发〔{decided.year}〕{500 + m}号",
                authority_name="江苏省人民政府",
                authority_uscc=_fake_uscc(rng, "320000"),
                decision_date=decided,
                facts="在优化营商环境、守信践诺工作中成绩突出",
                basis="《江苏省人民政府关于加强政务诚信建设的实施意见》",
                content="通报表扬",
            )
        )
        suppliers[province_office.pk] = province_office

    counts: dict[str, int] = defaultdict(int)
    for supplier_pk, supplier_drafts in sorted(drafts.items()):
        result = record_bulk_create(
            actor=None,
            drafts=supplier_drafts,
            supplier=suppliers[supplier_pk],
            batch_number=f"DEMO-{seed}-{supplier_pk}",
            source="import",
        )
        counts["records"] += result.created
        counts["records_rejected"] += len(result.rejected)

    # Fault tolerance: the discipline authority of a county rules that a penalised body acted within the
    # scope of tolerated trial-and-error; the credit office accepts it, so the record is covered.
    penalised = targets[0]
    ruling = ruling_record(
        actor=None,
        number=f"{penalised.region.name}容错〔{today.year}〕1号",
        authority=credit_office.get(penalised.region.city_code, province_office),
        decision_date=today - datetime.timedelta(days=2),
        grounds="在推进改革中因缺乏经验、先行先试出现失误，且已主动纠正、挽回损失",
        subject=penalised,
        conduct_description="见相关行政处罚决定书",
        document_numbers=[penalty_numbers[penalised.pk]],
    )
    ruling_check(actor=None, ruling=ruling, accepted=True, reason="符合容错纠错情形和条件")
    pending = ruling_record(
        actor=None,
        number=f"{targets[1].region.name}容错〔{today.year}〕2号",
        authority=credit_office.get(targets[1].region.city_code, province_office),
        decision_date=today - datetime.timedelta(days=1),
        grounds="主动挽回损失、消除不良影响",
        subject=targets[1],
        conduct_description="见相关行政处罚决定书",
        document_numbers=[penalty_numbers[targets[1].pk]],
    )
    counts["rulings"] = 2 if pending else 1
    return dict(counts)
