"""Identifiers of the subjects on a list: USCC (GB 32100), organisation code (GB 11714), the 15-digit
registration number of old business licences, and natural persons' ID numbers (GB 11643), full or masked.

Pure code (the check-digit rules are those of `govtrust.core.validators`, repeated here without Django so
that the matcher runs anywhere). Identifiers are trimmed, upper-cased and stripped of spaces and hyphens.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
MASK_CHARS = "*＊×xX"  # courts and portals mask with * (sometimes full-width)

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]")
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
_ORG = re.compile(r"[0-9A-Z]{8}[0-9X]")
_REG = re.compile(r"[0-9]{13}|[0-9]{15}")
_ID = re.compile(r"[0-9]{17}[0-9X]|[0-9]{15}")
_MASKED_ID = re.compile(r"[0-9*]{17}[0-9X*]")

IdentifierKind = Literal["uscc", "org_code", "reg_number", "id_number", "masked_id", "unknown", ""]


def printable(text: str | None, limit: int) -> str:
    """Text safe to store: control characters (NUL, which PostgreSQL refuses, and the like) dropped, cut to
    `limit` characters."""
    return "".join(ch for ch in (text or "") if unicodedata.category(ch) != "Cc")[:limit]


def clean(value: str | None) -> str:
    """Trimmed, NFKC (full-width to ASCII), upper case, without spaces or hyphens; at most 40 characters."""
    text = unicodedata.normalize("NFKC", (value or "")[:40])
    return _SEPARATORS.sub("", text).upper()


def uscc_valid(code: str) -> bool:
    if not _USCC.fullmatch(code):
        return False
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(code[:17], USCC_WEIGHTS, strict=True))
    return code[17] == USCC_CHARSET[(31 - total % 31) % 31] and org_code_valid(code[8:17])


def org_code_valid(code: str) -> bool:
    if not _ORG.fullmatch(code):
        return False
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(code[:8], ORG_WEIGHTS, strict=True))
    remainder = 11 - total % 11
    return code[8] == {10: "X", 11: "0"}.get(remainder, str(remainder))


def id_number_valid(number: str) -> bool:
    if len(number) == 15:
        return number.isascii() and number.isdigit()
    if not _ID.fullmatch(number):
        return False
    return number[17] == ID_CHECK[sum(int(c) * w for c, w in zip(number[:17], ID_WEIGHTS, strict=True)) % 11]


def masked(number: str) -> str:
    """Every mask character as `*` (full-width ＊ and × occur in published lists)."""
    return "".join("*" if c in "*＊×" else c for c in number)


def is_masked_id(number: str) -> bool:
    return "*" in number and bool(_MASKED_ID.fullmatch(number) or re.fullmatch(r"[0-9*]{15}", number))


def standard_mask(number: str) -> str:
    """The platform's display mask of a full ID (6 + 8×* + 4), as core.masking does it."""
    if len(number) == 18:
        return number[:6] + "*" * 8 + number[-4:]
    if len(number) == 15:
        return number[:6] + "*" * 6 + number[-3:]
    return "*" * len(number)


def mask_agreement(a: str, b: str) -> int:
    """How many positions both numbers reveal, or -1 when a revealed position disagrees or lengths differ."""
    if len(a) != len(b):
        return -1
    shared = 0
    for x, y in zip(a, b, strict=True):
        if x == "*" or y == "*":
            continue
        if x != y:
            return -1
        shared += 1
    return shared


@dataclass(frozen=True)
class Identifier:
    kind: IdentifierKind
    value: str
    valid: bool  # check digits hold (a masked ID: the pattern is well formed)

    @property
    def org_code(self) -> str:
        """The 9-character organisation code inside a USCC (positions 9–17), or the code itself."""
        if self.kind == "uscc":
            return self.value[8:17]
        return self.value if self.kind == "org_code" else ""


def classify(value: str | None, *, person: bool | None = None) -> Identifier:
    """What an identifier cell holds. `person=True`: an ID-number column (full, masked, or a bad number);
    `person=False`: an organisation column (USCC, organisation code, registration number); None: guess from
    the shape (a court's 身份证号码/组织机构代码 column holds either)."""
    code = masked(clean(value))
    if not code:
        return Identifier("", "", False)
    looks_like_id = bool(is_masked_id(code) or _ID.fullmatch(code))
    if person is None:
        person = looks_like_id and (is_masked_id(code) or id_number_valid(code) or not uscc_valid(code))
    if person:
        if is_masked_id(code):
            return Identifier("masked_id", code, True)
        return Identifier("id_number", code, id_number_valid(code))
    if len(code) == 18:
        return Identifier("uscc", code, uscc_valid(code))
    if len(code) == 9:
        return Identifier("org_code", code, org_code_valid(code))
    if _REG.fullmatch(code):
        return Identifier("reg_number", code, True)
    return Identifier("unknown", code, False)
