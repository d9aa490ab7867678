from __future__ import annotations

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """A long-running piece of background work that pages poll for a progress bar.

    Created by `govtrust.core.jobs.job_create`, run by a `@job_task` on the worker. The public id is
    what URLs and API callers see; the integer pk never leaves the server.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("运行中")
        SUCCEEDED = "succeeded", _("已完成")
        FAILED = "failed", _("失败")

    FINISHED = (Status.SUCCEEDED, Status.FAILED)

    public_id = models.UUIDField(_("任务编号"), default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("任务类型"), max_length=100, db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_current = models.PositiveBigIntegerField(_("已处理"), default=0)
    progress_total = models.PositiveBigIntegerField(_("总数"), default=0)
    message = models.CharField(_("进度说明"), max_length=500, blank=True)
    result = models.JSONField(_("结果"), null=True, blank=True, encoder=DjangoJSONEncoder)
    error = models.TextField(_("错误"), blank=True)
    # A plain id, not a foreign key: core sits below accounts (as in the audit tables).
    created_by_pk = models.BigIntegerField(_("发起人编号"), null=True, blank=True, db_index=True)
    task_id = models.CharField(_("后台任务编号"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"

    @property
    def kind_label(self) -> str:
        """The human name registered for this kind of job (`core.jobs.register_job_kind`), else its code."""
        from govtrust.core.jobs import job_kind_label

        return job_kind_label(self.kind)

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def percent(self) -> int | None:
        """0–100, or None while the total is unknown (an indeterminate progress bar)."""
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.progress_total:
            return None
        return max(0, min(100, self.progress_current * 100 // self.progress_total))
