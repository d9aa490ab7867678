"""`govtrust evaluate --spec SPEC --data DATA.csv --out OUT.csv`: score and rank units from a CSV file.

The spec (TOML or JSON, format in docs/evaluation.md) names the indicator tree and every step's method;
the output CSV has each unit's score and rank at every level and, when the spec asks for uncertainty, the
rank interval of the top level. The same spec, data and seed always give the same file.
Exit status: 0 done; 2 the spec or the data was refused (the message says why; nothing is written).
"""

from __future__ import annotations

import csv
import json
import math
import tomllib
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from govtrust.evaluation.pipeline import PipelineError, dataset_from_rows, parse_spec, result_rows, run

EXIT_REFUSED = 2


class Command(BaseCommand):
    help = "按评价规格对 CSV 数据计算综合得分和排名"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--spec", required=True, help="评价规格文件（.toml 或 .json）")
        parser.add_argument("--data", required=True, help="指标数据（CSV，UTF-8，第一行为表头）")
        parser.add_argument("--out", required=True, help="结果输出文件（CSV）")
        parser.add_argument("--seed", type=int, default=None, help="随机种子（覆盖规格中的 seed）")
        parser.add_argument("--no-uncertainty", action="store_true", help="不做不确定性分析")

    def _fail(self, message: str) -> None:
        self.stderr.write(_("错误：%(message)s") % {"message": message})
        raise SystemExit(EXIT_REFUSED)

    def _read_spec(self, path: Path) -> Any:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            self._fail(_("无法读取规格文件 %(path)s：%(error)s") % {"path": path, "error": error})
        try:
            if path.suffix.lower() == ".json":
                return json.loads(text)
            return tomllib.loads(text)
        except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
            self._fail(_("规格文件 %(path)s 格式有误：%(error)s") % {"path": path, "error": error})

    def _read_csv(self, path: Path) -> tuple[list[str], list[list[str]]]:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                table = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            self._fail(_("无法读取数据文件 %(path)s：%(error)s") % {"path": path, "error": error})
        if not table:
            self._fail(_("数据文件 %(path)s 是空的") % {"path": path})
        return table[0], table[1:]

    def handle(self, *args: Any, **options: Any) -> None:
        spec_path, data_path, out = Path(options["spec"]), Path(options["data"]), Path(options["out"])
        raw = self._read_spec(spec_path)
        header, rows = self._read_csv(data_path)
        try:
            spec = parse_spec(raw)
            data = dataset_from_rows(spec, header, rows)
            result = run(spec, data, seed=options["seed"], uncertainty=not options["no_uncertainty"])
        except PipelineError as error:
            self._fail(str(error))
            return
        out_header, out_rows = result_rows(result)
        try:
            with out.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(out_header)
                writer.writerows(out_rows)
        except OSError as error:
            self._fail(_("无法写入结果文件 %(path)s：%(error)s") % {"path": out, "error": error})
        self._summary(result, out)

    def _summary(self, result: Any, out: Path) -> None:
        w = self.stdout.write
        w(
            _("评价对象 %(units)d 个，指标 %(inds)d 个，汇总项 %(aggs)d 个")
            % {
                "units": len(result.units),
                "inds": len(result.spec.indicators),
                "aggs": len(result.spec.tree.aggregates),
            }
        )
        for t in result.treatments:
            if t.method == "winsorised":
                w(
                    _("异常值处理：%(code)s 缩尾（低端 %(low)d 个，高端 %(high)d 个）")
                    % {"code": t.indicator, "low": t.low, "high": t.high}
                )
            elif t.method == "log":
                w(_("异常值处理：%(code)s 对数变换") % {"code": t.indicator})
        for flag in result.audit.flags:
            kind = _("高度相关") if flag.kind == "collinear" else _("负相关")
            w(
                _("相关性提示：%(a)s 与 %(b)s %(kind)s（r = %(r).2f）")
                % {"a": flag.first, "b": flag.second, "kind": kind, "r": flag.r}
            )
        unc = result.uncertainty
        if unc is not None:
            w(
                _("不确定性分析：%(runs)d 次模拟，不确定输入 %(factors)s")
                % {"runs": unc.runs, "factors": "、".join(unc.factors)}
            )
            for name, s1, st in zip(unc.factors, unc.sobol_first, unc.sobol_total, strict=True):
                w(
                    _("  %(name)s：一阶敏感性指数 %(s1)s，总敏感性指数 %(st)s")
                    % {"name": name, "s1": _fmt(s1), "st": _fmt(st)}
                )
        w(_("结果已写入 %(path)s") % {"path": out})


def _fmt(v: float) -> str:
    return "—" if math.isnan(v) else f"{v:.3f}"
