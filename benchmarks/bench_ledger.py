"""Ledger benchmark: page times at 10,000 requests (first page, deep keyset page, filtered) and export time.

Run from the repository root (SQLite in a temp dir, or DATABASE_URL):
    .venv/bin/python benchmarks/bench_ledger.py [--rows 10000]
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def timed(fn, repeat: int = 20) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10000)
    args = parser.parse_args(argv)
    from core.config import load_settings
    from models.db import create_schema, drop_schema, make_engine, make_session_factory
    from services.demo import seed as demo
    from services.demo import sample_requests as demo_data
    from services.reports import exports
    from services.tasks import ledger
    from services.org import structure as org
    tmp = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    settings = load_settings(environ={"DATABASE_URL": url, "TONGXIN_VAR_DIR": tmp})
    engine = make_engine(url)
    drop_schema(engine)
    create_schema(engine)
    factory = make_session_factory(engine)
    now = datetime.now(timezone.utc)
    with factory() as session:
        org.sync_org(session, settings)
        demo.seed(session, settings, now=now)
        t0 = time.perf_counter()
        demo_data.seed_requests(session, org.consortium_by_code(session, None).id, now=now, tz=settings.tz,
                                count=args.rows, days=365)
        session.commit()
        seed_s = time.perf_counter() - t0
    tz = settings.tz
    with factory() as session:
        first = ledger.page(session, ledger.LedgerFilter(), tz)
        cursor, pages = first, 1
        while cursor.next_before and pages < 100:
            last = cursor
            cursor = ledger.page(session, ledger.LedgerFilter(), tz, before=cursor.next_before)
            pages += 1
        deep_before = last.next_before
        print(f"database      {url.split(':')[0]}, {first.total} requests (seeded in {seed_s:.1f} s)")
        print(f"first page    {timed(lambda: ledger.page(session, ledger.LedgerFilter(), tz)):.2f} ms (50 rows + total count)")
        print(f"deep page     {timed(lambda: ledger.page(session, ledger.LedgerFilter(), tz, before=deep_before)):.2f} ms "
              f"(page {pages}, keyset)")
        month = now.astimezone(tz).strftime("%Y-%m")
        flt = ledger.LedgerFilter(month=month, branch="maternal", text="培训")
        print(f"filtered page {timed(lambda: ledger.page(session, flt, tz)):.2f} ms (month+branch+text)")
        print(f"dashboard     {timed(lambda: ledger.dashboard(session, 1, month, tz, now=now), 5):.2f} ms")
        for fmt in ("xlsx", "csv"):
            start = time.perf_counter()
            n = exports.export_ledger(session, ledger.LedgerFilter(), tz, io.BytesIO(), fmt)
            print(f"export {fmt:<5}  {time.perf_counter() - start:.2f} s for {n} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
