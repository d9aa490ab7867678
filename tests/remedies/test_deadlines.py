"""Objection and repair deadlines in working days: holidays with make-up days, a missing year, recomputation."""

from __future__ import annotations

import datetime

import pytest

from govtrust.core.services import calendar_year_save
from govtrust.remedies import services
from govtrust.remedies.models import Objection, ObjectionStatus

pytestmark = pytest.mark.django_db


def file(world, day):  # type: ignore[no-untyped-def]
    return services.objection_file(actor=world.cast.xw_user, record=world.record, claim="有误", today=day)


def test_national_day_and_its_make_up_saturday(world):  # type: ignore[no-untyped-def]
    # 2025: 10-01..10-08 off; Sunday 09-28 and Saturday 10-11 are working days.
    o = file(world, datetime.date(2025, 9, 29))
    # 09-30, 10-09, 10-10, 10-11 (Saturday, worked), 10-13
    assert o.due_on == datetime.date(2025, 10, 13) and not o.due_provisional


def test_spring_festival_with_both_make_up_saturdays_and_the_extension(world):  # type: ignore[no-untyped-def]
    # 2026: 02-15..02-23 off; Saturdays 02-14 and 02-28 worked.
    o = file(world, datetime.date(2026, 2, 13))
    assert o.due_on == datetime.date(2026, 2, 27)  # 02-14, 02-24, 02-25, 02-26, 02-27
    o = services.objection_accept(actor=world.cast.city_user, objection=o, today=datetime.date(2026, 2, 24))
    o = services.objection_extend(actor=world.cast.city_user, objection=o, reason="需核实", approval_reference="批1",
                                  approver="王主任", today=datetime.date(2026, 2, 26))  # fmt: skip
    assert o.due_on == datetime.date(2026, 3, 19)  # 20 working days from the filing day, 02-28 included


def test_a_deadline_into_a_year_without_an_arrangement_is_provisional_and_recomputed_when_it_is_entered(
    world, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    o = file(world, datetime.date(2026, 12, 28))
    # 12-29, 12-30, 12-31, then 2027-01-01 (a Friday, unknown: counted as a working day), 01-04
    assert o.due_on == datetime.date(2027, 1, 4) and o.due_provisional
    assert "2027年节假日安排尚未录入" in o.due_basis
    with django_capture_on_commit_callbacks(execute=True):
        calendar_year_save(
            actor=world.cast.prov_user, year=2027,
            holidays=["2027-01-01", "2027-05-01", "2027-10-01", "2027-10-02", "2027-10-03"], workdays=[],
            basis="国务院办公厅关于2027年部分节假日安排的通知（测试）",
        )  # fmt: skip
    o = Objection.objects.get(pk=o.pk)
    assert o.due_on == datetime.date(2027, 1, 5) and not o.due_provisional


def test_decided_objections_are_not_recomputed(world, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    o = file(world, datetime.date(2026, 12, 28))
    o = services.objection_accept(actor=world.cast.city_user, objection=o)
    o = services.objection_decide(actor=world.cast.city_user, objection=o, outcome=ObjectionStatus.REJECTED,
                                  reasons="无误", today=datetime.date(2026, 12, 30))  # fmt: skip
    assert services.deadlines_recompute(year=2027) == 0
    assert Objection.objects.get(pk=o.pk).due_on == datetime.date(2027, 1, 4)


def test_operator_values_for_the_jiangsu_rule_win_inside_its_dates(world):  # type: ignore[no-untyped-def]
    services.rule_values_save(actor=world.cast.prov_user, rule_key="objection.deadline", version="js-2025-4",
                              values={"decide": 3, "extended": 7}, articles="第X条", provisional=False)  # fmt: skip
    o = file(world, datetime.date(2026, 11, 2))
    assert (o.rule_version, o.decide_days, o.extended_days, o.review_days) == ("js-2025-4", 3, 7, None)
    assert o.due_on == datetime.date(2026, 11, 5) and not o.rule_provisional
    assert "苏政规〔2025〕4号" in o.rule_basis


@pytest.mark.parametrize(
    "values",
    [{"decide": 0}, {"decide": "5"}, {"extended": 20}, {"decide": 5, "extended": 3}, {"decide": 5, "weird": 1}, [5]],
)
def test_bad_operator_values_are_refused(world, values):  # type: ignore[no-untyped-def]
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.rule_values_save(actor=world.cast.prov_user, rule_key="objection.deadline", version="js-2025-4",
                                  values=values, articles="第X条", provisional=False)  # fmt: skip
