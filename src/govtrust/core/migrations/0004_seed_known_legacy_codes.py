from django.db import migrations

# Real early pilot codes that fail the GB 32100 check digit (reference §1).
SEED = {
    "91350211M00013FA1N": "早期试点代码，校验码不符（厦门，来源：dromara/hutool CreditCodeUtilTest）",
}


def seed(apps, schema_editor):
    KnownLegacyCode = apps.get_model("core", "KnownLegacyCode")
    for code, note in SEED.items():
        KnownLegacyCode.objects.get_or_create(code=code, defaults={"note": note, "added_by_name": "system"})


class Migration(migrations.Migration):
    dependencies = [("core", "0003_known_legacy_code")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
