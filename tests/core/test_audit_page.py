"""The auditor's console page over the audit trail, and its background verification."""

from __future__ import annotations

import pytest
from django.db import connection

from govtrust.accounts.models import Role, User
from govtrust.core.audit import log_change
from govtrust.core.models import Job


@pytest.fixture
def auditor(db):
    user = User.objects.create_user(username="shenji", password="x-Pass-2026!")
    user.roles.add(Role.objects.get(code="auditor"))
    return user


@pytest.fixture
def clerk(db):
    return User.objects.create_user(username="kelerk", password="x-Pass-2026!")


def test_an_auditor_sees_changes_newest_first_and_can_filter_by_user(client, auditor):
    log_change(actor=None, action="create", object_type="demo.thing", object_id="1", object_repr="第一条")
    log_change(actor=auditor, action="update", object_type="demo.thing", object_id="1", object_repr="第二条<b>")
    client.force_login(auditor)
    page = client.get("/console/audit/").content.decode()
    assert page.index("第二条") < page.index("第一条")
    assert "第二条&lt;b&gt;" in page  # object names are escaped
    filtered = client.get("/console/audit/", {"user": "shenji"}).content.decode()
    assert "第二条" in filtered and "第一条" not in filtered


def test_the_menu_shows_the_audit_log_only_to_holders_of_audit_view(client, auditor, clerk):
    client.force_login(auditor)
    assert 'href="/console/audit/"' in client.get("/console/").content.decode()
    client.force_login(clerk)
    assert 'href="/console/audit/"' not in client.get("/console/").content.decode()
    assert client.get("/console/audit/").status_code == 403
    assert client.post("/console/audit/verify/").status_code == 403


def test_verification_runs_as_a_job_and_names_an_edited_row(client, auditor):
    log_change(actor=None, action="create", object_type="demo.thing", object_id="1", object_repr="原始")
    client.force_login(auditor)
    response = client.post("/console/audit/verify/")
    job = Job.objects.get(kind="audit.verify")
    assert response["Location"] == f"/console/jobs/{job.public_id}/"
    assert job.status == Job.Status.SUCCEEDED
    assert job.result["object_change"]["ok"] is True

    with connection.cursor() as cursor:  # tamper behind the ORM's back
        cursor.execute("UPDATE core_objectchange SET object_repr = %s WHERE object_repr = %s", ["篡改", "原始"])
    client.post("/console/audit/verify/")
    second = Job.objects.filter(kind="audit.verify").order_by("-pk").first()
    assert second is not None
    assert second.result["object_change"]["ok"] is False
    assert second.result["object_change"]["problems"]
