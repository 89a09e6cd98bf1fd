"""A party member's side of a meeting: 请假 (leave with a reason) and 签到 (once, within the window,
by text or by scanning the meeting's QR code)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config.meetings import MeetingsConf
from models.party import Attendance, Meeting, PartyMember
from services.meetings.meetings import NUMBER, find
from services.meetings.parse import MeetingError

SCENE_PREFIX = "meeting_"  # QR scene of a meeting: meeting_<id>


def scene_of(meeting: Meeting) -> str:
    return f"{SCENE_PREFIX}{meeting.id}"


def meeting_of_scene(session: Session, scene: str) -> Meeting | None:
    tail = scene[len(SCENE_PREFIX):] if scene.startswith(SCENE_PREFIX) else ""
    return session.get(Meeting, int(tail)) if tail.isdigit() else None


def checkin_window(conf: MeetingsConf, meeting: Meeting) -> tuple[datetime, datetime]:
    """When the meeting's attendees may sign in."""
    return (meeting.starts_at - timedelta(minutes=conf.checkin_before_minutes),
            meeting.starts_at + timedelta(minutes=conf.checkin_after_minutes))


def _row(session: Session, meeting: Meeting, member: PartyMember) -> Attendance | None:
    return session.scalar(select(Attendance).where(Attendance.meeting_id == meeting.id,
                                                   Attendance.member_id == member.id))


def next_meeting(session: Session, member: PartyMember, *, now: datetime) -> Meeting | None:
    """The member's next meeting (expected at it, not cancelled, not yet started)."""
    return session.scalars(select(Meeting).join(Attendance, Attendance.meeting_id == Meeting.id)
                           .where(Attendance.member_id == member.id, Meeting.status == "scheduled",
                                  Meeting.starts_at > now).order_by(Meeting.starts_at).limit(1)).first()


def _open_meetings(session: Session, member: PartyMember, conf: MeetingsConf, *, now: datetime) -> list[Meeting]:
    lo = now - timedelta(minutes=conf.checkin_after_minutes)
    hi = now + timedelta(minutes=conf.checkin_before_minutes)
    return list(session.scalars(select(Meeting).join(Attendance, Attendance.meeting_id == Meeting.id)
                                .where(Attendance.member_id == member.id, Meeting.status == "scheduled",
                                       Meeting.late_recorded.is_(False),
                                       Meeting.starts_at >= lo, Meeting.starts_at <= hi)
                                .order_by(Meeting.starts_at)))


def sign_in(session: Session, member: PartyMember, conf: MeetingsConf, *, now: datetime,
            meeting: Meeting | None = None, via: str = "text") -> tuple[Meeting, Attendance]:
    """MeetingError: other_branch, not_expected, cancelled, closed (info: meeting), no_open (info: next),
    already (info: attendance)."""
    if meeting is None:
        found = _open_meetings(session, member, conf, now=now)
        if not found:
            raise MeetingError("no_open", next=next_meeting(session, member, now=now))
        meeting = found[0]
    if meeting.branch_id != member.branch_id:
        raise MeetingError("other_branch")
    row = _row(session, meeting, member)
    if row is None:
        raise MeetingError("not_expected", meeting=meeting)
    if meeting.status == "cancelled":
        raise MeetingError("cancelled", meeting=meeting)
    start, end = checkin_window(conf, meeting)
    if not start <= now <= end:
        raise MeetingError("closed", meeting=meeting, next=next_meeting(session, member, now=now))
    if row.status == "present":
        raise MeetingError("already", meeting=meeting, attendance=row)
    row.status, row.signed_at, row.via, row.reason = "present", now, via, ""
    session.flush()
    return meeting, row


def ask_leave(session: Session, member: PartyMember, text: str, *, now: datetime,
              conf: MeetingsConf) -> tuple[Meeting, Attendance]:
    """`请假 原因` (the next or open meeting) or `请假 M-… 原因`. MeetingError: leave_usage, no_meeting,
    already (signed in)."""
    first, _, rest = text.strip().partition(" ")
    if NUMBER.match(first):
        meeting, reason = find(session, first, member.consortium_id), rest.strip()
        if meeting.branch_id != member.branch_id:
            raise MeetingError("other_branch")
    else:
        found = _open_meetings(session, member, conf, now=now)
        meeting, reason = (found[0] if found else next_meeting(session, member, now=now)), text.strip()
    if not reason:
        raise MeetingError("leave_usage")
    if meeting is None or meeting.status == "cancelled":
        raise MeetingError("no_meeting")
    row = _row(session, meeting, member)
    if row is None:
        raise MeetingError("not_expected", meeting=meeting)
    if row.status == "present":
        raise MeetingError("already", meeting=meeting, attendance=row)
    row.status, row.reason = "leave", reason[:500]
    session.flush()
    return meeting, row
