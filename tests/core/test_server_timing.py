import re

import pytest
from django.test import Client


@pytest.mark.django_db
def test_every_response_says_how_long_django_took() -> None:
    response = Client().get("/search/?q=教育")
    assert response.status_code == 200
    assert re.fullmatch(r"app;dur=\d+\.\d{2}", response["Server-Timing"])


@pytest.mark.django_db
def test_a_not_found_page_carries_the_timing_too() -> None:
    response = Client().get("/records/XY20990000001/")
    assert response.status_code == 404
    assert response["Server-Timing"].startswith("app;dur=")


def test_a_views_own_timings_are_kept_and_the_total_comes_last(rf):
    from django.http import HttpResponse

    from govtrust.core.middleware import ServerTimingMiddleware

    def view(request):  # type: ignore[no-untyped-def]
        response = HttpResponse("ok")
        response["Server-Timing"] = "match;dur=1.25"
        return response

    header = ServerTimingMiddleware(view)(rf.get("/"))["Server-Timing"]
    assert header.startswith("match;dur=1.25, app;dur=")
