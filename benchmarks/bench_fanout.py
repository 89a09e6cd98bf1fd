"""Reminder fan-out benchmark: one schedule occurrence to 10,000 recipients, SQLite and PostgreSQL.

Run from the repository root:
    .venv/bin/python benchmarks/bench_fanout.py [--recipients N] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

The PostgreSQL figure uses its own database `fanout_bench` on that server (created if
missing, its tables dropped and recreated), never the database named in the URL.
Timed: resolve recipients, format texts, claim (INSERT .. ON CONFLICT DO NOTHING
RETURNING) and queue the outbox rows, commit. Then the same occurrence again (0 queued).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, make_url, select  # noqa: E402

from core.config import load_settings  # noqa: E402
from models.db import create_schema, drop_schema, make_engine, make_session_factory  # noqa: E402
from models.org import Branch, Person  # noqa: E402
from scheduler import jobs  # noqa: E402
from services.org import structure as org  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
ROUNDS = [datetime(2026, 12, 25, 9, 0, tzinfo=SH), datetime(2027, 1, 25, 9, 0, tzinfo=SH),
          datetime(2027, 2, 25, 9, 0, tzinfo=SH)]  # three occurrences: each queues to everyone


def bench_database(pg_url: str) -> str:
    """postgresql://.../fanout_bench, created on the server of `pg_url` if missing."""
    import psycopg
    url = make_url(pg_url)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'fanout_bench'").fetchone():
            conn.execute("CREATE DATABASE fanout_bench")
    return url.set(database="fanout_bench").render_as_string(hide_password=False)


def seed(factory, settings, count: int) -> None:
    with factory() as session:
        org.sync_org(session, settings)
        branch_ids = list(session.scalars(select(Branch.id).order_by(Branch.id)))
        cons = org.consortium_by_code(session, None)
        now = datetime.now(ZoneInfo("UTC"))
        rows = [{"openid": f"bench-{i:05d}", "name": f"书记{i}", "role": "secretary", "consortium_id": cons.id,
                 "branch_id": branch_ids[i % len(branch_ids)], "is_deputy": i >= len(branch_ids),
                 "created_at": now, "bound_at": now} for i in range(count)]
        session.execute(insert(Person), rows)
        session.commit()


def run(label: str, url: str, count: int, tmp: str) -> None:
    settings = load_settings(environ={**os.environ, "DATABASE_URL": url, "TONGXIN_VAR_DIR": tmp})
    engine = make_engine(url)
    drop_schema(engine)
    create_schema(engine)
    factory = make_session_factory(engine)
    seed(factory, settings, count)
    schedule = next(s for s in settings.schedules if s.name == "report_reminder")
    firsts = []
    for at in ROUNDS:
        for attempt in ("first", "again"):
            started = time.perf_counter()
            with factory() as session:
                queued = jobs.fire_at(session, settings, schedule, at, runner="bench")
                session.commit()
            seconds = time.perf_counter() - started
            firsts += [seconds] if attempt == "first" else []
            print(f"{label:<10} {at:%Y-%m} {attempt:<5} recipients={count:>6} queued={queued:>6} "
                  f"seconds={seconds:.3f}")
    print(f"{label:<10} fan-out of {count} recipients: median {statistics.median(firsts):.3f} s, "
          f"worst {max(firsts):.3f} s (target < 2 s)")
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--pg", default=os.environ.get("TONGXIN_TEST_DATABASE_URL"),
                        help="a PostgreSQL server URL (default: $TONGXIN_TEST_DATABASE_URL)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", f"sqlite:///{tmp}/bench.db", args.recipients, tmp)
        if args.pg:
            run("postgresql", bench_database(args.pg), args.recipients, tmp)
        else:
            print("postgresql skipped (no --pg / TONGXIN_TEST_DATABASE_URL)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
