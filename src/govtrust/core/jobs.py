"""Background jobs with progress that pages can poll.

    @job_task
    def import_bodies(job: Job, *, upload_id: int) -> dict:     # module level, in <app>/tasks.py
        rows = load(upload_id)
        job_progress(job, current=0, total=len(rows), message=_("正在导入"))
        for i, row in enumerate(rows, 1):
            body_create(actor=..., ...)                          # each row its own transaction
            if i % 100 == 0:
                job_progress(job, current=i)
        return {"imported": len(rows)}                           # becomes job.result

    job = job_create(actor=request.user, kind="registry.import_bodies")
    job_enqueue(job, import_bodies, upload_id=upload.pk)
    return redirect("console:job", job.public_id)              # the page with the progress bar

Progress is a single UPDATE and only visible to the polling page once committed, so do not wrap the
whole job in one transaction: commit work in chunks, and report progress between them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task
from django_tasks.base import Task

from govtrust.core.audit import log_change
from govtrust.core.models import Job, ObjectChange

logger = logging.getLogger(__name__)

_kind_labels: dict[str, Any] = {}


def register_job_kind(kind: str, label: Any) -> None:
    """Give a kind of job a (lazily translated) name for the progress page."""
    _kind_labels[kind] = label


def job_kind_label(kind: str) -> str:
    return str(_kind_labels.get(kind, kind))


def job_create(*, actor: Any, kind: str, total: int = 0) -> Job:
    """Record a queued job started by `actor` (a user, or None for the system)."""
    if not kind or len(kind) > 100:
        raise ValueError("job kind must be 1–100 characters")
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind,
            progress_total=max(0, total),
            created_by_pk=actor.pk if getattr(actor, "is_authenticated", False) else None,
        )
        log_change(actor=actor, action=ObjectChange.Action.CREATE, obj=job, after={"kind": kind})
    return job


def job_progress(job: Job, *, current: int, total: int | None = None, message: str = "") -> None:
    """Report progress: one cheap UPDATE, not audited (progress counters are not business state)."""
    values: dict[str, Any] = {"progress_current": max(0, current), "message": message[:500]}
    if total is not None:
        values["progress_total"] = max(0, total)
    Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(**values)
    for field, value in values.items():
        setattr(job, field, value)


def _finish(job: Job, *, status: str, result: Any = None, error: str = "") -> bool:
    now = timezone.now()
    values: dict[str, Any] = {"status": status, "finished_at": now, "result": result, "error": error}
    if status == Job.Status.SUCCEEDED:
        values["message"] = ""
    with transaction.atomic():
        # Only a job that is not finished yet: the wrapper of @job_task must not overwrite a job that
        # the task function already finished or failed itself.
        changed = Job.objects.filter(pk=job.pk).exclude(status__in=Job.FINISHED).update(**values)
        if changed:
            log_change(
                actor=None,
                action=ObjectChange.Action.TRANSITION,
                obj=job,
                before={"status": job.status},
                after={"status": status, "error": error[:500]},
            )
    if changed:
        for field, value in values.items():
            setattr(job, field, value)
    return bool(changed)


def job_finish(job: Job, *, result: Any = None) -> bool:
    """Mark the job succeeded with a JSON-able result. False if it had already finished."""
    return _finish(job, status=Job.Status.SUCCEEDED, result=result)


def job_fail(job: Job, *, error: str) -> bool:
    """Mark the job failed with a message for the user. False if it had already finished."""
    return _finish(job, status=Job.Status.FAILED, error=error)


class JobError(Exception):
    """Raise from a job function with a message meant for the user (e.g. "第3行：统一社会信用代码校验位错误")."""


def _user_message(exc: Exception, job: Job) -> str:
    # Only messages written for users are shown; anything else may carry internals (SQL, paths), so the
    # user gets a reference and the traceback goes to the log and the worker's task result.
    if isinstance(exc, JobError | ValidationError):
        return "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    return _("任务执行出错，请联系管理员（任务编号 %(id)s）") % {"id": job.public_id}


def _start(job: Job) -> bool:
    """Claim a queued job for running (a conditional UPDATE, so a task delivered twice runs once)."""
    now = timezone.now()
    started = Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(status=Job.Status.RUNNING, started_at=now)
    if started:
        job.status, job.started_at = Job.Status.RUNNING, now
    return bool(started)


def job_task(func: Callable[..., Any]) -> Task:
    """Make `func(job, **kwargs)` a django-task that runs for a Job and records its outcome.

    The task receives the job's public id; it marks the job running, then succeeded with the
    function's return value as result, or failed (a JobError's or ValidationError's message is shown to
    the user; other exceptions only by reference) and re-raises, so the worker records the traceback.
    Use at module level: the worker imports tasks by their path.
    """

    @functools.wraps(func)
    def run(job_id: str, **kwargs: Any) -> Any:
        job = Job.objects.get(public_id=job_id)
        if not _start(job):
            logger.warning("job %s is %s, not queued: not running it again", job_id, job.status)
            return None
        try:
            result = func(job, **kwargs)
        except Exception as exc:
            logger.exception("job %s failed", job_id)
            job_fail(job, error=_user_message(exc, job))
            raise
        job_finish(job, result=result)
        return result

    return task(run)


def job_enqueue(job: Job, job_task_: Task, **kwargs: Any) -> Job:
    """Queue `job_task_` (made with @job_task) to run for `job`; kwargs must be JSON-able."""
    if job.status != Job.Status.QUEUED:
        raise ValueError(_("只能提交排队中的任务"))
    result = job_task_.enqueue(str(job.public_id), **kwargs)
    # With the immediate backend (tests) the task has already run; refresh so callers see its outcome.
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job
