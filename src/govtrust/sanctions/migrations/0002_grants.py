"""Grant the sanctions actions to the default roles.

Written out (not imported) so the migration never changes meaning. Existing grants an operator has edited
are kept: an action is only added where the role does not mention it yet.
"""

from django.db import migrations

ALL, BELOW, UNIT = "all", "unit_and_below", "unit"
ACTIONS = ("sanctions.view", "sanctions.decide", "rectification.respond", "referral.record")

GRANTS = {
    "provincial_credit_office": {action: ALL for action in ACTIONS},
    # Credit offices decide the measures and review rectification in their region tree.
    "city_credit_office": {"sanctions.view": BELOW, "sanctions.decide": BELOW},
    "county_credit_office": {"sanctions.view": BELOW, "sanctions.decide": BELOW},
    # A body answers its own orders; it sees the cases of the units under it (body tree), so a superior body
    # that is told of a subordinate's overdue rectification can open it.
    "recorded_body": {"sanctions.view": BELOW, "rectification.respond": UNIT},
    # Discipline and organisation departments receive referrals and record their outcome.
    "discipline_department": {"sanctions.view": BELOW, "referral.record": BELOW},
    "hr_department": {"sanctions.view": BELOW, "referral.record": BELOW},
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
    dependencies = [("sanctions", "0001_initial"), ("accounts", "0005_records_grants")]

    operations = [migrations.RunPython(grant, ungrant)]
