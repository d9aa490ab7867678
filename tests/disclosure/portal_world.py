"""A hand-built world for the portal tests: the records cast plus published and unpublished records of every kind.

Published (`world.published`): a penalty on 玄武区教育局 whose facts name people (a registered leader, a labelled
legal representative, an ID and a phone number); a 行政机关败诉 judgment on 玄武区人民政府; a judgment defaulter
(苏州市财政局). Unpublished (`world.hidden`, each with a unique marker in its document number and facts): not yet
started, publicity ended, repaired, revoked, covered by a fault-tolerance ruling, marked not to publish, a
commendation, and records about a civil servant, a person and an enterprise. `world.corrected` is published, but
its old facts (`OLD_FACTS`) live only in its version history.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone
from records.conftest import Cast, record_kwargs
from records.conftest import cast as cast  # noqa: F401  (fixture re-export)
from registry.builders import SYSTEM, make_id

from govtrust.records import services as record_services
from govtrust.records.models import CreditRecord
from govtrust.registry import services as registry_services

OLD_FACTS = "旧事实OLDVERSION未按期公开预算"
LEADER = "欧阳明华"
LEGAL_REP = "王建国"
ID_NUMBER = make_id(7)
PHONE = "13812345678"


@dataclass
class World:
    cast: Cast
    penalty: CreditRecord
    lawsuit: CreditRecord
    defaulter: CreditRecord
    corrected: CreditRecord
    hidden: dict[str, CreditRecord] = field(default_factory=dict)

    @property
    def published(self) -> list[CreditRecord]:
        return [self.penalty, self.lawsuit, self.defaulter, self.corrected]


def recent(days: int = 40) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def make(cast: Cast, marker: str, **overrides: Any) -> CreditRecord:
    data = {
        "document_number": f"宁罚〔2026〕{marker}号",
        "facts": f"事实{marker}",
        "decision_date": recent(),
        **overrides,
    }
    return record_services.record_create(actor=SYSTEM, **record_kwargs(cast, **data))


def build_world(cast: Cast) -> World:
    registry_services.agency_leader_add(
        actor=SYSTEM, agency=cast.xw_edu, name=LEADER, position="局长", term_start=datetime.date(2024, 1, 1)
    )
    penalty = make(
        cast,
        "P1",
        facts=f"局长{LEADER}签批；法定代表人：{LEGAL_REP}，身份证号{ID_NUMBER}，电话{PHONE}，未按期支付中小企业款项",
        amount_fine="2",
    )
    lawsuit = make(
        cast,
        "P2",
        subject=cast.xw_gov,
        record_class="judgment",
        severity="serious",
        sub_type="admin_lawsuit_lost",
        document_number="（2026）苏01行终123号",
        authority_name="南京市中级人民法院",
        facts="行政机关败诉",
    )
    defaulter = make(
        cast,
        "P3",
        subject=cast.sz_finance,
        record_class="defaulter",
        severity="",
        sub_type="trigger_2",
        document_number="（2026）苏05执456号",
        authority_name="苏州市中级人民法院",
        facts="拒不履行生效判决",
    )
    corrected = make(cast, "P4", facts=OLD_FACTS)
    record_services.record_correct(
        actor=SYSTEM, record=corrected, changes={"facts": "更正后的事实"}, reason="复议决定变更"
    )
    hidden: dict[str, CreditRecord] = {}
    hidden["received"] = make(cast, "H1RECEIVED", decision_date=timezone.localdate() + datetime.timedelta(days=10))
    hidden["ended"] = make(cast, "H2ENDED", decision_date=datetime.date(2019, 3, 1))
    repaired = make(cast, "H3REPAIRED")
    record_services.record_repair(
        actor=SYSTEM, record=repaired, reason="已整改", reference="修复〔2026〕1号", today=datetime.date(2100, 1, 1)
    )
    hidden["repaired"] = repaired
    revoked = make(cast, "H4REVOKED")
    record_services.record_revoke(actor=SYSTEM, record=revoked, reason="决定被撤销")
    hidden["revoked"] = revoked
    covered = make(cast, "H5COVERED")
    ruling = record_services.ruling_record(
        actor=SYSTEM, number="容〔2026〕9号", authority=cast.xw_discipline, decision_date=recent(5), grounds="先行先试",
        subject=cast.xw_edu, conduct_description="改革探索", natural_keys=[covered.natural_key],
    )  # fmt: skip
    record_services.ruling_check(actor=SYSTEM, ruling=ruling, accepted=True, reason="")
    hidden["covered"] = covered
    no_publish = make(cast, "H6NOPUBLISH")
    CreditRecord.objects.filter(pk=no_publish.pk).update(publish=False)  # a rule that says "not published"
    hidden["no_publish"] = no_publish
    hidden["commendation"] = make(cast, "H7COMMEND", record_class="commendation", severity="", sub_type="commendation")
    hidden["servant"] = make(
        cast, "H8SERVANT", subject=cast.servant, record_class="discipline", severity="", sub_type="warning"
    )
    hidden["person"] = make(cast, "H9PERSON", subject=cast.person)
    hidden["enterprise"] = make(cast, "H10ENTERPRISE", subject=cast.enterprise)
    for key, record in hidden.items():
        record.refresh_from_db()
        assert not CreditRecord.objects.published().filter(pk=record.pk).exists(), key
    for record in (penalty, lawsuit, defaulter, corrected):
        assert CreditRecord.objects.published().filter(pk=record.pk).exists(), record.number
    return World(cast=cast, penalty=penalty, lawsuit=lawsuit, defaulter=defaulter, corrected=corrected, hidden=hidden)


@pytest.fixture
def world(cast) -> World:  # type: ignore[no-untyped-def]
    return build_world(cast)


def hidden_markers(world: World) -> list[str]:
    """Strings that must never appear in a public response: numbers, document numbers and names of hidden
    records, the civil servant's and the person's names, the old facts of the corrected record."""
    out = [OLD_FACTS]
    for record in world.hidden.values():
        out += [record.number, record.document_number]
    out += [world.cast.servant.name, world.cast.person.name, world.cast.enterprise.name]
    return out
