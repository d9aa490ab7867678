"""USCC (GB 32100 + GB 11714) and resident ID (GB 11643) validators, checked against python-stdnum as an oracle."""

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from govtrust.core.validators import (
    ID_CHECK,
    USCC_AUTHORITY_TYPES,
    USCC_CHARSET,
    check_id_number,
    check_uscc,
    id_check_digit,
    normalise_code,
    org_code_check_digit,
    uscc_check_digit,
)

LEGACY = "91350211M00013FA1N"
TODAY = datetime.date(2026, 6, 1)

# Reference §1 test vectors.
VALID_USCC = [
    "11100000MB0341032Y",
    "11100000MB03271699",
    "11100000MB1802777M",
    "81341600MC44060953",
    "91310115591693856A",
    "91310110666007217T",
    "9135010026017703XW",
    "91350100M000100Y43",
    "113200000140003191",
    "11320404014119467F",
]


@pytest.mark.parametrize("code", VALID_USCC)
def test_every_valid_reference_vector_is_valid(code):
    assert check_uscc(code) == check_uscc(code, legacy_codes={LEGACY})
    result = check_uscc(code)
    assert (result.status, result.reason) == ("valid", "")


def test_the_standards_worked_example_has_check_character_3():
    assert uscc_check_digit("91350100M000100Y4") == "3"


def test_it_rejects_the_standards_counter_example_with_z():
    result = check_uscc("91350100M000100Y4Z")
    assert result.status == "invalid"
    assert "Z" in result.reason


def test_the_early_pilot_code_is_invalid_unless_listed_then_legacy():
    assert check_uscc(LEGACY).status == "invalid"
    listed = check_uscc(LEGACY, legacy_codes={LEGACY})
    assert listed.status == "legacy"
    assert listed.ok and listed.reason


def test_it_rejects_the_blog_example_that_fails_both_checks():
    result = check_uscc("91310115MA1H8R7C6D")
    assert result.status == "invalid"
    assert "第18位应为“7”" in result.reason
    assert org_code_check_digit("MA1H8R7C") != "6"  # the embedded org code is wrong too


def test_org_code_letters_use_the_full_alphabet():
    # Reference §1: these pass only with A=10 … Z=35, not with the 31-character USCC table.
    assert org_code_check_digit("MB034103") == "2"
    assert org_code_check_digit("MB032716") == "9"
    assert org_code_check_digit("MC440609") == "5"


def test_org_code_check_maps_10_to_x_and_11_to_0():
    # Jiangsu government's own org code from its 索引号 (reference §1) and a hand-found X case.
    assert org_code_check_digit("01400031") == "9"
    assert org_code_check_digit("26017703") == "X"
    assert org_code_check_digit("00000000") == "0"


def test_it_rejects_a_wrong_embedded_org_code_even_with_a_right_18th_character():
    body = "91320000" + "12345678" + "1"  # org check for 12345678 is not 1
    assert org_code_check_digit("12345678") != "1"
    code = body + uscc_check_digit(body)
    result = check_uscc(code)
    assert result.status == "invalid"
    assert "组织机构代码" in result.reason


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("9132000012345678", "18位"),
        ("91320000123456789012", "18位"),
        ("", "18位"),
        ("9132000014000319IX", "“I”"),
        ("91320000MA1O00000X", "“O”"),
        ("9132000014000319<>", "“<”"),
        ("'; DROP TABLE x;--X", "18位"),
        ("9132000014'OR'1'=1", "不允许"),
        ("B1320000140003191X", "登记管理部门"),
        ("94320000140003191X", "机构类别"),
        ("36320000140003191X", "机构类别"),  # 司法行政 has 31–35 and 39 only
        ("Y2320000140003191X", "机构类别"),
        ("91A20000140003191X", "行政区划"),
    ],
)
def test_it_rejects_malformed_codes_with_a_chinese_reason(code, words):
    result = check_uscc(code)
    assert result.status == "invalid"
    assert words in result.reason


def test_structural_errors_stay_invalid_even_when_listed_as_legacy():
    bad = "B1320000140003191X"
    assert check_uscc(bad, legacy_codes={bad}).status == "invalid"


def test_it_normalises_case_spaces_hyphens_and_full_width_characters():
    assert check_uscc(" 9135 0100-m000100y43 ").status == "valid"
    assert normalise_code("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"
    assert check_uscc("９１３５０１００Ｍ０００１００Ｙ４３").status == "valid"


def test_non_ascii_digits_are_not_digits():
    # "²" and Arabic-Indic digits satisfy str.isdigit(); a code must not.
    assert check_uscc("91²20000140003191X").status == "invalid"
    assert check_id_number("1101051949123100٢X", today=TODAY).status == "invalid"


# --- property tests ---------------------------------------------------------------------------

AUTHORITY_TYPE_PAIRS = [a + t for a, types in USCC_AUTHORITY_TYPES.items() for t in types]
STDNUM_REJECTS = {"A1", "A9", "N1", "N2", "N3", "N9", "Y1"}  # stdnum wants 8 leading digits
ORG_BODY_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@st.composite
def valid_usccs(draw, pairs=AUTHORITY_TYPE_PAIRS):
    pair = draw(st.sampled_from(pairs))
    region = draw(st.text("0123456789", min_size=6, max_size=6))
    org_body = draw(st.text(ORG_BODY_CHARS, min_size=8, max_size=8))
    org_check = org_code_check_digit(org_body)
    first17 = pair + region + org_body + org_check
    return first17 + uscc_check_digit(first17)


@given(valid_usccs())
def test_generated_usccs_with_computed_checks_are_valid(code):
    assert check_uscc(code).status == "valid"


@given(valid_usccs(), st.integers(0, 17), st.sampled_from(USCC_CHARSET + "IOZSV"))
def test_any_single_character_change_makes_a_uscc_invalid(code, position, replacement):
    changed = code[:position] + replacement + code[position + 1 :]
    if changed == code:
        return
    assert check_uscc(changed).status == "invalid"
    # …and legacy only when the operator listed exactly that code, if it is structurally sound.
    assert check_uscc(changed, legacy_codes={code}).status == "invalid"
    assert check_uscc(changed, legacy_codes={changed}).status in {"legacy", "invalid"}


@given(valid_usccs([p for p in AUTHORITY_TYPE_PAIRS if p not in STDNUM_REJECTS]))
def test_stdnum_agrees_on_generated_valid_usccs(code):
    assert stdnum_uscc.is_valid(code)


@given(valid_usccs([p for p in AUTHORITY_TYPE_PAIRS if p not in STDNUM_REJECTS]), st.integers(0, 17), st.data())
def test_stdnum_agrees_that_mutated_usccs_are_invalid(code, position, data):
    replacement = data.draw(st.sampled_from([c for c in USCC_CHARSET if c != code[position]]))
    changed = code[:position] + replacement + code[position + 1 :]
    assert check_uscc(changed).status == "invalid"
    assert not stdnum_uscc.is_valid(changed)


@settings(max_examples=300)
@given(st.text(USCC_CHARSET, min_size=18, max_size=18))
def test_whenever_we_accept_a_random_code_stdnum_does_too(code):
    # We check more (authority/type, embedded org code), so "valid" must imply stdnum-valid on its domain.
    if code[:2] in STDNUM_REJECTS:
        return
    if check_uscc(code).status == "valid":
        assert stdnum_uscc.is_valid(code)


@pytest.mark.parametrize("pair", sorted(STDNUM_REJECTS))
def test_types_stdnum_rejects_are_valid_here(pair):
    first17 = pair + "320000" + "14000319" + org_code_check_digit("14000319")
    code = first17 + uscc_check_digit(first17)
    assert not stdnum_uscc.is_valid(code)
    assert check_uscc(code).status == "valid"


# --- resident ID numbers (GB 11643) -----------------------------------------------------------

# Area codes stdnum's bundled GB/T 2260 table knows for every year from 1950 on (it checks the birth place
# against the codes in force in the birth year).
ID_AREAS = ["110101", "110105", "310104"]


@st.composite
def valid_id_numbers(draw):
    area = draw(st.sampled_from(ID_AREAS))
    born = draw(st.dates(min_value=datetime.date(1950, 1, 1), max_value=datetime.date(2020, 12, 31)))
    seq = draw(st.text("0123456789", min_size=3, max_size=3))
    first17 = area + born.strftime("%Y%m%d") + seq
    return first17 + id_check_digit(first17)


def test_the_gb_11643_example_number_is_valid():
    assert check_id_number("11010519491231002X", today=TODAY).status == "valid"
    assert check_id_number("11010519491231002x", today=TODAY).status == "valid"


@given(valid_id_numbers())
def test_generated_id_numbers_are_valid_here_and_in_stdnum(number):
    assert check_id_number(number, today=TODAY).status == "valid"
    assert stdnum_ric.is_valid(number)


@given(valid_id_numbers(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_single_character_change_makes_an_id_number_invalid(number, position, replacement):
    changed = number[:position] + replacement + number[position + 1 :]
    if changed == number:
        return
    assert check_id_number(changed, today=TODAY).status == "invalid"
    assert not stdnum_ric.is_valid(changed)


@pytest.mark.parametrize(
    ("first14", "words"),
    [
        ("11010519490229", "不存在"),  # 1949 is not a leap year
        ("11010520230230", "不存在"),
        ("11010519491301", "不存在"),
        ("11010519490100", "不存在"),
        ("11010520260602", "不合理"),  # tomorrow, for TODAY
        ("11010518491231", "不合理"),
    ],
)
def test_it_rejects_impossible_birth_dates_even_with_a_right_check_digit(first14, words):
    number = first14 + "002" + id_check_digit(first14 + "002")
    result = check_id_number(number, today=TODAY)
    assert result.status == "invalid"
    assert words in result.reason


def test_a_leap_day_birth_is_fine():
    first17 = "11010520000229002"
    assert check_id_number(first17 + id_check_digit(first17), today=TODAY).status == "valid"


def test_it_names_the_expected_check_character():
    result = check_id_number("110105194912310021", today=TODAY)
    assert result.status == "invalid"
    assert "第18位应为“X”" in result.reason


@pytest.mark.parametrize(
    "number", ["1101051949123100", "1101051949123100211", "11010519491231002Y", "X1010519491231002X", "<script>"]
)
def test_it_rejects_malformed_id_numbers(number):
    assert check_id_number(number, today=TODAY).status == "invalid"


def test_a_15_digit_first_generation_number_is_legacy():
    result = check_id_number("110105491231002", today=TODAY)
    assert result.status == "legacy"
    assert "15位" in result.reason


def test_a_15_digit_number_with_an_impossible_date_is_invalid():
    assert check_id_number("110105490229002", today=TODAY).status == "invalid"
    assert check_id_number("11010549123100A", today=TODAY).status == "invalid"


def test_check_character_table_is_the_standards():
    assert ID_CHECK == "10X98765432"
