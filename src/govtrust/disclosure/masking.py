"""Masking natural persons' data inside the free text of a published government body's record.

Pure functions, no ORM. A body's record is public, but its facts can name people (the legal representative,
a staff member, a complainant) and carry their ID or phone numbers. 《行政处罚结果信息网上公开暂行办法》
第七条 requires hiding natural persons' ID numbers and contact details and the names of third parties; the
masks are the platform's one family (`govtrust.core.masking`: ID 6 + 8×* + 4, phone middle 4, name 张*明).

What is masked, in this order:
1. ID numbers: 18 characters (17 digits + digit/X) whose birth-date part looks like a date, and 15 digits —
   checksum not required (a mistyped number is still personal data); the codes in `keep` (the body's and the
   deciding authority's USCC, which are public) are left alone;
2. phone numbers: mobiles 1[3-9]xxxxxxxxx and landlines 0xx(x)-xxxxxxx(x);
3. names given in `known_names` (the body's leaders and civil servants, from the registry), anywhere;
4. names right after a label that introduces a person (法定代表人、负责人、当事人、原告、联系人、姓名…) with
   2–4 Chinese characters followed by punctuation or the end of the text.

Limits (documented in docs/portal.md): a name that is neither registered nor introduced by a label
("经查，王某某未按规定…") is not found; a 5-character or non-Chinese name after a label is not masked; an
18-digit number whose middle is not date-like is taken for a code, not an ID number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from govtrust.core.masking import mask_id_number, mask_name, mask_phone

_ID18 = re.compile(
    r"(?<![0-9A-Za-z])(\d{6})((?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(\d{3}[0-9Xx])(?![0-9A-Za-z])"
)
_ID15 = re.compile(r"(?<![0-9A-Za-z])\d{6}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_LANDLINE = re.compile(r"(?<![\d-])0\d{2,3}-\d{7,8}(?![\d-])")
PERSON_LABELS = (
    "法定代表人",
    "主要负责人",
    "直接负责人",
    "负责人",
    "当事人",
    "经办人",
    "责任人",
    "联系人",
    "委托代理人",
    "代理人",
    "被申请人",
    "申请人",
    "原告",
    "被告",
    "第三人",
    "证人",
    "举报人",
    "投诉人",
    "姓名",
)
_HAN = "\u4e00-\u9fff"
_LABELLED = re.compile(
    "(" + "|".join(sorted(PERSON_LABELS, key=len, reverse=True)) + r")([：:\s]*)([" + _HAN + r"·]{2,4}?)"
    r"(?=[，,。；;、\s（()）：:]|$)"
)
# Words that follow a label but are not names (当事人员, 负责人员…): never masked.
_NOT_NAMES = frozenset({"员", "单位", "部门", "机关", "本人", "未按", "依法", "对此", "认为"})
MAX_TEXT = 20000  # longer text is masked in full too, but names are looked for in the first MAX_TEXT characters


def _mask_ids(text: str, keep: frozenset[str]) -> str:
    def id18(match: re.Match[str]) -> str:
        value = match.group(0)
        return value if value.upper() in keep else mask_id_number(value)

    def id15(match: re.Match[str]) -> str:
        value = match.group(0)
        return value if value in keep else mask_id_number(value)

    return _ID15.sub(id15, _ID18.sub(id18, text))


def _mask_phones(text: str) -> str:
    text = _MOBILE.sub(lambda m: mask_phone(m.group(0)), text)
    return _LANDLINE.sub(lambda m: mask_phone(m.group(0)), text)


def _labelled_names(text: str) -> set[str]:
    found = set()
    for match in _LABELLED.finditer(text[:MAX_TEXT]):
        name = match.group(3).strip("·")
        if len(name) >= 2 and not any(name.startswith(w) for w in _NOT_NAMES):
            found.add(name)
    return found


def mask_personal_data(text: str, *, known_names: Iterable[str] = (), keep: Iterable[str] = ()) -> str:
    """`text` with natural persons' ID numbers, phone numbers and names masked (see the module docstring)."""
    if not text:
        return ""
    text = _mask_ids(text, frozenset(k.upper() for k in keep if k))
    text = _mask_phones(text)
    names = {n.strip() for n in known_names if n and len(n.strip()) >= 2} | _labelled_names(text)
    # Longest first: 欧阳明 before 欧阳, so a shorter name inside a longer one cannot leave half of it.
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    return text
