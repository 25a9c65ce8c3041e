"""The roster's calendar, pure: local days, weekly patterns expanded into duty days, month grids, and the
rows of a roster sheet read and checked one by one (`parse_rows`).

A duty day is a calendar date in the congress's zone (`local_today`), never a moment: a pattern "every
Tuesday from 1 March to 30 June" is date arithmetic, so a daylight-saving change (in a zone that has
one) can neither skip nor double a day.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "MAX_SPAN_DAYS",
    "SHEET_COLUMNS",
    "RosterRow",
    "distinct_days",
    "local_today",
    "month_grid",
    "month_of",
    "parse_day",
    "parse_rows",
    "parse_weekday",
    "shift_month",
    "weekly_days",
]

# A weekly pattern spans at most a year and a bit: a typo'd year (2062) must not make 2,000 rows.
MAX_SPAN_DAYS = 370
# The sheet's columns; a row has `date`, or `weekday` with `from` and `to`.
SHEET_COLUMNS = ("station", "deputy", "date", "weekday", "from", "to")

_WEEKDAYS: dict[str, int] = {}
for _index, _names in enumerate(
    (
        ("mon", "monday", "一", "周一", "星期一"),
        ("tue", "tuesday", "二", "周二", "星期二"),
        ("wed", "wednesday", "三", "周三", "星期三"),
        ("thu", "thursday", "四", "周四", "星期四"),
        ("fri", "friday", "五", "周五", "星期五"),
        ("sat", "saturday", "六", "周六", "星期六"),
        ("sun", "sunday", "日", "天", "周日", "周天", "星期日", "星期天"),
    )
):
    _WEEKDAYS[str(_index + 1)] = _index
    for _name in _names:
        _WEEKDAYS[_name] = _index


def local_today(now: datetime, zone: ZoneInfo) -> date:
    """The congress's calendar day at `now` (rosters are by local day, not UTC)."""
    return now.astimezone(zone).date()


def parse_weekday(value: object) -> int | None:
    """0 (Monday) … 6 (Sunday) from `1`…`7` (Monday first), `tue`, `Tuesday`, `二`, `周二`, `星期二`."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip().lower().rstrip(".")
    return _WEEKDAYS.get(text)


_DAY = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def parse_day(value: object) -> date | None:
    """A date from `2026-03-10`, `2026/3/10`, `2026年3月10日` or a spreadsheet's date cell."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    found = _DAY.match(str(value).strip())
    if found is None:
        return None
    try:
        return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        return None


def weekly_days(weekday: int, start: date, end: date) -> list[date]:
    """Every `weekday` (0 Monday … 6 Sunday) from `start` to `end`, both included.

    Raises:
        ValueError: a weekday out of range, `start` after `end`, or a span over MAX_SPAN_DAYS.
    """
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday {weekday} is not 0..6")
    if start > end:
        raise ValueError("the pattern starts after it ends")
    if (end - start).days > MAX_SPAN_DAYS:
        raise ValueError(f"the pattern spans over {MAX_SPAN_DAYS} days")
    first = start + timedelta(days=(weekday - start.weekday()) % 7)
    return [first + timedelta(weeks=n) for n in range((end - first).days // 7 + 1)] if first <= end else []


def month_of(day: date) -> tuple[int, int]:
    return day.year, day.month


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    """The month `delta` months from (year, month)."""
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def month_grid(year: int, month: int) -> list[list[date | None]]:
    """The month as weeks of seven days, Monday first; days of the months around it are None."""
    return [
        [day if day.month == month else None for day in week]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    ]


@dataclass(frozen=True)
class RosterRow:
    """One checked row of a roster sheet: the station and deputy codes and the days it puts on duty."""

    label: str
    station: str
    deputy: str
    days: tuple[date, ...]


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def parse_rows(
    rows: Iterable[tuple[int, Mapping[str, Any]]], today: date
) -> tuple[list[RosterRow], list[str]]:
    """Check each sheet row on its own: codes present, a date (not past) or a weekday with a range.

    Args:
        rows: (sheet row number, cells by column name) pairs; blank rows already left out.
        today: the congress's local day; days before it are refused (a roster is for days to come).

    Returns:
        the good rows, each with its days expanded, and one problem per bad field, naming the row.
    """
    good: list[RosterRow] = []
    problems: list[str] = []
    for line, cells in rows:
        label = f"row {line}"
        found: list[str] = []
        unknown = sorted(k for k in cells if k not in SHEET_COLUMNS)
        found += [f"unknown column {k!r} (expected {', '.join(SHEET_COLUMNS)})" for k in unknown]
        station, deputy = _text(cells.get("station")), _text(cells.get("deputy"))
        if not station:
            found.append("missing station")
        if not deputy:
            found.append("missing deputy")
        days, trouble = _days_of(cells, today)
        found += trouble
        if found:
            problems += [f"{label}: {p}" for p in found]
            continue
        good.append(RosterRow(f"{label} ({station}, {deputy})", station, deputy, tuple(days)))
    return good, problems


def _days_of(cells: Mapping[str, Any], today: date) -> tuple[list[date], list[str]]:
    """The days one row names, or what is wrong with them."""
    has_date = _text(cells.get("date")) != ""
    has_weekly = any(_text(cells.get(k)) != "" for k in ("weekday", "from", "to"))
    if has_date and has_weekly:
        return [], ["give a date, or a weekday with from and to, not both"]
    if has_date:
        day = parse_day(cells["date"])
        if day is None:
            return [], [f"date: not a date: {_text(cells['date'])!r} (write 2026-03-10)"]
        return ([], [f"date: {day.isoformat()} is in the past"]) if day < today else ([day], [])
    if not has_weekly:
        return [], ["give a date, or a weekday with from and to"]
    problems: list[str] = []
    weekday = parse_weekday(cells.get("weekday", ""))
    if weekday is None:
        problems.append(
            f"weekday: not a weekday: {_text(cells.get('weekday'))!r} (1-7 from Monday, or mon…sun)"
        )
    start, end = parse_day(cells.get("from", "")), parse_day(cells.get("to", ""))
    for name, value in (("from", start), ("to", end)):
        if value is None:
            problems.append(f"{name}: not a date: {_text(cells.get(name))!r} (write 2026-03-10)")
    if problems or weekday is None or start is None or end is None:
        return [], problems
    if start > end:
        return [], ["the pattern starts after it ends"]
    if (end - start).days > MAX_SPAN_DAYS:
        return [], [f"the pattern spans over {MAX_SPAN_DAYS} days"]
    first = max(start, today)
    days = weekly_days(weekday, first, end) if first <= end else []
    return (days, []) if days else ([], ["the pattern has no day from today on"])


def distinct_days(rows: Sequence[RosterRow]) -> set[tuple[str, str, date]]:
    """(station code, deputy code, day) the rows put on duty, each once."""
    return {(row.station, row.deputy, day) for row in rows for day in row.days}
