"""Default roles. Grants are written out here (not imported) so this migration never changes meaning.

Later modules grant their new actions to these roles in their own data migrations.
"""

from django.db import migrations

ALL, BELOW, UNIT, SELF = "all", "unit_and_below", "unit", "self"

DEFAULT_ROLES = [
    (
        "provincial_credit_office",
        "省信用办",
        "省级社会信用综合管理部门：全省范围内的全部业务。",
        {
            "registry.view": ALL,
            "registry.change": ALL,
            "audit.view": ALL,
            "notification.view": ALL,
            "api_client.manage": ALL,
            "user.manage": ALL,
        },
    ),
    (
        "city_credit_office",
        "市信用办",
        "设区市社会信用综合管理部门：本市行政区划内的单位。",
        {"registry.view": BELOW, "registry.change": BELOW, "notification.view": SELF},
    ),
    (
        "county_credit_office",
        "县信用办",
        "县（市、区）社会信用综合管理部门：本县行政区划内的单位。",
        {"registry.view": BELOW, "registry.change": BELOW, "notification.view": SELF},
    ),
    (
        "supplier",
        "数据提供部门",
        "报送信用信息的部门：仅本单位。",
        {"registry.view": UNIT, "notification.view": SELF},
    ),
    (
        "recorded_body",
        "被记录主体",
        "被记录信用信息的政府部门：仅本单位。",
        {"registry.view": UNIT, "notification.view": SELF},
    ),
    (
        "hr_department",
        "人事部门",
        "组织人事部门：本单位及下级单位；人员信用查询由后续模块授予。",
        {"registry.view": BELOW, "notification.view": SELF},
    ),
    (
        "auditor",
        "审计员",
        "三员分立之审计员：查看审计记录与日志，不办理业务，不管理用户。",
        {"audit.view": ALL, "notification.view": SELF},
    ),
    (
        "system_admin",
        "系统管理员",
        "三员分立之系统管理员：管理用户、角色和接口客户端，不接触业务数据，不查看审计记录。",
        {"user.manage": ALL, "api_client.manage": ALL, "notification.view": SELF},
    ),
]


def create_roles(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, name, description, grants in DEFAULT_ROLES:
        # Existing roles keep operators' edits; only missing ones are created.
        Role.objects.get_or_create(code=code, defaults={"name": name, "description": description, "grants": grants})


def remove_roles(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Role.objects.filter(code__in=[code for code, *_ in DEFAULT_ROLES], users__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_logs_and_api_clients")]

    operations = [migrations.RunPython(create_roles, remove_roles)]
