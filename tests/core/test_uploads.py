"""Evidence files (objections, repair requests, rectification evidence) are checked by type, content and size."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from govtrust.core.uploads import MAX_FILES, check_upload, check_uploads


@pytest.mark.parametrize(
    ("name", "content", "ok"),
    [
        ("整改报告.pdf", b"%PDF-1.7 ...", True),
        ("photo.PNG", b"\x89PNG\r\n\x1a\n....", True),
        ("package.ofd", b"PK\x03\x04....", True),
        ("report.pdf", b"MZ\x90\x00....", False),  # an executable renamed
        ("run.exe", b"MZ\x90\x00....", False),
        ("empty.pdf", b"", False),
        ("<script>.pdf", b"%PDF-1.4", True),  # the name is only ever shown escaped and never used on disk
    ],
)
def test_a_file_is_accepted_only_with_an_allowed_type_and_matching_content(name, content, ok):
    upload = SimpleUploadedFile(name, content)
    if ok:
        checked = check_upload(upload)
        assert checked.size == len(content) and len(checked.sha256) == 64
    else:
        with pytest.raises(ValidationError):
            check_upload(upload)


def test_a_file_over_the_limit_is_refused_with_its_name(settings):
    settings.GOVTRUST_EVIDENCE_MAX_BYTES = 10
    with pytest.raises(ValidationError) as refused:
        check_upload(SimpleUploadedFile("big.pdf", b"%PDF-" + b"x" * 10))
    assert "big.pdf" in refused.value.messages[0]


def test_more_files_than_allowed_are_refused():
    files = [SimpleUploadedFile(f"{n}.pdf", b"%PDF-1.7") for n in range(MAX_FILES + 1)]
    with pytest.raises(ValidationError):
        check_uploads(files)


def test_a_path_in_the_uploaded_name_is_dropped():
    assert check_upload(SimpleUploadedFile("../../etc/passwd.pdf", b"%PDF-1.7")).name == "passwd.pdf"
