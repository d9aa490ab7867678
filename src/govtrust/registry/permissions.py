"""Data-scope checks shared by the console, the API and anything else acting for a user.

Reading: fetch through `Model.objects.visible_to(user, VIEW)` (404 otherwise). Writing: the user needs a
`CHANGE` grant, the object must be in their `CHANGE` scope before the write, and — checked with
`require_in_scope` inside the same transaction — still be in it afterwards, so nobody can create or move
a body out of their own reach.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils.translation import gettext as _

VIEW = "registry.view"
CHANGE = "registry.change"


def has_grant(user: Any, action: str) -> bool:
    data_scope = getattr(user, "data_scope", None)
    return bool(getattr(user, "is_authenticated", False) and data_scope and data_scope(action) is not None)


def in_scope(user: Any, obj: models.Model, action: str) -> bool:
    manager: Any = type(obj)._default_manager
    return bool(manager.visible_to(user, action).filter(pk=obj.pk).exists())


def require_in_scope(user: Any, obj: models.Model, action: str = CHANGE) -> None:
    """Raise (and so roll back the caller's transaction) when `obj` lies outside the user's scope."""
    if not in_scope(user, obj, action):
        raise ValidationError(
            {NON_FIELD_ERRORS: [ValidationError(_("超出您的数据权限范围"), code="out_of_scope")]}  # type: ignore[dict-item]
        )


def is_out_of_scope_error(error: ValidationError) -> bool:
    return any(e.code == "out_of_scope" for errs in getattr(error, "error_dict", {}).values() for e in errs)
