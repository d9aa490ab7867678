from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SanctionsConfig(AppConfig):
    name = "govtrust.sanctions"
    label = "sanctions"
    verbose_name = _("失信惩戒与守信激励")

    def ready(self) -> None:
        from govtrust.core.navigation import MenuItem, register_dashboard_card, register_menu_item
        from govtrust.sanctions import subscribers  # noqa: F401  (registers the event subscribers)

        group = ("sanctions", _("惩戒激励"))
        register_menu_item(
            MenuItem(_("惩戒案件"), "sanctions:case_list", action="sanctions.view", order=60, group=group)
        )
        register_menu_item(
            MenuItem(_("限期整改"), "sanctions:order_list", action="sanctions.view", order=61, group=group)
        )
        register_menu_item(
            MenuItem(_("移送追责"), "sanctions:referral_list", action="sanctions.view", order=62, group=group)
        )
        register_menu_item(
            MenuItem(_("移送追责（接收）"), "sanctions:referral_inbox", action="referral.record", order=63, group=group)
        )
        register_menu_item(
            MenuItem(_("按期办理情况"), "sanctions:dashboard", action="sanctions.view", order=64, group=group)
        )
        register_menu_item(
            MenuItem(_("守信激励"), "sanctions:incentive_list", action="sanctions.view", order=65, group=group)
        )
        register_dashboard_card(_pending_card, order=60)


def _pending_card(request):  # type: ignore[no-untyped-def]
    """Sanction cases awaiting a decision in the user's scope (shown to those who decide)."""
    from django.urls import reverse

    from govtrust.sanctions.models import CaseStatus, SanctionCase

    if request.user.data_scope("sanctions.decide") is None:
        return None
    count = SanctionCase.objects.visible_to(request.user, "sanctions.decide").filter(status=CaseStatus.PENDING).count()
    return {
        "label": _("待决定的失信惩戒建议"),
        "value": count,
        "url": reverse("sanctions:case_list") + "?status=pending",
    }
