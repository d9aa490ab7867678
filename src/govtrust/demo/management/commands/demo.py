"""`govtrust demo load [--scale S] [--seed N]` and `govtrust demo info [--url URL]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from govtrust.demo.loader import DEFAULT_SEED, DemoConflict, demo_info, load_demo


class Command(BaseCommand):
    help = "载入或查看演示数据 / load or describe the demo data set"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="载入演示数据（已载入则不做任何事）")
        load.add_argument("--scale", type=float, default=1.0, help="规模系数：1 ≈ 2000 个政府部门、20000 名公务员")
        load.add_argument("--seed", type=int, default=DEFAULT_SEED, help="随机种子（相同种子生成相同数据）")
        load.add_argument("--bodies-only", action="store_true", help="只生成政府部门（基准测试用）")
        info = sub.add_parser("info", help="打印访问地址和演示账号")
        info.add_argument("--url", default="http://127.0.0.1:8000", help="服务地址")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "info":
            self.stdout.write(demo_info(options["url"]))
            return
        scale = options["scale"]
        if not 0 < scale <= 1000:
            raise CommandError(_("规模系数应在 0 到 1000 之间"))
        try:
            result = load_demo(seed=options["seed"], scale=scale, people=not options["bodies_only"])
        except DemoConflict as exc:
            raise CommandError(str(exc))
        if not result.loaded:
            self.stdout.write(_("演示数据已载入，未做更改。"))
            return
        summary = "，".join(f"{k}={v}" for k, v in result.counts.items())
        self.stdout.write(
            _("演示数据已载入（%(secs).1f 秒）：%(summary)s") % {"secs": result.seconds, "summary": summary}
        )
