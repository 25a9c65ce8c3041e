"""Suggestion numbers at the edges of years and sessions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.suggestions.numbering import (
    SeriesKind,
    Session,
    local_day,
    next_number,
    parse_number,
    series_for,
)

SESSION_2026 = Session("17-5", date(2026, 2, 10), date(2026, 2, 14))
# A session that sits across New Year keeps its opening year.
SESSION_WINTER = Session("18-1", date(2026, 12, 29), date(2027, 1, 3))
CALENDAR = (SESSION_2026, SESSION_WINTER)


class TestSeries:
    @pytest.mark.parametrize(
        ("day", "kind", "year", "code"),
        [
            (date(2026, 1, 1), SeriesKind.RECESS, 2026, None),
            (date(2026, 2, 9), SeriesKind.RECESS, 2026, None),  # the day before it opens
            (date(2026, 2, 10), SeriesKind.SESSION, 2026, "17-5"),  # opening day
            (date(2026, 2, 14), SeriesKind.SESSION, 2026, "17-5"),  # closing day, inclusive
            (date(2026, 2, 15), SeriesKind.RECESS, 2026, None),
            (date(2026, 12, 28), SeriesKind.RECESS, 2026, None),
            (date(2026, 12, 31), SeriesKind.SESSION, 2026, "18-1"),
            (date(2027, 1, 3), SeriesKind.SESSION, 2026, "18-1"),  # still the 2026 session's year
            (date(2027, 1, 4), SeriesKind.RECESS, 2027, None),
        ],
    )
    def test_the_series_of_a_day(self, day: date, kind: SeriesKind, year: int, code: str | None) -> None:
        series = series_for(day, CALENDAR)
        assert (series.kind, series.year, series.session_code) == (kind, year, code)

    def test_without_a_calendar_every_day_is_recess(self) -> None:
        assert series_for(date(2026, 2, 12), ()).kind is SeriesKind.RECESS

    def test_overlapping_sessions_are_refused(self) -> None:
        with pytest.raises(ValueError, match="overlap"):
            series_for(date(2026, 2, 14), (SESSION_2026, Session("x", date(2026, 2, 14), date(2026, 2, 20))))
        with pytest.raises(ValueError, match="overlap"):  # on a day neither sits, too
            series_for(date(2026, 6, 1), (Session("x", date(2026, 2, 11), date(2026, 2, 20)), SESSION_2026))
        back_to_back = (SESSION_2026, Session("x", date(2026, 2, 15), date(2026, 2, 20)))
        assert series_for(date(2026, 2, 15), back_to_back).session_code == "x"

    def test_a_session_cannot_close_before_it_opens(self) -> None:
        with pytest.raises(ValueError):
            Session("bad", date(2026, 3, 2), date(2026, 3, 1))


class TestNextNumber:
    def test_first_of_a_year(self) -> None:
        assert next_number(date(2026, 1, 1), CALENDAR, None).number == "S-2026-0001"

    def test_counts_on(self) -> None:
        numbered = next_number(date(2026, 3, 1), CALENDAR, "S-2026-0041")
        assert (numbered.number, numbered.sequence) == ("S-2026-0042", 42)

    def test_new_year_starts_again(self) -> None:
        """The last number of December does not carry into January between sessions."""
        assert next_number(date(2027, 1, 4), CALENDAR, "S-2026-0549").number == "S-2027-0001"
        assert next_number(date(2028, 1, 1), (), "S-2027-0300").number == "S-2028-0001"

    def test_a_session_across_new_year_keeps_counting_its_year(self) -> None:
        numbered = next_number(date(2027, 1, 2), CALENDAR, "S-2026-0549")
        assert numbered.number == "S-2026-0550"
        assert numbered.series.session_code == "18-1"
        # the first recess day after it opens 2027's own series
        assert next_number(date(2027, 1, 4), CALENDAR, None).number == "S-2027-0001"

    def test_session_and_recess_of_one_year_never_repeat_a_number(self) -> None:
        before = next_number(date(2026, 2, 9), CALENDAR, "S-2026-0012")
        during = next_number(date(2026, 2, 10), CALENDAR, before.number)
        after = next_number(date(2026, 2, 15), CALENDAR, during.number)
        assert [before.number, during.number, after.number] == ["S-2026-0013", "S-2026-0014", "S-2026-0015"]
        assert [n.series.kind for n in (before, during, after)] == [
            SeriesKind.RECESS,
            SeriesKind.SESSION,
            SeriesKind.RECESS,
        ]

    def test_past_9999_a_digit_is_added(self) -> None:
        assert next_number(date(2026, 5, 1), (), "S-2026-9999").number == "S-2026-10000"
        assert next_number(date(2026, 5, 1), (), "S-2026-10000").number == "S-2026-10001"

    @pytest.mark.parametrize(
        "bad", ["", "S-26-0001", "s-2026-0001", "S-2026-001", "S-2026-0001 ", "O-2026-0001"]
    )
    def test_a_malformed_last_number_is_refused(self, bad: str) -> None:
        with pytest.raises(ValueError):
            next_number(date(2026, 5, 1), (), bad)

    @given(
        st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
        st.integers(min_value=0, max_value=50_000),
    )
    def test_numbers_parse_back_and_increase(self, day: date, last: int) -> None:
        previous = f"S-{day.year}-{last:04d}" if last else None
        numbered = next_number(day, CALENDAR, previous)
        year, sequence = parse_number(numbered.number)
        assert (year, sequence) == (numbered.series.year, numbered.sequence)
        if numbered.series.year == day.year:
            assert sequence == last + 1
        assert numbered.number.startswith(numbered.series.prefix)


class TestLocalDay:
    def test_the_congress_calendar_decides_the_year(self) -> None:
        """23:30 UTC on 31 December is 07:30 on 1 January in Shanghai: the new year's series."""
        moment = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
        assert local_day(moment) == date(2027, 1, 1)
        assert local_day(moment, "UTC") == date(2026, 12, 31)
        assert local_day(moment - timedelta(hours=8)).year == 2026

    def test_naive_datetimes_are_refused(self) -> None:
        with pytest.raises(ValueError):
            local_day(datetime(2026, 12, 31, 23, 30))
