import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The legacy-code list is cached per process; a rolled-back test must not leave its list behind.
    cache.clear()
    yield
    cache.clear()
