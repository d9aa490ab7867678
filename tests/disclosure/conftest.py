"""The records cast plus an HR department, a civil servant who has an account, and the SXBZXR list.

玄武区人民政府 holds the district's organisation department (hr user `hr`, scope unit_and_below: 玄武区教育局 under
it); its civil servant 张三丰 (make_id(1)) has a 处分 record in force and a platform account `zsf` linked to his ID.
李四光 (make_id(2), a person) is a judgment defaulter on SXBZXR.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command
from records.conftest import PAST, Cast, cast, record_kwargs, role  # noqa: F401  (the records cast is reused)
from registry.builders import SYSTEM, make_id, make_user

from govtrust.accounts.models import SubjectAccount, User
from govtrust.records import services as record_services
from govtrust.records.models import CreditRecord


@dataclass
class World:
    cast: Cast
    hr: User
    servant_user: User
    record: CreditRecord


@pytest.fixture
def world(cast: Cast, django_capture_on_commit_callbacks: Any, tmp_path: Any) -> World:  # noqa: F811
    from django.utils import timezone

    recent = timezone.localdate().replace(day=1)
    with django_capture_on_commit_callbacks(execute=True):
        record = record_services.record_create(
            actor=cast.prov_user,
            **record_kwargs(
                cast,
                subject=cast.servant,
                record_class="discipline",
                sub_type="warning",
                severity="",
                document_number="玄纪处〔2026〕3号",
                authority_name="中共南京市玄武区纪律检查委员会",
                decision_date=recent if recent <= timezone.localdate() else PAST,
                content="警告处分",
            ),
        )
    load_defaulters(tmp_path, [["李四光", "", make_id(2), "南京", "拒不履行生效判决", "2025-01-02", ""]])
    hr = make_user("hr", cast.xw_gov, role("hr_department"))
    servant_user = make_user("zsf", cast.xw_edu)
    SubjectAccount.objects.create(user=servant_user, id_number_hash=cast.servant.id_number_hash,
                                  id_number_masked=cast.servant.id_number_masked, verified_by_name="test")  # fmt: skip
    return World(cast=cast, hr=hr, servant_user=servant_user, record=record)


def load_defaulters(tmp_path: Any, rows: list[list[str]]) -> None:
    header = ["name", "uscc", "id_number", "region", "reason", "listed_on", "delisted_on"]
    path = tmp_path / "sxbzxr.csv"
    lines = [",".join(header)] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    call_command("watchlist", "import", str(path), "--list", "SXBZXR", stdout=io.StringIO(), stderr=io.StringIO())


__all__ = ["SYSTEM", "World", "cast", "world", "load_defaulters"]
