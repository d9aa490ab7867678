"""`govtrust screen --input IN.csv --output OUT.csv`: screen a file of subjects against the lists.

Input columns: ref, name, uscc, and optionally id_number (persons); name or uscc may be empty. CSV in
UTF-8 (with or without BOM) or GBK/GB18030, comma or tab separated. Identifiers are trimmed, upper-cased
and stripped of spaces before matching. Output (UTF-8 with BOM, for Excel): ref, decision, score,
matched_name, matched_uscc, list, explanation — one row per input row, in input order.
Every subject screened is stored (`Screening`, channel "file") like an API check.
The index is built (or refreshed) from the database by the command itself.

Exit status: 0 done; 2 the input cannot be read (missing file, no ref column, neither name nor uscc).
"""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from govtrust.core.exports import neutralise
from govtrust.core.ingest.bulk import chunked
from govtrust.core.ingest.readers import detect_encoding
from govtrust.core.management.commands.ingest import cli_actor
from govtrust.screening.services import Screened, Subject, screen_subjects, screenings_record

EXIT_REFUSED = 2
OUTPUT_COLUMNS = ("ref", "decision", "score", "matched_name", "matched_uscc", "list", "explanation")
CHUNK = 10_000
csv.field_size_limit(1 << 20)


def read_subjects(path: Path) -> Iterator[Subject]:
    """Subjects from a CSV file; raises ValueError with a Chinese message when the header is unusable."""
    encoding = detect_encoding(path)
    with open(path, encoding=encoding, newline="") as handle:
        head = handle.readline()
        dialect = "excel-tab" if head.count("\t") > head.count(",") else "excel"
        handle.seek(0)
        reader = csv.reader(handle, dialect=dialect)
        header = [h.strip().lstrip("\ufeff").lower() for h in next(reader, [])]
        if "ref" not in header or not ({"name", "uscc"} & set(header)):
            raise ValueError(_("输入文件须有 ref 列，以及 name 或 uscc 列"))
        at = {name: header.index(name) for name in ("ref", "name", "uscc", "id_number") if name in header}

        def cell(row: list[str], name: str) -> str:
            i = at.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        for row in reader:
            if not any(c.strip() for c in row):
                continue
            yield Subject(
                ref=cell(row, "ref"), name=cell(row, "name"), uscc=cell(row, "uscc"), id_number=cell(row, "id_number")
            )


def output_row(screened: Screened) -> list[str]:
    result, best = screened.result, screened.result.best
    row = [screened.subject.ref, result.decision, f"{result.score:.4f}"]
    if best is None:
        row += ["", "", "", ""]
    else:
        row += [best.name, best.uscc, best.list_code, best.explanation_text()]
    return [neutralise(c) for c in row]


class Command(BaseCommand):
    help = "将文件中的主体与比对名单自动比对（拦截／人工复核／通过）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", required=True, help="输入CSV：ref,name,uscc[,id_number]")
        parser.add_argument("--output", required=True, help="输出CSV")

    def handle(self, *args: Any, **options: Any) -> None:
        source, target = Path(options["input"]), Path(options["output"])
        if not source.is_file():
            self.stderr.write(_("找不到文件：%(path)s") % {"path": source})
            raise SystemExit(EXIT_REFUSED)
        started = time.perf_counter()
        counts = {"intercept": 0, "review": 0, "pass": 0}
        try:
            with open(target, "w", encoding="utf-8-sig", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(OUTPUT_COLUMNS)
                actor = cli_actor()
                for group in chunked(read_subjects(source), CHUNK):
                    results = screen_subjects(group)
                    screenings_record(actor=actor, screened=results, platform=actor.username, channel="file")
                    for screened in results:
                        counts[screened.result.decision] += 1
                        writer.writerow(output_row(screened))
        except (ValueError, UnicodeDecodeError, csv.Error) as error:
            target.unlink(missing_ok=True)
            self.stderr.write(str(error))
            raise SystemExit(EXIT_REFUSED) from None
        seconds = time.perf_counter() - started
        self.stdout.write(
            _("拦截 %(i)d，人工复核 %(r)d，通过 %(p)d（%(s).1f 秒）")
            % {"i": counts["intercept"], "r": counts["review"], "p": counts["pass"], "s": seconds}
        )
        if sys.stdout.isatty():
            self.stdout.write(str(target))
