"""The legal-person 双公示 kind validates its usual row in one pass (`PenaltyLegalPerson._usual_row`): for every row
it takes, the outcome must be exactly the general path's (`RecordKind.validate_row`), and every row it cannot vouch
for — a bad cell anywhere, a change, an unregistered body, a legacy code … — must be left to the general path."""

from __future__ import annotations

import copy
import datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from registry.builders import SYSTEM, make_uscc

from govtrust.core.ingest.kinds import get_kind
from govtrust.core.ingest.parallel import check_cells
from govtrust.core.ingest.readers import open_source
from govtrust.core.ingest.services import ingest_start
from govtrust.records import services
from govtrust.records.formats.base import RecordKind

from .formats_helpers import LEGAL_HEADERS, legal_row, write_csv

LEGAL = "records.penalty_legal_person"
AUTH = make_uscc(501, area="320100")
EXISTING = "宁市监罚〔2025〕99号"
TOMORROW = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
HEADERS = [*LEGAL_HEADERS, "操作类型", "失信严重程度"]


def rows(cast: Any) -> list[tuple[dict[str, Any], bool]]:
    """(row, whether the usual path may take it)."""
    edu, gov = cast.xw_edu, cast.xw_gov
    usual = [
        legal_row(edu.name, edu.uscc, AUTH),
        legal_row(gov.name, gov.uscc, AUTH, 处罚类别="警告;罚款", 公示截止期="2027-01-01", 备注="无"),
        legal_row(gov.name, gov.uscc, AUTH, **{"罚款金额(万元)": "", "失信严重程度": "严重", "操作类型": "新增"}),
        legal_row(edu.name, edu.uscc, AUTH, 行政处罚决定书文号="宁罚[2024]3号", 处罚决定日期="2023-04-30"),
        legal_row(edu.name, edu.uscc, AUTH, 处罚决定日期="2026-04-01", 处罚有效期="2026-04-01"),
        legal_row(edu.name, edu.uscc, AUTH, **{"没收违法所得、没收非法财物的金额(万元)": "0.000001"}),
    ]
    other = [
        legal_row(edu.name, edu.uscc, AUTH, 操作类型="变更"),
        legal_row(edu.name, "11320102000000061A", AUTH),  # wrong check digit
        legal_row(edu.name, make_uscc(777, area="320100"), AUTH),  # an unregistered body
        legal_row("某公司", "91320100MA1XXXXX0X", AUTH),  # an enterprise (row path)
        legal_row(edu.name, edu.uscc, AUTH, 处罚决定日期="2025-02-30"),
        legal_row(edu.name, edu.uscc, AUTH, 处罚决定日期=TOMORROW),
        legal_row(edu.name, edu.uscc, AUTH, 处罚有效期="2024-01-01"),  # before the decision
        legal_row(edu.name, edu.uscc, AUTH, 公示截止期="2024-01-01"),
        legal_row(edu.name, edu.uscc, AUTH, **{"罚款金额(万元)": "-1"}),
        legal_row(edu.name, edu.uscc, AUTH, **{"罚款金额(万元)": "1.1234567"}),
        legal_row(edu.name, edu.uscc, AUTH, **{"罚款金额(万元)": "100000000"}),
        legal_row(edu.name, edu.uscc, AUTH, 处罚类别="打板子"),
        legal_row(edu.name, edu.uscc, AUTH, 违法事实="含\x07控制字符"),
        legal_row(edu.name, edu.uscc, AUTH, 行政处罚决定书文号="文" * 101),
        legal_row("名" * 201, edu.uscc, AUTH),
        legal_row(edu.name, edu.uscc, AUTH, **{"行政相对人代码_2(工商注册号)": "x" * 41}),
        legal_row(edu.name, edu.uscc, AUTH, 法定代表人身份证号="32010219800101001X"),
        legal_row(edu.name, edu.uscc, "11320102000000061A"),  # authority with a wrong check digit
        legal_row(edu.name, edu.uscc, AUTH, 数据来源单位统一社会信用代码="123"),
        legal_row(edu.name, edu.uscc, AUTH, 行政处罚决定书文号=EXISTING),  # already a record
        legal_row(edu.name, edu.uscc, AUTH, 处罚机关="<script>alert(1)</script>'; DROP TABLE x"),  # fine text
    ]
    return [(row, True) for row in usual] + [(row, False) for row in other[:-1]] + [(other[-1], True)]


def existing_record(cast: Any) -> None:
    services.record_create(
        actor=SYSTEM,
        subject=cast.xw_edu,
        record_class="penalty",
        severity="general",
        document_number=EXISTING,
        authority_name="南京市市场监督管理局",
        authority_uscc=AUTH,
        decision_date=datetime.date(2025, 6, 2),
        facts="另行报送",
        basis="《行政处罚法》第九条",
        content="警告",
        supplier=cast.nj_credit,
        source="console",
    )


def outcome(result: Any) -> tuple[Any, ...]:
    return (result.data, result.errors, result.natural_key, result.typed)


@pytest.mark.django_db
def test_the_usual_row_path_gives_the_general_paths_outcome_or_leaves_the_row_to_it(cast, tmp_path: Path):
    existing_record(cast)
    data = rows(cast)
    path = write_csv(tmp_path / "p.csv", HEADERS, [row for row, _usual in data])
    batch = ingest_start(actor=SYSTEM, kind=LEGAL, source=path, file_name=path.name, supplier_code=cast.nj_credit.uscc)
    kind = copy.copy(get_kind(LEGAL))
    kind.begin(batch)
    source = open_source(path, path.name, kind)
    taken = 0
    for (row_number, values, _problem), (_row, usual) in zip(source.rows(), data, strict=True):
        if check_cells(values, kind):
            assert not usual
            continue
        general = RecordKind.validate_row(kind, dict(values), row_number=row_number)  # fills the memos
        fast = kind._usual_row(dict(values), row_number)
        assert (fast is not None) is usual, (row_number, general.errors)
        if fast is not None:
            taken += 1
            assert outcome(fast) == outcome(general)
        assert outcome(kind.validate_row(dict(values), row_number=row_number)) == outcome(general)
    assert taken == 7
