"""Coverage and timeliness (全覆盖): deadlines in working days, lateness, rejected-row rates, silent suppliers,
scope, and the xlsx export."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from python_calamine import CalamineWorkbook
from registry.builders import SYSTEM, make_uscc

from govtrust.core.models import ObjectChange
from govtrust.core.periods import get_calendar
from govtrust.records import coverage, services
from govtrust.records.models import CreditRecord

from .conftest import record_kwargs

PAGE = "/console/records/coverage/"
NATIONAL_DAY_FRIDAY = dt.date(2026, 9, 25)  # 中秋 holiday Friday; 国庆 10-01..07; 10-10 (Sat) is a working day


def test_a_penalty_is_due_seven_working_days_after_its_decision_by_the_2018_notice():
    rule = coverage.deadline_rule_for("penalty", NATIONAL_DAY_FRIDAY)
    assert rule.working_days == 7 and "发改办财金〔2018〕424号" in rule.basis and not rule.provisional
    default = coverage.deadline_rule_for("judgment", NATIONAL_DAY_FRIDAY)
    assert default.working_days == 20 and default.provisional


@pytest.mark.django_db
def test_lateness_counts_working_days_across_national_day():
    cal = get_calendar()
    # 9-28, 9-29, 9-30, 10-08, 10-09, 10-10 (adjusted Saturday), 10-12: the 7th working day.
    assert cal.add_working_days(NATIONAL_DAY_FRIDAY, 7).date == dt.date(2026, 10, 12)
    assert coverage.days_late(NATIONAL_DAY_FRIDAY, dt.date(2026, 10, 12), 7, cal) == 0
    assert coverage.days_late(NATIONAL_DAY_FRIDAY, dt.date(2026, 10, 11), 7, cal) == 0  # early, on a Sunday
    assert coverage.days_late(NATIONAL_DAY_FRIDAY, dt.date(2026, 10, 13), 7, cal) == 1
    assert coverage.days_late(NATIONAL_DAY_FRIDAY, dt.date(2026, 10, 17), 7, cal) == 4  # Sat: 13,14,15,16


def test_the_weighted_median_handles_even_and_odd_totals():
    assert coverage.weighted_median({0: 3, 5: 1}) == 0
    assert coverage.weighted_median({0: 1, 4: 1}) == 2
    assert coverage.weighted_median({}) == 0


def arrive(record: CreditRecord, day: dt.date) -> None:
    """Test set-up: pretend the record reached the platform on `day` (noon, local time)."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    CreditRecord.objects.filter(pk=record.pk).update(created_at=moment)


def penalty(cast, n: int, decided: dt.date, arrived: dt.date, **kw) -> CreditRecord:  # type: ignore[no-untyped-def]
    record = services.record_create(
        actor=SYSTEM, **record_kwargs(cast, document_number=f"宁罚〔2026〕{n}号", decision_date=decided, **kw)
    )
    arrive(record, arrived)
    return record


@pytest.mark.django_db
def test_the_report_gives_on_time_share_median_and_maximum_lateness_per_supplier_and_month(cast):  # type: ignore[no-untyped-def]
    penalty(cast, 1, NATIONAL_DAY_FRIDAY, dt.date(2026, 10, 12))  # on time
    penalty(cast, 2, NATIONAL_DAY_FRIDAY, dt.date(2026, 10, 13))  # 1 day late
    penalty(cast, 3, NATIONAL_DAY_FRIDAY, dt.date(2026, 10, 17))  # 4 days late
    penalty(
        cast, 4, dt.date(2026, 10, 9), dt.date(2026, 10, 20), record_class="judgment", severity=""
    )  # 20 days: on time
    penalty(cast, 5, dt.date(2026, 9, 1), dt.date(2026, 9, 3), supplier=cast.sz_finance)
    report = coverage.coverage(coverage.suppliers_in_scope(cast.prov_user), dt.date(2026, 9, 1), dt.date(2026, 10, 1))
    rows = {r.agency.pk: r for r in report.rows}
    nj = rows[cast.nj_credit.pk]
    october = nj.months[dt.date(2026, 10, 1)]
    assert october.records == 4 and october.by_class == {"penalty": 3, "judgment": 1}
    assert october.on_time == 2 and october.on_time_share == 0.5
    assert october.max_late == 4 and october.median_late == 0.5
    assert report.by_month_class[dt.date(2026, 9, 1)] == {"penalty": 1}
    assert report.rows[0].agency == cast.nj_credit  # sorted by lateness, worst first
    # 南京市发改委 supplied nothing in September, but it had not supplied anything before either: not expected.
    assert nj.missing == []
    assert rows[cast.sz_finance.pk].missing == [dt.date(2026, 10, 1)]  # supplied in September, silent in October


@pytest.mark.django_db
def test_rejected_row_rates_come_from_the_import_batches(cast, tmp_path):  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    recent = timezone.localdate() - dt.timedelta(days=3)
    good = {
        "change": "created", "number": "XY1", "record_class": "penalty", "severity": "general",
        "subject_kind": "agency", "subject_uscc": cast.xw_edu.uscc, "document_number": "宁罚〔2026〕9号",
        "authority_name": "南京市市场监督管理局", "authority_uscc": make_uscc(501, area="320100"),
        "decision_date": recent.isoformat(),
    }  # fmt: skip
    bad = {**good, "number": "XY2", "subject_uscc": "123"}
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in (good, bad, bad, bad)), encoding="utf-8")
    with pytest.raises(SystemExit):
        call_command("ingest", str(path), kind="records.feed", supplier=cast.nj_credit.uscc)
    month = timezone.localdate().replace(day=1)
    report = coverage.coverage(coverage.suppliers_in_scope(cast.prov_user), month, month)
    nj = next(r for r in report.rows if r.agency == cast.nj_credit)
    assert (nj.total.batches, nj.total.rows_total, nj.total.rows_rejected) == (1, 4, 3)
    assert nj.total.rejected_rate == 0.75 and nj.total.records == 1


@pytest.mark.django_db
def test_expected_suppliers_that_send_nothing_are_listed_as_not_reporting(cast):  # type: ignore[no-untyped-def]
    coverage.expected_supplier_save(actor=SYSTEM, agency=cast.xw_gov, record_classes=["penalty"],
                                    since=dt.date(2026, 1, 1), note="区政府应按月报送行政处罚")  # fmt: skip
    assert ObjectChange.objects.filter(message="records.expected_supplier").count() == 1
    penalty(cast, 1, dt.date(2026, 10, 9), dt.date(2026, 10, 12))
    report = coverage.coverage(coverage.suppliers_in_scope(cast.prov_user), dt.date(2026, 10, 1), dt.date(2026, 11, 1))
    missing = {r.agency.name: r.missing for r in report.not_reporting}
    assert missing == {
        cast.xw_gov.name: [dt.date(2026, 10, 1), dt.date(2026, 11, 1)],
        cast.nj_credit.name: [dt.date(2026, 11, 1)],
    }
    # Asked about judgments only, the body expected for penalties is not missing anything.
    judgments = coverage.coverage(
        coverage.suppliers_in_scope(cast.prov_user), dt.date(2026, 11, 1), dt.date(2026, 11, 1),
        record_class="judgment",
    )  # fmt: skip
    assert cast.xw_gov.name not in {r.agency.name for r in judgments.not_reporting}
    with pytest.raises(ValidationError):
        coverage.expected_supplier_save(actor=SYSTEM, agency=cast.xw_gov, record_classes=["'; DROP TABLE x"],
                                        since=dt.date(2026, 1, 1))  # fmt: skip


@pytest.mark.django_db
def test_a_city_office_sees_only_the_suppliers_of_its_city(client, cast):  # type: ignore[no-untyped-def]
    penalty(cast, 1, dt.date(2026, 10, 9), dt.date(2026, 10, 12))
    penalty(cast, 2, dt.date(2026, 10, 9), dt.date(2026, 10, 12), supplier=cast.sz_finance)
    client.force_login(cast.city_user)
    response = client.get(PAGE, {"month_from": "2026-10", "month_to": "2026-10"})
    assert response.status_code == 200
    page = response.content.decode()
    assert cast.nj_credit.name in page and cast.sz_finance.name not in page
    assert 'data-chart="chart-coverage-months"' in page and 'id="chart-coverage-on-time"' in page
    # A region outside the scope shows nothing rather than widening it.
    outside = client.get(PAGE, {"month_from": "2026-10", "month_to": "2026-10", "region": "320500"}).content.decode()
    assert cast.sz_finance.name not in outside
    client.force_login(cast.prov_user)
    assert cast.sz_finance.name in client.get(PAGE, {"month_from": "2026-10"}).content.decode()


@pytest.mark.django_db
def test_bodies_without_a_credit_office_scope_are_refused(client, cast):  # type: ignore[no-untyped-def]
    client.force_login(cast.xw_user)
    assert client.get(PAGE).status_code == 403
    client.force_login(cast.norole_user)
    assert client.get(PAGE).status_code == 403
    client.logout()
    assert client.get(PAGE).status_code == 302


@pytest.mark.django_db
def test_bad_filters_are_reported_not_crashed(client, cast):  # type: ignore[no-untyped-def]
    client.force_login(cast.prov_user)
    for params in ({"month_from": "2026-13"}, {"month_from": "2026-10", "month_to": "2026-01"},
                   {"month_from": "2020-01", "month_to": "2026-01"}, {"region": "<script>"}):  # fmt: skip
        response = client.get(PAGE, params)
        page = response.content.decode()
        assert response.status_code == 200 and "errorlist" in page and "<script>" not in page


@pytest.mark.django_db
def test_the_xlsx_export_has_a_row_per_supplier_and_month_and_marks_the_silent_ones(client, cast):  # type: ignore[no-untyped-def]
    penalty(cast, 1, NATIONAL_DAY_FRIDAY, dt.date(2026, 10, 13))
    coverage.expected_supplier_save(actor=SYSTEM, agency=cast.sz_finance, since=dt.date(2026, 1, 1))
    client.force_login(cast.prov_user)
    response = client.get("/console/records/coverage/export.xlsx", {"month_from": "2026-10", "month_to": "2026-10"})
    assert response.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "报送单位"
    by_name = {r[0]: r for r in rows[1:]}
    nj = by_name[cast.nj_credit.name]
    assert nj[3] == "2026-10" and nj[4] == "已报送" and int(nj[5]) == 1 and nj[8] == "0.0%" and int(nj[10]) == 1
    assert by_name[cast.sz_finance.name][4] == "未报送"
