"""Time sources: the system clock in production, a controllable one in tests and the demo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """Real time plus an offset that tests move forward, so waits still pass but deadlines can be jumped."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> datetime:
        self.offset += delta
        return self.now()


# Where the demo keeps its clock beside the chats (bot/sandbox/store.py's meta table).
CLOCK_KEY = "demo_clock"


class DemoClock(ManualClock):
    """The demo's clock: system time plus an offset a visitor moves forward from the web chat.

    A visitor wants to see a deadline turn yellow and red, reminders climb and the 30-day follow-up
    without waiting for them; time only moves forward, as it does for the bot in production. The
    sandbox stamps messages with real time (as Telegram does); `shown` turns such a stamp into the
    demo time of that moment, so the page's bubbles agree with what the bot writes.
    """

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        super().__init__(offset)
        self._moves: list[tuple[datetime, timedelta]] = []  # (real time of a move, offset after it)
        self._initial = offset

    def advance(self, delta: timedelta) -> datetime:
        if delta <= timedelta(0):
            raise ValueError("the demo clock only moves forward")
        moved = super().advance(delta)
        self._moves.append((datetime.now(UTC), self.offset))
        return moved

    def saved(self) -> dict[str, object]:
        """What a restarted demo needs to go on at the same time and show old bubbles as before."""
        return {
            "initial": self._initial.total_seconds(),
            "moves": [[at.isoformat(), after.total_seconds()] for at, after in self._moves],
        }

    def restore(self, saved: dict[str, object]) -> None:
        """Go on from `saved`: the lead visitors gave the clock survives a restart of the demo."""
        initial = timedelta(seconds=float(saved["initial"]))  # type: ignore[arg-type]
        moves = [
            (datetime.fromisoformat(str(at)), timedelta(seconds=float(after)))
            for at, after in saved["moves"]  # type: ignore[attr-defined]
        ]
        self._initial, self._moves = initial, moves
        self.offset = moves[-1][1] if moves else initial

    @property
    def advanced(self) -> timedelta:
        """How far visitors have moved the clock since the demo started."""
        return self.offset - self._initial

    def offset_at(self, real: datetime) -> timedelta:
        """The offset in force at a real moment: the one after the last move before it."""
        offset = self._initial
        for at, after in self._moves:
            if at > real:
                break
            offset = after
        return offset

    def shown(self, real: datetime) -> datetime:
        """What this clock said at a real moment."""
        return real + self.offset_at(real)
