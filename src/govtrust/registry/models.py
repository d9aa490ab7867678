"""Subjects that credit records are about: government bodies, civil servants, persons, enterprises."""

from __future__ import annotations

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
