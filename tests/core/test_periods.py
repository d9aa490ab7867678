"""The periods module on its own: a calendar built from the packaged data, no database."""

from __future__ import annotations

import datetime
import importlib.util
import json
import random
import time
from pathlib import Path

import chinese_calendar
import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from govtrust.core import periods
from govtrust.core.periods import (
    Calendar,
    Deadline,
    PeriodUnit,
    YearArrangement,
    calendar_warnings,
    packaged_years,
    validate_arrangement,
)

D = datetime.date
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cal() -> Calendar:
    return Calendar(packaged_years())


@pytest.fixture(scope="module")
def weekends_only() -> Calendar:
    return Calendar()


# --- the packaged data -------------------------------------------------------------------------------------------


def test_packaged_data_agrees_with_chinesecalendar_on_every_day_it_covers(cal):
    day, last = D(2004, 1, 1), D(2026, 12, 31)
    disagreements = []
    while day <= last:
        if cal.is_working_day(day) != chinese_calendar.is_workday(day):
            disagreements.append(day)
        day += datetime.timedelta(days=1)
    assert disagreements == []


def test_packaged_data_covers_2004_to_2026_with_a_basis_for_each_year():
    years = packaged_years()
    assert sorted(years) == list(range(2004, 2027))
    assert all(a.basis.startswith(f"国务院办公厅关于{y}年部分节假日安排的通知") for y, a in years.items())
    assert "国办发明电〔2024〕12号" in years[2025].basis


def test_every_packaged_year_would_pass_the_operator_checks():
    for year, arrangement in packaged_years().items():
        validate_arrangement(
            year=year, holidays=sorted(arrangement.holidays), workdays=sorted(arrangement.workdays), basis="x"
        )


def test_the_packaged_file_is_what_the_export_script_generates():
    spec = importlib.util.spec_from_file_location("export_holidays", ROOT / "scripts" / "export_holidays.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert periods.PACKAGED_FILE.read_text(encoding="utf-8") == module.render()


def test_a_packaged_document_with_a_date_outside_its_year_is_refused():
    doc = {"years": {"2030": {"basis": "x", "holidays": ["2031-01-01"], "workdays": []}}}
    with pytest.raises(ValueError):
        periods.parse_packaged(doc)


def test_a_packaged_document_with_a_malformed_date_is_refused():
    doc = json.loads('{"years": {"2030": {"basis": "x", "holidays": ["2030-02-30"], "workdays": []}}}')
    with pytest.raises(ValueError):
        periods.parse_packaged(doc)


# --- working days: Spring Festival and National Day 2026 ----------------------------------------------------------


def test_2026_national_day_week_is_off_and_its_two_make_up_days_are_working_days(cal):
    assert not any(cal.is_working_day(D(2026, 10, d)) for d in range(1, 8))
    assert cal.is_working_day(D(2026, 9, 20))  # Sunday, make-up working day
    assert cal.is_working_day(D(2026, 10, 10))  # Saturday, make-up working day
    assert not cal.is_working_day(D(2026, 10, 11))  # ordinary Sunday
    assert cal.is_working_day(D(2026, 10, 8))


def test_2026_spring_festival_runs_from_15_to_23_february_with_make_up_saturdays_on_14_and_28(cal):
    assert not any(cal.is_working_day(D(2026, 2, d)) for d in range(15, 24))
    assert cal.is_working_day(D(2026, 2, 14))
    assert cal.is_working_day(D(2026, 2, 28))
    assert cal.is_working_day(D(2026, 2, 24))


def test_five_working_days_from_the_monday_before_national_day_end_on_the_make_up_saturday(cal):
    # Sep 29, Sep 30, Oct 8, Oct 9, Oct 10 (Saturday, a make-up working day).
    assert cal.add_working_days(D(2026, 9, 28), 5) == Deadline(D(2026, 10, 10), False, "5个工作日")


def test_one_working_day_after_the_last_day_before_national_day_is_the_day_after_it(cal):
    assert cal.add_working_days(D(2026, 9, 30), 1).date == D(2026, 10, 8)


def test_a_working_day_count_can_land_on_a_make_up_sunday(cal):
    assert cal.add_working_days(D(2026, 9, 18), 1).date == D(2026, 9, 20)


def test_working_days_across_spring_festival_2026(cal):
    assert cal.add_working_days(D(2026, 2, 13), 1).date == D(2026, 2, 14)
    assert cal.add_working_days(D(2026, 2, 13), 2).date == D(2026, 2, 24)


def test_the_start_day_is_not_counted_even_when_it_is_a_working_day(cal):
    assert cal.add_working_days(D(2026, 3, 2), 1).date == D(2026, 3, 3)


def test_starting_on_a_holiday_counts_from_the_first_working_day_after_it(cal):
    assert cal.add_working_days(D(2026, 10, 3), 1).date == D(2026, 10, 8)


def test_the_2020_spring_festival_extension_is_in_the_data(cal):
    assert not cal.is_working_day(D(2020, 1, 31))
    assert not cal.is_working_day(D(2020, 2, 2))
    assert cal.is_working_day(D(2020, 2, 3))


def test_next_working_day_is_strictly_after_unless_inclusive(cal):
    assert cal.next_working_day(D(2026, 9, 30)) == D(2026, 10, 8)
    assert cal.next_working_day(D(2026, 9, 30), inclusive=True) == D(2026, 9, 30)
    assert cal.next_working_day(D(2026, 10, 4), inclusive=True) == D(2026, 10, 8)


def test_working_days_between_counts_the_days_after_a_up_to_and_including_b(cal):
    assert cal.working_days_between(D(2026, 9, 30), D(2026, 10, 10)) == 3
    assert cal.working_days_between(D(2026, 10, 10), D(2026, 9, 30)) == -3
    assert cal.working_days_between(D(2026, 10, 1), D(2026, 10, 1)) == 0
    assert cal.working_days_between(D(2026, 10, 1), D(2026, 10, 7)) == 0


def test_working_days_between_across_years_matches_the_oracle(cal):
    a, b = D(2023, 11, 15), D(2025, 2, 10)
    expected = sum(1 for i in range(1, (b - a).days + 1) if chinese_calendar.is_workday(a + datetime.timedelta(days=i)))
    assert cal.working_days_between(a, b) == expected


# --- calendar-day, month and year periods (民法典 arts. 201–203) --------------------------------------------------


def test_ten_days_from_a_date_end_ten_days_later_because_the_start_day_is_not_counted(cal):
    assert cal.add_days(D(2026, 3, 1), 10) == Deadline(D(2026, 3, 11), False, "10日")


def test_a_day_period_ending_on_a_saturday_moves_to_monday(cal):
    deadline = cal.add_days(D(2026, 3, 4), 10)  # 2026-03-14 is a Saturday
    assert deadline.date == D(2026, 3, 16)
    assert "第二百零三条" in deadline.basis


def test_a_period_ending_inside_national_day_moves_to_the_first_working_day_after_it(cal):
    assert cal.add_days(D(2026, 9, 30), 1).date == D(2026, 10, 8)
    assert cal.add_days(D(2026, 9, 21), 15).date == D(2026, 10, 8)


def test_a_period_ending_on_a_make_up_saturday_does_not_move(cal):
    deadline = cal.add_days(D(2026, 10, 3), 7)
    assert deadline.date == D(2026, 10, 10)
    assert "第二百零三条" not in deadline.basis


def test_without_rolling_the_end_stays_on_the_holiday(cal):
    assert cal.add_days(D(2026, 9, 30), 1, roll_to_working_day=False) == Deadline(D(2026, 10, 1), False, "1日")


@pytest.mark.parametrize(
    ("start", "n", "end"),
    [
        (D(2026, 1, 15), 1, D(2026, 2, 15)),
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2025, 1, 30), 1, D(2025, 2, 28)),
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 5, 31), 1, D(2026, 6, 30)),
        (D(2026, 8, 31), 1, D(2026, 9, 30)),
        (D(2026, 10, 31), 1, D(2026, 11, 30)),
        (D(2025, 12, 31), 2, D(2026, 2, 28)),
        (D(2023, 11, 30), 3, D(2024, 2, 29)),
        (D(2026, 2, 28), 1, D(2026, 3, 28)),
        (D(2026, 11, 15), 3, D(2027, 2, 15)),
        (D(2026, 1, 31), 13, D(2027, 2, 28)),
    ],
)
def test_months_end_on_the_corresponding_day_or_the_last_day_of_a_shorter_month(cal, start, n, end):
    assert cal.add_months(start, n, roll_to_working_day=False).date == end


def test_jan_31_plus_one_month_in_2026_is_feb_28_a_make_up_saturday_so_it_does_not_roll(cal):
    assert cal.add_months(D(2026, 1, 31), 1) == Deadline(D(2026, 2, 28), False, "1个月")


def test_a_month_period_ending_in_spring_festival_rolls_past_it(cal):
    assert cal.add_months(D(2026, 1, 16), 1).date == D(2026, 2, 24)


@pytest.mark.parametrize(
    ("start", "n", "end"),
    [
        (D(2024, 2, 29), 1, D(2025, 2, 28)),
        (D(2024, 2, 29), 4, D(2028, 2, 29)),
        (D(2096, 2, 29), 4, D(2100, 2, 28)),  # 2100 is not a leap year
        (D(1996, 2, 29), 4, D(2000, 2, 29)),  # 2000 is
        (D(2099, 3, 1), 1, D(2100, 3, 1)),
        (D(2025, 6, 30), 3, D(2028, 6, 30)),
    ],
)
def test_years_end_on_the_same_date_or_feb_28_when_feb_29_is_missing(cal, start, n, end):
    assert cal.add_years(start, n, roll_to_working_day=False) == Deadline(end, False, f"{n}年")


def test_a_year_period_ending_on_new_years_day_rolls(cal):
    # 2026: Jan 1–3 off, Jan 4 is a make-up Sunday, so the period ends on that Sunday.
    assert cal.add_years(D(2025, 1, 1), 1).date == D(2026, 1, 4)
    assert cal.add_years(D(2025, 1, 3), 1).date == D(2026, 1, 4)
    assert "第二百零三条" not in cal.add_years(D(2025, 1, 4), 1).basis


# --- a year without an official arrangement ----------------------------------------------------------------------


def test_a_missing_year_counts_weekends_only_and_the_deadline_is_provisional(cal):
    deadline = cal.add_working_days(D(2031, 3, 6), 5)  # Thursday
    assert deadline.date == D(2031, 3, 13)
    assert deadline.provisional
    assert "2031年节假日安排尚未录入" in deadline.basis
    assert cal.is_working_day(D(2031, 1, 1))  # a Wednesday: weekends only, so New Year's Day counts


def test_a_working_day_count_that_crosses_into_a_missing_year_is_provisional(cal):
    assert not cal.add_working_days(D(2026, 12, 1), 5).provisional
    late = cal.add_working_days(D(2026, 12, 28), 5)
    assert late.provisional
    assert "2027" in late.basis


def test_a_working_day_count_starting_on_the_last_day_of_a_known_year_depends_only_on_the_next(cal):
    # The start day is not counted, so 2026 plays no part; 2027 is missing.
    assert cal.add_working_days(D(2026, 12, 31), 1).provisional


def test_a_calendar_period_ending_in_a_missing_year_is_provisional_only_when_it_rolls(cal):
    assert cal.add_years(D(2026, 6, 1), 5).provisional
    assert not cal.add_years(D(2026, 6, 1), 5, roll_to_working_day=False).provisional
    assert not cal.add_months(D(2026, 6, 1), 3).provisional


def test_a_deadline_inside_known_years_is_not_provisional_however_far_it_starts(cal):
    assert not cal.add_working_days(D(2004, 1, 2), 1000).provisional


def test_an_empty_calendar_counts_monday_to_friday(weekends_only):
    assert weekends_only.add_working_days(D(2026, 9, 30), 1) == Deadline(
        D(2026, 10, 1), True, "1个工作日；2026年节假日安排尚未录入，暂按周末计算，为暂定期限"
    )


# --- generic rules, basis text, bad arguments ----------------------------------------------------------------------


def test_add_period_applies_a_rule_held_as_data(cal):
    rule = {"n": 5, "unit": "working_day"}
    deadline = cal.add_period(D(2026, 9, 28), rule["n"], rule["unit"], rule="《示例办法》第十条")
    assert deadline.date == D(2026, 10, 10)
    assert deadline.basis == "5个工作日（《示例办法》第十条）"
    assert cal.add_period(D(2026, 1, 31), 1, PeriodUnit.MONTH, roll_to_working_day=False).date == D(2026, 2, 28)
    assert cal.add_period(D(2024, 2, 29), 1, "year", roll_to_working_day=False).date == D(2025, 2, 28)
    assert cal.add_period(D(2026, 3, 1), 10, "day").date == D(2026, 3, 11)


def test_an_unknown_unit_is_refused(cal):
    with pytest.raises(ValueError):
        cal.add_period(D(2026, 3, 1), 1, "fortnight")


@pytest.mark.parametrize("n", [0, -1, True, 1.5, "5"])
def test_a_period_needs_a_whole_positive_number_of_units(cal, n):
    with pytest.raises(ValueError):
        cal.add_working_days(D(2026, 3, 1), n)
    with pytest.raises(ValueError):
        cal.add_months(D(2026, 3, 1), n)


def test_units_have_chinese_labels():
    assert PeriodUnit.WORKING_DAY.label == "工作日"
    assert PeriodUnit("month") is PeriodUnit.MONTH


# --- console warnings ---------------------------------------------------------------------------------------------


def test_no_warning_when_this_year_and_next_year_are_known(cal):
    assert calendar_warnings(D(2025, 6, 1), calendar=cal) == []


def test_a_warning_when_next_year_is_missing(cal):
    warnings = calendar_warnings(D(2026, 11, 20), calendar=cal)
    assert len(warnings) == 1
    assert "2027年节假日安排尚未录入" in warnings[0]


def test_two_warnings_when_this_year_and_next_year_are_missing(cal):
    warnings = calendar_warnings(D(2031, 1, 5), calendar=cal)
    assert len(warnings) == 2
    assert "2031" in warnings[0] and "2032" in warnings[1]


# --- validation of an operator's entry (pure part; the service is tested in test_calendar_year.py) ----------------


def test_validation_normalises_strings_and_dates_into_sorted_dates():
    year, off, on, basis = validate_arrangement(
        year=2031,
        holidays=["2031-10-03", D(2031, 1, 1), "2031-05-01", " 2031-10-01 ", "2031-10-02"],
        workdays=[],
        basis="  通知  ",
    )
    assert year == 2031
    assert off == [D(2031, 1, 1), D(2031, 5, 1), D(2031, 10, 1), D(2031, 10, 2), D(2031, 10, 3)]
    assert basis == "通知"


def test_validation_refuses_a_datetime_in_place_of_a_date():
    with pytest.raises(ValidationError):
        validate_arrangement(
            year=2031,
            holidays=[datetime.datetime(2031, 1, 1, 8, 0), "2031-05-01", "2031-10-01", "2031-10-02", "2031-10-03"],
            workdays=[],
            basis="x",
        )


# --- properties ----------------------------------------------------------------------------------------------------

dates = st.dates(min_value=D(2000, 1, 1), max_value=D(2040, 12, 31))


@settings(max_examples=300, deadline=None)
@given(start=dates, n=st.integers(min_value=1, max_value=400))
def test_add_working_days_lands_on_a_working_day_exactly_n_working_days_later(start, n):
    cal = Calendar(packaged_years())
    deadline = cal.add_working_days(start, n)
    assert cal.is_working_day(deadline.date)
    assert cal.working_days_between(start, deadline.date) == n
    assert cal.working_days_between(start, deadline.date - datetime.timedelta(days=1)) == n - 1
    expected_provisional = any(y not in packaged_years() for y in range(start.year, deadline.date.year + 1))
    if start.month == 12 and start.day == 31:
        expected_provisional = any(y not in packaged_years() for y in range(start.year + 1, deadline.date.year + 1))
    assert deadline.provisional == expected_provisional


@settings(max_examples=300, deadline=None)
@given(start=dates, n=st.integers(min_value=1, max_value=240))
def test_add_months_keeps_the_day_or_takes_the_last_day_of_the_month(start, n):
    cal = Calendar(packaged_years())
    end = cal.add_months(start, n, roll_to_working_day=False).date
    assert (end.year - start.year) * 12 + end.month - start.month == n
    next_day = end + datetime.timedelta(days=1)
    assert end.day == start.day or (end.day < start.day and next_day.day == 1)
    rolled = cal.add_months(start, n).date
    assert rolled >= end and cal.is_working_day(rolled)
    assert cal.working_days_between(end, rolled) <= 1


# --- speed ---------------------------------------------------------------------------------------------------------


def test_a_hundred_thousand_deadlines_take_well_under_two_seconds(cal):
    rng = random.Random(20260101)
    starts = [D(2024, 1, 1) + datetime.timedelta(days=rng.randrange(1000)) for _ in range(100_000)]
    counts = [rng.randrange(1, 30) for _ in range(100_000)]
    cal.add_working_days(D(2024, 1, 1), 1)  # warm the per-year tables
    began = time.perf_counter()
    for start, n in zip(starts, counts, strict=True):
        cal.add_working_days(start, n)
    elapsed = time.perf_counter() - began
    assert elapsed < 2.0, f"100k deadlines took {elapsed:.2f}s"


def test_hand_built_arrangements_are_accepted_as_a_list():
    arrangement = YearArrangement(2030, frozenset({D(2030, 1, 2)}), frozenset({D(2030, 1, 5)}), "测试", "operator")
    cal = Calendar([arrangement])
    assert not cal.is_working_day(D(2030, 1, 2))
    assert cal.is_working_day(D(2030, 1, 5))
    assert cal.known_years == [2030]
