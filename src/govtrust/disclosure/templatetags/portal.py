"""Template helpers for the public portal."""

from __future__ import annotations

from django import template
from django.urls import get_script_prefix, reverse

register = template.Library()

NAV = (
    "portal:home",
    "portal:search",
    "portal:suggest",
    "portal:record_list",
    "portal:lawsuits_lost",
    "portal:defaulters",
    "portal:regions",
    "portal:statistics",
    "portal:opendata",
    "portal:rankings",
    "accounts:login",
    "set_language",
)
_nav_cache: dict[str, dict[str, str]] = {}


@register.simple_tag
def portal_urls() -> dict[str, str]:
    """The fixed URLs every portal page links (navigation, search box, footer), by short name ("home", "login").

    Reversed once per script prefix, not a dozen `{% url %}` per request: they were ~10 % of a portal page's
    CPU (benchmarks/portal.py). The URLs take no arguments and do not depend on the language (no i18n_patterns).
    """
    prefix = get_script_prefix()
    urls = _nav_cache.get(prefix)
    if urls is None:
        urls = {name.rpartition(":")[2]: reverse(name) for name in NAV}
        _nav_cache[prefix] = urls
    return urls
