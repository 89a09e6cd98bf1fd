"""The scheduler process: APScheduler 3.x BlockingScheduler, a leader lock, catch-up, one trampoline.

Every job runs through `Runner.trampoline`, which checks leadership, opens a session,
passes `now`, commits, logs and swallows errors (a failing job never kills the process).
Only the leader runs jobs; "already sent" lives in our tables (reminder_claims), so even
two active schedulers during a deploy overlap queue each reminder once.
"""
from __future__ import annotations

import logging
import os
import socket
import zlib
from datetime import datetime, timedelta, timezone
from typing import Callable

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, or_, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from core.clock import utcnow
from core.config import Settings
from core.workdays import WorkCalendar
from models.schedule import LeaderLock
from scheduler import jobs
from core.config.schedules import Schedule, SchedulerConf
from services.reminders.schedules import occurrences
from services.shared.workdays import build_calendar, warn_coverage

log = logging.getLogger("tongxin.scheduler")
LOCK_NAME = "scheduler"
PG_LOCK_KEY = zlib.crc32(b"tongxin-scheduler")


class OccurrenceTrigger(BaseTrigger):
    """Fires at a schedule's occurrences (working-day aware), in an explicit time zone."""

    def __init__(self, schedule: Schedule, calendar: WorkCalendar, timezone) -> None:
        self.schedule, self.calendar, self.timezone = schedule, calendar, timezone

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        after = previous_fire_time or (now - timedelta(microseconds=1))
        found = occurrences(self.schedule, self.calendar, self.timezone, after=after, count=1)
        return found[0].at if found else None

    def __str__(self) -> str:
        return f"occurrences[{self.schedule.name}]"


class RowLeader:
    """Leader lock as a row with a heartbeat (SQLite, or any database): stale after `timeout`."""

    def __init__(self, factory: sessionmaker[Session], holder: str, timeout: timedelta) -> None:
        self.factory, self.holder, self.timeout = factory, holder, timeout

    def acquire(self, now: datetime) -> bool:
        """Take or renew the lock; True while we hold it."""
        with self.factory() as session:
            table = LeaderLock.__table__
            insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
            session.execute(insert(table).values(name=LOCK_NAME, holder=self.holder, acquired_at=now,
                                                 heartbeat_at=now).on_conflict_do_nothing(index_elements=["name"]))
            mine = session.execute(
                update(LeaderLock).where(LeaderLock.name == LOCK_NAME,
                                         or_(LeaderLock.holder == self.holder,
                                             LeaderLock.heartbeat_at < now - self.timeout))
                .values(holder=self.holder, heartbeat_at=now)).rowcount == 1
            session.commit()
            return mine

    def release(self) -> None:
        with self.factory() as session:
            session.execute(update(LeaderLock).where(LeaderLock.name == LOCK_NAME, LeaderLock.holder == self.holder)
                            .values(heartbeat_at=datetime(2000, 1, 1, tzinfo=timezone.utc)))
            session.commit()


class PgLeader:
    """PostgreSQL session advisory lock on a dedicated connection: freed the moment the holder dies."""

    def __init__(self, engine: Engine, key: int = PG_LOCK_KEY) -> None:
        self.engine, self.key, self.conn = engine, key, None

    def acquire(self, now: datetime) -> bool:
        if self.conn is not None:
            try:
                self.conn.execute(text("SELECT 1"))
                return True
            except Exception:  # connection lost: so is the lock
                log.warning("scheduler: lost the database connection holding the leader lock")
                self._close()
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar():
            self.conn = conn
            return True
        conn.close()
        return False

    def _close(self) -> None:
        try:
            self.conn.invalidate()
        finally:
            self.conn = None

    def release(self) -> None:
        if self.conn is not None:
            self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            self.conn.close()
            self.conn = None


def make_leader(settings: Settings, factory: sessionmaker[Session], holder: str, conf: SchedulerConf):
    engine = factory.kw["bind"]
    if engine.dialect.name == "postgresql":
        return PgLeader(engine)
    return RowLeader(factory, holder, timedelta(seconds=conf.leader_timeout_seconds))


class Runner:
    """What the scheduler's jobs share: settings, sessions, clock, leadership."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session], *,
                 clock: Callable[[], datetime] = utcnow, holder: str | None = None, leader=None) -> None:
        self.settings, self.factory, self.clock = settings, factory, clock
        self.conf = settings.scheduler
        self.schedules = settings.schedules
        self.calendar = build_calendar(settings)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}"
        self.leader = leader or make_leader(settings, factory, self.holder, self.conf)
        self.is_leader = False

    def trampoline(self, name: str, body: Callable[[Session, datetime], int], *, leader_only: bool = True) -> int:
        """Run one job body: leadership check, session, `now`, commit, logging; never raises."""
        if leader_only and not self.is_leader:
            log.debug("job %s: not the leader, skipped", name)
            return 0
        now = self.clock()
        try:
            with self.factory() as session:
                queued = body(session, now)
                session.commit()
            return queued
        except Exception:
            log.exception("job %s failed at %s", name, now.isoformat())
            return 0

    def check_leader(self) -> bool:
        """Heartbeat: take or keep the lock; on becoming leader, catch up on what was missed."""
        try:
            holding = self.leader.acquire(self.clock())
        except Exception:
            log.exception("scheduler: leader lock check failed")
            holding = False
        became = holding and not self.is_leader
        if self.is_leader and not holding:
            log.warning("scheduler %s: lost leadership", self.holder)
        self.is_leader = holding
        if became:
            log.info("scheduler %s: now the leader; catching up (window %s)", self.holder, self.conf.catch_up)
            self.catch_up()
        return holding

    def run_schedule(self, name: str) -> int:
        schedule = next(s for s in self.schedules if s.name == name)
        return self.trampoline(name, lambda session, now: jobs.run_due(
            session, self.settings, schedule, now=now, window=self.conf.catch_up, runner=self.holder))

    def run_events(self) -> int:
        return self.trampoline("events", lambda session, now: jobs.remind_events(
            session, self.settings, now=now, window=self.conf.catch_up))

    def run_escalation(self) -> int:
        return self.trampoline("escalation", lambda session, now: jobs.sweep_escalations(
            session, self.settings, now=now))

    def close(self) -> None:
        """Give up leadership (on shutdown): a standby takes over at its next check."""
        if self.is_leader:
            self.leader.release()
        self.is_leader = False

    def catch_up(self) -> int:
        return sum(self.run_schedule(s.name) for s in self.schedules) + self.run_events() + self.run_escalation()


def build_scheduler(settings: Settings, session_factory: sessionmaker[Session], *,
                    clock: Callable[[], datetime] = utcnow, runner: Runner | None = None) -> BlockingScheduler:
    """The scheduler process's BlockingScheduler; `scheduler.tongxin_runner` is its Runner."""
    runner = runner or Runner(settings, session_factory, clock=clock)
    tz, conf = settings.tz, runner.conf
    warn_coverage(clock().astimezone(tz).date())
    scheduler = BlockingScheduler(timezone=tz, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": conf.misfire_grace_seconds})
    scheduler.add_job(runner.check_leader, IntervalTrigger(seconds=conf.leader_check_seconds, timezone=tz),
                      id="leader", name="leader lock heartbeat", next_run_time=clock().astimezone(tz),
                      misfire_grace_time=conf.leader_check_seconds)
    for schedule in runner.schedules:
        scheduler.add_job(runner.run_schedule, OccurrenceTrigger(schedule, runner.calendar, tz),
                          args=[schedule.name], id=schedule.name, name=schedule.name)
    scheduler.add_job(runner.run_events, IntervalTrigger(seconds=conf.events_seconds, timezone=tz),
                      id="events", name="one-off event reminders")
    scheduler.add_job(runner.run_escalation, CronTrigger(minute=f"*/{conf.escalation_minutes}", timezone=tz),
                      id="escalation", name="task deadline sweep")
    scheduler.tongxin_runner = runner
    return scheduler
