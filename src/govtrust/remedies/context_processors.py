"""`records_under_objection` in every template: the records templates label a record 异议处理中 with
`{% if record.pk in records_under_objection %}` without importing this app (records sits below remedies)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from govtrust.remedies.models import records_under_objection


def objections(request: HttpRequest) -> dict[str, Any]:
    # Lazy: queried once, only by a page that asks; open objections are few, so the set of their record ids is small.
    return {"records_under_objection": SimpleLazyObject(records_under_objection)}
