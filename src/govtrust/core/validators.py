"""Our own validators for China's identifier codes (python-stdnum is a test oracle only).

- Unified Social Credit Code, GB 32100-2015, with the embedded GB 11714 organisation-code check.
- Resident identity card number, GB 11643-1999.

Each check returns a `CodeCheck` with status valid / invalid / legacy and a Chinese reason.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Literal

from django.utils.translation import gettext as _

CodeStatus = Literal["valid", "invalid", "legacy"]

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100 表1: no I, O, Z, S, V
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Registration authority (pos 1) → the organisation types (pos 2) it may issue. GB 32100 附录 + CODS list.
USCC_AUTHORITY_TYPES: dict[str, str] = {
    "1": "1239",
    "2": "19",
    "3": "1234569",
    "4": "19",
    "5": "1239",
    "6": "129",
    "7": "129",
    "8": "19",
    "9": "123",
    "A": "19",
    "N": "1239",
    "Y": "1",
}


@dataclass(frozen=True)
class CodeCheck:
    code: str
    status: CodeStatus
    reason: str

    @property
    def ok(self) -> bool:
        return self.status != "invalid"


def uscc_check_digit(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def _org_char_value(c: str) -> int:
    # GB 11714 uses the full alphabet for letters (A=10 … Z=35), not the USCC table.
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def org_code_check_digit(first8: str) -> str:
    remainder = 11 - sum(_org_char_value(c) * w for c, w in zip(first8, ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def normalise_code(code: str) -> str:
    return re.sub(r"[\s\-]", "", code or "").upper()


def check_uscc(code: str, *, legacy_codes: frozenset[str] | set[str] = frozenset()) -> CodeCheck:
    """Validate a Unified Social Credit Code. `legacy_codes`: known early codes that fail the checksum."""
    code = normalise_code(code)
    if len(code) != 18:
        return CodeCheck(code, "invalid", _("统一社会信用代码应为18位，实际为%(n)d位") % {"n": len(code)})
    bad = [c for c in code if c not in USCC_CHARSET]
    if bad:
        return CodeCheck(code, "invalid", _("含有不允许的字符“%(c)s”（不使用I、O、Z、S、V）") % {"c": bad[0]})
    authority, org_type = code[0], code[1]
    if authority not in USCC_AUTHORITY_TYPES:
        return CodeCheck(code, "invalid", _("登记管理部门代码“%(c)s”不存在") % {"c": authority})
    if org_type not in USCC_AUTHORITY_TYPES[authority]:
        return CodeCheck(
            code, "invalid", _("机构类别代码“%(t)s”不属于登记管理部门“%(a)s”") % {"t": org_type, "a": authority}
        )
    if not code[2:8].isdigit():
        return CodeCheck(code, "invalid", _("第3–8位登记管理机关行政区划码应为数字"))
    expected = uscc_check_digit(code[:17])
    org_ok = org_code_check_digit(code[8:16]) == code[16]
    if code[17] != expected or not org_ok:
        if code in legacy_codes:
            return CodeCheck(code, "legacy", _("校验位不符，但属于已登记的历史代码"))
        if code[17] != expected:
            return CodeCheck(code, "invalid", _("校验码错误：第18位应为“%(e)s”") % {"e": expected})
        return CodeCheck(code, "invalid", _("内嵌的组织机构代码（第9–17位）校验码错误"))
    return CodeCheck(code, "valid", "")


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def _birth_date(text: str) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def check_id_number(number: str, *, today: datetime.date | None = None) -> CodeCheck:
    """Validate a resident identity card number (GB 11643). 15-digit first-generation numbers are legacy."""
    number = normalise_code(number)
    today = today or datetime.date.today()
    if len(number) == 15:
        if not number.isdigit():
            return CodeCheck(number, "invalid", _("15位身份证号码应全部为数字"))
        born = _birth_date("19" + number[6:12])
        if born is None:
            return CodeCheck(number, "invalid", _("出生日期不存在"))
        return CodeCheck(number, "legacy", _("第一代15位身份证号码"))
    if len(number) != 18:
        return CodeCheck(number, "invalid", _("身份证号码应为18位，实际为%(n)d位") % {"n": len(number)})
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return CodeCheck(number, "invalid", _("身份证号码前17位应为数字，第18位为数字或X"))
    born = _birth_date(number[6:14])
    if born is None:
        return CodeCheck(number, "invalid", _("出生日期不存在"))
    if born > today or born.year < 1850:
        return CodeCheck(number, "invalid", _("出生日期不合理"))
    expected = id_check_digit(number[:17])
    if number[17] != expected:
        return CodeCheck(number, "invalid", _("校验码错误：第18位应为“%(e)s”") % {"e": expected})
    return CodeCheck(number, "valid", "")
