"""Credit report PDFs (ReportLab, embedded CJK TrueType font) and their SM2 signatures.

    pdf = render_pdf(content)            # bytes
    signed = sign_pdf(pdf)               # SM3 digest of the bytes, SM2-signed with the platform key
    verify_pdf(pdf_bytes) -> Verification   # 真实有效 / 已被篡改 / 查无此报告 / 已过期

The report number is written into the PDF's Info dictionary (/Keywords, plain ASCII) so that an uploaded copy
can be matched to its stored row even when other bytes were changed; the digest and the signature then tell
a genuine copy from an altered one. What is signed is the 32-byte SM3 digest of the whole file
(`core.crypto.sm2_sign`, our own Z with GOVTRUST_SM2_SIGNER_ID, k from `secrets`) with the platform's SM2
key (the one that signs the audit checkpoints). Ed25519 is added only when an operator sets
GOVTRUST_REPORT_ED25519_KEY.

ReportLab embeds only the glyphs used (TrueType subsetting), so a report is ~30 KB and takes tens of ms.
"""

from __future__ import annotations

import datetime
import io
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.core.crypto import sm2_public_key, sm2_sign, sm2_signing_key, sm2_verify, sm3_digest, sm3_hex
from govtrust.core.pdf import report_font

NUMBER_PREFIX = "XYBG"
_NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper
NUMBER_RE = re.compile(r"^XYBG\d{8}[A-Z2-9]{8}$")
_KEYWORDS_RE = re.compile(rb"/Keywords \((XYBG\d{8}[A-Z2-9]{8})\)")

TITLES = {
    "agency": gettext_lazy("政务信用信息查询报告"),
    "civil_servant": gettext_lazy("个人公共信用信息查询报告（公务员）"),
    "person": gettext_lazy("个人公共信用信息查询报告"),
    # Not 专项公共信用信息报告: that is the name of the provincial platform's report.
    "enterprise": gettext_lazy("企业公共信用信息查询报告"),
}


def new_report_number(today: datetime.date | None = None) -> str:
    """XYBG + date + 8 random characters: not guessable, so numbers cannot be enumerated on the public page."""
    today = today or timezone.localdate()
    return f"{NUMBER_PREFIX}{today:%Y%m%d}" + "".join(secrets.choice(_NUMBER_ALPHABET) for _i in range(8))


# --- the font ----------------------------------------------------------------------------------


# The CJK font lives in core.pdf (shared with the evaluation reports); kept importable from here.


# --- the content and the PDF -------------------------------------------------------------------


@dataclass
class ReportSection:
    heading: str
    headers: list[str]
    rows: list[list[str]]
    empty: str = ""
    widths: list[float] | None = None  # relative column widths


@dataclass
class ReportContent:
    number: str
    title: str
    subject_lines: list[tuple[str, str]]
    sections: list[ReportSection]
    issued_at: datetime.datetime
    valid_until: datetime.date
    verify_url: str
    request_lines: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def verify_url(number: str) -> str:
    return f"{settings.GOVTRUST_SITE_URL.rstrip('/')}/verify/{number}/"


def render_pdf(content: ReportContent) -> bytes:
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = report_font()
    base = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK")
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=11, textColor=colors.HexColor("#444444"))
    title_style = ParagraphStyle("title", parent=base, fontSize=17, leading=24, alignment=1, spaceAfter=4)
    heading = ParagraphStyle("h2", parent=base, fontSize=11.5, leading=17, spaceBefore=8, spaceAfter=4)

    def p(text: Any, style: ParagraphStyle = base) -> Paragraph:
        # Every value is escaped: ReportLab reads Paragraph text as markup, and record text is user input.
        return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)

    issued_local = timezone.localtime(content.issued_at)
    buffer = io.BytesIO()
    page_w, _page_h = A4
    margin = 18 * mm
    usable = page_w - 2 * margin
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=content.title,
        subject=content.title,
        author=str(_("政务诚信平台")),
        creator="GovTrust",
        keywords=content.number,
    )

    qr = QrCodeWidget(content.verify_url, barLevel="M")
    x0, y0, x1, y1 = qr.getBounds()
    size = 26 * mm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(qr)
    meta = [
        [p(_("报告编号")), p(content.number)],
        [p(_("出具时间")), p(f"{issued_local:%Y-%m-%d %H:%M:%S}")],
        [p(_("有效期至")), p(f"{content.valid_until:%Y-%m-%d}")],
        [p(_("核验地址")), p(content.verify_url, small)],
    ]
    meta_table = Table(meta, colWidths=[22 * mm, usable - 22 * mm - size - 6 * mm])
    meta_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    header = Table([[meta_table, drawing]], colWidths=[usable - size - 4 * mm, size + 4 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))

    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    story: list[Any] = [p(content.title, title_style), header, Spacer(1, 4 * mm)]
    story.append(p(_("一、报告对象"), heading))
    subject = Table([[p(k), p(v)] for k, v in content.subject_lines], colWidths=[32 * mm, usable - 32 * mm])
    subject.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999"))]))
    story.append(subject)
    if content.request_lines:
        story.append(p(_("二、查询申请"), heading))
        req = Table([[p(k), p(v)] for k, v in content.request_lines], colWidths=[32 * mm, usable - 32 * mm])
        req.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999"))]))
        story.append(req)
    numerals = "三四五六七八九十" if content.request_lines else "二三四五六七八九十"
    for i, section in enumerate(content.sections):
        story.append(p(f"{numerals[i % len(numerals)]}、{section.heading}", heading))
        if not section.rows:
            story.append(p(section.empty or _("无")))
            continue
        rel = section.widths or [1.0] * len(section.headers)
        widths = [usable * w / sum(rel) for w in rel]
        table = Table(
            [[p(h) for h in section.headers]] + [[p(c, small) for c in row] for row in section.rows],
            colWidths=widths,
            repeatRows=1,
        )
        table.setStyle(grid)
        story.append(table)
    story.append(Spacer(1, 5 * mm))
    for note in content.notes:
        story.append(p(note, small))

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.drawString(margin, 9 * mm, f"{content.number}  ·  {content.title}")
        canvas.drawRightString(page_w - margin, 9 * mm, _("第%(n)d页") % {"n": document.page})
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


# --- signing and verification ------------------------------------------------------------------


@dataclass(frozen=True)
class ReportSignature:
    digest_sm3: str
    signature_sm2: str
    signer_id: str
    public_key: str
    public_key_fingerprint: str
    signature_ed25519: str = ""
    ed25519_public_key: str = ""


def key_fingerprint(public_key_hex: str) -> str:
    """First 32 hex digits of SM3(x||y): short enough to print, long enough to tell keys apart."""
    return sm3_hex(bytes.fromhex(public_key_hex))[:32]


def _ed25519_private() -> Any:
    key_hex = settings.GOVTRUST_REPORT_ED25519_KEY.strip()
    if not key_hex:
        return None
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key_hex))


def sign_pdf(pdf: bytes) -> ReportSignature:
    digest = sm3_digest(pdf)
    private_hex, public_hex = sm2_signing_key()
    signer_id = settings.GOVTRUST_SM2_SIGNER_ID
    ed_sig = ed_pub = ""
    ed_key = _ed25519_private()
    if ed_key is not None:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        ed_sig = ed_key.sign(digest).hex()
        ed_pub = ed_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    return ReportSignature(
        digest_sm3=digest.hex(),
        signature_sm2=sm2_sign(digest, private_hex, signer_id=signer_id),
        signer_id=signer_id,
        public_key=public_hex,
        public_key_fingerprint=key_fingerprint(public_hex),
        signature_ed25519=ed_sig,
        ed25519_public_key=ed_pub,
    )


def trusted_public_keys() -> set[str]:
    """The platform's current SM2 public key and the retired ones an operator still trusts."""
    keys = {k.strip().lower() for k in settings.GOVTRUST_AUDIT_TRUSTED_KEYS}
    if settings.GOVTRUST_SM2_PRIVATE_KEY:
        keys.add(sm2_public_key(settings.GOVTRUST_SM2_PRIVATE_KEY.strip().lower()))
    else:
        keys.add(sm2_signing_key()[1])
    return keys


def signature_valid(report: Any) -> bool:
    """The stored signature(s) over the stored digest, by a key the platform trusts (not merely the stored one)."""
    if report.public_key.lower() not in trusted_public_keys():
        return False
    try:
        digest = bytes.fromhex(report.digest_sm3)
    except ValueError:
        return False
    if len(digest) != 32 or not sm2_verify(digest, report.signature_sm2, report.public_key, signer_id=report.signer_id):
        return False
    if report.signature_ed25519:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        ed_key = _ed25519_private()
        if ed_key is None:
            return False  # an Ed25519-signed report but no configured key to trust: cannot confirm
        try:
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(report.ed25519_public_key)).verify(
                bytes.fromhex(report.signature_ed25519), digest
            )
        except (InvalidSignature, ValueError):
            return False
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        if ed_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex() != report.ed25519_public_key:
            return False
    return True


class VerifyStatus:
    AUTHENTIC = "authentic"
    ALTERED = "altered"
    UNKNOWN = "unknown"
    EXPIRED = "expired"

    LABELS = {
        AUTHENTIC: gettext_lazy("真实有效"),
        ALTERED: gettext_lazy("已被篡改"),
        UNKNOWN: gettext_lazy("查无此报告"),
        EXPIRED: gettext_lazy("已过期"),
    }


@dataclass
class Verification:
    status: str
    report: Any = None  # CreditReport
    file_checked: bool = False

    @property
    def label(self) -> str:
        return str(VerifyStatus.LABELS[self.status])

    @property
    def ok(self) -> bool:
        return self.status == VerifyStatus.AUTHENTIC


def is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


def report_number_in(pdf: bytes) -> str | None:
    found = _KEYWORDS_RE.findall(pdf)
    return found[-1].decode("ascii") if found else None


def _lookup(number: str) -> Any:
    from govtrust.disclosure.models import CreditReport

    return CreditReport.objects.filter(number=number).first() if NUMBER_RE.match(number or "") else None


def verify_pdf(pdf: bytes, *, today: datetime.date | None = None) -> Verification:
    """Check an uploaded copy: the number it carries, the SM3 digest of its bytes, the SM2 signature, validity."""
    number = report_number_in(pdf)
    report = _lookup(number) if number else None
    if report is None:
        return Verification(VerifyStatus.UNKNOWN, file_checked=True)
    if sm3_hex(pdf) != report.digest_sm3 or not signature_valid(report):
        return Verification(VerifyStatus.ALTERED, report, file_checked=True)
    return _validity(report, today, file_checked=True)


def verify_number(number: str, *, today: datetime.date | None = None) -> Verification:
    """Check a number typed in or read from the QR code: the stored row and its signature, and validity."""
    report = _lookup((number or "").strip().upper())
    if report is None:
        return Verification(VerifyStatus.UNKNOWN)
    if not signature_valid(report):
        return Verification(VerifyStatus.ALTERED, report)
    return _validity(report, today, file_checked=False)


def _validity(report: Any, today: datetime.date | None, *, file_checked: bool) -> Verification:
    today = today or timezone.localdate()
    status = VerifyStatus.EXPIRED if today > report.valid_until else VerifyStatus.AUTHENTIC
    return Verification(status, report, file_checked=file_checked)
