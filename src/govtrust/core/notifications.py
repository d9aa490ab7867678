"""The notifications inbox: in-app messages, optionally also by email.

    notify(recipients=[user], title=_("待办：…"), body="…", link=reverse("…"), category="deadline", email=True)

Call `notify` inside your service's transaction: the rows commit with the change. Emails are sent by
the worker after the commit (nothing is mailed for a change that rolled back) through Django's mail
backend, to recipients that have an address; `emailed_at` records each sent mail.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from govtrust.core.audit import log_change
from govtrust.core.models import Notification, ObjectChange

logger = logging.getLogger(__name__)


def _check_link(link: str) -> None:
    # Only site-relative paths: a javascript: or off-site link in an inbox would be an XSS or phishing vector.
    if link and not (link.startswith("/") and url_has_allowed_host_and_scheme(link, allowed_hosts=None)):
        raise ValidationError(_("消息链接必须是本站内的相对路径：%(link)s"), params={"link": link[:100]})


def notify(
    *,
    recipients: Iterable[Any],
    title: str,
    body: str = "",
    link: str = "",
    category: str = "",
    email: bool = False,
) -> list[Notification]:
    """Put one message in each recipient's inbox (and mail it after commit when `email`)."""
    title = title.strip()
    if not title:
        raise ValidationError(_("消息标题不能为空"))
    if len(title) > 200:
        raise ValidationError(_("消息标题不能超过200个字符"))
    _check_link(link)
    users = {user.pk: user for user in recipients if user is not None and user.is_active}
    if not users:
        return []
    with transaction.atomic():
        now = timezone.now()
        rows = [
            Notification(recipient=user, title=title, body=body, link=link, category=category, created_at=now)
            for user in users.values()
        ]
        # bulk_create sets pks on both databases (RETURNING), which the email task needs.
        created = Notification.objects.bulk_create(rows)
        log_change(
            actor=None,
            action=ObjectChange.Action.CREATE,
            object_type="core.notification",
            object_id=str(created[0].pk),
            object_repr=title[:200],
            after={"recipients": sorted(users), "category": category, "link": link, "email": email},
            message=_("发送站内消息"),
        )
        if email:
            ids = [n.pk for n in created if n.recipient.email]
            if ids:
                from govtrust.core.tasks import send_notification_emails

                transaction.on_commit(lambda: send_notification_emails.enqueue(ids), robust=True)
    return created


def send_emails(notification_ids: list[int]) -> int:
    """Mail each not-yet-mailed notification to its recipient's address. Returns how many were sent."""
    site = getattr(settings, "GOVTRUST_SITE_URL", "").rstrip("/")
    sent = 0
    pending = Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related("recipient")
    for notification in pending:
        address = notification.recipient.email
        if not address:
            continue
        text = notification.body
        if notification.link:
            text = f"{text}\n\n{site}{notification.link}" if text else f"{site}{notification.link}"
        try:
            send_mail(notification.title, text, None, [address])
        except Exception:  # one bad address or a mail-server hiccup must not stop the others
            logger.exception("could not email notification %s", notification.pk)
            continue
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def notification_mark_read(*, actor: Any, notification: Notification) -> Notification:
    """Mark one of the actor's own notifications read. Another user's notification is refused."""
    if notification.recipient_id != actor.pk:
        raise PermissionDenied(_("只能标记自己的消息"))
    if notification.read_at is not None:
        return notification
    with transaction.atomic():
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
        log_change(
            actor=actor,
            action=ObjectChange.Action.UPDATE,
            obj=notification,
            before={"read_at": None},
            after={"read_at": now.isoformat()},
            message=_("标记消息为已读"),
        )
    return notification


def notification_mark_all_read(*, actor: Any) -> int:
    """Mark all of the actor's unread notifications read. Returns how many changed."""
    with transaction.atomic():
        count = Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())
        if count:
            log_change(
                actor=actor,
                action=ObjectChange.Action.UPDATE,
                object_type="core.notification",
                object_id="*",
                object_repr=str(actor)[:200],
                after={"marked_read": count},
                message=_("全部消息标记为已读"),
            )
    return count


def unread_count(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


# --- the daily digest of overdue items per office -------------------------------------------------------------
# Core knows no offices or bodies: each app registers what it counts (e.g. remedies: objections past their
# deadline), and the app that sends the digest (sanctions' daily step) asks every registered item.


@dataclass(frozen=True)
class DigestItem:
    """One line of the daily digest: `label` has a %(n)d; `count(bodies, run_date)` counts the overdue items of
    the bodies an office oversees (an Agency queryset)."""

    code: str
    label: Any
    count: Callable[[Any, datetime.date], int]
    order: int = 100


_digest_items: dict[str, DigestItem] = {}


def register_digest_item(item: DigestItem) -> None:
    _digest_items[item.code] = item


def digest_items() -> list[DigestItem]:
    return sorted(_digest_items.values(), key=lambda item: (item.order, item.code))
