"""Fixtures for the remedies tests: the records cast plus a second decider, an agent and file helpers.

The cast (tests/records/conftest.py): 玄武区教育局 (xw_edu, user `xw`, recorded body) has a penalty record supplied
by 南京市发改委 (nj_credit, user `city`, city credit office: decides objections on records it supplied);
省发改委 (prov_credit, user `prov`) reviews.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from records.conftest import Cast, record_kwargs, role
from records.conftest import cast as cast  # noqa: F401  (fixture re-export)
from registry.builders import SYSTEM, make_user

from govtrust.accounts.models import User
from govtrust.records import services as record_services
from govtrust.records.models import CreditRecord

RECENT = datetime.date(2026, 10, 15)  # Order 36, 一般: minimum to 2027-01-15, maximum to 2027-10-15: in force now

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def pdf(name: str = "证明材料.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@dataclass
class World:
    cast: Cast
    record: CreditRecord
    decider2: User  # a second officer of the supplier
    agent: User  # a user of the district government who may be authorised as agent


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def make_record(cast: Cast, **overrides: Any) -> CreditRecord:
    return record_services.record_create(actor=SYSTEM, **record_kwargs(cast, **{"decision_date": RECENT, **overrides}))


@pytest.fixture
def world(cast) -> World:  # type: ignore[no-untyped-def]
    return World(
        cast=cast,
        record=make_record(cast),
        decider2=make_user("city2", cast.nj_credit, role("city_credit_office")),
        agent=make_user("agent", cast.xw_gov, role("recorded_body")),
    )
