"""Hand-built codes and files for the screening tests."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.core.management import call_command

from govtrust.core.validators import id_check_digit, org_code_check_digit, uscc_check_digit


def make_uscc(n: int, *, area: str = "320100", kind: str = "91") -> str:
    org8 = f"{n:08d}"
    first17 = kind + area + org8 + org_code_check_digit(org8)
    return first17 + uscc_check_digit(first17)


def make_id(n: int, *, area: str = "329900", birth: str = "19800101") -> str:
    """A valid ID number in the unassigned area 329900 (no real person's number)."""
    first17 = area + birth + f"{n % 1000:03d}"
    return first17 + id_check_digit(first17)


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    return status, out.getvalue(), err.getvalue()


def read_output(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
