"""The verified link between a user and their own ID number (accounts.SubjectAccount), and its move from disclosure."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from registry.builders import make_id, make_user

from govtrust.accounts.models import Role, SubjectAccount, subject_hash_of, users_linked_to
from govtrust.accounts.services import subject_account_link, subject_account_unlink
from govtrust.core.crypto import keyed_hash
from govtrust.core.models import ObjectChange


def manager():  # type: ignore[no-untyped-def]
    return make_user("manager", None, Role.objects.get(code="provincial_credit_office"))


@pytest.mark.django_db
def test_a_user_manager_links_a_user_to_his_own_id_number_and_only_the_hash_is_kept() -> None:
    admin, user = manager(), make_user("zsf", None)
    account = subject_account_link(actor=admin, user=user, id_number=make_id(1).lower())
    assert account.id_number_hash == keyed_hash(make_id(1)) == subject_hash_of(user)
    assert make_id(1) not in account.id_number_masked and account.verified_by_name == "manager"
    change = ObjectChange.objects.filter(object_type="accounts.subjectaccount").latest("pk")
    assert change.action == "create" and "id_number_hash" not in (change.postchange_data or {})
    assert users_linked_to(account.id_number_hash) == [user]
    user.is_active = False
    user.save()
    assert subject_hash_of(user) is None and users_linked_to(account.id_number_hash) == []


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["", "329900198001010000", "12345", "<script>", "'; DROP TABLE accounts_user;--"])
def test_a_wrong_id_number_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError) as err:
        subject_account_link(actor=manager(), user=make_user("zsf", None), id_number=bad)
    assert "id_number" in err.value.message_dict
    assert not SubjectAccount.objects.exists()


@pytest.mark.django_db
def test_only_a_user_manager_may_link_and_one_id_links_one_user() -> None:
    admin, user, other = manager(), make_user("zsf", None), make_user("imposter", None)
    with pytest.raises(PermissionDenied):
        subject_account_link(actor=user, user=user, id_number=make_id(1))
    subject_account_link(actor=admin, user=user, id_number=make_id(1))
    with pytest.raises(ValidationError) as err:
        subject_account_link(actor=admin, user=other, id_number=make_id(1))
    assert "zsf" in err.value.message_dict["id_number"][0]
    with pytest.raises(PermissionDenied):
        subject_account_unlink(actor=other, user=user)
    subject_account_unlink(actor=admin, user=user)
    assert subject_hash_of(user) is None
    assert ObjectChange.objects.filter(object_type="accounts.subjectaccount", action="delete").exists()
    subject_account_link(actor=admin, user=other, id_number=make_id(1))  # now free
    with pytest.raises(ValidationError):
        subject_account_unlink(actor=admin, user=user)


@pytest.mark.django_db
def test_the_console_page_links_and_unlinks(client) -> None:  # type: ignore[no-untyped-def]
    admin, user = manager(), make_user("zsf", None)
    client.force_login(admin)
    response = client.post("/console/subject-accounts/", {"username": "zsf", "id_number": make_id(1)})
    assert response.status_code == 302
    account = SubjectAccount.objects.get(user=user)
    assert "zsf" in client.get("/console/subject-accounts/").content.decode()
    client.force_login(user)
    assert client.post(f"/console/subject-accounts/{account.pk}/unlink/").status_code == 403
    client.force_login(admin)
    assert client.post(f"/console/subject-accounts/{account.pk}/unlink/").status_code == 302
    assert not SubjectAccount.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_moves_links_from_disclosure_and_my_queries_still_works(client) -> None:  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    before = [("disclosure", "0002_grants"), ("accounts", "0006_subject_account")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    OldUser = old_apps.get_model("accounts", "User")
    OldAccount = old_apps.get_model("disclosure", "SubjectAccount")
    old_user = OldUser.objects.create(username="zsf", password="!")
    OldAccount.objects.create(user_id=old_user.pk, id_number_hash=keyed_hash(make_id(1)),
                              id_number_masked="329900********0018", verified_by_name="old manager")  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    account = SubjectAccount.objects.get()
    assert (account.user.username, account.id_number_hash, account.verified_by_name) == (
        "zsf",
        keyed_hash(make_id(1)),
        "old manager",
    )
    assert "disclosure_subjectaccount" not in connection.introspection.table_names()
    client.force_login(account.user)
    page = client.get("/console/my-queries/").content.decode()
    assert "尚未关联本人身份" not in page
