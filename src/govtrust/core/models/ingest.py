"""The import machinery's tables (归集): one ImportBatch per file, its staged rows and its rejected cells.

See `govtrust.core.ingest` and docs/ingest.md. Staged rows live only between validation and publication;
the domain objects a kind creates at publication carry (batch, row_number) as their provenance.
"""

from __future__ import annotations

from typing import ClassVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportBatch(models.Model):
    """One file submitted for one import kind by one supplier, and what became of it."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("已接收")
        STAGING = "staging", _("校验中")
        STAGED = "staged", _("已校验")
        PUBLISHING = "publishing", _("发布中")
        PUBLISHED = "published", _("已入库")
        REJECTED = "rejected", _("已退回（严格模式下存在错误行）")
        REFUSED = "refused", _("已拒收（文件无法读取）")
        FAILED = "failed", _("处理出错")

    # A batch in one of these states is finished; any other state can be run (again) by `ingest_run`.
    FINISHED = (Status.PUBLISHED, Status.REJECTED, Status.REFUSED)

    number = models.CharField(_("批次号"), max_length=20, unique=True)
    kind = models.CharField(_("导入类型"), max_length=100, db_index=True)
    supplier_code = models.CharField(_("报送单位统一社会信用代码"), max_length=18, blank=True, db_index=True)
    supplier_name = models.CharField(_("报送单位"), max_length=200, blank=True)
    file_name = models.CharField(_("文件名"), max_length=255)
    file_size = models.PositiveBigIntegerField(_("文件大小（字节）"), default=0)
    sha256 = models.CharField(_("文件SHA-256"), max_length=64)
    format = models.CharField(_("文件格式"), max_length=10, blank=True)
    encoding = models.CharField(_("文件编码"), max_length=20, blank=True)
    strict = models.BooleanField(_("严格模式"), default=False)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.RECEIVED)
    rows_total = models.PositiveBigIntegerField(_("总行数"), default=0)
    rows_valid = models.PositiveBigIntegerField(_("有效行数"), default=0)
    rows_rejected = models.PositiveBigIntegerField(_("错误行数"), default=0)
    rows_published = models.PositiveBigIntegerField(_("入库行数"), default=0)
    # The last data row whose chunk is committed: a re-run skips up to here.
    last_chunk_row = models.PositiveBigIntegerField(_("已提交至行"), default=0)
    warnings = models.JSONField(_("提示"), default=list, blank=True)
    message = models.TextField(_("说明"), blank=True)
    result = models.JSONField(_("入库结果"), null=True, blank=True, encoder=DjangoJSONEncoder)
    # Plain ids, not foreign keys: core sits below accounts (as in the audit tables).
    created_by_pk = models.BigIntegerField(_("提交人编号"), null=True, blank=True, db_index=True)
    created_by_name = models.CharField(_("提交人"), max_length=150, blank=True)
    job = models.UUIDField(_("后台任务编号"), null=True, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    # Set (not stored) by `ingest_start` when it hands back an already published batch of the same file.
    duplicate: bool = False
    # Set (not stored) during publication: the SQL name of the table holding the batch's typed staged rows — the
    # kind's own table, or the same table in the batch's attached staging file (`core.ingest.stagingfile`).
    typed_staging_table: str = ""

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("归集批次")
        verbose_name_plural = _("归集批次")
        indexes = [models.Index(fields=["sha256", "kind", "supplier_code"], name="core_importbatch_file")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class StagedRow(models.Model):
    """A validated row waiting for publication; deleted once its batch is published or rejected.

    `data` is the kind's validated values as compact JSON text (parsed by the framework, not the ORM:
    this table is written at bulk speed with executemany).
    """

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="+", db_index=False)
    row_number = models.PositiveBigIntegerField()
    natural_key = models.CharField(max_length=255, blank=True)
    data = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "row_number"], name="core_stagedrow_unique_row")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_number}"


class TypedStagedRow(models.Model):
    """Base of a kind's own staging table: typed columns instead of `StagedRow.data`'s JSON text.

    A kind whose rows go straight into one table (credit records) stages them in the same columns, so that
    publication is one `INSERT … SELECT` with no JSON to parse, and dropping the staged rows is a plain
    indexed delete. The kind names its subclass in `ImportKind.staging_model`; the framework writes and
    deletes its rows, the kind reads them at publication.
    """

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="+", db_index=False)
    row_number = models.PositiveBigIntegerField()
    natural_key = models.CharField(max_length=400, blank=True)
    # The row's rank among its batch's typed rows (1, 2, … in row order, set by the framework at staging): a kind
    # can number what it publishes from it without sorting (a window function over a million rows costs seconds).
    seq = models.PositiveBigIntegerField(null=True)

    # Whether what is staged here is public by policy and personal to nobody. Then its deletion after publication
    # need not overwrite the freed pages (SQLite built with SECURE_DELETE, as Debian's is, zeroes every freed
    # page: for a million staged rows ~700 MB more written, ~8 s). Otherwise the residual-information control of
    # GB/T 22239 (剩余信息保护) keeps the zeroing. A subclass sets it only when it holds no personal data.
    residue_is_public: ClassVar[bool] = False

    class Meta:
        abstract = True
        constraints = [models.UniqueConstraint(fields=["batch", "row_number"], name="%(app_label)s_%(class)s_row")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_number}"


class ImportRowError(models.Model):
    """One reason why one row of a batch was rejected (a row can have several)."""

    VALUE_MAX = 200

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="row_errors", db_index=False)
    row_number = models.PositiveBigIntegerField(_("行号"))
    column = models.CharField(_("列"), max_length=100, blank=True)
    value = models.CharField(_("值"), max_length=VALUE_MAX, blank=True)
    reason = models.CharField(_("原因"), max_length=500)

    class Meta:
        ordering = ["batch", "row_number", "pk"]
        verbose_name = _("错误行")
        verbose_name_plural = _("错误行")
        indexes = [models.Index(fields=["batch", "row_number"], name="core_importrowerror_row")]

    def __str__(self) -> str:
        return f"{self.row_number} {self.column}: {self.reason}"
