"""Scheduler state that must survive restarts: reminder claims, runs, one-off events, the leader lock.

"Already sent" lives here, never in APScheduler's job store: a reminder occurrence is
claimed by a unique (schedule, period, recipient) row before its outbox row is written.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, intpk, str32, str64, str128


class ReminderClaim(Base):
    """One reminder occurrence for one recipient: inserted once, whichever process gets there first."""
    __tablename__ = "reminder_claims"
    __table_args__ = (UniqueConstraint("schedule", "period", "recipient"),)
    id: Mapped[intpk]
    schedule: Mapped[str64]
    period: Mapped[str32]
    recipient: Mapped[str64]
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<ReminderClaim {self.schedule} {self.period} {self.recipient}>"


class ScheduleRun(Base):
    """Log of one schedule occurrence handled (done) or given up (skipped) by a scheduler."""
    __tablename__ = "schedule_runs"
    __table_args__ = (UniqueConstraint("schedule", "occurrence_at"),)
    id: Mapped[intpk]
    schedule: Mapped[str64]
    occurrence_at: Mapped[datetime]
    period: Mapped[str32]
    status: Mapped[str] = mapped_column(String(16))  # done | skipped
    queued: Mapped[int] = mapped_column(default=0)
    runner: Mapped[str128] = mapped_column(default="")
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<ScheduleRun {self.schedule} {self.occurrence_at:%Y-%m-%d %H:%M} {self.status}>"


class Event(Base):
    """A one-off event (会议, 活动) with reminders `before` it (e.g. ["3d", "1h"])."""
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_at", "at"),)
    id: Mapped[intpk]
    consortium_id: Mapped[int | None] = mapped_column(ForeignKey("consortia.id"))
    title: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    notify: Mapped[str64]
    before: Mapped[list] = mapped_column(default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    cancelled: Mapped[bool] = mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.at:%Y-%m-%d %H:%M} {self.title[:20]}>"


class LeaderLock(Base):
    """The SQLite leader lock: one row per name, kept fresh by the holder's heartbeat."""
    __tablename__ = "leader_locks"
    name: Mapped[str32] = mapped_column(primary_key=True)
    holder: Mapped[str128]
    acquired_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<LeaderLock {self.name} {self.holder}>"
