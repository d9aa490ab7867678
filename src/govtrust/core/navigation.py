"""Console menu registry: each app registers its entries in AppConfig.ready(); core stays domain-free.

An entry is shown when the user holds `action` (any scope) — or always, when `action` is None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class MenuItem:
    label: Any  # a lazy translation string
    url_name: str
    action: str | None = None
    order: int = 100
    staff_only: bool = False


_menu: list[MenuItem] = []


def register_menu_item(item: MenuItem) -> None:
    if all(existing.url_name != item.url_name for existing in _menu):
        _menu.append(item)
        _menu.sort(key=lambda i: i.order)


def menu_for(user: Any, current_path: str = "") -> list[dict[str, Any]]:
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    for item in _menu:
        if item.staff_only and not user.is_staff:
            continue
        if item.action and user.data_scope(item.action) is None:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = current_path == url or (url != "/console/" and current_path.startswith(url))
        items.append({"label": item.label, "url": url, "active": active})
    return items


# --- dashboard cards ------------------------------------------------------------------------------
# Each app contributes figures to the console home page: a function of the request returning
# {"label": …, "value": …, "url": …} or None when the card does not apply to this user.

DashboardCard = Callable[[Any], "dict[str, Any] | None"]
_cards: list[tuple[int, DashboardCard]] = []


def register_dashboard_card(card: DashboardCard, *, order: int = 100) -> None:
    if all(existing is not card for _order, existing in _cards):
        _cards.append((order, card))
        _cards.sort(key=lambda pair: pair[0])


def dashboard_for(request: Any) -> list[dict[str, Any]]:
    return [data for _order, card in _cards if (data := card(request)) is not None]
