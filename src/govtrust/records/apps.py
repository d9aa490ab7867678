from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "govtrust.records"
    label = "records"
    verbose_name = _("信用记录")

    def ready(self) -> None:
        from govtrust.core.navigation import RECORDS, TOLERANCE, MenuItem, register_dashboard_card, register_menu_item

        register_menu_item(
            MenuItem(_("信用记录"), "records:record_list", action="records.view", order=30, group=RECORDS)
        )
        register_menu_item(
            MenuItem(_("认定登记"), "records:ruling_list", action="fault_tolerance.manage", order=50, group=TOLERANCE)
        )
        register_menu_item(
            MenuItem(_("认定核对"), "records:ruling_review", action="records.change", order=51, group=TOLERANCE)
        )
        register_menu_item(MenuItem(_("报送覆盖"), "records:coverage", action="records.view", order=35, group=RECORDS))
        register_menu_item(MenuItem(_("期限规则"), "records:rule_list", action="records.view", order=38, group=RECORDS))
        register_dashboard_card(_published_card, order=30)


def _published_card(request):  # type: ignore[no-untyped-def]
    """Dishonesty records of government bodies now in their publicity window, within the user's scope."""
    from django.urls import reverse

    from govtrust.records.models import CreditRecord

    if request.user.data_scope("records.view") is None:
        return None
    count = CreditRecord.objects.visible_to(request.user).published().count()
    return {"label": _("公示期内的政务失信记录"), "value": count, "url": reverse("records:record_list")}
