"""The clock: US Eastern days (23 or 25 hours long on the DST changes), today, and month arithmetic."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from portal.services.clock import add_months, eastern_date, start_of_day_utc, today_eastern

D = date.fromisoformat


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        ("2025-03-08", 24),
        ("2025-03-09", 23),
        ("2025-11-02", 25),
        ("2025-11-03", 24),
        ("2024-03-10", 23),
        ("2024-11-03", 25),
    ],
)
def test_a_day_is_23_or_25_hours_long_on_the_dst_changes(day, hours):
    start = start_of_day_utc(D(day))
    assert start_of_day_utc(D(day) + timedelta(days=1)) - start == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("day", "utc_midnight"),
    [
        ("2025-03-09", "2025-03-09T05:00"),
        ("2025-03-10", "2025-03-10T04:00"),
        ("2025-11-02", "2025-11-02T04:00"),
        ("2025-11-03", "2025-11-03T05:00"),
    ],
)
def test_the_start_of_a_dst_day_is_eastern_midnight(day, utc_midnight):
    assert start_of_day_utc(D(day)) == datetime.fromisoformat(utc_midnight).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("utc", "eastern_day"),
    [
        ("2025-03-09T05:30", "2025-03-09"),  # 00:30 EST on the spring-forward day
        ("2025-03-09T04:59", "2025-03-08"),  # 23:59 EST the evening before
        ("2025-03-10T03:30", "2025-03-09"),  # 23:30 EDT, the same (23-hour) day
        ("2025-11-02T04:30", "2025-11-02"),  # 00:30 EDT on the fall-back day
        ("2025-11-02T03:59", "2025-11-01"),  # 23:59 EDT the evening before
        ("2025-11-03T04:30", "2025-11-02"),  # 23:30 EST, the same (25-hour) day
    ],
)
def test_today_is_the_eastern_date_at_half_past_midnight_on_dst_days(utc, eastern_day):
    moment = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        assert today_eastern() == D(eastern_day)
    assert eastern_date(moment) == D(eastern_day)
    assert eastern_date(moment.replace(tzinfo=None)) == D(eastern_day)  # naive timestamps are UTC


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2023-08-31", 6, "2024-02-29"),
        ("2024-08-31", 6, "2025-02-28"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2024-02-29", 6, "2024-08-29"),
        ("2025-03-31", 6, "2025-09-30"),
        ("2025-12-31", 2, "2026-02-28"),
    ],
)
def test_month_arithmetic_clamps_to_the_month_s_last_day(day, months, expected):
    assert add_months(D(day), months) == D(expected)
