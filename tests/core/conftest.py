"""Audit tests write the checkpoint file and the SM2 key under a private VAR_DIR per test."""

from __future__ import annotations

import pytest


@pytest.fixture
def audit_var(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.GOVTRUST_SM2_PRIVATE_KEY = ""
    settings.GOVTRUST_AUDIT_TRUSTED_KEYS = []
    return tmp_path
