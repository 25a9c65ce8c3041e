"""The demo's clock: moved forward only, and able to say what it read at any earlier real moment."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.runtime.clock import DemoClock


class TestDemoClock:
    def test_moves_forward_only(self) -> None:
        clock = DemoClock()
        with pytest.raises(ValueError, match="forward"):
            clock.advance(timedelta(0))
        with pytest.raises(ValueError, match="forward"):
            clock.advance(timedelta(hours=-1))
        before = clock.now()
        assert clock.advance(timedelta(days=7)) - before >= timedelta(days=7)
        assert clock.advanced == timedelta(days=7)

    def test_a_real_moment_is_shown_as_the_clock_read_it_then(self) -> None:
        clock = DemoClock(timedelta(hours=5))  # started ahead: not counted as moved by a visitor
        assert clock.advanced == timedelta(0)
        before = datetime.now(UTC)
        clock.advance(timedelta(days=1))
        between = datetime.now(UTC)
        time.sleep(0.002)  # the next move is strictly later than `between`
        clock.advance(timedelta(hours=1))
        assert clock.shown(before - timedelta(seconds=1)) == before - timedelta(seconds=1) + timedelta(
            hours=5
        )
        assert clock.offset_at(between) == timedelta(days=1, hours=5)
        assert clock.offset_at(datetime.now(UTC)) == timedelta(days=1, hours=6)
        assert clock.advanced == timedelta(days=1, hours=1)


def test_a_restored_clock_goes_on_with_the_lead_and_shows_old_moments_as_before() -> None:
    clock = DemoClock(timedelta(minutes=-5))
    before = datetime.now(UTC) - timedelta(seconds=1)
    clock.advance(timedelta(days=7))
    again = DemoClock()
    again.restore(clock.saved())
    assert again.offset == clock.offset and again.advanced == clock.advanced == timedelta(days=7)
    assert again.shown(before) == clock.shown(before) == before - timedelta(minutes=5)
    assert abs(again.now() - clock.now()) < timedelta(seconds=1)
