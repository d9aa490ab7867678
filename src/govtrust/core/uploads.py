"""Checks on uploaded evidence files (objections, repair requests, rectification evidence): size, count, and type
by content (magic bytes), not by the name or the browser.

Only documents a government body plausibly submits as evidence are accepted: PDF, OFD (the national e-document
format, a ZIP container), JPEG and PNG. The file is stored under a generated name; the uploaded name is kept
for display only (templates escape it), cut to 200 characters and stripped of path parts and control characters.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MAX_BYTES_DEFAULT = 10 * 1024 * 1024
MAX_FILES = 10

# extension → (content type, magic-byte prefixes)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "ofd": ("application/ofd", (b"PK\x03\x04",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}


def max_bytes() -> int:
    return int(getattr(settings, "GOVTRUST_EVIDENCE_MAX_BYTES", MAX_BYTES_DEFAULT))


@dataclass(frozen=True)
class CheckedFile:
    upload: Any
    name: str
    content_type: str
    size: int
    sha256: str


def clean_name(name: str) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[:200] or "file"


def check_upload(upload: Any) -> CheckedFile:
    """Raise ValidationError (Chinese, names the file) unless the upload is an allowed type within the size limit."""
    name = clean_name(getattr(upload, "name", ""))
    size = int(getattr(upload, "size", 0) or 0)
    limit = max_bytes()
    if size > limit:
        raise ValidationError(
            _("文件“%(name)s”过大（%(size)s），单个附件不能超过 %(limit)s。")
            % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("文件“%(name)s”是空文件。") % {"name": name}, code="empty")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED:
        raise ValidationError(
            _("文件“%(name)s”的类型不被接受：只接受 PDF、OFD、JPG、PNG 文件。") % {"name": name}, code="type"
        )
    content_type, magics = ALLOWED[ext]
    upload.seek(0)
    head = upload.read(16)
    if not any(head.startswith(m) for m in magics):
        raise ValidationError(
            _("文件“%(name)s”的内容与扩展名不符（不是有效的 %(ext)s 文件）。") % {"name": name, "ext": ext.upper()},
            code="content",
        )
    digest = hashlib.sha256()
    upload.seek(0)
    read = 0
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b""):
        read += len(chunk)
        if read > limit:  # the declared size lied
            raise ValidationError(_("文件“%(name)s”过大。") % {"name": name}, code="too_large")
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(upload=upload, name=name, content_type=content_type, size=read, sha256=digest.hexdigest())


def check_uploads(uploads: list[Any]) -> list[CheckedFile]:
    if len(uploads) > MAX_FILES:
        raise ValidationError(_("附件不能超过 %(n)d 个。") % {"n": MAX_FILES}, code="too_many")
    errors = []
    checked = []
    for upload in uploads:
        try:
            checked.append(check_upload(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return checked
