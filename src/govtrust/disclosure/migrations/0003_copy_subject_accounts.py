"""Copy the identity links (SubjectAccount) to the accounts app, which now owns them (remedies needs them too
and sits below disclosure). Forward only: the next migration drops the disclosure table.

Rows keep their values (the hash, masked number, who verified and when); they get new ids in the accounts
table. A user already linked there (none, normally: the table is new) keeps that link.
"""

from django.db import migrations


def copy(apps, schema_editor):
    Old = apps.get_model("disclosure", "SubjectAccount")
    New = apps.get_model("accounts", "SubjectAccount")
    taken = set(New.objects.values_list("user_id", flat=True))
    New.objects.bulk_create(
        [
            New(
                user_id=old.user_id,
                id_number_hash=old.id_number_hash,
                id_number_masked=old.id_number_masked,
                verified_by_name=old.verified_by_name,
                verified_at=old.verified_at,
            )
            for old in Old.objects.order_by("pk")
            if old.user_id not in taken
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("disclosure", "0002_grants"),
        ("accounts", "0006_subject_account"),
    ]

    operations = [migrations.RunPython(copy, migrations.RunPython.noop, elidable=True)]
