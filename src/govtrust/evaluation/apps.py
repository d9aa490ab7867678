from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "govtrust.evaluation"
    label = "evaluation"
    verbose_name = _("政务诚信评价")

    def ready(self) -> None:
        from govtrust.core.jobs import register_job_kind
        from govtrust.core.navigation import MenuItem, register_dashboard_card, register_menu_item

        group = ("evaluation", _("评价预警"))
        register_menu_item(
            MenuItem(_("评价看板"), "evaluation:overview", action="evaluation.view", order=60, group=group)
        )
        register_menu_item(
            MenuItem(_("评价运行"), "evaluation:run_list", action="evaluation.view", order=61, group=group)
        )
        register_menu_item(
            MenuItem(_("指标体系"), "evaluation:framework_list", action="evaluation.view", order=62, group=group)
        )
        register_menu_item(
            MenuItem(_("预警"), "evaluation:alert_list", action="evaluation.view", order=63, group=group)
        )
        register_menu_item(
            MenuItem(_("预警规则"), "evaluation:rule_list", action="alert.manage", order=64, group=group)
        )
        register_job_kind("evaluation.run", _("政务诚信评价计算"))
        register_dashboard_card(_open_alerts_card, order=60)


def _open_alerts_card(request):  # type: ignore[no-untyped-def]
    """Open early warnings about units in the user's scope."""
    from django.urls import reverse

    from govtrust.evaluation.models import Alert, AlertStatus

    if request.user.data_scope("evaluation.view") is None:
        return None
    count = Alert.objects.visible_to(request.user).filter(status=AlertStatus.OPEN).count()
    return {"label": _("待处理的政务诚信预警"), "value": count, "url": reverse("evaluation:alert_list")}
