"""The issue's "Done when", end to end through the console: a supplier uploads a real-format 双公示 file, sees
exactly which rows failed and why, fixes them in the error report, re-uploads it, and the records appear in
the bodies' archives with the right publicity windows."""

from __future__ import annotations

import io

import pytest
from python_calamine import CalamineWorkbook
from registry.builders import add_agency, make_user

from govtrust.accounts.models import Role
from govtrust.core.models import ImportBatch, Job
from govtrust.records.models import CreditRecord

from .formats_helpers import LEGAL_HEADERS, legal_row, write_csv, write_xlsx

KIND = "records.penalty_legal_person"


@pytest.mark.django_db
def test_a_supplier_uploads_fixes_the_rejected_rows_and_the_records_reach_the_archives(cast, client, tmp_path):
    market = add_agency(501, "南京市市场监督管理局", cast.nj_credit.region)
    supplier = make_user("market", market, Role.objects.get(code="supplier"))
    wrong_digit = cast.xw_gov.uscc[:-1] + ("0" if cast.xw_gov.uscc[-1] != "0" else "1")
    rows = [
        legal_row(cast.xw_edu.name, cast.xw_edu.uscc, market.uscc, 处罚决定日期="2025-06-02"),
        legal_row(cast.xw_gov.name, wrong_digit, market.uscc, 行政处罚决定书文号="宁市监罚〔2025〕13号"),
        legal_row(
            cast.xw_edu.name,
            cast.xw_edu.uscc,
            market.uscc,
            行政处罚决定书文号="宁市监罚〔2025〕14号",
            处罚决定日期="2025-02-30",
            处罚类别="吊销许可证件",
        ),  # fmt: skip
    ]
    path = write_csv(tmp_path / "双公示-行政处罚-法人.csv", LEGAL_HEADERS, rows, encoding="gbk")

    client.force_login(supplier)
    assert KIND in client.get("/console/ingest/upload/").content.decode()
    with open(path, "rb") as handle:
        response = client.post("/console/ingest/upload/", {"kind": KIND, "file": handle})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/ingest/batches/{batch.number}/"
    assert Job.objects.get(public_id=batch.job).status == Job.Status.SUCCEEDED
    assert (batch.status, batch.rows_published, batch.rows_rejected) == (ImportBatch.Status.PUBLISHED, 1, 2)

    # The batch page says which rows failed, in which column, and why.
    page = client.get(response["Location"]).content.decode()
    assert "校验码错误" in page and "日期不存在" in page
    assert "行政相对人代码_1(统一社会信用代码)" in page and "处罚决定日期" in page

    # The error report holds exactly the rejected rows with their original cells: fix them there, upload it.
    report = client.get(f"/console/ingest/batches/{batch.number}/errors.xlsx")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(report.content)).get_sheet_by_index(0).to_python()
    headers, bad_rows = [str(h) for h in sheet[0]], sheet[1:]
    assert [int(r[0]) for r in bad_rows] == [3, 4]
    fixed = []
    for row in bad_rows:
        cells = {h: str(v) for h, v in zip(headers, row, strict=False)}
        if cells[LEGAL_HEADERS[2]] == wrong_digit:  # the supplier's own header, full-width brackets
            cells[LEGAL_HEADERS[2]] = cast.xw_gov.uscc
        cells["处罚决定日期"] = cells["处罚决定日期"].replace("2025-02-30", "2025-02-28")
        fixed.append(cells)
    fixed_path = write_xlsx(tmp_path / "fixed.xlsx", [h for h in headers if h in LEGAL_HEADERS], fixed)
    with open(fixed_path, "rb") as handle:
        response = client.post("/console/ingest/upload/", {"kind": KIND, "file": handle})
    second = ImportBatch.objects.exclude(pk=batch.pk).get()
    assert (second.status, second.rows_published, second.rows_rejected) == (ImportBatch.Status.PUBLISHED, 2, 0)

    # The records are in the bodies' archives with windows computed by policy.
    edu = CreditRecord.objects.get(document_number="宁市监罚〔2025〕12号")
    revoked_licence = CreditRecord.objects.get(document_number="宁市监罚〔2025〕14号")
    gov = CreditRecord.objects.get(agency=cast.xw_gov)
    assert (edu.publicity_min_end.isoformat(), edu.publicity_max_end.isoformat()) == ("2025-09-02", "2026-06-02")
    assert (revoked_licence.severity, revoked_licence.publicity_max_end.isoformat()) == ("serious", "2028-02-28")
    assert {edu.supplier, gov.supplier} == {market}
    client.force_login(cast.city_user)
    edu_archive = client.get(f"/console/archive/agency/{cast.xw_edu.uscc}/").content.decode()
    assert edu.number in edu_archive and revoked_licence.number in edu_archive and "2028-02-28" in edu_archive
    gov_archive = client.get(f"/console/archive/agency/{cast.xw_gov.uscc}/").content.decode()
    assert gov.number in gov_archive and "2026-06-02" in gov_archive
    assert CreditRecord.objects.published().filter(pk=revoked_licence.pk).exists()
