"""Every write of the accounts app: users, roles, login unlocks, API clients and tokens. Each one is audited."""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govtrust.accounts.login_throttle import username_key
from govtrust.accounts.models import ApiClient, ApiToken, LoginLog, Role, SubjectAccount, User
from govtrust.accounts.policy import check_role_separation, validate_api_scopes, validate_grants
from govtrust.core.audit import log_change, model_snapshot
from govtrust.core.crypto import keyed_hash, sm3_hex
from govtrust.core.masking import mask_id_number
from govtrust.registry.models import Agency

USER_SNAPSHOT_EXCLUDE = ("password", "last_login")


def _user_snapshot(user: User) -> dict[str, Any]:
    data = model_snapshot(user, exclude=USER_SNAPSHOT_EXCLUDE)
    if user.pk:
        data["roles"] = sorted(user.roles.values_list("code", flat=True))
    return data


def _check_roles(roles: Iterable[Role]) -> list[Role]:
    roles = list(roles)
    check_role_separation(role.code for role in roles)
    return roles


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    password: str,
    agency: Agency | None,
    roles: Iterable[Role] = (),
    display_name: str = "",
    email: str = "",
) -> User:
    """Create a user bound to a government body. The password must pass AUTH_PASSWORD_VALIDATORS."""
    username = username.strip()
    if not username:
        raise ValidationError({"username": _("请填写用户名。")})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("用户名“%(username)s”已被使用。") % {"username": username}})
    roles = _check_roles(roles)
    user = User(username=username, agency=agency, display_name=display_name.strip(), email=email.strip())
    # Field validation (length, characters of the username, e-mail syntax) before the password, which
    # is checked against the other attributes (UserAttributeSimilarityValidator).
    user.full_clean(exclude=["password"], validate_unique=False)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages})
    user.set_password(password)
    user.save()
    user.roles.set(roles)
    log_change(actor=actor, action="create", obj=user, after=_user_snapshot(user))
    return user


@transaction.atomic
def user_update(
    *,
    actor: Any,
    user: User,
    display_name: str | None = None,
    email: str | None = None,
    agency: Agency | None = None,
) -> User:
    """Change a user's name, e-mail or body; arguments left as None are not changed."""
    before = _user_snapshot(user)
    if display_name is not None:
        user.display_name = display_name.strip()
    if email is not None:
        user.email = email.strip()
    if agency is not None:
        user.agency = agency
    user.full_clean(exclude=["password"])
    user.save()
    log_change(actor=actor, action="update", obj=user, before=before, after=_user_snapshot(user))
    return user


@transaction.atomic
def user_set_roles(*, actor: Any, user: User, roles: Iterable[Role]) -> User:
    roles = _check_roles(roles)
    before = _user_snapshot(user)
    user.roles.set(roles)
    log_change(actor=actor, action="update", obj=user, before=before, after=_user_snapshot(user), message="roles")
    return user


@transaction.atomic
def user_set_password(*, actor: Any, user: User, password: str) -> User:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages})
    user.set_password(password)
    user.save(update_fields=["password"])
    log_change(actor=actor, action="update", obj=user, message="password")
    return user


@transaction.atomic
def user_deactivate(*, actor: Any, user: User) -> User:
    """Disable a user. Their sessions stop working at once: Django's ModelBackend rejects inactive users."""
    before = _user_snapshot(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    log_change(actor=actor, action="update", obj=user, before=before, after=_user_snapshot(user), message="deactivate")
    return user


@transaction.atomic
def role_update_grants(*, actor: Any, role: Role, grants: dict[str, str]) -> Role:
    """Replace a role's grants; every action must be in `permissions.ACTIONS`, every scope a DataScope."""
    grants = validate_grants(grants)
    before = {"grants": role.grants}
    role.grants = grants
    role.save(update_fields=["grants"])
    log_change(actor=actor, action="update", obj=role, before=before, after={"grants": grants})
    return role


@transaction.atomic
def login_unlock(*, actor: Any, username: str) -> LoginLog:
    """Lift a login lockout before it expires (an operator has checked who is asking)."""
    key = username_key(username)
    if not key:
        raise ValidationError(_("请填写用户名。"))
    entry = LoginLog.objects.create(
        event=LoginLog.Event.UNLOCKED,
        username=username[:150],
        username_key=key,
        success=True,
        reason=_("由 %(actor)s 解除锁定") % {"actor": getattr(actor, "username", "system")},
    )
    log_change(
        actor=actor,
        action="update",
        object_type="accounts.loginlock",
        object_id=key[:64],
        object_repr=key[:200],
        message="unlock",
    )
    return entry


# --- API clients and tokens ------------------------------------------------------------------

TOKEN_PREFIX_ALPHABET = string.ascii_lowercase + string.digits


def hash_token(token: str) -> str:
    """SM3 of the whole token. The secret is 256 random bits, so no key or salt is needed to resist guessing."""
    return sm3_hex(token)


def _client_snapshot(client: ApiClient) -> dict[str, Any]:
    return model_snapshot(client)


@transaction.atomic
def api_client_create(
    *,
    actor: Any,
    name: str,
    agency: Agency | None = None,
    scopes: Iterable[str] = (),
    rate_limit_per_minute: int = 60,
) -> ApiClient:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("请填写客户端名称。")})
    if ApiClient.objects.filter(name=name).exists():
        raise ValidationError({"name": _("客户端名称“%(name)s”已存在。") % {"name": name}})
    if not 1 <= rate_limit_per_minute <= 100_000:
        raise ValidationError({"rate_limit_per_minute": _("每分钟请求上限应在 1 到 100000 之间。")})
    client = ApiClient(
        name=name, agency=agency, scopes=validate_api_scopes(list(scopes)), rate_limit_per_minute=rate_limit_per_minute
    )
    client.full_clean()
    client.save()
    log_change(actor=actor, action="create", obj=client, after=_client_snapshot(client))
    return client


@transaction.atomic
def api_client_update(
    *,
    actor: Any,
    client: ApiClient,
    scopes: Iterable[str] | None = None,
    rate_limit_per_minute: int | None = None,
    active: bool | None = None,
) -> ApiClient:
    before = _client_snapshot(client)
    if scopes is not None:
        client.scopes = validate_api_scopes(list(scopes))
    if rate_limit_per_minute is not None:
        if not 1 <= rate_limit_per_minute <= 100_000:
            raise ValidationError({"rate_limit_per_minute": _("每分钟请求上限应在 1 到 100000 之间。")})
        client.rate_limit_per_minute = rate_limit_per_minute
    if active is not None:
        client.active = active
    client.save()
    log_change(actor=actor, action="update", obj=client, before=before, after=_client_snapshot(client))
    return client


@transaction.atomic
def api_token_issue(*, actor: Any, client: ApiClient, expires_at: datetime | None = None) -> tuple[str, ApiToken]:
    """Issue a token `gt_<prefix>_<secret>`; returns the plaintext, which is never stored or shown again."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("失效时间必须晚于当前时间。")})
    while True:
        prefix = "".join(secrets.choice(TOKEN_PREFIX_ALPHABET) for _i in range(8))
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    plaintext = f"gt_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        client=client, prefix=prefix, token_hash=hash_token(plaintext), expires_at=expires_at
    )
    log_change(
        actor=actor,
        action="create",
        obj=token,
        after={"client": client.pk, "prefix": prefix, "expires_at": expires_at},
    )
    return plaintext, token


@transaction.atomic
def api_token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke a token at once; revoking twice keeps the first time."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        log_change(actor=actor, action="update", obj=token, after={"revoked_at": token.revoked_at}, message="revoke")
    return token


# --- a user's own identity (SubjectAccount) ------------------------------------------------------------------------
USER_MANAGE = "user.manage"


def _require_user_manager(actor: Any) -> None:
    from govtrust.registry.permissions import has_grant

    if not has_grant(actor, USER_MANAGE):
        raise PermissionDenied(_("您没有此项权限"))


def subject_account_link(*, actor: Any, user: User, id_number: str) -> SubjectAccount:
    """Link `user` to their own ID number after a user manager has checked their identity document in person.

    The link is what lets a civil servant or a person see the queries about themself and file objections and
    repair requests about their own records, so one ID number links to one user: a second user is refused
    until the first link is removed (`subject_account_unlink`). Only the keyed hash and the masked number are kept.
    """
    from govtrust.core.validators import check_id_number, normalise_code

    _require_user_manager(actor)
    number = normalise_code(id_number)
    check = check_id_number(number)
    if check.status == "invalid" or len(number) != 18:
        raise ValidationError(
            {"id_number": [str(check.reason) if check.status == "invalid" else _("请使用18位身份证号码")]}
        )
    digest = keyed_hash(number)
    with transaction.atomic():
        other = SubjectAccount.objects.filter(id_number_hash=digest).exclude(user=user).select_related("user").first()
        if other is not None:
            raise ValidationError(
                {"id_number": [_("该身份证号码已关联用户“%(u)s”，请先解除该关联") % {"u": other.user.username}]}
            )
        existing = SubjectAccount.objects.filter(user=user).first()
        before = model_snapshot(existing, exclude=("id_number_hash",)) if existing else None
        account, created = SubjectAccount.objects.update_or_create(
            user=user,
            defaults={
                "id_number_hash": digest,
                "id_number_masked": mask_id_number(number),
                "verified_by_name": str(actor),
                "verified_at": timezone.now(),
            },
        )
        log_change(
            actor=actor,
            action="create" if created else "update",
            obj=account,
            before=before,
            after=model_snapshot(account, exclude=("id_number_hash",)),
        )
    return account


def subject_account_unlink(*, actor: Any, user: User) -> None:
    """Remove a user's identity link (e.g. a wrong link, or the person now uses another account). Audited."""
    _require_user_manager(actor)
    with transaction.atomic():
        account = SubjectAccount.objects.filter(user=user).first()
        if account is None:
            raise ValidationError(_("该用户未关联本人身份"))
        before = model_snapshot(account, exclude=("id_number_hash",))
        account.delete()
        log_change(actor=actor, action="delete", object_type="accounts.subjectaccount", object_id=str(before["id"]),
                   object_repr=str(user), before=before)  # fmt: skip
