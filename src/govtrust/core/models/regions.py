from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("省")
    CITY = 2, _("市")
    COUNTY = 3, _("县")
    TOWNSHIP = 4, _("乡")


class RegionKind(models.TextChoices):
    DIVISION = "division", _("行政区划")
    FUNCTIONAL_ZONE = "functional_zone", _("功能区")
    TOWNSHIP = "township", _("乡级单位")


class RegionQuerySet(models.QuerySet["Region"]):
    def descendants_of(self, region: Region, *, include_self: bool = True) -> RegionQuerySet:
        """Everything under `region`; an equality filter on the ancestor column, so indexed on every DB."""
        qs = self.filter(**{region.ancestor_field(): region.code})
        return qs if include_self else qs.exclude(pk=region.pk)

    def ancestors_of(self, region: Region, *, include_self: bool = True) -> RegionQuerySet:
        codes = [c for c in region.ancestor_codes() if include_self or c != region.code]
        return self.filter(code__in=codes).order_by("level")


class Region(models.Model):
    """An administrative division (GB/T 2260), a functional zone, or a township-level unit.

    The tree is at most four levels deep, so each row stores the code of its ancestor at every level
    (itself at its own level). "Everything under X" is then one indexed equality filter on SQLite and
    PostgreSQL alike, with no recursive query.
    """

    code = models.CharField(_("代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.PositiveSmallIntegerField(_("层级"), choices=RegionLevel.choices)
    kind = models.CharField(_("类别"), max_length=20, choices=RegionKind.choices, default=RegionKind.DIVISION)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    province_code = models.CharField(max_length=12, db_index=True, blank=True)
    city_code = models.CharField(max_length=12, db_index=True, blank=True)
    county_code = models.CharField(max_length=12, db_index=True, blank=True)
    township_code = models.CharField(max_length=12, db_index=True, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return self.name

    _LEVEL_FIELDS = {1: "province_code", 2: "city_code", 3: "county_code", 4: "township_code"}

    def ancestor_field(self) -> str:
        return self._LEVEL_FIELDS[self.level]

    def ancestor_codes(self) -> list[str]:
        return [c for c in (self.province_code, self.city_code, self.county_code, self.township_code) if c]

    def fill_ancestor_codes(self) -> None:
        """Copy the parent's ancestor codes and put our own code at our level."""
        for field in self._LEVEL_FIELDS.values():
            setattr(self, field, getattr(self.parent, field) if self.parent else "")
        setattr(self, self.ancestor_field(), self.code)
