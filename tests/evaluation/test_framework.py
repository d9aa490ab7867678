"""The indicator framework as versioned data: the default tree from rules/framework-2026.json, new versions
as drafts, edits only in drafts, activation retiring the previous version, runs keeping their version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from govtrust.core.models import ObjectChange
from govtrust.evaluation import services
from govtrust.evaluation.models import Framework, FrameworkStatus, Indicator

from .conftest import SYSTEM, store_values

RULES = Path(services.__file__).parent / "rules" / "framework-2026.json"
SEED_DIMENSIONS = [
    "依法行政",
    "政务公开",
    "放管服改革",
    "环境保护",
    "统计数据质量",
    "劳动用工",
    "社会保障",
    "公共资源交易",
    "安全生产",
    "食品安全",
    "社会诚信状况",
    "人民群众满意度",
]


@pytest.mark.django_db
def test_the_default_framework_is_active_with_the_seeds_twelve_dimensions_under_the_work_pillar(framework):
    assert framework.status == FrameworkStatus.ACTIVE and framework.version == "2026.1"
    assert "苏政发〔2023〕55号" in framework.basis and framework.provisional
    dimensions = list(framework.nodes.filter(parent__code="work").order_by("position").values_list("name", flat=True))
    assert dimensions == SEED_DIMENSIONS
    every = {n.code: n for n in framework.nodes.all()}
    assert every["dishonesty_per_body"].source == "computed" and every["dishonesty_per_body"].direction == -1
    assert every["dishonesty_records"].unit == "body"
    for slot in (
        "rectification_on_time",
        "objection_days",
        "repair_days",
        "screening_interceptions",
        "commitment_fulfilment",
        "debt_risk",
        "complaint_satisfaction",
        "npc_cppcc_rate",
    ):
        assert every[slot].source == "imported", slot
    assert all(n.basis for n in every.values())


@pytest.mark.django_db
def test_the_rules_file_and_the_database_hold_the_same_tree(framework):
    data = json.loads(RULES.read_text(encoding="utf-8"))
    stored = {(n.code, n.parent.code if n.parent else None, n.weight) for n in framework.nodes.select_related("parent")}
    shipped = {(n["code"], n.get("parent"), float(n.get("weight", 1))) for n in data["nodes"]}
    assert stored == shipped
    assert services.framework_tree_errors(framework) == []


@pytest.mark.django_db
def test_a_new_version_is_a_draft_copy_that_can_be_edited_while_the_active_one_cannot(framework):
    draft = services.framework_new_version(actor=SYSTEM, source=framework, version="2026.2")
    assert draft.status == FrameworkStatus.DRAFT and draft.derived_from == framework
    assert draft.nodes.count() == framework.nodes.count()
    node = draft.nodes.get(code="debt_risk")
    services.indicator_change(actor=SYSTEM, indicator=node, weight=2.5, direction=-1)
    node.refresh_from_db()
    assert node.weight == 2.5
    assert framework.nodes.get(code="debt_risk").weight == 1.0
    with pytest.raises(ValidationError) as err:
        services.indicator_change(actor=SYSTEM, indicator=framework.nodes.get(code="debt_risk"), weight=3)
    assert "framework" in err.value.message_dict
    assert ObjectChange.objects.filter(object_type="evaluation.indicator", action="update").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("weight", "direction"), [(-1.0, None), (float("nan"), None), (None, 0)])
def test_a_negative_or_missing_weight_or_a_direction_other_than_plus_or_minus_one_is_refused(
    framework, weight, direction
):
    draft = services.framework_new_version(actor=SYSTEM, source=framework, version="2026.9")
    with pytest.raises(ValidationError):
        services.indicator_change(
            actor=SYSTEM, indicator=draft.nodes.get(code="debt_risk"), weight=weight, direction=direction
        )


@pytest.mark.django_db
def test_a_duplicate_or_empty_version_is_refused(framework):
    for version in ("2026.1", "  ", "x" * 41):
        with pytest.raises(ValidationError):
            services.framework_new_version(actor=SYSTEM, source=framework, version=version)


@pytest.mark.django_db
def test_activating_a_draft_retires_the_previous_version_and_older_runs_keep_theirs(framework):
    store_values(framework, 2, "2025")
    old_run = services.evaluation_run_create(
        actor=SYSTEM, framework=framework, period="2025", unit_level="city", seed=1, uncertainty=False
    )
    draft = services.framework_new_version(actor=SYSTEM, source=framework, version="2026.2")
    services.indicator_change(actor=SYSTEM, indicator=draft.nodes.get(code="work"), weight=0.9)
    services.framework_activate(actor=SYSTEM, framework=draft)
    framework.refresh_from_db()
    assert framework.status == FrameworkStatus.RETIRED
    assert services.active_framework() == draft
    assert Framework.objects.filter(code=draft.code, status=FrameworkStatus.ACTIVE).count() == 1
    new_run = services.evaluation_run_create(
        actor=SYSTEM, framework=draft, period="2025", unit_level="city", seed=1, uncertainty=False
    )
    old_run.refresh_from_db()
    assert old_run.framework_version == "2026.1" and new_run.framework_version == "2026.2"
    assert {a["code"]: a["weight"] for a in new_run.spec["aggregates"]}["work"] == 0.9
    assert services.evaluation_run_rerun(actor=SYSTEM, run=old_run).identical
    with pytest.raises(ValidationError):  # a retired version is not used for new runs
        services.evaluation_run_create(actor=SYSTEM, framework=framework, period="2025", unit_level="city")
    with pytest.raises(ValidationError):  # an active version cannot be activated again
        services.framework_activate(actor=SYSTEM, framework=draft)


@pytest.mark.django_db
def test_a_draft_whose_tree_the_pipeline_refuses_cannot_be_activated(framework):
    draft = services.framework_new_version(actor=SYSTEM, source=framework, version="2026.3")
    # Move an indicator directly under the index, beside aggregates: not a levelled tree.
    Indicator.objects.filter(framework=draft, code="debt_risk").update(parent=draft.nodes.get(code="index"))
    with pytest.raises(ValidationError) as err:
        services.framework_activate(actor=SYSTEM, framework=draft)
    assert "nodes" in err.value.message_dict
    draft.refresh_from_db()
    assert draft.status == FrameworkStatus.DRAFT
