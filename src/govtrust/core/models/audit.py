from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditImmutableError(Exception):
    """Raised when code tries to change or delete an audit row through the ORM."""


class AppendOnlyQuerySet(models.QuerySet):
    """Audit rows are written once by `log_change` / `log_access` and never changed or removed.

    Raw SQL can still tamper with the table; that is what `govtrust audit verify` catches.
    """

    def update(self, **kwargs: Any) -> int:
        raise AuditImmutableError(f"{self.model.__name__} is append-only: rows cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditImmutableError(f"{self.model.__name__} is append-only: rows cannot be deleted")

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise AuditImmutableError(f"{self.model.__name__} is append-only: rows cannot be updated")

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        # Each row's hash depends on the row before it; only the audit functions can write one.
        raise AuditImmutableError(f"{self.model.__name__} rows are written one at a time by govtrust.core.audit")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditImmutableError(f"{type(self).__name__} is append-only: a saved row cannot be changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditImmutableError(f"{type(self).__name__} is append-only: rows cannot be deleted")


class ObjectChange(AppendOnlyModel):
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

    # The fields that enter row_hash, in this order (see govtrust.core.audit.row_digest). Changing
    # this list changes every hash: add a new hashed field only with a new chain version.
    HASHED_FIELDS: ClassVar[tuple[str, ...]] = (
        "seq",
        "time",
        "user_pk",
        "user_name",
        "request_id",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "message",
        "prechange_data",
        "postchange_data",
    )

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


class AccessLog(AppendOnlyModel):
    """One read of personal data: who read whose data, and for what purpose. Append-only, hash-chained."""

    HASHED_FIELDS: ClassVar[tuple[str, ...]] = (
        "seq",
        "time",
        "user_pk",
        "user_name",
        "request_id",
        "subject_type",
        "subject_id",
        "subject_repr",
        "purpose",
        "detail",
    )

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


class AuditCheckpoint(AppendOnlyModel):
    """A signed statement "log L had N rows, ending at seq S with hash H, at time T".

    Kept outside the audit tables, and also appended to VAR_DIR/audit/checkpoints.jsonl, so that
    deleting the tail of a log (and the checkpoint rows that describe it) is still caught.
    """

    class Log(models.TextChoices):
        OBJECT_CHANGE = "object_change", _("变更记录")
        ACCESS_LOG = "access_log", _("个人信息访问日志")

    log = models.CharField(_("日志"), max_length=20, choices=Log.choices)
    row_count = models.BigIntegerField(_("行数"))
    head_seq = models.BigIntegerField(_("末行序号"))
    head_hash = models.CharField(_("末行哈希"), max_length=64)
    created_at = models.DateTimeField(_("生成时间"), db_index=True)
    public_key = models.CharField(_("SM2 公钥"), max_length=130)
    signer_id = models.CharField(_("签名者标识"), max_length=100)
    signature = models.CharField(_("SM2 签名"), max_length=128)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["log", "head_seq"])]
        verbose_name = _("审计检查点")
        verbose_name_plural = _("审计检查点")

    def __str__(self) -> str:
        return f"{self.log} #{self.head_seq} ({self.row_count}) {self.created_at:%Y-%m-%d %H:%M}"
