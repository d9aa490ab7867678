import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from govtrust.core.models import AccessLog, ObjectChange
from govtrust.registry import services
from govtrust.registry.models import CivilServant, Person

from .builders import SYSTEM, make_id


def raw_rows(table: str) -> str:
    """Everything the database holds in `table`, as text, read around the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (fixed table names)
        return json.dumps(cursor.fetchall(), default=str, ensure_ascii=False)


@pytest.mark.django_db
def test_the_database_never_holds_the_clear_id_number(cast):
    number = make_id(1)
    servant = services.civil_servant_create(actor=SYSTEM, agency=cast.xw_edu, name="张三明", id_number=number)
    person = services.person_create(actor=SYSTEM, name="李四", id_number=make_id(2))
    assert number not in raw_rows("registry_civilservant")
    assert make_id(2) not in raw_rows("registry_person")
    # The masked form is kept for display; the birth date is not in it.
    assert servant.id_number_masked == number[:6] + "********" + number[-4:]
    assert person.id_number_hash and person.id_number_encrypted


@pytest.mark.django_db
def test_audit_snapshots_hold_neither_the_number_nor_its_ciphertext(cast):
    number = make_id(1)
    servant = services.civil_servant_create(actor=SYSTEM, agency=cast.xw_edu, name="张三明", id_number=number)
    services.civil_servant_update(actor=SYSTEM, civil_servant=servant, id_number=make_id(3))
    rows = raw_rows("core_objectchange")
    for secret in (number, make_id(3), servant.id_number_encrypted, servant.id_number_hash):
        assert secret not in rows
    change = ObjectChange.objects.filter(object_type="registry.civilservant", action="update").get()
    assert change.postchange_data["id_number_masked"] == make_id(3)[:6] + "********" + make_id(3)[-4:]


@pytest.mark.django_db
def test_look_up_by_hash_finds_the_record(cast):
    number = make_id(7)
    servant = services.civil_servant_create(actor=SYSTEM, agency=cast.xw_edu, name="张三明", id_number=number)
    assert list(CivilServant.objects.with_id_number(number)) == [servant]
    assert not CivilServant.objects.with_id_number(make_id(8)).exists()


@pytest.mark.django_db
def test_a_first_generation_number_is_stored_as_its_18_digit_form(db):
    eighteen = make_id(5, birth="19700315")
    fifteen = eighteen[:6] + eighteen[8:17]
    person = services.person_create(actor=SYSTEM, name="王五", id_number=fifteen)
    assert Person.objects.with_id_number(eighteen).get() == person
    with pytest.raises(ValidationError) as excinfo:
        services.person_create(actor=SYSTEM, name="王五", id_number=eighteen)
    assert excinfo.value.message_dict["id_number"] == ["该身份证号码已登记"]


@pytest.mark.django_db
def test_an_unmasked_read_writes_an_access_log_row(cast):
    number = make_id(9)
    servant = services.civil_servant_create(actor=SYSTEM, agency=cast.xw_edu, name="张三明", id_number=number)
    clear = services.id_number_reveal(actor=cast.admin, subject=servant, purpose="核对任职资格")
    assert clear == number
    log = AccessLog.objects.get()
    assert (log.user_pk, log.subject_type, log.subject_id, log.purpose) == (
        cast.admin.pk,
        "registry.civilservant",
        str(servant.pk),
        "核对任职资格",
    )


@pytest.mark.django_db
def test_an_unmasked_read_needs_a_purpose(cast):
    servant = services.civil_servant_create(actor=SYSTEM, agency=cast.xw_edu, name="张三明", id_number=make_id(9))
    with pytest.raises(ValidationError):
        services.id_number_reveal(actor=cast.admin, subject=servant, purpose="  ")
    assert not AccessLog.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("", "身份证号码不能为空"),
        ("32990019800230001X", "出生日期不存在"),  # 30 February
        (make_id(1)[:-1] + ("0" if make_id(1)[-1] != "0" else "1"), "校验码错误"),
        ("32990019800101", "身份证号码应为18位"),
        ("<script>alert(1)</script>", "身份证号码应为18位"),
    ],
)
def test_it_rejects_a_bad_id_number(cast, number, message):
    with pytest.raises(ValidationError) as excinfo:
        services.civil_servant_create(actor=SYSTEM, agency=cast.xw_edu, name="张三明", id_number=number)
    assert message in excinfo.value.message_dict["id_number"][0]
    assert not CivilServant.objects.exists()
    assert not ObjectChange.objects.filter(object_type="registry.civilservant").exists()


@pytest.mark.django_db
def test_a_birth_date_in_the_future_is_refused(cast):
    with pytest.raises(ValidationError) as excinfo:
        services.person_create(actor=SYSTEM, name="未来人", id_number=make_id(1, birth="20990101"))
    assert excinfo.value.message_dict["id_number"][0].startswith("出生日期不合理")


@pytest.mark.django_db
def test_the_same_person_cannot_be_registered_twice_in_one_body(cast):
    services.civil_servant_create(actor=SYSTEM, agency=cast.xw_edu, name="张三明", id_number=make_id(1))
    with pytest.raises(ValidationError) as excinfo:
        services.civil_servant_create(actor=SYSTEM, agency=cast.xw_edu, name="张三明", id_number=make_id(1))
    assert services.is_duplicate_error(excinfo.value)
    # …but a second body may record them (a secondment, a transfer kept as history).
    services.civil_servant_create(actor=SYSTEM, agency=cast.xw_gov, name="张三明", id_number=make_id(1))


@pytest.mark.django_db
def test_person_get_or_create_returns_the_existing_person(db):
    first, created = services.person_get_or_create(actor=SYSTEM, name="李四", id_number=make_id(2))
    again, created_again = services.person_get_or_create(actor=SYSTEM, name="李四", id_number=make_id(2))
    assert (created, created_again, again) == (True, False, first)
    assert ObjectChange.objects.filter(object_type="registry.person").count() == 1


@pytest.mark.django_db
def test_civil_servant_dates_must_be_in_order(cast):
    import datetime

    with pytest.raises(ValidationError) as excinfo:
        services.civil_servant_create(
            actor=SYSTEM,
            agency=cast.xw_edu,
            name="张三明",
            id_number=make_id(1),
            start_date=datetime.date(2020, 1, 1),
            end_date=datetime.date(2019, 1, 1),
        )
    assert "end_date" in excinfo.value.message_dict
