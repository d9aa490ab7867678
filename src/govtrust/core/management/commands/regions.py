"""`govtrust regions import FILE` (township-level CSV, all or nothing) and `govtrust regions list [--parent CODE]`."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from govtrust.core.models import Region
from govtrust.core.regions import RegionImportError, parse_region_csv
from govtrust.core.services import region_import


@dataclass(frozen=True)
class CliActor:
    """Who ran a command, for the audit row (the OS account; no platform login on the console)."""

    username: str
    is_authenticated: bool = False


class Command(BaseCommand):
    help = _("行政区划：导入乡级区划（CSV，UTF-8或GBK）或列出下级区划")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help=_("导入乡级区划CSV：code,name[,parent_code][,kind]"))
        imp.add_argument("file", type=Path)
        lst = sub.add_parser("list", help=_("列出下级区划（不指定上级时列出最上级）"))
        lst.add_argument("--parent", default="", metavar="CODE")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "import":
            self.import_file(options["file"])
        else:
            self.list_children(options["parent"])

    def import_file(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("无法读取文件：%(e)s") % {"e": exc})
        try:
            result = region_import(actor=CliActor(f"cli:{getpass.getuser()}"), rows=parse_region_csv(data))
        except RegionImportError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(_("导入失败：%(n)d处错误，未导入任何数据") % {"n": len(exc.errors)})
        self.stdout.write(
            _("导入完成：新增%(c)d个，修改%(u)d个，未变%(n)d个")
            % {"c": len(result.created), "u": len(result.updated), "n": len(result.unchanged)}
        )

    def list_children(self, parent_code: str) -> None:
        if parent_code:
            parent = Region.objects.filter(code=parent_code).first()
            if parent is None:
                raise CommandError(_("区划“%(c)s”不存在") % {"c": parent_code})
            children = Region.objects.filter(parent=parent)
        else:
            children = Region.objects.filter(parent__isnull=True)
        for region in children.order_by("code"):
            self.stdout.write(f"{region.code}\t{region.name}\t{region.level}\t{region.kind}")
