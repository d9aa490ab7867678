"""Console menu registry: each app registers its entries in AppConfig.ready(); core stays domain-free.

An entry is shown when the user holds `action` (any scope) — or always, when `action` is None.
"""

from __future__ import annotations

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
