from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "govtrust.registry"
    label = "registry"
    verbose_name = _("主体名录")

    def ready(self) -> None:
        from govtrust.core.navigation import MenuItem, register_menu_item

        register_menu_item(MenuItem(_("政府部门"), "registry:agency_list", action="registry.view", order=10))
        register_menu_item(MenuItem(_("企业"), "registry:enterprise_list", action="registry.view", order=20))
