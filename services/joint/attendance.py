"""Who came to a 联席会议: its invitees (the office, branch secretaries, unit contacts) are listed when it is
scheduled; each signs in (签到, or the meeting's QR code) within the same window as a branch meeting, or
asks for leave (请假 原因); the office may mark attendance in the console. Functions flush, never commit.

Refusals are MeetingError with the codes of a branch meeting, so the replies read the same."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from core.config.meetings import MeetingsConf
from models.joint import JointAttendance
from models.org import Person, Unit
from models.party import Meeting
from services.joint import contacts
from services.meetings.attendance import checkin_window
from services.meetings.meetings import NUMBER, append_minutes, find, latest_started
from services.meetings.parse import MeetingError

STATUS_WORDS = {"expected": "未签到", "present": "已签到", "leave": "请假"}


@dataclass(frozen=True)
class Summary:
    expected: int
    present: int
    leave: int


def invite(session: Session, meeting: Meeting, people: list[Person]) -> None:
    """Put these people on the meeting's list (at scheduling; later, a contact set since then)."""
    listed = set(session.scalars(select(JointAttendance.person_id).where(JointAttendance.meeting_id == meeting.id)))
    for person in people:
        if person.id not in listed:
            session.add(JointAttendance(meeting_id=meeting.id, person_id=person.id))
    session.flush()


def rows(session: Session, meeting_id: int) -> list[JointAttendance]:
    return list(session.scalars(select(JointAttendance).where(JointAttendance.meeting_id == meeting_id)
                                .order_by(JointAttendance.id)))


def scope(consortium_id: int, codes: list[str]) -> ColumnElement[bool]:
    """The consortium's 联席会议, as a condition on Meeting."""
    return and_(Meeting.consortium_id == consortium_id, Meeting.kind.in_(codes))


def roles(session: Session, consortium_id: int, people: list[Person]) -> dict[int, str]:
    """person id -> what they come as: 党办, <支部>书记, <单位>联络人."""
    names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.consortium_id == consortium_id)).all())
    spoken: dict[int, list[str]] = {}
    for unit_id, person in contacts.contacts(session, consortium_id).items():
        spoken.setdefault(person.id, []).append(names[unit_id])
    out = {}
    for p in people:
        words = ["党办"] if p.role in ("office", "admin") else \
            [f"{p.branch.name}书记"] if p.role == "secretary" and p.branch else []
        out[p.id] = "、".join(words + [f"{u}联络人" for u in spoken.get(p.id, [])])
    return out


def summarise(listed: list[JointAttendance]) -> Summary:
    """应到, 已签到, 请假 of a meeting's list (its `rows`)."""
    return Summary(len(listed), sum(r.status == "present" for r in listed), sum(r.status == "leave" for r in listed))


def _joint(session: Session, person: Person, codes: list[str]):
    return (select(Meeting).join(JointAttendance, JointAttendance.meeting_id == Meeting.id)
            .where(JointAttendance.person_id == person.id, Meeting.consortium_id == person.consortium_id,
                   Meeting.kind.in_(codes), Meeting.status == "scheduled"))


def open_meeting(session: Session, person: Person, conf: MeetingsConf, codes: list[str], *,
                 now: datetime) -> Meeting | None:
    """The 联席会议 the person is invited to whose sign-in window is open now."""
    lo = now - timedelta(minutes=conf.checkin_after_minutes)
    hi = now + timedelta(minutes=conf.checkin_before_minutes)
    return session.scalars(_joint(session, person, codes).where(Meeting.starts_at >= lo, Meeting.starts_at <= hi)
                           .order_by(Meeting.starts_at).limit(1)).first()


def next_meeting(session: Session, person: Person, codes: list[str], *, now: datetime) -> Meeting | None:
    return session.scalars(_joint(session, person, codes).where(Meeting.starts_at > now)
                           .order_by(Meeting.starts_at).limit(1)).first()


def _row(session: Session, meeting: Meeting, person: Person) -> JointAttendance | None:
    return session.scalar(select(JointAttendance).where(JointAttendance.meeting_id == meeting.id,
                                                        JointAttendance.person_id == person.id))


def sign_in(session: Session, person: Person, meeting: Meeting, conf: MeetingsConf, codes: list[str], *,
            now: datetime, via: str = "text") -> JointAttendance:
    """MeetingError: not_expected, cancelled, closed, already."""
    row = _row(session, meeting, person)
    if row is None:
        raise MeetingError("not_expected", meeting=meeting)
    if meeting.status == "cancelled":
        raise MeetingError("cancelled", meeting=meeting)
    start, end = checkin_window(conf, meeting)
    if not start <= now <= end:
        raise MeetingError("closed", meeting=meeting, next=next_meeting(session, person, codes, now=now))
    if row.status == "present":
        raise MeetingError("already", meeting=meeting, attendance=row)
    row.status, row.signed_at, row.via, row.reason = "present", now, via, ""
    session.flush()
    return row


def ask_leave(session: Session, person: Person, text: str, codes: list[str], *, now: datetime,
              conf: MeetingsConf) -> tuple[Meeting, JointAttendance] | None:
    """`请假 原因` for the open or next 联席会议 the person is invited to (or `请假 M-… 原因`); None when
    there is none (a party member's branch meeting may be meant)."""
    first, _, rest = text.strip().partition(" ")
    if NUMBER.match(first):
        meeting, reason = find(session, first, person.consortium_id), rest.strip()
        if meeting.kind not in codes:
            return None
    else:
        meeting = open_meeting(session, person, conf, codes, now=now) or next_meeting(session, person, codes,
                                                                                       now=now)
        reason = text.strip()
    row = _row(session, meeting, person) if meeting is not None else None
    if row is None:
        return None
    if not reason:
        raise MeetingError("leave_usage")
    if row.status == "present":
        raise MeetingError("already", meeting=meeting, attendance=row)
    row.status, row.reason = "leave", reason[:500]
    session.flush()
    return meeting, row


def mark(session: Session, meeting: Meeting, person_id: int, status: str, *, now: datetime) -> JointAttendance:
    """The office records attendance in the console (a person who came without signing in, or left)."""
    if status not in STATUS_WORDS:
        raise MeetingError("bad_status")
    row = session.scalar(select(JointAttendance).where(JointAttendance.meeting_id == meeting.id,
                                                       JointAttendance.person_id == person_id))
    if row is None:
        raise MeetingError("not_expected", meeting=meeting)
    row.status, row.via = status, "console"
    row.signed_at = now if status == "present" else None
    session.flush()
    return row


def add_minutes(session: Session, person: Person, text: str, codes: list[str], *, now: datetime) -> Meeting:
    """`纪要 …` from the office: appended to the latest started 联席会议 (or `纪要 M-… …` to that one)."""
    first, _, rest = text.partition(" ")
    if NUMBER.match(first):
        meeting, text = find(session, first, person.consortium_id), rest.strip()
        if meeting.kind not in codes:
            raise MeetingError("not_found", number=first.upper())
    else:
        meeting = latest_started(session, scope(person.consortium_id, codes), now=now)
        if meeting is None:
            raise MeetingError("no_joint_for_minutes")
    return append_minutes(session, meeting, text, now=now)


