from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "govtrust.screening"
    label = "screening"
    verbose_name = _("自动比对")

    def ready(self) -> None:
        from govtrust.core.navigation import MenuItem, register_menu_item
        from govtrust.screening import events, tasks  # noqa: F401  (subscribes to events; registers the job kind)

        group = ("screening", _("招标投标比对"))
        register_menu_item(
            MenuItem(_("自动比对监督"), "screening:supervision", action="screening.view", order=60, group=group)
        )
        register_menu_item(
            MenuItem(_("人工复核队列"), "screening:queue", action="screening.view", order=61, group=group)
        )
        register_menu_item(
            MenuItem(_("投标人信用承诺"), "screening:pledges", action="pledge.manage", order=62, group=group)
        )
