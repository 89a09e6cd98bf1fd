"""Schedules of config.yaml as typed objects, and their occurrences on the working-day calendar.

```yaml
scheduler: {catch_up_hours: 24, leader_check_seconds: 15, leader_timeout_seconds: 45}
schedules:
  - name: report_reminder          # [a-z0-9_], unique; also the job id
    kind: report                   # notice (default) | report | report_summary
    to: secretaries                # secretaries | office | members | everyone | paired |
                                   # role:<role> | branch:<code> | unit:<CODE>
    only_missing: false            # report: skip branches that filed for the period
    period: month                  # day | week | month (default) | quarter | previous_month
    when: {month: "*", day: 25, time: "09:00", rest_day: previous}
    text: "请于{deadline}前报送{period}工作月报"   # {period} {deadline} {date} {branch} {missing} {count}
    consortium: linxi              # optional: only this consortium's people (absent: every consortium)
```
`when.day` is a cron day field (25, "1-7", "last", "1st fri") or `last_workday` /
`first_workday`; `month` and `day_of_week` are cron fields too. The day so found is
the target (`{date}`); `rest_day` moves a target on a rest day (keep | previous | next);
`before_days` / `before_workdays` fire that many calendar / working days ahead of it;
a fire day on a rest day moves to the previous working day (`fire_on: workday`, the
default; `fire_on: any` keeps it).
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Iterator, Mapping
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from core.settings import ConfigError, Settings
from core.workdays import WorkCalendar
from services.calendar import build_calendar
from services.reminders import check_audience

NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
KINDS = ("notice", "report", "report_summary", "pairing")  # pairing: 四个一 reminder (scheduler/pairing_jobs.py)
PERIODS = ("day", "week", "month", "quarter", "previous_month")
REST_DAY = ("keep", "previous", "next")
FIRE_ON = ("workday", "any")
SPECIAL_DAYS = ("last_workday", "first_workday")
PLACEHOLDERS = {"period", "deadline", "date", "branch", "missing", "count"}
RESERVED = ("escalation",)
MAX_ITERATIONS = 3000


@dataclass(frozen=True)
class When:
    month: str = "*"
    day: str = "1"
    day_of_week: str = "*"
    at: time = time(9)
    rest_day: str = "keep"
    before_days: int = 0
    before_workdays: int = 0
    fire_on: str = "workday"

    @property
    def lookback(self) -> timedelta:
        """How far before a fire time its target may lie (bounds the search)."""
        return timedelta(days=self.before_days + 3 * self.before_workdays + 40)


@dataclass(frozen=True)
class Schedule:
    name: str
    kind: str
    audience: str
    text: str
    period: str
    only_missing: bool
    when: When
    consortium: str | None = None  # consortium code; None: every consortium


@dataclass(frozen=True)
class Occurrence:
    schedule: str
    at: datetime       # fire time (aware, schedule time zone)
    target: date       # the day it is about ({date})
    period: str        # claim key part: 2026-12, 2026-Q4, 2026-W52, 2026-12-25

    def label(self) -> str:
        """The period in Chinese for {period}."""
        if "-Q" in self.period:
            year, quarter = self.period.split("-Q")
            return f"{year}年第{quarter}季度"
        if "-W" in self.period:
            year, week = self.period.split("-W")
            return f"{year}年第{int(week)}周"
        parts = self.period.split("-")
        if len(parts) == 2:
            return f"{parts[0]}年{int(parts[1])}月"
        return f"{parts[0]}年{int(parts[1])}月{int(parts[2])}日"


@dataclass(frozen=True)
class SchedulerConf:
    catch_up: timedelta = timedelta(hours=24)
    misfire_grace_seconds: int = 3600
    leader_check_seconds: int = 15
    leader_timeout_seconds: int = 45
    escalation_minutes: int = 10
    events_seconds: int = 60


# --- parsing --------------------------------------------------------------------

def _int(d: Mapping, key: str, where: str, default: int, low: int, high: int) -> int:
    value = d.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{where}{key}", f"expected an integer {low}..{high}, got {value!r}")
    return value


def parse_scheduler_conf(settings: Settings) -> SchedulerConf:
    raw = settings.raw.get("scheduler") or {}
    if not isinstance(raw, Mapping):
        raise ConfigError("scheduler", f"expected a mapping, got {raw!r}")
    hours = _int(raw, "catch_up_hours", "scheduler.", 24, 0, 24 * 31)
    check = _int(raw, "leader_check_seconds", "scheduler.", 15, 1, 60)
    timeout = _int(raw, "leader_timeout_seconds", "scheduler.", 45, check + 1, 600)
    return SchedulerConf(catch_up=timedelta(hours=hours),
                         misfire_grace_seconds=_int(raw, "misfire_grace_seconds", "scheduler.", 3600, 1, 86400 * 31),
                         leader_check_seconds=check, leader_timeout_seconds=timeout,
                         escalation_minutes=_int(raw, "escalation_every_minutes", "scheduler.", 10, 1, 60),
                         events_seconds=_int(raw, "events_every_seconds", "scheduler.", 60, 5, 3600))


def _cron_field(raw: Mapping, key: str, where: str, default: str, tz: ZoneInfo) -> str:
    value = str(raw.get(key, default)).strip()
    if key == "day" and value in SPECIAL_DAYS:
        return value
    try:
        CronTrigger(**{key: value, "timezone": tz})
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}{key}", f"invalid cron field {value!r} ({exc})") from None
    return value


def _parse_when(raw: Any, where: str, tz: ZoneInfo) -> When:
    if not isinstance(raw, Mapping):
        raise ConfigError(where.rstrip("."), f"expected a mapping, got {raw!r}")
    if "day" not in raw:
        raise ConfigError(f"{where}day", "missing")
    try:
        at = time.fromisoformat(str(raw.get("time", "09:00")))
    except ValueError:
        raise ConfigError(f"{where}time", f'expected "HH:MM", got {raw.get("time")!r}') from None
    rest_day = raw.get("rest_day", "keep")
    if rest_day not in REST_DAY:
        raise ConfigError(f"{where}rest_day", f"expected one of {', '.join(REST_DAY)}, got {rest_day!r}")
    return When(month=_cron_field(raw, "month", where, "*", tz), day=_cron_field(raw, "day", where, "1", tz),
                day_of_week=_cron_field(raw, "day_of_week", where, "*", tz), at=at, rest_day=rest_day,
                before_days=_int(raw, "before_days", where, 0, 0, 90),
                before_workdays=_int(raw, "before_workdays", where, 0, 0, 30),
                fire_on=_choice(raw, "fire_on", where, FIRE_ON, "workday"))


def _choice(raw: Mapping, key: str, where: str, choices: tuple[str, ...], default: str) -> str:
    value = raw.get(key, default)
    if value not in choices:
        raise ConfigError(f"{where}{key}", f"expected one of {', '.join(choices)}, got {value!r}")
    return value


def _parse_text(raw: Mapping, where: str) -> str:
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{where}text", "missing (the message template)")
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError as exc:
        raise ConfigError(f"{where}text", f"bad template ({exc})") from None
    unknown = fields - PLACEHOLDERS
    if unknown:
        raise ConfigError(f"{where}text", f"unknown placeholder {{{sorted(unknown)[0]}}}; "
                                          f"use {', '.join('{' + p + '}' for p in sorted(PLACEHOLDERS))}")
    return text


def _parse_consortium(raw: Mapping, where: str, known: tuple[str, ...]) -> str | None:
    if raw.get("consortium") is None:
        return None
    code = raw["consortium"]
    if code not in known:
        raise ConfigError(f"{where}consortium", f"expected one of {', '.join(known)}, got {code!r}")
    return code


def _parse_one(raw: Any, i: int, tz: ZoneInfo, seen: set[str], consortia: tuple[str, ...] = ()) -> Schedule:
    where = f"schedules[{i}]."
    if not isinstance(raw, Mapping):
        raise ConfigError(f"schedules[{i}]", f"expected a mapping, got {raw!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME.match(name) or name in RESERVED:
        raise ConfigError(f"{where}name", f"expected lower-case letters, digits or _ (not {RESERVED}), got {name!r}")
    if name in seen:
        raise ConfigError(f"{where}name", f'duplicate "{name}"')
    seen.add(name)
    kind = _choice(raw, "kind", where, KINDS, "notice")
    period = _choice(raw, "period", where, PERIODS, "month")
    if kind != "notice" and period not in ("month", "previous_month"):
        raise ConfigError(f"{where}period", f"a {kind} schedule needs month or previous_month, got {period!r}")
    only_missing = raw.get("only_missing", False)
    if not isinstance(only_missing, bool):
        raise ConfigError(f"{where}only_missing", f"expected true or false, got {only_missing!r}")
    return Schedule(name=name, kind=kind, audience=check_audience(raw.get("to"), f"{where}to"),
                    text=_parse_text(raw, where), period=period,
                    only_missing=only_missing, when=_parse_when(raw.get("when"), f"{where}when.", tz),
                    consortium=_parse_consortium(raw, where, consortia))


def parse_schedules(settings: Settings) -> tuple[Schedule, ...]:
    """The `schedules:` list as typed objects; ConfigError names the key of the first mistake."""
    items = settings.raw.get("schedules") or []
    if not isinstance(items, list):
        raise ConfigError("schedules", f"expected a list, got {type(items).__name__}")
    seen: set[str] = set()
    known = tuple(c.code for c in settings.consortia)
    return tuple(_parse_one(raw, i, settings.tz, seen, known) for i, raw in enumerate(items))


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


def _period(kind: str, target: date) -> str:
    if kind == "day":
        return target.isoformat()
    if kind == "week":
        year, week, _ = target.isocalendar()
        return f"{year}-W{week:02d}"
    if kind == "quarter":
        return f"{target.year}-Q{(target.month - 1) // 3 + 1}"
    month = target.year * 12 + target.month - 1 - (kind == "previous_month")
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def occurrence_for(schedule: Schedule, target: date, cal: WorkCalendar, tz: ZoneInfo) -> Occurrence:
    when = schedule.when
    fire_day = target - timedelta(days=when.before_days)
    if when.before_workdays:
        fire_day = cal.workdays_before(fire_day, when.before_workdays)
    if when.fire_on == "workday":
        fire_day = cal.previous_workday(fire_day)
    return Occurrence(schedule.name, datetime.combine(fire_day, when.at, tzinfo=tz), target,
                      _period(schedule.period, target))


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
    return Occurrence(schedule.name, local, target, _period(schedule.period, target))


def schedule_rows(settings: Settings, after: datetime, *, count: int = 3) -> list[dict]:
    """Each schedule with its next `count` fire times: the `schedule list --json` rows (also the console's)."""
    cal, tz = build_calendar(settings), settings.tz
    rows = []
    for s in parse_schedules(settings):
        w = s.when
        rows.append({"name": s.name, "kind": s.kind, "to": s.audience, "period": s.period,
                     "consortium": s.consortium,
                     "when": {"month": w.month, "day": w.day, "day_of_week": w.day_of_week,
                              "time": w.at.strftime("%H:%M"), "rest_day": w.rest_day,
                              "before_days": w.before_days, "before_workdays": w.before_workdays},
                     "next": [o.at.isoformat() for o in occurrences(s, cal, tz, after=after, count=count)]})
    return rows
