from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from govtrust.core.jobs import job_create, job_enqueue
from govtrust.core.models import AccessLog, Job, Notification, ObjectChange
from govtrust.core.navigation import dashboard_for
from govtrust.core.notifications import notification_mark_all_read, notification_mark_read, unread_count
from govtrust.core.periods import calendar_warnings
from govtrust.core.tasks import verify_audit_logs

INBOX_PAGE_SIZE = 20


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "calendar_warnings": calendar_warnings(timezone.localdate()),
        "cards": dashboard_for(request),
        "recent_jobs": Job.objects.filter(created_by_pk=request.user.pk).order_by("-created_at")[:5],
    }
    return render(request, "core/home.html", context)


# --- notifications inbox ------------------------------------------------------------------------


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    notifications = Notification.objects.filter(recipient_id=request.user.pk).order_by(
        F("read_at").asc(nulls_first=True), "-created_at", "-pk"
    )
    page = Paginator(notifications, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/inbox.html", {"page": page})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    # Filtering by recipient makes another user's notification a 404: its existence is not revealed.
    notification = get_object_or_404(Notification, pk=pk, recipient_id=request.user.pk)
    notification_mark_read(actor=request.user, notification=notification)
    if request.htmx:  # type: ignore[attr-defined]
        context = {"notification": notification, "unread": unread_count(request.user)}
        return render(request, "core/inbox.html#read-response", context)
    return redirect("console:inbox")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    notification_mark_all_read(actor=request.user)
    return redirect("console:inbox")


# --- jobs ---------------------------------------------------------------------------------------


def _visible_job(request: HttpRequest, public_id: uuid.UUID) -> Job:
    job = get_object_or_404(Job, public_id=public_id)
    if not (request.user.is_superuser or job.created_by_pk == request.user.pk):
        raise Http404  # not 403: do not confirm that someone else's job exists
    return job


@login_required
@require_GET
def job_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return render(request, "core/job_detail.html", {"job": _visible_job(request, public_id)})


@login_required
@require_GET
def job_progress(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The progress partial that the job page polls; without the polling trigger once the job finished."""
    return render(request, "core/job_detail.html#progress", {"job": _visible_job(request, public_id)})


@login_required
@require_GET
def job_status(request: HttpRequest, public_id: uuid.UUID) -> JsonResponse:
    """The same progress as JSON, for scripts and API callers with a session."""
    job = _visible_job(request, public_id)
    return JsonResponse(
        {
            "id": str(job.public_id),
            "kind": job.kind,
            "status": job.status,
            "progress_current": job.progress_current,
            "progress_total": job.progress_total,
            "percent": job.percent,
            "message": job.message,
            "result": job.result,
            "error": job.error,
            "created_at": job.created_at,
            "started_at": job.started_at,
            "finished_at": job.finished_at,
        },
        json_dumps_params={"ensure_ascii": False},
    )


# --- audit trail (auditors) ---------------------------------------------------------------------

AUDIT_PAGE_SIZE = 50


def _require_audit_view(request: HttpRequest) -> None:
    # core knows nothing of roles: it asks the user object for the grant (accounts implements it).
    if request.user.data_scope("audit.view") is None:  # type: ignore[union-attr]
        raise PermissionDenied


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Changes (ObjectChange) or personal-data reads (AccessLog), newest first, with filters."""
    _require_audit_view(request)
    tab = "access" if request.GET.get("log") == "access" else "changes"
    rows = AccessLog.objects.all() if tab == "access" else ObjectChange.objects.all()
    user_name = request.GET.get("user", "").strip()[:150]
    object_type = request.GET.get("type", "").strip()[:100]
    if user_name:
        rows = rows.filter(user_name__icontains=user_name)
    if object_type:
        field = "subject_type" if tab == "access" else "object_type"
        rows = rows.filter(**{field: object_type})
    page = Paginator(rows.order_by("-seq"), AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"tab": tab, "page": page, "user_name": user_name, "object_type": object_type}
    return render(request, "core/audit_log.html", context)


@login_required
@require_POST
def audit_verify(request: HttpRequest) -> HttpResponse:
    """Start a background verification of both logs and show its progress page."""
    _require_audit_view(request)
    job = job_create(actor=request.user, kind="audit.verify", total=2)
    job_enqueue(job, verify_audit_logs)
    return redirect("console:job", job.public_id)
