"""Chinese organisation-name normalisation: unit cases and properties."""

from __future__ import annotations

import opencc
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from govtrust.screening.matching.normalise import fold, parse_org_name, regions_compatible

S2T = opencc.OpenCC("s2t")
# Characters of company names in simplified spelling (OpenCC is not a bijection over all of CJK).
COMMON = (
    "华夏建设工程南京苏州无锡常州徐州扬州镇江泰州宿迁淮安盐城连云港南通江阴宜兴昆山科技贸易物流运输机械电子信息网络"
    "服务发展投资集团控股实业环保能源医药食品纺织服装化工材料装饰园林绿化农业银行证券保险恒通宏达金盛天瑞安康永兴昌隆"
    "嘉信诚美佳德润丰汇和顺明新博远海星光中利众鑫源东方长城湖广陵钢铁设备电气广告传媒劳务派遣管理咨询国际开发区"
)
HAN = st.text(alphabet=COMMON, min_size=1, max_size=12)
ANY_TEXT = st.text(max_size=300)


def test_it_folds_full_width_traditional_case_and_punctuation():
    assert fold("南京ＡＢＣ（華夏）建設·工程 有限公司。") == "南京abc(华夏)建设工程有限公司"


def test_it_treats_limited_liability_and_limited_as_the_same_legal_form():
    a, b = parse_org_name("南京华夏建设工程有限责任公司"), parse_org_name("南京华夏建设工程有限公司")
    assert a.core == b.core == "华夏建设工程"
    assert a.legal_form == b.legal_form == "有限公司"


def test_a_legal_form_is_only_stripped_at_the_end():
    assert parse_org_name("有限公司研究会").core == "有限公司研究会"
    assert parse_org_name("阿里巴巴集团控股有限公司").core == parse_org_name("阿里巴巴集团控股").core


def test_leading_regions_are_kept_as_a_feature_not_deleted():
    name = parse_org_name("江苏省南京市江宁区华夏科技有限公司")
    assert name.core == "华夏科技"
    assert name.regions == (("32",), ("3201",), ("320115",))


def test_a_region_in_brackets_is_a_region():
    name = parse_org_name("华润万家（南京）商业有限公司")
    assert name.core == "华润万家商业" and name.regions == (("3201",),)


def test_a_region_name_followed_by_one_industry_word_stays_a_trade_name():
    assert parse_org_name("海安贸易有限公司").core == "海安贸易"


def test_a_district_name_counts_as_a_region_only_after_its_city():
    assert parse_org_name("栖霞建设股份有限公司").core == "栖霞建设"
    assert parse_org_name("南京栖霞建设工程股份有限公司").core == "建设工程"


def test_a_branch_is_marked_and_its_parent_parsed():
    branch = parse_org_name("南京華夏建設工程有限責任公司蘇州分公司")
    assert branch.branch == "苏州分公司" and branch.core == "华夏建设工程"
    assert parse_org_name("南京华夏建设工程有限公司").branch == ""
    assert parse_org_name("苏州好又多超市观前分店").branch == "分店"


def test_regions_of_different_cities_or_districts_conflict_but_a_city_contains_its_district():
    assert not regions_compatible((("3201",),), (("3205",),))
    assert not regions_compatible((("3209",), ("320902",)), (("3209",), ("320903",)))
    assert regions_compatible((("3201",), ("320115",)), (("320115",),))
    assert regions_compatible((("32",), ("3201",)), (("3201",),))
    assert regions_compatible((), (("3201",),))


def test_names_registered_at_different_levels_conflict():
    # 江苏省建筑业协会 / 南京市建筑业协会, 盐城市城投 / 盐城市亭湖区城投: the finest region differs in level.
    assert not regions_compatible((("32",),), (("3201",),))
    assert not regions_compatible((("3209",),), (("3209",), ("320902",)))
    assert not regions_compatible((("3201",),), (("320115",),))


def test_hostile_strings_are_folded_to_harmless_text():
    assert parse_org_name("<script>alert(1)</script>有限公司").core == "scriptalert1script"
    assert fold("'; DROP TABLE screening_watchlistentry;--") == "droptablescreeningwatchlistentry"
    assert fold("\x00\u200b\ufeff") == ""


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_fold_is_idempotent_and_never_raises(text):
    assert fold(fold(text)) == fold(text)
    parse_org_name(text)


@settings(max_examples=200, deadline=None)
@given(HAN)
def test_traditional_spelling_folds_to_the_same_text_as_simplified(core):
    simplified = fold(core)
    assert fold(S2T.convert(simplified)) == simplified


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789()", min_size=1, max_size=20))
def test_full_width_ascii_folds_to_half_width(text):
    wide = "".join(chr(ord(c) + 0xFEE0) for c in text)
    assert fold(wide) == fold(text)


@settings(max_examples=200, deadline=None)
@given(HAN, st.sampled_from(["有限公司", "有限责任公司"]), st.sampled_from(["", " ", "\u3000"]))
def test_legal_form_spelling_and_spaces_do_not_change_the_parse(core, form, space):
    a = parse_org_name(core + "有限公司")
    b = parse_org_name(space.join(core) + space + form)
    assert (a.core, a.regions, a.legal_form, a.branch) == (b.core, b.regions, b.legal_form, b.branch)


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_the_core_never_holds_brackets_spaces_or_punctuation(text):
    core = parse_org_name(text).core
    assert "(" not in core and ")" not in core and not any(c.isspace() for c in core)


# --- rules added in 2026.2 (found through the held-out set; each stated generally) ---------------------

FORM_CHARS = "有限公司股份责任合作社集团市省县区"
PLAIN = st.text(alphabet="".join(c for c in COMMON if c not in FORM_CHARS), min_size=2, max_size=10)
CITIES = ("南京", "无锡", "徐州", "常州", "苏州", "南通", "淮安", "盐城", "扬州", "镇江", "泰州", "宿迁")


@given(PLAIN)
def test_a_joint_stock_company_may_abbreviate_its_form_as_the_company_law_allows(core):
    full, short = parse_org_name(core + "股份有限公司"), parse_org_name(core + "股份公司")
    assert (short.core, short.legal_form) == (full.core, full.legal_form)
    assert full.legal_form == "股份有限公司"


SLIPS = st.sampled_from(["sub", "del", "dup"])


@given(PLAIN, st.integers(min_value=0, max_value=3), st.sampled_from("线可公子"), SLIPS)
def test_one_slip_in_a_company_form_still_reads_as_that_form(core, at, char, slip):
    form = "有限公司"
    # At the boundary a slip is ambiguous by nature: 业限公司 (有 dropped) reads as 业 mistyped for 有, and
    # 业有有限公司 (有 doubled) as a core ending in 有. Either way only the core's last character is at stake.
    assume(not (slip in ("del", "dup") and at == 0))
    typed = {
        "sub": form[:at] + char + form[at + 1 :],
        "del": form[:at] + form[at + 1 :],
        "dup": form[:at] + form[at] + form[at:],
    }[slip]
    parsed = parse_org_name(core + typed)
    assert (parsed.core, parsed.legal_form) == (parse_org_name(core + form).core, "有限公司")


@given(st.sampled_from(CITIES), PLAIN)
@settings(max_examples=200)
def test_a_city_with_or_without_its_suffix_gives_the_same_core(city, core):
    a, b = parse_org_name(city + "市" + core + "有限公司"), parse_org_name(city + core + "有限公司")
    assert a.core == b.core
    assert regions_compatible(a.regions, b.regions)


def test_a_region_kept_in_a_short_name_or_a_branch_label_is_written_short():
    assert parse_org_name("南京市高科股份有限公司").core == parse_org_name("南京高科股份有限公司").core == "南京高科"
    assert parse_org_name("江苏省银行股份有限公司").core == "江苏银行"
    assert parse_org_name("江苏银行股份有限公司南京市分行").branch == "南京分行"


def test_a_sole_traders_bracket_note_is_a_legal_form_not_part_of_the_name():
    noted = parse_org_name("常州市武进区牛塘晨阳五金经营部（个体工商户）")
    assert noted.core == parse_org_name("常州市武进区牛塘晨阳五金经营部").core
    assert noted.legal_form == "个体工商户"


def test_a_name_ending_in_an_ordinary_word_is_not_read_as_a_mistyped_form():
    assert parse_org_name("南京市公共工程建设中心").legal_form == ""
    assert parse_org_name("江苏天哲律师事务所").legal_form == ""
    assert parse_org_name("南京华夏集团公司").legal_form == "公司"
