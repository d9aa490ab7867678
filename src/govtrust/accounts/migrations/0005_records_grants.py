"""Grant the credit-records actions to the default roles, and add the discipline/organisation role.

Written out (not imported) so the migration never changes meaning. Existing grants an operator has edited
are kept: an action is only added where the role does not mention it yet.
"""

from django.db import migrations

ALL, BELOW, UNIT, SELF = "all", "unit_and_below", "unit", "self"

GRANTS = {
    # The provincial office holds every action (tests/accounts/test_roles.py); it cannot check a ruling it
    # entered itself (records.views._may_check), so the four-eyes rule still holds.
    "provincial_credit_office": {"records.view": ALL, "records.change": ALL, "fault_tolerance.manage": ALL},
    "city_credit_office": {"records.view": BELOW, "records.change": BELOW},
    "county_credit_office": {"records.view": BELOW, "records.change": BELOW},
    # Suppliers see the records they supplied (and their own unit's); corrections come through imports.
    "supplier": {"records.view": UNIT},
    "recorded_body": {"records.view": UNIT},
    # Organisation departments make fault-tolerance rulings for the bodies and staff they manage.
    "hr_department": {"records.view": BELOW, "fault_tolerance.manage": BELOW},
}

NEW_ROLES = [
    (
        "discipline_department",
        "纪检监察部门",
        "纪检监察机关：登记容错纠错认定，查看所辖单位及其公务员的信用记录。",
        {"records.view": BELOW, "fault_tolerance.manage": BELOW, "notification.view": SELF},
    ),
]


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
    for code, name, description, grants in NEW_ROLES:
        Role.objects.get_or_create(code=code, defaults={"name": name, "description": description, "grants": grants})


def ungrant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, grants in GRANTS.items():
        role = Role.objects.filter(code=code).first()
        if role is None:
            continue
        role.grants = {k: v for k, v in (role.grants or {}).items() if k not in grants}
        role.save(update_fields=["grants"])
    Role.objects.filter(code__in=[c for c, *_ in NEW_ROLES], users__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_grant_records_ingest")]

    operations = [migrations.RunPython(grant, ungrant)]
