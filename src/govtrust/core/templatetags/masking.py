"""`{% load masking %}` then `{{ person.id_number|mask_id }}`, `{{ phone|mask_phone }}`, `{{ name|mask_name }}`.

The filters return plain strings, so autoescaping still applies to whatever survives the mask.
"""

from __future__ import annotations

from typing import Any

from django import template

from govtrust.core import masking

register = template.Library()


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@register.filter
def mask_id(value: Any) -> str:
    return masking.mask_id_number(_text(value))


@register.filter
def mask_phone(value: Any) -> str:
    return masking.mask_phone(_text(value))


@register.filter
def mask_name(value: Any) -> str:
    return masking.mask_name(_text(value))
