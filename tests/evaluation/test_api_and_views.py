"""The evaluation API (token scope `evaluation.read`, published runs only) and the console pages: they render
for credit offices and are forbidden for everybody else."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from govtrust.accounts.services import api_client_create, api_token_issue
from govtrust.core.models import Region
from govtrust.evaluation import services
from govtrust.evaluation.models import Alert, AlertStatus, EvaluationRun, IndicatorValue

from .conftest import SYSTEM, store_values


def token(scopes):  # type: ignore[no-untyped-def]
    client = api_client_create(actor=SYSTEM, name="绩效考核系统", scopes=list(scopes), rate_limit_per_minute=1000)
    return api_token_issue(actor=SYSTEM, client=client)[0]


def bearer(value):  # type: ignore[no-untyped-def]
    return {"HTTP_AUTHORIZATION": f"Bearer {value}"}


@pytest.fixture
def runs(framework):  # type: ignore[no-untyped-def]
    store_values(framework, 2, "2025")
    store_values(framework, 3, "2025")
    city = services.evaluation_run_create(
        actor=SYSTEM, framework=framework, period="2025", unit_level="city", seed=1, uncertainty={"runs": 200}
    )
    county = services.evaluation_run_create(
        actor=SYSTEM, framework=framework, period="2025", unit_level="county", seed=2, uncertainty={"runs": 200}
    )
    services.evaluation_run_publish(actor=SYSTEM, run=city)
    return city, county


@pytest.mark.django_db
def test_the_api_serves_published_runs_with_rank_intervals_to_a_token_with_the_scope(client, runs):
    city, county = runs
    auth = bearer(token(["evaluation.read"]))
    listed = client.get("/api/evaluation/runs", **auth)
    assert listed.status_code == 200 and [r["number"] for r in listed.json()] == [city.number]
    body = client.get(f"/api/evaluation/runs/{city.number}", **auth).json()
    assert body["results_sha256"] == city.results_sha256 and body["seed"] == 1 and len(body["units"]) == 13
    first = body["units"][0]
    assert first["rank"] == 1 and first["rank_q05"] <= first["rank_median"] <= first["rank_q95"]
    assert first["levels"][-1]["code"] == "index" and first["levels"][-1]["score"] == first["score"]
    assert client.get(f"/api/evaluation/runs/{county.number}", **auth).status_code == 404
    assert client.get("/api/evaluation/runs?unit_level=county", **auth).json() == []


@pytest.mark.django_db
def test_the_api_refuses_no_token_a_bad_token_and_a_token_without_the_scope(client, runs):
    city, _county = runs
    assert client.get("/api/evaluation/runs").status_code == 401
    assert client.get("/api/evaluation/runs", **bearer("gt_abcdefgh_nonsense")).status_code == 401
    assert client.get(f"/api/evaluation/runs/{city.number}", **bearer(token(["registry.read"]))).status_code == 403


PAGES = [
    ("evaluation:overview", []),
    ("evaluation:run_list", []),
    ("evaluation:framework_list", []),
    ("evaluation:alert_list", []),
]


@pytest.mark.django_db
def test_the_dashboards_render_for_a_city_credit_office(client, cast, runs):
    city, county = runs
    client.force_login(cast.city_user)
    for name, args in PAGES:
        assert client.get(reverse(name, args=args)).status_code == 200, name
    overview = client.get(reverse("evaluation:overview")).content.decode()
    assert 'data-chart="chart-tiles"' in overview and 'id="chart-tiles"' in overview
    assert 'data-chart="chart-county-ranks"' in overview and "南京市" in overview
    page = client.get(reverse("evaluation:run_detail", args=[county.number])).content.decode()
    assert "排名区间" in page and county.results_sha256 in page
    assert client.get(reverse("evaluation:run_print", args=[city.number])).status_code == 200
    region = client.get(reverse("evaluation:region_detail", args=["320100"])).content.decode()
    assert "南京市市场监督管理局" in region and reverse("records:archive_agency", args=[cast.nj_market.uscc]) in region
    assert "玄武区" in region  # its counties
    # The city office's own scope: a body of 苏州 is not listed on 苏州's page for a 南京 user.
    assert (
        "苏州市发展和改革委员会"
        not in client.get(reverse("evaluation:region_detail", args=["320500"])).content.decode()
    )
    framework_page = client.get(reverse("evaluation:framework_detail", args=[city.framework_id])).content.decode()
    assert "依法行政" in framework_page


@pytest.mark.django_db
def test_the_xlsx_export_holds_the_ranking_the_inputs_and_the_method(client, cast, runs):
    city, _county = runs
    client.force_login(cast.city_user)
    response = client.get(reverse("evaluation:run_export", args=[city.number]))
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names == ["排名", "输入数据", "方法与复现"]
    ranking = book.get_sheet_by_name("排名").to_python()
    assert ranking[0][:3] == ["排名", "代码", "名称"] and len(ranking) == 14
    method = dict((row[0], row[1]) for row in book.get_sheet_by_name("方法与复现").to_python())
    assert method["结果SHA-256"] == city.results_sha256


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["supplier_user", "norole_user"])
def test_the_pages_are_forbidden_for_users_who_are_not_credit_offices(client, cast, runs, who):
    city, _county = runs
    client.force_login(getattr(cast, who))
    for name, args in [
        *PAGES,
        ("evaluation:run_detail", [city.number]),
        ("evaluation:region_detail", ["320100"]),
        ("evaluation:run_export", [city.number]),
        ("evaluation:rule_list", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403, name


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, runs):
    response = client.get(reverse("evaluation:overview"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.django_db
def test_only_the_provincial_office_runs_and_publishes(client, cast, framework):
    store_values(framework, 2, "2025")
    form = {
        "framework": framework.pk,
        "unit_level": "city",
        "period": "2025",
        "normalise": "minmax",
        "aggregation": "geometric",
        "mc_runs": 100,
        "seed": 11,
        "title": "测试评价",
    }
    client.force_login(cast.city_user)
    assert client.post(reverse("evaluation:run_create"), form).status_code == 403
    client.force_login(cast.prov_user)
    response = client.post(reverse("evaluation:run_create"), form)
    run = EvaluationRun.objects.get()
    assert response.status_code == 302 and run.seed == 11 and run.spec["method"]["aggregate"]["method"] == "geometric"
    client.force_login(cast.city_user)
    assert client.post(reverse("evaluation:run_publish", args=[run.number])).status_code == 403
    rerun = client.post(reverse("evaluation:run_rerun", args=[run.number]), follow=True)
    assert "完全一致" in rerun.content.decode()
    client.force_login(cast.prov_user)
    client.post(reverse("evaluation:run_publish", args=[run.number]))
    run.refresh_from_db()
    assert run.published_at is not None


@pytest.mark.django_db
def test_a_bad_period_in_the_form_is_shown_not_stored(client, cast, framework):
    client.force_login(cast.prov_user)
    response = client.post(
        reverse("evaluation:run_create"),
        {
            "framework": framework.pk,
            "unit_level": "city",
            "period": "<script>",
            "normalise": "minmax",
            "aggregation": "arithmetic",
            "mc_runs": 0,
        },
    )
    assert response.status_code == 200 and "评价期间格式" in response.content.decode()
    assert not EvaluationRun.objects.exists()


@pytest.mark.django_db
def test_a_city_office_handles_alerts_of_its_city_and_cannot_see_another_citys(client, cast, framework):
    for code in ("320102", "320505"):
        IndicatorValue.objects.create(
            indicator_code="debt_risk", region=Region.objects.get(code=code), period="2025", value=150
        )
    services.alert_rule_create(
        actor=SYSTEM,
        code="debt",
        name="债务率过高",
        kind="threshold",
        unit_level="county",
        indicator_code="debt_risk",
        params={"op": ">", "value": 120},
    )
    services.alerts_evaluate(run_date=datetime.date(2026, 3, 2))
    mine, theirs = Alert.objects.get(unit_code="320102"), Alert.objects.get(unit_code="320505")
    client.force_login(cast.city_user)
    assert client.get(reverse("evaluation:alert_detail", args=[theirs.pk])).status_code == 404
    listed = client.get(reverse("evaluation:alert_list")).content.decode()
    assert "玄武区" in listed and "吴中区" not in listed
    client.post(reverse("evaluation:alert_transition", args=[mine.pk, "acknowledge"]), {"note": "已核实"})
    client.post(reverse("evaluation:alert_transition", args=[theirs.pk, "resolve"]), {"note": "越权"})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == AlertStatus.ACKNOWLEDGED and theirs.status == AlertStatus.OPEN
    # Rules cover the province: a city office sees them but cannot create one.
    assert client.post(reverse("evaluation:rule_list"), {"code": "x"}).status_code == 403


@pytest.mark.django_db
def test_the_provincial_office_creates_a_rule_in_the_console_and_a_bad_json_is_shown(client, cast, framework):
    client.force_login(cast.prov_user)
    base = {
        "code": "rate",
        "name": "按时办结率偏低",
        "kind": "threshold",
        "unit_level": "city",
        "indicator_code": "npc_cppcc_rate",
        "severity": "warning",
        "basis": "",
    }
    bad = client.post(reverse("evaluation:rule_list"), {**base, "params": "{op: <}"})
    assert bad.status_code == 200 and "JSON" in bad.content.decode()
    ok = client.post(reverse("evaluation:rule_list"), {**base, "params": '{"op": "<", "value": 90}'})
    assert ok.status_code == 302
    assert client.get(reverse("evaluation:rule_list")).content.decode().count("按时办结率偏低") == 1


@pytest.mark.django_db
def test_a_run_exports_as_a_pdf_with_the_embedded_cjk_font_and_its_digests(client, cast, runs):
    city, _county = runs
    client.force_login(cast.city_user)
    response = client.get(reverse("evaluation:run_pdf", args=[city.number]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    assert b"WenQuanYiMicroHei" in pdf and b"FontFile2" in pdf  # the TrueType CJK font is embedded (subset)


@pytest.mark.django_db
def test_the_run_pdf_is_refused_to_a_body_without_the_evaluation_grant(client, cast, runs):
    city, _county = runs
    client.force_login(cast.supplier_user)
    assert client.get(reverse("evaluation:run_pdf", args=[city.number])).status_code == 403


@pytest.mark.django_db
def test_anyone_can_reproduce_a_published_ranking_with_the_cli_from_the_portals_downloads(client, runs, tmp_path):
    import csv

    from django.core.management import call_command

    city, county = runs
    spec = client.get(reverse("portal:ranking_spec", args=[city.number]))
    data = client.get(reverse("portal:ranking_data", args=[city.number]))
    assert spec.status_code == data.status_code == 200
    (tmp_path / "spec.json").write_bytes(spec.content)
    (tmp_path / "data.csv").write_bytes(data.content)
    out = tmp_path / "out.csv"
    call_command(
        "evaluate", spec=str(tmp_path / "spec.json"), data=str(tmp_path / "data.csv"), out=str(out),
        seed=city.seed, stdout=io.StringIO(),
    )  # fmt: skip
    with out.open(encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    header, rows = table[0], table[1:]
    results = city.results
    root = results["aggregates"][-1]
    by_unit = {row[0]: row for row in rows}
    for k, unit in enumerate(results["units"]):
        row = by_unit[unit]
        assert float(row[header.index(f"{root}_score")]) == results["scores"][k][-1]  # exactly, not approximately
        assert int(row[header.index(f"{root}_rank")]) == results["ranks"][k][-1]
        assert int(row[header.index("rank_q05")]) == results["uncertainty"]["q05"][k]  # the same Monte Carlo draws
        assert int(row[header.index("rank_q95")]) == results["uncertainty"]["q95"][k]
    # An unpublished run's files are not public.
    assert client.get(reverse("portal:ranking_spec", args=[county.number])).status_code == 404
    assert client.get(reverse("portal:ranking_data", args=[county.number])).status_code == 404
