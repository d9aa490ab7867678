"""Screening at scale, over loopback HTTP: synthetic lists in the database, the index snapshot built by
`govtrust watchlist index`, one server process serving `/api/screening/check` and `/batch` from the mapped snapshot.

    .venv/bin/python benchmarks/screening.py              # 10,000,000 entries (2,000,000 organisations)
    SCALE=0.1 .venv/bin/python benchmarks/screening.py    # 1,000,000
    NOMENKLATURA_PATH=/tmp/nk .venv/bin/python benchmarks/screening.py   # + nomenklatura logic-v2 baseline

1. Data: a combinatorial generator of Jiangsu company names (region prefix × 2–3-character trade name ×
   industry × legal form, some branches; half with a USCC) and person names (common surname × given
   names; ⅓ with a court-masked ID and ⅔ with a full ID, stored as the platform's keyed hash and mask),
   written straight into `screening_watchlistentry` of a SQLite template cached under var/bench/
   (indexes dropped during the insert and created afterwards; `name_normalised` holds the name as given).
2. Build: `govtrust watchlist index` in a child process — build_s is its wall time, rss_mb its peak RSS.
3. HTTP: granian (`SERVER=granian`, the default: one worker process, one blocking thread for Django, one runtime
   thread for HTTP, as the README deploys the screening API; `SERVER=gunicorn` with SERVER_WORKER_CLASS /
   SERVER_THREADS for comparison) on 127.0.0.1. Latency: 2,000 sequential single checks over one keep-alive
   connection; p50/p99 are SERVER times (the whole request, from the server's access log), client round trips
   reported beside them. Throughput: the server's processes are pinned to the last CPU and this process (4 client
   threads, http.client keep-alive) to the others for LOAD_S seconds → rps_one_core; the worker's CPU time over
   that span is printed too (ms of CPU per check). Batch: one POST /batch of 10,000 subjects (server unpinned:
   big batches use every core), client wall time. Every check is stored (`Screening` rows, audit rows,
   operation log) as in production. Query mix: 40% listed organisation names in a variant spelling (traditional
   characters, 有限责任公司, dropped region), 30% unlisted names, 20% USCCs (half listed), 10% ID numbers
   (half listed).
4. Accuracy on the frozen labelled set (tests/screening/data/pairs.csv, used while tuning: optimistic) and on
   the held-out set (pairs_heldout.csv, frozen before the matcher was ever run on it: the honest figure);
   baseline nomenklatura logic-v2 on both when NOMENKLATURA_PATH is set. `ACCURACY_ONLY=1` runs only this
   step (no database, no server) and prints the accuracy keys.

The load generator runs on the same 2-core machine, on the core the server is not pinned to.
Last line: one JSON object with the issue's keys.
"""

from __future__ import annotations

import csv
import http.client
import json
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import _harness as h  # noqa: I001  (sets sys.path first)
import opencc

SEED = 20260601
ORGS = 2_000_000
PERSONS = 8_000_000
CHECKS = 2_000
BATCH = 10_000
LOAD_S = float(os.environ.get("LOAD_S", "20"))
SERVER = os.environ.get("SERVER", "granian")  # or "gunicorn" (SERVER_WORKER_CLASS, SERVER_THREADS)
WORKER_CLASS = os.environ.get("SERVER_WORKER_CLASS", "gthread")
THREADS = os.environ.get("SERVER_THREADS", "1")  # gthread threads of the one worker: 1 = fewest GIL hand-offs
ACCESS_MARK = "ACCESS"
PAIRS = h.ROOT / "tests" / "screening" / "data" / "pairs.csv"
HELDOUT = h.ROOT / "tests" / "screening" / "data" / "pairs_heldout.csv"
PYTHON = sys.executable

CITIES = ["南京", "无锡", "徐州", "常州", "苏州", "南通", "连云港", "淮安", "盐城", "扬州", "镇江", "泰州", "宿迁"]
COUNTIES = "江宁区 江阴市 宜兴市 沛县 邳州市 溧阳市 昆山市 常熟市 如皋市 东海县 高邮市 丹阳市 泰兴市 沭阳县".split()
TRADE = (
    "华泰鑫源恒通宏达金盛天瑞安康永兴昌隆嘉信诚美佳德润丰汇和顺明新博远海星光中利众东方长城广陵紫金钟山"
    "秦淮苏宁锦绣鸿运祥瑞腾飞卓越创辉煌宝丽联合大成正泰凯旋亚龙华宇富达国盛万通通达兴业银河"
)
INDUSTRY = (
    "建设工程 建筑安装 装饰工程 市政工程 园林绿化 电子科技 信息技术 网络科技 物流 运输 贸易 商贸 机械制造 化工 "
    "纺织 服饰 食品 医药 环保科技 新能源 物业管理 劳务派遣 建材 钢结构 电气设备 水利工程 交通工程 广告传媒 "
    "餐饮管理 人力资源 工程咨询 房地产开发 汽车销售 农业科技 检测技术 文化传播"
).split()
FORMS = ["有限公司", "有限公司", "有限公司", "有限责任公司", "股份有限公司"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红文斌志海鹏宇浩然子轩欣怡晨雪梅琳"
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_W = (3, 7, 9, 10, 5, 8, 4, 2)
ID_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def uscc(n: int) -> str:
    org8 = f"{n:08d}"
    r = 11 - sum(int(c) * w for c, w in zip(org8, ORG_W, strict=True)) % 11
    first17 = "91320100" + org8 + {10: "X", 11: "0"}.get(r, str(r))
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_W, strict=True))
    return first17 + USCC_CHARSET[(31 - total % 31) % 31]


def id_number(j: int) -> str:
    first17 = f"32{j:015d}"
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, ID_W, strict=True)) % 11]


def court_mask(number: str) -> str:
    return number[:4] + "*" * 10 + number[-4:]


def org_parts(rng: random.Random) -> tuple[str, str, str, str]:
    roll = rng.random()
    prefix = "" if roll < 0.2 else ("江苏" if roll < 0.3 else "") + rng.choice(CITIES) + ("市" if roll < 0.6 else "")
    if rng.random() < 0.15:
        prefix += rng.choice(COUNTIES)
    trade = "".join(rng.sample(TRADE, rng.choice((2, 2, 3, 3, 4))))
    return prefix, trade, rng.choice(INDUSTRY), rng.choice(FORMS)


def org_name(i: int) -> tuple[str, str, str, str, str]:
    rng = random.Random(SEED * 31 + i)
    prefix, trade, industry, form = org_parts(rng)
    branch = rng.choice(COUNTIES)[:-1] + "分公司" if i % 20 == 0 else ""
    return prefix, trade, industry, form, branch


def person_name(j: int) -> str:
    rng = random.Random(SEED * 17 + j)
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))


def populate(n_orgs: int, n_persons: int) -> None:
    """Write the synthetic entries straight into the entry table (one SQLite transaction)."""
    from django.db import connection

    from govtrust.core.crypto import keyed_hash
    from govtrust.screening.models import Watchlist, WatchlistEntry

    list_id = Watchlist.objects.get(code="SXBZXR").pk
    table = WatchlistEntry._meta.db_table
    connection.ensure_connection()
    raw = connection.connection
    listed = "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL"
    indexes = [sql for (sql,) in raw.execute(listed, (table,))]
    for sql in indexes:
        raw.execute("DROP INDEX " + sql.split(" ON ")[0].split()[-1])
    insert = (
        f"INSERT INTO {table} (id, watchlist_id, subject_type, name, name_normalised, uscc, org_code, reg_number,"
        " id_number_encrypted, id_number_hash, id_number_masked, legal_representative, court, province,"
        " case_number, basis_document_number, basis_unit, duty, performance, conduct, region, reason, active,"
        " natural_key, source_ref, batch_number, created_at, updated_at)"
        f" VALUES (?, {list_id}, ?, ?, ?, ?, ?, '', '', ?, ?, '', '', '', '', '', '', '', '', '', '', '', 1,"
        " ?, '', 'BENCH', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    )

    def rows() -> Any:
        for i in range(n_orgs):
            name = "".join(org_name(i))
            code = uscc(i) if i % 2 == 0 else ""
            yield (i + 1, "organisation", name, name, code, code[8:17], "", "", f"O{i}")
        for j in range(n_persons):
            number = id_number(j)
            if j % 3 == 0:
                hashed, masked = "", court_mask(number)
            else:
                hashed, masked = keyed_hash(number), number[:6] + "*" * 8 + number[-4:]
            yield (n_orgs + j + 1, "person", person_name(j), "", "", "", hashed, masked, f"P{j}")

    started = time.perf_counter()
    raw.execute("BEGIN")
    raw.executemany(insert, rows())
    raw.execute("COMMIT")
    print(f"inserted {n_orgs + n_persons:,} rows in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    started = time.perf_counter()
    for sql in indexes:
        raw.execute(sql)
    raw.execute("ANALYZE")
    print(f"indexed in {time.perf_counter() - started:.0f}s", file=sys.stderr)


def make_client() -> str:
    """An API client with the screening scope and a high rate limit; returns its bearer token."""
    from types import SimpleNamespace

    from govtrust.accounts.services import api_client_create, api_token_issue

    actor = SimpleNamespace(username="bench", is_authenticated=False, pk=None)
    client = api_client_create(actor=actor, name="bench-platform", scopes=["screening.query"],
                               rate_limit_per_minute=100_000)  # fmt: skip
    token, _row = api_token_issue(actor=actor, client=client)
    return token


def queries(n_orgs: int, n_persons: int, count: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    s2t = opencc.OpenCC("s2t")
    out: list[dict[str, str]] = []
    for n in range(count):
        roll = rng.random()
        ref = f"q{n}"
        if roll < 0.4:
            prefix, trade, industry, form, branch = org_name(rng.randrange(n_orgs))
            variant = rng.randrange(3)
            if variant == 0:
                name = s2t.convert(prefix + trade + industry) + form + branch
            elif variant == 1:
                name = prefix + trade + industry + ("有限责任公司" if form == "有限公司" else form) + branch
            else:
                name = trade + industry + form + branch
            out.append({"ref": ref, "name": name})
        elif roll < 0.7:
            prefix, trade, industry, form = org_parts(rng)
            out.append({"ref": ref, "name": prefix + trade + "新" + industry + form})
        elif roll < 0.9:
            out.append({"ref": ref, "name": "", "uscc": uscc(rng.randrange(n_orgs * 2))})
        else:
            j = rng.randrange(n_persons * 2)
            out.append({"ref": ref, "name": person_name(j), "id_number": id_number(j)})
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Api:
    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.timing = ""

    def post(self, path: str, body: Any) -> dict[str, Any]:
        self.conn.request("POST", path, body=json.dumps(body, ensure_ascii=False).encode(), headers=self.headers)
        response = self.conn.getresponse()
        data = response.read()
        self.timing = response.getheader("Server-Timing") or ""
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status} {data[:300]!r}")
        result: dict[str, Any] = json.loads(data)
        return result


def serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """The API server on a loopback port, one worker process, its access log (path, status, ms) in `log`."""
    bin_dir = Path(PYTHON).parent
    if SERVER == "granian":
        command = [str(bin_dir / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
                   "--workers", "1", "--blocking-threads", "1", "--runtime-threads", "1", "--no-ws",
                   "--access-log", "--access-log-fmt", f"{ACCESS_MARK} %(path)s %(status)d %(dt_ms).3f",
                   "govtrust.wsgi:application"]  # fmt: skip
        out = open(log, "wb")
    else:
        command = [str(bin_dir / "gunicorn"), "govtrust.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                   "--worker-class", WORKER_CLASS, "--threads", THREADS, "--timeout", "600", "--access-logfile",
                   str(log), "--access-logformat", f"{ACCESS_MARK} %(U)s %(s)s %(D)s"]  # fmt: skip
        out = open(os.devnull, "wb")
    server = subprocess.Popen(
        command, env=env, cwd=h.ROOT, stdout=out, stderr=open(log.with_suffix(".err"), "wb")
    )  # fmt: skip
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{SERVER} did not start")


def server_times(log: Path, path: str, skip: int) -> list[float]:
    """Server times (ms) of `path` from the access log, in order, without the first `skip`."""
    times = []
    for line in log.read_text().splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == ACCESS_MARK and parts[1] == path:
            times.append(float(parts[3]) / (1000 if SERVER == "gunicorn" else 1))  # gunicorn: µs
    return times[skip:]


def server_processes(pid: int) -> list[int]:
    """The server's master process and its workers."""
    return [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]


def pin(pids: list[int], cpus: set[int]) -> None:
    """Every thread of these processes (and threads they start later) on `cpus` only."""
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            os.sched_setaffinity(int(task.name), cpus)


def worker_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by the server's worker processes."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for child in server_processes(pid)[1:]:
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def rss_of_children(pid: int) -> float:
    total = 0
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def load_test(port: int, token: str, mix: list[dict[str, str]], seconds: float, threads: int = 4) -> float:
    done = [0] * threads
    stop = time.perf_counter() + seconds

    def worker(k: int) -> None:
        api = Api(port, token)
        i = k
        while time.perf_counter() < stop:
            api.post("/api/screening/check", mix[i % len(mix)])
            done[k] += 1
            i += threads

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(done) / (time.perf_counter() - started)


def accuracy(rows: list[dict[str, str]]) -> dict[str, float]:
    from govtrust.screening.matching import Entry, Matcher, Query, load_rules

    rules = load_rules()
    predicted = [
        Matcher([Entry(1, "T", "organisation", r["name_a"])], rules=rules).check(Query(name=r["name_b"])).decision
        != "pass"
        for r in rows
    ]
    return confusion(rows, predicted)


def accuracy_nomenklatura(rows: list[dict[str, str]]) -> tuple[list[bool] | None, str]:
    """logic-v2 on the same pairs as Company entities (threshold 0.7, yente's default)."""
    extra = os.environ.get("NOMENKLATURA_PATH")
    if not extra:
        return None, "NOMENKLATURA_PATH not set"
    sys.path.append(extra)
    try:
        from followthemoney import model  # type: ignore[import-not-found]
        from nomenklatura.matching import get_algorithm  # type: ignore[import-not-found]
        from nomenklatura.matching.types import ScoringConfig  # type: ignore[import-not-found]
    except Exception as error:  # noqa: BLE001  (any import problem: no baseline)
        return None, f"nomenklatura not importable: {error}"
    algorithm = get_algorithm("logic-v2")
    if algorithm is None:
        return None, "logic-v2 not found"
    config = ScoringConfig.defaults()

    def company(i: str, name: str) -> Any:
        entity = model.make_entity("Company")
        entity.id = i
        entity.add("name", name)
        return entity

    predicted = []
    for n, row in enumerate(rows):
        result = algorithm.compare(company(f"q{n}", row["name_b"]), company(f"r{n}", row["name_a"]), config)
        predicted.append(result.score >= 0.7)
    return predicted, "ok"


def confusion(rows: list[dict[str, str]], predicted: list[bool]) -> dict[str, float]:
    tp = sum(p and r["label"] == "1" for r, p in zip(rows, predicted, strict=True))
    fn = sum(not p and r["label"] == "1" for r, p in zip(rows, predicted, strict=True))
    fp = sum(p and r["label"] == "0" for r, p in zip(rows, predicted, strict=True))
    tn = sum(not p and r["label"] == "0" for r, p in zip(rows, predicted, strict=True))
    return {
        "recall": round(tp / max(1, tp + fn), 4),
        "fpr": round(fp / max(1, fp + tn), 4),
        "precision": round(tp / max(1, tp + fp), 4),
    }


def read_pairs(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def accuracy_report() -> dict[str, Any]:
    """The accuracy keys of the last line: the tuning set, then the held-out set, each with the baseline."""
    report: dict[str, Any] = {}
    for prefix, path in (("", PAIRS), ("heldout_", HELDOUT)):
        rows = read_pairs(path)
        ours = accuracy(rows)
        baseline, note = accuracy_nomenklatura(rows)
        base = confusion(rows, baseline) if baseline is not None else {}
        print(f"{path.name}: ours {ours}; baseline: {note} {base}", file=sys.stderr)
        report[f"{prefix}recall"] = ours["recall"]
        report[f"{prefix}fpr"] = ours["fpr"]
        report[f"{prefix}precision"] = ours["precision"]
        report[f"{prefix}baseline_recall"] = base.get("recall")
        report[f"{prefix}baseline_fpr"] = base.get("fpr")
        if prefix:
            report[f"{prefix}baseline_precision"] = base.get("precision")
    return report


def main() -> None:
    n_orgs, n_persons = max(1000, int(ORGS * h.SCALE)), max(1000, int(PERSONS * h.SCALE))
    started = time.perf_counter()
    work, built_now = h.database("screening", f"{SEED}-{n_orgs}-{n_persons}", lambda: populate(n_orgs, n_persons))
    print(f"database {'generated' if built_now else 'from cache'} in {time.perf_counter() - started:.0f}s",
          file=sys.stderr)  # fmt: skip
    token = make_client()
    from django.db import connection

    connection.close()
    env = {**os.environ, "PYTHONPATH": str(h.ROOT / "src")}
    load_before = os.getloadavg()[0]

    # --- build (a child process, as an operator or the sweep runs it) --------------------------------
    started = time.perf_counter()
    subprocess.run([PYTHON, "-m", "govtrust.cli", "watchlist", "index"], env=env, cwd=h.ROOT, check=True)
    build_s = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"snapshot built in {build_s:.1f}s, peak RSS {rss_mb:.0f} MB", file=sys.stderr)

    # --- HTTP -----------------------------------------------------------------------------------------
    port = free_port()
    log = h.BENCH_DIR / f"screening-access-{os.getpid()}.log"
    server = serve(env, port, log)
    try:
        api = Api(port, token)
        started = time.perf_counter()
        api.post("/api/screening/check", {"ref": "warm", "name": "南京华泰建设工程有限公司"})
        first_s = time.perf_counter() - started
        mix = queries(n_orgs, n_persons, CHECKS, SEED + 1)
        for q in mix[:200]:  # warm: the mapped pages and parse caches
            api.post("/api/screening/check", q)
        decisions: dict[str, int] = {}
        client_ms, match_ms, record_ms = [], [], []
        for q in mix:
            t0 = time.perf_counter()
            decision = api.post("/api/screening/check", q)["decision"]
            client_ms.append((time.perf_counter() - t0) * 1000)
            parts = dict(p.strip().split(";dur=") for p in api.timing.split(","))
            match_ms.append(float(parts["match"]))
            record_ms.append(float(parts["record"]))
            decisions[decision] = decisions.get(decision, 0) + 1
        times = server_times(log, "/api/screening/check", skip=201)
        # One core, literally: the server on CPU 1 only, this process (the load generator) on the others.
        cpus = os.sched_getaffinity(0)
        one_core = len(cpus) > 1
        if one_core:
            pin(server_processes(server.pid), {max(cpus)})
            pin([os.getpid()], cpus - {max(cpus)})
        cpu_before, load_started = worker_cpu_s(server.pid), time.perf_counter()
        rps = load_test(port, token, mix, LOAD_S)
        load_wall = time.perf_counter() - load_started
        server_core = (worker_cpu_s(server.pid) - cpu_before) / load_wall  # share of one core the worker used
        if one_core:  # the batch may use every core (screening.parallel)
            pin(server_processes(server.pid), cpus)
            pin([os.getpid()], cpus)
        batch = queries(n_orgs, n_persons, BATCH, SEED + 2)
        started = time.perf_counter()
        answer = Api(port, token).post("/api/screening/batch", {"subjects": batch})
        batch_s = time.perf_counter() - started
        assert len(answer["results"]) == BATCH
        server_rss = rss_of_children(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    print(f"first check (maps the snapshot) {first_s * 1000:.0f} ms; decisions {decisions}; client round trip "
          f"p50 {h.percentile(client_ms, 50):.2f} ms p99 {h.percentile(client_ms, 99):.2f} ms; inside the view: "
          f"match p50 {h.percentile(match_ms, 50):.2f} p99 {h.percentile(match_ms, 99):.2f} ms, record p50 "
          f"{h.percentile(record_ms, 50):.2f} p99 {h.percentile(record_ms, 99):.2f} ms; "
          f"worker RSS {server_rss:.0f} MB; under load the worker used {server_core:.2f} of a core "
          f"({server_core / rps * 1000:.2f} ms CPU per check); "
          f"load average before {load_before:.2f}, now {os.getloadavg()[0]:.2f}",
          file=sys.stderr)  # fmt: skip

    accuracy_keys = accuracy_report()
    h.report(
        {
            "entries": n_orgs + n_persons,
            "build_s": round(build_s, 1),
            "rss_mb": round(rss_mb),
            "p50_ms": round(h.percentile(times, 50), 3),
            "p99_ms": round(h.percentile(times, 99), 3),
            "rps_one_core": round(rps, 1),
            "batch_10k_s": round(batch_s, 2),
            **accuracy_keys,  # recall, fpr, precision, baseline_recall, baseline_fpr, then the heldout_* keys
        }
    )


if __name__ == "__main__":
    if os.environ.get("ACCURACY_ONLY"):
        print(json.dumps(accuracy_report(), ensure_ascii=False))
    else:
        Path(h.BENCH_DIR).mkdir(parents=True, exist_ok=True)
        main()
