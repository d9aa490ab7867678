"""Civil servants and persons exercise their own rights (seed 二(五)): objections and repair requests about their own
records, through a verified identity link (accounts.SubjectAccount); nobody may act for them, nor decide on them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from records.conftest import Cast, role
from registry.builders import make_id, make_user

from govtrust.accounts.models import User
from govtrust.accounts.services import subject_account_link
from govtrust.core.models import AccessLog, Notification
from govtrust.records.models import CreditRecord, RecordStatus
from govtrust.registry import services as registry_services
from govtrust.remedies import services
from govtrust.remedies.models import Objection, ObjectionStatus, RepairRequest, RepairStatus, records_under_objection

from .conftest import make_record, pdf

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 2)  # a Monday


@dataclass
class People:
    cast: Cast
    servant_user: User  # 张三丰, linked to his own ID
    person_user: User  # 李四光, linked to his own ID
    discipline: CreditRecord  # a 警告 处分 of 张三丰, supplied by 南京市发改委
    penalty: CreditRecord  # a 一般 administrative penalty of 李四光, supplied by 南京市发改委


def in_force(record: CreditRecord) -> CreditRecord:
    CreditRecord.objects.filter(pk=record.pk).update(status=RecordStatus.IN_FORCE)
    return CreditRecord.objects.get(pk=record.pk)


@pytest.fixture
def people(cast) -> People:  # type: ignore[no-untyped-def]
    servant_user = make_user("zsf", cast.xw_edu)  # no role: the right is his own, not his body's
    person_user = make_user("lsg", None)
    subject_account_link(actor=cast.prov_user, user=servant_user, id_number=make_id(1))
    subject_account_link(actor=cast.prov_user, user=person_user, id_number=make_id(2))
    discipline = make_record(
        cast, subject=cast.servant, record_class="discipline", sub_type="warning", severity="",
        document_number="玄纪处〔2026〕3号", authority_name="中共南京市玄武区纪律检查委员会",
        authority_uscc=cast.xw_discipline.uscc, content="警告处分",
    )  # fmt: skip
    penalty = make_record(cast, subject=cast.person, document_number="宁市监罚〔2026〕8号")
    return People(cast, servant_user, person_user, in_force(discipline), in_force(penalty))


def file(actor, record, **kw):  # type: ignore[no-untyped-def]
    return services.objection_file(actor=actor, record=record, claim="处分决定书文号录入错误", today=DAY, **kw)


def test_a_linked_civil_servant_files_an_objection_about_his_own_record_and_hears_the_decision(people, client):  # type: ignore[no-untyped-def]
    c = people.cast
    o = file(people.servant_user, people.discipline)
    assert (o.subject, o.subject_hash, o.routed_to) == (None, c.servant.id_number_hash, c.nj_credit)
    assert o.subject_display == "张三丰" and o.agent_authorisation is None
    assert records_under_objection([people.discipline.pk]) == {people.discipline.pk}
    assert Notification.objects.filter(recipient=c.city_user, title__contains=o.number).exists()

    o = services.objection_accept(actor=c.city_user, objection=o, today=DAY)
    o = services.objection_decide(actor=c.city_user, objection=o, outcome=ObjectionStatus.PARTLY_UPHELD,
                                  reasons="文号更正", record_action="correct",
                                  changes={"document_number": "玄纪处〔2026〕4号"}, today=DAY)  # fmt: skip
    assert o.status == ObjectionStatus.PARTLY_UPHELD
    assert CreditRecord.objects.get(pk=people.discipline.pk).document_number == "玄纪处〔2026〕4号"
    decided = Notification.objects.filter(recipient=people.servant_user, title__contains="已作出决定")
    assert decided.filter(title__contains=o.number).exists()
    # His body's filers hear nothing of it: it is his case, not theirs.
    assert not Notification.objects.filter(recipient=c.xw_user, title__contains=o.number).exists()

    # He follows it: the detail page, his list, and a review request (复核) of his own.
    client.force_login(people.servant_user)
    page = client.get(f"/console/remedies/objections/{o.number}/").content.decode()
    assert o.number in page and "张三丰" in page and "公职人员政务处分法" in page
    mine = client.get("/console/remedies/mine/").content.decode()
    assert o.number in mine and people.discipline.number in mine
    o = services.objection_request_review(actor=people.servant_user, objection=o, reasons="仍有错误", today=DAY)
    assert o.status == ObjectionStatus.REVIEW_REQUESTED
    reviewed = services.objection_review(actor=c.prov_user, objection=o, outcome=ObjectionStatus.REVIEW_MAINTAINED,
                                         reasons="维持", today=DAY)  # fmt: skip
    assert reviewed.status == ObjectionStatus.REVIEW_MAINTAINED
    assert Notification.objects.filter(recipient=people.servant_user, title__contains="复核结论").exists()


def test_nobody_else_may_file_for_a_civil_servant(people, client):  # type: ignore[no-untyped-def]
    c = people.cast
    other_servant = registry_services.civil_servant_create(
        actor=c.prov_user, agency=c.xw_edu, name="王五", id_number=make_id(3)
    )
    other_user = make_user("ww", c.xw_edu, role("recorded_body"))
    subject_account_link(actor=c.prov_user, user=other_user, id_number=make_id(3))
    assert other_servant.id_number_hash != c.servant.id_number_hash
    # The unlinked user, another (linked) civil servant, his body's colleague holding remedies.file, its agent.
    services.agent_authorisation_grant(actor=c.xw_user, principal=c.xw_edu, agent=make_user("ag", c.xw_gov,
                                       role("recorded_body")), reference="委〔2026〕1号", valid_from=DAY)  # fmt: skip
    agent = User.objects.get(username="ag")
    for intruder in (c.norole_user, other_user, c.xw_user, agent, c.city_user):
        with pytest.raises(PermissionDenied):
            file(intruder, people.discipline)
        client.force_login(intruder)
        assert client.get(f"/console/remedies/records/{people.discipline.number}/objection/").status_code in (403, 404)
        assert client.post(f"/console/remedies/records/{people.discipline.number}/objection/",
                           {"claim": "x", "requested_action": "correct"}).status_code in (403, 404)  # fmt: skip
    assert not Objection.objects.exists()
    # Nor may they withdraw or pursue his case once he filed it, nor see it.
    o = file(people.servant_user, people.discipline)
    for intruder in (c.xw_user, other_user, agent):
        with pytest.raises(PermissionDenied):
            services.objection_withdraw(actor=intruder, objection=o, today=DAY)
        client.force_login(intruder)
        assert client.get(f"/console/remedies/objections/{o.number}/").status_code == 404
    # A person's record cannot be claimed by the civil servant either, nor the other way round.
    with pytest.raises(PermissionDenied):
        file(people.servant_user, people.penalty)
    with pytest.raises(PermissionDenied):
        file(people.person_user, people.discipline)


def person_linked_to(cast: Cast, user: User, n: int, name: str) -> CreditRecord:
    person = registry_services.person_create(actor=cast.prov_user, name=name, id_number=make_id(n))
    subject_account_link(actor=cast.prov_user, user=user, id_number=make_id(n))
    return in_force(make_record(cast, subject=person, document_number=f"宁市监罚〔2026〕{n}号"))


def test_the_recorded_person_can_never_decide_or_review_his_own_objection(people):  # type: ignore[no-untyped-def]
    c = people.cast
    decider = make_user("city3", c.nj_credit, role("city_credit_office"))  # an officer of the supplier …
    record = person_linked_to(c, decider, 4, "赵六")  # … who is himself recorded
    o = file(decider, record)  # his own right, like anyone's
    with pytest.raises(PermissionDenied):
        services.objection_accept(actor=decider, objection=o, today=DAY)
    o = services.objection_accept(actor=c.city_user, objection=o, today=DAY)
    with pytest.raises(PermissionDenied):
        services.objection_decide(actor=decider, objection=o, outcome=ObjectionStatus.REJECTED, reasons="无误",
                                  today=DAY)  # fmt: skip
    assert not services.can_handle(decider, o.routed_to, o.subject, subject_hash=o.subject_hash)
    assert services.can_handle(c.city_user, o.routed_to, o.subject, subject_hash=o.subject_hash)
    o = services.objection_decide(actor=c.city_user, objection=o, outcome=ObjectionStatus.REJECTED, reasons="无误",
                                  today=DAY)  # fmt: skip
    o = services.objection_request_review(actor=decider, objection=o, reasons="不服", today=DAY)
    # A provincial reviewer who is the recorded person may not review it either.
    reviewer = make_user("prov2", c.prov_credit, role("provincial_credit_office"))
    reviewed_record = person_linked_to(c, reviewer, 5, "钱七")
    r = file(reviewer, reviewed_record)
    r = services.objection_accept(actor=c.city_user, objection=r, today=DAY)
    r = services.objection_decide(actor=c.city_user, objection=r, outcome=ObjectionStatus.REJECTED, reasons="无误",
                                  today=DAY)  # fmt: skip
    r = services.objection_request_review(actor=reviewer, objection=r, reasons="不服", today=DAY)
    with pytest.raises(PermissionDenied):
        services.objection_review(actor=reviewer, objection=r, outcome=ObjectionStatus.REVIEW_MAINTAINED,
                                  reasons="维持", today=DAY)  # fmt: skip
    services.objection_review(actor=c.prov_user, objection=o, outcome=ObjectionStatus.REVIEW_MAINTAINED,
                              reasons="维持", today=DAY)  # fmt: skip


def apply(user, record, day, **kw):  # type: ignore[no-untyped-def]
    data = {
        "actor": user, "record": record, "corrective_actions": "已缴纳罚款", "obligations_performed": True,
        "pledge_text": services.pledge_template(record.subject_name, personal=True), "pledge_confirmed": True,
        "pledge_file": pdf("信用承诺书.pdf"), "evidence": [pdf("缴款凭证.pdf")], "today": day,
    }  # fmt: skip
    data.update(kw)
    return services.repair_file(**data)


def test_a_persons_penalty_is_refused_repair_on_the_last_day_of_the_minimum_and_repaired_the_next(people):  # type: ignore[no-untyped-def]
    c = people.cast
    first = services.eligibility(people.penalty, today=DAY).eligible_from
    assert first is not None and people.penalty.publicity_min_end == first - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as err:
        apply(people.person_user, people.penalty, first - datetime.timedelta(days=1))
    assert f"{first.isoformat()}起方可申请" in " ".join(err.value.message_dict["record"])
    with pytest.raises(PermissionDenied):  # nobody else, even on the right day
        apply(c.xw_user, people.penalty, first)
    repair = apply(people.person_user, people.penalty, first)
    assert (repair.subject, repair.subject_hash, repair.handled_by) == (None, c.person.id_number_hash, c.nj_credit)
    assert repair.pledge_text.startswith("本人（李四光）")
    repair = services.repair_accept(actor=c.city_user, repair=repair, today=first)
    repair = services.repair_decide(actor=c.city_user, repair=repair, approve=True, reasons="已履行",
                                    reference="宁发改修〔2027〕1号", today=first)  # fmt: skip
    assert repair.status == RepairStatus.APPROVED
    assert CreditRecord.objects.get(pk=people.penalty.pk).status == RecordStatus.REPAIRED
    assert Notification.objects.filter(recipient=people.person_user, title__contains="准予修复").exists()


def test_a_civil_servants_discipline_record_is_barred_from_repair(people, client):  # type: ignore[no-untyped-def]
    verdict = services.eligibility(people.discipline, today=DAY + datetime.timedelta(days=3650))
    assert not verdict.eligible and "第八条" in verdict.barred_basis
    with pytest.raises(ValidationError) as err:
        apply(people.servant_user, people.discipline, DAY + datetime.timedelta(days=3650))
    assert "政务处分法" in " ".join(err.value.message_dict["record"])
    assert not RepairRequest.objects.exists()
    client.force_login(people.servant_user)
    page = client.get("/console/remedies/mine/").content.decode()
    assert "不适用" in page and "复审" in page
    assert f"/console/remedies/records/{people.discipline.number}/repair/" not in page


def test_my_records_lists_only_my_own_records_and_logs_the_read(people, client):  # type: ignore[no-untyped-def]
    client.force_login(people.servant_user)
    page = client.get("/console/remedies/mine/").content.decode()
    assert people.discipline.number in page and people.penalty.number not in page
    log = AccessLog.objects.filter(user_pk=people.servant_user.pk).latest("pk")
    assert "本人查看本人的信用记录" in log.purpose and people.discipline.number in str(log.detail)
    client.force_login(people.cast.xw_user)  # his body's filer: nothing of his, and no way to file
    page = client.get("/console/remedies/mine/").content.decode()
    assert "尚未关联本人身份" in page and people.discipline.number not in page
    body_page = client.get("/console/remedies/records/").content.decode()
    assert people.discipline.number not in body_page
    client.force_login(people.person_user)  # a person with no body and no role still reaches his page from the menu
    html = client.get("/console/remedies/mine/").content.decode()
    assert people.penalty.number in html and 'href="/console/remedies/mine/"' in html


def test_an_enterprise_record_is_not_taken_and_a_hostile_claim_is_kept_as_text(people, client):  # type: ignore[no-untyped-def]
    enterprise_record = make_record(people.cast, subject=people.cast.enterprise, document_number="宁市监罚〔2026〕9号")
    with pytest.raises(ValidationError):
        file(people.person_user, enterprise_record)
    o = services.objection_file(
        actor=people.person_user, record=people.penalty, claim="<script>alert(1)</script>'; DROP TABLE x;--", today=DAY
    )
    client.force_login(people.person_user)
    page = client.get(f"/console/remedies/objections/{o.number}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
