"""Signed credit reports: issuing (who may), the PDF, SM2 signature, verification page and CLI, timing."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from registry.builders import make_id

from govtrust.core.crypto import sm2_verify
from govtrust.core.models import AccessLog, ObjectChange
from govtrust.disclosure import queries, reports
from govtrust.disclosure import services_queries as services
from govtrust.disclosure.models import CreditReport, PersonalQueryLog

from .conftest import World
from .helpers import run_cli


def candidate(n: int = 1, name: str = "张三丰", ref: str = "SQ-1") -> queries.Candidate:
    c, _p = queries.check_candidate(1, name=name, id_number=make_id(n), purpose="公务员录用", authorisation_ref=ref)
    assert c is not None
    return c


def flip(data: bytes, at: int | None = None) -> bytes:
    at = len(data) // 2 if at is None else at
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


@pytest.mark.django_db
def test_an_agency_report_is_a_signed_pdf_with_an_embedded_font_and_a_verifiable_number(world: World) -> None:
    report, pdf = services.credit_report_for_agency(actor=world.cast.prov_user, agency=world.cast.xw_edu)
    assert pdf.startswith(b"%PDF-") and b"/FontFile2" in pdf  # TrueType font embedded
    assert reports.NUMBER_RE.match(report.number) and reports.report_number_in(pdf) == report.number
    assert report.title == "政务信用信息查询报告"
    assert (
        report.valid_until == report.issued_at.astimezone().date() + datetime.timedelta(days=30) or report.valid_until
    )
    # The SM2 signature over the SM3 digest of the bytes checks with the platform key, under our signer ID.
    digest = bytes.fromhex(report.digest_sm3)
    assert sm2_verify(digest, report.signature_sm2, report.public_key, signer_id=report.signer_id)
    assert not sm2_verify(digest, report.signature_sm2, report.public_key, signer_id="another-id")
    assert report.public_key in reports.trusted_public_keys()
    assert ObjectChange.objects.filter(object_type__icontains="creditreport", object_id=str(report.pk)).exists()
    assert reports.verify_pdf(pdf).status == "authentic"


@pytest.mark.django_db
def test_one_flipped_byte_is_reported_as_altered(world: World) -> None:
    _report, pdf = services.credit_report_for_agency(actor=world.cast.prov_user, agency=world.cast.xw_edu)
    assert reports.verify_pdf(flip(pdf)).status == "altered"
    assert reports.verify_pdf(flip(pdf, len(pdf) - 40)).status == "altered"
    assert reports.verify_pdf(pdf + b"\n").status == "altered"


@pytest.mark.django_db
def test_an_unknown_or_foreign_pdf_is_not_found(world: World) -> None:
    _report, pdf = services.credit_report_for_agency(actor=world.cast.prov_user, agency=world.cast.xw_edu)
    CreditReport.objects.all().delete()
    assert reports.verify_pdf(pdf).status == "unknown"
    assert reports.verify_pdf(b"%PDF-1.4\n%%EOF\n").status == "unknown"
    assert reports.verify_number("XYBG20260101ABCDEFGH").status == "unknown"
    assert reports.verify_number("'; DROP TABLE x; --").status == "unknown"


@pytest.mark.django_db
def test_an_expired_report_is_reported_as_expired(world: World) -> None:
    report, pdf = services.credit_report_for_agency(actor=world.cast.prov_user, agency=world.cast.xw_edu)
    later = report.valid_until + datetime.timedelta(days=1)
    assert reports.verify_pdf(pdf, today=later).status == "expired"
    assert reports.verify_pdf(pdf, today=report.valid_until).status == "authentic"
    assert reports.verify_number(report.number, today=later).status == "expired"


@pytest.mark.django_db
def test_a_forged_database_row_fails_the_signature_check(world: World) -> None:
    report, pdf = services.credit_report_for_agency(actor=world.cast.prov_user, agency=world.cast.xw_edu)
    forged = flip(pdf)
    from govtrust.core.crypto import sm3_hex

    # Someone with write access to the table swaps in the digest of an altered file: the signature no longer fits.
    CreditReport.objects.filter(pk=report.pk).update(digest_sm3=sm3_hex(forged))
    assert reports.verify_pdf(forged).status == "altered"
    assert reports.verify_number(report.number).status == "altered"
    # Re-signing with a key of their own does not help: only the platform's keys are trusted.
    from govtrust.core.crypto import sm2_generate_keypair, sm2_sign

    private, public = sm2_generate_keypair()
    CreditReport.objects.filter(pk=report.pk).update(
        public_key=public, signature_sm2=sm2_sign(bytes.fromhex(sm3_hex(forged)), private)
    )
    assert reports.verify_pdf(forged).status == "altered"


@pytest.mark.django_db
def test_a_personal_report_needs_the_grant_a_purpose_and_an_authorisation_and_is_logged(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.credit_report_for_candidate(
            actor=world.cast.prov_user.__class__.objects.get(username="xw"), candidate=candidate()
        )
    no_ref = queries.Candidate(row=1, name="张三丰", id_number=make_id(1), purpose="recruitment", authorisation_ref=" ")
    with pytest.raises(ValidationError):
        services.credit_report_for_candidate(actor=world.hr, candidate=no_ref)
    report, pdf = services.credit_report_for_candidate(actor=world.hr, candidate=candidate(ref="SQ-42"))
    assert report.kind == "civil_servant" and report.title == "个人公共信用信息查询报告（公务员）"
    assert report.subject_display.startswith("张*丰") and make_id(1) not in report.subject_display
    assert (report.purpose, report.authorisation_ref) == ("公务员录用", "SQ-42")
    log = PersonalQueryLog.objects.get(kind="credit_report")
    assert log.reference == report.number and log.civil_servant == world.cast.servant
    assert AccessLog.objects.filter(detail__reference=report.number, purpose__contains="SQ-42").exists()
    assert reports.verify_pdf(pdf).ok


@pytest.mark.django_db
def test_an_enterprise_report_is_titled_for_bidding_and_never_as_the_provincial_report(world: World) -> None:
    report, pdf = services.credit_report_for_enterprise(actor=world.cast.prov_user, enterprise=world.cast.enterprise)
    assert report.title == "企业公共信用信息查询报告" and "专项" not in report.title
    assert reports.verify_pdf(pdf).ok
    with pytest.raises(PermissionDenied):
        services.credit_report_for_enterprise(actor=world.cast.sz_user, enterprise=world.cast.enterprise)
    with pytest.raises(PermissionDenied):
        services.credit_report_for_agency(actor=world.cast.sz_user, agency=world.cast.xw_edu)


@pytest.mark.django_db
def test_the_public_verification_page_answers_for_files_and_numbers(world: World, client) -> None:  # type: ignore[no-untyped-def]
    report, pdf = services.credit_report_for_candidate(actor=world.hr, candidate=candidate())
    page = client.get(f"/verify/{report.number}/").content.decode()
    assert "真实有效" in page and "张*丰" in page and "张三丰" not in page
    answer = client.post("/verify/", {"file": SimpleUploadedFile("r.pdf", pdf)}).content.decode()
    assert "真实有效" in answer and "完全一致" in answer
    assert "已被篡改" in client.post("/verify/", {"file": SimpleUploadedFile("r.pdf", flip(pdf))}).content.decode()
    assert "查无此报告" in client.get("/verify/XYBG20260101ABCDEFGH/").content.decode()
    not_pdf = client.post("/verify/", {"file": SimpleUploadedFile("r.pdf", b"<script>x</script>")})
    assert not_pdf.status_code == 400 and "不是PDF文件" in not_pdf.content.decode()
    api = client.get(f"/api/credit-queries/reports/{report.number}/verify").json()
    assert api["status"] == "authentic" and api["subject"].startswith("张*丰")


@pytest.mark.django_db
def test_the_verification_page_refuses_a_large_upload(world: World, client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.GOVTRUST_REPORT_UPLOAD_MAX_BYTES = 1000
    response = client.post("/verify/", {"file": SimpleUploadedFile("r.pdf", b"%PDF-1.4\n" + b"0" * 2000)})
    assert response.status_code == 400 and "文件过大" in response.content.decode()


@pytest.mark.django_db
def test_the_cli_exit_codes(world: World, tmp_path: Path) -> None:
    _report, pdf = services.credit_report_for_agency(actor=world.cast.prov_user, agency=world.cast.xw_edu)
    good, bad, other = tmp_path / "good.pdf", tmp_path / "bad.pdf", tmp_path / "x.txt"
    good.write_bytes(pdf)
    bad.write_bytes(flip(pdf))
    other.write_text("hello")
    status, out, _err = run_cli("report", "verify", str(good))
    assert status == 0 and "authentic" in out
    status, _out, err = run_cli("report", "verify", str(bad))
    assert status == 1 and "altered" in err
    CreditReport.objects.all().delete()
    assert run_cli("report", "verify", str(good))[0] == 1
    assert run_cli("report", "verify", str(other))[0] == 2
    assert run_cli("report", "verify", str(tmp_path / "missing.pdf"))[0] == 2


@pytest.mark.django_db
def test_ed25519_is_added_only_when_configured(world: World, settings) -> None:
    report, _pdf = services.credit_report_for_agency(actor=world.cast.prov_user, agency=world.cast.xw_edu)
    assert report.signature_ed25519 == ""
    settings.GOVTRUST_REPORT_ED25519_KEY = "11" * 32
    report, pdf = services.credit_report_for_agency(actor=world.cast.prov_user, agency=world.cast.xw_edu)
    assert len(report.signature_ed25519) == 128 and reports.verify_pdf(pdf).ok
    CreditReport.objects.filter(pk=report.pk).update(signature_ed25519="00" * 64)
    assert reports.verify_pdf(pdf).status == "altered"


def test_a_missing_font_fails_with_a_clear_message(settings) -> None:  # type: ignore[no-untyped-def]
    settings.GOVTRUST_REPORT_FONT = "/nonexistent/font.ttc"
    with pytest.raises(ImproperlyConfigured, match="GOVTRUST_REPORT_FONT"):
        reports.report_font()


@pytest.mark.django_db
def test_a_report_pdf_takes_well_under_a_second(world: World, capsys) -> None:  # type: ignore[no-untyped-def]
    services.credit_report_for_agency(actor=world.cast.prov_user, agency=world.cast.xw_edu)  # font loaded once
    timings = []
    for _i in range(5):
        start = time.perf_counter()
        services.credit_report_for_candidate(actor=world.hr, candidate=candidate())
        timings.append(time.perf_counter() - start)
    with capsys.disabled():
        median, worst = sorted(timings)[2], max(timings)
        print(f"\nreport_pdf_s (issue: match, render, sign, store): median {median:.3f} max {worst:.3f}")
