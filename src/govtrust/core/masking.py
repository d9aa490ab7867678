"""One masking family for every display of personal data (reference §8).

ID numbers show the area code and the last 4 characters and hide the birth date (6 + 8×* + 4); phone
numbers hide the middle 4 digits; natural persons' names keep the first and last character (张*明).
Template filters with the same behaviour: `{% load masking %}{{ value|mask_id }}` (`templatetags/masking.py`).
"""

from __future__ import annotations

import re

from govtrust.core.validators import normalise_code

_PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")


def mask_id_number(number: str | None) -> str:
    number = normalise_code(number or "")
    if len(number) == 18:
        return number[:6] + "*" * 8 + number[-4:]
    if len(number) == 15:
        # First generation: 6 area + 6 birth date (YYMMDD) + 3 sequence; hide the whole birth date.
        return number[:6] + "*" * 6 + number[-3:]
    # Unknown formats (passports, typos): show nothing rather than guess which part is sensitive.
    return "*" * len(number)


def mask_phone(phone: str | None) -> str:
    phone = _PHONE_SEPARATORS.sub("", phone or "")
    prefix = ""
    for country in ("+86", "0086", "86"):
        if phone.startswith(country) and len(phone) == len(country) + 11:
            prefix, phone = country, phone[len(country) :]
            break
    if len(phone) >= 8:
        # Mobile 138****5678; landline 025****1234 / 0512****5678: the 4 digits before the last 4.
        return prefix + phone[:-8] + "****" + phone[-4:]
    if len(phone) > 4:
        return prefix + "*" * (len(phone) - 4) + phone[-4:]
    return prefix + "*" * len(phone)


def mask_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
