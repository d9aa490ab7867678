from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "govtrust.accounts"
    label = "accounts"
    verbose_name = _("用户与权限")

    def ready(self) -> None:
        from govtrust.accounts import signals  # noqa: F401  (connects the login-log receivers)
        from govtrust.core.navigation import SYSTEM, MenuItem, register_menu_item

        register_menu_item(
            MenuItem(_("接口客户端"), "accounts:api_client_list", action="api_client.manage", order=80, group=SYSTEM)
        )
