"""Shared helpers for the benchmarks: a throw-away SQLite database, a cached template of generated data,
timing and percentiles. Each benchmark imports this first, before anything from Django."""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
SCALE = float(os.environ.get("SCALE", "1"))

# Run the checkout's code even when another copy of govtrust is installed in the venv.
sys.path.insert(0, str(ROOT / "src"))


def _schema_key() -> str:
    """Changes whenever a migration changes, so a cached template never outlives the schema it was made with."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "src" / "govtrust").glob("*/migrations/*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _checkpoint(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _postgres_database(name: str, url: str, build: Callable[[], Any]) -> tuple[Path, bool]:
    """PostgreSQL (`DATABASE_URL=postgres://…`): a scratch database `bench_<name>_<pid>` on that server,
    migrated and built for this run and dropped at exit (no template cache: building is part of the run)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    scratch = f"bench_{name}_{os.getpid()}"
    admin = psycopg.connect(url, autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
    admin.execute(f'CREATE DATABASE "{scratch}"')
    admin.close()

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')

    atexit.register(drop)
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{scratch}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govtrust.settings")
    os.environ.setdefault("GOVTRUST_VAR_DIR", str(BENCH_DIR / "var"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    build()
    return Path(scratch), True


def database(name: str, key: str, build: Callable[[], Any]) -> tuple[Path, bool]:
    """Set Django up against a working copy of a cached template database, building it on first use.

    `key` names the generated data (seed, scale …); the template lives in var/bench/ and is reused by later
    runs; the working copy is deleted when the process exits. Returns (working path, built_now).
    With `DATABASE_URL=postgres://…` the benchmark runs on a scratch database of that server instead.
    """
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return _postgres_database(name, url, build)
    template = BENCH_DIR / f"{name}-{key}-{_schema_key()}.sqlite3"
    work = BENCH_DIR / f"{name}-work-{os.getpid()}.sqlite3"
    _remove_db(work)
    atexit.register(_remove_db, work)
    # A template of the same data made under an older schema is migrated forward, as production data would
    # be, instead of generated again (the 10M screening lists take ~12 minutes to generate).
    older = [p for p in BENCH_DIR.glob(f"{name}-{key}-*.sqlite3") if p != template]
    source = template if template.exists() else max(older, key=lambda p: p.stat().st_mtime, default=None)
    if source is not None:
        shutil.copyfile(source, work)
    os.environ["DATABASE_URL"] = f"sqlite:///{work}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govtrust.settings")
    os.environ.setdefault("GOVTRUST_VAR_DIR", str(BENCH_DIR / "var"))
    import django

    django.setup()
    if source == template:
        return work, False
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if source is None:
        build()
    connection.close()
    _checkpoint(work)
    partial = template.with_suffix(".partial")
    shutil.copyfile(work, partial)
    partial.replace(template)
    if source is not None:
        print(f"template {source.name} migrated forward to {template.name}", file=sys.stderr)
        source.unlink()
    return work, source is None


def time_ms(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 400 samples = the 380th smallest)."""
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values), 2),
        "p95_ms": round(percentile(values, 95), 2),
        "max_ms": round(max(values), 2),
    }


def report(figures: dict[str, Any]) -> None:
    """The last line of every benchmark: one JSON object."""
    print(json.dumps(figures, ensure_ascii=False, sort_keys=False), flush=True)
