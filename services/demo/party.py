"""Demo organisational life: a roster per branch (6–15 members, a few probationary, a committee and party
groups), bound demo openids `demo-pm-<branch>-<n>`, and two months of meetings with attendance, minutes
and small generated photos kept as blobs, so the 组织生活 pages and the branch book have something to show."""
from __future__ import annotations

import struct
import zlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.org import Branch, Person
from models.party import Attendance, Meeting, MeetingPhoto, PartyMember, PhotoFetch
from services.meetings.media import store_blob

SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高"
GIVEN = ["建国", "丽华", "志强", "晓燕", "海涛", "秀英", "文博", "静怡", "国栋", "雪梅", "振华", "春燕", "立新", "红霞", "子涵"]
PLAN = [("committee", 10, "14:30", "会议室", "研究本月支部工作安排"), ("party_day", 15, "09:00", "党员活动室", "主题党日：重温入党誓词"),
        ("group", 20, "16:00", "科室示教室", "学习党章，交流思想"), ("lecture", 25, "15:00", "报告厅", "书记讲党课：以党建引领医疗服务")]
COLORS = [(185, 28, 28), (37, 99, 235), (21, 128, 61), (180, 83, 9)]


def tiny_png(rgb: tuple[int, int, int], width: int = 96, height: int = 64) -> bytes:
    """A small PNG: a coloured band over a light background (no imaging library needed)."""
    light = bytes((240, 240, 236))
    rows = b"".join(b"\x00" + (bytes(rgb) if 16 <= y < 48 else light) * width for y in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _roster(session: Session, branch: Branch, index: int, prefix: str, *, now: datetime) -> list[PartyMember]:
    size = 6 + (index * 7) % 10  # 6..15
    members = []
    for n in range(size):
        duty = "secretary" if n == 0 else "deputy" if n == 1 and size > 9 else "committee" if n < 4 else "member"
        member = PartyMember(consortium_id=branch.consortium_id, branch_id=branch.id, created_at=now, updated_at=now,
                             name=SURNAMES[(index + n) % len(SURNAMES)] + GIVEN[(index * 3 + n) % len(GIVEN)],
                             status="probationary" if n in (size - 1, size - 4) and n > 3 else "full",
                             duty=duty, group_name="第一党小组" if n % 2 == 0 else "第二党小组")
        session.add(member)
        members.append(member)
    session.flush()
    for n, member in enumerate(members[:max(3, size // 2)], start=1):  # about half are bound to WeChat
        person = Person(openid=f"{prefix}{branch.code}-{n}", name=member.name, role="party_member",
                        consortium_id=branch.consortium_id, branch_id=branch.id, created_at=now, bound_at=now)
        session.add(person)
        session.flush()
        member.person_id = person.id
    return members


def _meeting(session: Session, branch: Branch, members: list[PartyMember], plan: tuple, month_start: datetime,
             blobs: list[int], *, now: datetime) -> bool:
    kind, day, clock, place, title = plan
    hour, minute = (int(x) for x in clock.split(":"))
    starts = month_start.replace(day=day, hour=hour, minute=minute)
    if starts > now - timedelta(hours=3):
        return False
    attendees = [m for m in members if m.on_committee] if kind == "committee" else \
        [m for m in members if m.group_name == "第一党小组"] if kind == "group" else members
    meeting = Meeting(consortium_id=branch.consortium_id, branch_id=branch.id, kind=kind, title=title, place=place,
                      group_name="第一党小组" if kind == "group" else "", starts_at=starts, created_at=starts,
                      late_recorded=kind == "lecture" and day % 2 == 1,
                      minutes=f"{title}。到会党员逐一发言，形成以下意见：一、按月落实；二、做好记录。", minutes_at=starts)
    session.add(meeting)
    session.flush()
    for i, m in enumerate(attendees):
        status = "leave" if i == 2 else "expected" if i == len(attendees) - 1 and len(attendees) > 5 else "present"
        session.add(Attendance(meeting_id=meeting.id, member_id=m.id, status=status,
                               reason="值班" if status == "leave" else "",
                               signed_at=starts + timedelta(minutes=i % 7) if status == "present" else None,
                               via="text" if status == "present" else ""))
    photos = [MeetingPhoto(meeting_id=meeting.id, media_id="", created_at=starts) for _ in range(2)]
    session.add_all(photos)
    session.flush()
    session.add_all([PhotoFetch(source="meeting", photo_id=p.id, status="stored", attempts=1, created_at=starts,
                                updated_at=starts, blob_id=blobs[(day + k) % len(blobs)]) for k, p in enumerate(photos)])
    return True


def seed_party(session: Session, consortium_id: int, prefix: str, *, now: datetime, tz: ZoneInfo) -> int:
    """Idempotent per branch (a branch with a roster is left alone); returns the meetings added."""
    blobs = [store_blob(session, tiny_png(c), "image/png", now=now).id for c in COLORS]
    local = now.astimezone(tz)
    this_month = datetime(local.year, local.month, 1, tzinfo=tz)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    branches = session.scalars(select(Branch).where(Branch.consortium_id == consortium_id).order_by(Branch.id))
    added = 0
    for index, branch in enumerate(branches):
        if session.scalar(select(PartyMember.id).where(PartyMember.branch_id == branch.id).limit(1)) is not None:
            continue
        members = _roster(session, branch, index, prefix, now=now)
        for month_start in (last_month, this_month):
            for plan in PLAN[:3] + ([PLAN[3]] if month_start == last_month else []):
                if index % 4 == 3 and plan[0] == "party_day" and month_start == this_month:
                    continue  # a branch behind, so that the matrix shows a gap
                added += _meeting(session, branch, members, plan, month_start, blobs, now=now)
    session.flush()
    return added
