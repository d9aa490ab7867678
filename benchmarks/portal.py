"""The public portal under load: 1,000,000 published records on ~2,000 bodies, gunicorn on loopback (SCALE=0.1 →
100,000 records; the bodies stay ~2,000).

Request mix (fixed seed, fixed count): 50% searches (`/search/?q=` with 2–4-character name substrings, full USCCs
and USCC prefixes), 40% body pages (`/bodies/<uscc>/`, uniform over all bodies), 10% record pages
(`/records/<number>/`). The portal runs under `gunicorn govtrust.wsgi` (2 workers, this machine's 2 cores), caches
off, database connections as the environment says (`GOVTRUST_CONN_MAX_AGE`, default 60 s: persistent); a
bounded load generator (threads with http.client keep-alive connections) sends every request once. Server-side time
is the `Server-Timing: app;dur=` header (core.middleware.ServerTimingMiddleware). Baseline in the same run: the
same settings and middleware, one view returning a constant (`benchmarks/_portal_baseline.py`), the same paths and
generator → `baseline_rps`, the framework ceiling. Then the signed credit report of a body, in process
(`credit_report_for_agency`), median of several → `report_pdf_s`.

Run from the repository root: `.venv/bin/python benchmarks/portal.py`. Last line: one JSON object.
"""

from __future__ import annotations

import atexit
import datetime
import http.client
import math
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import _harness as h

SEED = 20260101
RECORDS = round(1_000_000 * h.SCALE)
REQUESTS = 4000  # per server; at ~200 requests/s about 20 s
WARMUP = 300  # not measured: fills the workers' and the OS's caches, as a running server would have them
CLIENT_THREADS = 4  # two requests queued per worker: the workers never wait for the client
WORKERS = 2  # one per core (gunicorn's sync workers; SQLite reads do not block each other under WAL)
REPORTS = 7

CLASSES = [  # (class, weight, sub-types)
    ("penalty", 70, [""]),
    ("judgment", 8, ["", "admin_lawsuit_lost"]),
    ("defaulter", 7, [f"trigger_{i}" for i in range(1, 7)]),
    ("breach", 6, [""]),
    ("discipline", 3, ["warning", "demerit", "major_demerit"]),
    ("accountability", 3, [""]),
    ("statistics_fraud", 3, ["", "repeat"]),
]
FACTS = [
    "经查，{body}在{year}年度{topic}工作中{fault}，违反了{law}的规定。",
    "{body}于{date}{fault}，经当事人法定代表人{person}确认，事实清楚。联系电话{phone}。",
    "{body}作为{topic}责任单位，{fault}，造成不良社会影响，经责令改正后仍未整改到位。",
    "根据群众举报，{body}{fault}，涉及金额{amount}万元，现场检查笔录及相关书证在案佐证。",
]
TOPICS = ["政府采购", "建设工程招投标", "统计数据报送", "行政审批", "财政资金管理", "合同履约", "信息公开"]
FAULTS = [
    "未按合同约定支付中小企业账款",
    "拒不履行人民法院生效判决",
    "虚报、瞒报统计资料",
    "违规设置招投标条件排斥潜在投标人",
    "未依法履行政府承诺",
    "逾期未公开应当主动公开的政府信息",
]
LAWS = [
    "《保障中小企业款项支付条例》第八条",
    "《中华人民共和国统计法》第三十七条",
    "《中华人民共和国招标投标法》第十八条",
]
PEOPLE = ["王建国", "李晓明", "张伟", "刘芳", "陈志强", "杨丽"]
COLUMNS = (
    "number, subject_kind, subject_name, record_class, sub_type, severity, document_number, authority_name, "
    "authority_uscc, decision_date, conduct_date, facts, basis, content, amount_fine, amount_confiscated, "
    "extension_years, batch_number, source, source_row, source_ref, status, publish, publicity_start, "
    "publicity_min_end, publicity_max_end, rule_key, rule_version, rule_provisional, natural_key, version, "
    "status_reason, status_reference, created_at, updated_at, agency_id, civil_servant_id, enterprise_id, "
    "person_id, covered_by_id, supplier_id"
)


# --- data ----------------------------------------------------------------------------------------------------------


def _record_rows(bodies: list[tuple[int, str, str]], today: datetime.date) -> Any:
    """RECORDS insert-ready tuples: government bodies' dishonesty records, in force, inside their window.

    Counts per body are log-normal (at full scale: 1,805 bodies with records, mean 554, the largest 10,301).
    Decisions of the last ~2 years with a 3-year maximum window: a cached template stays fully published a year.
    """
    rng = random.Random(SEED)
    weights = [0.0 if rng.random() < 0.1 else rng.lognormvariate(0, 0.8) for _ in bodies]
    # Interleaved as imports interleave them: one body's records lie all over the table, not in one run of pages.
    subjects = rng.choices(bodies, weights=weights, k=RECORDS)
    authorities = rng.sample(bodies, min(200, len(bodies)))
    classes = [c for c in CLASSES for _ in range(c[1])]
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
    for seq, (agency_id, uscc, name) in enumerate(subjects, start=1):
        record_class, _w, sub_types = rng.choice(classes)
        auth_id, auth_uscc, auth_name = rng.choice(authorities)
        decided = today - datetime.timedelta(days=rng.randint(15, 700))
        year = decided.year
        document_number = f"苏{auth_name[:2]}罚〔{year}〕{seq}号"
        facts = rng.choice(FACTS).format(
            body=name,
            year=year - 1,
            topic=rng.choice(TOPICS),
            fault=rng.choice(FAULTS),
            law=rng.choice(LAWS),
            date=decided.isoformat(),
            person=rng.choice(PEOPLE),
            phone=f"1{rng.randint(3, 9)}{rng.randint(0, 999_999_999):09d}",
            amount=rng.randint(1, 500),
        )
        fine = f"{rng.randint(1, 5000) / 10:.1f}" if record_class == "penalty" else None
        yield (
            f"XY{today.year}{seq:07d}",
            "agency",
            name,
            record_class,
            rng.choice(sub_types),
            rng.choice(("minor", "general", "serious")) if record_class == "penalty" else "",
            document_number,
            auth_name,
            auth_uscc,
            decided.isoformat(),
            (decided - datetime.timedelta(days=rng.randint(10, 200))).isoformat(),
            facts,
            rng.choice(LAWS),
            f"责令改正，罚款{fine}万元" if fine else "依法予以公示",
            fine,
            None,
            None,
            "BENCH-PORTAL",
            "import",
            seq,
            "",
            "in_force",
            1,
            min(decided + datetime.timedelta(days=rng.randint(0, 7)), today).isoformat(),
            (decided + datetime.timedelta(days=365)).isoformat(),
            (decided + datetime.timedelta(days=3 * 365)).isoformat(),
            f"{record_class}.default",
            "2025.1",
            0,
            f"{document_number}|{auth_uscc}|{uscc}",
            1,
            "",
            "",
            now,
            now,
            agency_id,
            None,
            None,
            None,
            None,
            auth_id,
        )


def build() -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from govtrust.demo.loader import load_demo

    started = time.monotonic()
    result = load_demo(seed=SEED, scale=1.0, people=False)
    print(f"generated {result.counts['bodies']} bodies in {time.monotonic() - started:.1f} s", file=sys.stderr)
    started = time.monotonic()
    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, uscc, name FROM registry_agency ORDER BY id")
        bodies = cursor.fetchall()
        # Build the record indexes once after the insert (a sort each) instead of row by row: same schema.
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records_creditrecord' "
            "AND sql IS NOT NULL"
        )
        indexes = cursor.fetchall()
        with transaction.atomic():
            for name, _sql in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            rows = _record_rows(bodies, today)
            placeholders = ", ".join(["%s"] * len(COLUMNS.split(",")))
            sql = f"INSERT INTO records_creditrecord ({COLUMNS}) VALUES ({placeholders})"  # noqa: S608
            while chunk := [row for _, row in zip(range(50_000), rows, strict=False)]:
                cursor.executemany(sql, chunk)
            inserted = time.monotonic() - started
            for _name, index_sql in indexes:
                cursor.execute(index_sql)
            cursor.execute(
                "INSERT INTO records_recordnumbercounter (year, last) VALUES (%s, %s)", [today.year, RECORDS]
            )
    print(
        f"generated {RECORDS} records in {inserted:.1f} s, indexes in {time.monotonic() - started - inserted:.1f} s",
        file=sys.stderr,
    )


# --- load generation -----------------------------------------------------------------------------------------------


def request_mix(bodies: list[tuple[str, str]], numbers: list[str], count: int, seed: int) -> list[tuple[str, str]]:
    """`count` (kind, path): 50% searches (60% name substrings, 20% full USCCs, 20% USCC prefixes), 40% body
    pages, 10% record pages, shuffled with a fixed seed."""
    rng = random.Random(seed)
    mix: list[tuple[str, str]] = []
    for i in range(count):
        slot = i % 10
        if slot < 5:
            uscc, name = rng.choice(bodies)
            pick = rng.random()
            if pick < 0.6:
                length = rng.randint(2, min(4, len(name)))
                start = rng.randrange(0, len(name) - length + 1)
                query = name[start : start + length]
            elif pick < 0.8:
                query = uscc
            else:
                query = uscc[: rng.choice((6, 8, 10, 12))]
            mix.append(("search", f"/search/?q={quote(query)}"))
        elif slot < 9:
            mix.append(("body", f"/bodies/{rng.choice(bodies)[0]}/"))
        else:
            mix.append(("record", f"/records/{rng.choice(numbers)}/"))
    rng.shuffle(mix)
    return mix


def drive(port: int, mix: list[tuple[str, str]], threads: int) -> tuple[list[tuple[str, int, float, float]], float]:
    """Send every request of `mix` once from `threads` keep-alive connections; (results in mix order, wall s).

    Each result: (kind, status, server ms from Server-Timing, client ms).
    """
    results: list[Any] = [None] * len(mix)
    lock = threading.Lock()
    cursor = iter(range(len(mix)))

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                i = next(cursor, None)
            if i is None:
                break
            kind, path = mix[i]
            for attempt in range(2):  # a connection the server closed between requests: reconnect once
                started = time.perf_counter()
                try:
                    conn.request("GET", path)
                    response = conn.getresponse()
                    response.read()
                    break
                except (http.client.HTTPException, OSError):
                    conn.close()
                    if attempt:
                        raise
            client_ms = (time.perf_counter() - started) * 1000
            timing = response.getheader("Server-Timing") or ""
            total = re.search(r"\bapp;dur=([0-9.]+)", timing)
            server_ms = float(total.group(1)) if total else math.nan
            results[i] = (kind, response.status, server_ms, client_ms)
        conn.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return results, time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """gunicorn serving `app` on a loopback port; stopped (by its own pid) on exit."""

    def __init__(self, app: str) -> None:
        self.port = _free_port()
        env = dict(os.environ)
        env.pop("GOVTRUST_TESTING", None)
        env.update(
            GOVTRUST_ALLOWED_HOSTS="127.0.0.1",
            GOVTRUST_DEBUG="0",
            GOVTRUST_PORTAL_STATS_CACHE_SECONDS="0",
            GOVTRUST_LOG_LEVEL="ERROR",
        )
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.process = subprocess.Popen(  # noqa: S603
            [
                str(gunicorn),
                app,
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(WORKERS),
                "--pythonpath",
                f"{h.ROOT / 'src'},{h.ROOT / 'benchmarks'}",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=h.ROOT,
        )
        atexit.register(self.stop)
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/search/?q=")
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn {app} did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def measure(app: str, mix: list[tuple[str, str]], warmup: list[tuple[str, str]]) -> dict[str, Any]:
    server = Server(app)
    try:
        drive(server.port, warmup, CLIENT_THREADS)
        results, wall = drive(server.port, mix, CLIENT_THREADS)
    finally:
        server.stop()
    by_kind: dict[str, list[float]] = {}
    client_ms = []
    errors = 0
    for kind, status, server_ms, client in results:
        if status != 200:
            errors += 1
        by_kind.setdefault(kind, []).append(server_ms)
        client_ms.append(client)
    return {"rps": len(results) / wall, "wall": wall, "by_kind": by_kind, "client": client_ms, "errors": errors}


# --- main ----------------------------------------------------------------------------------------------------------


def report_times(agencies: list[Any]) -> list[tuple[float, int]]:
    """(seconds, records in the report) of `credit_report_for_agency` for each body, in process."""
    from govtrust.accounts.models import User
    from govtrust.disclosure.services_queries import credit_report_for_agency

    actor = User.objects.filter(username="bench-reports").first()
    if actor is None:
        actor = User.objects.create_user(username="bench-reports", password=None, is_superuser=True, is_staff=True)
    credit_report_for_agency(actor=actor, agency=agencies[0])  # font loading and imports: once per process
    times = []
    for agency in agencies:
        started = time.perf_counter()
        credit_report_for_agency(actor=actor, agency=agency)
        times.append((time.perf_counter() - started, agency.credit_records.count()))
    return times


def main() -> None:
    # Interrupted (make bench killed, Ctrl-C): still stop gunicorn and delete the working copy (atexit).
    signal.signal(signal.SIGTERM, lambda _signo, _frame: sys.exit(143))
    path, built = h.database("portal", f"s{SEED}-x{h.SCALE:g}", build)
    print(f"database {'built' if built else 'reused from cache'}: {path.name}", file=sys.stderr)

    from django.db import connection

    from govtrust.disclosure.published import public_records
    from govtrust.records.models import CreditRecord
    from govtrust.registry.models import Agency

    published = public_records().count()
    bodies = list(Agency.objects.order_by("pk").values_list("uscc", "name"))
    rng = random.Random(SEED + 1)
    last_id = CreditRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    numbers = list(
        CreditRecord.objects.filter(pk__in=rng.sample(range(1, last_id + 1), min(2000, last_id))).values_list(
            "number", flat=True
        )
    )
    report_bodies = list(Agency.objects.filter(pk__in=rng.sample(range(1, len(bodies) + 1), REPORTS + 1)))
    reports = report_times(report_bodies)
    connection.close()

    mix = request_mix(bodies, numbers, REQUESTS, SEED + 2)
    warmup = request_mix(bodies, numbers, WARMUP, SEED + 3)
    print(f"{published} published records, {len(bodies)} bodies; driving {REQUESTS} requests", file=sys.stderr)
    portal = measure("govtrust.wsgi", mix, warmup)
    baseline = measure("_portal_baseline", mix, warmup)

    for kind, values in sorted(portal["by_kind"].items()):
        print(f"  {kind:<7} n={len(values)} server {h.summary(values)}", file=sys.stderr)
    print(
        f"  portal   {portal['rps']:.0f} req/s, {portal['errors']} errors, client {h.summary(portal['client'])}",
        file=sys.stderr,
    )
    print(
        f"  baseline {baseline['rps']:.0f} req/s, {baseline['errors']} errors, client {h.summary(baseline['client'])}"
        f", server {h.summary(baseline['by_kind']['search'] + baseline['by_kind']['body'])}",
        file=sys.stderr,
    )
    print(f"  reports  {[(round(s, 3), n) for s, n in reports]} (seconds, records)", file=sys.stderr)
    everything = [v for values in portal["by_kind"].values() for v in values]
    h.report(
        {
            "records": published,
            "search_p95_ms": h.summary(portal["by_kind"]["search"])["p95_ms"],
            "body_p95_ms": h.summary(portal["by_kind"]["body"])["p95_ms"],
            "rps": round(portal["rps"], 1),
            "baseline_rps": round(baseline["rps"], 1),
            "report_pdf_s": round(statistics.median(s for s, _n in reports), 3),
            "record_p95_ms": h.summary(portal["by_kind"]["record"])["p95_ms"],
            "server_p50_ms": h.summary(everything)["p50_ms"],
            "bodies": len(bodies),
            "errors": portal["errors"] + baseline["errors"],
        }
    )


if __name__ == "__main__":
    main()
