"""The working-day calendar: chinese_calendar plus the `calendar:` overrides of config.yaml."""
from __future__ import annotations

import logging
from datetime import date

from core.config import Settings
from core.workdays import WorkCalendar, coverage_warning

log = logging.getLogger("tongxin.calendar")


def build_calendar(settings: Settings) -> WorkCalendar:
    """The WorkCalendar with the (already checked) overrides of `calendar:`."""
    return WorkCalendar(extra_holidays=settings.calendar.extra_holidays,
                        extra_workdays=settings.calendar.extra_workdays)


def warn_coverage(today: date) -> str | None:
    """Log (and return) a warning when chinese_calendar lacks this or next year."""
    message = coverage_warning(today)
    if message:
        log.warning(message)
    return message
