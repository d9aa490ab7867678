"""Grant the watchlist action to the provincial credit office (written out, as accounts 0005 does).

Existing grants an operator has edited are kept: an action is only added where the role does not mention it.
"""

from django.db import migrations

GRANTS = {"provincial_credit_office": {"screening.watchlist": "all"}}


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
    dependencies = [("screening", "0002_lists"), ("accounts", "0005_records_grants")]

    operations = [migrations.RunPython(grant, ungrant)]
