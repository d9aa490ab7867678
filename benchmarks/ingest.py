"""Credit-record import (归集) end to end: a 1,000,000-row 双公示 legal-person CSV with 1% bad rows (SCALE=0.01
→ 10,000 rows), then a 100,000-row XLSX; baseline: a bare `sqlite3.executemany` of the same CSV rows.

Subjects and deciding authorities are government bodies of the benchmark database (the demo generator,
bodies only). Bad rows, in turn: a wrong USCC check digit, a missing required 违法事实, a date that does not
exist, a body that is not registered. The import is the real one — `ingest_start` + `ingest_run` of the kind
`records.penalty_legal_person`, default semantics — and runs in a child process, so that the peak RSS
(`ru_maxrss`) is the import's alone, not the data generator's.

Run from the repository root: `.venv/bin/python benchmarks/ingest.py`. Last line: one JSON object
{"rows", "rows_per_s", "peak_rss_mb", "baseline_rows_per_s", "xlsx_100k_s", …}.
`DATABASE_URL=postgres://…` runs the platform side against PostgreSQL (a scratch database on that server).
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import _harness as h

SEED = 20260301
ROWS = 1_000_000
XLSX_ROWS = 100_000
BODIES_SCALE = 1.0  # demo generator scale: ~2,000 bodies
KIND = "records.penalty_legal_person"
HEADERS = [
    "行政相对人名称", "行政相对人类别", "行政相对人代码_1(统一社会信用代码)", "行政相对人代码_2(工商注册号)",
    "行政相对人代码_3(组织机构代码)", "行政相对人代码_4(税务登记号)", "行政相对人代码_5(事业单位证书号)",
    "行政相对人代码_6(社会组织登记证号)", "法定代表人", "法定代表人身份证号", "行政处罚决定书文号", "违法行为类型",
    "违法事实", "处罚依据", "处罚类别", "处罚内容", "罚款金额(万元)", "没收违法所得、没收非法财物的金额(万元)",
    "暂扣或吊销证照名称及编号", "处罚决定日期", "处罚有效期", "公示截止期", "处罚机关", "处罚机关统一社会信用代码",
    "数据来源单位", "数据来源单位统一社会信用代码", "备注",
]  # fmt: skip
CATEGORIES = ["罚款", "警告", "罚款;没收违法所得", "通报批评", "吊销许可证件", "责令停产停业", "其他"]
VIOLATIONS = [
    "未按规定支付中小企业款项",
    "违反政府采购规定",
    "未依法履行招标程序",
    "违规收取费用",
    "未按期公开政务信息",
]


def rows_wanted() -> int:
    return max(100, int(ROWS * h.SCALE))


def build() -> None:
    from govtrust.demo.loader import load_demo

    started = time.monotonic()
    result = load_demo(seed=SEED, scale=BODIES_SCALE, people=False)
    print(f"generated {result.counts['bodies']} bodies in {time.monotonic() - started:.1f} s", file=sys.stderr)


def _bad_check_digit(code: str) -> str:
    last = code[-1]
    return code[:-1] + ("0" if last != "0" else "1")


def generate_csv(path: Path, bodies: list[tuple[str, str]], n: int) -> dict[str, int]:
    """The CSV, 1% bad rows (one kind in four each); cached by the caller."""
    from govtrust.core.validators import org_code_check_digit, uscc_check_digit

    rng = random.Random(SEED)
    start = datetime.date(2022, 1, 1).toordinal()
    span = datetime.date(2025, 12, 31).toordinal() - start
    authorities = bodies[: max(10, len(bodies) // 20)]
    bad = {"bad_check_digit": 0, "missing_required": 0, "bad_date": 0, "unknown_body": 0}
    tmp = path.with_suffix(".partial")
    with open(tmp, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADERS)
        for i in range(n):
            name, uscc = bodies[rng.randrange(len(bodies))]
            auth_name, auth_uscc = authorities[rng.randrange(len(authorities))]
            decided = datetime.date.fromordinal(start + rng.randrange(span))
            category = CATEGORIES[rng.randrange(len(CATEGORIES))]
            fine = f"{rng.randrange(1, 5000) / 100:.2f}" if "罚款" in category else ""
            amount, grade = rng.randrange(1, 900), "较重" if i % 3 else "一般"
            facts = f"经查，当事人{VIOLATIONS[i % len(VIOLATIONS)]}，涉及金额{amount}万元，情节{grade}。"
            row = [
                name, "02", uscc, "", "", "", "", "", "", "",
                f"苏罚决〔{decided.year}〕{i + 1}号", VIOLATIONS[i % len(VIOLATIONS)], facts,
                "《中华人民共和国行政处罚法》第二十八条", category, f"{category}，责令改正", fine, "", "",
                decided.isoformat(), decided.replace(year=decided.year + 1, day=min(decided.day, 28)).isoformat(), "",
                auth_name, auth_uscc, auth_name, auth_uscc, "",
            ]  # fmt: skip
            if i % 100 == 99:  # 1% bad rows
                which = (i // 100) % 4
                if which == 0:
                    row[2] = _bad_check_digit(uscc)
                    bad["bad_check_digit"] += 1
                elif which == 1:
                    row[12] = ""
                    bad["missing_required"] += 1
                elif which == 2:
                    row[19] = f"{decided.year}-13-{decided.day:02d}"
                    bad["bad_date"] += 1
                else:
                    org8 = f"{90000000 + i % 9999999:08d}"
                    first17 = "11" + "320000" + org8 + org_code_check_digit(org8)
                    row[0], row[2] = "未登记的某某局", first17 + uscc_check_digit(first17)
                    bad["unknown_body"] += 1
            writer.writerow(row)
    tmp.replace(path)
    return bad


def generate_xlsx(path: Path, source: Path, n: int) -> None:
    import xlsxwriter

    tmp = path.with_suffix(".partial.xlsx")
    book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False,
                                          "strings_to_formulas": False, "strings_to_urls": False})  # fmt: skip
    sheet = book.add_worksheet()
    with open(source, encoding="utf-8", newline="") as handle:
        for r, row in enumerate(csv.reader(handle)):
            if r > n:
                break
            for c, value in enumerate(row):
                if value:
                    sheet.write_string(r, c, value)
    book.close()
    tmp.replace(path)


def baseline(source: Path) -> float:
    """Rows/s of reading the CSV and inserting every row as-is into a plain SQLite table (no validation)."""
    path = h.BENCH_DIR / f"ingest-baseline-{os.getpid()}.sqlite3"
    path.unlink(missing_ok=True)
    try:
        db = sqlite3.connect(path)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"CREATE TABLE penalty ({', '.join(f'c{i} TEXT' for i in range(len(HEADERS)))})")
        sql = f"INSERT INTO penalty VALUES ({', '.join('?' * len(HEADERS))})"
        started = time.perf_counter()
        count = 0
        with open(source, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            while True:
                block = [row for _i, row in zip(range(5000), reader, strict=False)]
                if not block:
                    break
                with db:
                    db.executemany(sql, block)
                count += len(block)
        elapsed = time.perf_counter() - started
        db.close()
        return count / elapsed
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def child_import(path: str, supplier: str) -> None:
    """Runs in a fresh process (DATABASE_URL set by the parent): the real import, timed; one JSON line."""
    import resource

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govtrust.settings")
    django.setup()
    from govtrust.core.ingest.services import ingest_run, ingest_start

    monitor = RssMonitor()
    monitor.start()
    started = time.perf_counter()
    cpu_started = time.process_time()
    staged_at = [0.0, 0.0]

    def progress(done: int, total: int | None, message: str) -> None:
        # The last call comes just before publication: wall time and this process's CPU time (both threads) so far.
        staged_at[:] = [time.perf_counter() - started, time.process_time()]

    batch = ingest_start(actor=None, kind=KIND, source=path, file_name=Path(path).name, supplier_code=supplier)
    profile_to = os.environ.get("INGEST_PROFILE")  # a path: cProfile the import into it (pstats format)
    if profile_to:
        import cProfile

        profiler = cProfile.Profile()
        batch = profiler.runcall(ingest_run, batch, progress=progress)
        profiler.dump_stats(profile_to)
    else:
        batch = ingest_run(batch, progress=progress)
    elapsed = time.perf_counter() - started
    monitor.stop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # The validating child process (core.ingest.parallel) runs beside this one: the peak is of the sum of both
    # processes' RSS, sampled every 50 ms (and never below this process's own peak); CPU times are apart.
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kb = max(usage.ru_maxrss, monitor.peak_kb)
    figures = {
        "seconds": elapsed,
        "cpu_s": usage.ru_utime + usage.ru_stime,  # both threads (the chunk writer overlaps the validation)
        "child_cpu_s": child.ru_utime + child.ru_stime,
        "child_peak_rss_mb": child.ru_maxrss / 1024,
        "peak_pss_mb": monitor.peak_pss_kb / 1024,  # the same sum with shared pages counted once
        "staging_s": staged_at[0],
        "staging_cpu_s": staged_at[1] - cpu_started,  # this process only; the child's is child_cpu_s
        "peak_rss_mb": peak_kb / 1024,
        "status": batch.status,
        "rows": batch.rows_total,
        "valid": batch.rows_valid,
        "rejected": batch.rows_rejected,
        "published": batch.rows_published,
    }
    print(json.dumps(figures))


class RssMonitor:
    """Samples the resident memory of this process plus its child processes (from /proc) in a thread.

    Cheaply, because it shares the two cores with the import it measures: the RSS from `statm` every 50 ms, the
    children from this process's `task/*/children` lists. (Reading `smaps_rollup` and scanning all of /proc for
    children, as it first did, cost ~5 ms of CPU a sample — ~10 % of a core — and slowed the import it measured by
    ~2 s.) The PSS, which only `smaps_rollup` gives, is sampled every tenth time: it is for information."""

    PSS_EVERY = 10

    def __init__(self, interval: float = 0.05) -> None:
        import threading

        self.interval, self.peak_kb, self.peak_pss_kb = interval, 0, 0
        self._page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss_kb(self, pid: int) -> int:
        """RSS counts pages shared with a forked child in both processes (an upper bound of what they use)."""
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
                return int(statm.read().split()[1]) * self._page_kb
        except (OSError, IndexError, ValueError):
            return 0

    @staticmethod
    def _pss_kb(pid: int) -> int:
        """PSS splits the shared pages between the processes sharing them."""
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii", errors="replace") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    @staticmethod
    def _children() -> list[int]:
        found = []
        for task in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{task}/children", encoding="ascii") as children:
                    found.extend(int(pid) for pid in children.read().split())
            except OSError:
                continue
        return found

    def _run(self) -> None:
        sample = 0
        while not self._stop.wait(self.interval):
            pids = [os.getpid(), *self._children()]
            self.peak_kb = max(self.peak_kb, sum(self._rss_kb(pid) for pid in pids))
            if sample % self.PSS_EVERY == 0:
                self.peak_pss_kb = max(self.peak_pss_kb, sum(self._pss_kb(pid) for pid in pids))
            sample += 1

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_child(path: Path, supplier: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(h.ROOT / "src")}
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(path), supplier], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"import child failed with exit code {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    n = rows_wanted()
    h.database("ingest", f"s{SEED}-b{BODIES_SCALE:g}", build)
    from django.db import connection

    from govtrust.records.models import CreditRecord, RecordChange
    from govtrust.registry.models import Agency

    bodies = list(Agency.objects.order_by("pk").values_list("name", "uscc"))
    supplier = Agency.objects.filter(is_credit_office=True).order_by("pk").values_list("uscc", flat=True).first()
    assert supplier, "the demo bodies include credit offices"
    data_csv = h.BENCH_DIR / f"ingest-data-s{SEED}-n{n}.csv"
    bad: dict[str, int] = {}
    if not data_csv.exists():
        started = time.monotonic()
        bad = generate_csv(data_csv, bodies, n)
        print(f"generated {n} CSV rows in {time.monotonic() - started:.1f} s {bad}", file=sys.stderr)
    xlsx_n = min(XLSX_ROWS, n)
    data_xlsx = h.BENCH_DIR / f"ingest-data-s{SEED}-n{n}-x{xlsx_n}.xlsx"
    if not data_xlsx.exists():
        generate_xlsx(data_xlsx, data_csv, xlsx_n)
    connection.close()

    print(f"importing {n} rows ({data_csv.stat().st_size / 1e6:.0f} MB) …", file=sys.stderr)
    csv_run = run_child(data_csv, supplier)
    print(f"CSV: {csv_run}", file=sys.stderr)
    # The XLSX holds the CSV's first rows: revoke nothing, just import it as another supplier file after
    # removing the CSV's records, so its rows are new again (same work as a first upload).
    with connection.cursor() as cursor:  # raw: the ORM's delete would collect a million objects first
        # The change feed's rows point at the records: they go first.
        for model in (RecordChange, CreditRecord):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
    connection.close()
    xlsx_run = run_child(data_xlsx, supplier)
    print(f"XLSX: {xlsx_run}", file=sys.stderr)
    base = baseline(data_csv)
    print(f"baseline sqlite3.executemany: {base:.0f} rows/s", file=sys.stderr)
    h.report(
        {
            "rows": int(csv_run["rows"]),
            "rows_per_s": round(csv_run["rows"] / csv_run["seconds"]),
            "peak_rss_mb": round(csv_run["peak_rss_mb"], 1),
            "baseline_rows_per_s": round(base),
            "xlsx_100k_s": round(xlsx_run["seconds"], 2),
            "published": int(csv_run["published"]),
            "rejected": int(csv_run["rejected"]),
            "xlsx_rows": int(xlsx_run["rows"]),
            "database": connection.vendor,
        }
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child_import(sys.argv[2], sys.argv[3])
    else:
        main()
