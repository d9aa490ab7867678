"""Grant the supervision console's actions (written out, as accounts 0005 does): the provincial credit office
sees and reviews every platform's screenings, city and county offices those of platforms in their area.

Existing grants an operator has edited are kept: an action is only added where the role does not mention it.
"""

from django.db import migrations

ALL, BELOW = "all", "unit_and_below"
GRANTS = {
    "provincial_credit_office": {"screening.view": ALL, "screening.review": ALL},
    "city_credit_office": {"screening.view": BELOW, "screening.review": BELOW},
    "county_credit_office": {"screening.view": BELOW, "screening.review": BELOW},
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
    dependencies = [("screening", "0005_index_snapshots"), ("accounts", "0005_records_grants")]

    operations = [migrations.RunPython(grant, ungrant)]
