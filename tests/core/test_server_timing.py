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
