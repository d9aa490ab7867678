"""Load the default indicator framework (rules/framework-2026.json) as the active version of its code.

Reads the rules file as it ships with this migration's release; idempotent (a version already present is
left alone, so an operator's edits survive)."""

import datetime
import json
from pathlib import Path

from django.db import migrations

RULES = Path(__file__).resolve().parent.parent / "rules" / "framework-2026.json"


def load(apps, schema_editor):
    Framework = apps.get_model("evaluation", "Framework")
    Indicator = apps.get_model("evaluation", "Indicator")
    data = json.loads(RULES.read_text(encoding="utf-8"))
    if Framework.objects.filter(code=data["code"], version=data["version"]).exists():
        return
    active = not Framework.objects.filter(code=data["code"], status="active").exists()
    framework = Framework.objects.create(
        code=data["code"],
        version=data["version"],
        name=data["name"],
        basis=data["basis"],
        provisional=data.get("provisional", False),
        provisional_note=data.get("provisional_note", ""),
        effective_from=datetime.date.fromisoformat(data["effective_from"]) if data.get("effective_from") else None,
        status="active" if active else "draft",
        activated_at=datetime.datetime.now(datetime.timezone.utc) if active else None,
    )
    created = {}
    for position, node in enumerate(data["nodes"]):
        created[node["code"]] = Indicator.objects.create(
            framework=framework,
            code=node["code"],
            name=node["name"],
            node=node["node"],
            parent=created[node["parent"]] if node.get("parent") else None,
            weight=node.get("weight", 1),
            direction=node.get("direction", 1),
            unit=node.get("unit", ""),
            period=node.get("period", ""),
            source=node.get("source", ""),
            unit_label=node.get("unit_label", ""),
            basis=node.get("basis", ""),
            position=position,
        )


def unload(apps, schema_editor):
    Framework = apps.get_model("evaluation", "Framework")
    data = json.loads(RULES.read_text(encoding="utf-8"))
    Framework.objects.filter(code=data["code"], version=data["version"], runs__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
