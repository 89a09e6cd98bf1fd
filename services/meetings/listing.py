"""Meetings as rows and JSON (`meetings list/show --json`, 会议, the console)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config.meetings import MeetingsConf
from models.party import Attendance, Meeting
from services.meetings.meetings import Counts, counts, photo_counts


def kind_name(conf: MeetingsConf, code: str) -> str:
    kind = conf.kind(code)
    return kind.name if kind else code


def query(session: Session, *, consortium_id: int | None = None, branch_id: int | None = None,
          start: datetime | None = None, end: datetime | None = None, cancelled: bool = True,
          limit: int | None = None, newest_first: bool = False) -> list[Meeting]:
    q = select(Meeting)
    if consortium_id is not None:
        q = q.where(Meeting.consortium_id == consortium_id)
    if branch_id is not None:
        q = q.where(Meeting.branch_id == branch_id)
    if start is not None:
        q = q.where(Meeting.starts_at >= start)
    if end is not None:
        q = q.where(Meeting.starts_at < end)
    if not cancelled:
        q = q.where(Meeting.status != "cancelled")
    order = (Meeting.starts_at.desc(), Meeting.id.desc()) if newest_first else (Meeting.starts_at, Meeting.id)
    q = q.order_by(*order)
    return list(session.scalars(q.limit(limit) if limit else q))


def summaries(session: Session, meetings: list[Meeting], conf: MeetingsConf, *, now: datetime,
              tz: ZoneInfo) -> list[dict]:
    ids = [m.id for m in meetings]
    c = counts(session, ids, now=now, conf=conf, starts={m.id: m.starts_at for m in meetings})
    photos = photo_counts(session, ids)
    return [summary(m, c[m.id], photos.get(m.id, 0), conf, tz) for m in meetings]


def summary(m: Meeting, c: Counts, photos: int, conf: MeetingsConf, tz: ZoneInfo) -> dict:
    return {"id": m.number, "kind": kind_name(conf, m.kind), "title": m.title,
            "starts_at": m.starts_at.astimezone(tz).isoformat(), "place": m.place,
            "expected": c.expected, "present": c.present, "leave": c.leave, "absent": c.absent,
            "minutes": bool(m.minutes), "photos": photos, "late_recorded": m.late_recorded,
            "branch": m.branch.code if m.branch else None, "status": m.status, "group": m.group_name}


def attendees(session: Session, meeting: Meeting, conf: MeetingsConf, *, now: datetime, tz: ZoneInfo) -> list[dict]:
    rows = session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id).order_by(Attendance.id))
    result = []
    for a in rows:
        status = "absent" if a.status == "expected" else a.status  # not signed in (yet)
        result.append({"name": a.member.name, "status": status,
                       "signed_at": a.signed_at.astimezone(tz).isoformat() if a.signed_at else None,
                       "reason": a.reason, "member_status": a.member.status})
    return result


def detail(session: Session, meeting: Meeting, conf: MeetingsConf, *, now: datetime, tz: ZoneInfo) -> dict:
    data = summaries(session, [meeting], conf, now=now, tz=tz)[0]
    data["attendees"] = attendees(session, meeting, conf, now=now, tz=tz)
    data["minutes_text"] = meeting.minutes
    return data
