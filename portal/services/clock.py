"""The one owner of calendar arithmetic: today in US Eastern time, months, the start of a day, and the fixed spans.

Every rule counts days in US Eastern time (DESIGN: "timestamps are stored in UTC and shown in US Eastern
time"), so "today" is never the server's local date or the UTC date.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")

# DESIGN rule 5: read-only access lasts six months after the OPT end date.
READ_ONLY_MONTHS = 6
# DESIGN rule 5: a timely STEM extension keeps work authorization for up to 180 days after the OPT end date.
STEM_PENDING_EXTENSION_DAYS = 180
# DESIGN rule 15: STEM confirmations 6, 12, 18 and 24 months after the STEM start.
STEM_CONFIRMATION_MONTHS = (6, 12, 18, 24)
END_OF_TIME = date(9999, 12, 31)


def today_eastern() -> date:
    """Today's date in US Eastern time: the date every rule is counted in."""
    return datetime.now(EASTERN).date()


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), clamped to the month's last day (Aug 31 + 6 months = Feb 28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def start_of_day_utc(day: date) -> datetime:
    """Midnight at the start of ``day`` in US Eastern time, as a UTC datetime (23 or 25 hours long on DST days)."""
    return datetime.combine(day, time.min, tzinfo=EASTERN).astimezone(UTC)


def eastern_date(moment: datetime) -> date:
    """The US Eastern calendar date of a UTC timestamp (naive timestamps are UTC, as the database stores them)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(EASTERN).date()


def long_date(day: date) -> str:
    """A date the way people write it: "March 5, 2026"."""
    return f"{day:%B} {day.day}, {day.year}"


def long_moment(moment: datetime) -> str:
    """A stored timestamp in US Eastern time the way people write it: "March 5, 2026 at 3:45 PM EST"."""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(EASTERN)
    return f"{long_date(local.date())} at {local:%-I:%M %p %Z}"


def days_between(first: date, last: date) -> int:
    """How many calendar days from ``first`` to ``last``, both counted (0 when ``last`` is before ``first``)."""
    return max(0, (last - first).days + 1)


def day_after(day: date) -> date:
    return day + timedelta(days=1)
