"""Pure rules of the accounts app: what a role may grant, 三员分立, login-failure lockout, token buckets.

No ORM here: inputs and outputs are plain values, so every rule is unit-tested with times we choose.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from govtrust.accounts.permissions import ACTIONS, API_SCOPES

SCOPE_VALUES = ("all", "unit_and_below", "unit", "self")


def validate_grants(grants: Any) -> dict[str, str]:
    """Check a role's grants ({action: scope}); raise ValidationError listing every bad entry."""
    if not isinstance(grants, Mapping):
        raise ValidationError(_("授权必须是“动作: 数据范围”的映射。"))
    errors = []
    for action, scope in grants.items():
        if action not in ACTIONS:
            errors.append(ValidationError(_("未知的动作：%(action)s。"), params={"action": action}))
        elif scope not in SCOPE_VALUES:
            errors.append(
                ValidationError(
                    _("动作 %(action)s 的数据范围“%(scope)s”无效，应为 all、unit_and_below、unit 或 self。"),
                    params={"action": action, "scope": scope},
                )
            )
    if errors:
        raise ValidationError(errors)
    return dict(grants)


def validate_api_scopes(scopes: Any) -> list[str]:
    """Check an API client's scopes; returns them de-duplicated and sorted."""
    if not isinstance(scopes, list | tuple | set) or not all(isinstance(s, str) for s in scopes):
        raise ValidationError(_("接口授权范围必须是字符串列表。"))
    unknown = sorted(set(scopes) - set(API_SCOPES))
    if unknown:
        raise ValidationError(_("未知的接口授权范围：%(scopes)s。"), params={"scopes": "、".join(unknown)})
    return sorted(set(scopes))


# 三员分立 (separation of the system administrator, security administrator and auditor; GB/T 22239-2019
# 8.1.4.2 c) "应授予管理用户所需的最小权限，实现管理用户的权限分离"): one user may hold at most one of these.
SEPARATED_ROLE_CODES = frozenset({"system_admin", "auditor"})


def check_role_separation(role_codes: Iterable[str]) -> None:
    held = sorted(SEPARATED_ROLE_CODES.intersection(role_codes))
    if len(held) > 1:
        raise ValidationError(
            _("三员分立：同一用户不能同时担任 %(roles)s。"), params={"roles": "、".join(held)}, code="separation"
        )


@dataclass(frozen=True)
class LoginThrottle:
    """Login-failure handling (登录失败处理).

    Legal basis: GB/T 22239-2019《信息安全技术 网络安全等级保护基本要求》8.1.4.1 b) "应具有登录失败处理
    功能，应配置并启用结束会话、限制非法登录次数和当登录连接超时自动退出等相关措施", in force since
    2019-12-01. The standard sets no numbers; ours come from settings (GOVTRUST_LOGIN_*).
    """

    limit: int  # failures that trigger the lockout …
    window: timedelta  # … when they all fall within this span
    lockout: timedelta  # how long further attempts are refused after the last counted failure


def locked_until(events: Sequence[tuple[datetime, str]], *, rule: LoginThrottle) -> datetime | None:
    """When the lockout implied by `events` ends, or None if they imply none.

    `events` are (time, kind) newest first, kind "failed" or a reset ("login", "unlocked"); refused
    attempts are not passed in, so hammering a locked account does not extend its lockout and an
    attacker cannot keep a real user out for longer than one lockout period per `limit` guesses.
    The caller compares the result with now.
    """
    failures: list[datetime] = []
    for time, kind in events:
        if kind != "failed":
            break  # a successful login or an operator's unlock resets the count
        failures.append(time)
        if len(failures) == rule.limit:
            break
    if rule.limit < 1 or len(failures) < rule.limit:
        return None
    newest, oldest = failures[0], failures[-1]
    if newest - oldest > rule.window:
        return None
    return newest + rule.lockout


def bucket_wait_seconds(*, tokens: float, updated_at: float, capacity: float, per_second: float, now: float) -> int:
    """Whole seconds until a token bucket holds one token again (for Retry-After), at least 1."""
    available = min(capacity, tokens + max(0.0, now - updated_at) * per_second)
    if per_second <= 0:
        return 60
    return max(1, math.ceil((1.0 - available) / per_second))


# A process may take API rate-limit tokens from the shared bucket in small leases instead of one write per
# call (see accounts.ratelimit.rate_limit_take_leased). Not a rule of law: an engineering bound on how far a
# lease may bend the limit — at most 1% of a client's per-minute capacity, at most 100 tokens, for 1 second.
RATE_LEASE_FRACTION = 0.01
RATE_LEASE_MAX = 100
RATE_LEASE_SECONDS = 1.0


def rate_lease_size(capacity: int) -> int:
    """How many tokens one process takes at a time from a bucket of `capacity`; 1 = no leasing (exact)."""
    return max(1, min(RATE_LEASE_MAX, int(capacity * RATE_LEASE_FRACTION)))
