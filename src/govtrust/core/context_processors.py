"""Template context every console page needs (add to TEMPLATES' context_processors)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def console(request: HttpRequest) -> dict[str, Any]:
    """`unread_notifications`: the user's unread inbox count, queried only when a template uses it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from govtrust.core.notifications import unread_count

    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
