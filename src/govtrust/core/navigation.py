"""Console menu registry: each app registers its entries in AppConfig.ready(); core stays domain-free.

An entry is shown when the user holds `action` (any scope) — or always, when `action` is None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MenuItem:
    label: Any  # a lazy translation string
    url_name: str
    action: str | None = None
    order: int = 100
    staff_only: bool = False
    # (key, label): items sharing a key appear together under one drop-down, ordered by the first's order.
    group: tuple[str, Any] | None = None


_menu: list[MenuItem] = []

# Menu groups shared by the apps (key, label). Labels only: the apps decide what goes in them.
SUBJECTS = ("subjects", _("主体名录"))
RECORDS = ("records", _("信用记录"))
TOLERANCE = ("tolerance", _("容错纠错"))
SYSTEM = ("system", _("系统管理"))


def register_menu_item(item: MenuItem) -> None:
    if all(existing.url_name != item.url_name for existing in _menu):
        _menu.append(item)
        _menu.sort(key=lambda i: i.order)


def menu_for(user: Any, current_path: str = "") -> list[dict[str, Any]]:
    """The menu entries the user may see: links, and groups of links (a group of one is shown as a link)."""
    if not getattr(user, "is_authenticated", False):
        return []
    entries: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}
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
        link = {"label": item.label, "url": url, "active": active}
        if item.group is None:
            entries.append(link)
            continue
        key, label = item.group
        if key not in groups:
            groups[key] = {"label": label, "children": [], "active": False}
            entries.append(groups[key])
        groups[key]["children"].append(link)
        groups[key]["active"] = groups[key]["active"] or active
    return [entry["children"][0] if len(entry.get("children", ())) == 1 else entry for entry in entries]


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
