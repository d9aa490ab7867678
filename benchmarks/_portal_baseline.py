"""WSGI application for portal.py's framework ceiling: the platform's settings and full middleware stack, one view
that answers every path with a constant. Served by gunicorn exactly like `govtrust.wsgi`, driven by the same load
generator with the same request paths, so `baseline_rps` is what Django + gunicorn + middleware allow on this
machine before the portal's own queries and templates. Not run by `make bench` (leading underscore).
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govtrust.settings")

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.urls import re_path  # noqa: E402


def constant(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [re_path(r"", constant)]
settings.ROOT_URLCONF = __name__
application = get_wsgi_application()
