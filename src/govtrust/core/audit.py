"""Audit trail: `log_change` for state changes, `log_access` for reads of personal data.

Services call these inside their own `transaction.atomic()` so the audit row commits or rolls back
with the change it describes. Rows are hash-chained with SM3 (see `row_digest`).
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from govtrust.core.context import current_request_id
from govtrust.core.crypto import sm3_hex
from govtrust.core.models import AccessLog, ObjectChange

GENESIS_HASH = "0" * 64


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def row_digest(fields: dict[str, Any], prev_hash: str) -> str:
    """SM3 over the previous hash and the row's fields in canonical JSON."""
    return sm3_hex(prev_hash + _canonical(fields))


def object_type_label(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def actor_identity(actor: Any) -> tuple[int | None, str]:
    """(user pk, user name) of whoever acts; "system" for the sweep, the worker and anonymous callers."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, getattr(actor, "username", "") or "system"
    return actor.pk, actor.get_username()


def _actor_fields(actor: Any) -> dict[str, Any]:
    user_pk, user_name = actor_identity(actor)
    return {"user_pk": user_pk, "user_name": user_name}


def _chain_fields(model: type[ObjectChange] | type[AccessLog], values: dict[str, Any]) -> dict[str, Any]:
    last = model.objects.order_by("-seq").values("seq", "row_hash").first()
    seq = (last["seq"] + 1) if last else 1
    prev_hash = last["row_hash"] if last else GENESIS_HASH
    hashed = {k: (v.pk if isinstance(v, models.Model) else v) for k, v in values.items()}
    hashed["seq"] = seq
    return {"seq": seq, "prev_hash": prev_hash, "row_hash": row_digest(hashed, prev_hash)}


def log_change(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    message: str = "",
) -> ObjectChange:
    """Write one ObjectChange. Call inside the service's transaction."""
    if obj is not None:
        object_type = object_type or object_type_label(obj)
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    request_id = current_request_id()
    values: dict[str, Any] = {
        "time": timezone.now().isoformat(),
        **_actor_fields(actor),
        "request_id": str(request_id) if request_id else None,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr,
        "message": message,
        "prechange_data": json.loads(_canonical(before)) if before is not None else None,
        "postchange_data": json.loads(_canonical(after)) if after is not None else None,
    }
    with transaction.atomic():
        return ObjectChange.objects.create(**values, **_chain_fields(ObjectChange, values))


def log_access(
    *,
    actor: Any,
    subject: models.Model | None = None,
    subject_type: str = "",
    subject_id: str = "",
    subject_repr: str = "",
    purpose: str,
    detail: dict[str, Any] | None = None,
) -> AccessLog:
    """Write one AccessLog row for a read of personal data."""
    if subject is not None:
        subject_type = subject_type or object_type_label(subject)
        subject_id = subject_id or str(subject.pk)
        subject_repr = subject_repr or str(subject)[:200]
    request_id = current_request_id()
    values: dict[str, Any] = {
        "time": timezone.now().isoformat(),
        **_actor_fields(actor),
        "request_id": str(request_id) if request_id else None,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "subject_repr": subject_repr,
        "purpose": purpose,
        "detail": json.loads(_canonical(detail)) if detail is not None else None,
    }
    with transaction.atomic():
        return AccessLog.objects.create(**values, **_chain_fields(AccessLog, values))


def model_snapshot(obj: models.Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A JSON-able dict of a model's concrete fields, for before/after data."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.attname in exclude or field.name in exclude:
            continue
        data[field.attname] = field.value_from_object(obj)
    return json.loads(_canonical(data))
