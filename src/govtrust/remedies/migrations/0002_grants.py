"""Grant the remedies actions (objections, credit repair) to the default roles.

Written out (not imported) so the migration never changes meaning. An action is only added where the role does
not mention it yet, so operators' edits are kept.
"""

from django.db import migrations

ALL, BELOW, UNIT = "all", "unit_and_below", "unit"

GRANTS = {
    # The province holds every action; it reviews (复核) and decides objections on records it supplied.
    "provincial_credit_office": {"remedies.view": ALL, "remedies.file": ALL, "remedies.decide": ALL,
                                 "remedies.review": ALL},
    # Credit offices follow the handling in their region and decide on the records they supplied themselves.
    "city_credit_office": {"remedies.view": BELOW, "remedies.decide": UNIT},
    "county_credit_office": {"remedies.view": BELOW, "remedies.decide": UNIT},
    # Objections and repairs are routed to the supplier or the deciding authority (谁认定谁修复).
    "supplier": {"remedies.view": UNIT, "remedies.decide": UNIT},
    "discipline_department": {"remedies.view": UNIT, "remedies.decide": UNIT},
    "hr_department": {"remedies.view": UNIT, "remedies.decide": UNIT},
    # The recorded body files objections and repair requests for itself.
    "recorded_body": {"remedies.view": UNIT, "remedies.file": UNIT},
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
    dependencies = [("accounts", "0005_records_grants"), ("remedies", "0001_initial")]

    operations = [migrations.RunPython(grant, ungrant)]
