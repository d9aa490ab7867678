from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisclosureConfig(AppConfig):
    name = "govtrust.disclosure"
    label = "disclosure"
    verbose_name = _("信息公开")

    def ready(self) -> None:
        from govtrust.disclosure.views_queries import register_navigation

        register_navigation()
