"""Grant `records.ingest` (uploading data through the import machinery) to the default roles.

Suppliers report for their own body; credit offices see and make imports within their reach. Grants are
written out here so this migration never changes meaning; operators' edits to other grants are kept.
"""

from django.db import migrations

GRANTS = {
    "supplier": "unit",
    "provincial_credit_office": "all",
    "city_credit_office": "unit_and_below",
    "county_credit_office": "unit_and_below",
}


def grant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, scope in GRANTS.items():
        role = Role.objects.filter(code=code).first()
        if role is not None and "records.ingest" not in role.grants:
            role.grants = {**role.grants, "records.ingest": scope}
            role.save(update_fields=["grants"])


def revoke(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(code__in=list(GRANTS)):
        if role.grants.pop("records.ingest", None) is not None:
            role.save(update_fields=["grants"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_default_roles")]

    operations = [migrations.RunPython(grant, revoke)]
