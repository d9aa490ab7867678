"""The list codes that ship with the platform (written out, not imported, so the migration never changes meaning).

Existing rows are left alone: an operator may have renamed a list or switched it off.
"""

from django.db import migrations

# (code, name, source, basis, feed)
LISTS = [
    ('SXBZXR', '失信被执行人', '最高人民法院（中国执行信息公开网）', '《最高人民法院关于公布失信被执行人名单信息的若干规定》（2013年，2017年修正）', 'file'),
    ('SW_ZDSSWF', '重大税收违法失信主体', '国家税务总局及各级税务机关', '《重大税收违法失信主体信息公布管理办法》', 'file'),
    ('SC_YZWFSX', '市场监督管理严重违法失信名单', '国家市场监督管理总局及地方市场监管部门', '《市场监督管理严重违法失信名单管理办法》', 'file'),
    ('TJ_YZSX', '统计严重失信企业', '国家统计局及地方统计机构', '《统计严重失信企业信用管理办法》', 'file'),
    ('ZFCG_YZWF', '政府采购严重违法失信行为记录名单', '财政部（中国政府采购网）及地方财政部门', '《中华人民共和国政府采购法》第七十七条；《政府采购法实施条例》', 'file'),
    ('OTHER_YZSX', '其他部门严重失信主体名单', '国务院有关部门及省级有关部门', '《全国失信惩戒措施基础清单》所列严重失信主体名单', 'file'),
    ('GOVTRUST', '本平台政务失信记录（有效期内）', '本平台信用记录', '苏政发〔2023〕55号；平台信用记录中处于有效期、属失信类别且未被容错认定覆盖的记录', 'records'),
]


def add_lists(apps, schema_editor):
    Watchlist = apps.get_model("screening", "Watchlist")
    for code, name, source, basis, feed in LISTS:
        Watchlist.objects.get_or_create(code=code, defaults={"name": name, "source": source, "basis": basis, "feed": feed})


def remove_lists(apps, schema_editor):
    Watchlist = apps.get_model("screening", "Watchlist")
    Watchlist.objects.filter(code__in=[row[0] for row in LISTS], entries__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]

    operations = [migrations.RunPython(add_lists, remove_lists)]
