"""Background computation of a big evaluation run (thousands of bodies × 1,000 Monte Carlo runs)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from govtrust.core.jobs import JobError, job_progress, job_task
from govtrust.core.models import Job
from govtrust.evaluation.models import EvaluationRun, RunStatus


@job_task
def run_evaluation(job: Job, *, number: str) -> dict[str, Any]:
    from govtrust.evaluation.services import evaluation_run_execute

    run = EvaluationRun.objects.get(number=number)
    job_progress(job, current=0, total=3, message=_("正在准备数据"))
    run = evaluation_run_execute(run, progress=lambda step, message: job_progress(job, current=step, message=message))
    if run.status == RunStatus.FAILED:
        raise JobError(run.error)
    job_progress(job, current=3)
    return {"run": run.number, "results_sha256": run.results_sha256}
