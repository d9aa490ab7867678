#!/usr/bin/env python3
"""Regenerate src/govtrust/core/rules/holidays/cn.json from the `chinesecalendar` package.

    .venv/bin/python scripts/export_holidays.py           # rewrite the file
    .venv/bin/python scripts/export_holidays.py --check   # exit 1 if the file is out of date

The platform reads only the JSON at run time; chinesecalendar is a build-time source and a test oracle.
When a new year's notice comes out before chinesecalendar has it, operators enter the year in the
admin (CalendarYear), which wins over this file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parent.parent / "src" / "govtrust" / "core" / "rules" / "holidays" / "cn.json"

# Document number and date of issue only where we confirmed them from the published text; otherwise the title
# alone (see docs/periods.md).
CONFIRMED_NUMBERS = {
    2024: "国办发明电〔2023〕7号，2023年10月25日",
    2025: "国办发明电〔2024〕12号，2024年11月12日",
    2026: "2025年11月4日",
}
# Years whose days off come from more than the yearly notice.
EXTRA_BASES = {
    2015: "国务院关于中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日调休放假的通知",
    2020: "国务院办公厅关于延长2020年春节假期的通知",
}


def year_basis(year: int) -> str:
    basis = f"国务院办公厅关于{year}年部分节假日安排的通知"
    if year in CONFIRMED_NUMBERS:
        basis += f"（{CONFIRMED_NUMBERS[year]}）"
    if year in EXTRA_BASES:
        basis += f"；{EXTRA_BASES[year]}"
    return basis


def build() -> dict[str, Any]:
    import chinese_calendar
    from chinese_calendar import constants

    years = sorted({d.year for d in constants.holidays} | {d.year for d in constants.workdays})
    return {
        "country": "CN",
        "description": (
            "全国统一放假安排：holidays 为通知所列放假日期（含与周末连休的日期），"
            "workdays 为调休上班的周六、周日。未列出的日期：周一至周五为工作日，周六、周日为休息日。"
        ),
        "legal_basis": (
            "《全国年节及纪念日放假办法》；《国务院关于职工工作时间的规定》；国务院办公厅每年的部分节假日安排通知"
        ),
        "source": f"chinesecalendar {getattr(chinese_calendar, '__version__', '?')}（scripts/export_holidays.py 生成）",
        "years": {
            str(year): {
                "basis": year_basis(year),
                "holidays": sorted(d.isoformat() for d in constants.holidays if d.year == year),
                "workdays": sorted(d.isoformat() for d in constants.workdays if d.year == year),
            }
            for year in years
        },
    }


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the packaged file is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT} is out of date: run scripts/export_holidays.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
