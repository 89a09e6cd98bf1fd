"""`calendar:`: county overrides of the official working-day calendar.

```yaml
calendar:
  extra_holidays: [2027-01-01]   # county rest days, or a year the library lacks
  extra_workdays: []             # make-up working days (调休上班)
```
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Mapping

from core.config.errors import ConfigError
from core.config.readers import a_date, section


@dataclass(frozen=True)
class CalendarConf:
    extra_holidays: tuple[date, ...] = ()
    extra_workdays: tuple[date, ...] = ()


def _dates(raw: Mapping, key: str) -> tuple[date, ...]:
    items = raw.get(key) or []
    if not isinstance(items, list):
        raise ConfigError(f"calendar.{key}", f"expected a list of dates, got {items!r}")
    return tuple(a_date(item, f"calendar.{key}[{i}]") for i, item in enumerate(items))


def parse_calendar(data: Mapping) -> CalendarConf:
    raw = section(data, "calendar")
    holidays, workdays = _dates(raw, "extra_holidays"), _dates(raw, "extra_workdays")
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise ConfigError("calendar.extra_workdays", f"{both[0].isoformat()} is also in extra_holidays")
    return CalendarConf(holidays, workdays)
