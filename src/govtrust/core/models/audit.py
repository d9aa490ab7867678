from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ObjectChange(models.Model):
    """One state change made by a service: who, when, what, before and after.

    Append-only. Each row carries the SM3 hash of its content chained to the previous row's hash,
    so editing, inserting or deleting a row breaks the chain (`govtrust audit verify`).
    """

    class Action(models.TextChoices):
        CREATE = "create", _("新增")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        TRANSITION = "transition", _("状态变更")
        IMPORT = "import", _("批量导入")

    seq = models.BigIntegerField(_("序号"), unique=True)
    time = models.DateTimeField(_("时间"), db_index=True)
    # A plain id, not a foreign key: core sits below accounts, and audit rows outlive users.
    user_pk = models.BigIntegerField(_("操作人编号"), null=True, blank=True, db_index=True)
    user_name = models.CharField(_("操作人名称"), max_length=150, blank=True)
    request_id = models.UUIDField(_("请求编号"), null=True, blank=True, db_index=True)
    action = models.CharField(_("动作"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("对象类型"), max_length=100, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64, db_index=True)
    object_repr = models.CharField(_("对象"), max_length=200)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    prechange_data = models.JSONField(_("变更前"), null=True, blank=True)
    postchange_data = models.JSONField(_("变更后"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("变更记录")
        verbose_name_plural = _("变更记录")

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M} {self.user_name} {self.get_action_display()} {self.object_repr}"


class AccessLog(models.Model):
    """One read of personal data: who read whose data, and for what purpose. Append-only, hash-chained."""

    seq = models.BigIntegerField(_("序号"), unique=True)
    time = models.DateTimeField(_("时间"), db_index=True)
    # A plain id, not a foreign key: core sits below accounts, and audit rows outlive users.
    user_pk = models.BigIntegerField(_("查询人编号"), null=True, blank=True, db_index=True)
    user_name = models.CharField(_("查询人名称"), max_length=150, blank=True)
    request_id = models.UUIDField(_("请求编号"), null=True, blank=True)
    subject_type = models.CharField(_("被查询对象类型"), max_length=100, db_index=True)
    subject_id = models.CharField(_("被查询对象编号"), max_length=64, db_index=True)
    subject_repr = models.CharField(_("被查询对象"), max_length=200)
    purpose = models.CharField(_("用途"), max_length=200)
    detail = models.JSONField(_("详情"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("个人信息访问日志")
        verbose_name_plural = _("个人信息访问日志")

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M} {self.user_name} → {self.subject_repr} ({self.purpose})"
