"""Government-body search: by USCC prefix or by a substring of the name, within a region and a data scope.

Callers pass the base QuerySet that already carries the data scope (`Agency.objects.visible_to(user)`),
so search never widens what a user may see.

- A USCC prefix is an index range (`uscc >= P AND uscc < P || 'Z'`): 'Z' sorts after every character
  of the USCC alphabet (GB 32100 omits Z), and a range uses the unique index where LIKE may not.
- A name substring is answered from `AgencyNameGram`, an inverted index of every 2–4-character substring
  of every name: a query of 2–4 characters is one index range; a longer one intersects postings and LIKE
  confirms it.
  `benchmarks/search.py` measures it against a plain `LIKE '%x%'` scan.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, QuerySet

from govtrust.core.models import Region
from govtrust.core.validators import normalise_code
from govtrust.registry.models import Agency, AgencyNameGram

_USCC_PREFIX = re.compile(r"[0-9A-Z]{2,18}")
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class SearchPage:
    rows: list[Agency]
    total: int
    page: int
    per_page: int
    mode: str  # "all" | "uscc" | "name"
    query: str = ""
    region: Region | None = None
    unknown_region: bool = False

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)


@dataclass(frozen=True)
class RegionNode:
    region: Region
    count: int
    has_children: bool
    children: list[RegionNode] = field(default_factory=list)


# --- the n-gram index ---------------------------------------------------------------------------

GRAM_MIN, GRAM_MAX = 2, 4


def name_grams(text: str) -> set[str]:
    """Every distinct substring of 2–4 characters (spaces count: names are matched literally)."""
    return {text[i : i + n] for n in range(GRAM_MIN, GRAM_MAX + 1) for i in range(len(text) - n + 1)}


def index_agency_name(agency: Agency) -> None:
    """Bring the name index of one body in line with its current name. Call after create and rename."""
    wanted = name_grams(agency.name)
    with transaction.atomic():
        have = set(AgencyNameGram.objects.filter(agency=agency).values_list("gram", flat=True))
        if have - wanted:
            AgencyNameGram.objects.filter(agency=agency, gram__in=have - wanted).delete()
        AgencyNameGram.objects.bulk_create([AgencyNameGram(agency=agency, gram=g) for g in sorted(wanted - have)])


def index_names(pairs: Iterable[tuple[int, str]], *, batch_size: int = 5000) -> int:
    """Add the index rows of freshly inserted bodies, given as (pk, name). For bulk loads; returns rows written."""
    table = connection.ops.quote_name(AgencyNameGram._meta.db_table)
    sql = f"INSERT INTO {table} (gram, agency_id) VALUES (%s, %s)"  # noqa: S608 (our own table name)
    written, batch = 0, list[tuple[str, int]]()
    with transaction.atomic(), connection.cursor() as cursor:
        for pk, name in pairs:
            batch.extend((g, pk) for g in name_grams(name))
            if len(batch) >= batch_size:
                cursor.executemany(sql, batch)
                written, batch = written + len(batch), []
        if batch:
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


def reindex_all() -> int:
    """Rebuild the whole name index from Agency names (e.g. after a raw import); returns rows written."""
    with transaction.atomic():
        AgencyNameGram.objects.all().delete()
        return index_names(Agency.objects.order_by("pk").values_list("pk", "name").iterator(chunk_size=5000))


# --- search ------------------------------------------------------------------------------------


def classify_query(query: str) -> tuple[str, str]:
    """("uscc", PREFIX) for an alphanumeric prefix of 2–18 characters, ("name", text) otherwise, ("all", "")."""
    text = (query or "").strip()
    if not text:
        return "all", ""
    code = normalise_code(text)
    if _USCC_PREFIX.fullmatch(code):
        return "uscc", code
    return "name", text


def filter_name(qs: QuerySet[Agency], text: str) -> QuerySet[Agency]:
    """Bodies whose name contains `text` literally (ORM parameters: %, _ and quotes are plain characters)."""
    if len(text) < GRAM_MIN:  # one character: nothing indexed to look up, so scan
        return qs.filter(name__contains=text)
    if len(text) <= GRAM_MAX:  # the query is itself an indexed substring: one posting, exact
        return qs.filter(name_grams__gram=text)
    # Longer: every 4-character piece must be there; drive from the rarest posting, probe the others.
    pieces = {text[i : i + GRAM_MAX] for i in range(len(text) - GRAM_MAX + 1)}
    sizes = dict(
        AgencyNameGram.objects.filter(gram__in=pieces).values("gram").annotate(n=Count("gram")).values_list("gram", "n")
    )
    if len(sizes) < len(pieces):
        return qs.none()  # some piece occurs in no name at all
    first, *others = sorted(pieces, key=lambda g: (sizes[g], g))
    qs = qs.filter(name_grams__gram=first)
    for gram in others:
        qs = qs.filter(Exists(AgencyNameGram.objects.filter(gram=gram, agency_id=OuterRef("pk"))))
    return qs.filter(name__contains=text)  # the pieces are all there, but are they in one run?


def filter_region(qs: QuerySet[Agency], region: Region) -> QuerySet[Agency]:
    """Bodies in `region` or under it. `region_id IN (ids)` uses the index on agency.region_id; the
    ancestor-column join (`in_region`) would read every body to test its region's column."""
    ids = list(Region.objects.descendants_of(region).values_list("pk", flat=True))
    return qs.filter(region_id__in=ids)


def result_ordering(mode: str, region: Region | None) -> list[str]:
    """The order of a result list, chosen so that a page is read off an index without sorting the matches:

    - name matches in registration order, the order of the index postings;
    - a region's bodies region by region (regions are stored in code order), then in registration order:
      the index on region_id holds exactly that order, while USCC order would sort every match;
    - otherwise USCC order (a USCC prefix is a range of that index).
    """
    if mode == "name":
        return ["pk"]
    if mode == "all" and region is not None:
        return ["region_id", "pk"]
    return ["uscc"]


def agency_search(
    base: QuerySet[Agency], *, query: str = "", region_code: str = "", page: int = 1, per_page: int = 20
) -> SearchPage:
    """One page of bodies from `base` matching `query` within `region_code`, with the total count."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    qs, region, unknown = search_queryset(base, query=query, region_code=region_code)
    mode, text = classify_query(query)
    # An unscoped search for an indexed substring needs no body rows at all until the page is chosen.
    posting_only = mode == "name" and GRAM_MIN <= len(text) <= GRAM_MAX and region is None and not base.query.where
    posting = AgencyNameGram.objects.filter(gram=text)
    total = posting.count() if posting_only else qs.count()
    pages = max(1, math.ceil(total / per_page))
    page = max(1, min(page, pages))
    offset = (page - 1) * per_page
    rows: list[Agency] = []
    if total and posting_only:
        ids = list(posting.order_by("agency_id").values_list("agency_id", flat=True)[offset : offset + per_page])
        found = Agency.objects.select_related("region").in_bulk(ids)
        rows = [found[pk] for pk in ids if pk in found]
    elif total:
        rows = list(qs.select_related("region").order_by(*result_ordering(mode, region))[offset : offset + per_page])
    return SearchPage(
        rows=rows,
        total=total,
        page=page,
        per_page=per_page,
        mode=mode,
        query=text,
        region=region,
        unknown_region=unknown,
    )


def search_queryset(
    base: QuerySet[Agency], *, query: str = "", region_code: str = ""
) -> tuple[QuerySet[Agency], Region | None, bool]:
    """The filtered QuerySet behind `agency_search` (also used by the export), the region, and whether
    `region_code` was unknown."""
    qs = base
    region = None
    if region_code:
        region = Region.objects.filter(code=region_code.strip()).first()
        if region is None:
            return base.none(), None, True
        qs = filter_region(qs, region)
    mode, text = classify_query(query)
    if mode == "uscc":
        qs = qs.filter(uscc__gte=text, uscc__lt=text + "Z")
    elif mode == "name":
        qs = filter_name(qs, text)
    return qs, region, False


# --- the region tree ---------------------------------------------------------------------------


def region_children(base: QuerySet[Agency], parent: Region) -> list[RegionNode]:
    """The regions directly under `parent`, each with the number of bodies of `base` in its subtree."""
    children = list(Region.objects.filter(parent=parent).order_by("code"))
    if not children:
        return []
    child_level_field = Region._LEVEL_FIELDS[parent.level + 1]
    # region id -> the child (by code) it rolls up to; the parent's own bodies roll up to nobody.
    rollup = dict(Region.objects.descendants_of(parent).values_list("pk", child_level_field))
    counts: dict[str, int] = {}
    per_region = base.filter(region_id__in=list(rollup)).values_list("region_id").annotate(n=Count("pk"))
    for region_id, n in per_region.order_by():
        code = rollup.get(region_id)
        if code:
            counts[code] = counts.get(code, 0) + n
    with_children = set(
        Region.objects.filter(parent__in=children).values_list("parent_id", flat=True).distinct().order_by()
    )
    return [RegionNode(region=c, count=counts.get(c.code, 0), has_children=c.pk in with_children) for c in children]


def region_node(base: QuerySet[Agency], region: Region) -> RegionNode:
    """A root of the tree: the region with its own subtree count (children are loaded on demand)."""
    count = filter_region(base, region).count()
    has_children = Region.objects.filter(parent=region).exists()
    return RegionNode(region=region, count=count, has_children=has_children)
