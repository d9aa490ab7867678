"""`govtrust report verify FILE`: is this PDF a genuine, unaltered, unexpired credit report of this platform?

Exit status: 0 authentic; 1 altered, unknown or expired; 2 the file cannot be read or is not a PDF.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govtrust.disclosure.reports import is_pdf, verify_pdf


class Command(BaseCommand):
    help = "信用报告：核验PDF文件 / Credit reports: verify a PDF file"

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        verify = actions.add_parser("verify", help="核验报告PDF的真伪 / verify a report PDF")
        verify.add_argument("file", help="报告PDF文件 / the report PDF")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 / cannot read {path}: {exc.strerror or exc}", returncode=2) from exc
        if not is_pdf(data):
            raise CommandError(f"不是PDF文件 / not a PDF: {path}", returncode=2)
        result = verify_pdf(data)
        report = result.report
        line = f"{result.status}\t{result.label}"
        if report is not None:
            line += (
                f"\t{report.number}\t{report.title}\t{report.issued_at.isoformat()}\t{report.valid_until.isoformat()}"
            )
        if not result.ok:
            raise CommandError(line, returncode=1)
        self.stdout.write(self.style.SUCCESS(line))
