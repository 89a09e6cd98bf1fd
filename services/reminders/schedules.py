"""Occurrences of the configured schedules (core/config/schedules.py) on the working-day calendar."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterator
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from core.config import Settings
from core.config.schedules import SPECIAL_DAYS, Schedule, When
from core.workdays import WorkCalendar
from services.shared.workdays import build_calendar
from services.shared import periods

MAX_ITERATIONS = 3000


@dataclass(frozen=True)
class Occurrence:
    schedule: str
    at: datetime       # fire time (aware, schedule time zone)
    target: date       # the day it is about ({date})
    period: str        # claim key part: 2026-12, 2026-Q4, 2026-W52, 2026-12-25

    def label(self) -> str:
        """The period in Chinese for {period}."""
        return periods.label(self.period)


# --- occurrences ------------------------------------------------------------------

def _base_days(when: When, tz: ZoneInfo, start: date, cal: WorkCalendar) -> Iterator[date]:
    special = when.day in SPECIAL_DAYS
    trigger = CronTrigger(month=when.month, day="1" if special else when.day,
                          day_of_week=when.day_of_week, hour=0, minute=0, timezone=tz)
    cursor = datetime.combine(start, time(0), tzinfo=tz)
    for _ in range(MAX_ITERATIONS):
        fire = trigger.get_next_fire_time(None, cursor)
        if fire is None:
            return
        day = fire.date()
        if special:
            day = cal.last_workday_of_month(day.year, day.month) if when.day == "last_workday" \
                else cal.next_workday(day)
        yield day
        cursor = datetime.combine(fire.date() + timedelta(days=1), time(0), tzinfo=tz)


def _target(when: When, day: date, cal: WorkCalendar) -> date:
    if when.rest_day == "previous":
        return cal.previous_workday(day)
    if when.rest_day == "next":
        return cal.next_workday(day)
    return day


def occurrence_for(schedule: Schedule, target: date, cal: WorkCalendar, tz: ZoneInfo) -> Occurrence:
    when = schedule.when
    fire_day = target - timedelta(days=when.before_days)
    if when.before_workdays:
        fire_day = cal.workdays_before(fire_day, when.before_workdays)
    if when.fire_on == "workday":
        fire_day = cal.previous_workday(fire_day)
    return Occurrence(schedule.name, datetime.combine(fire_day, when.at, tzinfo=tz), target,
                      periods.period_key(schedule.period, target))


def occurrences(schedule: Schedule, cal: WorkCalendar, tz: ZoneInfo, *, after: datetime,
                until: datetime | None = None, count: int | None = None) -> list[Occurrence]:
    """Occurrences firing in (after, until], or the next `count` after `after`, in time order."""
    start = (after.astimezone(tz) - schedule.when.lookback).date()
    found: list[Occurrence] = []
    for day in _base_days(schedule.when, tz, start, cal):
        occ = occurrence_for(schedule, _target(schedule.when, day, cal), cal, tz)
        horizon = datetime.combine(day, time(0), tzinfo=tz) - schedule.when.lookback
        if until is not None and horizon > until:
            break
        if count is not None and len(found) >= count and horizon > found[count - 1].at:
            break
        if occ.at > after and (until is None or occ.at <= until):
            found.append(occ)
            found.sort(key=lambda o: o.at)
    return found[:count] if count is not None else found


def occurrence_at(schedule: Schedule, at: datetime, cal: WorkCalendar, tz: ZoneInfo) -> Occurrence:
    """The occurrence a run by hand at `at` stands for: the one firing then, else one built from `at`."""
    for occ in occurrences(schedule, cal, tz, after=at - timedelta(seconds=1), until=at):
        return occ
    local = at.astimezone(tz)
    target = local.date() + timedelta(days=schedule.when.before_days)
    if schedule.when.before_workdays:
        target = cal.add_workdays(target, schedule.when.before_workdays)
    return Occurrence(schedule.name, local, target, periods.period_key(schedule.period, target))


def schedule_rows(settings: Settings, after: datetime, *, count: int = 3) -> list[dict]:
    """Each schedule with its next `count` fire times: the `schedule list --json` rows (also the console's)."""
    cal, tz = build_calendar(settings), settings.tz
    rows = []
    for s in settings.schedules:
        w = s.when
        rows.append({"name": s.name, "kind": s.kind, "to": s.audience, "period": s.period,
                     "consortium": s.consortium,
                     "when": {"month": w.month, "day": w.day, "day_of_week": w.day_of_week,
                              "time": w.at.strftime("%H:%M"), "rest_day": w.rest_day,
                              "before_days": w.before_days, "before_workdays": w.before_workdays},
                     "next": [o.at.isoformat() for o in occurrences(s, cal, tz, after=after, count=count)]})
    return rows
