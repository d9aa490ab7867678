"""The pure rules: the catalogs and their basis, proposals, decisions, mitigation, leaders, timeliness, files."""

from __future__ import annotations

import datetime

import pytest

from govtrust.sanctions import policy

D = datetime.date
ON = D(2026, 5, 1)


def cat() -> policy.Catalog:
    return policy.catalog()


def test_every_measure_and_incentive_carries_the_seed_section_and_its_exact_words():
    for item in [*cat().measures.values(), *cat().incentives.values()]:
        assert item.basis.number == "苏政发〔2023〕55号"
        assert item.basis.document == "江苏省人民政府关于加强政务诚信建设的实施意见"
        assert item.basis.quote and item.basis.articles
    assert "书面说明原因并限期整改" in cat().measure("rectification").basis.quote
    assert cat().measure("honours_ineligible").basis.quote == "依规取消相关政府部门参加各类荣誉评选资格"
    assert cat().mitigation_basis.articles == "二(五)"


def test_values_not_found_in_the_seed_are_marked_provisional():
    assert cat().measure("public_criticism").provisional
    assert cat().measure("performance_deduction").provisional
    assert cat().measure("rectification").deadline_provisional
    assert not cat().measure("rectification").provisional
    assert all(spec.provisional for spec in cat().incentives.values())


def test_a_general_penalty_of_a_body_proposes_rectification_and_loss_of_honours():
    proposal = policy.propose(cat(), subject_kind="agency", record_class="penalty", severity="general", on=ON)
    assert proposal is not None
    assert [m.code for m in proposal.measures] == ["rectification", "honours_ineligible", "performance_deduction"]


def test_a_serious_record_also_proposes_the_accountability_of_the_leader():
    proposal = policy.propose(cat(), subject_kind="agency", record_class="penalty", severity="serious", on=ON)
    assert proposal is not None and "leader_accountability" in [m.code for m in proposal.measures]


def test_a_minor_record_only_proposes_rectification():
    proposal = policy.propose(cat(), subject_kind="agency", record_class="penalty", severity="minor", on=ON)
    assert proposal is not None and [m.code for m in proposal.measures] == ["rectification"]


def test_a_judgment_defaulter_proposes_accountability_whatever_the_severity():
    proposal = policy.propose(cat(), subject_kind="agency", record_class="defaulter", severity="", on=ON)
    assert proposal is not None and proposal.rule_id == "agency.defaulter"


def test_nothing_is_proposed_for_enterprises_or_persons_or_before_the_opinions_took_effect():
    assert policy.propose(cat(), subject_kind="enterprise", record_class="penalty", severity="general", on=ON) is None
    assert policy.propose(cat(), subject_kind="person", record_class="penalty", severity="serious", on=ON) is None
    before = D(2023, 6, 28)
    assert policy.propose(cat(), subject_kind="agency", record_class="penalty", severity="general", on=before) is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"decision": "confirm", "reason": " "}, "reason"),
        ({"decision": "maybe", "reason": "x"}, "decision"),
        ({"decision": "change", "reason": "x", "new_code": "nonsense"}, "new_code"),
        ({"decision": "change", "reason": "x", "new_code": "honours_ineligible"}, "new_code"),  # same as proposed
        (
            {"decision": "confirm", "reason": "x", "mitigated": True, "mitigation_grounds": ["recovered_loss"]},
            "mitigated",
        ),
        ({"decision": "decline", "reason": "x", "mitigated": True}, "mitigated"),  # no grounds recorded
        # 从轻 means lighter: a heavier measure is refused
        (
            {
                "decision": "change",
                "reason": "x",
                "new_code": "leader_accountability",
                "mitigated": True,
                "mitigation_grounds": ["removed_harm"],
            },
            "new_code",
        ),
    ],
)
def test_it_refuses_a_decision_without_reasons_or_with_inconsistent_mitigation(kwargs, field):
    errors = policy.check_decision(cat(), proposed="honours_ineligible", **kwargs)
    assert field in errors


def test_it_accepts_a_mitigated_change_to_a_lighter_measure_and_a_mitigated_decline():
    grounds = ["stopped_in_time"]
    assert not policy.check_decision(
        cat(),
        proposed="honours_ineligible",
        decision="change",
        reason="已挽回",
        new_code="public_criticism",
        mitigated=True,
        mitigation_grounds=grounds,
    )
    assert not policy.check_decision(
        cat(),
        proposed="honours_ineligible",
        decision="decline",
        reason="免于惩戒",
        mitigated=True,
        mitigation_grounds=grounds,
    )


def test_mitigation_needs_a_known_ground_and_a_statement():
    assert "grounds" in policy.check_mitigation([], "x")
    assert "grounds" in policy.check_mitigation(["bribed_us"], "x")
    assert "note" in policy.check_mitigation(["recovered_loss"], "  ")
    assert not policy.check_mitigation(["recovered_loss", "removed_harm"], "已全额退还")


def test_the_leader_on_the_day_of_the_handover_is_the_successor():
    terms = [policy.Term("old", D(2020, 1, 1), D(2024, 3, 31)), policy.Term("new", D(2024, 4, 1), None)]
    assert policy.leader_on(terms, D(2024, 3, 31)) == "old"
    assert policy.leader_on(terms, D(2024, 4, 1)) == "new"
    assert policy.leader_on(terms, D(2019, 12, 31)) is None


def test_the_conduct_date_selects_the_leader_and_the_decision_date_is_the_fallback():
    assert policy.reference_date(D(2024, 1, 2), D(2025, 1, 1)) == (D(2024, 1, 2), "conduct_date")
    assert policy.reference_date(None, D(2025, 1, 1)) == (D(2025, 1, 1), "decision_date")


def test_the_last_day_of_a_deadline_is_still_on_time():
    due = D(2026, 10, 30)
    assert policy.timeliness(due=due, done_on=due, today=D(2026, 11, 5)) == "done_on_time"
    assert policy.timeliness(due=due, done_on=D(2026, 10, 31), today=D(2026, 11, 5)) == "done_late"
    assert policy.timeliness(due=due, done_on=None, today=due) == "open_on_time"
    assert policy.timeliness(due=due, done_on=None, today=D(2026, 10, 31)) == "open_overdue"


def test_a_catalog_without_a_legal_basis_is_refused():
    with pytest.raises(policy.PolicyError):
        policy.parse_catalog(
            {"measures": [{"code": "x", "label": "x", "basis": {"articles": "1"}}], "mitigation": {}}, {}
        )
