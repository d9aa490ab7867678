"""Users bound to a government body, roles that grant actions with a data scope."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from govtrust.registry.models import Agency


class DataScope(models.TextChoices):
    """How far a granted action reaches. RuoYi's data_scope values are documented in docs/."""

    ALL = "all", _("全部数据")
    UNIT_AND_BELOW = "unit_and_below", _("本单位及以下")
    UNIT = "unit", _("本单位")
    SELF = "self", _("仅本人")


class Role(models.Model):
    """A named set of actions, each granted with a data scope: {"agency.view": "unit_and_below", …}."""

    code = models.CharField(_("角色编码"), max_length=50, unique=True)
    name = models.CharField(_("角色名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    grants = models.JSONField(_("授权"), default=dict, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("角色")
        verbose_name_plural = _("角色")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A platform user; every staff user belongs to one government body."""

    agency = models.ForeignKey(
        Agency, verbose_name=_("所在单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    roles = models.ManyToManyField(Role, verbose_name=_("角色"), blank=True, related_name="users")

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    def data_scope(self, action: str) -> DataScope | None:
        """The widest scope any of the user's roles grants for `action`; None when not granted.

        Scoped QuerySets (`visible_to(user)`) call this; superusers see everything.
        """
        if not self.is_active:
            return None
        if self.is_superuser:
            return DataScope.ALL
        granted = [role.grants.get(action) for role in self.roles.all()]
        for scope in SCOPE_ORDER:
            if scope in granted:
                return scope
        return None


# Widest first: when two roles grant the same action, the wider scope wins.
SCOPE_ORDER = [DataScope.ALL, DataScope.UNIT_AND_BELOW, DataScope.UNIT, DataScope.SELF]
