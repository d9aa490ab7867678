from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemediesConfig(AppConfig):
    name = "govtrust.remedies"
    label = "remedies"
    verbose_name = _("信用权益保护")

    def ready(self) -> None:
        from govtrust.core.navigation import MenuItem, register_menu_item

        # Subscribers register at import time (record.in_force, calendar.year_entered).
        from govtrust.remedies import (
            subscribers,  # noqa: F401
            sweeps,  # noqa: F401  (also registers its lines of the daily digest)
        )

        group = ("remedies", _("异议与修复"))
        register_menu_item(
            MenuItem(_("本单位记录"), "remedies:my_records", action="remedies.file", order=60, group=group)
        )
        # Every logged-in user: the page explains how to get one's identity linked when it is not.
        register_menu_item(MenuItem(_("我的信用记录"), "remedies:mine", order=59, group=group))
        register_menu_item(
            MenuItem(_("异议"), "remedies:objection_list", action="remedies.view", order=61, group=group)
        )
        register_menu_item(
            MenuItem(_("信用修复"), "remedies:repair_list", action="remedies.view", order=62, group=group)
        )
        register_menu_item(MenuItem(_("办理时效"), "remedies:dashboard", action="remedies.view", order=63, group=group))
        register_menu_item(
            MenuItem(_("委托代理"), "remedies:agent_list", action="remedies.file", order=64, group=group)
        )
