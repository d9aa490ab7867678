from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class SweepRun(models.Model):
    """One sweep step for one run date. The (step, run_date) row is the claim that keeps sweeps idempotent.

    `govtrust sweep` claims a step by inserting this row, or by a conditional UPDATE of a pending or
    failed one; a finished step is never run again for the same date. This row is the record of the
    automated run (result, error), so it is not also written to the audit trail.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待运行")
        RUNNING = "running", _("运行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    step = models.CharField(_("步骤"), max_length=100)
    run_date = models.DateField(_("运行日期"), db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    claimed_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    result = models.JSONField(_("结果"), null=True, blank=True, encoder=DjangoJSONEncoder)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        ordering = ["-run_date", "step"]
        constraints = [models.UniqueConstraint(fields=["step", "run_date"], name="core_sweeprun_step_date_unique")]
        verbose_name = _("定期清理运行记录")
        verbose_name_plural = _("定期清理运行记录")

    def __str__(self) -> str:
        return f"{self.step} {self.run_date} {self.status}"
