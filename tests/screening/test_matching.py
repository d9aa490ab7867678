"""The matcher (pure): identifiers first, persons only by identifier, names for organisations only."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from govtrust.screening.matching import Entry, Matcher, Query, load_rules
from govtrust.screening.matching.engine import core_conflict
from govtrust.screening.matching.identifiers import classify

from .helpers import make_id, make_uscc

RULES = load_rules()


def h(number: str) -> str:
    """Stands in for the platform's keyed hash (the matcher only compares the strings it is given)."""
    return hashlib.sha256(number.encode()).hexdigest()


def matcher(*entries: Entry) -> Matcher:
    return Matcher.build(entries, rules=RULES)


def org(key: int, name: str, **kw: str) -> Entry:
    return Entry(key, kw.pop("list_code", "SXBZXR"), "organisation", name, **kw)


def person(key: int, name: str, number: str = "", masked: str = "") -> Entry:
    return Entry(key, "SXBZXR", "person", name, id_hash=h(number) if number else "", id_masked=masked)


def test_a_valid_uscc_on_a_list_is_intercepted_whatever_the_name():
    code = make_uscc(1)
    result = matcher(org(1, "南京华夏建设工程有限公司", uscc=code)).check(Query(name="完全不同的名字", uscc=code))
    assert result.decision == "intercept" and result.score == 1.0
    assert result.hits[0].explanation["identifier"].detail == "统一社会信用代码一致"


def test_the_organisation_code_inside_a_uscc_matches_an_entry_listed_by_organisation_code():
    code = make_uscc(7)
    result = matcher(org(1, "某单位", org_code=code[8:17])).check(Query(uscc=code))
    assert result.decision == "intercept" and "组织机构代码一致" in result.hits[0].explanation_text()


def test_a_registration_number_matches():
    result = matcher(org(1, "某单位", reg_number="320100000012345")).check(Query(uscc="320100000012345"))
    assert result.decision == "intercept"


def test_a_code_failing_its_check_digit_only_goes_to_review():
    bad = make_uscc(1)[:17] + ("0" if make_uscc(1)[17] != "0" else "1")
    result = matcher(org(1, "某单位", uscc=bad)).check(Query(uscc=bad))
    assert result.decision == "review"


def test_a_full_id_number_matches_a_person_by_its_hash():
    number = make_id(1)
    result = matcher(person(1, "张三", number=number)).check(Query(name="李四", id_number=number, id_hash=h(number)))
    assert result.decision == "intercept"


def test_a_full_id_number_matches_a_court_masked_number_only_with_the_exact_name():
    number = make_id(2)
    published = number[:4] + "*" * 10 + number[-4:]
    m = matcher(person(1, "张三", masked=published))
    assert m.check(Query(name="张三", id_number=number, id_hash=h(number))).decision == "intercept"
    assert m.check(Query(name="张 三", id_number=number, id_hash=h(number))).decision == "intercept"
    assert m.check(Query(name="张叁", id_number=number, id_hash=h(number))).decision == "pass"
    assert m.check(Query(name="", id_number=number, id_hash=h(number))).decision == "pass"
    other = make_id(3)
    assert m.check(Query(name="张三", id_number=other, id_hash=h(other))).decision == "pass"


def test_a_masked_query_against_a_masked_entry_is_only_a_review():
    number = make_id(4)
    m = matcher(person(1, "王五", masked=number[:6] + "*" * 8 + number[-4:]))
    result = m.check(Query(name="王五", id_number=number[:4] + "*" * 10 + number[-4:]))
    assert result.decision == "review"


def test_persons_are_never_matched_by_name():
    number = make_id(5)
    m = matcher(person(1, "南京华夏建设工程有限公司", number=number), person(2, "张三", number=number))
    assert m.check(Query(name="南京华夏建设工程有限公司")).decision == "pass"
    assert m.check(Query(name="张三")).decision == "pass"
    other = make_id(6)
    assert m.check(Query(name="张三", id_number=other, id_hash=h(other))).decision == "pass"


def test_an_organisation_query_with_an_id_number_column_is_screened_as_a_person():
    m = matcher(org(1, "南京华夏建设工程有限公司"))
    number = make_id(7)
    assert m.check(Query(name="南京华夏建设工程有限公司", id_number=number, id_hash=h(number))).decision == "pass"


def test_a_strong_name_only_match_goes_to_review_with_reasons_per_feature():
    result = matcher(org(1, "南京华夏建设工程有限公司")).check(Query(name="南京華夏建設工程有限責任公司"))
    assert result.decision == "review"
    features = result.hits[0].explanation
    assert set(features) == {"core_name", "region", "legal_form", "branch"}
    assert features["core_name"].score == 1.0


def test_a_branch_is_not_its_parent_and_two_branches_differ():
    m = matcher(org(1, "南京华夏建设工程有限公司"), org(2, "南京华夏建设工程有限公司苏州分公司"))
    parent = m.check(Query(name="南京华夏建设工程有限公司"))
    assert [h.entry_key for h in parent.hits] == [1]
    branch = m.check(Query(name="南京华夏建设工程有限公司苏州分公司"))
    assert [h.entry_key for h in branch.hits] == [2]
    assert m.check(Query(name="南京华夏建设工程有限公司无锡分公司")).decision == "pass"


def test_the_same_trade_name_in_another_city_passes():
    result = matcher(org(1, "南京华夏建设工程有限公司")).check(Query(name="苏州华夏建设工程有限公司"))
    assert result.decision == "pass"


def test_a_different_valid_uscc_turns_a_name_match_down():
    m = matcher(org(1, "南京华夏建设工程有限公司", uscc=make_uscc(1)))
    assert m.check(Query(name="南京华夏建设工程有限公司", uscc=make_uscc(2))).decision == "pass"


def test_a_cleared_false_positive_is_excluded_for_that_query():
    m = matcher(org(1, "南京华夏建设工程有限公司"), org(2, "华夏建设工程有限公司", list_code="ZFCG_YZWF"))
    result = m.check(Query(name="南京华夏建设工程有限公司"), exclude={1})
    assert [h.entry_key for h in result.hits] == [2]


def test_identifiers_are_cleaned_and_told_apart_by_column():
    code = make_uscc(3)
    assert classify(" " + code.lower()[:9] + " " + code[9:] + " ", person=False).value == code
    assert classify(code, person=False).kind == "uscc"
    assert classify(make_id(1), person=True).kind == "id_number"
    assert classify("3201**********1234").kind == "masked_id"
    assert classify("3201＊＊＊＊＊＊＊＊＊＊1234").kind == "masked_id"
    assert classify(code[8:17]).kind == "org_code"
    assert classify("'; DROP TABLE x;--", person=False).kind == "unknown"


def test_hostile_names_and_huge_inputs_do_not_break_the_matcher():
    m = matcher(org(1, "南京华夏建设工程有限公司"))
    for name in (
        "<script>alert(1)</script>",
        "'; DROP TABLE screening_watchlistentry;--",
        "\x00" * 50,
        "有" * 100_000,
        "",
        "()()()",
        "分公司",
    ):
        assert m.check(Query(name=name, uscc=name[:40], id_number="")).decision == "pass"


def test_an_empty_index_passes_everything():
    assert matcher().check(Query(name="南京华夏建设工程有限公司", uscc=make_uscc(1))).decision == "pass"


# --- rules added in 2026.2 ----------------------------------------------------------------------------

TRADE = st.text(alphabet="翔宇凯骏朗峰岚澜溪柏桦梧榕蓝橙汀舟帆屹岳峻璟琪瑜璞晟昊旭曜昕", min_size=2, max_size=4)
INDUSTRY = st.sampled_from(["检测技术服务", "供应链管理服务", "建筑劳务", "医疗器械研究院", "农业技术推广站"])


@given(TRADE, INDUSTRY, st.data())
def test_a_changed_character_in_the_trade_name_is_another_name_however_long_the_industry(trade, industry, data):
    at = data.draw(st.integers(min_value=0, max_value=len(trade) - 1))
    other = data.draw(st.sampled_from("甲乙丙丁戊"))
    assert core_conflict(trade + industry, trade[:at] + other + trade[at + 1 :] + industry, 4) == "字号不同"
    assert core_conflict(trade + industry, trade + industry, 4) == ""


def test_a_differing_number_is_another_subject_anywhere_in_the_name():
    assert core_conflict("医科大学第二附属医院", "医科大学第一附属医院", 4)
    assert core_conflict("元禾原点创业投资管理", "元禾原点二期创业投资管理", 4)
    assert not core_conflict("栖凤电子科技", "栖凤电子科枝", 4)


def _screen(listed: str, query: str) -> str:
    return Matcher([Entry(1, "T", "organisation", listed)], rules=load_rules()).check(Query(name=query)).decision


def test_a_partnership_or_cooperative_is_not_the_company_of_the_same_name():
    assert _screen("苏州元禾原点创业投资管理合伙企业（有限合伙）", "苏州元禾原点创业投资管理有限公司") == "pass"
    assert _screen("常熟市尚湖茶叶专业合作社", "常熟市尚湖茶叶有限公司") == "pass"
    assert _screen("南京高科有限公司", "南京高科股份有限公司") == "review"  # a conversion keeps the subject


def test_a_provincial_body_is_not_the_city_body_of_the_same_name():
    assert _screen("江苏省建筑业协会", "南京市建筑业协会") == "pass"
    assert _screen("盐城市亭湖区城市建设投资集团有限公司", "盐城市城市建设投资集团有限公司") == "pass"
    assert _screen("江苏省南京市紫峰置业有限公司", "南京紫峰置业有限公司") == "review"
