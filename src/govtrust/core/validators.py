"""Our own validators for China's identifier codes (python-stdnum is a test oracle only).

- Unified Social Credit Code, GB 32100-2015, with the embedded GB 11714-1997 organisation-code check.
- Resident identity card number, GB 11643-1999.

Each check returns a `CodeCheck` with status valid / invalid / legacy and a Chinese reason. This module is
pure: the operator-maintained list of legacy USCCs is passed in (see `govtrust.core.codes.validate_uscc`).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Literal

from django.utils import timezone
from django.utils.translation import gettext as _

CodeStatus = Literal["valid", "invalid", "legacy"]

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100 表1: no I, O, Z, S, V; value = index
# W_i = 3^(i-1) mod 31 (GB 32100 §5.2).
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714-1997
# Registration authority (pos 1) → the organisation types (pos 2) it issues (GB 32100 附录 / CODS list):
# 1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游, 7 宗教, 8 工会, 9 工商, A 军队, N 农业, Y 其他.
USCC_AUTHORITY_TYPES: dict[str, str] = {
    "1": "1239",
    "2": "19",
    "3": "123459",
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

_DIGITS = re.compile(r"[0-9]+")
# Full-width forms (ＡＢＣ１２３) are common in text typed with a Chinese IME; map them to ASCII.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u3000]")


def _isdigits(text: str) -> bool:
    # str.isdigit() accepts "²" or Arabic-Indic digits; codes are ASCII only.
    return bool(_DIGITS.fullmatch(text))


@dataclass(frozen=True)
class CodeCheck:
    code: str
    status: CodeStatus
    reason: str

    @property
    def ok(self) -> bool:
        """Storable: valid, or legacy (stored with a visible warning)."""
        return self.status != "invalid"


def normalise_code(code: str) -> str:
    """Upper-case ASCII without spaces or hyphens (the hyphen of `xxxxxxxx-X` is display only)."""
    return _SEPARATORS.sub("", (code or "").translate(_FULLWIDTH)).upper()


def uscc_check_digit(first17: str) -> str:
    """C18 = 31 − MOD(Σ Ci·Wi, 31); a result of 31 is written as '0'."""
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def _org_char_value(c: str) -> int:
    # GB 11714 values letters over the full alphabet (A=10 … Z=35), not the 31-character USCC table.
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def org_code_check_digit(first8: str) -> str:
    """C9 = 11 − MOD(Σ Ci·Wi, 11); 10 is written 'X' and 11 is written '0'."""
    remainder = 11 - sum(_org_char_value(c) * w for c, w in zip(first8, ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def check_uscc(code: str, *, legacy_codes: frozenset[str] | set[str] = frozenset()) -> CodeCheck:
    """Validate a Unified Social Credit Code.

    `legacy_codes`: known real early pilot codes that fail a check digit; they come out as `legacy`.
    Structure errors (length, characters, authority/type, region digits) are `invalid` even when listed.
    """
    code = normalise_code(code)
    if len(code) != 18:
        return CodeCheck(code, "invalid", _("统一社会信用代码应为18位，实际为%(n)d位") % {"n": len(code)})
    bad = [c for c in code if c not in USCC_CHARSET]
    if bad:
        return CodeCheck(code, "invalid", _("含有不允许的字符“%(c)s”（不使用I、O、Z、S、V）") % {"c": bad[0]})
    authority, org_type = code[0], code[1]
    if authority not in USCC_AUTHORITY_TYPES:
        return CodeCheck(code, "invalid", _("第1位登记管理部门代码“%(c)s”不存在") % {"c": authority})
    if org_type not in USCC_AUTHORITY_TYPES[authority]:
        return CodeCheck(
            code,
            "invalid",
            _("第2位机构类别代码“%(t)s”不属于登记管理部门“%(a)s”") % {"t": org_type, "a": authority},
        )
    if not _isdigits(code[2:8]):
        return CodeCheck(code, "invalid", _("第3–8位登记管理机关行政区划码应为数字"))
    expected = uscc_check_digit(code[:17])
    expected_org = org_code_check_digit(code[8:16])
    if code[17] != expected or code[16] != expected_org:
        if code in legacy_codes:
            return CodeCheck(code, "legacy", _("校验码不符，但属于已登记的早期历史代码"))
        if code[17] != expected:
            return CodeCheck(code, "invalid", _("校验码错误：第18位应为“%(e)s”") % {"e": expected})
        return CodeCheck(code, "invalid", _("内嵌的组织机构代码校验码错误：第17位应为“%(e)s”") % {"e": expected_org})
    return CodeCheck(code, "valid", "")


# GB 11643-1999: W_i = 2^(17-i) mod 11; the check value maps 0–10 onto this string.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
EARLIEST_BIRTH_YEAR = 1850


def id_check_digit(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def _birth_date(yyyymmdd: str) -> datetime.date | None:
    try:
        return datetime.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None


def check_id_number(number: str, *, today: datetime.date | None = None) -> CodeCheck:
    """Validate a resident identity card number (GB 11643): digits, a real birth date, the check digit.

    15-digit first-generation numbers (birth year 19YY, no check digit) are `legacy` when their date is real.
    """
    number = normalise_code(number)
    today = today or timezone.localdate()
    if len(number) == 15:
        if not _isdigits(number):
            return CodeCheck(number, "invalid", _("15位身份证号码应全部为数字"))
        if _birth_date("19" + number[6:12]) is None:
            return CodeCheck(number, "invalid", _("出生日期不存在（%(d)s）") % {"d": "19" + number[6:12]})
        return CodeCheck(number, "legacy", _("第一代15位身份证号码，应换用18位号码"))
    if len(number) != 18:
        return CodeCheck(number, "invalid", _("身份证号码应为18位，实际为%(n)d位") % {"n": len(number)})
    if not _isdigits(number[:17]) or number[17] not in "0123456789X":
        return CodeCheck(number, "invalid", _("身份证号码前17位应为数字，第18位为数字或X"))
    born = _birth_date(number[6:14])
    if born is None:
        return CodeCheck(number, "invalid", _("出生日期不存在（%(d)s）") % {"d": number[6:14]})
    if born > today or born.year < EARLIEST_BIRTH_YEAR:
        return CodeCheck(number, "invalid", _("出生日期不合理（%(d)s）") % {"d": number[6:14]})
    expected = id_check_digit(number[:17])
    if number[17] != expected:
        return CodeCheck(number, "invalid", _("校验码错误：第18位应为“%(e)s”") % {"e": expected})
    return CodeCheck(number, "valid", "")
