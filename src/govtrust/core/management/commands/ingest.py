"""`govtrust ingest FILE --kind KIND [--supplier USCC] [--strict]`: import a file through the machinery.

Exit status: 0 every row stored; 1 some rows rejected (with --strict: nothing stored); 2 the file was
refused, or the kind or supplier is unknown; 3 the same file was already published (nothing changed);
4 an unexpected error (the batch is marked failed and can be run again).
Running the same command again after an interruption resumes the unfinished batch of the same file.

`govtrust ingest --list-kinds` lists the kinds; `govtrust ingest --template KIND OUT.xlsx` writes a blank template.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from govtrust.core.ingest import all_kinds
from govtrust.core.ingest.readers import ENCODING_LABELS
from govtrust.core.ingest.reports import template_xlsx
from govtrust.core.ingest.services import ingest_run, ingest_start, kind_or_error
from govtrust.core.models import ImportBatch, ImportRowError

EXIT_OK, EXIT_REJECTED, EXIT_REFUSED, EXIT_DUPLICATE, EXIT_FAILED = 0, 1, 2, 3, 4
SHOW_ERRORS = 20


def cli_actor() -> Any:
    import getpass
    from types import SimpleNamespace

    try:
        who = getpass.getuser()
    except Exception:  # no login name in some containers
        who = "unknown"
    return SimpleNamespace(username=f"cli:{who}", is_authenticated=False)


class Command(BaseCommand):
    help = "通过归集通道导入文件（CSV、JSON Lines、XLSX）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="要导入的文件")
        parser.add_argument("--kind", help="导入类型（见 --list-kinds）")
        parser.add_argument("--supplier", default="", help="报送单位统一社会信用代码")
        parser.add_argument("--strict", action="store_true", help="严格模式：有任何错误行则整批不入库")
        parser.add_argument("--list-kinds", action="store_true", help="列出全部导入类型")
        parser.add_argument("--template", nargs=2, metavar=("KIND", "OUT"), help="写出某导入类型的空白模板（.xlsx）")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list_kinds"]:
            for kind in all_kinds():
                self.stdout.write(f"{kind.code}\t{kind.label}")
            return
        if options["template"]:
            code, out = options["template"]
            kind = self._kind(code)
            Path(out).write_bytes(template_xlsx(kind))
            self.stdout.write(_("已写出模板：%(path)s") % {"path": out})
            return
        if not options["file"] or not options["kind"]:
            self._exit(EXIT_REFUSED, _("用法：govtrust ingest 文件 --kind 类型 --supplier 统一社会信用代码 [--strict]"))
        path = Path(options["file"])
        if not path.is_file():
            self._exit(EXIT_REFUSED, _("找不到文件：%(path)s") % {"path": path})
        try:
            batch = ingest_start(
                actor=cli_actor(),
                kind=options["kind"],
                source=path,
                file_name=path.name,
                supplier_code=options["supplier"],
                strict=options["strict"],
            )
        except ValidationError as error:
            self._exit(EXIT_REFUSED, "；".join(error.messages))
        if batch.duplicate:
            self._summary(batch)
            self._exit(EXIT_DUPLICATE, _("该文件已于批次%(n)s入库，本次未做任何更改") % {"n": batch.number})
        try:
            batch = ingest_run(batch, progress=self._progress)
        except Exception:
            batch.refresh_from_db()
            self._summary(batch)
            self._exit(EXIT_FAILED, batch.message or _("处理出错"))
        self._summary(batch)
        if batch.status == ImportBatch.Status.REFUSED:
            self._exit(EXIT_REFUSED, _("文件被拒收：%(m)s") % {"m": batch.message})
        if batch.status == ImportBatch.Status.REJECTED or batch.rows_rejected:
            raise SystemExit(EXIT_REJECTED)
        if batch.status != ImportBatch.Status.PUBLISHED:
            raise SystemExit(EXIT_FAILED)

    def _kind(self, code: str) -> Any:
        try:
            return kind_or_error(code)
        except ValidationError as error:
            self._exit(EXIT_REFUSED, "；".join(error.messages))

    def _progress(self, done: int, total: int | None, message: str) -> None:
        if sys.stderr.isatty():
            self.stderr.write(f"\r{message}" + (f" / {total}" if total else ""), ending="")

    def _exit(self, code: int, message: str) -> None:
        self.stderr.write(message)
        raise SystemExit(code)

    def _summary(self, batch: ImportBatch) -> None:
        w = self.stdout.write
        w(_("批次号：%(n)s（%(status)s）") % {"n": batch.number, "status": batch.get_status_display()})
        details = "，".join(d for d in (batch.format.upper(), ENCODING_LABELS.get(batch.encoding, batch.encoding)) if d)
        where = _("导入类型：%(k)s；文件：%(f)s") % {"k": batch.kind, "f": batch.file_name}
        w(where + (f"（{details}）" if details else ""))
        w(
            _("总行数 %(t)d，有效 %(v)d，错误 %(r)d，入库 %(p)d")
            % {"t": batch.rows_total, "v": batch.rows_valid, "r": batch.rows_rejected, "p": batch.rows_published}
        )
        for warning in batch.warnings[:10]:
            w(_("提示：%(m)s") % {"m": warning})
        if batch.message:
            w(batch.message)
        errors = ImportRowError.objects.filter(batch=batch).order_by("row_number", "pk")[:SHOW_ERRORS]
        for error in errors:
            where = _("第%(row)d行") % {"row": error.row_number}
            column = f"［{error.column}］" if error.column else ""
            value = f"“{error.value}”" if error.value else ""
            w(f"  {where}{column}{value}：{error.reason}")
        if batch.rows_rejected > SHOW_ERRORS:
            w(_("  ……共%(n)d行有错误，完整清单请在控制台下载错误报告") % {"n": batch.rows_rejected})
