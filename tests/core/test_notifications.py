"""The notifications inbox: notify(), email after commit, the console inbox and the unread badge."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from govtrust.core.models import Notification, ObjectChange
from govtrust.core.notifications import notification_mark_all_read, notification_mark_read, notify, unread_count

User = get_user_model()


def make_user(username: str, *, email: str = "", **extra) -> User:
    return User.objects.create_user(username=username, email=email, password="correct-horse-battery", **extra)


@pytest.fixture
def alice(db):
    return make_user("alice", email="alice@example.gov.cn", display_name="王丽")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.mark.django_db
def test_it_puts_one_message_in_each_active_recipients_inbox(alice, bob):
    retired = make_user("retired", is_active=False)
    created = notify(recipients=[alice, bob, alice, retired], title="待办：请审核", body="详情", link="/console/")
    assert len(created) == 2
    assert sorted(n.recipient.username for n in created) == ["alice", "bob"]
    assert not Notification.objects.filter(recipient=retired).exists()
    assert unread_count(alice) == 1
    assert ObjectChange.objects.filter(object_type="core.notification", action="create").count() == 1


@pytest.mark.django_db
def test_it_emails_after_commit_only_recipients_with_an_address(alice, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        notify(
            recipients=[alice, bob], title="期限提醒", body="请于5个工作日内处理", link="/console/inbox/", email=True
        )
    assert mail.outbox == []  # nothing is sent before the commit
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.gov.cn"]
    assert message.subject == "期限提醒"
    assert "请于5个工作日内处理" in message.body
    assert message.body.endswith("/console/inbox/")
    assert Notification.objects.get(recipient=alice).emailed_at is not None
    assert Notification.objects.get(recipient=bob).emailed_at is None


@pytest.mark.django_db
def test_no_email_is_sent_for_a_rolled_back_change(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            notify(recipients=[alice], title="不会发出", email=True)
            raise RuntimeError("the service failed")
    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_notification_is_emailed_only_once(alice, django_capture_on_commit_callbacks):
    from govtrust.core.notifications import send_emails

    with django_capture_on_commit_callbacks(execute=True):
        (notification,) = notify(recipients=[alice], title="一次", email=True)
    assert send_emails([notification.pk]) == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_without_email_nothing_is_mailed(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(recipients=[alice], title="仅站内")
    assert callbacks == []
    assert mail.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "link",
    ["javascript:alert(1)", "//evil.example/phish", "https://evil.example/", "console/relative", "/\\evil.example"],
)
def test_it_refuses_a_link_that_leaves_the_site(alice, link):
    with pytest.raises(ValidationError):
        notify(recipients=[alice], title="钓鱼", link=link)
    assert not Notification.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("title", ["", "   ", "长" * 201])
def test_it_refuses_an_empty_or_overlong_title(alice, title):
    with pytest.raises(ValidationError):
        notify(recipients=[alice], title=title)


@pytest.mark.django_db
def test_a_user_marks_their_own_notification_read_and_it_is_audited(alice):
    (notification,) = notify(recipients=[alice], title="已读测试")
    notification_mark_read(actor=alice, notification=notification)
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert ObjectChange.objects.filter(object_type="core.notification", object_id=str(notification.pk)).exists()


@pytest.mark.django_db
def test_the_service_refuses_to_mark_someone_elses_notification(alice, bob):
    (notification,) = notify(recipients=[alice], title="别人的")
    with pytest.raises(PermissionDenied):
        notification_mark_read(actor=bob, notification=notification)
    notification.refresh_from_db()
    assert notification.read_at is None


@pytest.mark.django_db
def test_mark_all_read_touches_only_the_actors_notifications(alice, bob):
    notify(recipients=[alice, bob], title="一")
    notify(recipients=[alice, bob], title="二")
    assert notification_mark_all_read(actor=alice) == 2
    assert unread_count(alice) == 0
    assert unread_count(bob) == 2
    assert notification_mark_all_read(actor=alice) == 0


# --- the console ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_inbox_lists_unread_first_twenty_to_a_page(client, alice):
    for i in range(25):
        notify(recipients=[alice], title=f"消息{i:02d}")
    oldest = Notification.objects.get(title="消息00")
    newest_read = Notification.objects.get(title="消息24")
    notification_mark_read(actor=alice, notification=newest_read)
    client.force_login(alice)

    first = client.get("/console/inbox/")
    assert first.status_code == 200
    titles = [n.title for n in first.context["page"]]
    assert len(titles) == 20
    assert titles[0] == "消息23"  # newest unread first; the read one sinks to the end
    second = client.get("/console/inbox/?page=2")
    titles2 = [n.title for n in second.context["page"]]
    assert len(titles2) == 5
    assert titles2[-2:] == [oldest.title, newest_read.title]
    assert client.get("/console/inbox/?page=999").status_code == 200  # out of range: the last page
    assert client.get("/console/inbox/?page='; DROP TABLE x").status_code == 200


@pytest.mark.django_db
def test_every_console_page_shows_the_unread_count(client, alice):
    notify(recipients=[alice], title="一")
    notify(recipients=[alice], title="二")
    client.force_login(alice)
    html = client.get("/console/").content.decode()
    assert '<span id="unread-count" class="badge">2</span>' in html


@pytest.mark.django_db
def test_marking_read_with_htmx_returns_the_item_and_the_new_count(client, alice):
    (notification,) = notify(recipients=[alice], title="待读")
    notify(recipients=[alice], title="另一条")
    client.force_login(alice)
    response = client.post(f"/console/inbox/{notification.pk}/read/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="notification-{notification.pk}"' in html
    assert "已读" in html
    assert 'hx-swap-oob="true">1</span>' in html
    notification.refresh_from_db()
    assert notification.read_at is not None


@pytest.mark.django_db
def test_marking_read_without_htmx_redirects_back_to_the_inbox(client, alice):
    (notification,) = notify(recipients=[alice], title="待读")
    client.force_login(alice)
    response = client.post(f"/console/inbox/{notification.pk}/read/")
    assert response.status_code == 302
    assert response["Location"] == "/console/inbox/"


@pytest.mark.django_db
def test_a_user_cannot_mark_another_users_notification_read(client, alice, bob):
    (notification,) = notify(recipients=[alice], title="别人的")
    client.force_login(bob)
    response = client.post(f"/console/inbox/{notification.pk}/read/", headers={"HX-Request": "true"})
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


@pytest.mark.django_db
def test_mark_read_needs_a_post(client, alice):
    (notification,) = notify(recipients=[alice], title="待读")
    client.force_login(alice)
    assert client.get(f"/console/inbox/{notification.pk}/read/").status_code == 405


@pytest.mark.django_db
def test_the_inbox_needs_a_login(client):
    response = client.get("/console/inbox/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_the_mark_all_read_button_empties_the_badge(client, alice):
    notify(recipients=[alice], title="一")
    client.force_login(alice)
    response = client.post("/console/inbox/read-all/", follow=True)
    assert '<span id="unread-count" class="badge"></span>' in response.content.decode()


@pytest.mark.django_db
def test_a_hostile_title_and_body_are_escaped_in_the_inbox(client, alice):
    notify(recipients=[alice], title="<script>alert(1)</script>", body="<img src=x onerror=alert(2)>")
    client.force_login(alice)
    html = client.get("/console/inbox/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
