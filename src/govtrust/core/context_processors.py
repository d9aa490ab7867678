"""Template context every console page needs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from govtrust.core.navigation import menu_for


def console(request: HttpRequest) -> dict[str, Any]:
    """The menu filtered by the user's grants, and the unread inbox count (queried only when used)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from govtrust.core.notifications import unread_count

    return {
        "console_menu": menu_for(user, request.path),
        "unread_notifications": SimpleLazyObject(lambda: unread_count(user)),
    }
