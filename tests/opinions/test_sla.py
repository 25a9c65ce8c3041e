"""SLA: colours at their boundaries, quiet hours across midnight and zones, the escalation ladder."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.opinions.sla import (
    ClockKind,
    FixedClock,
    Ladder,
    SlaPolicy,
    WarningColour,
    accept_deadline,
    answer_deadline,
    auto_close_due,
    colour,
    deliver_at,
    escalation,
    is_quiet,
    ladder_level,
    running_clock,
)

G, Y, RED = WarningColour.GREEN, WarningColour.YELLOW, WarningColour.RED
T0 = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


class TestClocks:
    def test_defaults_and_overrides(self) -> None:
        p = SlaPolicy(
            accept_overrides={"safety": timedelta(hours=2)}, answer_overrides={"safety": timedelta(days=1)}
        )
        assert accept_deadline(p, "water", T0) == T0 + timedelta(hours=24)
        assert answer_deadline(p, "water", T0) == T0 + timedelta(days=7)
        assert accept_deadline(p, "safety", T0) == T0 + timedelta(hours=2)
        assert answer_deadline(p, "safety", T0) == T0 + timedelta(days=1)
        assert answer_deadline(p, None, T0) == T0 + timedelta(days=7)

    def test_auto_close_after_fourteen_days(self) -> None:
        p = SlaPolicy()
        assert not auto_close_due(p, T0, T0 + timedelta(days=14) - timedelta(seconds=1))
        assert auto_close_due(p, T0, T0 + timedelta(days=14))
        assert not auto_close_due(p, None, T0)

    def test_running_clock(self) -> None:
        a, b = T0, T0 + timedelta(days=1)
        assert running_clock("routed", a, b) == (ClockKind.ACCEPT, a)
        assert running_clock("transferred", a, None) == (ClockKind.ACCEPT, a)
        assert running_clock("awaiting_info", a, b) == (ClockKind.ANSWER, b)
        assert running_clock("escalated", a, b) is None
        assert running_clock("answered", a, b) is None

    def test_fixed_clock(self) -> None:
        clock = FixedClock(T0)
        assert clock.now() == T0 == clock.now()
        assert clock.advance(timedelta(hours=1)) == T0 + timedelta(hours=1) == clock.now()
        with pytest.raises(ValueError):
            FixedClock(datetime(2026, 1, 1))


class TestColour:
    window = timedelta(hours=10)
    deadline = T0 + window

    @pytest.mark.parametrize(
        ("now", "expected"),
        [
            (T0, G),
            (T0 + timedelta(hours=8), G),  # exactly 20 % left: not yet "< 20 %"
            (T0 + timedelta(hours=8, microseconds=1), Y),
            (T0 + timedelta(hours=10), Y),  # at the deadline: not yet overdue
            (T0 + timedelta(hours=10, microseconds=1), RED),
            (T0 + timedelta(days=30), RED),
        ],
    )
    def test_boundaries(self, now: datetime, expected: WarningColour) -> None:
        assert colour(self.deadline, self.window, now) is expected

    def test_fraction_is_configurable(self) -> None:
        assert colour(self.deadline, self.window, T0 + timedelta(hours=6), 0.5) is Y


def sh(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    """A Shanghai wall-clock time as UTC (UTC+8, no DST)."""
    return datetime(y, mo, d, h, mi, tzinfo=UTC) - timedelta(hours=8)


class TestQuietHours:
    p = SlaPolicy()

    @pytest.mark.parametrize(
        ("now", "expected"),
        [
            (sh(2026, 3, 2, 21, 59), sh(2026, 3, 2, 21, 59)),
            (sh(2026, 3, 2, 22, 0), sh(2026, 3, 3, 8, 0)),
            (sh(2026, 3, 2, 23, 59), sh(2026, 3, 3, 8, 0)),
            (sh(2026, 3, 3, 0, 0), sh(2026, 3, 3, 8, 0)),
            (sh(2026, 3, 3, 7, 59), sh(2026, 3, 3, 8, 0)),
            (sh(2026, 3, 3, 8, 0), sh(2026, 3, 3, 8, 0)),
            # across a month and a year end
            (sh(2026, 12, 31, 23, 0), sh(2027, 1, 1, 8, 0)),
        ],
    )
    def test_shanghai(self, now: datetime, expected: datetime) -> None:
        assert deliver_at(now, self.p) == expected

    def test_utc_date_differs_from_local_date(self) -> None:
        # 16:30 UTC on 2 March is 00:30 on 3 March in Shanghai: the ping waits until 08:00 on 3 March.
        now = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
        assert is_quiet(now, self.p)
        assert deliver_at(now, self.p) == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)

    def test_urgent_ignores_quiet_hours(self) -> None:
        now = sh(2026, 3, 2, 23, 0)
        assert deliver_at(now, self.p, urgent=True) == now

    def test_other_zone_and_dst(self) -> None:
        p = SlaPolicy(zone="America/New_York")
        # The night clocks spring forward (8 March 2026): 23:00 EST → 08:00 EDT, 8 h later, not 9.
        now = datetime(2026, 3, 8, 4, 0, tzinfo=UTC)  # 23:00 EST on 7 March
        assert deliver_at(now, p) == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
        assert not is_quiet(datetime(2026, 3, 8, 16, 0, tzinfo=UTC), p)

    def test_window_that_does_not_wrap(self) -> None:
        p = SlaPolicy(zone="UTC", quiet_start=time(1, 0), quiet_end=time(5, 0))
        assert not is_quiet(datetime(2026, 3, 2, 0, 59, tzinfo=UTC), p)
        assert deliver_at(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), p) == datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
        assert not is_quiet(datetime(2026, 3, 2, 23, 0, tzinfo=UTC), p)

    def test_naive_datetimes_are_refused(self) -> None:
        with pytest.raises(ValueError):
            deliver_at(datetime(2026, 3, 2, 23, 0), self.p)


class TestLadder:
    p = SlaPolicy(presidium_after=timedelta(days=3))
    ladder = Ladder(10, committee_member_ids=(20, 21), presidium_ids=(30,), special_committee_ids=(5,))

    def test_levels(self) -> None:
        assert ladder_level(G, timedelta(0), self.p) is None
        assert ladder_level(Y, timedelta(0), self.p) == 0
        assert ladder_level(RED, timedelta(days=3) - timedelta(seconds=1), self.p) == 1
        assert ladder_level(RED, timedelta(days=3), self.p) == 2

    def test_rungs(self) -> None:
        assert escalation(self.ladder, 0).to_person_ids == (10,)
        assert escalation(self.ladder, 0).cc_committee_ids == ()
        assert escalation(self.ladder, 1).to_person_ids == (10, 20, 21)
        assert escalation(self.ladder, 1).cc_committee_ids == (5,)
        assert escalation(self.ladder, 2).to_person_ids == (10, 20, 21, 30)

    def test_missing_rungs_are_skipped(self) -> None:
        bare = Ladder(10)
        assert escalation(bare, 2).to_person_ids == (10,)
        assert escalation(Ladder(None), 1).to_person_ids == ()

    def test_special_committee_members_are_copied_from_red(self) -> None:
        ladder = Ladder(
            10,
            committee_member_ids=(20,),
            presidium_ids=(30,),
            special_committee_ids=(5, 6),
            # 40 sits on both committees, 20 is the deputy's committee member, 30 the presidium member.
            special_committee_members=((5, 40), (5, 20), (5, 30), (6, 40), (6, 41)),
        )
        assert escalation(ladder, 0).cc_members == ()  # yellow stays with the deputy
        red = escalation(ladder, 1)
        assert red.to_person_ids == (10, 20)
        assert red.cc_members == ((5, 40), (5, 30), (6, 41))  # 20 has the warning itself; 40 once
        top = escalation(ladder, 2)
        assert top.cc_members == ((5, 40), (6, 41))  # 30 is on the ladder now: the warning, not a copy

    def test_members_of_other_committees_are_not_copied(self) -> None:
        ladder = Ladder(10, special_committee_ids=(5,), special_committee_members=((7, 50), (5, 51)))
        assert escalation(ladder, 1).cc_members == ((5, 51),)
        assert escalation(Ladder(None, special_committee_members=((5, 51),)), 1).cc_members == ()
