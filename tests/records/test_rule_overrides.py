"""Operators override a rule in the database (audited); the catalog merges it; the console shows it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from registry.builders import SYSTEM

from govtrust.core.models import ObjectChange
from govtrust.records import catalog, services
from govtrust.records.models import RuleOverride

from .conftest import record_kwargs

JIANGSU_VALUES = {"penalty.general": {"min": {"n": 2, "unit": "month"}, "max": {"n": 6, "unit": "month"}}}


def save(**kw):  # type: ignore[no-untyped-def]
    data = {
        "actor": SYSTEM,
        "rule_key": "jiangsu.public_credit",
        "version": "2025-4",
        "values": JIANGSU_VALUES,
        "basis": "苏政规〔2025〕4号 第二十条",
        "effective_from": dt.date(2026, 2, 1),
        "effective_to": dt.date(2031, 1, 31),
        "provisional": False,
    }
    data.update(kw)
    return services.rule_override_save(**data)


def test_an_override_is_audited_and_used_for_new_records_inside_its_dates(cast):  # type: ignore[no-untyped-def]
    save()
    assert ObjectChange.objects.filter(object_type="records.ruleoverride").count() == 1
    record = services.record_create(actor=SYSTEM, **record_kwargs(cast, decision_date=dt.date(2026, 5, 10)))
    assert (record.rule_key, record.rule_version, record.rule_provisional) == ("jiangsu.public_credit", "2025-4", False)
    assert record.publicity_max_end == dt.date(2026, 11, 10)
    older = services.record_create(
        actor=SYSTEM, **record_kwargs(cast, document_number="宁罚〔2026〕1号", decision_date=dt.date(2026, 1, 31))
    )
    assert older.rule_key == "penalty.publicity"


def test_saving_again_replaces_the_override_and_keeps_the_previous_values_in_the_audit(cast):  # type: ignore[no-untyped-def]
    save()
    save(values=None, basis="待原文")
    assert RuleOverride.objects.count() == 1 and RuleOverride.objects.get().values is None
    change = ObjectChange.objects.filter(object_type="records.ruleoverride").order_by("-seq").first()
    assert change is not None and change.prechange_data["values"] == JIANGSU_VALUES
    assert catalog.current_catalog().rule("jiangsu.public_credit").pending


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"rule_key": "no.such.rule"}, "rule_key"),
        ({"basis": " "}, "basis"),
        ({"version": ""}, "version"),
        ({"values": {"penalty.general": {"min": {"n": 3, "unit": "eon"}, "max": None}}}, "values"),
        ({"effective_from": dt.date(2027, 1, 1), "effective_to": dt.date(2026, 1, 1)}, "effective_to"),
    ],
)
def test_it_refuses_a_bad_override(db, kw, field):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as info:
        save(**kw)
    assert field in info.value.message_dict
    assert not RuleOverride.objects.exists()


def test_the_rules_page_lists_every_rule_with_basis_badges_and_overrides(cast, client):  # type: ignore[no-untyped-def]
    save(rule_key="penalty.publicity", version="ndrc-58", values={
        "general": {"min": {"n": 3, "unit": "month"}, "max": {"n": 1, "unit": "year"}},
        "serious": {"min": {"n": 1, "unit": "year"}, "max": {"n": 3, "unit": "year"}},
    }, basis="国家发展改革委令第58号 第十二条（已核对）", effective_from=dt.date(2023, 5, 1),
        effective_to=dt.date(2026, 3, 31))  # fmt: skip
    client.force_login(cast.prov_user)
    html = client.get("/console/records/rules/").content.decode()
    expected = ["发改办财金〔2019〕527号", "国家发展改革委令第36号", "政务处分法", "法释〔2017〕7号"]
    expected += ["国统字〔2019〕33号", "苏政规〔2025〕4号", "待补充", "暂定", "已覆盖", "第十二条（已核对）"]
    for text in expected:
        assert text in html, text


def test_the_operator_admin_saves_an_override_through_the_service(cast, admin_client):  # type: ignore[no-untyped-def]
    response = admin_client.post(
        "/admin/records/ruleoverride/add/",
        {
            "rule_key": "jiangsu.public_credit",
            "version": "2025-4",
            "values": '{"penalty.general": {"min": {"n": 2, "unit": "month"}, "max": {"n": 6, "unit": "month"}}}',
            "basis": "苏政规〔2025〕4号",
            "effective_from": "2026-02-01",
            "effective_to": "2031-01-31",
            "provisional": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = RuleOverride.objects.get()
    assert row.provisional and row.values == JIANGSU_VALUES
    assert ObjectChange.objects.filter(object_type="records.ruleoverride").exists()
    bad = admin_client.post(
        "/admin/records/ruleoverride/add/",
        {"rule_key": "jiangsu.public_credit", "version": "x", "values": '{"a": 1}', "basis": "b"},
    )
    assert bad.status_code == 200 and RuleOverride.objects.count() == 1
