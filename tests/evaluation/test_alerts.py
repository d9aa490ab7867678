"""Monitoring: rules evaluated by the daily sweep raise each alert once (rule + unit + period), notify the
owner, and move open → acknowledged → resolved."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from registry.builders import add_agency, make_uscc

from govtrust.core.models import Notification, ObjectChange, Region
from govtrust.core.sweep import run_sweep
from govtrust.evaluation import services
from govtrust.evaluation.models import Alert, AlertStatus, IndicatorValue
from govtrust.records import services as record_services
from govtrust.records.models import CreditRecord, RecordStatus

from .conftest import SYSTEM

TODAY = datetime.date(2026, 3, 2)


def county_values(code: str, period: str, values: dict[str, float], default: float = 90.0) -> None:
    rows = [
        IndicatorValue(indicator_code=code, region=r, period=period, value=values.get(r.code, default + k % 7))
        for k, r in enumerate(Region.objects.filter(level=3, kind="division"))
    ]
    IndicatorValue.objects.bulk_create(rows)


def rule(**kw):  # type: ignore[no-untyped-def]
    args = {
        "code": "debt",
        "name": "债务率过高",
        "kind": "threshold",
        "unit_level": "county",
        "indicator_code": "debt_risk",
        "params": {"op": ">", "value": 120},
        "severity": "critical",
    }
    args.update(kw)
    return services.alert_rule_create(actor=SYSTEM, **args)


@pytest.mark.django_db
def test_the_sweep_raises_an_alert_once_per_rule_unit_and_period_and_notifies_the_owner(cast, framework):
    county_values("debt_risk", "2025", {"320102": 120.0, "320104": 120.5, "320505": 180.0})
    rule(owner_user=cast.city_user)
    [outcome] = run_sweep(TODAY, only=["evaluation.alerts"])
    assert outcome.status == "done" and outcome.result["raised"] == 2
    alerts = {a.unit_code: a for a in Alert.objects.all()}
    assert set(alerts) == {"320104", "320505"}  # 120.0 is not > 120
    assert alerts["320104"].period == "2025" and alerts["320104"].value == 120.5 and alerts["320104"].status == "open"
    assert "120.5" in alerts["320104"].message and alerts["320104"].owner_user == cast.city_user
    notes = Notification.objects.filter(recipient=cast.city_user, category="evaluation.alert")
    assert notes.count() == 2 and f"/alerts/{alerts['320505'].pk}/" in notes.first().link
    # The next day's sweep (and a repeated call) raise nothing new.
    assert services.alerts_evaluate(run_date=TODAY + datetime.timedelta(days=1))["raised"] == 0
    assert Alert.objects.count() == 2 and notes.count() == 2


@pytest.mark.django_db
def test_a_resolved_alert_is_not_raised_again_for_the_same_period_but_a_new_period_raises_again(cast, framework):
    county_values("debt_risk", "2025", {"320505": 180.0})
    rule()
    services.alerts_evaluate(run_date=TODAY)
    alert = Alert.objects.get()
    services.alert_resolve(actor=cast.prov_user, alert=alert, note="已制定化债方案")
    services.alerts_evaluate(run_date=TODAY)
    assert Alert.objects.count() == 1
    county_values("debt_risk", "2026", {"320505": 170.0})
    services.alerts_evaluate(run_date=TODAY)
    assert sorted(Alert.objects.values_list("period", flat=True)) == ["2025", "2026"]


@pytest.mark.django_db
def test_change_and_peer_anomaly_rules_raise_on_the_latest_period(framework):
    county_values("rectification_on_time", "2024", {"320102": 90.0, "320104": 90.0})
    county_values("rectification_on_time", "2025", {"320102": 81.0, "320104": 81.1})  # −10 % and −9.9 %
    rule(code="drop", kind="change", indicator_code="rectification_on_time", params={"pct": 10})
    county_values("complaint_satisfaction", "2025", {"320111": 20.0, "320113": 99.0})
    rule(code="peer", kind="peer_anomaly", indicator_code="complaint_satisfaction", params={"z": 3.5})
    services.alerts_evaluate(run_date=TODAY)
    assert set(Alert.objects.filter(rule__code="drop").values_list("unit_code", flat=True)) == {"320102"}
    # 99 is better than the peers (more is better): only the low outlier is a warning.
    assert set(Alert.objects.filter(rule__code="peer").values_list("unit_code", flat=True)) == {"320111"}


@pytest.mark.django_db
def test_an_overdue_count_rule_counts_records_published_past_their_maximum_end(cast, framework):
    today = datetime.date.today()
    body = add_agency(41, "南京市某局", Region.objects.get(code="320100"))
    record = record_services.record_create(
        actor=SYSTEM,
        subject=body,
        record_class="penalty",
        severity="general",
        document_number="宁罚〔2025〕3号",
        authority_name="南京市市场监督管理局",
        authority_uscc=make_uscc(503, area="320100"),
        decision_date=today - datetime.timedelta(days=20),
        facts="未按约定支付款项",
        basis="条例第九条",
        content="罚款",
        supplier=cast.nj_credit,
        source="console",
    )
    assert record.status == RecordStatus.IN_FORCE
    rule(
        code="overrun",
        kind="overdue",
        unit_level="city",
        indicator_code="",
        params={"source": "records.publicity_overrun", "limit": 1},
    )
    services.alerts_evaluate(run_date=today)
    assert not Alert.objects.exists()  # still within its window
    CreditRecord.objects.filter(pk=record.pk).update(publicity_max_end=today - datetime.timedelta(days=1))
    services.alerts_evaluate(run_date=today)
    alert = Alert.objects.get()
    assert alert.unit_code == "320100" and alert.period == f"{today:%Y-%m}" and alert.value == 1


@pytest.mark.django_db
def test_the_lifecycle_is_open_acknowledged_resolved_and_audited(cast, framework):
    county_values("debt_risk", "2025", {"320505": 180.0})
    rule()
    services.alerts_evaluate(run_date=TODAY)
    alert = Alert.objects.get()
    with pytest.raises(ValidationError):
        services.alert_resolve(actor=cast.prov_user, alert=alert, note="  ")
    services.alert_acknowledge(actor=cast.prov_user, alert=alert, note="已转苏州市财政局核实")
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.acknowledged_by == cast.prov_user
    with pytest.raises(ValidationError):  # acknowledged once only
        services.alert_acknowledge(actor=cast.prov_user, alert=alert)
    services.alert_resolve(actor=cast.prov_user, alert=alert, note="已制定化债方案")
    assert alert.status == AlertStatus.RESOLVED and "化债" in alert.note and "核实" in alert.note
    with pytest.raises(ValidationError):
        services.alert_resolve(actor=cast.prov_user, alert=alert, note="再次解除")
    assert ObjectChange.objects.filter(object_type="evaluation.alert", action="transition").count() == 2


@pytest.mark.django_db
def test_an_agency_owner_notifies_only_its_users_who_may_manage_alerts(cast, framework):
    county_values("debt_risk", "2025", {"320505": 180.0})
    rule(owner_agency=cast.nj_credit)
    services.alerts_evaluate(run_date=TODAY)
    assert list(
        Notification.objects.filter(category="evaluation.alert").values_list("recipient__username", flat=True)
    ) == ["city"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"indicator_code": "no_such"}, "indicator_code"),
        ({"indicator_code": ""}, "indicator_code"),
        ({"params": {"op": "~", "value": 1}}, "params"),
        ({"kind": "overdue", "params": {"source": "x", "limit": 1}}, "params"),
        ({"unit_level": "village"}, "unit_level"),
        ({"severity": "panic"}, "severity"),
        ({"code": ""}, "code"),
    ],
)
def test_a_rule_with_bad_settings_is_refused(framework, kw, field):
    with pytest.raises(ValidationError) as err:
        rule(**kw)
    assert field in err.value.message_dict


@pytest.mark.django_db
def test_a_duplicate_rule_code_is_refused(framework):
    rule()
    with pytest.raises(ValidationError):
        rule()


@pytest.mark.django_db
def test_an_inactive_rule_raises_nothing(framework):
    county_values("debt_risk", "2025", {"320505": 180.0})
    services.alert_rule_set_active(actor=SYSTEM, rule=rule(), active=False)
    assert services.alerts_evaluate(run_date=TODAY)["raised"] == 0
