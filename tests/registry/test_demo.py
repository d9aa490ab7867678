"""The demo data set: deterministic, valid codes and IDs, one credit office per region, idempotent."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from govtrust.accounts.models import User
from govtrust.core.crypto import keyed_hash, sm4_decrypt
from govtrust.core.masking import mask_id_number
from govtrust.core.models import ObjectChange, Region
from govtrust.core.validators import check_id_number, check_uscc
from govtrust.demo.generator import generate
from govtrust.demo.loader import DEMO_LOGINS, DEMO_PASSWORD, demo_info, load_demo, region_rows
from govtrust.demo.models import DemoLoad
from govtrust.registry.models import Agency, AgencyLeader, CivilServant, Enterprise, Person
from govtrust.registry.search import agency_search

SCALE = 0.02


@pytest.fixture
def loaded(db):
    result = load_demo(seed=7, scale=SCALE)
    assert result.loaded
    return result


def test_the_same_seed_gives_the_same_bodies_and_a_different_seed_does_not(db):
    regions = region_rows()
    first = generate(regions, seed=7, scale=SCALE)
    again = generate(regions, seed=7, scale=SCALE)
    other = generate(regions, seed=8, scale=SCALE)
    assert [(b.uscc, b.name) for b in first.bodies] == [(b.uscc, b.name) for b in again.bodies]
    assert [p.id_number for p in first.civil_servants] == [p.id_number for p in again.civil_servants]
    assert {b.uscc for b in first.bodies}.isdisjoint({b.uscc for b in other.bodies})


def test_the_loaded_database_holds_exactly_the_generated_codes(loaded):
    expected = generate(region_rows(), seed=7, scale=SCALE)
    assert set(Agency.objects.values_list("uscc", flat=True)) == {b.uscc for b in expected.bodies}


def test_every_generated_uscc_and_id_number_is_valid(loaded):
    for uscc in list(Agency.objects.values_list("uscc", flat=True)) + list(
        Enterprise.objects.values_list("uscc", flat=True)
    ):
        assert check_uscc(uscc).status == "valid", uscc
    for uscc, org_type in Agency.objects.values_list("uscc", "org_type"):
        assert uscc[:2] == ("11" if org_type == "organ" else "12")
    for person in list(CivilServant.objects.all()) + list(Person.objects.all()):
        number = sm4_decrypt(person.id_number_encrypted)
        assert number.startswith("329900"), "synthetic numbers must use the unassigned area code"
        assert check_id_number(number).status == "valid", number
        assert person.id_number_hash == keyed_hash(number)
        assert person.id_number_masked == mask_id_number(number)  # what the console lists show


def test_the_usccs_carry_the_region_of_their_body(loaded):
    for uscc, code in Agency.objects.values_list("uscc", "region__code"):
        assert uscc[2:8] == code[:6]


def test_every_province_city_and_county_has_one_government_and_one_credit_office(loaded):
    offices = Counter(Agency.objects.filter(is_credit_office=True).values_list("region__code", flat=True))
    divisions = Region.objects.filter(level__lte=3, kind="division")
    assert set(offices) == set(divisions.values_list("code", flat=True))
    assert set(offices.values()) == {1}
    assert Agency.objects.get(region__code="320000", is_credit_office=True).name == "江苏省发展和改革委员会"
    for region in divisions:
        assert Agency.objects.filter(region=region, name__endswith="人民政府").count() == 1


def test_departments_hang_under_their_government(loaded):
    finance = Agency.objects.get(name="南京市江宁区财政局")
    assert finance.parent is not None and finance.parent.name == "南京市江宁区人民政府"
    assert finance.parent.parent is not None and finance.parent.parent.name == "南京市人民政府"


def test_leaders_have_a_current_term_and_earlier_ones(loaded):
    body = Agency.objects.get(name="江苏省人民政府")
    terms = list(AgencyLeader.objects.filter(agency=body).order_by("-term_start"))
    assert terms[0].term_end is None and terms[0].position == "省长" and terms[0].civil_servant is not None
    assert 2 <= len(terms) <= 3
    for later, earlier in zip(terms, terms[1:], strict=False):
        assert earlier.term_end is not None and earlier.term_end < later.term_start


def test_the_counts_follow_the_scale(loaded):
    assert CivilServant.objects.count() == 400
    assert Agency.objects.count() >= 109 * 2  # the skeleton stays whole below scale 0.11


def test_each_demo_login_works_with_the_shared_password(loaded, client):
    for login in DEMO_LOGINS:
        user = User.objects.get(username=login.username)
        assert user.check_password(DEMO_PASSWORD)
        assert user.roles.filter(code=login.role).exists()
    assert User.objects.get(username="admin").is_superuser
    nanjing = User.objects.get(username="nanjing_xinyong")
    assert nanjing.agency is not None and nanjing.agency.name == "南京市发展和改革委员会"
    visible = agency_search(Agency.objects.visible_to(nanjing), per_page=100)
    assert visible.total > 0 and all(a.region.city_code == "320100" for a in visible.rows)
    assert client.login(username="nanjing_xinyong", password=DEMO_PASSWORD)


def test_a_load_writes_one_audit_row_for_the_subjects_and_one_per_record_batch(loaded):
    rows = ObjectChange.objects.filter(action="import", object_type="demo.demoload")
    assert rows.count() == 1
    batches = set(
        ObjectChange.objects.filter(action="import").exclude(pk=rows.get().pk).values_list("message", flat=True)
    )
    assert len(batches) >= 1  # record_bulk_create: one audit row per supplier's batch, never one per record
    assert rows.get().postchange_data["bodies"] == loaded.counts["bodies"]


def test_a_second_load_with_the_same_seed_changes_nothing(loaded):
    before = (Agency.objects.count(), CivilServant.objects.count(), ObjectChange.objects.count())
    again = load_demo(seed=7, scale=SCALE)
    assert not again.loaded and again.seconds < 2
    assert (Agency.objects.count(), CivilServant.objects.count(), ObjectChange.objects.count()) == before


def test_a_load_with_another_seed_is_refused(loaded):
    with pytest.raises(CommandError, match="已有其他演示数据"):
        call_command("demo", "load", "--seed", "8", "--scale", str(SCALE))
    assert DemoLoad.objects.count() == 1


def test_a_database_with_real_bodies_is_refused(db):
    Agency.objects.create(uscc="11320000014000319X", name="真实单位", region=Region.objects.get(code="320000"),
                          level="province")  # fmt: skip
    with pytest.raises(CommandError, match="空数据库"):
        call_command("demo", "load", "--scale", str(SCALE))


def test_a_nonsense_scale_is_refused(db):
    with pytest.raises(CommandError):
        call_command("demo", "load", "--scale", "-1")


def test_demo_info_prints_the_addresses_and_logins(loaded, capsys):
    call_command("demo", "info", "--url", "http://demo.example:8000/")
    out = capsys.readouterr().out
    expected = [
        "http://demo.example:8000/console/",
        "http://demo.example:8000/admin/",
        "http://demo.example:8000/api/docs",
    ]
    for text in [*expected, DEMO_PASSWORD, "sheng_xinyong", "南京市发展和改革委员会"]:
        assert text in out


def test_demo_info_says_when_nothing_is_loaded(db):
    assert "尚未载入演示数据" in demo_info()


def test_the_demo_has_credit_records_of_every_class_and_a_covered_one(loaded):
    from govtrust.records.models import CreditRecord, FaultToleranceRuling

    classes = set(CreditRecord.objects.values_list("record_class", flat=True))
    assert {"penalty", "judgment", "discipline", "commendation"} <= classes
    assert CreditRecord.objects.filter(covered_by__isnull=False).count() == 1
    assert FaultToleranceRuling.objects.count() == 2
    published = CreditRecord.objects.published()
    assert published.exists()
    assert set(published.values_list("subject_kind", flat=True)) == {"agency"}
