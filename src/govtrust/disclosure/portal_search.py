"""Finding a government body on the portal: exact search first, then a fuzzy fallback that survives typos.

1. `registry.search.agency_search` over every registered body (the portal has no data scope: the registry of
   government bodies, their names and USCCs, is public): a USCC prefix, or a literal name substring answered
   from the n-gram index.
2. When that finds fewer than wanted, `fuzzy_bodies`: candidates are the bodies sharing the most 2-character
   grams with the query (the same n-gram index, so a typo only loses the two grams it touches); each is scored
   with rapidfuzz on names normalised by `screening.matching.normalise.parse_org_name` (full-width, traditional
   characters, punctuation folded; leading regions 南京市/玄武区 and a trailing legal form taken off), so
   "南京玄武区教育局" (missing 市), "南京市玄武区教肓局" (typo) and "南京市城建集团" (missing 有限公司) all find
   their body.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Count
from rapidfuzz import fuzz

from govtrust.registry.models import Agency, AgencyNameGram
from govtrust.registry.search import SearchPage, agency_search, classify_query
from govtrust.screening.matching.normalise import fold, parse_org_name, regions_compatible

MAX_QUERY = 60  # characters; longer input is cut (bounded work for hostile strings)
CANDIDATES = 200  # bodies scored per fuzzy search
MIN_SCORE = 60.0
GRAM_POSTING_CAP = 20000  # a gram carried by more bodies than this says little: left out of candidate counting


@dataclass(frozen=True)
class Suggestion:
    agency: Agency
    score: float  # 100 for an exact (substring/prefix) match
    exact: bool


def search_bodies(query: str, *, region_code: str = "", page: int = 1, per_page: int = 20) -> SearchPage:
    """One page of bodies matching `query` exactly (USCC prefix or name substring) within `region_code`."""
    return agency_search(
        Agency.objects.all(), query=(query or "")[:MAX_QUERY], region_code=region_code, page=page, per_page=per_page
    )


def _score(query: str, name: str) -> float:
    q, c = parse_org_name(query), parse_org_name(name)
    core = fuzz.ratio(q.core, c.core) if q.core and c.core else 0.0
    whole = fuzz.ratio(q.folded, c.folded)
    score = max(0.6 * core + 0.4 * whole, whole)
    if q.core and c.core and (q.core in c.core or c.core in q.core):
        score = max(score, 85.0)  # the query is the body's name without its region or legal form
    if not regions_compatible(q.regions, c.regions):
        score -= 25.0  # 苏州市财政局 is not 南京市财政局, however alike the letters
    return score


def fuzzy_bodies(query: str, *, limit: int = 10, exclude: set[int] | None = None) -> list[Suggestion]:
    """Bodies whose name is close to `query` (typo, missing region or legal form), best first."""
    text = fold((query or "")[:MAX_QUERY])
    grams = {text[i : i + 2] for i in range(len(text) - 1)}
    if not grams:
        return []
    sizes = dict(
        AgencyNameGram.objects.filter(gram__in=grams).values("gram").annotate(n=Count("gram")).values_list("gram", "n")
    )
    useful = [g for g in grams if 0 < sizes.get(g, 0) <= GRAM_POSTING_CAP]
    if not useful:
        return []
    needed = max(1, math.ceil(len(useful) * 0.4))
    rows = (
        AgencyNameGram.objects.filter(gram__in=useful)
        .values("agency_id")
        .annotate(n=Count("agency_id"))
        .filter(n__gte=needed)
        .order_by("-n", "agency_id")[:CANDIDATES]
    )
    ids = [r["agency_id"] for r in rows if not exclude or r["agency_id"] not in exclude]
    found = Agency.objects.select_related("region").in_bulk(ids)
    scored = [Suggestion(agency=a, score=_score(query, a.name), exact=False) for a in found.values()]
    scored = [s for s in scored if s.score >= MIN_SCORE]
    scored.sort(key=lambda s: (-s.score, s.agency.uscc))
    return scored[:limit]


def suggest(query: str, *, limit: int = 8) -> list[Suggestion]:
    """Suggestions for the search box: exact matches first, topped up with fuzzy ones."""
    query = (query or "").strip()[:MAX_QUERY]
    mode, text = classify_query(query)
    if mode == "all" or (mode == "name" and len(text) < 2):
        return []
    exact = [Suggestion(agency=a, score=100.0, exact=True) for a in search_bodies(query, per_page=limit).rows]
    if len(exact) >= limit or mode == "uscc":
        return exact[:limit]
    more = fuzzy_bodies(query, limit=limit - len(exact), exclude={s.agency.pk for s in exact})
    return exact + more
