"""Tests for core.workdays: China's working days, working hours, quiet hours."""

from datetime import date, datetime, time, timezone

import chinese_calendar
import pytest

from core.workdays import (
    SHANGHAI,
    WorkCalendar,
    coverage_warning,
    in_quiet_hours,
    missing_years,
    next_non_quiet,
)


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


# -- the library's data, checked rather than assumed ---------------------------


def test_spring_festival_2026_matches_library(cal):
    for day in range(15, 24):
        d = date(2026, 2, day)
        assert chinese_calendar.is_workday(d) is False
        assert cal.is_workday(d) is False, d
    for makeup in (date(2026, 2, 14), date(2026, 2, 28)):
        assert makeup.weekday() == 5  # Saturdays
        assert chinese_calendar.is_workday(makeup) is True
        assert cal.is_workday(makeup) is True
    assert cal.is_workday(date(2026, 2, 24))


def test_spring_festival_2026_navigation(cal):
    assert cal.previous_workday(date(2026, 2, 20)) == date(2026, 2, 14)
    assert cal.next_workday(date(2026, 2, 15)) == date(2026, 2, 24)
    assert cal.next_workday(date(2026, 2, 14)) == date(2026, 2, 14)
    assert cal.next_workday(date(2026, 2, 14), inclusive=False) == date(2026, 2, 24)
    assert cal.add_workdays(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert cal.workdays_before(date(2026, 2, 24), 1) == date(2026, 2, 14)
    assert cal.workdays_before(date(2026, 2, 24), 2) == date(2026, 2, 13)


def test_national_day_2026(cal):
    for day in range(1, 8):
        assert cal.is_workday(date(2026, 10, day)) is False
    assert chinese_calendar.is_workday(date(2026, 10, 10)) is True  # make-up Saturday
    assert cal.is_workday(date(2026, 10, 10)) is True
    assert cal.next_workday(date(2026, 9, 30), inclusive=False) == date(2026, 10, 8)
    assert cal.add_workdays(date(2026, 10, 8), -1) == date(2026, 9, 30)


# -- years the library lacks ---------------------------------------------------


def test_2027_falls_back_to_weekdays_without_raising(cal):
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 3, 1))
    assert cal.is_workday(date(2027, 3, 1)) is True  # Monday
    assert cal.is_workday(date(2027, 3, 6)) is False  # Saturday
    assert cal.next_workday(date(2027, 3, 6)) == date(2027, 3, 8)
    assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 1)  # no 2027 data


def test_missing_years_and_warning():
    assert missing_years([2026, 2027, 2027, 2030]) == [2027, 2030]
    assert missing_years([2024, 2025]) == []
    assert coverage_warning(date(2024, 6, 1)) is None
    warning = coverage_warning(date(2026, 6, 1))
    assert warning is not None and "data for 2027;" in warning
    assert "2027" in coverage_warning(date(2027, 1, 4))
    assert WorkCalendar().missing_years([2027]) == [2027]


# -- overrides -----------------------------------------------------------------


def test_overrides_win_over_library_and_fallback():
    cal = WorkCalendar(
        extra_holidays=[date(2026, 3, 2), date(2027, 2, 8)],
        extra_workdays=[date(2026, 2, 16), date(2027, 2, 6)],
    )
    assert cal.is_workday(date(2026, 3, 2)) is False  # Monday, declared rest
    assert cal.is_workday(date(2026, 2, 16)) is True  # Spring Festival, declared work
    assert cal.is_workday(date(2027, 2, 8)) is False  # fallback year, Monday
    assert cal.is_workday(date(2027, 2, 6)) is True  # fallback year, Saturday
    assert cal.is_workday(datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)) is False


def test_date_both_holiday_and_workday_is_refused():
    with pytest.raises(ValueError, match="2026-03-02"):
        WorkCalendar([date(2026, 3, 2)], [date(2026, 3, 2)])


# -- month ends and counting ---------------------------------------------------


def test_last_workday_of_month_ending_on_weekend(cal):
    assert date(2026, 5, 31).weekday() == 6  # Sunday
    assert cal.last_workday_of_month(2026, 5) == date(2026, 5, 29)
    assert date(2027, 7, 31).weekday() == 5  # Saturday, fallback year
    assert cal.last_workday_of_month(2027, 7) == date(2027, 7, 30)
    assert cal.last_workday_of_month(2026, 9) == date(2026, 9, 30)
    # a make-up Saturday at month end counts
    assert cal.last_workday_of_month(2026, 2) == date(2026, 2, 28)


def test_add_workdays_zero_and_negative_n(cal):
    assert cal.add_workdays(date(2026, 2, 15), 0) == date(2026, 2, 15)
    with pytest.raises(ValueError):
        cal.workdays_before(date(2026, 3, 2), -1)


# -- working hours -------------------------------------------------------------


def test_working_hours_across_weekend(cal):
    friday = sh(2026, 3, 6, 15, 30)
    assert cal.add_working_hours(friday, 4) == sh(2026, 3, 9, 10, 30)
    assert cal.working_hours_between(friday, sh(2026, 3, 9, 10, 30)) == pytest.approx(4)
    # starting on Saturday evening counts from Monday 08:30
    assert cal.add_working_hours(sh(2026, 3, 7, 20), 1.5) == sh(2026, 3, 9, 10)


def test_working_hours_across_holiday(cal):
    start = sh(2026, 9, 30, 16, 30)  # last day before National Day
    assert cal.add_working_hours(start, 3) == sh(2026, 10, 8, 10, 30)
    assert cal.working_hours_between(start, sh(2026, 10, 8, 10, 30)) == pytest.approx(3)
    # the make-up Saturday 2026-10-10 is a working day
    assert cal.add_working_hours(sh(2026, 10, 9, 17), 1) == sh(2026, 10, 10, 9)


def test_working_hours_edges(cal):
    friday_end = sh(2026, 3, 6, 17, 30)
    assert cal.add_working_hours(sh(2026, 3, 6, 8, 30), 9) == friday_end
    assert cal.add_working_hours(friday_end, 0) == friday_end
    utc = datetime(2026, 3, 6, 0, 30, tzinfo=timezone.utc)  # 08:30 in Shanghai
    assert cal.add_working_hours(utc, 1) == sh(2026, 3, 6, 9, 30)
    assert cal.add_working_hours(sh(2026, 3, 6, 9), 1, time(9), time(12)) == sh(2026, 3, 6, 10)
    assert cal.working_hours_between(sh(2026, 3, 9, 12), sh(2026, 3, 6, 12)) == pytest.approx(-9)
    with pytest.raises(ValueError):
        cal.add_working_hours(datetime(2026, 3, 6, 9), 1)  # naive
    with pytest.raises(ValueError):
        cal.add_working_hours(friday_end, -1)


# -- quiet hours ---------------------------------------------------------------


def test_quiet_hours_across_midnight():
    assert in_quiet_hours(sh(2026, 3, 6, 21, 0))
    assert in_quiet_hours(sh(2026, 3, 6, 23, 59))
    assert in_quiet_hours(sh(2026, 3, 7, 0, 0))
    assert in_quiet_hours(sh(2026, 3, 7, 7, 59))
    assert not in_quiet_hours(sh(2026, 3, 7, 8, 0))
    assert not in_quiet_hours(sh(2026, 3, 6, 20, 59))
    assert next_non_quiet(sh(2026, 3, 6, 22, 15)) == sh(2026, 3, 7, 8, 0)
    assert next_non_quiet(sh(2026, 3, 7, 3, 0)) == sh(2026, 3, 7, 8, 0)
    noon = sh(2026, 3, 7, 12, 0)
    assert next_non_quiet(noon) == noon
    # 14:00 UTC is 22:00 in Shanghai
    assert in_quiet_hours(datetime(2026, 3, 6, 14, 0, tzinfo=timezone.utc))


def test_quiet_hours_within_one_day_and_disabled():
    start, end = time(12, 0), time(14, 0)
    assert in_quiet_hours(sh(2026, 3, 6, 13), start, end)
    assert not in_quiet_hours(sh(2026, 3, 6, 14), start, end)
    assert next_non_quiet(sh(2026, 3, 6, 12, 30), start, end) == sh(2026, 3, 6, 14)
    assert not in_quiet_hours(sh(2026, 3, 6, 3), time(8), time(8))
    assert next_non_quiet(sh(2026, 3, 6, 3), time(8), time(8)) == sh(2026, 3, 6, 3)
