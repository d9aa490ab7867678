from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "govtrust.registry"
    label = "registry"
    verbose_name = _("主体名录")

    def ready(self) -> None:
        from govtrust.core.ingest import Suppliers, register_suppliers
        from govtrust.core.navigation import SUBJECTS, MenuItem, register_dashboard_card, register_menu_item
        from govtrust.registry.ingest import agency_name, visible_codes

        # Import kinds (registry.agencies, …) register when registry/ingest.py is imported, just above.
        register_suppliers(Suppliers(name_of=agency_name, codes_visible_to=visible_codes))

        register_menu_item(
            MenuItem(_("政府部门"), "registry:agency_list", action="registry.view", order=10, group=SUBJECTS)
        )
        register_menu_item(
            MenuItem(_("企业"), "registry:enterprise_list", action="registry.view", order=20, group=SUBJECTS)
        )

        register_dashboard_card(_agency_card, order=10)
        register_dashboard_card(_civil_servant_card, order=20)


def _agency_card(request):  # type: ignore[no-untyped-def]
    """How many bodies the user may see (their data scope), linking to the search."""
    from django.urls import reverse

    from govtrust.registry.models import Agency
    from govtrust.registry.permissions import VIEW, has_grant

    if not has_grant(request.user, VIEW):
        return None
    count = Agency.objects.visible_to(request.user, VIEW).count()
    return {"label": _("可查看的政府部门"), "value": count, "url": reverse("registry:agency_list")}


def _civil_servant_card(request):  # type: ignore[no-untyped-def]
    from govtrust.registry.models import CivilServant
    from govtrust.registry.permissions import VIEW, has_grant

    if not has_grant(request.user, VIEW):
        return None
    count = CivilServant.objects.visible_to(request.user, VIEW).count()
    return {"label": _("可查看的公务员"), "value": count, "url": None}
