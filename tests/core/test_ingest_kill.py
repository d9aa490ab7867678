"""A `govtrust ingest` process killed in the middle of an import leaves nothing visible; a re-run completes it.

Runs the real CLI in a subprocess against this test's SQLite file database, with small chunks so that
many chunks commit before the kill.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from govtrust.core.models import ImportBatch, StagedRow
from govtrust.core.validators import id_check_digit
from govtrust.registry.models import Person

ROWS = 30_000
SRC = Path(__file__).resolve().parents[2] / "src"


def id_number(n: int) -> str:
    # Area 329900 is unassigned; birth dates vary so that 30,000 numbers are distinct.
    day = datetime_day(n // 1000)
    first17 = f"329900{day}{n % 1000:03d}"
    return first17 + id_check_digit(first17)


def datetime_day(k: int) -> str:
    import datetime

    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=k)).strftime("%Y%m%d")


def cli(path: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "govtrust.cli", "ingest", str(path), "--kind", "registry.persons"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the subprocess shares the test's SQLite file")
@pytest.mark.django_db(transaction=True)
def test_a_killed_import_leaves_nothing_visible_and_a_re_run_completes_it(tmp_path):
    path = tmp_path / "persons.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["姓名", "身份证号码"])
        writer.writerows([f"测试{n}", id_number(n)] for n in range(ROWS))
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "DJANGO_SETTINGS_MODULE": "govtrust.settings",
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "GOVTRUST_VAR_DIR": str(tmp_path / "var"),
        "GOVTRUST_INGEST_CHUNK_ROWS": "50",
        "GOVTRUST_TESTING": "0",
    }
    process = cli(path, env)
    deadline = time.monotonic() + 60
    while StagedRow.objects.count() == 0:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the import never committed a chunk"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()

    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.STAGING, "killed too late: make the file bigger"
    assert 0 < batch.last_chunk_row < ROWS + 1
    assert StagedRow.objects.count() == batch.rows_valid > 0
    assert Person.objects.count() == 0  # nothing visible

    rerun = cli(path, env)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, (out.decode(), err.decode())
    assert batch.number in out.decode()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PUBLISHED
    assert (batch.rows_total, batch.rows_valid, batch.rows_rejected, batch.rows_published) == (ROWS, ROWS, 0, ROWS)
    assert Person.objects.count() == ROWS
    assert Person.objects.values("id_number_hash").distinct().count() == ROWS
    assert StagedRow.objects.count() == 0
    assert ImportBatch.objects.count() == 1
