"""Period arithmetic, one home for reports, reminders, the ledger and the console."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.shared import periods

TZ = ZoneInfo("Asia/Shanghai")


def test_months_shift_across_year_ends():
    assert periods.shift_month("2026-12", 1) == "2027-01"
    assert periods.shift_month("2027-01", -1) == "2026-12"
    assert periods.shift_month("2026-03", -15) == "2024-12"
    assert periods.previous_month(date(2027, 1, 5)) == "2026-12"


def test_month_parsing_is_strict():
    assert periods.parse_month(" 2026-1 ") == "2026-01"
    assert periods.parse_month("2026-13") is None and periods.parse_month("十二月") is None
    assert periods.split_month("2026-12") == (2026, 12)
    with pytest.raises(ValueError):
        periods.split_month("1999-12")


def test_month_days_and_bounds():
    assert periods.month_days("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    assert periods.month_days("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    start, end = periods.month_bounds("2026-12", TZ)
    assert (start, end) == (datetime(2026, 12, 1, tzinfo=TZ), datetime(2027, 1, 1, tzinfo=TZ))
    assert periods.month_start(datetime(2026, 11, 30, 17, tzinfo=ZoneInfo("UTC")), TZ) == \
        datetime(2026, 12, 1, tzinfo=TZ)


def test_period_keys_and_labels():
    day = date(2026, 12, 28)
    assert [periods.period_key(k, day) for k in ("day", "week", "month", "quarter", "previous_month")] == \
        ["2026-12-28", "2026-W53", "2026-12", "2026-Q4", "2026-11"]
    assert [periods.label(p) for p in ("2026-12", "2026-Q4", "2026-W05", "2026-12-25")] == \
        ["2026年12月", "2026年第4季度", "2026年第5周", "2026年12月25日"]


def test_months_back_and_the_chased_month():
    assert periods.months_back(date(2027, 2, 3), date(2026, 11, 20), 12) == ["2027-02", "2027-01", "2026-12", "2026-11"]
    assert periods.months_back(date(2027, 2, 3), date(2020, 1, 1), 2) == ["2027-02", "2027-01"]
    assert periods.chased_month(date(2026, 12, 5), 10) == "2026-11"
    assert periods.chased_month(date(2026, 12, 11), 10) == "2026-12"
