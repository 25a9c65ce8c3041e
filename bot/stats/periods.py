"""The periods /stats offers on its buttons, as local calendar days in the congress's zone (pure).

"This month" on the 1st at 00:30 in Shanghai is the new month, although it is still the previous
day in UTC: the day is taken in the zone first (`local_today`), the month from that day. A period is
a pair of local days, inclusive, as `compute_stats` takes it (None = open).
"""

from __future__ import annotations

import calendar
import enum
from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = ["Period", "Span", "custom_days", "day_number", "local_today", "span_for", "span_of"]

Span = tuple[date | None, date | None]


class Period(enum.StrEnum):
    """A period button; CUSTOM is one typed after /stats, carried on the buttons as its two days."""

    THIS_MONTH = "tm"
    LAST_MONTH = "lm"
    THIS_YEAR = "ty"
    ALL_TIME = "all"
    CUSTOM = "c"


def local_today(now: datetime, zone: ZoneInfo) -> date:
    """The congress's calendar day at `now` (an aware datetime)."""
    return now.astimezone(zone).date()


def _month(year: int, month: int) -> Span:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def span_of(period: Period, today: date) -> Span:
    """The local days of a named period, `today` being the congress's day (not for CUSTOM)."""
    if period is Period.THIS_MONTH:
        return _month(today.year, today.month)
    if period is Period.LAST_MONTH:
        return _month(today.year - 1, 12) if today.month == 1 else _month(today.year, today.month - 1)
    if period is Period.THIS_YEAR:
        return date(today.year, 1, 1), date(today.year, 12, 31)
    if period is Period.ALL_TIME:
        return None, None
    raise ValueError(f"{period} has no fixed span")


def day_number(day: date | None) -> int | None:
    """A day as the 8-digit number a button carries (20260131), None for an open bound."""
    return None if day is None else day.year * 10000 + day.month * 100 + day.day


def custom_days(start: int | None, end: int | None) -> Span | None:
    """A typed period back from a button's numbers; None when they name no real days in order."""
    try:
        days = tuple(None if n is None else date(n // 10000, n // 100 % 100, n % 100) for n in (start, end))
    except ValueError:
        return None
    first, last = days
    if first is not None and last is not None and first > last:
        return None
    return first, last


def span_for(period: Period, today: date, start: int | None = None, end: int | None = None) -> Span | None:
    """The local days a period button names (CUSTOM: its own two days); None for forged days."""
    return custom_days(start, end) if period is Period.CUSTOM else span_of(period, today)
