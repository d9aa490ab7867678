from django.db import migrations


def load(apps, schema_editor):
    # Reads the packaged CSV (govtrust/core/data/regions/jiangsu.csv); insert-or-update, so re-running is safe.
    from govtrust.core.regions import load_jiangsu

    load_jiangsu(apps.get_model("core", "Region"))


class Migration(migrations.Migration):
    dependencies = [("core", "0004_seed_known_legacy_codes")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
