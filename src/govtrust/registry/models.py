"""Subjects that credit records are about: government bodies, civil servants, persons, enterprises.

Data scope (`visible_to(user, action)` on every QuerySet here) follows the user's `data_scope(action)`:

- ``all``: everything.
- ``unit_and_below``: for a credit office (``user.agency.is_credit_office``) every body whose region is the
  office's region or lies under it (region tree); for any other body, that body and its descendants in
  the body tree (``Agency.tree_path``). Civil servants and leaders follow their body.
- ``unit``: only the user's own body (and its civil servants and leaders).
- ``self``: records about the user themself. Users carry no link to a CivilServant/Person record yet, so
  this is nothing for now; bodies and enterprises are not records about a user, so nothing either.
- no grant: nothing.

Persons are not tied to any body, so only ``all`` lists them; other users reach a person only through a
purpose-bound, audited look-up by ID number. Enterprises are tied to a region only: ``unit_and_below``
sees those in the region of the user's body or under it, ``unit`` those in exactly that region.

Scope values are compared as plain strings ("all", …) because registry must not import accounts.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from govtrust.core.crypto import keyed_hash, sm4_decrypt, sm4_encrypt
from govtrust.core.masking import mask_id_number
from govtrust.core.models import Region

# One body-tree level in `Agency.tree_path`: the body's pk, zero-padded. Digits only, fixed width, no
# separator, so that "the subtree of X" is a plain range on an ordinary index and sorts the same under
# every collation (PostgreSQL locales ignore punctuation such as "/" when comparing).
TREE_SEGMENT = 10
TREE_PATH_MAX = 250  # 25 levels; real body trees are 3–6 deep


def _scope_of(user: Any, action: str) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False) or not hasattr(user, "data_scope"):
        return None
    scope = user.data_scope(action)
    return str(scope) if scope is not None else None


def agency_scope_q(user: Any, action: str, prefix: str = "") -> Q | None:
    """The filter on Agency (or on a relation to it via `prefix`, e.g. "agency__") for the user's scope.

    Returns Q() for everything and None for nothing, so callers can short-circuit to `.none()`.
    """
    scope = _scope_of(user, action)
    if scope == "all":
        return Q()
    agency: Agency | None = getattr(user, "agency", None)
    if agency is None or scope not in ("unit_and_below", "unit"):
        return None
    if scope == "unit":
        return Q(**{f"{prefix}pk": agency.pk})
    if agency.is_credit_office:
        region = agency.region
        return Q(**{f"{prefix}region__{region.ancestor_field()}": region.code})
    if not agency.tree_path:  # written outside the services and not yet rebuilt: fail closed to the unit
        return Q(**{f"{prefix}pk": agency.pk})
    low, high = subtree_range(agency.tree_path)
    return Q(**{f"{prefix}tree_path__gte": low, f"{prefix}tree_path__lt": high})


def subtree_range(tree_path: str) -> tuple[str, str]:
    """[low, high) bounds of every path that starts with `tree_path` (digits only): "0012" → ("0012", "0013")."""
    high = str(int(tree_path) + 1).zfill(len(tree_path))
    return tree_path, high


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
    DISSOLVED = "dissolved", pgettext_lazy("agency status", "已撤销")


class AgencyQuerySet(models.QuerySet["Agency"]):
    def in_region(self, region: Region) -> AgencyQuerySet:
        """Bodies whose region is `region` or lies under it (indexed equality on the ancestor column)."""
        return self.filter(**{f"region__{region.ancestor_field()}": region.code})

    def in_subtree(self, agency: Agency, *, include_self: bool = True) -> AgencyQuerySet:
        """`agency` and every body under it in the body tree: one indexed range on `tree_path`."""
        low, high = subtree_range(agency.tree_path)
        qs = self.filter(tree_path__gte=low, tree_path__lt=high)
        return qs if include_self else qs.exclude(pk=agency.pk)

    def visible_to(self, user: Any, action: str = "registry.view") -> AgencyQuerySet:
        q = agency_scope_q(user, action)
        return self.none() if q is None else self.filter(q)

    def rebuild_tree_paths(self) -> int:
        """Recompute every `tree_path` from the parent links (for bulk loaders that bypass the services).

        Derived data, so no audit row. Returns the number of bodies whose path changed.
        """
        parents = dict(self.model.objects.values_list("pk", "parent_id"))
        paths: dict[int, str] = {}

        def path_of(pk: int) -> str:
            if pk not in paths:
                parent = parents[pk]
                paths[pk] = (path_of(parent) if parent else "") + str(pk).zfill(TREE_SEGMENT)
            return paths[pk]

        changed = [
            Agency(pk=pk, tree_path=path_of(pk))
            for pk, current in self.model.objects.values_list("pk", "tree_path")
            if path_of(pk) != current
        ]
        self.model.objects.bulk_update(changed, ["tree_path"], batch_size=1000)
        return len(changed)


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
    # Materialised path of the body tree (see TREE_SEGMENT), maintained by the registry services.
    tree_path = models.CharField(_("单位树路径"), max_length=TREE_PATH_MAX, db_index=True, editable=False, default="")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        ordering = ["uscc"]
        verbose_name = _("政府部门")
        verbose_name_plural = _("政府部门")

    def __str__(self) -> str:
        return self.name

    @property
    def is_legacy_code(self) -> bool:
        return self.uscc_status == CodeStatus.LEGACY

    def own_tree_segment(self) -> str:
        return str(self.pk).zfill(TREE_SEGMENT)

    def current_leader(self) -> AgencyLeader | None:
        return self.leaders.filter(term_end__isnull=True).order_by("-term_start").first()


class AgencyLeaderQuerySet(models.QuerySet["AgencyLeader"]):
    def visible_to(self, user: Any, action: str = "registry.view") -> AgencyLeaderQuerySet:
        q = agency_scope_q(user, action, "agency__")
        return self.none() if q is None else self.filter(q)


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

    objects = AgencyLeaderQuerySet.as_manager()

    class Meta:
        ordering = ["agency", "-term_start"]
        verbose_name = _("单位负责人任职")
        verbose_name_plural = _("单位负责人任职")

    def __str__(self) -> str:
        return f"{self.agency} {self.position} {self.name}"


class ProtectedIdentity(models.Model):
    """A natural person's ID number, SM4-encrypted at rest, with a keyed HMAC-SM3 hash for look-up.

    The masked form (6 + 8×* + 4) is stored too, so lists never decrypt; reading the clear number goes
    through `registry.services.id_number_reveal`, which writes an access-log row.
    """

    # Audit snapshots leave these out: the ciphertext and the look-up hash are not for the change log.
    SECRET_FIELDS = ("id_number_encrypted", "id_number_hash")

    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    id_number_encrypted = models.TextField(_("证件号码（密文）"), editable=False)
    id_number_hash = models.CharField(_("证件号码检索摘要"), max_length=64, db_index=True, editable=False)
    id_number_masked = models.CharField(_("证件号码（脱敏）"), max_length=18, editable=False, default="")

    class Meta:
        abstract = True

    @staticmethod
    def hash_id_number(number: str) -> str:
        """The look-up hash of an already normalised ID number (see `policy.normalise_id_number`)."""
        return keyed_hash(number)

    def set_id_number(self, number: str) -> None:
        """Store `number` (validated and normalised by the caller) encrypted, hashed and masked — never clear."""
        self.id_number_encrypted = sm4_encrypt(number)
        self.id_number_hash = self.hash_id_number(number)
        self.id_number_masked = mask_id_number(number)

    def decrypt_id_number(self) -> str:
        """The clear number. Call only from `services.id_number_reveal`, which logs the access."""
        return sm4_decrypt(self.id_number_encrypted)


class CivilServantQuerySet(models.QuerySet["CivilServant"]):
    def visible_to(self, user: Any, action: str = "registry.view") -> CivilServantQuerySet:
        q = agency_scope_q(user, action, "agency__")
        return self.none() if q is None else self.filter(q)

    def with_id_number(self, number: str) -> CivilServantQuerySet:
        return self.filter(id_number_hash=ProtectedIdentity.hash_id_number(number))


class CivilServant(ProtectedIdentity):
    """A civil servant (公务员) serving in a government body."""

    agency = models.ForeignKey(
        Agency, verbose_name=_("所在单位"), on_delete=models.PROTECT, related_name="civil_servants"
    )
    position = models.CharField(_("职务"), max_length=100, blank=True)
    start_date = models.DateField(_("任职日期"), null=True, blank=True)
    end_date = models.DateField(_("离任日期"), null=True, blank=True)

    objects = CivilServantQuerySet.as_manager()

    class Meta:
        ordering = ["agency", "name"]
        verbose_name = _("公务员")
        verbose_name_plural = _("公务员")

    def __str__(self) -> str:
        return self.name


class PersonQuerySet(models.QuerySet["Person"]):
    def visible_to(self, user: Any, action: str = "registry.view") -> PersonQuerySet:
        # Persons belong to no body: only an "all" scope lists them (see the module docstring).
        return self if _scope_of(user, action) == "all" else self.none()

    def with_id_number(self, number: str) -> PersonQuerySet:
        return self.filter(id_number_hash=ProtectedIdentity.hash_id_number(number))


class Person(ProtectedIdentity):
    """Any other natural person who may be the subject of a record or a query (e.g. a candidate)."""

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("自然人")
        verbose_name_plural = _("自然人")
        constraints = [models.UniqueConstraint(fields=["id_number_hash"], name="person_unique_id_number")]

    def __str__(self) -> str:
        return self.name


class EnterpriseQuerySet(models.QuerySet["Enterprise"]):
    def visible_to(self, user: Any, action: str = "registry.view") -> EnterpriseQuerySet:
        scope = _scope_of(user, action)
        if scope == "all":
            return self
        agency: Agency | None = getattr(user, "agency", None)
        if agency is None or scope not in ("unit_and_below", "unit"):
            return self.none()
        region = agency.region
        if scope == "unit":
            return self.filter(region=region)
        return self.filter(**{f"region__{region.ancestor_field()}": region.code})


class Enterprise(models.Model):
    """An enterprise or other market subject (企业)."""

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    uscc_status = models.CharField(_("代码状态"), max_length=10, choices=CodeStatus.choices, default=CodeStatus.VALID)
    name = models.CharField(_("名称"), max_length=200, db_index=True)
    region = models.ForeignKey(
        Region, verbose_name=_("行政区划"), null=True, blank=True, on_delete=models.PROTECT, related_name="enterprises"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["uscc"]
        verbose_name = _("企业")
        verbose_name_plural = _("企业")

    def __str__(self) -> str:
        return self.name
