"""Pure registry rules (no ORM): names, ID-number normalisation, leader terms, the body/region fit.

Each function returns a Chinese error message, or "" when the value is acceptable, so services can
collect them into one field-keyed ValidationError.
"""

from __future__ import annotations

import datetime
import unicodedata

from django.utils.translation import gettext as _

from govtrust.core.validators import id_check_digit

AGENCY_NAME_MAX = 200
PERSON_NAME_MAX = 50
POSITION_MAX = 100


def clean_text(value: str | None) -> str:
    return (value or "").strip()


def check_name(value: str, *, max_length: int, label: str) -> str:
    """Names are stored as given (HTML is escaped on display), but not empty, too long or with control bytes.

    Control characters are refused because PostgreSQL rejects NUL in text and the others only hide text.
    """
    if not value:
        return _("%(label)s不能为空") % {"label": label}
    if len(value) > max_length:
        return _("%(label)s不能超过%(max)d个字（现为%(n)d个）") % {"label": label, "max": max_length, "n": len(value)}
    if any(unicodedata.category(c) == "Cc" for c in value):
        return _("%(label)s含有不可见的控制字符") % {"label": label}
    return ""


def upgrade_id_number(number: str) -> str:
    """A first-generation 15-digit number as its 18-digit form (GB 11643-1999 附录: insert "19", add the check).

    Both forms identify the same person; storing the 18-digit one keeps look-up by hash unambiguous.
    """
    if len(number) != 15:
        return number
    first17 = number[:6] + "19" + number[6:]
    return first17 + id_check_digit(first17)


def term_error(term_start: datetime.date, term_end: datetime.date | None) -> str:
    if term_end is not None and term_end < term_start:
        return _("任职终止日不能早于起始日")
    return ""


def terms_overlap(
    a_start: datetime.date, a_end: datetime.date | None, b_start: datetime.date, b_end: datetime.date | None
) -> bool:
    """Closed intervals; an open end (None) runs on indefinitely."""
    return (b_end is None or a_start <= b_end) and (a_end is None or b_start <= a_end)


def parent_region_fits(*, child_region_ancestors: list[str], parent_region_code: str) -> bool:
    """A parent body must sit in the child's region or above it (a county bureau under a city body, a city
    branch under a provincial department), never in a sibling or lower region: that would put the child
    in another region's tree and break "unit and below" scoping for the credit offices there.
    """
    return parent_region_code in child_region_ancestors
