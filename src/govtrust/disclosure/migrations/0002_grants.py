"""Grant the personnel-query and honours-check actions to the default roles.

Written out (not imported) so the migration never changes meaning. Existing grants an operator has edited
are kept: an action is only added where the role does not mention it yet.
"""

from django.db import migrations

ALL, BELOW = "all", "unit_and_below"

GRANTS = {
    "provincial_credit_office": {"personnel_query.run": ALL, "honours.check": ALL},
    # Organisation and personnel departments query candidates (recruitment, transfer, honours, promotion) and
    # check the bodies and civil servants they manage before an honour.
    "hr_department": {"personnel_query.run": BELOW, "honours.check": BELOW},
    "city_credit_office": {"honours.check": BELOW},
    "county_credit_office": {"honours.check": BELOW},
    "discipline_department": {"honours.check": BELOW},
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
    dependencies = [
        ("disclosure", "0001_initial"),
        ("accounts", "0005_records_grants"),
        ("remedies", "0002_grants"),
    ]

    operations = [migrations.RunPython(grant, ungrant)]
