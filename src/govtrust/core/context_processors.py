from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from govtrust.core.navigation import menu_for


def console(request: HttpRequest) -> dict[str, Any]:
    """Menu entries for the console header, filtered by the user's grants."""
    user = getattr(request, "user", None)
    if user is None or not request.path.startswith(("/console", "/accounts")):
        return {}
    return {"console_menu": menu_for(user, request.path)}
