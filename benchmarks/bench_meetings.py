"""Organisational-life benchmark at county scale: 26 consortia × 70 branches × 30 members with a year of
meetings and attendance; prints the 组织生活 matrix page time (target < 100 ms, through the real app) and the
time of one branch-year book with 200 photos (target < 5 s).

Run from the repository root (SQLite in a temp dir, or DATABASE_URL, whose tables are recreated):
    .venv/bin/python benchmarks/bench_meetings.py [--consortia 26 --branches 70 --members 30 --photos 200]
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

from sqlalchemy import insert, select  # noqa: E402

from models.admin import AdminAccount  # noqa: E402
from models.org import Branch, Consortium  # noqa: E402
from models.party import Attendance, MediaBlob, Meeting, MeetingPhoto, PartyMember, PhotoFetch  # noqa: E402

PLAN = [("committee", 12, "committee"), ("party_day", 12, "all"), ("group", 24, "group"), ("assembly", 4, "all"),
        ("lecture", 4, "all"), ("life", 1, "all")]


def chunks(rows: list[dict], size: int = 20000):
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def seed_org(session, consortia: int, branches: int, members: int, now: datetime) -> None:
    session.execute(insert(Consortium), [{"code": f"bench{c:02d}", "name": f"第{c}医共体", "lead_hospital": "县医院",
                                          "office_name": "党办"} for c in range(consortia)])
    ids = list(session.scalars(select(Consortium.id).where(Consortium.code.like("bench%")).order_by(Consortium.id)))
    session.execute(insert(Branch), [{"consortium_id": c, "code": f"b{b:02d}", "name": f"第{b}党支部", "aliases": []}
                                     for c in ids for b in range(branches)])
    rows = session.execute(select(Branch.id, Branch.consortium_id).where(Branch.consortium_id.in_(ids))).all()
    people = [{"consortium_id": c, "branch_id": b, "name": f"党员{n:02d}", "status": "full",
               "duty": "secretary" if n == 0 else "committee" if n < 5 else "member",
               "group_name": f"第{n % 2 + 1}党小组", "phone": "", "created_at": now, "updated_at": now}
              for b, c in rows for n in range(members)]
    for part in chunks(people):
        session.execute(insert(PartyMember), part)


def seed_meetings(session, year: int, tz, now: datetime) -> None:
    """A year of every kind for every branch, attendance for every expected member (5% leave, 5% absent)."""
    roster: dict[int, list[tuple[int, str, str]]] = {}
    for mid, bid, duty, group in session.execute(select(PartyMember.id, PartyMember.branch_id, PartyMember.duty,
                                                        PartyMember.group_name)):
        roster.setdefault(bid, []).append((mid, duty, group))
    consortium_of = dict(session.execute(select(Branch.id, Branch.consortium_id)).all())
    for bid, members in roster.items():
        meetings = []
        for kind, per_year, who in PLAN:
            for i in range(per_year):
                month = 1 + i * 12 // per_year if per_year <= 12 else 1 + i // 2
                meetings.append({"consortium_id": consortium_of[bid], "branch_id": bid, "kind": kind,
                                 "group_name": f"第{i % 2 + 1}党小组" if kind == "group" else "", "title": "学习",
                                 "place": "会议室", "starts_at": datetime(year, month, 10 + i % 2, 15, tzinfo=tz),
                                 "status": "scheduled", "late_recorded": i % 7 == 0, "minutes": "纪要" * 50,
                                 "created_at": now, "_who": who})
        whos = [m.pop("_who") for m in meetings]
        ids = session.scalars(insert(Meeting).returning(Meeting.id, sort_by_parameter_order=True), meetings).all()
        attendance = []
        for meeting_id, who, m in zip(ids, whos, meetings):
            for k, (mid, duty, group) in enumerate(members):
                if (who == "committee" and duty == "member") or (who == "group" and group != m["group_name"]):
                    continue
                status = "leave" if k % 20 == 3 else "expected" if k % 20 == 7 else "present"
                attendance.append({"meeting_id": meeting_id, "member_id": mid, "status": status,
                                   "reason": "", "via": "text"})
        session.execute(insert(Attendance), attendance)


def add_photos(session, branch_id: int, count: int, now: datetime) -> None:
    meeting_ids = list(session.scalars(select(Meeting.id).where(Meeting.branch_id == branch_id)))
    for i in range(count):
        data = os.urandom(60_000) + i.to_bytes(4, "big")  # ~60 KB each, like a compressed phone photo
        blob = MediaBlob(sha256=f"{i:064x}", content_type="image/jpeg", size=len(data), data=data, created_at=now)
        photo = MeetingPhoto(meeting_id=meeting_ids[i % len(meeting_ids)], media_id="", created_at=now)
        session.add_all([blob, photo])
        session.flush()
        session.add(PhotoFetch(source="meeting", photo_id=photo.id, status="stored", blob_id=blob.id,
                               created_at=now, updated_at=now))
    session.flush()


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consortia", type=int, default=26)
    parser.add_argument("--branches", type=int, default=70)
    parser.add_argument("--members", type=int, default=30)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="Keep the data of a previous run (same DATABASE_URL).")
    args = parser.parse_args(argv)
    from bot import create_app
    from core.config import load_settings
    from models.db import create_schema, drop_schema, make_engine, make_session_factory
    from services.meetings import book
    from services.org import accounts
    tmp = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    settings = load_settings(environ={"DATABASE_URL": url, "TONGXIN_VAR_DIR": tmp})
    engine = make_engine(url)
    factory = make_session_factory(engine)
    now, tz, year = datetime(2026, 12, 31, 8, tzinfo=timezone.utc), settings.tz, 2026
    t0 = time.perf_counter()
    if not args.reuse:
        drop_schema(engine)
        create_schema(engine)
        with factory() as session:
            seed_org(session, args.consortia, args.branches, args.members, now)
            seed_meetings(session, year, tz, now)
            target = session.scalar(select(Branch).join(Consortium).where(Consortium.code == "bench00",
                                                                          Branch.code == "b00"))
            add_photos(session, target.id, args.photos, now)
            accounts.create_account(session, "bench", "bench-pass-9", role="office", now=now,
                                    consortium_id=target.consortium_id)
            session.commit()
    with factory() as session:
        target = session.scalar(select(Branch).join(Consortium).where(Consortium.code == "bench00", Branch.code == "b00"))
        account = accounts.get_account(session, session.scalar(select(AdminAccount.id).where(
            AdminAccount.username == "bench")))
        counts = {m.__tablename__: session.query(m).count() for m in (Branch, PartyMember, Meeting, Attendance)}
    print(f"{'reused' if args.reuse else 'seeded'} in {time.perf_counter() - t0:.1f} s: {counts}")
    app = create_app(settings)
    app.extensions["tongxin"].clock = lambda: now
    client = app.test_client()
    with client.session_transaction() as s:
        s.update({"admin_id": account.id, "ver": account.session_version, "seen": int(now.timestamp())})
    assert client.get("/admin/orglife?year=2026&kind=group").status_code == 200
    times = []
    for kind in ("committee", "group", "party_day", "lecture", "life") * 4:
        t = time.perf_counter()
        response = client.get(f"/admin/orglife?year=2026&kind={kind}")
        times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200 and "第0党支部" in response.get_data(as_text=True)
    times.sort()
    print(f"matrix page ({args.branches} branches, {len(times)} requests): median {times[len(times) // 2]:.1f} ms, "
          f"max {times[-1]:.1f} ms (target < 100 ms)")
    with factory() as session:
        branch = session.get(Branch, target.id)
        buffer = io.BytesIO()
        t = time.perf_counter()
        result = book.write_book(session, branch, year, settings.meetings, buffer, now=now, tz=tz)
        elapsed = time.perf_counter() - t
    print(f"branch book: {result['meetings']} meetings, {result['photos']} photos, "
          f"{len(buffer.getvalue()) / 1e6:.1f} MB in {elapsed:.2f} s (target < 5 s)")
    print(f"database: {url.split('://')[0]}; load average: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
