"""Background jobs of screening: rebuilding the matcher's snapshot (queued when the delta grows)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from govtrust.core.jobs import job_task, register_job_kind
from govtrust.core.models import Job

INDEX_JOB = "screening.index"
register_job_kind(INDEX_JOB, _("重建比对索引快照"))


@job_task
def rebuild_index(job: Job) -> dict[str, Any]:
    from govtrust.screening.index import snapshot_build

    snapshot = snapshot_build()
    return {"snapshot": snapshot.name, "entries": snapshot.entries, "seconds": snapshot.build_seconds}
