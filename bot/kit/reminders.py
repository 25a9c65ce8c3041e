"""What the reminder sweeps of opinions and suggestions share: when a ladder's rungs begin, when the
sweep looks at a row again, and the loop that drains the rows whose time has come.

Each clocked row carries an indexed `next_warning_at`: the instant its next rung begins, filled
whenever its clock starts, changes or stops, and None once no rung is left. A sweep asks the database
only for rows whose `next_warning_at` has come (locked, skipping rows another sweep holds), so the
number of rows it reads is the number of warnings due, however many rows are overdue and already
warned. Reading the oldest N overdue rows and skipping the warned ones in Python instead starved every
newer row once N were stuck (issue #25: 500 stuck, 250,000 overdue, three sweeps, 500 warnings).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

__all__ = ["RETRY", "TICK", "colour_rung_starts", "drain", "next_rung_at", "rearm"]

# Yellow and red begin strictly after their boundary (`bot.opinions.sla.colour`: at the deadline
# itself it is still yellow), so a rung's first instant is the boundary plus the smallest step.
TICK = timedelta(microseconds=1)
# Never leave a row due now: the sweep would take it again at once.
RETRY = timedelta(minutes=1)

Row = TypeVar("Row")
Out = TypeVar("Out")


def colour_rung_starts(
    deadline: datetime, window: timedelta, yellow_fraction: float, top_after: timedelta
) -> tuple[datetime, datetime, datetime]:
    """When the three rungs of a 三色预警 ladder begin: yellow (under `yellow_fraction` of the window
    left), red (past the deadline), and red for `top_after` (the ladder's top rung)."""
    return deadline - window * yellow_fraction + TICK, deadline + TICK, deadline + top_after


def next_rung_at(starts: Sequence[datetime], warned: int) -> datetime | None:
    """When the next rung begins, `warned` rungs (0 none) having been warned: the earliest start among
    the rungs above; None when every rung has been warned."""
    return min(starts[max(warned, 0) :], default=None)


def rearm(after: datetime | None, now: datetime) -> datetime | None:
    """`after` as the row's next look, but never now or earlier (see `RETRY`)."""
    return after if after is None or after > now else now + RETRY


async def drain(
    take: Callable[[int], Awaitable[Sequence[Row]]],
    handle: Callable[[Row], Awaitable[Sequence[Out]]],
    flush: Callable[[], Awaitable[None]],
    key: Callable[[Row], Hashable],
    *,
    batch: int,
    most: int | None = None,
) -> list[tuple[Row, Sequence[Out]]]:
    """Handle the due rows, `take(n)` giving at most n at a time, until none is left that this sweep
    has not seen, or `most` rows have been handled.

    `handle` moves a row's `next_warning_at` on (or clears it); `flush` writes the batch, so the next
    `take` no longer finds it. A row `take` returns twice (its handling could not move it) is not
    handled again: the loop ends instead of spinning. With `most`, one sweep's transaction (and the row
    locks it holds) stays bounded; what is left is still due, earliest first, for the next sweep, so
    nothing starves. Returns each handled row with what it produced, rows that produced nothing left out.
    """
    out: list[tuple[Row, Sequence[Out]]] = []
    seen: set[Hashable] = set()
    while most is None or len(seen) < most:
        size = batch if most is None else min(batch, most - len(seen))
        rows = [row for row in await take(size) if key(row) not in seen]
        if not rows:
            break
        for row in rows:
            seen.add(key(row))
            produced = await handle(row)
            if produced:
                out.append((row, produced))
        await flush()
    return out
