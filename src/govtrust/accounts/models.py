"""Users bound to a government body, roles that grant actions with a data scope, their logs, API clients."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govtrust.registry.models import Agency


class DataScope(models.TextChoices):
    """How far a granted action reaches. RuoYi's data_scope values are documented in docs/."""

    ALL = "all", _("全部数据")
    UNIT_AND_BELOW = "unit_and_below", _("本单位及以下")
    UNIT = "unit", _("本单位")
    SELF = "self", _("仅本人")


class Role(models.Model):
    """A named set of actions, each granted with a data scope: {"registry.view": "unit_and_below", …}."""

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


class LoginLog(models.Model):
    """One login, logout, failed or refused attempt (GB/T 22239-2019 8.1.4.1 b, 8.1.4.3 audit).

    `username` is what was typed, hostile strings included (templates escape it); `username_key` is its
    normalised form that lockout counts on, so `Alice` and `alice ` share one failure counter.
    """

    class Event(models.TextChoices):
        LOGIN = "login", _("登录成功")
        FAILED = "failed", _("登录失败")
        REFUSED = "refused", _("拒绝登录（已锁定）")
        LOGOUT = "logout", _("退出")
        UNLOCKED = "unlocked", _("解除锁定")

    time = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    event = models.CharField(_("事件"), max_length=10, choices=Event.choices)
    username = models.CharField(_("输入的用户名"), max_length=150, blank=True)
    username_key = models.CharField(max_length=150, blank=True, editable=False)
    # A plain id, not a foreign key: the log outlives users and must not block deleting one.
    user_pk = models.BigIntegerField(_("用户编号"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=300, blank=True)
    success = models.BooleanField(_("成功"), default=False)
    reason = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["-time", "-id"]
        verbose_name = _("登录日志")
        verbose_name_plural = _("登录日志")
        indexes = [
            models.Index(fields=["username_key", "time"], name="accounts_loginlog_user_time"),
            models.Index(fields=["ip", "time"], name="accounts_loginlog_ip_time"),
        ]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.username} {self.get_event_display()}"


class OperationLog(models.Model):
    """One write request to the console, admin or API, or one API read (RuoYi's sys_oper_log).

    Cheap and separate from the hash-chained audit trail: it says who called what and how it went,
    while `ObjectChange` says what changed. Only the path is kept, never the query string or the
    body, because those can carry ID numbers and passwords.
    """

    time = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    user_pk = models.BigIntegerField(_("用户编号"), null=True, blank=True, db_index=True)
    user_name = models.CharField(_("操作人"), max_length=150, blank=True)
    api_client_pk = models.BigIntegerField(_("接口客户端编号"), null=True, blank=True)
    business_type = models.CharField(_("业务类型"), max_length=150, blank=True, db_index=True)
    method = models.CharField(_("请求方法"), max_length=10)
    path = models.CharField(_("路径"), max_length=500)
    status_code = models.PositiveSmallIntegerField(_("状态码"))
    success = models.BooleanField(_("成功"))
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"))
    request_id = models.UUIDField(_("请求编号"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)

    class Meta:
        ordering = ["-time", "-id"]
        verbose_name = _("操作日志")
        verbose_name_plural = _("操作日志")

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.user_name} {self.method} {self.path} {self.status_code}"


class ApiClientQuerySet(models.QuerySet["ApiClient"]):
    def visible_to(self, user: Any) -> ApiClientQuerySet:
        """Clients an operator may manage: all with scope "all", otherwise those of the operator's own body.

        "unit_and_below" is treated as "unit" here: a body's API clients are managed by that body's
        operators or by the province, not by parent bodies.
        """
        scope = user.data_scope("api_client.manage") if user.is_authenticated else None
        if scope == DataScope.ALL:
            return self.all()
        if scope in (DataScope.UNIT_AND_BELOW, DataScope.UNIT) and user.agency_id:
            return self.filter(agency_id=user.agency_id)
        return self.none()


class ApiClient(models.Model):
    """A machine caller: a supplier system, a bidding platform, an open-data user.

    `scopes` lists what its tokens may call (see `permissions.API_SCOPES`); the rate limit is per
    client, shared by all its tokens and all server processes (`RateLimitBucket`).
    """

    name = models.CharField(_("名称"), max_length=100, unique=True)
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="api_clients",
    )
    scopes = models.JSONField(_("授权范围"), default=list, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(_("每分钟请求上限"), default=60)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ApiClientQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("接口客户端")
        verbose_name_plural = _("接口客户端")

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A bearer token of an ApiClient. Only its SM3 digest is stored; the plaintext is shown once."""

    client = models.ForeignKey(ApiClient, verbose_name=_("客户端"), on_delete=models.CASCADE, related_name="tokens")
    prefix = models.CharField(_("令牌前缀"), max_length=8, unique=True)
    token_hash = models.CharField(_("令牌摘要"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("失效时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.client} gt_{self.prefix}_…"

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class RateLimitBucket(models.Model):
    """A token bucket shared by every server process: the row is the state, a conditional UPDATE the lock.

    `updated_at` is Unix time in seconds as a float so that the refill arithmetic is plain SQL on
    SQLite and PostgreSQL alike.
    """

    key = models.CharField(max_length=100, unique=True)
    tokens = models.FloatField()
    updated_at = models.FloatField()

    class Meta:
        verbose_name = _("限流桶")
        verbose_name_plural = _("限流桶")

    def __str__(self) -> str:
        return self.key


class SubjectAccount(models.Model):
    """Links a platform user to their own identity (the keyed hash of their ID number), verified in person.

    Written only by `accounts.services.subject_account_link` / `subject_account_unlink` (audited). A civil servant
    or a person with such a link may read the queries about themself (disclosure, `/console/my-queries/`) and
    file objections and repair requests about their own credit records (remedies, `/console/remedies/mine/`).
    The ID number itself is never stored: only `core.crypto.keyed_hash` (HMAC-SM3) and the masked form.
    """

    user = models.OneToOneField("User", on_delete=models.CASCADE, related_name="subject_account")
    id_number_hash = models.CharField(_("证件号码检索摘要"), max_length=64, db_index=True, editable=False)
    id_number_masked = models.CharField(_("身份证号码（脱敏）"), max_length=18)
    verified_by_name = models.CharField(_("核验人"), max_length=150)
    verified_at = models.DateTimeField(_("核验时间"), default=timezone.now)

    class Meta:
        verbose_name = _("本人身份关联")
        verbose_name_plural = _("本人身份关联")

    def __str__(self) -> str:
        return f"{self.user} {self.id_number_masked}"


def subject_hash_of(user: Any) -> str | None:
    """The verified ID-number hash of an active, logged-in user; None without a SubjectAccount."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    pk = getattr(user, "pk", None)
    if pk is None:
        return None
    return SubjectAccount.objects.filter(user_id=pk).values_list("id_number_hash", flat=True).first()


def users_linked_to(id_number_hash: str) -> list[User]:
    """Active users verified as the person with this ID-number hash (normally one)."""
    if not id_number_hash:
        return []
    return list(User.objects.filter(is_active=True, subject_account__id_number_hash=id_number_hash))
