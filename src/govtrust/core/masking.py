"""One masking family for every display of personal data (reference §8: 6 + 8×* + 4 for IDs)."""

from __future__ import annotations


def mask_id_number(number: str) -> str:
    number = (number or "").strip()
    if len(number) == 18:
        return number[:6] + "*" * 8 + number[-4:]
    if len(number) == 15:
        return number[:6] + "*" * 5 + number[-4:]
    return "*" * len(number)


def mask_phone(phone: str) -> str:
    phone = (phone or "").strip()
    if len(phone) == 11:
        return phone[:3] + "****" + phone[-4:]
    return phone[:-4].rstrip() and (phone[: max(0, len(phone) - 8)] + "****" + phone[-4:])


def mask_name(name: str) -> str:
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
