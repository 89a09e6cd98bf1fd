"""The working-day calendar of config.yaml: chinese_calendar plus `calendar:` overrides.

```yaml
calendar:
  extra_holidays: [2027-01-01]   # county rest days, or a year the library lacks
  extra_workdays: []             # make-up working days (调休上班)
```
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time
from typing import Any, Mapping

from core.settings import ConfigError, Settings
from core.workdays import WorkCalendar, coverage_warning

log = logging.getLogger("tongxin.calendar")


def _dates(section: Mapping[str, Any], key: str) -> list[date]:
    items = section.get(key) or []
    if not isinstance(items, list):
        raise ConfigError(f"calendar.{key}", f"expected a list of dates, got {items!r}")
    result = []
    for i, item in enumerate(items):
        if isinstance(item, datetime):
            item = item.date()
        if isinstance(item, str):
            try:
                item = date.fromisoformat(item)
            except ValueError:
                raise ConfigError(f"calendar.{key}[{i}]", f"expected YYYY-MM-DD, got {item!r}") from None
        if not isinstance(item, date):
            raise ConfigError(f"calendar.{key}[{i}]", f"expected YYYY-MM-DD, got {item!r}")
        result.append(item)
    return result


def build_calendar(settings: Settings) -> WorkCalendar:
    """The WorkCalendar with the overrides of `calendar:`; ConfigError names a bad key."""
    section = settings.raw.get("calendar") or {}
    if not isinstance(section, Mapping):
        raise ConfigError("calendar", f"expected a mapping, got {section!r}")
    holidays, workdays = _dates(section, "extra_holidays"), _dates(section, "extra_workdays")
    try:
        return WorkCalendar(extra_holidays=holidays, extra_workdays=workdays)
    except ValueError as exc:
        raise ConfigError("calendar.extra_workdays", str(exc)) from None


def warn_coverage(today: date) -> str | None:
    """Log (and return) a warning when chinese_calendar lacks this or next year."""
    message = coverage_warning(today)
    if message:
        log.warning(message)
    return message


def parse_clock_range(text: Any, key: str) -> tuple[time, time]:
    """'21:00-08:00' -> (time(21), time(8)); ConfigError naming `key` otherwise."""
    try:
        start, end = str(text).split("-")
        return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError:
        raise ConfigError(key, f'expected "HH:MM-HH:MM", got {text!r}') from None
