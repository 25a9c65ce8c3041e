"""Suggestion numbers `S-YYYY-NNNN`: per congress session (会议期间) or per year between sessions (闭会期间).

A suggestion filed while a session of the congress sits belongs to that session's series, and its
year is the year the session opened, even when the session runs past New Year. Between sessions the
series is the calendar year. Both kinds of series in one year count on under the same `S-YYYY-`, so
a number is never issued twice; the series tells statistics which session or recess year a
suggestion belongs to. Days are the congress's local days: callers pass `local_day(...)`.

After 9999 the number simply grows a digit (`S-2026-10000`), so a busy year never wraps.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

__all__ = [
    "Numbered",
    "Series",
    "SeriesKind",
    "Session",
    "local_day",
    "next_number",
    "parse_number",
    "series_for",
]

_NUMBER = re.compile(r"^S-(\d{4})-(\d{4,})$")


@dataclass(frozen=True)
class Session:
    """One sitting of the congress (届次/会议), e.g. code `17-3` for the 3rd session of the 17th congress."""

    code: str
    opens: date
    closes: date  # the last day it sits, inclusive

    def __post_init__(self) -> None:
        if self.closes < self.opens:
            raise ValueError(f"session {self.code} closes before it opens")

    def sits_on(self, day: date) -> bool:
        return self.opens <= day <= self.closes


class SeriesKind(enum.StrEnum):
    SESSION = "session"
    RECESS = "recess"  # 闭会期间


@dataclass(frozen=True)
class Series:
    kind: SeriesKind
    year: int  # the YYYY of its numbers
    session_code: str | None = None

    @property
    def prefix(self) -> str:
        return f"S-{self.year:04d}-"


@dataclass(frozen=True)
class Numbered:
    number: str
    series: Series
    sequence: int


def local_day(moment: datetime, zone: str = "Asia/Shanghai") -> date:
    """The congress's calendar day at an aware moment (a filing at 23:30 UTC on 31 Dec is 1 Jan there)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; pass aware datetimes")
    return moment.astimezone(ZoneInfo(zone)).date()


def series_for(day: date, sessions: Iterable[Session]) -> Series:
    """The session sitting on `day`, else the recess series of `day`'s year.

    A calendar with overlapping sessions is a data error: refused on any day rather than guessed.
    """
    calendar = sorted(sessions, key=lambda s: s.opens)
    for earlier, later in pairwise(calendar):
        if later.opens <= earlier.closes:
            raise ValueError(f"sessions {earlier.code} and {later.code} overlap")
    for session in calendar:
        if session.sits_on(day):
            return Series(SeriesKind.SESSION, session.opens.year, session.code)
    return Series(SeriesKind.RECESS, day.year)


def parse_number(number: str) -> tuple[int, int]:
    """(year, sequence) of `S-YYYY-NNNN`; ValueError on anything else."""
    match = _NUMBER.match(number)
    if match is None:
        raise ValueError(f"not a suggestion number: {number[:32]!r}")
    return int(match.group(1)), int(match.group(2))


def next_number(day: date, sessions: Iterable[Session], last: str | None) -> Numbered:
    """The number for a suggestion filed on `day`.

    Args:
        day: the congress's local day of filing (`local_day`).
        sessions: the sessions calendar.
        last: the highest number issued under this day's prefix (`series_for(...).prefix`), or None. A
            number from another year is ignored, so passing the last number issued overall also works
            at the turn of a year.
    """
    series = series_for(day, sessions)
    sequence = 1
    if last is not None:
        year, seq = parse_number(last)
        if year == series.year:
            sequence = seq + 1
    return Numbered(f"{series.prefix}{sequence:04d}", series, sequence)
