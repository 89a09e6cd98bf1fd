"""Pairing benchmark at county scale: 26 consortia, 278 village clinics, 49 branches each, a year of activities.

Times the office's 四个一 matrix of one consortium, the bureau overview of all, the bureau
workbook, one consortium's year-end summary, and parsing an activity line.
Run from the repository root (SQLite in a temp dir, or DATABASE_URL):
    .venv/bin/python benchmarks/bench_pairing.py [--consortia 26] [--units 278] [--activities 20000]
"""
from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 12, 15, 2, 0, tzinfo=timezone.utc)
KINDS = ("clinic", "lecture", "training", "exchange", "party_day", "survey", "deed", "other")


def timed(fn, repeat: int = 5) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1000


def seed(session, n_cons: int, n_units: int, n_branches: int, n_acts: int) -> None:
    """Consortia with branches, village clinics (each paired with two branches) and activities."""
    from models.org import Branch, Consortium, Pairing, Person, Unit
    from models.pairing import Activity
    rng = random.Random(7)
    pairings = []
    for c in range(n_cons):
        cons = Consortium(code=f"c{c:02d}", name=f"第{c + 1}医共体", lead_hospital="县医院", office_name="党办")
        session.add(cons)
        session.flush()
        branches = [Branch(consortium_id=cons.id, code=f"b{b:02d}", name=f"第{b + 1}党支部", aliases=[])
                    for b in range(n_branches)]
        session.add_all(branches)
        units = [Unit(consortium_id=cons.id, code=f"U{c:02d}{u:03d}", name=f"{c}-{u}村卫生室", kind="village")
                 for u in range(n_units // n_cons + (c < n_units % n_cons))]
        session.add_all(units)
        session.flush()
        for i, unit in enumerate(units):
            for b in (branches[i % n_branches], branches[(i + 7) % n_branches]):
                pairings.append(Pairing(branch_id=b.id, unit_id=unit.id))
        session.add(Person(openid=f"sec-{c}", role="secretary", consortium_id=cons.id, branch_id=branches[0].id,
                           created_at=NOW))
    session.add_all(pairings)
    session.flush()
    rows = [{"consortium_id": p.branch.consortium_id, "branch_id": p.branch_id, "unit_id": p.unit_id,
             "pairing_id": p.id, "kind": rng.choice(KINDS), "held_on": date(2026, 1, 1) + timedelta(rng.randrange(340)),
             "counts": {"people": rng.randrange(200), "bp": rng.randrange(100)}, "note": "", "source": "",
             "created_at": NOW} for p in (rng.choice(pairings) for _ in range(n_acts))]
    session.execute(Activity.__table__.insert(), rows)
    session.commit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consortia", type=int, default=26)
    parser.add_argument("--units", type=int, default=278)
    parser.add_argument("--branches", type=int, default=49)
    parser.add_argument("--activities", type=int, default=20000)
    args = parser.parse_args(argv)
    from zoneinfo import ZoneInfo
    from sqlalchemy import select
    from models.db import create_schema, drop_schema, make_engine, make_session_factory
    from models.org import Person
    from services.pairing import activities
    from services.reports import bureau
    from services.pairing import agreements as pairing
    from services.reports import summary
    tmp = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    engine = make_engine(url)
    drop_schema(engine)
    create_schema(engine)
    factory = make_session_factory(engine)
    tz = ZoneInfo("Asia/Shanghai")
    start = time.perf_counter()
    with factory() as s:
        seed(s, args.consortia, args.units, args.branches, args.activities)
    print(f"database: {engine.dialect.name}; {args.consortia} consortia, {args.units} units, "
          f"{args.consortia * args.branches} branches, {args.activities} activities "
          f"(seeded in {time.perf_counter() - start:.1f} s)")
    with factory() as s:
        person = s.scalar(select(Person).where(Person.openid == "sec-0"))
        cid = person.consortium_id
        figures = {
            "四个一 matrix, one consortium (office 四个一 / console)":
                timed(lambda: pairing.completion(pairing.pairing_rows(s, 2026, consortium_id=cid))),
            "secretary 结对 (one branch)": timed(lambda: pairing.pairing_rows(s, 2026, branch_id=person.branch_id)),
            "bureau overview, all consortia": timed(lambda: bureau.overview(s, year=2026, period="2026-11")),
            "bureau workbook (.xlsx, a sheet per consortium)":
                timed(lambda: bureau.export_workbook(s, io.BytesIO(), year=2026, period="2026-11", tz=tz,
                                                     today=date(2026, 12, 15)), repeat=2),
            "year-end summary, one consortium":
                timed(lambda: summary.year_summary(s, cid, 2026, tz=tz, today=date(2026, 12, 15))),
            "November reminder selection (all consortia)": timed(lambda: pairing.incomplete_by_branch(s, 2026)),
            "parse one activity line":
                timed(lambda: activities.parse_line(s, person, "义诊 12-05 0-1村卫生室 接诊120 血压80", now=NOW, tz=tz),
                      repeat=50),
        }
    for name, ms in figures.items():
        print(f"{name:<55} {ms:8.1f} ms")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
