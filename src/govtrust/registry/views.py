"""Console pages for the registry: body detail, create/edit forms for bodies, leaders, civil servants,
persons and enterprises. Reads go through `visible_to` (404 outside the user's scope); writes need the
`registry.change` grant and go through the services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from govtrust.core.masking import mask_name
from govtrust.core.validators import normalise_code
from govtrust.registry import forms, services
from govtrust.registry.models import Agency, AgencyLeader, CivilServant, Enterprise
from govtrust.registry.permissions import CHANGE, VIEW, has_grant, in_scope, require_in_scope

PAGE_SIZE = 20


def _visible_agency(request: HttpRequest, uscc: str, action: str = VIEW) -> Agency:
    return get_object_or_404(
        Agency.objects.visible_to(request.user, action).select_related("region", "parent"), uscc=uscc
    )


def _editable_agency(request: HttpRequest, uscc: str) -> Agency:
    """404 when the user cannot even see the body, 403 when they see it but may not change it."""
    agency = _visible_agency(request, uscc)
    if not in_scope(request.user, agency, CHANGE):
        raise PermissionDenied
    return agency


def _form_page(request: HttpRequest, form: Any, *, title: str, back_url: str, **extra: Any) -> HttpResponse:
    return render(request, "registry/form.html", {"form": form, "title": title, "back_url": back_url, **extra})


@login_required
def agency_detail(request: HttpRequest, uscc: str) -> HttpResponse:
    agency = _visible_agency(request, uscc)
    servants = CivilServant.objects.filter(agency=agency).order_by("name", "pk")
    page = Paginator(servants, PAGE_SIZE).get_page(request.GET.get("page"))
    leaders = [(leader, mask_name(leader.name)) for leader in agency.leaders.order_by("-term_start")]
    context = {
        "agency": agency,
        "parent_visible": agency.parent is not None and in_scope(request.user, agency.parent, VIEW),
        "children": Agency.objects.visible_to(request.user).filter(parent=agency).order_by("name"),
        "leaders": leaders,
        "servant_count": page.paginator.count,
        "servants": [(s, mask_name(s.name)) for s in page.object_list],
        "page": page,
        "can_change": in_scope(request.user, agency, CHANGE),
        "can_create": has_grant(request.user, CHANGE),
    }
    return render(request, "registry/agency_detail.html", context)


@login_required
def agency_create(request: HttpRequest) -> HttpResponse:
    if not has_grant(request.user, CHANGE):
        raise PermissionDenied
    form = forms.AgencyForm(request.POST or None, initial={"parent_uscc": request.GET.get("parent", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                agency = services.agency_create(
                    actor=request.user,
                    uscc=data["uscc"],
                    name=data["name"],
                    region_code=data["region_code"],
                    parent_uscc=data["parent_uscc"] or None,
                    level=data["level"] or None,
                    org_type=data["org_type"],
                    is_credit_office=data["is_credit_office"],
                    status=data["status"],
                )
                require_in_scope(request.user, agency)
        except ValidationError as error:
            forms.apply_service_errors(form, error)
        else:
            messages.success(request, _("已登记“%(name)s”") % {"name": agency.name})
            return redirect("registry:agency_detail", uscc=agency.uscc)
    return _form_page(request, form, title=_("登记政府部门"), back_url="")


@login_required
def agency_edit(request: HttpRequest, uscc: str) -> HttpResponse:
    agency = _editable_agency(request, uscc)
    initial = {
        "uscc": agency.uscc,
        "name": agency.name,
        "region_code": agency.region.code,
        "parent_uscc": agency.parent.uscc if agency.parent else "",
        "level": agency.level,
        "org_type": agency.org_type,
        "is_credit_office": agency.is_credit_office,
        "status": agency.status,
    }
    form = forms.AgencyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                services.agency_update(
                    actor=request.user,
                    agency=agency,
                    uscc=data["uscc"],
                    name=data["name"],
                    region_code=data["region_code"],
                    parent_uscc=data["parent_uscc"] or None,
                    level=data["level"] or agency.level,
                    org_type=data["org_type"],
                    is_credit_office=data["is_credit_office"],
                    status=data["status"],
                )
                require_in_scope(request.user, agency)
        except ValidationError as error:
            forms.apply_service_errors(form, error)
            agency.refresh_from_db()  # the heading shows the stored name, not the rejected one
        else:
            messages.success(request, _("已保存"))
            return redirect("registry:agency_detail", uscc=agency.uscc)
    return _form_page(
        request, form, title=_("修改“%(name)s”") % {"name": agency.name}, back_url=_detail_url(agency), agency=agency
    )


def _detail_url(agency: Agency) -> str:
    return reverse("registry:agency_detail", kwargs={"uscc": agency.uscc})


@login_required
def leader_add(request: HttpRequest, uscc: str) -> HttpResponse:
    agency = _editable_agency(request, uscc)
    form = forms.LeaderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.agency_leader_add(
                actor=request.user,
                agency=agency,
                name=data["name"],
                position=data["position"],
                term_start=data["term_start"],
                term_end=data["term_end"],
                end_previous=not data["keep_previous"],
            )
        except ValidationError as error:
            forms.apply_service_errors(form, error)
        else:
            messages.success(request, _("已登记负责人任职"))
            return redirect("registry:agency_detail", uscc=agency.uscc)
    return _form_page(
        request, form, title=_("“%(name)s”新任负责人") % {"name": agency.name}, back_url=_detail_url(agency)
    )


@login_required
def leader_end(request: HttpRequest, uscc: str, pk: int) -> HttpResponse:
    agency = _editable_agency(request, uscc)
    leader = get_object_or_404(AgencyLeader, agency=agency, pk=pk)
    form = forms.LeaderEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.agency_leader_end(actor=request.user, leader=leader, term_end=form.cleaned_data["term_end"])
        except ValidationError as error:
            forms.apply_service_errors(form, error)
        else:
            messages.success(request, _("任期已结束"))
            return redirect("registry:agency_detail", uscc=agency.uscc)
    title = _("结束%(name)s的%(position)s任期") % {"name": mask_name(leader.name), "position": leader.position}
    return _form_page(request, form, title=title, back_url=_detail_url(agency))


@login_required
def civil_servant_create(request: HttpRequest, uscc: str) -> HttpResponse:
    agency = _editable_agency(request, uscc)
    form = forms.CivilServantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.civil_servant_create(actor=request.user, agency=agency, **data)
        except ValidationError as error:
            forms.apply_service_errors(form, error)
        else:
            messages.success(request, _("已登记公务员"))
            return redirect("registry:agency_detail", uscc=agency.uscc)
    return _form_page(
        request, form, title=_("“%(name)s”登记公务员") % {"name": agency.name}, back_url=_detail_url(agency)
    )


@login_required
def civil_servant_edit(request: HttpRequest, pk: int) -> HttpResponse:
    servant = get_object_or_404(CivilServant.objects.visible_to(request.user).select_related("agency"), pk=pk)
    if not in_scope(request.user, servant, CHANGE):
        raise PermissionDenied
    initial = {
        "name": servant.name,
        "position": servant.position,
        "start_date": servant.start_date,
        "end_date": servant.end_date,
    }
    form = forms.CivilServantEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if not data["id_number"]:
            del data["id_number"]  # blank keeps the stored number
        try:
            services.civil_servant_update(actor=request.user, civil_servant=servant, **data)
        except ValidationError as error:
            forms.apply_service_errors(form, error)
        else:
            messages.success(request, _("已保存"))
            return redirect("registry:agency_detail", uscc=servant.agency.uscc)
    return _form_page(
        request,
        form,
        title=_("修改公务员信息（%(id)s）") % {"id": servant.id_number_masked},
        back_url=_detail_url(servant.agency),
    )


@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    # Any change grant may register a person (e.g. an HR department's candidate); only "all" lists them.
    if not has_grant(request.user, CHANGE):
        raise PermissionDenied
    form = forms.PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            forms.apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("已登记自然人%(name)s（%(id)s）") % {"name": mask_name(person.name), "id": person.id_number_masked},
            )
            return redirect("registry:person_create")
    return _form_page(request, form, title=_("登记自然人"), back_url="")


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    if not has_grant(request.user, VIEW):
        raise PermissionDenied
    qs = Enterprise.objects.visible_to(request.user).select_related("region").order_by("uscc")
    query = (request.GET.get("q") or "").strip()
    if query:
        qs = qs.filter(Q(name__contains=query) | Q(uscc__startswith=normalise_code(query)))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "query": query, "can_create": has_grant(request.user, CHANGE)}
    return render(request, "registry/enterprise_list.html", context)


@login_required
def enterprise_create(request: HttpRequest) -> HttpResponse:
    if not has_grant(request.user, CHANGE):
        raise PermissionDenied
    form = forms.EnterpriseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                enterprise = services.enterprise_create(
                    actor=request.user, uscc=data["uscc"], name=data["name"], region_code=data["region_code"] or None
                )
                require_in_scope(request.user, enterprise)
        except ValidationError as error:
            forms.apply_service_errors(form, error)
        else:
            messages.success(request, _("已登记企业“%(name)s”") % {"name": enterprise.name})
            if enterprise.uscc_status == "legacy":
                messages.warning(request, _("该统一社会信用代码为历史代码（校验位不符），请核实"))
            return redirect("registry:enterprise_list")
    return _form_page(request, form, title=_("登记企业"), back_url="")
