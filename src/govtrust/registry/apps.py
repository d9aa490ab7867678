from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "govtrust.registry"
    label = "registry"
    verbose_name = _("主体名录")

    def ready(self) -> None:
        from govtrust.core.ingest import Suppliers, register_suppliers
        from govtrust.core.navigation import MenuItem, register_menu_item
        from govtrust.registry.ingest import agency_name, visible_codes

        # Import kinds (registry.agencies, …) register when registry/ingest.py is imported, just above.
        register_suppliers(Suppliers(name_of=agency_name, codes_visible_to=visible_codes))

        register_menu_item(MenuItem(_("政府部门"), "registry:agency_list", action="registry.view", order=10))
        register_menu_item(MenuItem(_("企业"), "registry:enterprise_list", action="registry.view", order=20))
