"""Reminder fan-out: resolve recipients, claim each (schedule, period, recipient) once, queue the outbox.

Claims and outbox rows are written with bulk Core inserts (`INSERT ... ON CONFLICT DO
NOTHING RETURNING`), so two scheduler processes firing the same occurrence at once
queue each reminder exactly once, and 10,000 recipients take well under two seconds.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import exists, insert, or_, select, text
from sqlalchemy.orm import Session

from core.config.schedules import AUDIENCE_PREFIXES, AUDIENCES, check_audience  # noqa: F401 (re-exported)
from models.joint import UnitContact
from models.org import Branch, Consortium, Pairing, Person, Unit
from models.db import dialect_insert
from models.outbox import OutboxMessage, due_state
from models.schedule import Event, ReminderClaim

KIND = "reminder"
CHUNK = 2000
OFFSET = re.compile(r"^(\d+)\s*([dhm])$")
OFFSET_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
EVENT_REMINDER = "【活动通知】{title}\n时间：{when}\n请{branch}相关同志准时参加。"


@dataclass(frozen=True)
class Recipient:
    openid: str
    consortium_id: int | None
    branch_id: int | None
    branch: str
    unit: str

    @property
    def place(self) -> str:
        """The name a reminder addresses: the branch, else the unit."""
        return self.branch or self.unit or ""


def _audience_filter(audience: str):
    secretary = Person.role == "secretary"
    if audience == "secretaries":
        return secretary
    if audience == "office":
        return Person.role.in_(("office", "admin"))
    if audience == "members":
        return Person.role == "member"
    if audience == "everyone":
        return Person.role.is_not(None)
    if audience == "paired":  # secretaries of paired branches; for each paired unit its contact, if it has one
        paired_branch = exists().where(Pairing.branch_id == Person.branch_id)
        paired_unit = exists().where(Pairing.unit_id == Person.unit_id)
        contact = exists().where(UnitContact.person_id == Person.id, Pairing.unit_id == UnitContact.unit_id)
        no_contact = ~exists().where(UnitContact.unit_id == Person.unit_id)
        return or_(secretary & paired_branch, Person.role.is_not(None) & contact,
                   (Person.role == "member") & paired_unit & no_contact)
    prefix, value = audience.split(":", 1)
    if prefix == "role":
        return Person.role == value
    if prefix == "branch":
        return secretary & (Branch.code == value)
    return Person.role.is_not(None) & (Unit.code == value)


def recipients(session: Session, audience: str, consortium_id: int | None = None, *,
               consortium: str | None = None) -> list[Recipient]:
    """Bound people of an audience, in a stable order; one query, no ORM objects (fast at 10,000).
    `consortium_id` or `consortium` (a code, a schedule's `consortium:` key) limit it to one consortium."""
    query = (select(Person.openid, Person.consortium_id, Person.branch_id, Branch.name, Unit.name)
             .outerjoin(Branch, Person.branch_id == Branch.id).outerjoin(Unit, Person.unit_id == Unit.id)
             .where(_audience_filter(audience)).order_by(Person.id))
    if consortium_id is not None:
        query = query.where(Person.consortium_id == consortium_id)
    if consortium is not None:
        query = query.where(Person.consortium_id == select(Consortium.id).where(Consortium.code == consortium)
                            .scalar_subquery())
    return [Recipient(o, c, b, bn or "", un or "") for o, c, b, bn, un in session.execute(query)]


def claim(session: Session, schedule: str, period: str, recipients_: Iterable[str], *,
          now: datetime) -> set[str]:
    """Insert the claims; return the recipients claimed now (those claimed before are left out)."""
    rows = [{"schedule": schedule, "period": period, "recipient": r, "created_at": now}
            for r in dict.fromkeys(recipients_)]
    stmt = (dialect_insert(session.get_bind().dialect.name, ReminderClaim.__table__)
            .on_conflict_do_nothing(index_elements=["schedule", "period", "recipient"])
            .returning(ReminderClaim.__table__.c.recipient))
    claimed: set[str] = set()
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        result = session.execute(stmt, chunk) if len(chunk) > 1 else session.execute(stmt.values(chunk[0]))
        claimed.update(result.scalars())
    return claimed


def claim_once(session: Session, schedule: str, period: str, recipient: str, *, now: datetime) -> bool:
    """True if this (schedule, period, recipient) was not claimed before."""
    return bool(claim(session, schedule, period, [recipient], now=now))


# PostgreSQL: claims and outbox rows in one statement, recipients passed as arrays (fast at 10,000).
PG_FAN_OUT = text("""
WITH claimed AS (
    INSERT INTO reminder_claims (schedule, period, recipient, created_at)
    SELECT :schedule, :period, r, :now FROM unnest(CAST(:openids AS varchar[])) AS r
    ON CONFLICT (schedule, period, recipient) DO NOTHING
    RETURNING recipient)
INSERT INTO outbox (to_openid, kind, text, payload, status, created_at, next_attempt_at, attempts)
SELECT m.openid, :kind, m.body, CAST(:payload AS json), :status, :now, :next, 0
FROM unnest(CAST(:openids AS varchar[]), CAST(:texts AS text[])) AS m(openid, body)
JOIN claimed ON claimed.recipient = m.openid
""")


def _fan_out_pg(session: Session, schedule: str, period: str, texts: dict[str, str], *, now: datetime,
                sandbox: bool, payload: dict) -> int:
    due = due_state(sandbox=sandbox, now=now)
    result = session.execute(PG_FAN_OUT, {
        "schedule": schedule, "period": period, "now": now, "openids": list(texts), "texts": list(texts.values()),
        "kind": KIND, "payload": json.dumps(payload, ensure_ascii=False),
        "status": due["status"], "next": due["next_attempt_at"]})
    return result.rowcount


def fan_out(session: Session, schedule: str, period: str, messages: Iterable[tuple[str, str]], *,
            now: datetime, sandbox: bool, payload: dict | None = None) -> int:
    """Queue `(openid, text)` reminders once per (schedule, period, openid); return how many were queued."""
    texts = dict(messages)
    if not texts:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        return _fan_out_pg(session, schedule, period, texts, now=now, sandbox=sandbox,
                           payload={"schedule": schedule, "period": period, **(payload or {})})
    claimed = claim(session, schedule, period, texts, now=now)
    payload = {"schedule": schedule, "period": period, **(payload or {})}
    rows = [{"to_openid": openid, "kind": KIND, "text": texts[openid], "payload": payload,
             "created_at": now, "attempts": 0, **due_state(sandbox=sandbox, now=now)}
            for openid in texts if openid in claimed]
    table = OutboxMessage.__table__
    stmt = insert(table).returning(table.c.id)  # RETURNING: batched multi-row VALUES ("insertmanyvalues")
    for start in range(0, len(rows), CHUNK):
        session.execute(stmt, rows[start:start + CHUNK])
    return len(rows)


# --- one-off events -----------------------------------------------------------

def parse_offsets(text: str) -> list[str]:
    """'3d,1h' -> ['3d', '1h']; ValueError on anything else."""
    items = [t.strip().lower() for t in re.split(r"[,，\s]+", text or "") if t.strip()]
    for item in items:
        if not OFFSET.match(item):
            raise ValueError(f"bad offset {item!r}: expected e.g. 3d, 1h, 30m")
    return items


def offset_delta(label: str) -> timedelta:
    number, unit = OFFSET.match(label).groups()
    return timedelta(**{OFFSET_UNITS[unit]: int(number)})


def add_event(session: Session, *, title: str, at: datetime, notify: str, before: list[str],
              now: datetime, consortium_id: int | None = None, created_by_id: int | None = None) -> Event:
    """Register a one-off event; its reminders go out `before` it (sent by the scheduler)."""
    check_audience(notify, "notify")
    event = Event(title=title.strip(), at=at, notify=notify, before=list(before), created_at=now,
                  consortium_id=consortium_id, created_by_id=created_by_id)
    session.add(event)
    session.flush()
    return event


def planned_reminders(event: Event) -> list[tuple[str, datetime]]:
    """(label, fire time) of each reminder still worth sending (after the event was registered)."""
    return [(label, event.at - offset_delta(label)) for label in event.before
            if event.at - offset_delta(label) >= event.created_at]


def due_event_reminders(session: Session, *, now: datetime, window: timedelta) -> list[tuple[Event, str]]:
    """Reminders of upcoming events whose time came within `window` before `now`."""
    rows = session.scalars(select(Event).where(Event.cancelled.is_(False), Event.at > now)
                           .order_by(Event.at)).all()
    return [(event, label) for event in rows for label, fire_at in planned_reminders(event)
            if now - window < fire_at <= now]


def remind_event(session: Session, event: Event, label: str, *, now: datetime, sandbox: bool,
                 tz) -> int:
    """Queue one reminder of `event` to its audience (claimed per recipient)."""
    when = event.at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    people = recipients(session, event.notify, event.consortium_id)
    messages = [(r.openid, EVENT_REMINDER.format(title=event.title, when=when, branch=r.place or ""))
                for r in people]
    return fan_out(session, f"event:{event.id}", label, messages, now=now, sandbox=sandbox,
                   payload={"event": event.id})
