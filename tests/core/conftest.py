import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The legacy-code list is cached per process; a rolled-back test must not leave its list behind.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def audit_var(settings, tmp_path):
    """Audit tests write the checkpoint file and the SM2 key under a private VAR_DIR per test."""
    settings.VAR_DIR = tmp_path
    settings.GOVTRUST_SM2_PRIVATE_KEY = ""
    settings.GOVTRUST_AUDIT_TRUSTED_KEYS = []
    return tmp_path
