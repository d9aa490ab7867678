"""`record_insert_values` memoises the checks of the usual import row (`_insert_values_usual`): for every draft,
usual or not, it must give exactly what the general path (`_check_prechecked`) gives — the same values, or the same
refusal (None)."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal
from typing import Any

import pytest
from registry.builders import make_uscc

from govtrust.records import services
from govtrust.records.policy import RecordClass

AUTH = make_uscc(501, area="320100")
TODAY = datetime.date(2026, 5, 4)


def drafts(cast: Any) -> list[services.RecordDraft]:
    base = services.RecordDraft(
        subject=cast.xw_edu,
        record_class=RecordClass.PENALTY,
        severity="general",
        document_number="宁市监罚〔2025〕1号",
        authority_name="南京市市场监督管理局",
        authority_uscc=AUTH,
        decision_date=datetime.date(2025, 6, 2),
        facts="经查……",
        basis="《中华人民共和国行政处罚法》第二十八条",
        content="罚款2万元",
        amount_fine=Decimal("2"),
        source_row=7,
    )
    variants: list[dict[str, Any]] = [
        {},
        {"severity": "minor"},
        {"severity": "serious", "decision_date": datetime.date(2023, 4, 30)},
        {"decision_date": datetime.date(2023, 5, 1), "conduct_date": datetime.date(2023, 4, 1)},
        {"decision_date": datetime.date(2026, 3, 31)},
        {"decision_date": datetime.date(2026, 4, 1)},
        {"decision_date": datetime.date(2021, 1, 1)},  # publicity long over
        {"decision_date": datetime.date(2026, 6, 1)},  # after "today": received
        {"conduct_date": datetime.date(2025, 7, 1)},  # after the decision: refused
        {"decision_date": datetime.datetime(2025, 6, 2, 10, 0)},  # a datetime, not a date: refused
        {"severity": ""},  # a penalty needs a severity
        {"severity": "grave"},
        {"record_class": "nonsense"},
        {"sub_type": "x"},
        {"document_number": ""},
        {"document_number": "文" * 101},
        {"authority_name": ""},
        {"authority_name": "名" * 201},
        {"authority_uscc": ""},
        {"authority_uscc": AUTH[:-1] + ("0" if AUTH[-1] != "0" else "1")},
        {"authority_uscc": AUTH.lower()},
        {"facts": "事" * (services.TEXT_MAX + 1)},
        {"content": ""},
        {"extension_years": 2},
        {"extension_years": True},
        {"subject": cast.enterprise},
        {"subject": cast.person},
        {"subject": cast.servant},
        {"source_ref": "r" * 300},
        {"amount_fine": None, "amount_confiscated": Decimal("0.000001")},
    ]
    return [dataclasses.replace(base, **changes) for changes in variants]


@pytest.mark.django_db
def test_the_usual_path_gives_what_the_general_path_gives_for_every_draft(cast):
    usual_caches: dict[str, Any] = {}
    taken = 0
    for draft in drafts(cast) * 2:  # twice: the second time from the memos
        general = services._insert_values_checked(draft, today=TODAY, caches={}, cat=services.catalog.current_catalog())
        assert services.record_insert_values(draft, today=TODAY, caches=usual_caches) == general, draft
        taken += (
            services._insert_values_usual(draft, today=TODAY, caches=usual_caches, cat=usual_caches["cat"]) is not None
        )
    assert taken >= 2 * 9  # the usual drafts did take the memoised path
