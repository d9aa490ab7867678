"""Chinese organisation-name normalisation: one parse into the features the matcher compares.

    parse_org_name("南京華夏建設工程有限責任公司蘇州分公司")
    -> OrgName(core="华夏建设工程", regions=("320100",), legal_form="有限公司", branch="苏州分公司", ...)

Steps (reference peer-systems §1.3/§1.4: rigour never strips 有限公司 from an unspaced CJK name and scores
阿里巴巴集团控股有限公司 vs 阿里巴巴集团控股 as 0, so we anchor everything at the ends of the string):

1. fold: NFKC (full-width → half-width), traditional → simplified (OpenCC t2s), lower case, every bracket
   to ( ), every other punctuation, symbol, space or control character dropped;
2. branch: a name ending in 分公司/分店/分行/… after a legal form is a branch; the parent part is parsed on
   and the branch label kept (a branch is not its parent);
3. legal form anchored at the end (有限责任公司 ≈ 有限公司; 股份有限公司; 合伙; …);
4. bracket groups: a region name in brackets is a region, a legal form in brackets a legal form, anything
   else stays in the core without its brackets;
5. leading administrative regions (江苏省 / 南京市 / 南京 / 江宁区) are taken off the front while each is
   the previous one or lies under it, and kept as a feature, not deleted.

Pure code: no Django. OpenCC is optional at import time (without it step 1 skips t2s).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MAX_NAME_LENGTH = 200  # longer input is cut: bounded work for hostile strings

try:  # the C++ OpenCC binding (PyPI `opencc`); phrase-level t2s conversion
    import opencc

    _T2S = opencc.OpenCC("t2s")

    def to_simplified(text: str) -> str:
        return str(_T2S.convert(text))

except ImportError:  # pragma: no cover - only without the optional dependency

    def to_simplified(text: str) -> str:
        return text


_OPEN = "([{<（［｛〈《「『【〔〖〘〚"
_CLOSE = ")]}>）］｝〉》」』】〕〗〙〛"
_BRACKETS = str.maketrans({**dict.fromkeys(_OPEN, "("), **dict.fromkeys(_CLOSE, ")")})


def _drop(ch: str) -> bool:
    if ch in "()":
        return False
    category = unicodedata.category(ch)
    return category[0] in "PSZC"


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Comparable text: half-width, simplified, lower case, brackets as ( ), no punctuation or spaces."""
    text = unicodedata.normalize("NFKC", (text or "")[:MAX_NAME_LENGTH])
    text = to_simplified(text).lower().translate(_BRACKETS)
    # Dropping a symbol can leave a letter next to a combining mark (A¨ → a + U+0308): compose again.
    for _round in range(3):
        folded = unicodedata.normalize("NFKC", "".join(ch for ch in text if not _drop(ch)))
        if folded == text:
            break
        text = folded
    return text


def person_name_key(name: str) -> str:
    """The *exact* name of a person for matching with a masked ID: only width and spaces are folded."""
    text = (name or "")[:MAX_NAME_LENGTH]
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if text.isprintable() and " " not in text:
        # Fast path (millions of entries at build time): a printable text without the ASCII space has no
        # whitespace (other spaces are Z* or Cc, never printable) and no control or format character.
        return text
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch)[0] != "C")


# --- legal forms (anchored at the end), canonical class for comparison ----------------------------

LEGAL_FORMS: tuple[tuple[str, str], ...] = (
    ("股份有限公司", "股份有限公司"),
    ("股份公司", "股份有限公司"),  # 公司法（2023修订）第七条: 应当标明股份有限公司或者股份公司字样
    ("股份合作公司", "股份合作公司"),
    ("有限责任公司", "有限公司"),
    ("有限公司", "有限公司"),
    ("特殊普通合伙", "合伙"),
    ("有限合伙", "合伙"),
    ("普通合伙", "合伙"),
    ("合伙企业", "合伙"),
    ("个人独资企业", "个人独资企业"),
    ("农民专业合作社", "合作社"),
    ("专业合作社", "合作社"),
    ("公司", "公司"),
    ("有限", "有限公司"),  # truncated names in some lists
)
_FORMS_LONGEST_FIRST = tuple(sorted(LEGAL_FORMS, key=lambda f: -len(f[0])))
# Forms that may stand alone as the whole bracket content: 某某基金（有限合伙）, 某某经营部（个体工商户）.
_BRACKET_FORMS = {form: cls for form, cls in LEGAL_FORMS if cls in ("合伙",)} | {"个体工商户": "个体工商户"}
# 公司 with no qualifier is compatible with 有限公司 (common shorthand); other classes conflict.
COMPATIBLE_FORMS = {frozenset(("公司", "有限公司"))}
# Company forms (公司法) differ by a conversion of the same subject (有限公司 → 股份有限公司 keeps its code);
# a partnership, cooperative or sole proprietorship is a subject of another law, never the same as a company.
COMPANY_FORMS = frozenset(("有限公司", "股份有限公司", "股份合作公司", "公司"))
# A keystroke slip in the legal form (有线公司, 有限公可, 有限司, 有限公公司) is still that form: the
# company forms of 4+ characters are recognised at the end within one edit.
_FUZZY_FORMS = (("有限责任公司", "有限公司"), ("股份有限公司", "股份有限公司"), ("有限公司", "有限公司"))

BRANCH_MARKERS = (
    "分公司",
    "分店",
    "分厂",
    "分行",
    "支行",
    "分社",
    "分部",
    "分所",
    "分中心",
    "分院",
    "办事处",
    "营业部",
    "分理处",
)
_BRANCH_RE = re.compile("(?:" + "|".join(BRANCH_MARKERS) + ")$")
_PARENT_END = re.compile("(股份有限公司|有限责任公司|有限公司|公司|集团|银行|出版社|合作社)")


# --- regions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionName:
    code: str  # GB/T 2260, 6 digits
    prefix: str  # the code's significant digits: 2 province, 4 city, 6 county
    standalone: bool  # usable on its own at the very start (districts only after their city)


def _significant(code: str) -> str:
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


_REGION_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市", "区", "县")


@lru_cache(maxsize=1)
def region_table() -> dict[str, tuple[RegionName, ...]]:
    """name (full and short forms) -> the regions it may denote (鼓楼 is in 南京 and in 徐州)."""
    table: dict[str, list[RegionName]] = {}
    path = Path(__file__).parent / "data" / "regions.csv"
    with path.open(encoding="utf-8") as handle:
        for row in csv.reader(line for line in handle if not line.startswith("#")):
            code, name = row[0], row[1]
            prefix = _significant(code)
            is_district = len(prefix) == 6 and name.endswith("区")
            forms = {name: True}
            for suffix in _REGION_SUFFIXES:
                if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                    forms[name[: -len(suffix)]] = not is_district
                    break
            for form, standalone in forms.items():
                table.setdefault(form, []).append(RegionName(code, prefix, standalone))
    return {name: tuple(regions) for name, regions in table.items()}


@lru_cache(maxsize=1)
def _region_names_by_first_char() -> dict[str, tuple[str, ...]]:
    """Region names grouped by their first character, longest first (a name is found in a few comparisons)."""
    groups: dict[str, list[str]] = {}
    for name in sorted(region_table(), key=len, reverse=True):
        groups.setdefault(name[0], []).append(name)
    return {first: tuple(names) for first, names in groups.items()}


def _one_compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return any(x.startswith(y) or y.startswith(x) for x in a for y in b)


def _fits(x: tuple[str, ...], other: tuple[tuple[str, ...], ...]) -> bool:
    same_level = [y for y in other if len(y[0]) == len(x[0])]
    return any(_one_compatible(x, y) for y in (same_level or other))


def _level(region: tuple[str, ...]) -> int:
    return max(len(prefix) for prefix in region)


def regions_compatible(a: tuple[tuple[str, ...], ...], b: tuple[tuple[str, ...], ...]) -> bool:
    """Can two names' regions be the same place? Each region of one name must match a region of the other
    at the same level (city with city: 南京 ≠ 苏州; district with district: 亭湖 ≠ 盐都), or, when the other
    names none at that level, lie on the same branch of the tree as one of its regions (南京 ⊃ 江宁).
    A name without regions is compatible with anything (a dropped prefix).

    And the finest level named must be the same on both sides: the region right before the trade name is
    the level the name was registered at, and a clerk adds or drops the coarser ones (江苏省南京市X ≈ 南京X),
    not that one — 江苏省X and 南京市X, 盐城市X and 盐城市亭湖区X, X（江苏）and X（苏州）are other subjects
    (a provincial body and a city one, a city company and a district one)."""
    if not a or not b:
        return True
    if max(map(_level, a)) != max(map(_level, b)):
        return False
    return all(_fits(x, b) for x in a) and all(_fits(y, a) for y in b)


def _under(candidates: tuple[RegionName, ...], context: tuple[str, ...]) -> tuple[RegionName, ...]:
    if not context:
        return candidates
    return tuple(r for r in candidates if any(r.prefix.startswith(c) or c.startswith(r.prefix) for c in context))


MIN_CORE_AFTER_REGION = 3  # 海安贸易, 栖霞建设: a region name followed by one industry word is a trade name


def _leading_regions(text: str, regions: tuple[tuple[str, ...], ...]) -> tuple[str, tuple[tuple[str, ...], ...]]:
    """Take region names off the front while 3+ characters remain. A district (栖霞区/栖霞) counts only after
    a region it lies under; other names count anywhere at the front. Each region found is kept (as the
    tuple of the places the name may denote), so that a conflict anywhere in the chain is seen."""
    table = region_table()
    while True:
        for name in _region_names_by_first_char().get(text[:1], ()):
            if not text.startswith(name) or len(text) - len(name) < MIN_CORE_AFTER_REGION:
                continue
            if text[len(name) : len(name) + 1] in ("省", "市", "县", "区") and text[: len(name) + 1] in table:
                continue  # 南京|市高科: the full name 南京市 was too long to take off, so its short form is too
            candidates = table[name]
            context = tuple(p for alternatives in regions for p in alternatives)
            fitting = tuple(r for r in candidates if r.standalone) + tuple(
                r for r in _under(candidates, context) if context and not r.standalone
            )
            if fitting:
                narrowed = _under(fitting, context) or fitting  # 鼓楼 after 南京 is 南京's 鼓楼
                regions = (*regions, tuple(sorted({r.prefix for r in narrowed})))
                text = text[len(name) :]
                break
        else:
            return text, regions


# --- the parse -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgName:
    folded: str  # the whole name folded
    core: str  # what remains for fuzzy comparison
    regions: tuple[tuple[str, ...], ...]  # each region named, as the code prefixes it may denote
    legal_form: str  # canonical class, or ""
    branch: str  # the branch label (苏州分公司), or "" for a main body


def _one_edit(a: str, b: str) -> bool:
    """At most one inserted, deleted or substituted character between a and b."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


_BARE_FORMS = ("公司", "有限")  # tried after the slips: 有线公司 is 有限公司 mistyped, not 有线 + 公司


def _strip_legal_form(text: str, *, fuzzy: bool = False) -> tuple[str, str]:
    bare: tuple[str, str] | None = None
    for form, cls in _FORMS_LONGEST_FIRST:
        if text.endswith(form) and len(text) > len(form):
            if form not in _BARE_FORMS:
                return text[: -len(form)], cls
            bare = (form, cls)  # only 2-character forms are left to try, and a text ends in one of them at most
            break
    # A slip keeps 限 or ends in 司: a cheap test first, most names without a company form never get further.
    if fuzzy and ("限" in text[-7:] or text.endswith("司")):
        for form, cls in _FUZZY_FORMS:
            for size in (len(form) + 1, len(form), len(form) - 1):  # the longest reading: 有限限公司 is a doubled 限
                # The slip must keep the form's last or first character (公司/有限) and leave 2+ characters.
                tail = text[-size:]
                if len(text) - size >= 2 and (tail[-1] == form[-1] or tail[0] == form[0]) and _one_edit(tail, form):
                    return text[:-size], cls
    if bare is not None:
        return text[: -len(bare[0])], bare[1]
    return text, ""


_GROUP = re.compile(r"\(([^()]*)\)")


@lru_cache(maxsize=65536)
def parse_org_name(name: str) -> OrgName:
    folded = fold(name)
    text = folded
    branch = ""
    marker = _BRANCH_RE.search(text)
    if marker:
        ends = list(_PARENT_END.finditer(text, 0, marker.start()))
        if ends:
            cut = ends[-1].end()
            text, branch = text[:cut], text[cut:]
        else:  # 好又多超市观前分店: a branch with no legal form before its label
            text, branch = text[: marker.start()], text[marker.start() :]
    text, legal_form = _strip_legal_form(text, fuzzy=not branch)
    text, regions = _leading_regions(text.lstrip("()"), ())
    text = _short_region_form(text)
    pieces: list[str] = []
    last = 0
    for match in _GROUP.finditer(text):
        pieces.append(text[last : match.start()])
        content = match.group(1)
        if content in region_table():  # 华润万家（南京）商业: a region in brackets is a region too
            context = tuple(p for alternatives in regions for p in alternatives)
            fitting = _under(region_table()[content], context) or region_table()[content]
            regions = (*regions, tuple(sorted({r.prefix for r in fitting})))
        elif content in _BRACKET_FORMS:
            legal_form = legal_form or _BRACKET_FORMS[content]
        else:
            pieces.append(content)
        last = match.end()
    pieces.append(text[last:])
    core = "".join(pieces).replace("(", "").replace(")", "")
    if core != text:
        core, form = _strip_legal_form(core)  # 某某（普通合伙）有限公司 → legal form revealed
        legal_form = legal_form or form
    return OrgName(folded=folded, core=core, regions=regions, legal_form=legal_form, branch=_short_region_form(branch))


def legal_forms_compatible(a: str, b: str) -> bool:
    return not a or not b or a == b or frozenset((a, b)) in COMPATIBLE_FORMS


def legal_families_differ(a: str, b: str) -> bool:
    """A company against a partnership, cooperative or sole proprietorship (another law, another subject)."""
    return bool(a and b) and (a in COMPANY_FORMS) != (b in COMPANY_FORMS)


def _short_region_form(text: str) -> str:
    """A region name kept at the front (too little would remain: 南京市高科, or a branch label 南京市分行) is
    written in its short form, so 南京市高科 and 南京高科, 南京市分行 and 南京分行 compare equal."""
    table = region_table()
    for end in range(3, min(len(text), 9) + 1):
        name = text[:end]
        if name[-1] in "省市县区" and name in table and name[:-1] in table:
            return name[:-1] + text[end:]
    return text
