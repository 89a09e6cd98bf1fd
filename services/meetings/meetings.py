"""Meetings of a branch: schedule (with notices to the expected attendees), cancel, minutes,
record after the fact (补录), list and describe. Functions flush, never commit."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from core.config.meetings import MeetingKind, MeetingsConf
from models.org import Person
from models.party import Attendance, Meeting, MeetingPhoto, PartyMember
from services.messages import outbox
from services.meetings import meeting_notices as notices
from services.meetings.parse import MeetingError, ParsedMeeting, parse_line

NUMBER = re.compile(r"^M-(\d{4})-(\d{1,9})$", re.I)
FUTURE_DAYS = 366


@dataclass(frozen=True)
class Counts:
    expected: int
    present: int
    leave: int
    absent: int

    @property
    def rate(self) -> float | None:
        """实到 / (应到 − 请假), None when nobody was due."""
        due = self.expected - self.leave
        return round(self.present / due, 3) if due > 0 else None


def groups_of(session: Session, branch_id: int) -> tuple[str, ...]:
    return tuple(g for g in session.scalars(select(PartyMember.group_name).distinct().where(
        PartyMember.branch_id == branch_id, PartyMember.archived_at.is_(None), PartyMember.group_name != "")))


def expected_members(session: Session, branch_id: int, kind: MeetingKind, group: str) -> list[PartyMember]:
    query = select(PartyMember).where(PartyMember.branch_id == branch_id, PartyMember.archived_at.is_(None))
    if kind.attendees == "committee":
        query = query.where(PartyMember.duty.in_(("secretary", "deputy", "committee")))
    elif kind.attendees == "group" and group:
        query = query.where(PartyMember.group_name == group)
    return list(session.scalars(query.order_by(PartyMember.id)))


def find(session: Session, number: str, consortium_id: int | None = None) -> Meeting:
    m = NUMBER.match((number or "").strip())
    meeting = session.get(Meeting, int(m.group(2))) if m else None
    if meeting is None or meeting.starts_at.year != int(m.group(1)) or \
            (consortium_id is not None and meeting.consortium_id != consortium_id):
        raise MeetingError("not_found", number=(number or "").strip())
    return meeting


def when_text(meeting: Meeting, tz: ZoneInfo) -> str:
    t = meeting.starts_at.astimezone(tz)
    return f"{t.month}月{t.day}日 {t:%H:%M}"


def _parse(session: Session, person: Person, text: str, conf: MeetingsConf, *, now: datetime,
           tz: ZoneInfo) -> ParsedMeeting:
    groups = groups_of(session, person.branch_id)
    parsed = parse_line(text, conf, now=now, tz=tz, groups=groups)
    if parsed.kind.attendees == "group" and groups and not parsed.group:
        raise MeetingError("no_group", groups="、".join(groups))
    return parsed


def _create(session: Session, person: Person, parsed: ParsedMeeting, *, now: datetime, late: bool) -> Meeting:
    meeting = Meeting(consortium_id=person.consortium_id, branch_id=person.branch_id, kind=parsed.kind.code,
                      group_name=parsed.group, title=parsed.title, place=parsed.place, starts_at=parsed.starts_at,
                      late_recorded=late, created_by_id=person.id, created_at=now)
    session.add(meeting)
    session.flush()
    for member in expected_members(session, person.branch_id, parsed.kind, parsed.group):
        session.add(Attendance(meeting_id=meeting.id, member_id=member.id))
    session.flush()
    return meeting


def schedule(session: Session, person: Person, text: str, conf: MeetingsConf, *, now: datetime, tz: ZoneInfo,
             sandbox: bool) -> Meeting:
    """`会议 支委会 12月18日 15:00 三楼会议室 主题`: the meeting, and a notice to each bound attendee."""
    parsed = _parse(session, person, text, conf, now=now, tz=tz)
    if parsed.starts_at < now - timedelta(minutes=conf.checkin_after_minutes):
        raise MeetingError("past", kind=parsed.kind.name)
    if parsed.starts_at > now + timedelta(days=FUTURE_DAYS):
        raise MeetingError("too_far")
    meeting = _create(session, person, parsed, now=now, late=False)
    _notify(session, meeting, parsed.kind, notices.MEETING_NOTICE, now=now, tz=tz, sandbox=sandbox)
    return meeting


def _notify(session: Session, meeting: Meeting, kind: MeetingKind, template: str, *, now: datetime,
            tz: ZoneInfo, sandbox: bool) -> int:
    rows = session.execute(select(Person.openid).join(PartyMember, PartyMember.person_id == Person.id)
                           .join(Attendance, Attendance.member_id == PartyMember.id)
                           .where(Attendance.meeting_id == meeting.id).order_by(PartyMember.id)).scalars().all()
    text = template.format(branch=meeting.branch.name, kind=kind.name, when=when_text(meeting, tz),
                           place=meeting.place or "待定", title=meeting.title or kind.name, number=meeting.number)
    for openid in rows:
        outbox.enqueue(session, openid, "reminder", text, now=now, sandbox=sandbox,
                       payload={"meeting": meeting.id})
    return len(rows)


def cancel(session: Session, person: Person, number: str, conf: MeetingsConf, *, now: datetime, tz: ZoneInfo,
           sandbox: bool) -> Meeting:
    meeting = own_meeting(session, person, number)
    if meeting.status == "cancelled":
        raise MeetingError("already_cancelled", number=meeting.number)
    if meeting.late_recorded or meeting.starts_at <= now:
        raise MeetingError("cannot_cancel", number=meeting.number)
    meeting.status, meeting.cancelled_at = "cancelled", now
    session.flush()
    _notify(session, meeting, conf.kind(meeting.kind) or MeetingKind(meeting.kind, meeting.kind),
            notices.MEETING_CANCELLED, now=now, tz=tz, sandbox=sandbox)
    return meeting


def own_meeting(session: Session, person: Person, number: str) -> Meeting:
    meeting = find(session, number, person.consortium_id)
    if meeting.branch_id != person.branch_id:
        raise MeetingError("not_found", number=number.strip())
    return meeting


def record_late(session: Session, person: Person, text: str, conf: MeetingsConf, *, now: datetime,
                tz: ZoneInfo) -> Meeting:
    """`补录 支委会 12月3日 15:00 地点 主题 到：张三、李四 请假：王五`: a past meeting with its attendance."""
    parsed = _parse(session, person, text, conf, now=now, tz=tz)
    if parsed.starts_at > now:
        raise MeetingError("future_record", kind=parsed.kind.name)
    if not parsed.present:
        raise MeetingError("no_attendance")
    roster = {m.name: m for m in expected_members(session, person.branch_id, parsed.kind, parsed.group)}
    unknown = [n for n in parsed.present + parsed.leave if n not in roster]
    if unknown:
        raise MeetingError("unknown_names", names="、".join(unknown))
    meeting = _create(session, person, parsed, now=now, late=True)
    rows = {a.member.name: a for a in session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))}
    for name in parsed.leave:
        rows[name].status = "leave"
    for name in parsed.present:
        rows[name].status, rows[name].signed_at, rows[name].via = "present", None, "record"
    session.flush()
    return meeting


def latest_started(session: Session, scope: ColumnElement[bool], *, now: datetime) -> Meeting | None:
    """The latest begun meeting among those `scope` selects (a branch's, the consortium's 联席会议)."""
    return session.scalars(select(Meeting).where(scope, Meeting.status == "scheduled", Meeting.starts_at <= now)
                           .order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(1)).first()


def add_minutes(session: Session, person: Person, text: str, *, now: datetime) -> Meeting:
    """`纪要 …` appends to the branch's latest started meeting (or `纪要 M-… …` to that one)."""
    first, _, rest = text.partition(" ")
    if NUMBER.match(first):
        meeting, text = own_meeting(session, person, first), rest.strip()
    else:
        meeting = latest_started(session, Meeting.branch_id == person.branch_id, now=now)
        if meeting is None:
            raise MeetingError("no_meeting_for_minutes")
    return append_minutes(session, meeting, text, now=now)


def append_minutes(session: Session, meeting: Meeting, text: str, *, now: datetime) -> Meeting:
    """Add a 纪要 line to the meeting (photos sent right after it belong to it). MeetingError: minutes_usage."""
    if not text:
        raise MeetingError("minutes_usage")
    meeting.minutes = f"{meeting.minutes}\n{text}".strip() if meeting.minutes else text
    meeting.minutes_at = now
    session.flush()
    return meeting


def counts(session: Session, meeting_ids: list[int], *, now: datetime, conf: MeetingsConf,
           starts: dict[int, datetime]) -> dict[int, Counts]:
    """Per meeting: 应到, 实到, 请假, 缺席 (expected, neither signed in nor on leave: so far, before the end)."""
    rows = session.execute(select(Attendance.meeting_id, Attendance.status, func.count())
                           .where(Attendance.meeting_id.in_(meeting_ids))
                           .group_by(Attendance.meeting_id, Attendance.status)).all() if meeting_ids else []
    by: dict[int, dict[str, int]] = {}
    for mid, status, n in rows:
        by.setdefault(mid, {})[status] = n
    result = {}
    for mid in meeting_ids:
        c = by.get(mid, {})
        result[mid] = Counts(sum(c.values()), c.get("present", 0), c.get("leave", 0), c.get("expected", 0))
    return result


def photo_counts(session: Session, meeting_ids: list[int]) -> dict[int, int]:
    if not meeting_ids:
        return {}
    return dict(session.execute(select(MeetingPhoto.meeting_id, func.count()).where(
        MeetingPhoto.meeting_id.in_(meeting_ids)).group_by(MeetingPhoto.meeting_id)).all())
