"""The operator's year table: service, audit, event, cache, admin — on the real database."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from govtrust.core import events, periods
from govtrust.core.models import CalendarYear, ObjectChange, OutboxEvent
from govtrust.core.services import calendar_year_save

D = datetime.date

# A plausible 2031 arrangement (Wednesday New Year's Day, a National Day week with two make-up weekend days).
HOLIDAYS_2031 = ["2031-01-01", "2031-05-01", "2031-05-02", "2031-05-05", *[f"2031-10-0{d}" for d in range(1, 8)]]
WORKDAYS_2031 = ["2031-09-28", "2031-10-11"]  # Sunday, Saturday
BASIS_2031 = "国务院办公厅关于2031年部分节假日安排的通知"


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_user(username="calendar-op", password="x", is_staff=True)


def save_2031(actor, **overrides):
    values = {"year": 2031, "holidays": HOLIDAYS_2031, "workdays": WORKDAYS_2031, "basis": BASIS_2031}
    values.update(overrides)
    return calendar_year_save(actor=actor, **values)


def assert_nothing_stored():
    assert CalendarYear.objects.count() == 0
    assert not ObjectChange.objects.filter(object_type="core.calendaryear").exists()
    assert not OutboxEvent.objects.filter(name=periods.EVENT_YEAR_ENTERED).exists()


@pytest.mark.django_db
def test_entering_a_missing_year_makes_its_deadlines_final(operator):
    before = periods.add_working_days(D(2031, 9, 26), 2)  # Friday
    assert before == periods.Deadline(D(2031, 9, 30), True, before.basis)

    row = save_2031(operator)

    after = periods.add_working_days(D(2031, 9, 26), 2)  # Sunday Sep 28 is now a make-up working day
    assert after == periods.Deadline(D(2031, 9, 29), False, "2个工作日")
    assert not periods.is_working_day(D(2031, 1, 1))
    assert periods.next_working_day(D(2031, 9, 30)) == D(2031, 10, 8)
    assert row.entered_by_pk == operator.pk and row.entered_by_name == "calendar-op"
    assert row.holidays == sorted(HOLIDAYS_2031)


@pytest.mark.django_db
def test_saving_a_year_is_audited_and_emits_year_entered(operator):
    row = save_2031(operator)
    change = ObjectChange.objects.get(object_type="core.calendaryear")
    assert change.action == ObjectChange.Action.CREATE
    assert change.object_id == str(row.pk)
    assert change.user_pk == operator.pk
    assert change.prechange_data is None
    assert change.postchange_data["holidays"] == sorted(HOLIDAYS_2031)
    event = OutboxEvent.objects.get(name="calendar.year_entered")
    assert event.payload == {"year": 2031}


@pytest.mark.django_db
def test_a_subscriber_receives_year_entered_after_commit(operator, django_capture_on_commit_callbacks):
    received: list[dict] = []

    def recompute(event: OutboxEvent) -> None:
        received.append(event.payload)

    events.subscribe(periods.EVENT_YEAR_ENTERED)(recompute)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            save_2031(operator)
    finally:
        events._subscribers[periods.EVENT_YEAR_ENTERED].remove(recompute)
    assert received == [{"year": 2031}]
    assert OutboxEvent.objects.get(name=periods.EVENT_YEAR_ENTERED).delivered_at is not None


@pytest.mark.django_db
def test_the_operator_table_wins_over_the_packaged_data(operator):
    assert periods.add_working_days(D(2026, 9, 30), 1).date == D(2026, 10, 8)
    packaged = periods.packaged_years()[2026]
    # Suppose a later notice also gave Oct 8 off and moved the make-up Saturday.
    calendar_year_save(
        actor=operator,
        year=2026,
        holidays=sorted(packaged.holidays) + [D(2026, 10, 8)],
        workdays=[d for d in sorted(packaged.workdays) if d != D(2026, 10, 10)],
        basis="国务院办公厅关于调整2026年国庆节放假安排的通知（测试）",
    )
    cal = periods.get_calendar()
    assert cal.arrangement(2026).source == "operator"
    assert periods.add_working_days(D(2026, 9, 30), 1).date == D(2026, 10, 9)
    assert not periods.is_working_day(D(2026, 10, 10))
    # Other packaged years are untouched.
    assert cal.arrangement(2025).source == "packaged"


@pytest.mark.django_db
def test_correcting_a_year_updates_the_row_and_audits_before_and_after(operator):
    row = save_2031(operator)
    corrected = calendar_year_save(
        actor=operator, year=2031, holidays=HOLIDAYS_2031 + ["2031-10-08"], workdays=["2031-09-28"], basis="更正"
    )
    assert corrected.pk == row.pk
    assert CalendarYear.objects.count() == 1
    update = ObjectChange.objects.filter(object_type="core.calendaryear").order_by("seq").last()
    assert update.action == ObjectChange.Action.UPDATE
    assert "2031-10-08" not in update.prechange_data["holidays"]
    assert "2031-10-08" in update.postchange_data["holidays"]
    assert OutboxEvent.objects.filter(name=periods.EVENT_YEAR_ENTERED).count() == 2
    assert not periods.is_working_day(D(2031, 10, 8))
    assert not periods.is_working_day(D(2031, 10, 11))


@pytest.mark.django_db
def test_the_calendar_is_cached_between_reads(operator, django_assert_num_queries):
    periods.get_calendar()
    with django_assert_num_queries(0):
        for _ in range(1000):
            periods.add_working_days(D(2026, 3, 2), 5)


@pytest.mark.django_db
def test_a_change_made_by_another_process_is_seen_after_the_check_interval(operator, monkeypatch):
    monkeypatch.setattr(periods, "CHECK_INTERVAL_SECONDS", 3600.0)
    save_2031(operator)
    assert not periods.is_working_day(D(2031, 10, 7))
    # Another process edits the row: this process's cache was not told.
    row = CalendarYear.objects.get(year=2031)
    CalendarYear.objects.filter(pk=row.pk).update(
        holidays=[d for d in HOLIDAYS_2031 if d != "2031-10-07"] + ["2031-10-08"],
        updated_at=row.updated_at + datetime.timedelta(seconds=5),
    )
    assert not periods.is_working_day(D(2031, 10, 7))  # still cached within the interval
    monkeypatch.setattr(periods, "CHECK_INTERVAL_SECONDS", 0.0)
    assert periods.is_working_day(D(2031, 10, 7))
    assert not periods.is_working_day(D(2031, 10, 8))


@pytest.mark.django_db
def test_calendar_warnings_disappear_once_the_year_is_entered(operator):
    assert len(periods.calendar_warnings(D(2031, 3, 1))) == 2
    save_2031(operator)
    warnings = periods.calendar_warnings(D(2031, 3, 1))
    assert len(warnings) == 1 and "2032" in warnings[0]


# --- bad input: a clear message and nothing stored -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"holidays": [*HOLIDAYS_2031, "2032-01-01"]}, "holidays", "不在2031年内"),
        ({"workdays": ["2031-10-10"]}, "workdays", "调休上班日应为周六或周日"),
        ({"workdays": ["2031-10-04"]}, "workdays", "同时列为放假日和调休上班日"),
        ({"holidays": [*HOLIDAYS_2031, "2031-10-01"]}, "holidays", "重复"),
        ({"holidays": [*HOLIDAYS_2031, "2031-02-30"]}, "holidays", "不是有效日期"),
        ({"holidays": [*HOLIDAYS_2031, "<script>alert(1)</script>"]}, "holidays", "不是有效日期"),
        ({"workdays": ["'; DROP TABLE core_calendaryear; --"]}, "workdays", "不是有效日期"),
        ({"holidays": [*HOLIDAYS_2031, "20311001"]}, "holidays", "不是有效日期"),
        ({"holidays": [d for d in HOLIDAYS_2031 if d != "2031-01-01"]}, "holidays", "2031-01-01"),
        ({"holidays": "2031-01-01"}, "holidays", "应为日期列表"),
        ({"basis": "   "}, "basis", "请填写依据"),
        ({"basis": "通" * 501}, "basis", "500"),
        ({"year": 1990}, "year", "1995"),
        ({"year": "2031"}, "year", "整数"),
        ({"year": True}, "year", "整数"),
    ],
)
def test_a_bad_entry_is_refused_with_a_clear_message_and_nothing_is_stored(operator, overrides, field, fragment):
    with pytest.raises(ValidationError) as info:
        save_2031(operator, **overrides)
    messages = info.value.message_dict[field]
    assert any(fragment in m for m in messages), messages
    assert_nothing_stored()


@pytest.mark.django_db
def test_a_hostile_string_is_not_echoed_in_full(operator):
    hostile = "<script>" + "x" * 200 + "</script>"
    with pytest.raises(ValidationError) as info:
        save_2031(operator, holidays=[*HOLIDAYS_2031, hostile])
    (message,) = info.value.message_dict["holidays"]
    assert len(message) < 60


# --- admin -----------------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser(username="root-op", password="x")


@pytest.mark.django_db
def test_an_operator_enters_a_year_in_the_admin_and_it_goes_through_the_service(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/core/calendaryear/add/",
        {
            "year": "2031",
            "holidays_text": "\n".join(HOLIDAYS_2031),
            "workdays_text": "2031-09-28, 2031-10-11",
            "basis": BASIS_2031,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = CalendarYear.objects.get(year=2031)
    assert row.workdays == WORKDAYS_2031
    assert row.entered_by_name == "root-op"
    assert ObjectChange.objects.filter(object_type="core.calendaryear", object_id=str(row.pk)).exists()
    assert OutboxEvent.objects.filter(name=periods.EVENT_YEAR_ENTERED).exists()
    page = client.get(f"/admin/core/calendaryear/{row.pk}/change/").content.decode()
    assert "2031-10-07" in page


@pytest.mark.django_db
def test_the_admin_form_shows_validation_errors_and_stores_nothing(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/core/calendaryear/add/",
        {
            "year": "2031",
            "holidays_text": "\n".join(HOLIDAYS_2031),
            "workdays_text": "2031-10-10",
            "basis": BASIS_2031,
        },
    )
    assert response.status_code == 200
    assert "调休上班日应为周六或周日" in response.content.decode()
    assert_nothing_stored()


@pytest.mark.django_db
def test_a_year_cannot_be_deleted_in_the_admin(client, admin_user):
    row = save_2031(admin_user)
    client.force_login(admin_user)
    response = client.post(f"/admin/core/calendaryear/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert CalendarYear.objects.filter(pk=row.pk).exists()


# --- console --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_console_home_warns_until_this_year_and_next_year_are_entered(client, operator):
    from django.utils import timezone

    today = timezone.localdate()
    client.force_login(operator)
    expected = periods.calendar_warnings(today)
    page = client.get("/console/").content.decode()
    assert all(warning in page for warning in expected)
    for year in (today.year, today.year + 1):
        fixed = [D(year, 1, 1), D(year, 5, 1), D(year, 10, 1), D(year, 10, 2), D(year, 10, 3)]
        calendar_year_save(actor=operator, year=year, holidays=fixed, workdays=[], basis=f"{year}年通知")
    page = client.get("/console/").content.decode()
    assert "节假日安排尚未录入" not in page
