"""The roster's calendar: weekly patterns expanded into duty days, ranges, months and local days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.duty.roster import (
    MAX_SPAN_DAYS,
    distinct_days,
    local_today,
    month_grid,
    parse_day,
    parse_rows,
    parse_weekday,
    shift_month,
    weekly_days,
)

TODAY = date(2026, 3, 2)  # a Monday


class TestWeeklyDays:
    def test_every_tuesday_of_a_range_both_ends_included(self) -> None:
        days = weekly_days(1, date(2026, 3, 3), date(2026, 3, 31))
        assert days == [
            date(2026, 3, 3),
            date(2026, 3, 10),
            date(2026, 3, 17),
            date(2026, 3, 24),
            date(2026, 3, 31),
        ]

    def test_starts_on_the_first_such_weekday_after_the_start(self) -> None:
        assert weekly_days(6, date(2026, 3, 2), date(2026, 3, 16)) == [date(2026, 3, 8), date(2026, 3, 15)]

    def test_a_range_without_that_weekday_is_empty(self) -> None:
        assert weekly_days(4, date(2026, 3, 2), date(2026, 3, 5)) == []  # Mon..Thu: no Friday

    def test_one_day_range(self) -> None:
        assert weekly_days(0, TODAY, TODAY) == [TODAY]
        assert weekly_days(1, TODAY, TODAY) == []

    def test_across_a_daylight_saving_change_no_day_is_skipped_or_doubled(self) -> None:
        """Europe moved its clocks on 29 March 2026; calendar days are not moments, so every Sunday is there."""
        days = weekly_days(6, date(2026, 3, 15), date(2026, 4, 12))
        assert days == [
            date(2026, 3, 15),
            date(2026, 3, 22),
            date(2026, 3, 29),
            date(2026, 4, 5),
            date(2026, 4, 12),
        ]
        berlin = ZoneInfo("Europe/Berlin")
        # The same days read back as local days at noon in a zone with DST: unchanged.
        assert [
            local_today(datetime(d.year, d.month, d.day, 12, tzinfo=berlin), berlin) for d in days
        ] == days

    def test_refuses_reversed_and_overlong_ranges_and_bad_weekdays(self) -> None:
        with pytest.raises(ValueError, match="starts after"):
            weekly_days(0, date(2026, 4, 1), date(2026, 3, 1))
        with pytest.raises(ValueError, match="spans over"):
            weekly_days(0, TODAY, TODAY + timedelta(days=MAX_SPAN_DAYS + 1))
        with pytest.raises(ValueError, match="weekday"):
            weekly_days(7, TODAY, TODAY)

    @given(
        st.integers(0, 6),
        st.dates(date(2020, 1, 1), date(2030, 12, 31)),
        st.integers(0, MAX_SPAN_DAYS),
    )
    def test_exactly_the_matching_days_of_the_range(self, weekday: int, start: date, span: int) -> None:
        end = start + timedelta(days=span)
        days = weekly_days(weekday, start, end)
        brute = [
            start + timedelta(days=n)
            for n in range(span + 1)
            if (start + timedelta(days=n)).weekday() == weekday
        ]
        assert days == brute


class TestLocalDays:
    def test_the_local_day_not_the_utc_one(self) -> None:
        shanghai = ZoneInfo("Asia/Shanghai")
        late = datetime(2026, 3, 9, 16, 30, tzinfo=UTC)  # 00:30 on the 10th in Shanghai
        assert late.date() == date(2026, 3, 9) and local_today(late, shanghai) == date(2026, 3, 10)

    def test_months(self) -> None:
        assert shift_month(2026, 12, 1) == (2027, 1) and shift_month(2026, 1, -1) == (2025, 12)
        grid = month_grid(2026, 3)
        assert all(len(week) == 7 for week in grid)
        days = [d for week in grid for d in week if d is not None]
        assert days[0] == date(2026, 3, 1) and days[-1] == date(2026, 3, 31) and len(days) == 31
        assert grid[0][6] == date(2026, 3, 1)  # a Sunday: the week starts on Monday


class TestParsing:
    @pytest.mark.parametrize(
        ("text", "weekday"),
        [
            ("1", 0),
            (2, 1),
            ("tue", 1),
            ("Tuesday", 1),
            ("二", 1),
            ("周二", 1),
            ("星期日", 6),
            ("7", 6),
            (3.0, 2),
        ],
    )
    def test_weekdays(self, text: object, weekday: int) -> None:
        assert parse_weekday(text) == weekday

    @pytest.mark.parametrize("text", ["0", "8", "funday", "", True])
    def test_not_weekdays(self, text: object) -> None:
        assert parse_weekday(text) is None

    def test_days(self) -> None:
        assert (
            parse_day("2026-03-10")
            == parse_day("2026/3/10")
            == parse_day("2026年3月10日")
            == date(2026, 3, 10)
        )
        assert parse_day(date(2026, 3, 10)) == date(2026, 3, 10)
        assert parse_day("2026-02-30") is None and parse_day("10.03.2026") is None

    def test_rows_one_off_and_weekly(self) -> None:
        rows, problems = parse_rows(
            [
                (2, {"station": "V1", "deputy": "D1", "date": "2026-03-05"}),
                (
                    3,
                    {
                        "station": "V1",
                        "deputy": "D2",
                        "weekday": "tue",
                        "from": "2026-02-01",
                        "to": "2026-03-17",
                    },
                ),
            ],
            TODAY,
        )
        assert problems == []
        assert rows[0].days == (date(2026, 3, 5),)
        # The pattern starts in the past: only the days from today on.
        assert rows[1].days == (date(2026, 3, 3), date(2026, 3, 10), date(2026, 3, 17))
        assert len(distinct_days([*rows, rows[0]])) == 4

    def test_row_problems_name_the_row_and_the_field(self) -> None:
        rows, problems = parse_rows(
            [
                (2, {"station": "V1", "date": "2026-03-05"}),
                (3, {"station": "V1", "deputy": "D1", "date": "2026-03-01"}),
                (4, {"station": "V1", "deputy": "D1", "date": "2026-03-05", "weekday": "1"}),
                (5, {"station": "V1", "deputy": "D1", "weekday": "x", "from": "2026-03-05", "to": "soon"}),
                (
                    6,
                    {
                        "station": "V1",
                        "deputy": "D1",
                        "weekday": "1",
                        "from": "2026-04-05",
                        "to": "2026-03-05",
                    },
                ),
                (7, {"station": "V1", "deputy": "D1", "colour": "red", "date": "2026-03-05"}),
                (8, {"station": "V1", "deputy": "D1"}),
                (
                    9,
                    {
                        "station": "V1",
                        "deputy": "D1",
                        "weekday": "1",
                        "from": "2026-01-01",
                        "to": "2026-02-01",
                    },
                ),
            ],
            TODAY,
        )
        assert rows == []
        assert problems == [
            "row 2: missing deputy",
            "row 3: date: 2026-03-01 is in the past",
            "row 4: give a date, or a weekday with from and to, not both",
            "row 5: weekday: not a weekday: 'x' (1-7 from Monday, or mon…sun)",
            "row 5: to: not a date: 'soon' (write 2026-03-10)",
            "row 6: the pattern starts after it ends",
            "row 7: unknown column 'colour' (expected station, deputy, date, weekday, from, to)",
            "row 8: give a date, or a weekday with from and to",
            "row 9: the pattern has no day from today on",
        ]
