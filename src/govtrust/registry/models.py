"""Subjects that credit records are about: government bodies, civil servants, persons, enterprises."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from govtrust.core.models import Region


class CodeStatus(models.TextChoices):
    VALID = "valid", _("有效")
    LEGACY = "legacy", _("历史代码（校验位不符，已登记为存量）")


class AgencyType(models.TextChoices):
    ORGAN = "organ", _("机关")
    INSTITUTION = "institution", _("事业单位")
    MASS_ORGANISATION = "mass_org", _("群团组织")
    OTHER = "other", _("其他")


class AgencyLevel(models.TextChoices):
    PROVINCE = "province", _("省级")
    CITY = "city", _("市级")
    COUNTY = "county", _("县级")
    TOWNSHIP = "township", _("乡级")


class AgencyStatus(models.TextChoices):
    ACTIVE = "active", _("存续")
    MERGED = "merged", _("已撤并")
    DISSOLVED = "dissolved", _("已撤销")


class AgencyQuerySet(models.QuerySet["Agency"]):
    def in_region(self, region: Region) -> AgencyQuerySet:
        """Bodies whose region is `region` or lies under it (indexed equality on the ancestor column)."""
        return self.filter(**{f"region__{region.ancestor_field()}": region.code})

    # STAND-IN (search-demo branch): a minimal data-scope filter so the search page works before the
    # registry/accounts work lands. Replace with their `visible_to` at merge; keep the signature.
    def visible_to(self, user: Any, action: str = "agency.view") -> AgencyQuerySet:
        scope = user.data_scope(action) if getattr(user, "is_authenticated", False) else None
        if scope == "all":
            return self
        agency = getattr(user, "agency", None)
        if scope is None or agency is None:
            return self.none()
        if scope == "unit_and_below":
            if agency.is_credit_office:
                return self.in_region(agency.region)
            ids, frontier = {agency.pk}, [agency.pk]
            while frontier:  # the body tree is a few levels deep
                frontier = list(Agency.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
                ids.update(frontier)
            return self.filter(pk__in=ids)
        return self.filter(pk=agency.pk)


class Agency(models.Model):
    """A government body (政府部门 / 机关 / 事业单位), keyed by its Unified Social Credit Code."""

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    uscc_status = models.CharField(_("代码状态"), max_length=10, choices=CodeStatus.choices, default=CodeStatus.VALID)
    name = models.CharField(_("名称"), max_length=200, db_index=True)
    org_type = models.CharField(_("机构类型"), max_length=20, choices=AgencyType.choices, default=AgencyType.ORGAN)
    # Credit offices (社会信用综合管理部门) see everything in their region; other bodies see their own tree.
    is_credit_office = models.BooleanField(_("信用主管部门"), default=False)
    region = models.ForeignKey(Region, verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="agencies")
    parent = models.ForeignKey(
        "self", verbose_name=_("上级单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    level = models.CharField(_("层级"), max_length=10, choices=AgencyLevel.choices)
    status = models.CharField(_("状态"), max_length=10, choices=AgencyStatus.choices, default=AgencyStatus.ACTIVE)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        ordering = ["uscc"]
        verbose_name = _("政府部门")
        verbose_name_plural = _("政府部门")

    def __str__(self) -> str:
        return self.name


class AgencyNameGram(models.Model):
    """One substring of 2–4 characters of a body's name: the inverted index behind name search.

    `LIKE '%财政%'` reads every row. Here a query of 2–4 characters (almost every name search) is one
    index range, total count included, on SQLite and PostgreSQL alike with no extension (pg_trgm ignores
    CJK); a longer query intersects the postings of its 4-character pieces and LIKE confirms the match.
    Kept in step by `registry.search.index_agency_name`, which services call after a create or rename.
    """

    gram = models.CharField(max_length=4)
    # db_index=False: the (agency, gram) unique index below already starts with agency_id.
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="name_grams", db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "gram"], name="agency_name_gram_unique")]
        # Postings in agency order: a page of matches is the first rows of one index range.
        indexes = [models.Index(fields=["gram", "agency"], name="agency_name_gram_posting")]

    def __str__(self) -> str:
        return self.gram


class AgencyLeader(models.Model):
    """Who was the responsible leader (主要负责人) of a body, and when: needed for accountability later."""

    agency = models.ForeignKey(Agency, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="leaders")
    name = models.CharField(_("姓名"), max_length=50)
    civil_servant = models.ForeignKey(
        "CivilServant", verbose_name=_("公务员"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.CharField(_("职务"), max_length=100)
    term_start = models.DateField(_("任职起始日"))
    term_end = models.DateField(_("任职终止日"), null=True, blank=True)

    class Meta:
        ordering = ["agency", "-term_start"]
        verbose_name = _("单位负责人任职")
        verbose_name_plural = _("单位负责人任职")

    def __str__(self) -> str:
        return f"{self.agency} {self.position} {self.name}"


class ProtectedIdentity(models.Model):
    """A natural person's ID number, SM4-encrypted at rest, with a keyed HMAC-SM3 hash for look-up."""

    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    id_number_encrypted = models.TextField(_("证件号码（密文）"), editable=False)
    id_number_hash = models.CharField(_("证件号码检索摘要"), max_length=64, db_index=True, editable=False)

    class Meta:
        abstract = True


class CivilServant(ProtectedIdentity):
    """A civil servant (公务员) serving in a government body."""

    agency = models.ForeignKey(
        Agency, verbose_name=_("所在单位"), on_delete=models.PROTECT, related_name="civil_servants"
    )
    position = models.CharField(_("职务"), max_length=100, blank=True)
    start_date = models.DateField(_("任职日期"), null=True, blank=True)
    end_date = models.DateField(_("离任日期"), null=True, blank=True)

    class Meta:
        ordering = ["agency", "name"]
        verbose_name = _("公务员")
        verbose_name_plural = _("公务员")

    def __str__(self) -> str:
        return self.name


class Person(ProtectedIdentity):
    """Any other natural person who may be the subject of a record or a query (e.g. a candidate)."""

    class Meta:
        ordering = ["name"]
        verbose_name = _("自然人")
        verbose_name_plural = _("自然人")
        constraints = [models.UniqueConstraint(fields=["id_number_hash"], name="person_unique_id_number")]

    def __str__(self) -> str:
        return self.name


class Enterprise(models.Model):
    """An enterprise or other market subject (企业)."""

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    uscc_status = models.CharField(_("代码状态"), max_length=10, choices=CodeStatus.choices, default=CodeStatus.VALID)
    name = models.CharField(_("名称"), max_length=200, db_index=True)
    region = models.ForeignKey(
        Region, verbose_name=_("行政区划"), null=True, blank=True, on_delete=models.PROTECT, related_name="enterprises"
    )

    class Meta:
        ordering = ["uscc"]
        verbose_name = _("企业")
        verbose_name_plural = _("企业")

    def __str__(self) -> str:
        return self.name
