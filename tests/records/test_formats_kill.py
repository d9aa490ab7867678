"""A credit-record import killed midway: its typed staged rows stay invisible, a re-run resumes after the last
committed chunk and publishes every row exactly once, with contiguous record numbers.

The same check as tests/core/test_ingest_kill.py, for the kind that stages typed rows — on SQLite in the batch's
staging file (core.ingest.stagingfile), where a chunk's rows commit before its counters: the kill may leave rows
past the last committed chunk there, which the re-run cuts off.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from registry.builders import add_agency, make_region, make_uscc

from govtrust.core.ingest.stagingfile import StagingFile
from govtrust.core.models import ImportBatch, StagedRow
from govtrust.records.models import CreditRecord, StagedRecord

from .formats_helpers import LEGAL_HEADERS, legal_row, write_csv

ROWS = 12_000
SRC = Path(__file__).resolve().parents[2] / "src"


def _cmdlines() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            except OSError:
                continue
    return found


def cli(path: Path, supplier: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = ["govtrust.cli", "ingest", str(path), "--kind", "records.penalty_legal_person", "--supplier", supplier]
    return subprocess.Popen([sys.executable, "-m", *command], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the subprocess shares the test's SQLite file")
@pytest.mark.django_db(transaction=True)
def test_a_killed_record_import_resumes_from_its_typed_staging_and_publishes_each_row_once(tmp_path):
    js = make_region("320000", "江苏省", 1, None)
    nj = make_region("320100", "南京市", 2, js)
    supplier = add_agency(3, "南京市发展和改革委员会", nj, is_credit_office=True)
    bodies = [add_agency(100 + n, f"南京市第{n}局", nj) for n in range(20)]
    authority = make_uscc(3)
    rows = [
        legal_row(bodies[n % 20].name, bodies[n % 20].uscc, authority, 行政处罚决定书文号=f"宁罚〔2025〕{n}号")
        for n in range(ROWS)
    ]
    path = write_csv(tmp_path / "penalties.csv", LEGAL_HEADERS, rows)
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "DJANGO_SETTINGS_MODULE": "govtrust.settings",
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "GOVTRUST_VAR_DIR": str(tmp_path / "var"),
        "GOVTRUST_INGEST_CHUNK_ROWS": "50",
        "GOVTRUST_TESTING": "0",
    }
    process = cli(path, supplier.uscc, env)
    deadline = time.monotonic() + 60
    while not ImportBatch.objects.filter(last_chunk_row__gt=0).exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the import never committed a chunk"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    # Its validating child (core.ingest.parallel) notices and ends too: no orphan keeps running.
    deadline = time.monotonic() + 10
    while any(str(path) in cmdline for cmdline in _cmdlines()):
        assert time.monotonic() < deadline, "the killed import's child process is still running"
        time.sleep(0.1)

    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.STAGING, "killed too late: make the file bigger"
    # Every valid row went to the batch's staging file (at least those counted), none to the database's staging
    # tables; nothing is visible.
    assert batch.rows_valid == batch.last_chunk_row - 1 > 0
    staging = StagingFile.existing(tmp_path / "var" / "ingest" / batch.number, StagedRecord)
    assert staging is not None
    assert staging.count() >= batch.rows_valid
    staging.close()
    assert StagedRecord.objects.count() == 0 and StagedRow.objects.count() == 0
    assert CreditRecord.objects.count() == 0

    rerun = cli(path, supplier.uscc, env)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, (out.decode(), err.decode())
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PUBLISHED
    assert (batch.rows_total, batch.rows_valid, batch.rows_rejected, batch.rows_published) == (ROWS, ROWS, 0, ROWS)
    assert batch.result["set_based"] == ROWS
    assert sorted(CreditRecord.objects.values_list("source_row", flat=True)) == list(range(2, ROWS + 2))
    numbers = sorted(int(n[-7:]) for n in CreditRecord.objects.values_list("number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + ROWS))
    assert StagedRecord.objects.count() == 0 and StagedRow.objects.count() == 0
    assert not staging.path.exists()
