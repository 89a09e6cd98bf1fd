"""Periods as the product names them: months "2026-12", quarters "2026-Q4", ISO weeks "2026-W52",
days "2026-12-25". One home for the arithmetic that reports, reminders, the ledger and the
console share.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def month_of(day: date) -> str:
    """date(2026, 12, 3) -> "2026-12"."""
    return f"{day.year:04d}-{day.month:02d}"


def quarter_of(day: date) -> str:
    """date(2026, 12, 3) -> "2026-Q4"."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def split_month(period: str) -> tuple[int, int]:
    """"2026-12" -> (2026, 12); ValueError on anything else (years 2000..2100)."""
    year, _, month = period.strip().partition("-")
    y, m = int(year), int(month)
    if not (2000 <= y <= 2100 and 1 <= m <= 12):
        raise ValueError(f"bad month {period!r}")
    return y, m


def parse_month(text: str) -> str | None:
    """"2026-12" or "2026-1" -> "2026-12" or "2026-01"; None otherwise."""
    m = MONTH.match(text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"


def shift_month(period: str, months: int) -> str:
    """"2026-12" shifted by 1 -> "2027-01"."""
    year, month = map(int, period.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous_month(day: date) -> str:
    """The month before the one `day` is in."""
    return shift_month(month_of(day), -1)


def month_days(period: str) -> tuple[date, date]:
    """First and last day of a month."""
    year, month = split_month(period)
    first = date(year, month, 1)
    return first, date(*map(int, shift_month(period, 1).split("-")), 1) - timedelta(days=1)


def month_bounds(period: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """A local calendar month as [start, end) aware datetimes."""
    year, month = split_month(period)
    start = datetime(year, month, 1, tzinfo=tz)
    next_year, next_month = map(int, shift_month(period, 1).split("-"))
    return start, datetime(next_year, next_month, 1, tzinfo=tz)


def month_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Midnight of the first day of `now`'s local month."""
    return now.astimezone(tz).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def months_back(today: date, first: date, limit: int) -> list[str]:
    """This month and earlier ones back to `first`'s month, newest first, at most `limit`."""
    result, period, stop = [], month_of(today), month_of(first)
    while len(result) < limit and period >= stop:
        result.append(period)
        period = shift_month(period, -1)
    return result


def period_key(kind: str, day: date) -> str:
    """The period of `kind` (day, week, month, quarter, previous_month) that `day` falls in."""
    if kind == "day":
        return day.isoformat()
    if kind == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if kind == "quarter":
        return quarter_of(day)
    return previous_month(day) if kind == "previous_month" else month_of(day)


def label(period: str) -> str:
    """Any period in Chinese: 2026年12月, 2026年第4季度, 2026年第52周, 2026年12月25日."""
    if "-Q" in period:
        year, quarter = period.split("-Q")
        return f"{year}年第{quarter}季度"
    if "-W" in period:
        year, week = period.split("-W")
        return f"{year}年第{int(week)}周"
    parts = period.split("-")
    if len(parts) == 2:
        return f"{parts[0]}年{int(parts[1])}月"
    return f"{parts[0]}年{int(parts[1])}月{int(parts[2])}日"


def chased_month(today: date, late_window_days: int) -> str:
    """The month the office chases for reports: last month early in a month, else this month."""
    period = month_of(today)
    return shift_month(period, -1) if today.day <= late_window_days else period
