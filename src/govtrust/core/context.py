"""Per-request context (request id, acting user) that services read without a request object."""

from __future__ import annotations

import uuid
from contextvars import ContextVar

_request_id: ContextVar[uuid.UUID | None] = ContextVar("govtrust_request_id", default=None)


def current_request_id() -> uuid.UUID | None:
    return _request_id.get()


def set_request_id(value: uuid.UUID | None):  # -> Token
    return _request_id.set(value)


def reset_request_id(token) -> None:  # type: ignore[no-untyped-def]
    _request_id.reset(token)
