"""Grant the evaluation actions to the default roles.

Written out (not imported) so the migration never changes meaning; an action a role already mentions is
left as the operator set it. The provincial office runs, publishes and manages everything; city and county
offices see the evaluation and handle the alerts of their region; no other default role sees it."""

from django.db import migrations

ALL, BELOW = "all", "unit_and_below"

GRANTS = {
    "provincial_credit_office": {"evaluation.view": ALL, "evaluation.manage": ALL, "alert.manage": ALL},
    "city_credit_office": {"evaluation.view": BELOW, "alert.manage": BELOW},
    "county_credit_office": {"evaluation.view": BELOW, "alert.manage": BELOW},
}


def grant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, grants in GRANTS.items():
        role = Role.objects.filter(code=code).first()
        if role is None:
            continue
        merged = dict(role.grants or {})
        for action, scope in grants.items():
            merged.setdefault(action, scope)
        if merged != role.grants:
            role.grants = merged
            role.save(update_fields=["grants"])


def ungrant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, grants in GRANTS.items():
        role = Role.objects.filter(code=code).first()
        if role is None:
            continue
        role.grants = {k: v for k, v in (role.grants or {}).items() if k not in grants}
        role.save(update_fields=["grants"])


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0002_default_framework"), ("accounts", "0005_records_grants")]

    operations = [migrations.RunPython(grant, ungrant)]
