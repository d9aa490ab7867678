from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from govtrust.core.periods import calendar_warnings


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"calendar_warnings": calendar_warnings(timezone.localdate())})
