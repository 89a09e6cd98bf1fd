"""`reports:`: the monthly report's deadline and how long a late report is still accepted."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from core.config.errors import ConfigError
from core.config.readers import int_in, section


@dataclass(frozen=True)
class ReportPolicy:
    deadline_day: int | None  # None: the last working day of the month
    late_window_days: int = 10


def parse_reports(data: Mapping) -> ReportPolicy:
    raw = section(data, "reports")
    day = raw.get("deadline", "last_workday")
    if day != "last_workday" and not (isinstance(day, int) and not isinstance(day, bool) and 1 <= day <= 28):
        raise ConfigError("reports.deadline", f'expected 1..28 or "last_workday", got {day!r}')
    return ReportPolicy(None if day == "last_workday" else day,
                        int_in(raw, "late_window_days", "reports.", 10, 0, 28))
