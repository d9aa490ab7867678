"""`govtrust sweep [--date YYYY-MM-DD] [--only NAME]…`: run the registered sweep steps once for a date."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from govtrust.core.sweep import run_sweep


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("--date 须为 YYYY-MM-DD 格式的有效日期：%(value)r") % {"value": value})


class Command(BaseCommand):
    help = "Run the daily sweep steps in order (idempotent per step and date; safe to start twice)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", dest="run_date", help="run date YYYY-MM-DD (default: today)")
        parser.add_argument("--only", action="append", metavar="NAME", help="run only this step (repeatable)")

    def handle(self, *args: Any, run_date: str | None = None, only: list[str] | None = None, **options: Any) -> None:
        date = _date(run_date) if run_date is not None else timezone.localdate()
        try:
            outcomes = run_sweep(date, only=only)
        except KeyError as exc:
            raise CommandError(_("未知的清理步骤：%(names)s") % {"names": exc.args[0]})
        for outcome in outcomes:
            detail = outcome.error or (
                json.dumps(outcome.result, ensure_ascii=False, default=str) if outcome.result else ""
            )
            self.stdout.write(f"{outcome.step}\t{outcome.status}\t{detail}")
        failed = [o.step for o in outcomes if o.status == "failed"]
        if failed:
            message = _("%(n)d 个步骤失败：%(names)s") % {"n": len(failed), "names": ", ".join(failed)}
            raise CommandError(message, returncode=1)
