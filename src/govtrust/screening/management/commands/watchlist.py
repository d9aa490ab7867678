"""`govtrust watchlist import FILE --list CODE [--full]` and `govtrust watchlist lists`.

The load runs through the import machinery (kind `screening.watchlist.<CODE>[.full]`), so its exit codes
are those of `govtrust ingest`: 0 stored, 1 some rows rejected, 2 file refused or unknown list code,
3 the same file already published, 4 unexpected error. Without --full a row with delisted_on removes its
entry; with --full the file replaces the list. GOVTRUST is fed from the platform's records, not files.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from govtrust.core.management.commands.ingest import cli_actor
from govtrust.screening.index import snapshot_build
from govtrust.screening.lists import kind_code
from govtrust.screening.models import Feed, Watchlist
from govtrust.screening.services import govtrust_list_sync

EXIT_REFUSED = 2


class Command(BaseCommand):
    help = "管理比对名单：导入名单文件、列出名单"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        load = sub.add_parser("import", help="导入名单文件（CSV、JSON Lines、XLSX）")
        load.add_argument("file")
        load.add_argument("--list", dest="list_code", required=True, help="名单代码，如 SXBZXR")
        load.add_argument("--full", action="store_true", help="全量替换：文件中没有的条目移出名单")
        load.add_argument("--strict", action="store_true", help="严格模式：有任何错误行则整批不入库")
        sub.add_parser("lists", help="列出名单代码")
        sub.add_parser("sync", help="按平台信用记录更新 GOVTRUST 名单")
        sub.add_parser("index", help="重建比对索引快照（各工作进程以内存映射共享）")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "lists":
            for w in Watchlist.objects.all():
                listed = w.entries.filter(active=True).count()
                self.stdout.write(f"{w.code}\t{w.name}\t{w.get_feed_display()}\tv{w.version}\t{listed}")
            return
        if options["subcommand"] == "index":
            snapshot = snapshot_build()
            self.stdout.write(
                f"{snapshot.name}\t{snapshot.entries}\t{snapshot.build_seconds:.1f}s\t{snapshot.size_bytes}"
            )
            return
        if options["subcommand"] == "sync":
            counts = govtrust_list_sync(actor=cli_actor())
            self.stdout.write(str(counts))
            return
        code = options["list_code"].strip().upper()
        watchlist = Watchlist.objects.filter(code=code).first()
        if watchlist is None:
            self.stderr.write(_("未知的名单代码“%(code)s”（见 govtrust watchlist lists）") % {"code": code})
            raise SystemExit(EXIT_REFUSED)
        if watchlist.feed != Feed.FILE:
            self.stderr.write(_("名单“%(code)s”由平台信用记录自动生成，不能导入文件") % {"code": code})
            raise SystemExit(EXIT_REFUSED)
        call_command(
            "ingest",
            options["file"],
            kind=kind_code(code, full=options["full"]),
            strict=options["strict"],
            stdout=self.stdout._out,
            stderr=self.stderr._out,
        )
