"""`govtrust validate uscc CODE…` / `govtrust validate id NUMBER…`: one `CODE<TAB>status<TAB>reason` line each.

Exit status: 0 when no code is invalid (legacy counts as not invalid), 1 when any is invalid, 2 on usage error.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from govtrust.core.codes import validate_id_number, validate_uscc

CHECKS = {"uscc": validate_uscc, "id": validate_id_number}


class Command(BaseCommand):
    help = _("校验统一社会信用代码（uscc）或居民身份证号码（id），每个代码输出一行：代码、结果、原因（以制表符分隔）")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help="uscc | id")
        parser.add_argument("codes", nargs="+", metavar="CODE")

    def handle(self, *args: Any, kind: str, codes: list[str], **options: Any) -> None:
        check = CHECKS.get(kind)
        if check is None:
            raise CommandError(_("未知的代码类型“%(k)s”，应为 uscc 或 id") % {"k": kind}, returncode=2)
        invalid = 0
        for code in codes:
            result = check(code)
            invalid += result.status == "invalid"
            self.stdout.write(f"{result.code}\t{result.status}\t{result.reason}")
        if invalid:
            raise CommandError(_("%(n)d个代码无效") % {"n": invalid}, returncode=1)
