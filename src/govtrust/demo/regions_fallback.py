"""STAND-IN (search-demo branch): Jiangsu's province, 13 cities and 95 county-level divisions.

core's region data migration (core/data/regions/jiangsu.csv) supersedes this; `ensure_regions` does
nothing once any Region row exists, so after that lands this module is only a safety net for benchmarks.
Source: reference/china-credit-facts.md §9 (国家统计局 2023 统计用区划代码).
"""

from __future__ import annotations

from django.db import transaction

from govtrust.core.models import Region

_CITIES = """
320100南京市 320102玄武 320104秦淮 320105建邺 320106鼓楼 320111浦口 320113栖霞
320114雨花台 320115江宁 320116六合 320117溧水 320118高淳
320200无锡市 320205锡山 320206惠山 320211滨湖 320213梁溪 320214新吴 320281江阴市
320282宜兴市
320300徐州市 320302鼓楼 320303云龙 320305贾汪 320311泉山 320312铜山 320321丰县
320322沛县 320324睢宁县 320381新沂市 320382邳州市
320400常州市 320402天宁 320404钟楼 320411新北 320412武进 320413金坛 320481溧阳市
320500苏州市 320505虎丘 320506吴中 320507相城 320508姑苏 320509吴江 320581常熟市
320582张家港市 320583昆山市 320585太仓市
320600南通市 320612通州 320613崇川 320614海门 320623如东县 320681启东市 320682如皋市
320685海安市
320700连云港市 320703连云 320706海州 320707赣榆 320722东海县 320723灌云县 320724灌南县
320800淮安市 320803淮安 320804淮阴 320812清江浦 320813洪泽 320826涟水县 320830盱眙县
320831金湖县
320900盐城市 320902亭湖 320903盐都 320904大丰 320921响水县 320922滨海县 320923阜宁县
320924射阳县 320925建湖县 320981东台市
321000扬州市 321002广陵 321003邗江 321012江都 321023宝应县 321081仪征市 321084高邮市
321100镇江市 321102京口 321111润州 321112丹徒 321181丹阳市 321182扬中市 321183句容市
321200泰州市 321202海陵 321203高港 321204姜堰 321281兴化市 321282靖江市 321283泰兴市
321300宿迁市 321302宿城 321311宿豫 321322沭阳县 321323泗阳县 321324泗洪县
"""


def jiangsu_rows() -> list[tuple[str, str, int, str | None]]:
    """(code, name, level, parent code) for the province, its cities and counties."""
    rows: list[tuple[str, str, int, str | None]] = [("320000", "江苏省", 1, None)]
    city_code = ""
    for item in _CITIES.split():
        code, name = item[:6], item[6:]
        if code.endswith("00"):
            city_code = code
            rows.append((code, name, 2, "320000"))
        else:
            rows.append((code, name if name.endswith(("市", "县")) else name + "区", 3, city_code))
    return rows


def ensure_regions() -> int:
    """Create the Jiangsu divisions when the region table is empty; returns how many were created."""
    if Region.objects.exists():
        return 0
    by_code: dict[str, Region] = {}
    with transaction.atomic():
        for code, name, level, parent_code in jiangsu_rows():
            region = Region(code=code, name=name, level=level, parent=by_code.get(parent_code or ""))
            region.fill_ancestor_codes()
            region.save()
            by_code[code] = region
    return len(by_code)
