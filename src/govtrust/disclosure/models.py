"""Disclosure models. Other parts of the app append their models below; keep each section self-contained."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govtrust.records.models import CreditRecord
from govtrust.registry.models import Agency


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
