"""`tasks:`: deadlines of routed requests, working and quiet hours (escalation), bursts of messages."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Mapping

from core.config.readers import clock_range, positive, section
from core.workdays import DAY_END, DAY_START



@dataclass(frozen=True)
class EscalationPolicy:
    accept_hours: float = 4
    resolve_days: int = 5
    quiet: tuple[time, time] = (time(21), time(8))
    working: tuple[time, time] = (DAY_START, DAY_END)
    rating_days: int = 3
    burst_minutes: float = 3
    same_matter_hours: float = 24

    @property
    def day_hours(self) -> float:
        start, end = self.working
        return (datetime.combine(datetime.min, end) - datetime.combine(datetime.min, start)) / timedelta(hours=1)


def parse_tasks(data: Mapping) -> EscalationPolicy:
    raw = section(data, "tasks")
    return EscalationPolicy(
        accept_hours=positive(raw, "accept_within_working_hours", "tasks.", 4),
        resolve_days=int(positive(raw, "resolve_within_working_days", "tasks.", 5)),
        quiet=clock_range(raw.get("quiet_hours", "21:00-08:00"), "tasks.quiet_hours"),
        working=clock_range(raw.get("working_hours", "08:30-17:30"), "tasks.working_hours"),
        rating_days=int(positive(raw, "rating_reminder_days", "tasks.", 3)),
        burst_minutes=positive(raw, "burst_minutes", "tasks.", 3),
        same_matter_hours=positive(raw, "same_matter_hours", "tasks.", 24))
