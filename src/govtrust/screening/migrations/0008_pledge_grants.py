"""Grant `pledge.manage` (登记和核查投标人信用承诺): the provincial credit office everywhere, city and county
credit offices in their area. Written out, as 0006 does; an action a role already mentions is kept as is."""

from django.db import migrations

ALL, BELOW = "all", "unit_and_below"
GRANTS = {
    "provincial_credit_office": {"pledge.manage": ALL},
    "city_credit_office": {"pledge.manage": BELOW},
    "county_credit_office": {"pledge.manage": BELOW},
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
    dependencies = [("screening", "0007_pledges"), ("accounts", "0005_records_grants")]

    operations = [migrations.RunPython(grant, ungrant)]
