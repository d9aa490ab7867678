"""`govtrust audit checkpoint` and `govtrust audit verify [--log object_change|access_log]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govtrust.core.audit import LOGS, verify_chain, write_checkpoints


class Command(BaseCommand):
    help = "审计日志：签名检查点与哈希链校验 / Audit trail: signed checkpoints and chain verification"

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser(
            "checkpoint", help="为每个审计日志写一个 SM2 签名检查点 / write one signed checkpoint per log"
        )
        verify = actions.add_parser("verify", help="校验哈希链与检查点 / verify the hash chains and checkpoints")
        verify.add_argument("--log", choices=sorted(LOGS), help="只校验这一个日志 / verify only this log")
        verify.add_argument(
            "--all-signatures",
            action="store_true",
            help="校验每个检查点的签名（默认只校验最新的和不一致的）/ check every checkpoint's signature",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "checkpoint":
            for cp in write_checkpoints():
                self.stdout.write(
                    f"{cp.log}\trows={cp.row_count}\thead_seq={cp.head_seq}\thead_hash={cp.head_hash}\t"
                    f"{cp.created_at.isoformat()}"
                )
            return
        logs = [options["log"]] if options.get("log") else list(LOGS)
        problems = 0
        for log in logs:
            report = verify_chain(log, all_signatures=options["all_signatures"])
            for problem in report.problems:
                self.stdout.write(f"{log}\t{problem.kind}\t{problem.message}")
            status = "OK" if report.ok else "TAMPERED"
            self.stdout.write(
                f"{log}\t{status}\t行数 rows={report.rows}\t末行 head_seq={report.head_seq}\t"
                f"检查点 checkpoints={report.checkpoints}\t问题 problems={len(report.problems)}"
            )
            problems += len(report.problems)
        if problems:
            # CommandError exits with status 1 and prints the summary on stderr.
            raise CommandError(
                f"审计日志校验失败：发现 {problems} 个问题（存在篡改）/ "
                f"Audit verification FAILED: {problems} problem(s) found (tampering)"
            )
        self.stdout.write(
            self.style.SUCCESS(
                "审计日志校验通过：哈希链与检查点完整 / Audit verification passed: chains and checkpoints intact"
            )
        )
