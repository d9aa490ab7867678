from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "govtrust.screening"
    label = "screening"
    verbose_name = _("自动比对")

    def ready(self) -> None:
        from govtrust.screening import events  # noqa: F401  (subscribes to the records' events)
