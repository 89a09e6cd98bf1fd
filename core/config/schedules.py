"""`scheduler:` and `schedules:`: the reminder schedules as typed objects.

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
from datetime import time, timedelta
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from core.config.errors import ConfigError
from core.config.readers import choice, int_in, section

NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
KINDS = ("notice", "report", "report_summary", "pairing", "meetings")  # pairing: 四个一 reminder (scheduler/pairing_jobs.py);
# meetings: 三会一课 reminder to branches that have not held the kinds of `meetings.kinds[].remind` (scheduler/meeting_jobs.py)
PERIODS = ("day", "week", "month", "quarter", "previous_month")
REST_DAY = ("keep", "previous", "next")
FIRE_ON = ("workday", "any")
SPECIAL_DAYS = ("last_workday", "first_workday")
PLACEHOLDERS = {"period", "deadline", "date", "branch", "missing", "count"}
RESERVED = ("escalation",)
AUDIENCES = ("secretaries", "office", "members", "everyone", "paired")
AUDIENCE_PREFIXES = ("role:", "branch:", "unit:")

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
class SchedulerConf:
    catch_up: timedelta = timedelta(hours=24)
    misfire_grace_seconds: int = 3600
    leader_check_seconds: int = 15
    leader_timeout_seconds: int = 45
    escalation_minutes: int = 10
    events_seconds: int = 60


def check_audience(text: object, key: str) -> str:
    """Validate an audience (`secretaries`, `office`, `members`, `everyone`, `paired`, `role:x`,
    `branch:code`, `unit:CODE`); ConfigError names `key`."""
    if isinstance(text, str) and (text in AUDIENCES or
                                  (text.startswith(AUDIENCE_PREFIXES) and text.split(":", 1)[1])):
        return text
    choices = ", ".join(AUDIENCES) + ", role:<role>, branch:<code>, unit:<CODE>"
    raise ConfigError(key, f"expected one of {choices}; got {text!r}")


def parse_scheduler(data: Mapping) -> SchedulerConf:
    raw = section(data, "scheduler")
    hours = int_in(raw, "catch_up_hours", "scheduler.", 24, 0, 24 * 31)
    check = int_in(raw, "leader_check_seconds", "scheduler.", 15, 1, 60)
    timeout = int_in(raw, "leader_timeout_seconds", "scheduler.", 45, check + 1, 600)
    return SchedulerConf(catch_up=timedelta(hours=hours),
                         misfire_grace_seconds=int_in(raw, "misfire_grace_seconds", "scheduler.", 3600, 1, 86400 * 31),
                         leader_check_seconds=check, leader_timeout_seconds=timeout,
                         escalation_minutes=int_in(raw, "escalation_every_minutes", "scheduler.", 10, 1, 60),
                         events_seconds=int_in(raw, "events_every_seconds", "scheduler.", 60, 5, 3600))


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
                before_days=int_in(raw, "before_days", where, 0, 0, 90),
                before_workdays=int_in(raw, "before_workdays", where, 0, 0, 30),
                fire_on=choice(raw, "fire_on", where, FIRE_ON, "workday"))


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
    kind = choice(raw, "kind", where, KINDS, "notice")
    period = choice(raw, "period", where, PERIODS, "month")
    if kind not in ("notice", "meetings") and period not in ("month", "previous_month"):
        raise ConfigError(f"{where}period", f"a {kind} schedule needs month or previous_month, got {period!r}")
    only_missing = raw.get("only_missing", False)
    if not isinstance(only_missing, bool):
        raise ConfigError(f"{where}only_missing", f"expected true or false, got {only_missing!r}")
    return Schedule(name=name, kind=kind, audience=check_audience(raw.get("to"), f"{where}to"),
                    text=_parse_text(raw, where), period=period,
                    only_missing=only_missing, when=_parse_when(raw.get("when"), f"{where}when.", tz),
                    consortium=_parse_consortium(raw, where, consortia))


def parse_schedules(data: Mapping, tz: ZoneInfo, consortia: tuple[str, ...]) -> tuple[Schedule, ...]:
    """The `schedules:` list as typed objects; ConfigError names the key of the first mistake."""
    items = data.get("schedules") or []
    if not isinstance(items, list):
        raise ConfigError("schedules", f"expected a list, got {type(items).__name__}")
    seen: set[str] = set()
    return tuple(_parse_one(raw, i, tz, seen, consortia) for i, raw in enumerate(items))
