"""The operator-maintained list of known legacy USCCs: services, audit, cache, form fields and admin."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govtrust.accounts.models import User
from govtrust.core.codes import known_legacy_codes, validate_uscc
from govtrust.core.forms import IdNumberFormField, UsccFormField
from govtrust.core.models import KnownLegacyCode, ObjectChange
from govtrust.core.services import legacy_code_add, legacy_code_remove
from govtrust.core.validators import uscc_check_digit

SEEDED = "91350211M00013FA1N"
# Structurally sound, embedded org code right, 18th character wrong (should be the computed one).
OTHER = "91320000140003191" + ("0" if uscc_check_digit("91320000140003191") != "0" else "1")


@pytest.fixture
def operator(db):
    return User.objects.create_user(username="op", password="x" * 12)


@pytest.mark.django_db
def test_the_seeded_pilot_code_is_legacy():
    assert KnownLegacyCode.objects.filter(code=SEEDED).exists()
    assert SEEDED in known_legacy_codes()
    assert validate_uscc(SEEDED).status == "legacy"


@pytest.mark.django_db
def test_adding_a_code_makes_it_legacy_and_is_audited(operator):
    assert validate_uscc(OTHER).status == "invalid"  # also warms the cache
    entry = legacy_code_add(actor=operator, code=OTHER.lower(), note="核实的营业执照")
    assert entry.code == OTHER
    assert entry.added_by_pk == operator.pk and entry.added_by_name == "op"
    assert validate_uscc(OTHER).status == "legacy"
    change = ObjectChange.objects.get(object_type="core.knownlegacycode", action="create")
    assert change.user_name == "op" and change.postchange_data["code"] == OTHER


@pytest.mark.django_db
def test_removing_a_code_makes_it_invalid_again_and_is_audited(operator):
    legacy_code_add(actor=operator, code=OTHER, note="核实的营业执照")
    assert validate_uscc(OTHER).status == "legacy"
    legacy_code_remove(actor=operator, code=OTHER)
    assert not KnownLegacyCode.objects.filter(code=OTHER).exists()
    assert validate_uscc(OTHER).status == "invalid"
    change = ObjectChange.objects.get(object_type="core.knownlegacycode", action="delete")
    assert change.prechange_data["note"] == "核实的营业执照"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "note", "field"),
    [
        ("91350100M000100Y43", "x", "code"),  # passes every check: nothing to list
        ("9135010", "x", "code"),  # malformed
        ("B1320000140003191X", "x", "code"),  # unknown authority
        (SEEDED, "x", "code"),  # duplicate
        (OTHER, "   ", "note"),  # no source given
    ],
)
def test_it_refuses_entries_that_do_not_belong_on_the_list(operator, code, note, field):
    with pytest.raises(ValidationError) as excinfo:
        legacy_code_add(actor=operator, code=code, note=note)
    assert field in excinfo.value.message_dict
    assert KnownLegacyCode.objects.count() == 1
    assert not ObjectChange.objects.exists()


@pytest.mark.django_db
def test_removing_an_unlisted_code_is_an_error(operator):
    with pytest.raises(ValidationError):
        legacy_code_remove(actor=operator, code=OTHER)


@pytest.mark.django_db
def test_validation_reads_the_list_from_cache_not_the_database():
    validate_uscc(SEEDED)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(100):
            validate_uscc(SEEDED)
    assert len(queries) == 0


# --- form fields ------------------------------------------------------------------------------


class BodyForm(forms.Form):
    uscc = UsccFormField()
    id_number = IdNumberFormField(required=False)


@pytest.mark.django_db
def test_the_uscc_field_normalises_a_valid_code():
    form = BodyForm(data={"uscc": " 9135 0100-m000100y43 "})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["uscc"] == "91350100M000100Y43"
    assert form.fields["uscc"].check.status == "valid"
    assert form.fields["uscc"].warning == ""


@pytest.mark.django_db
def test_the_uscc_field_gives_the_chinese_reason_for_an_invalid_code():
    form = BodyForm(data={"uscc": "91350100M000100Y44"})
    assert not form.is_valid()
    assert form.errors["uscc"] == ["校验码错误：第18位应为“3”"]


@pytest.mark.django_db
def test_the_uscc_field_accepts_a_listed_legacy_code_with_a_warning():
    form = BodyForm(data={"uscc": SEEDED})
    assert form.is_valid(), form.errors
    assert form.fields["uscc"].check.status == "legacy"
    assert "历史代码" in form.fields["uscc"].warning


@pytest.mark.django_db
def test_the_uscc_field_can_refuse_legacy_codes():
    class StrictForm(forms.Form):
        uscc = UsccFormField(allow_legacy=False)

    form = StrictForm(data={"uscc": SEEDED})
    assert not form.is_valid()
    assert "历史代码" in form.errors["uscc"][0]


@pytest.mark.django_db
def test_the_uscc_field_is_required_by_default():
    form = BodyForm(data={"uscc": ""})
    assert not form.is_valid()
    assert "uscc" in form.errors


@pytest.mark.django_db
def test_the_id_field_rejects_an_impossible_birth_date_and_warns_on_15_digits():
    first17 = "11010519490229002"
    form = BodyForm(data={"uscc": "91350100M000100Y43", "id_number": first17 + "0"})
    assert not form.is_valid()
    assert "出生日期" in form.errors["id_number"][0]
    form = BodyForm(data={"uscc": "91350100M000100Y43", "id_number": "110105491231002"})
    assert form.is_valid(), form.errors
    assert "15位" in form.fields["id_number"].warning


@pytest.mark.django_db
def test_each_form_instance_keeps_its_own_check():
    first = BodyForm(data={"uscc": SEEDED})
    second = BodyForm(data={"uscc": "91350100M000100Y43"})
    assert first.is_valid() and second.is_valid()
    assert first.fields["uscc"].check.status == "legacy"
    assert second.fields["uscc"].check.status == "valid"


# --- admin ------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    user = User.objects.create_superuser(username="root", password="x" * 12)
    client.force_login(user)
    return client


def test_the_admin_adds_through_the_service(admin_client):
    response = admin_client.post(
        "/admin/core/knownlegacycode/add/", {"code": OTHER, "note": "<script>alert(1)</script>"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert KnownLegacyCode.objects.get(code=OTHER).added_by_name == "root"
    assert ObjectChange.objects.filter(action="create", object_type="core.knownlegacycode").count() == 1
    listing = admin_client.get("/admin/core/knownlegacycode/").content.decode()
    assert "<script>alert(1)</script>" not in listing
    assert "&lt;script&gt;" in listing


def test_the_admin_shows_the_reason_for_a_refused_code(admin_client):
    response = admin_client.post("/admin/core/knownlegacycode/add/", {"code": "91350100M000100Y43", "note": "x"})
    assert response.status_code == 200
    assert "无需登记" in response.content.decode()
    assert KnownLegacyCode.objects.count() == 1


def test_the_admin_deletes_through_the_service(admin_client):
    entry = KnownLegacyCode.objects.get(code=SEEDED)
    response = admin_client.post(f"/admin/core/knownlegacycode/{entry.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not KnownLegacyCode.objects.exists()
    assert ObjectChange.objects.filter(action="delete", object_type="core.knownlegacycode").count() == 1
    assert validate_uscc(SEEDED).status == "invalid"
