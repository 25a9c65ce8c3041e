"""`held_since`: the time an opinion reached its current holder, whatever the holder did after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from bot.opinions.views import held_since

T0 = datetime(2026, 12, 7, 12, 39, tzinfo=UTC)


def event(minutes: int, action: str, from_holder: int | None, to_holder: int | None) -> Any:
    return SimpleNamespace(
        at=T0 + timedelta(minutes=minutes), action=action, from_holder_id=from_holder, to_holder_id=to_holder
    )


def test_the_holders_own_steps_do_not_move_the_time() -> None:
    moves = [
        event(0, "submit", None, None),
        event(0, "route", None, 7),
        event(2, "accept", 7, 7),
        event(5, "ask", 7, 7),
    ]
    assert held_since(moves, 7) == T0


def test_a_transfer_is_when_the_new_holder_got_it() -> None:
    moves = [
        event(0, "route", None, 7),
        event(2, "accept", 7, 7),
        event(9, "transfer", 7, 8),
        event(11, "accept", 8, 8),
    ]
    assert held_since(moves, 8) == T0 + timedelta(minutes=9)


def test_back_with_the_office_after_an_escalation() -> None:
    moves = [event(0, "route", None, 7), event(30, "escalate", 7, None)]
    assert held_since(moves, None) == T0 + timedelta(minutes=30)
    assert held_since([event(0, "submit", None, None)], 7) is None  # never reached: the caller's fallback
