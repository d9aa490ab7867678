"""The records cast plus the users the sanctions workflows need.

玄武区教育局 (xw_edu, parent 玄武区人民政府 xw_gov) is the recorded body; 南京市发改委 (city credit office) decides;
玄武区纪委 (xw_discipline) receives referrals.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from records.conftest import Cast, cast, record_kwargs, role  # noqa: F401  (the records cast is reused)
from registry.builders import make_user

from govtrust.accounts.models import User
from govtrust.records import services as record_services
from govtrust.records.models import CreditRecord


@dataclass
class People:
    officer: User  # city credit office: decides and reviews
    body: User  # 玄武区教育局, recorded body: responds to its orders
    superior: User  # 玄武区人民政府, recorded body: told when a subordinate is overdue
    discipline: User  # 玄武区纪委: records referral outcomes
    other_body: User  # 苏州市财政局: outside everything here


@pytest.fixture
def people(cast: Cast) -> People:  # noqa: F811
    return People(
        officer=cast.city_user,
        body=cast.xw_user,
        superior=make_user("xwgov", cast.xw_gov, role("recorded_body")),
        discipline=make_user("xwjw", cast.xw_discipline, role("discipline_department")),
        other_body=cast.sz_user,
    )


def recent(days: int = 20) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def make_record(cast: Cast, capture: Any, **overrides: Any) -> CreditRecord:  # noqa: F811
    """Create a record in force and deliver its events (the subscribers run as after a real commit)."""
    overrides.setdefault("decision_date", recent())
    data = record_kwargs(cast, **overrides)
    with capture(execute=True):
        return record_services.record_create(actor=cast.prov_user, **data)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Evidence files go to a per-test folder, never to the developer's var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
