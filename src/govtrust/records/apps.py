from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "govtrust.records"
    label = "records"
    verbose_name = _("信用记录")

    def ready(self) -> None:
        from govtrust.core.navigation import MenuItem, register_menu_item

        register_menu_item(MenuItem(_("信用记录"), "records:record_list", action="records.view", order=30))
        register_menu_item(MenuItem(_("容错纠错"), "records:ruling_list", action="fault_tolerance.manage", order=40))
        register_menu_item(MenuItem(_("容错核对"), "records:ruling_review", action="records.change", order=41))
        register_menu_item(MenuItem(_("报送覆盖"), "records:coverage", action="records.view", order=35))
        register_menu_item(MenuItem(_("规则"), "records:rule_list", action="records.view", order=90))
