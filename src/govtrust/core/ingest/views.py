"""Console pages of the import machinery under /console/ingest/: upload, batch list, batch page, downloads.

Who sees which batch (`visible_batches`): a user sees the batches they submitted; with a `records.ingest`
grant of scope "all" every batch; with a narrower grant also the batches of every supplier body inside
that scope (the registry tells core which bodies those are, see `kinds.Suppliers`) — so a supplier sees its
own body's batches and a credit office those of the suppliers in its region.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from govtrust.core.exports import xlsx_response
from govtrust.core.ingest.kinds import ImportKind, all_kinds, suppliers
from govtrust.core.ingest.reports import error_report_xlsx, template_xlsx
from govtrust.core.ingest.services import ingest_attach_job, ingest_start, kind_or_error
from govtrust.core.ingest.tasks import JOB_KIND, run_import_batch
from govtrust.core.jobs import job_create, job_enqueue
from govtrust.core.models import ImportBatch, ImportRowError, Job

INGEST = "records.ingest"
ERRORS_SHOWN = 200
PAGE_SIZE = 30


def uploadable_kinds(user: Any) -> list[ImportKind]:
    return [k for k in all_kinds() if user.data_scope(k.action) is not None]


def visible_batches(user: Any) -> QuerySet[ImportBatch]:
    batches = ImportBatch.objects.all()
    scope = user.data_scope(INGEST)
    if scope == "all":
        return batches
    visible = Q(created_by_pk=user.pk)
    registry = suppliers()
    if scope in ("unit_and_below", "unit") and registry is not None:
        visible |= Q(supplier_code__in=registry.codes_visible_to(user, INGEST))
    return batches.filter(visible)


def _batch_for(request: HttpRequest, number: str) -> ImportBatch:
    batch = visible_batches(request.user).filter(number=number).first()
    if batch is None:
        raise Http404  # not 403: do not confirm that someone else's batch exists
    return batch


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("导入类型"))
    file = forms.FileField(
        label=gettext_lazy("文件"),
        help_text=gettext_lazy("CSV（UTF-8或GBK）、JSON Lines或Excel（.xlsx，不超过20万行）"),
    )
    strict = forms.BooleanField(label=gettext_lazy("严格模式：任何一行有错误则整批不入库"), required=False)

    def __init__(self, *args: Any, kinds: list[ImportKind], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.code, k.label) for k in kinds]  # type: ignore[attr-defined]


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    kinds = uploadable_kinds(user)
    if not kinds:
        raise PermissionDenied
    form = UploadForm(
        request.POST or None, request.FILES or None, kinds=kinds, initial={"kind": request.GET.get("kind")}
    )
    if request.method == "POST" and form.is_valid():
        agency = getattr(user, "agency", None)
        upload_file = form.cleaned_data["file"]
        try:
            if agency is None:
                raise ValidationError(_("您的账号未关联单位，无法报送数据"))
            batch = ingest_start(
                actor=user,
                kind=form.cleaned_data["kind"],
                source=upload_file,
                file_name=upload_file.name,
                supplier_code=agency.uscc,
                strict=form.cleaned_data["strict"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if batch.duplicate:
                return redirect("ingest:batch", batch.number)
            running = batch.job and Job.objects.filter(public_id=batch.job).exclude(status__in=Job.FINISHED).exists()
            if not running:
                job = job_create(actor=user, kind=JOB_KIND)
                ingest_attach_job(batch=batch, job_id=job.public_id)
                job_enqueue(job, run_import_batch, batch_id=batch.pk)
            return redirect("ingest:batch", batch.number)
    return render(request, "core/ingest/upload.html", {"form": form, "kinds": kinds})


@login_required
@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.data_scope(INGEST) is None and not uploadable_kinds(user):
        raise PermissionDenied
    batches = visible_batches(user).order_by("-created_at", "-pk")
    page = Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = {k.code: k.label for k in all_kinds()}
    for batch in page:
        batch.kind_label = labels.get(batch.kind, batch.kind)  # type: ignore[attr-defined]
    return render(request, "core/ingest/batch_list.html", {"page": page, "can_upload": bool(uploadable_kinds(user))})


def _detail_context(batch: ImportBatch) -> dict[str, Any]:
    job = Job.objects.filter(public_id=batch.job).first() if batch.job else None
    try:
        kind_label = kind_or_error(batch.kind).label
    except ValidationError:
        kind_label = batch.kind
    return {"batch": batch, "job": job, "kind_label": kind_label}


@login_required
@require_GET
def batch_detail(request: HttpRequest, number: str) -> HttpResponse:
    batch = _batch_for(request, number)
    errors = ImportRowError.objects.filter(batch=batch).order_by("row_number", "pk")[:ERRORS_SHOWN]
    context = {**_detail_context(batch), "errors": errors, "errors_shown": ERRORS_SHOWN}
    return render(request, "core/ingest/batch_detail.html", context)


@login_required
@require_GET
def batch_status(request: HttpRequest, number: str) -> HttpResponse:
    """The status partial the batch page polls while the batch is being processed."""
    batch = _batch_for(request, number)
    return render(request, "core/ingest/batch_detail.html#status", _detail_context(batch))


@login_required
@require_GET
def error_report(request: HttpRequest, number: str) -> HttpResponse:
    batch = _batch_for(request, number)
    if not batch.rows_rejected:
        raise Http404
    return xlsx_response(error_report_xlsx(batch), f"{batch.number}-errors.xlsx")


@login_required
@require_GET
def template(request: HttpRequest, kind: str) -> HttpResponse:
    user: Any = request.user
    try:
        import_kind = kind_or_error(kind)
    except ValidationError:
        raise Http404 from None
    if user.data_scope(import_kind.action) is None:
        raise PermissionDenied
    return xlsx_response(template_xlsx(import_kind), f"{import_kind.code}-template.xlsx")
