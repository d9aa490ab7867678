from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "govtrust.core"
    label = "core"
    verbose_name = _("平台基础")

    def ready(self) -> None:
        from govtrust.core.jobs import register_job_kind
        from govtrust.core.navigation import RECORDS, SYSTEM, MenuItem, register_dashboard_card, register_menu_item

        register_job_kind("audit.verify", _("审计日志校验"))
        register_dashboard_card(_unread_card, order=90)
        register_job_kind("core.ingest", _("数据归集导入"))

        register_menu_item(MenuItem(_("工作台"), "console:home", order=0))
        register_menu_item(
            MenuItem(_("数据归集"), "ingest:batch_list", action="records.ingest", order=36, group=RECORDS)
        )
        register_menu_item(MenuItem(_("审计日志"), "console:audit", action="audit.view", order=85, group=SYSTEM))
        register_menu_item(MenuItem(_("运维管理"), "admin:index", order=99, staff_only=True, group=SYSTEM))


def _unread_card(request):  # type: ignore[no-untyped-def]
    from django.urls import reverse

    from govtrust.core.notifications import unread_count

    return {"label": _("未读消息"), "value": unread_count(request.user), "url": reverse("console:inbox")}
