"""The background job that runs an import batch (started by the upload page)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from govtrust.core.jobs import JobError, job_progress, job_task
from govtrust.core.models import ImportBatch, Job

JOB_KIND = "core.ingest"


@job_task
def run_import_batch(job: Job, *, batch_id: int) -> dict[str, Any]:
    from govtrust.core.ingest.services import ingest_run

    batch = ImportBatch.objects.get(pk=batch_id)

    def progress(done: int, total: int | None, message: str) -> None:
        job_progress(job, current=done, total=total, message=message)

    job_progress(job, current=0, message=_("正在读取文件"))
    batch = ingest_run(batch, progress=progress)
    if batch.status == ImportBatch.Status.REFUSED:
        raise JobError(batch.message)
    return {
        "batch": batch.number,
        "status": batch.status,
        "rows_total": batch.rows_total,
        "rows_valid": batch.rows_valid,
        "rows_rejected": batch.rows_rejected,
        "rows_published": batch.rows_published,
    }
