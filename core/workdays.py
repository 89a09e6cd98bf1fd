"""Working-day arithmetic for mainland China.

Pure module: standard library plus ``chinese_calendar`` only, nothing of ours.

``chinese_calendar`` ships official holiday data for a fixed range of years
(1.11.0: 2004-2026) and raises ``NotImplementedError`` outside it. Here such a
year silently falls back to Monday-Friday plus the configured overrides; call
:func:`coverage_warning` at start-up so the gap is logged well ahead of time.

Overrides (``extra_holidays`` / ``extra_workdays``) always win over the
library, so a county-level rest day or a newly announced make-up working day
can be declared in config without waiting for a library release.

Datetime helpers take timezone-aware datetimes (any zone), work in
Asia/Shanghai wall time and return Asia/Shanghai-aware datetimes. Naive
datetimes are refused with ``ValueError``: time is an argument, and the edge
that reads the clock must say which zone it means.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_START = time(8, 30)
DAY_END = time(17, 30)
QUIET_START = time(21, 0)
QUIET_END = time(8, 0)

# The longest official rest period is 9 days; with overrides it could be longer,
# but a search that runs this far means the configuration is broken.
_MAX_SEARCH_DAYS = 366


def _as_date(d: date) -> date:
    """Return the calendar date of ``d`` (a ``datetime`` is a ``date`` too)."""
    return d.date() if isinstance(d, datetime) else d


def _library_has_year(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def missing_years(years: Iterable[int]) -> list[int]:
    """Return, sorted and deduplicated, the years chinese_calendar has no data for."""
    return sorted({y for y in years if not _library_has_year(y)})


def coverage_warning(today: date) -> str | None:
    """Return a log message if this year or next year lacks holiday data, else None.

    Meant for start-up logging (scheduler, web), e.g.
    ``if (msg := coverage_warning(now.date())): log.warning(msg)``.
    """
    year = _as_date(today).year
    missing = missing_years([year, year + 1])
    if not missing:
        return None
    listed = ", ".join(str(y) for y in missing)
    return (
        f"chinese_calendar {getattr(chinese_calendar, '__version__', '?')} has no "
        f"official holiday data for {listed}; working days in {listed} fall back to "
        "Monday-Friday plus the configured extra_holidays/extra_workdays. Upgrade "
        "chinese_calendar or declare that year's holidays and make-up working days "
        "in config."
    )


def _to_shanghai(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {dt!r}")
    return dt.astimezone(SHANGHAI)


def _at(d: date, t: time) -> datetime:
    return datetime.combine(d, t, tzinfo=SHANGHAI)


def _check_window(start: time, end: time) -> None:
    if not start < end:
        raise ValueError(f"working day must start before it ends, got {start}-{end}")


class WorkCalendar:
    """China's working days (chinese_calendar) with config overrides on top.

    ``extra_holidays`` are rest days and ``extra_workdays`` make-up working
    days; both win over the library and over the weekday fallback. A date
    listed in both is a configuration error (``ValueError``).
    """

    missing_years = staticmethod(missing_years)
    coverage_warning = staticmethod(coverage_warning)

    def __init__(
        self,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
    ) -> None:
        self.extra_holidays = frozenset(_as_date(d) for d in extra_holidays)
        self.extra_workdays = frozenset(_as_date(d) for d in extra_workdays)
        clash = self.extra_holidays & self.extra_workdays
        if clash:
            listed = ", ".join(d.isoformat() for d in sorted(clash))
            raise ValueError(f"dates both extra holiday and extra workday: {listed}")

    def __repr__(self) -> str:
        return (
            f"WorkCalendar(extra_holidays={len(self.extra_holidays)}, "
            f"extra_workdays={len(self.extra_workdays)})"
        )

    # -- days ---------------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        """True if ``d`` is a working day; never raises for years the library lacks."""
        d = _as_date(d)
        if d in self.extra_holidays:
            return False
        if d in self.extra_workdays:
            return True
        try:
            return chinese_calendar.is_workday(d)
        except NotImplementedError:
            return d.weekday() < 5

    def _step_to_workday(self, d: date, step: int) -> date:
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_workday(d):
                return d
            d += timedelta(days=step)
        raise ValueError(f"no working day within {_MAX_SEARCH_DAYS} days of {d}")

    def next_workday(self, d: date, inclusive: bool = True) -> date:
        """The first working day on or after ``d`` (strictly after if not inclusive)."""
        d = _as_date(d)
        return self._step_to_workday(d if inclusive else d + timedelta(days=1), 1)

    def previous_workday(self, d: date, inclusive: bool = True) -> date:
        """The last working day on or before ``d`` (strictly before if not inclusive)."""
        d = _as_date(d)
        return self._step_to_workday(d if inclusive else d - timedelta(days=1), -1)

    def last_workday_of_month(self, year: int, month: int) -> date:
        """The last working day of the given month."""
        last = date(year, month, calendar.monthrange(year, month)[1])
        found = self.previous_workday(last)
        if found.month != month:
            raise ValueError(f"{year}-{month:02d} has no working day")
        return found

    def add_workdays(self, d: date, n: int) -> date:
        """Move ``n`` working days from ``d``; ``d`` itself is never counted.

        ``n > 0`` gives the n-th working day after ``d``, ``n < 0`` the |n|-th
        before it, ``n == 0`` returns ``d`` unchanged (even on a rest day).
        """
        d = _as_date(d)
        step = 1 if n > 0 else -1
        for _ in range(abs(n)):
            d = self._step_to_workday(d + timedelta(days=step), step)
        return d

    def workdays_before(self, d: date, n: int) -> date:
        """The date ``n`` working days before ``d`` (``d`` not counted; n >= 0)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        return self.add_workdays(d, -n)

    # -- hours --------------------------------------------------------------

    def add_working_hours(self, start: datetime, hours: float, day_start: time = DAY_START,
                          day_end: time = DAY_END) -> datetime:
        """The moment ``hours`` working hours after ``start``.

        Only time inside ``[day_start, day_end)`` of working days counts. A
        result landing exactly on a window's end stays there (Friday 17:30,
        not Monday 08:30). ``hours == 0`` returns ``start`` (in Shanghai time).
        """
        _check_window(day_start, day_end)
        if hours < 0:
            raise ValueError(f"hours must be >= 0, got {hours}")
        cursor = _to_shanghai(start)
        remaining = timedelta(hours=hours)
        if not remaining:
            return cursor
        day = cursor.date()
        while True:
            if self.is_workday(day):
                begin = max(cursor, _at(day, day_start))
                available = _at(day, day_end) - begin
                if available > timedelta(0):
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day = self.next_workday(day, inclusive=False)

    def working_hours_between(self, a: datetime, b: datetime, day_start: time = DAY_START,
                              day_end: time = DAY_END) -> float:
        """Working hours from ``a`` to ``b``; negative if ``b`` is before ``a``."""
        _check_window(day_start, day_end)
        a, b = _to_shanghai(a), _to_shanghai(b)
        if b < a:
            return -self.working_hours_between(b, a, day_start, day_end)
        total = timedelta(0)
        day = a.date()
        while day <= b.date():
            if self.is_workday(day):
                begin = max(a, _at(day, day_start))
                end = min(b, _at(day, day_end))
                if end > begin:
                    total += end - begin
            day += timedelta(days=1)
        return total / timedelta(hours=1)


# -- quiet hours ----------------------------------------------------------------


def in_quiet_hours(
    dt: datetime, quiet_start: time = QUIET_START, quiet_end: time = QUIET_END
) -> bool:
    """True if ``dt`` (Shanghai wall time) falls in ``[quiet_start, quiet_end)``.

    The window may cross midnight (21:00-08:00). Equal bounds mean no quiet hours.
    """
    t = _to_shanghai(dt).timetz().replace(tzinfo=None)
    if quiet_start == quiet_end:
        return False
    if quiet_start < quiet_end:
        return quiet_start <= t < quiet_end
    return t >= quiet_start or t < quiet_end


def next_non_quiet(
    dt: datetime, quiet_start: time = QUIET_START, quiet_end: time = QUIET_END
) -> datetime:
    """``dt`` itself if outside quiet hours, else the moment quiet hours end.

    Returns an Asia/Shanghai-aware datetime. Working days are not considered:
    combine with :meth:`WorkCalendar.next_workday` if a message must also wait
    for a working day.
    """
    local = _to_shanghai(dt)
    if not in_quiet_hours(local, quiet_start, quiet_end):
        return local
    day = local.date()
    if quiet_start > quiet_end and local.timetz().replace(tzinfo=None) >= quiet_start:
        day += timedelta(days=1)
    return _at(day, quiet_end)
