"""Disclosure models: error reports from the public (纠错建议); personnel credit queries (人员信用查询), the
subject-visible query record, users' links to their own identity, and signed credit reports (信用报告).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govtrust.records.models import CreditRecord
from govtrust.registry.models import Agency, CivilServant, Person


# --- error reports (纠错建议) from the public portal -----------------------------------------------------------------
class ErrorReportStatus(models.TextChoices):
    NEW = "new", _("待处理")
    HANDLED = "handled", _("已处理")


class ErrorReport(models.Model):
    """Anyone's report that a published record is wrong (纠错建议), routed to the record's supplier.

    Unlike a subject's objection (异议) it does not label the record: it is a hint to the supplier, who checks
    it and, if the record is wrong, corrects it through the records services. The text is stored as typed
    (control characters dropped) and only ever rendered autoescaped.
    """

    record = models.ForeignKey(
        CreditRecord, verbose_name=_("信用记录"), on_delete=models.PROTECT, related_name="error_reports"
    )
    # The supplier when the report came in: the console list is scoped on it without joining the records.
    supplier = models.ForeignKey(
        Agency, verbose_name=_("数据提供部门"), on_delete=models.PROTECT, related_name="error_reports"
    )
    name = models.CharField(_("姓名或单位"), max_length=50)
    contact = models.CharField(_("联系方式"), max_length=100)
    text = models.TextField(_("纠错内容"))
    # A keyed hash of the sender's address (abuse handling) — never the address itself.
    ip_hash = models.CharField(_("来源地址摘要"), max_length=64, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ErrorReportStatus.choices, default=ErrorReportStatus.NEW
    )
    handled_note = models.TextField(_("处理说明"), blank=True)
    handled_by_name = models.CharField(_("处理人"), max_length=150, blank=True)
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("纠错建议")
        verbose_name_plural = _("纠错建议")
        indexes = [models.Index(fields=["supplier", "status", "created_at"], name="errorreport_supplier_status")]

    def __str__(self) -> str:
        return f"{self.record_id} {self.created_at:%Y-%m-%d}"


# --- personnel credit queries (issue 5 item 3) and the honours check (item 4) --------------------


class QueryPurpose(models.TextChoices):
    """The lawful purposes an HR department may query a person's credit for (fixed list; MISSION.md)."""

    RECRUITMENT = "recruitment", _("公务员录用")
    TRANSFER = "transfer", _("调任")
    HONOURS = "honours", _("评优评先")
    PROMOTION = "promotion", _("提拔任用")
    SECONDMENT = "secondment", _("交流轮岗")


class PersonnelQuery(models.Model):
    """One submission by an HR user: a single candidate or an xlsx batch. Results are a snapshot of that moment."""

    class Channel(models.TextChoices):
        SINGLE = "single", _("单个查询")
        FILE = "file", _("批量文件")
        API = "api", _("接口")

    number = models.CharField(_("查询编号"), max_length=30, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("查询人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_name = models.CharField(_("查询人"), max_length=150)
    agency = models.ForeignKey(
        Agency, verbose_name=_("查询单位"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agency_name = models.CharField(_("查询单位"), max_length=200, blank=True)
    channel = models.CharField(_("方式"), max_length=10, choices=Channel.choices)
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("查询时间"), default=timezone.now, db_index=True)
    candidate_count = models.PositiveIntegerField(_("查询人数"), default=0)
    flagged_count = models.PositiveIntegerField(_("有记录人数"), default=0)
    bad_rows = models.JSONField(_("未查询的行"), default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("人员信用查询")
        verbose_name_plural = _("人员信用查询")

    def __str__(self) -> str:
        return self.number


class PersonnelQueryResult(models.Model):
    """One candidate's result in a query: who (masked), for what, and what was found then."""

    query = models.ForeignKey(PersonnelQuery, on_delete=models.CASCADE, related_name="results")
    row = models.PositiveIntegerField(_("行号"))
    name = models.CharField(_("姓名"), max_length=50)
    id_number_masked = models.CharField(_("身份证号码（脱敏）"), max_length=18)
    id_number_hash = models.CharField(_("证件号码检索摘要"), max_length=64, editable=False)
    # SM4 ciphertext: a report issued from this result re-runs the match with the full number.
    id_number_encrypted = models.TextField(_("证件号码（密文）"), editable=False)
    purpose = models.CharField(_("用途"), max_length=20, choices=QueryPurpose.choices)
    authorisation_ref = models.CharField(_("授权书编号"), max_length=100)
    civil_servant = models.ForeignKey(CivilServant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verdict = models.CharField(_("结论"), max_length=20)
    records = models.JSONField(_("有效期内的信用记录"), default=list)
    list_hits = models.JSONField(_("名单命中"), default=list)

    class Meta:
        ordering = ["query", "row"]
        verbose_name = _("人员信用查询结果")
        verbose_name_plural = _("人员信用查询结果")

    def __str__(self) -> str:
        return f"{self.query.number}#{self.row}"


class PersonalQueryLog(models.Model):
    """What the person concerned may see: who looked them up, when, why, on whose written authorisation.

    Separate from the security AccessLog (which auditors read and which holds more); keyed by the HMAC of the
    ID number so that a candidate who is not (yet) in the registry still finds the queries about them.
    """

    class Kind(models.TextChoices):
        PERSONNEL_QUERY = "personnel_query", _("人员信用查询")
        HONOURS_CHECK = "honours_check", _("评优评先资格核查")
        CREDIT_REPORT = "credit_report", _("出具信用报告")

    time = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    subject_id_hash = models.CharField(_("证件号码检索摘要"), max_length=64, db_index=True, editable=False)
    subject_name = models.CharField(_("姓名"), max_length=50)
    civil_servant = models.ForeignKey(CivilServant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("事项"), max_length=20, choices=Kind.choices)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    agency_name = models.CharField(_("查询单位"), max_length=200, blank=True)
    user_pk = models.BigIntegerField(_("查询人编号"), null=True, blank=True)
    user_name = models.CharField(_("查询人"), max_length=150)
    purpose = models.CharField(_("用途"), max_length=20, choices=QueryPurpose.choices)
    authorisation_ref = models.CharField(_("授权书编号"), max_length=100)
    reference = models.CharField(_("查询编号或报告编号"), max_length=40, blank=True)

    class Meta:
        ordering = ["-time", "-id"]
        verbose_name = _("个人信用查询记录")
        verbose_name_plural = _("个人信用查询记录")

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M} {self.agency_name} {self.get_kind_display()}"


# --- signed credit reports (item 5) -------------------------------------------------------------


class ReportKind(models.TextChoices):
    AGENCY = "agency", _("政府部门")
    CIVIL_SERVANT = "civil_servant", _("公务员")
    PERSON = "person", _("自然人")
    ENTERPRISE = "enterprise", _("企业")


class CreditReport(models.Model):
    """A credit report as issued: what it is about, for whom, and the SM2 signature of its PDF's SM3 digest.

    The PDF itself is not kept (it may hold personal data); the digest and signature are enough to tell a
    genuine copy from an altered one.
    """

    number = models.CharField(_("报告编号"), max_length=40, unique=True)
    kind = models.CharField(_("报告对象类型"), max_length=20, choices=ReportKind.choices)
    title = models.CharField(_("报告名称"), max_length=100)
    subject_pk = models.BigIntegerField(_("对象编号"))
    # Shown on the public verification page: a natural person's name is masked here.
    subject_display = models.CharField(_("报告对象"), max_length=200)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requester_name = models.CharField(_("申请人"), max_length=150)
    requester_agency_name = models.CharField(_("申请单位"), max_length=200, blank=True)
    purpose = models.CharField(_("用途"), max_length=100, blank=True)
    authorisation_ref = models.CharField(_("授权书编号"), max_length=100, blank=True)
    issued_at = models.DateTimeField(_("出具时间"))
    valid_until = models.DateField(_("有效期至"))
    size_bytes = models.PositiveIntegerField(_("文件大小"))
    digest_sm3 = models.CharField(_("SM3摘要"), max_length=64)
    signature_sm2 = models.CharField(_("SM2签名"), max_length=128)
    signer_id = models.CharField(_("签名者标识"), max_length=100)
    public_key = models.CharField(_("签名公钥"), max_length=128)
    public_key_fingerprint = models.CharField(_("公钥指纹"), max_length=32)
    signature_ed25519 = models.CharField(_("Ed25519签名"), max_length=128, blank=True)
    ed25519_public_key = models.CharField(_("Ed25519公钥"), max_length=64, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("信用报告")
        verbose_name_plural = _("信用报告")

    def __str__(self) -> str:
        return self.number
