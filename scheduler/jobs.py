"""Scheduled jobs as plain functions `(session, settings, ..., *, now) -> queued count`.

They flush, never commit (the trampoline in runner.py does), and can be run by hand
(`python bot.py schedule fire NAME --at ...`): every message is claimed first, so a
second run of the same occurrence queues nothing.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.config import Settings
from core.workdays import WorkCalendar
from models.schedule import ScheduleRun
from services.tasks import escalation
from services.reminders import fanout as reminders
from services.reports import monthly as reports
from services.shared.workdays import build_calendar
from scheduler import meeting_jobs, pairing_jobs
from core.config.schedules import Schedule
from services.reminders.schedules import Occurrence, occurrence_at, occurrences

log = logging.getLogger("tongxin.scheduler")
SKIP_LOOKBACK = timedelta(days=31)


def _date(occ: Occurrence) -> str:
    return f"{occ.target.month}月{occ.target.day}日"


def _values(settings: Settings, cal: WorkCalendar, schedule: Schedule, occ: Occurrence) -> dict[str, str]:
    values = {"period": occ.label(), "date": _date(occ), "deadline": _date(occ), "missing": "", "count": "0"}
    if schedule.kind != "notice":
        values["deadline"] = reports.deadline_label(occ.period, cal, settings.reports)
    return values


def remind_notice(session: Session, settings: Settings, schedule: Schedule, occ: Occurrence, *,
                  now: datetime) -> int:
    """A calendar notice (主题党日, 三会一课, 联席会议) to the schedule's audience."""
    values = _values(settings, build_calendar(settings), schedule, occ)
    messages = [(r.openid, schedule.text.format(**values, branch=r.place))
                for r in reminders.recipients(session, schedule.audience, consortium=schedule.consortium)]
    return reminders.fan_out(session, schedule.name, occ.period, messages, now=now, sandbox=settings.sandbox)


def remind_report(session: Session, settings: Settings, schedule: Schedule, occ: Occurrence, *,
                  now: datetime) -> int:
    """月报 reminder; with only_missing, branches that filed for the period are left out."""
    values = _values(settings, build_calendar(settings), schedule, occ)
    people = reminders.recipients(session, schedule.audience, consortium=schedule.consortium)
    if schedule.only_missing:
        filed = reports.filed_branch_ids(session, occ.period)
        people = [r for r in people if r.branch_id not in filed]
    messages = [(r.openid, schedule.text.format(**values, branch=r.place)) for r in people]
    return reminders.fan_out(session, schedule.name, occ.period, messages, now=now, sandbox=settings.sandbox)


def remind_report_summary(session: Session, settings: Settings, schedule: Schedule, occ: Occurrence, *,
                          now: datetime) -> int:
    """To the office: which branches have not filed the period's report (per consortium)."""
    values = _values(settings, build_calendar(settings), schedule, occ)
    people = reminders.recipients(session, schedule.audience, consortium=schedule.consortium)
    missing_by_consortium: dict[int | None, list[str]] = {}
    messages = []
    for r in people:
        if r.consortium_id not in missing_by_consortium:
            names = [b.name for b in reports.missing_branches(session, r.consortium_id, occ.period)] \
                if r.consortium_id else []
            missing_by_consortium[r.consortium_id] = names
        names = missing_by_consortium[r.consortium_id]
        text = schedule.text.format(**{**values, "missing": "、".join(names) or "无（全部已报送）",
                                       "count": str(len(names))}, branch=r.place)
        messages.append((r.openid, text))
    return reminders.fan_out(session, schedule.name, occ.period, messages, now=now, sandbox=settings.sandbox)


JOBS: dict[str, Callable[..., int]] = {"notice": remind_notice, "report": remind_report,
                                       "report_summary": remind_report_summary,
                                       "pairing": pairing_jobs.remind_four_ones,
                                       "meetings": meeting_jobs.remind_meetings}


def _record(session: Session, occ: Occurrence, status: str, queued: int, *, now: datetime,
            runner: str) -> None:
    table = ScheduleRun.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(table).values(schedule=occ.schedule, occurrence_at=occ.at, period=occ.period,
                                         status=status, queued=queued, runner=runner[:128], created_at=now)
                    .on_conflict_do_nothing(index_elements=["schedule", "occurrence_at"]))


def fire(session: Session, settings: Settings, schedule: Schedule, occ: Occurrence, *, now: datetime,
         runner: str = "") -> int:
    """Run one occurrence of a schedule and log it; returns the number of messages queued."""
    queued = JOBS[schedule.kind](session, settings, schedule, occ, now=now)
    _record(session, occ, "done", queued, now=now, runner=runner)
    session.flush()
    log.info("schedule %s %s (%s): queued %d", schedule.name, occ.at.isoformat(), occ.period, queued)
    return queued


def fire_at(session: Session, settings: Settings, schedule: Schedule, at: datetime, *, runner: str = "") -> int:
    """`schedule fire NAME --at AT`: the occurrence at that instant, run as if it were then."""
    occ = occurrence_at(schedule, at, build_calendar(settings), settings.tz)
    return fire(session, settings, schedule, occ, now=at, runner=runner)


def _handled(session: Session, name: str, since: datetime) -> set[datetime]:
    return set(session.scalars(select(ScheduleRun.occurrence_at).where(ScheduleRun.schedule == name,
                                                                      ScheduleRun.occurrence_at > since)))


def run_due(session: Session, settings: Settings, schedule: Schedule, *, now: datetime, window: timedelta,
            runner: str = "") -> int:
    """Fire what is due in (now - window, now] and not yet run; log (and record) what is older."""
    cal = build_calendar(settings)
    done = _handled(session, schedule.name, now - window - SKIP_LOOKBACK)
    queued = 0
    for occ in occurrences(schedule, cal, settings.tz, after=now - window - SKIP_LOOKBACK, until=now):
        if occ.at in done:
            continue
        if occ.at <= now - window:
            log.warning("schedule %s: skipped %s (%s), missed by more than the catch-up window of %s",
                        schedule.name, occ.at.isoformat(), occ.period, window)
            _record(session, occ, "skipped", 0, now=now, runner=runner)
            continue
        queued += fire(session, settings, schedule, occ, now=now, runner=runner)
    return queued


def remind_events(session: Session, settings: Settings, *, now: datetime, window: timedelta) -> int:
    """Reminders of one-off events (`event add`, 通知) whose time has come."""
    queued = 0
    for event, label in reminders.due_event_reminders(session, now=now, window=window):
        queued += reminders.remind_event(session, event, label, now=now, sandbox=settings.sandbox, tz=settings.tz)
    return queued


def sweep_escalations(session: Session, settings: Settings, *, now: datetime) -> int:
    """Task deadlines (issue 5): accept reminders, escalation, overdue, rating reminders."""
    queued = escalation.sweep(session, settings, now=now)
    if queued:
        log.info("escalation sweep at %s: queued %d", now.isoformat(), queued)
    return queued
