"""Stored runs: inputs collected from imported and computed values, results reproducible to the byte (SHA-256),
comparison, publication on the portal, background computation with a job."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from registry.builders import add_agency, make_uscc

from govtrust.core.models import Job, ObjectChange, Region
from govtrust.evaluation import policy, services
from govtrust.evaluation.models import EvaluationRun, IndicatorValue, RunStatus
from govtrust.records import services as record_services

from .conftest import SYSTEM, store_values


def city_run(framework, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("seed", 7)
    kw.setdefault("uncertainty", {"runs": 300})
    return services.evaluation_run_create(actor=SYSTEM, framework=framework, period="2025", unit_level="city", **kw)


@pytest.mark.django_db
def test_a_city_run_ranks_all_13_cities_with_rank_intervals_and_stores_what_reproduces_it(framework):
    store_values(framework, 2, "2025")
    run = city_run(framework)
    assert run.status == RunStatus.DONE and run.number.startswith("PJ")
    rows = run.unit_rows()
    assert len(rows) == 13 and {r["code"] for r in rows} == set(
        Region.objects.filter(level=2).values_list("code", flat=True)
    )
    assert sorted(r["rank"] for r in rows) == list(range(1, 14))
    for row in rows:
        assert row["q05"] <= row["median"] <= row["q95"] and 1 <= row["q05"] and row["q95"] <= 13
    assert run.results["aggregates"][-1] == "index"
    assert run.inputs["header"][:3] == ["unit", "name", "group"] and len(run.inputs["rows"]) == 13
    assert run.spec["seed"] == 7 and run.seed == 7 and len(run.results_sha256) == 64
    # No government body has records yet, so the computed indicator is the same everywhere: left out, said why.
    assert "dishonesty_per_body" not in run.inputs["header"]
    assert any("dishonesty_per_body" in note for note in run.notes)
    assert ObjectChange.objects.filter(object_type="evaluation.evaluationrun", object_id=str(run.pk)).count() == 2


@pytest.mark.django_db
def test_re_running_gives_identical_results_and_a_tampered_input_is_detected(framework):
    store_values(framework, 3, "2025")
    run = services.evaluation_run_create(
        actor=SYSTEM, framework=framework, period="2025", unit_level="county", seed=99, uncertainty={"runs": 500}
    )
    assert len(run.unit_rows()) == 95
    check = services.evaluation_run_rerun(actor=SYSTEM, run=run)
    assert check.identical and check.inputs_intact and check.computed_sha256 == run.results_sha256
    rows = run.inputs["rows"]
    rows[0][3] = (rows[0][3] or 0) + 25  # someone edits a stored input in the database
    EvaluationRun.objects.filter(pk=run.pk).update(inputs={"header": run.inputs["header"], "rows": rows})
    run.refresh_from_db()
    check = services.evaluation_run_rerun(actor=SYSTEM, run=run)
    assert not check.inputs_intact and not check.identical


@pytest.mark.django_db
def test_the_same_inputs_and_seed_give_the_same_sha_and_another_seed_other_intervals(framework):
    store_values(framework, 2, "2025")
    a, b, c = city_run(framework, seed=5), city_run(framework, seed=5), city_run(framework, seed=6)
    assert a.number != b.number and a.results_sha256 == b.results_sha256
    assert a.inputs_sha256 == c.inputs_sha256 and a.results_sha256 != c.results_sha256


@pytest.mark.django_db
def test_computed_dishonesty_records_enter_the_region_matrix(cast, framework):
    store_values(framework, 2, "2025")
    suzhou = Region.objects.get(code="320500")
    body = add_agency(31, "苏州市某局", suzhou)
    record_services.record_create(
        actor=SYSTEM,
        subject=body,
        record_class="penalty",
        severity="general",
        document_number="苏罚〔2025〕1号",
        authority_name="苏州市市场监督管理局",
        authority_uscc=make_uscc(502, area="320500"),
        decision_date=datetime.date.today() - datetime.timedelta(days=20),
        facts="未按约定支付款项",
        basis="《保障中小企业款项支付条例》第九条",
        content="罚款",
        supplier=cast.sz_credit,
        source="console",
    )
    store_values(framework, 2, str(datetime.date.today().year))
    run = services.evaluation_run_create(
        actor=SYSTEM,
        framework=framework,
        period=str(datetime.date.today().year),
        unit_level="city",
        seed=1,
        uncertainty=False,
    )
    header = run.inputs["header"]
    assert "dishonesty_per_body" in header
    col = header.index("dishonesty_per_body")
    by_unit = {row[0]: row[col] for row in run.inputs["rows"]}
    assert by_unit["320500"] == pytest.approx(1 / 2)  # 1 record ÷ 2 bodies (the credit office and the bureau)
    assert by_unit["320100"] == 0  # 南京 has bodies and no records
    assert by_unit["320300"] is None  # 徐州 has no registered body: missing, not a perfect zero


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"period": "2025-13"}, "period"),
        ({"period": "二〇二五"}, "period"),
        ({"unit_level": "planet"}, "unit_level"),
        ({"seed": -1}, "seed"),
        ({"uncertainty": {"runs": 0}}, "uncertainty"),
        ({"period": "2031"}, "period"),
    ],
)
def test_bad_choices_or_a_period_without_data_are_refused_and_nothing_is_stored(framework, kwargs, field):
    store_values(framework, 2, "2025")
    args = {"period": "2025", "unit_level": "city", **kwargs}
    with pytest.raises(ValidationError) as err:
        services.evaluation_run_create(actor=SYSTEM, framework=framework, **args)
    assert field in err.value.message_dict
    assert not EvaluationRun.objects.exists()


@pytest.mark.django_db
def test_a_method_the_pipeline_refuses_is_reported_not_stored_half_done(framework):
    store_values(framework, 2, "2025")
    with pytest.raises(ValidationError) as err:
        city_run(framework, method={"normalise": {"method": "minmax", "low": 5, "high": 1}})
    assert "low" in "".join(err.value.message_dict["method"])
    assert not EvaluationRun.objects.exists()


@pytest.mark.django_db
def test_comparing_two_runs_lists_rank_changes_biggest_first(framework):
    store_values(framework, 2, "2024")
    # In 2025 南京 (ranked by base values) jumps on every indicator.
    store_values(framework, 2, "2025", shift={"320100": 40.0})
    before = services.evaluation_run_create(
        actor=SYSTEM, framework=framework, period="2024", unit_level="city", seed=1, uncertainty=False
    )
    after = city_run(framework, uncertainty=False)
    comparison = services.evaluation_run_compare(before=before, after=after)
    assert len(comparison.changes) == 13
    top = comparison.changes[0]
    assert top.unit == "320100" and top.after == 1 and top.delta == top.before - 1 > 0
    assert sum(c.delta for c in comparison.changes) == 0  # places gained = places lost


@pytest.mark.django_db
def test_publishing_puts_a_run_on_the_portal_and_api_and_only_published_runs_are_shown(framework, client):
    store_values(framework, 2, "2025")
    draft = city_run(framework, title="未发布的评价")
    published = city_run(framework, title="二〇二五年度设区市政务诚信评价")
    services.evaluation_run_publish(actor=SYSTEM, run=published)
    with pytest.raises(ValidationError):
        services.evaluation_run_publish(actor=SYSTEM, run=published)
    page = client.get(reverse("portal:rankings")).content.decode()
    assert "二〇二五年度设区市政务诚信评价" in page and "未发布的评价" not in page
    assert published.results_sha256 in page and "南京市" in page
    assert client.get(reverse("portal:ranking_detail", args=[published.number])).status_code == 200
    assert client.get(reverse("portal:ranking_detail", args=[draft.number])).status_code == 404
    assert reverse("portal:rankings") in client.get(reverse("portal:home")).content.decode()
    with pytest.raises(ValidationError):
        services.evaluation_run_unpublish(actor=SYSTEM, run=published, reason=" ")
    services.evaluation_run_unpublish(actor=SYSTEM, run=published, reason="数据更正")
    assert client.get(reverse("portal:ranking_detail", args=[published.number])).status_code == 404
    assert "尚未发布评价结果" in client.get(reverse("portal:rankings")).content.decode()


@pytest.mark.django_db
def test_a_hostile_unit_name_is_escaped_on_the_portal(framework, client):
    store_values(framework, 2, "2025")
    run = city_run(framework)
    results = run.results
    results["names"][0] = "<script>alert(1)</script>"
    EvaluationRun.objects.filter(pk=run.pk).update(results=results)
    run.refresh_from_db()
    services.evaluation_run_publish(actor=SYSTEM, run=run)
    page = client.get(reverse("portal:rankings")).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


@pytest.mark.django_db
def test_a_big_run_goes_to_the_worker_as_a_job_and_ends_done(framework):
    store_values(framework, 3, "2025")
    run = services.evaluation_run_create(
        actor=SYSTEM,
        framework=framework,
        period="2025",
        unit_level="county",
        seed=3,
        uncertainty={"runs": 200},
        background=True,
    )
    job = Job.objects.get(public_id=run.job_public_id)
    assert job.kind == "evaluation.run" and job.status == Job.Status.SUCCEEDED
    assert job.result == {"run": run.number, "results_sha256": run.results_sha256}
    assert run.status == RunStatus.DONE and job.progress_current == 3


@pytest.mark.django_db
def test_an_imported_value_of_another_period_is_not_used(framework):
    store_values(framework, 2, "2025")
    IndicatorValue.objects.filter(indicator_code="debt_risk", region__code="320100").update(period="2024")
    run = city_run(framework, uncertainty=False)
    col = run.inputs["header"].index("debt_risk")
    assert {row[0]: row[col] for row in run.inputs["rows"]}["320100"] is None


def test_an_indicator_that_the_outlier_treatment_would_flatten_is_left_out_before_the_pipeline_refuses_it():
    # Twelve cities without records and one with: winsorising the one pulls it onto the others.
    flattened = [0.0] * 12 + [5.0]
    assert services._constant_after_treatment(flattened, "x", policy.DEFAULT_METHOD)
    assert not services._constant_after_treatment(flattened, "x", {**policy.DEFAULT_METHOD, "treat": False})
    assert not services._constant_after_treatment([1.0, 2.0, 3.0, None, 5.0], "x", policy.DEFAULT_METHOD)
