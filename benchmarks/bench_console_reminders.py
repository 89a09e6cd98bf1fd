"""Console reminder pages at scale: the 月报 page's reminder log and the schedules page after months of
reminders to 10,000 people in two consortia, on SQLite and PostgreSQL.

Run from the repository root:
    .venv/bin/python benchmarks/bench_console_reminders.py [--people 10000] [--months 6] [--pg URL]

The PostgreSQL figures use a database of their own, `console_reminders_bench`, created on the
server of the URL (default $TONGXIN_TEST_DATABASE_URL) and dropped at the end; never the database
named in the URL. Timed: reminder_log.period_log, reminder_log.last_runs, and the whole
GET /admin/reports and GET /admin/schedules (Flask test client, logged in as an office account).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, make_url, select  # noqa: E402

from core.config import load_settings  # noqa: E402
from models.org import Branch, Consortium, Person  # noqa: E402
from models.schedule import ReminderClaim  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
DB = "console_reminders_bench"
PASSWORD = "bench-password-1"


def pg_database(pg_url: str, create: bool) -> str:
    import psycopg
    url = make_url(pg_url)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        if create:
            conn.execute(f"CREATE DATABASE {DB}")
    return url.set(database=DB).render_as_string(hide_password=False)


def seed(factory, settings, people: int, months: int) -> tuple[int, str]:
    from scheduler import jobs
    from services.org import accounts as admin_accounts
    from services.org import structure as org
    from services.reports import monthly as reports
    now = datetime(2026, 12, 15, 3, tzinfo=timezone.utc)
    with factory() as session:
        org.sync_org(session, settings)
        branches = session.execute(select(Branch.id, Branch.consortium_id).order_by(Branch.id)).all()
        session.execute(insert(Person), [
            {"openid": f"bench-{i:05d}", "name": f"书记{i}", "role": "secretary", "consortium_id": branches[i % len(
                branches)][1], "branch_id": branches[i % len(branches)][0], "is_deputy": i >= len(branches),
             "created_at": now, "bound_at": now} for i in range(people)])
        admin_accounts.create_account(session, "office", PASSWORD, role="office", now=now)
        session.commit()
    schedule = next(s for s in settings.schedules if s.name == "report_reminder")
    for m in range(months):
        with factory() as session:
            jobs.fire_at(session, settings, schedule, datetime(2026, 12 - m, 25, 9, tzinfo=SH), runner="bench")
            session.commit()
    with factory() as session:
        cons = org.consortium_by_code(session, None)
        for day in (12, 13, 14, 15):  # four days of 催报 for December
            reports.urge_missing(session, cons.id, "2026-12", "12月31日",
                                 now=datetime(2026, 12, day, 3, tzinfo=timezone.utc), tz=SH, sandbox=True)
        session.commit()
        claims = session.scalar(select(func.count()).select_from(ReminderClaim))
    return claims, "2026-12"


def timed(fn, repeat: int = 5) -> float:
    fn()  # warm
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1000


def run(label: str, url: str, tmp: str, people: int, months: int) -> None:
    from bot import create_app
    from services.reminders import log as reminder_log
    settings = load_settings(environ={"DATABASE_URL": url, "TONGXIN_VAR_DIR": tmp, "SECRET_KEY": "bench"})
    clock = lambda: datetime(2026, 12, 16, 3, tzinfo=timezone.utc)  # noqa: E731
    app = create_app(settings, clock=clock)
    factory = app.extensions["tongxin"].session_factory
    started = time.perf_counter()
    claims, period = seed(factory, settings, people, months)
    print(f"{label:<10} seeded {people} people, {months} monthly reminders + 4 days of 催报: {claims} claims "
          f"in {time.perf_counter() - started:.1f} s")
    with factory() as session:
        cid = session.scalar(select(Consortium.id).order_by(Consortium.id))
        entries = reminder_log.period_log(session, cid, period)
        print(f"{label:<10} period_log: {len(entries)} entries, {timed(lambda: reminder_log.period_log(session, cid, period)):.1f} ms")
        names = ["report_reminder", "report_followup", "report_summary", "party_day", "joint_meeting"]
        print(f"{label:<10} last_runs (5 schedules): {timed(lambda: reminder_log.last_runs(session, names, cid)):.1f} ms")
    client = app.test_client()
    client.get("/admin/login")
    with client.session_transaction() as sess:
        token = sess["csrf"]
    client.post("/admin/login", data={"username": "office", "password": PASSWORD, "csrf_token": token})
    for path in ("/admin/reports?period=2026-12", "/admin/schedules"):
        assert client.get(path).status_code == 200, path
        print(f"{label:<10} GET {path:<30} {timed(lambda: client.get(path)):.1f} ms")
    app.extensions["tongxin"].close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--pg", default=os.environ.get("TONGXIN_TEST_DATABASE_URL"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", f"sqlite:///{tmp}/bench.db", tmp, args.people, args.months)
        if args.pg:
            try:
                run("postgresql", pg_database(args.pg, create=True), tmp, args.people, args.months)
            finally:
                pg_database(args.pg, create=False)
        else:
            print("postgresql skipped (no --pg / TONGXIN_TEST_DATABASE_URL)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
