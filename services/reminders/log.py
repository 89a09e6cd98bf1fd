"""What reminders did, seen from one consortium: the 催报 and scheduled reminders of a report period,
the last runs of each schedule and the one-off events, with per-consortium message counts.

Claims (`reminder_claims`) say who was reminded; outbox rows of kind `reminder` say how delivery
went. Counts are always restricted to the consortium's people, so a global schedule shows only
this consortium's share.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from models.org import Branch, Person
from models.outbox import OutboxMessage
from models.schedule import Event, ReminderClaim, ScheduleRun
from services.reminders.fanout import KIND, planned_reminders

URGE = "urge"


@dataclass
class LogEntry:
    """One reminder occurrence for one consortium: a 催报 of one branch, or a scheduled reminder."""
    at: datetime
    schedule: str
    period: str
    branch: str = ""
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def is_urge(self) -> bool:
        return self.schedule == URGE

    @property
    def recipients(self) -> int:
        return sum(self.statuses.values())


@dataclass(frozen=True)
class RunRow:
    occurrence_at: datetime
    period: str
    status: str        # done | skipped
    queued: int        # every consortium (ScheduleRun.queued)
    mine: int          # this consortium's people
    runner: str


@dataclass(frozen=True)
class EventRow:
    event: Event
    reminders: list[tuple[str, datetime, int]]  # (label, fire time, messages queued for this consortium)


def _people(consortium_id: int):
    return select(Person.openid).where(Person.consortium_id == consortium_id)


def _payload(key: str):
    return OutboxMessage.payload[key].as_string()


def _schedule_entries(session: Session, consortium_id: int, period: str) -> list[LogEntry]:
    query = (select(ReminderClaim.schedule, ReminderClaim.created_at, OutboxMessage.status, func.count())
             .select_from(ReminderClaim)
             .outerjoin(OutboxMessage, and_(OutboxMessage.to_openid == ReminderClaim.recipient,
                                            OutboxMessage.created_at == ReminderClaim.created_at,
                                            OutboxMessage.kind == KIND,
                                            _payload("schedule") == ReminderClaim.schedule))
             .where(ReminderClaim.period == period, ReminderClaim.recipient.in_(_people(consortium_id)),
                    ReminderClaim.schedule != URGE, ReminderClaim.schedule.not_like("event:%"))
             .group_by(ReminderClaim.schedule, ReminderClaim.created_at, OutboxMessage.status))
    entries: dict[tuple[str, datetime], LogEntry] = {}
    for schedule, at, status, n in session.execute(query):
        entry = entries.setdefault((schedule, at), LogEntry(at=at, schedule=schedule, period=period))
        entry.statuses[status or "claimed"] = entry.statuses.get(status or "claimed", 0) + n
    return list(entries.values())


def _urge_entries(session: Session, consortium_id: int, period: str) -> list[LogEntry]:
    branches = {f"branch:{b.id}": b for b in session.scalars(select(Branch).where(
        Branch.consortium_id == consortium_id))}
    claims = session.execute(select(ReminderClaim.period, ReminderClaim.recipient, ReminderClaim.created_at)
                             .where(ReminderClaim.schedule == URGE, ReminderClaim.period.like(f"{period}@%"),
                                    ReminderClaim.recipient.in_(list(branches)))
                             .order_by(ReminderClaim.id)).all()
    if not claims:
        return []
    sent: dict[tuple[datetime, int], dict[str, int]] = {}
    for at, branch_id, status, n in session.execute(  # the staff a 催报 reached, by branch
            select(OutboxMessage.created_at, Person.branch_id, OutboxMessage.status, func.count())
            .join(Person, Person.openid == OutboxMessage.to_openid)
            .where(OutboxMessage.kind == KIND, OutboxMessage.created_at.in_(list({c.created_at for c in claims})),
                   _payload("schedule") == URGE, _payload("period").like(f"{period}@%"),
                   Person.consortium_id == consortium_id)
            .group_by(OutboxMessage.created_at, Person.branch_id, OutboxMessage.status)):
        sent.setdefault((at, branch_id), {})[status] = n
    entries = []
    for _claim_period, recipient, at in claims:
        branch = branches[recipient]
        statuses = sent.get((at, branch.id), {})
        entries.append(LogEntry(at=at, schedule=URGE, period=period, branch=branch.name, statuses=statuses))
    return entries


def period_log(session: Session, consortium_id: int, period: str, *, limit: int = 40) -> list[LogEntry]:
    """The reminders of report period `period` ("2026-12") this consortium's people got, newest first."""
    entries = _urge_entries(session, consortium_id, period) + _schedule_entries(session, consortium_id, period)
    entries.sort(key=lambda e: e.at, reverse=True)  # stable: a 催报's branches stay in branch order
    return entries[:limit]


def last_runs(session: Session, names: Iterable[str], consortium_id: int, *,
              per_schedule: int = 5) -> dict[str, list[RunRow]]:
    """The last runs of each named schedule, with the messages this consortium's people were queued."""
    runs = {name: session.scalars(select(ScheduleRun).where(ScheduleRun.schedule == name)
                                  .order_by(ScheduleRun.occurrence_at.desc()).limit(per_schedule)).all()
            for name in names}
    times = {r.created_at for rows in runs.values() for r in rows}
    mine: dict[tuple[str, str, datetime], int] = {}
    if times:
        query = (select(ReminderClaim.schedule, ReminderClaim.period, ReminderClaim.created_at, func.count())
                 .where(ReminderClaim.schedule.in_(list(runs)), ReminderClaim.created_at.in_(list(times)),
                        ReminderClaim.recipient.in_(_people(consortium_id)))
                 .group_by(ReminderClaim.schedule, ReminderClaim.period, ReminderClaim.created_at))
        mine = {(s, p, at): n for s, p, at, n in session.execute(query)}
    return {name: [RunRow(r.occurrence_at, r.period, r.status, r.queued,
                          mine.get((name, r.period, r.created_at), 0), r.runner) for r in rows]
            for name, rows in runs.items()}


def events(session: Session, consortium_id: int, *, now: datetime, past_days: int = 30,
           limit: int = 30) -> list[EventRow]:
    """Events of this consortium (and global ones) from `past_days` ago on, soonest first."""
    rows = session.scalars(select(Event).where(or_(Event.consortium_id == consortium_id,
                                                   Event.consortium_id.is_(None)),
                                               Event.at >= now - timedelta(days=past_days))
                           .order_by(Event.at).limit(limit)).all()
    if not rows:
        return []
    counts = dict(((s, p), n) for s, p, n in session.execute(
        select(ReminderClaim.schedule, ReminderClaim.period, func.count())
        .where(ReminderClaim.schedule.in_([f"event:{e.id}" for e in rows]),
               ReminderClaim.recipient.in_(_people(consortium_id)))
        .group_by(ReminderClaim.schedule, ReminderClaim.period)))
    return [EventRow(e, [(label, at, counts.get((f"event:{e.id}", label), 0))
                         for label, at in planned_reminders(e)]) for e in rows]
