from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisclosureConfig(AppConfig):
    name = "govtrust.disclosure"
    label = "disclosure"
    verbose_name = _("信息公开")

    def ready(self) -> None:
        from govtrust.core.navigation import RECORDS, MenuItem, register_menu_item

        # Error reports (纠错建议) on the records a body supplied, from the public portal.
        register_menu_item(
            MenuItem(_("纠错建议"), "disclosure_errors:list", action="records.view", order=36, group=RECORDS)
        )

        from govtrust.disclosure.views_queries import register_navigation

        register_navigation()
