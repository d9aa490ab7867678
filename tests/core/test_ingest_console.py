"""Console pages of the import machinery: upload → background job → batch page, downloads, who sees what."""

from __future__ import annotations

import io
import zipfile

import pytest
from python_calamine import CalamineWorkbook

from govtrust.accounts.models import Role, User
from govtrust.core.models import ImportBatch, Job

from .ingest_helpers import code, make_body, stored_codes, write_csv


def make_user(username: str, agency, *roles: str) -> User:  # type: ignore[no-untyped-def]
    user = User.objects.create_user(username=username, password="x-long-password-1", agency=agency)
    user.roles.set(Role.objects.filter(code__in=roles))
    return user


@pytest.fixture
def cast(db):  # type: ignore[no-untyped-def]
    nj_credit = make_body(1, "南京市发展和改革委员会", "320100", is_credit_office=True)
    nj_bureau = make_body(2, "南京市某某局", "320100")
    sz_bureau = make_body(3, "苏州市某某局", "320500")
    return {
        "supplier": make_user("supplier", nj_bureau, "supplier"),
        "other_supplier": make_user("other", sz_bureau, "supplier"),
        "city_office": make_user("city", nj_credit, "city_credit_office"),
        "no_grant": make_user("nobody", nj_bureau, "recorded_body"),
        "nj_bureau": nj_bureau,
    }


def upload(client, path, *, strict=False):  # type: ignore[no-untyped-def]
    with open(path, "rb") as handle:
        data = {"kind": "test.codes", "file": handle}
        if strict:
            data["strict"] = "on"
        return client.post("/console/ingest/upload/", data)


def test_a_supplier_uploads_a_file_which_runs_as_a_job_and_sees_the_batch_page(client, cast, tmp_path):
    client.force_login(cast["supplier"])
    page = client.get("/console/ingest/upload/").content.decode()
    assert "测试代码" in page and "registry.agencies" not in page  # registry kinds need registry.change
    path = write_csv(tmp_path / "a.csv", [[code(1), "一", ""], ["<script>alert(1)</script>", "二", ""]])
    response = upload(client, path)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/ingest/batches/{batch.number}/"
    assert (batch.status, batch.supplier_code, batch.created_by_pk) == (
        ImportBatch.Status.PUBLISHED,
        cast["nj_bureau"].uscc,
        cast["supplier"].pk,
    )
    assert Job.objects.get(public_id=batch.job).status == Job.Status.SUCCEEDED
    assert stored_codes() == {code(1): "-:一"}
    html = client.get(response["Location"]).content.decode()
    assert batch.number in html and "已入库" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "errors.xlsx" in html
    status = client.get(f"/console/ingest/batches/{batch.number}/status/").content.decode()
    assert 'id="batch-status"' in status and "hx-get" not in status  # finished: no more polling
    listing = client.get("/console/ingest/").content.decode()
    assert batch.number in listing


def test_the_error_report_and_the_template_download_as_workbooks(client, cast, tmp_path):
    client.force_login(cast["supplier"])
    upload(client, write_csv(tmp_path / "a.csv", [["bad", "一", ""]]))
    batch = ImportBatch.objects.get()
    report = client.get(f"/console/ingest/batches/{batch.number}/errors.xlsx")
    assert report.status_code == 200 and report["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(report.content)).get_sheet_by_index(0).to_python()
    assert rows[1][:2] == [2, "bad"] and "代码应为T开头" in rows[1][-1]
    template = client.get("/console/ingest/templates/test.codes.xlsx")
    book = CalamineWorkbook.from_filelike(io.BytesIO(template.content))
    assert book.sheet_names == ["数据", "填写说明"]
    assert book.get_sheet_by_index(0).to_python()[0] == ["代码", "说明", "类别"]
    notes = book.get_sheet_by_index(1).to_python()
    assert ["类别", "选填", "", "甲类、乙类", "a"] in notes
    with zipfile.ZipFile(io.BytesIO(template.content)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert '<dataValidation type="list"' in sheet and "甲类,乙类" in sheet


def test_a_strict_upload_with_a_bad_row_is_rejected_whole(client, cast, tmp_path):
    client.force_login(cast["supplier"])
    upload(client, write_csv(tmp_path / "a.csv", [[code(1), "一", ""], ["bad", "二", ""]]), strict=True)
    assert ImportBatch.objects.get().status == ImportBatch.Status.REJECTED and stored_codes() == {}


def test_a_refused_upload_shows_why_on_the_batch_page(client, cast, tmp_path):
    client.force_login(cast["supplier"])
    path = tmp_path / "junk.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    upload(client, path)
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.REFUSED
    assert Job.objects.get(public_id=batch.job).status == Job.Status.FAILED
    assert "无法读取.xlsx文件" in client.get(f"/console/ingest/batches/{batch.number}/").content.decode()


def test_other_suppliers_cannot_see_a_batch_but_the_credit_office_of_its_region_can(client, cast, tmp_path):
    client.force_login(cast["supplier"])
    upload(client, write_csv(tmp_path / "a.csv", [[code(1), "一", ""]]))
    number = ImportBatch.objects.get().number
    client.force_login(cast["other_supplier"])
    assert client.get(f"/console/ingest/batches/{number}/").status_code == 404
    assert number not in client.get("/console/ingest/").content.decode()
    client.force_login(cast["city_office"])
    assert client.get(f"/console/ingest/batches/{number}/").status_code == 200
    assert number in client.get("/console/ingest/").content.decode()


def test_a_user_without_the_grant_cannot_upload(client, cast):
    client.force_login(cast["no_grant"])
    assert client.get("/console/ingest/upload/").status_code == 403
    assert client.get("/console/ingest/").status_code == 403


def test_the_page_needs_a_login(client, db):  # type: ignore[no-untyped-def]
    assert client.get("/console/ingest/upload/").status_code == 302
