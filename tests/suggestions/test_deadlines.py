"""The term: calendar months with end-of-month clamping in the congress's zone, colours, the ladder."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.suggestions.deadlines import (
    DeadlinePolicy,
    ReminderLadder,
    WarningColour,
    add_months,
    deadline,
    extension_problem,
    ladder_level,
    rehandle_deadline,
    reminder,
    suggestion_colour,
    term_problem,
)

G, Y, RED = WarningColour.GREEN, WarningColour.YELLOW, WarningColour.RED


def sh(y: int, mo: int, d: int, h: int = 12, mi: int = 0) -> datetime:
    """A Shanghai wall-clock time as UTC (UTC+8, no DST)."""
    return datetime(y, mo, d, h, mi, tzinfo=UTC) - timedelta(hours=8)


class TestAddMonths:
    @pytest.mark.parametrize(
        ("day", "months", "expected"),
        [
            (date(2026, 1, 31), 3, date(2026, 4, 30)),  # April has 30 days
            (date(2026, 1, 31), 1, date(2026, 2, 28)),
            (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
            (date(2027, 11, 30), 3, date(2028, 2, 29)),
            (date(2027, 11, 29), 3, date(2028, 2, 29)),
            (date(2026, 11, 30), 3, date(2027, 2, 28)),
            (date(2028, 2, 29), 12, date(2029, 2, 28)),
            (date(2026, 8, 31), 6, date(2027, 2, 28)),  # six months for a hard case
            (date(2026, 10, 15), 3, date(2027, 1, 15)),  # across New Year
            (date(2026, 3, 31), 0, date(2026, 3, 31)),
        ],
    )
    def test_calendar_months(self, day: date, months: int, expected: date) -> None:
        assert add_months(day, months) == expected

    @given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)), st.integers(0, 120))
    def test_properties(self, day: date, months: int) -> None:
        result = add_months(day, months)
        assert (result.year - day.year) * 12 + result.month - day.month == months
        last = calendar.monthrange(result.year, result.month)[1]
        assert result.day == min(day.day, last)
        assert result >= day


class TestDeadline:
    def test_three_months_by_default_due_by_the_end_of_the_day(self) -> None:
        term = deadline(sh(2026, 1, 31, 15), 3)
        assert term.due_on == date(2026, 4, 30)
        assert term.due_at == sh(2026, 5, 1, 0)  # midnight ending 30 April, Shanghai

    def test_the_local_day_of_assignment_counts_not_utc(self) -> None:
        """17:00 UTC on 31 January is 01:00 on 1 February in Shanghai: due 1 May, not 30 April."""
        assigned = datetime(2026, 1, 31, 17, 0, tzinfo=UTC)
        assert deadline(assigned, 3).due_on == date(2026, 5, 1)
        assert deadline(assigned, 3, DeadlinePolicy(zone="UTC")).due_on == date(2026, 4, 30)

    def test_leap_year(self) -> None:
        assert deadline(sh(2027, 11, 30), 3).due_on == date(2028, 2, 29)
        assert deadline(sh(2028, 8, 31), 6).due_on == date(2029, 2, 28)

    def test_a_zone_with_daylight_saving(self) -> None:
        policy = DeadlinePolicy(zone="America/New_York")
        term = deadline(datetime(2026, 1, 15, 17, 0, tzinfo=UTC), 3, policy)
        assert term.due_on == date(2026, 4, 15)
        assert term.due_at == datetime(2026, 4, 16, 4, 0, tzinfo=UTC)  # midnight EDT

    def test_naive_datetimes_are_refused(self) -> None:
        with pytest.raises(ValueError):
            deadline(datetime(2026, 1, 31, 12, 0), 3)

    def test_the_default_term_is_the_policys(self) -> None:
        assert deadline(sh(2026, 3, 31)).due_on == date(2026, 6, 30)
        assert deadline(sh(2026, 3, 31), policy=DeadlinePolicy(term_months=2)).due_on == date(2026, 5, 31)

    def test_rehandling_gets_a_new_term_from_the_rating(self) -> None:
        assert rehandle_deadline(sh(2026, 1, 31)).due_on == date(2026, 2, 28)
        assert rehandle_deadline(sh(2026, 1, 31), DeadlinePolicy(rehandle_months=2)).due_on == date(
            2026, 3, 31
        )


class TestTermRules:
    @pytest.mark.parametrize(
        ("months", "reason", "ok"),
        [
            (3, "", True),
            (1, "", True),
            (4, "", False),
            (4, "needs a budget", True),
            (6, "x", True),
            (7, "x", False),
            (0, "", False),
            (-1, "x", False),
            (6, "   ", False),
        ],
    )
    def test_up_to_six_with_a_reason_over_three(self, months: int, reason: str, ok: bool) -> None:
        assert (term_problem(months, reason) is None) == ok

    @pytest.mark.parametrize(
        ("current", "new", "reason", "asked", "ok"),
        [
            (3, 5, "hard", False, True),
            (3, 6, "hard", False, True),
            (3, 7, "hard", False, False),
            (3, 3, "hard", False, False),
            (5, 4, "hard", False, False),
            (3, 5, "", False, False),
            (3, 5, "hard", True, False),  # once per unit
        ],
    )
    def test_extension(self, current: int, new: int, reason: str, asked: bool, ok: bool) -> None:
        assert (extension_problem(current, new, reason, asked_before=asked) is None) == ok


class TestColour:
    term = deadline(sh(2026, 1, 1, 9), 3)  # due by the end of 1 April

    @pytest.mark.parametrize(
        ("now", "expected"),
        [
            (sh(2026, 1, 1, 9), G),
            (sh(2026, 3, 1, 12), G),
            (sh(2026, 3, 14, 12), G),  # 18.5 days left of 90.6: just over a fifth
            (sh(2026, 3, 15, 12), Y),  # 17.5 days left: the last fifth
            (sh(2026, 4, 1, 23, 59), Y),
            (sh(2026, 4, 2, 0, 0), Y),  # at the deadline itself: not yet overdue
            (sh(2026, 4, 2, 0, 1), RED),
        ],
    )
    def test_three_colours(self, now: datetime, expected: WarningColour) -> None:
        assert suggestion_colour(self.term, now) is expected

    def test_yellow_starts_at_a_fifth_of_the_window(self) -> None:
        start = self.term.due_at - self.term.window * 0.2
        assert suggestion_colour(self.term, start) is G
        assert suggestion_colour(self.term, start + timedelta(microseconds=1)) is Y
        assert suggestion_colour(self.term, start, DeadlinePolicy(yellow_fraction=0.5)) is Y


class TestLadder:
    policy = DeadlinePolicy(staff_after=timedelta(days=7))
    ladder = ReminderLadder(
        officer_ids=(1, 2), head_officer_ids=(3,), staff_ids=(9,), committee_member_ids=(7, 2)
    )
    term = deadline(sh(2026, 1, 1, 9), 3)

    def test_levels(self) -> None:
        p = self.policy
        assert ladder_level(G, timedelta(0), p) is None
        assert ladder_level(Y, timedelta(0), p) == 0
        assert ladder_level(RED, timedelta(days=7) - timedelta(seconds=1), p) == 1
        assert ladder_level(RED, timedelta(days=7), p) == 2

    def test_green_reminds_nobody(self) -> None:
        assert reminder(self.ladder, self.term, sh(2026, 2, 1), self.policy) is None

    def test_yellow_the_officers(self) -> None:
        r = reminder(self.ladder, self.term, sh(2026, 3, 20), self.policy)
        assert r is not None and (r.level, r.to_person_ids) == (0, (1, 2))

    def test_red_adds_the_head_officer(self) -> None:
        r = reminder(self.ladder, self.term, sh(2026, 4, 3), self.policy)
        assert r is not None and (r.level, r.to_person_ids) == (1, (1, 2, 3))

    def test_long_red_reaches_staff_and_the_committee_once_each(self) -> None:
        r = reminder(self.ladder, self.term, sh(2026, 4, 9), self.policy)
        assert r is not None and (r.level, r.to_person_ids) == (2, (1, 2, 3, 9, 7))

    def test_a_missing_rung_is_skipped(self) -> None:
        ladder = ReminderLadder(officer_ids=(), head_officer_ids=(), staff_ids=(9,))
        r = reminder(ladder, self.term, sh(2026, 4, 9), self.policy)
        assert r is not None and r.to_person_ids == (9,)

    @pytest.mark.parametrize(
        ("now", "expected"),
        [
            (sh(2026, 4, 3, 21, 59), sh(2026, 4, 3, 21, 59)),
            (sh(2026, 4, 3, 22, 0), sh(2026, 4, 4, 8, 0)),
            (sh(2026, 4, 4, 7, 59), sh(2026, 4, 4, 8, 0)),
        ],
    )
    def test_quiet_hours_as_for_opinions(self, now: datetime, expected: datetime) -> None:
        r = reminder(self.ladder, self.term, now, self.policy)
        assert r is not None and r.send_at == expected
        urgent = reminder(self.ladder, self.term, now, self.policy, urgent=True)
        assert urgent is not None and urgent.send_at == now

    def test_quiet_hours_are_configurable(self) -> None:
        policy = DeadlinePolicy(quiet_start=time(20, 0), quiet_end=time(9, 0))
        r = reminder(self.ladder, self.term, sh(2026, 4, 3, 20, 30), policy)
        assert r is not None and r.send_at == sh(2026, 4, 4, 9, 0)
