"""Shared fixtures: a fixed cast of users and bodies, built by hand (healthchecks style).

Browser tests run Playwright against the system Chromium (/usr/bin/chromium).
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("GOVTRUST_TESTING", "1")
# Playwright's sync API runs an event loop in this thread; Django must still allow ORM calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
VENDOR_HTMX = os.path.join(os.path.dirname(__file__), "..", "src", "govtrust", "static", "vendor", "htmx.min.js")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):  # type: ignore[no-untyped-def]
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make test` as root or `apt-get install chromium`")
    if not os.path.exists(VENDOR_HTMX):
        # The pages need htmx from npm (git-ignored, copied by `make assets`); without it they cannot work.
        pytest.fail(f"{VENDOR_HTMX} is missing: run `make assets` (make test does it)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


def pytest_report_header(config):  # type: ignore[no-untyped-def]
    from django.conf import settings

    db = settings.DATABASES["default"]
    return f"GovTrust database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or db['NAME']}"


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Each test reads the holiday calendar afresh: a cached one could hold a rolled-back test's CalendarYear."""
    from govtrust.core.periods import invalidate_calendar

    invalidate_calendar()
    yield
    invalidate_calendar()


@pytest.fixture(autouse=True)
def _no_rate_leases():
    """API rate-limit leases live in the process: a rolled-back test's client id comes back in the next test."""
    from govtrust.accounts.ratelimit import rate_leases_forget

    rate_leases_forget()
    yield
    rate_leases_forget()


@pytest.fixture(autouse=True)
def _private_var_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Keys and audit checkpoint files go to a per-test folder, never to the developer's var/."""
    settings.VAR_DIR = tmp_path
    return tmp_path


# Data migrations that ship reference data (regions, default roles, known legacy codes). A
# transactional test flushes every table when it ends, and Django's serialized rollback cannot be
# relied on here (Playwright's event loop gives the test a different connection object), so
# transactional tests reload the reference data at their start. Each loader is idempotent.
REFERENCE_DATA = [
    ("govtrust.core.migrations.0004_seed_known_legacy_codes", "seed"),
    ("govtrust.core.migrations.0005_load_jiangsu_regions", "load"),
    ("govtrust.accounts.migrations.0003_default_roles", "create_roles"),
    ("govtrust.accounts.migrations.0004_grant_records_ingest", "grant"),
    ("govtrust.accounts.migrations.0005_records_grants", "grant"),
    ("govtrust.remedies.migrations.0002_grants", "grant"),
    ("govtrust.sanctions.migrations.0002_grants", "grant"),
    ("govtrust.evaluation.migrations.0002_default_framework", "load"),
    ("govtrust.evaluation.migrations.0003_grants", "grant"),
    ("govtrust.disclosure.migrations.0002_grants", "grant"),
]


def ensure_reference_data() -> None:
    import importlib

    from django.apps import apps

    for module, function in REFERENCE_DATA:
        getattr(importlib.import_module(module), function)(apps, None)


def _is_transactional(request) -> bool:  # type: ignore[no-untyped-def]
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def _reference_data(request):  # type: ignore[no-untyped-def]
    if _is_transactional(request):
        request.getfixturevalue("transactional_db")
        ensure_reference_data()
