"""Parsing helpers for kinds' `validate_row`: each returns (value, "") or (None, Chinese reason)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

_TRUE = {"是", "y", "yes", "true", "1", "√", "t"}
_FALSE = {"否", "n", "no", "false", "0", "×", "f"}
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def parse_bool(text: str) -> tuple[bool | None, str]:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True, ""
    if lowered in _FALSE:
        return False, ""
    return None, _("应填写“是”或“否”")


def parse_date(text: str) -> tuple[datetime.date | None, str]:
    """2024-03-01, 2024/3/1, 2024.03.01, 2024年3月1日, 20240301 (a time after the date is ignored)."""
    text = text.strip()
    match = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if match is None:
        return None, _("日期格式应为YYYY-MM-DD")
    try:
        return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3))), ""
    except ValueError:
        return None, _("日期不存在")


def parse_decimal(text: str, *, places: int = 2) -> tuple[Decimal | None, str]:
    """An amount such as 1,234.50 or 1234.5 (thousands separators allowed), at most `places` decimals."""
    try:
        value = Decimal(text.strip().replace(",", "").replace("，", ""))
    except InvalidOperation:
        return None, _("应为数字")
    if not value.is_finite():
        return None, _("应为数字")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        return None, _("最多%(n)d位小数") % {"n": places}
    return value, ""
