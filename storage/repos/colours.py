"""Open opinions' warning colours (三色预警) counted and chosen in SQL, on the same definition as
`bot.opinions.sla.colour` / `bot.opinions.digest.colour_of`.

The running deadline is the accept deadline in the accept clock's states and the answer deadline in the
answer clock's (no deadline, no colour). Red once past it (strictly after); yellow while less than the
yellow share of the category's window is left, i.e. the deadline is before `now + window × share`;
green otherwise. Those edges are computed in Python (exact to the microsecond, as `colour` computes
them) and sent as parameters, one per category with its own window: the database compares each
opinion's deadline with them, and no opinion is loaded to be coloured (the console loaded 250,000 as
objects at a province's size: 6.4 s, against 156 ms for the SQL).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.sql import ColumnElement

from storage.lists import among
from storage.models import Opinion
from storage.models.core import UTCDateTime
from storage.models.opinions import ACCEPT_CLOCK_STATES, ANSWER_CLOCK_STATES, WarningColour
from storage.repos.base import Repo

__all__ = ["ColourClock", "ColourRepo", "colour_of_row"]

_ACCEPTING = sorted(s.value for s in ACCEPT_CLOCK_STATES)
_ANSWERING = sorted(s.value for s in ANSWER_CLOCK_STATES)
_COLOURS = tuple(c.value for c in WarningColour)


@dataclass(frozen=True)
class ColourClock:
    """What the colours need of the SLA policy, at `now` (built by `bot.opinions.sla.colour_clock`)."""

    now: datetime
    accept_within: timedelta
    answer_within: timedelta
    accept_overrides: Mapping[str, timedelta]
    answer_overrides: Mapping[str, timedelta]
    yellow_fraction: float

    def yellow_from(self, window: timedelta) -> datetime:
        """A deadline before this is yellow (or red): less than the yellow share of `window` is left."""
        return self.now + window * self.yellow_fraction

    @property
    def horizon(self) -> datetime:
        """The latest yellow edge of any category (an indexable bound on both deadlines)."""
        windows = [
            self.accept_within,
            self.answer_within,
            *self.accept_overrides.values(),
            *self.answer_overrides.values(),
        ]
        return self.yellow_from(max(windows))


def _at(moment: datetime) -> ColumnElement[datetime]:
    return literal(moment, UTCDateTime())


def _edge(
    clock: ColourClock, default: timedelta, overrides: Mapping[str, timedelta]
) -> ColumnElement[datetime]:
    """The yellow edge of each opinion's category: one parameter per category with its own window."""
    if not overrides:
        return _at(clock.yellow_from(default))
    whens = [(Opinion.category == c, _at(clock.yellow_from(w))) for c, w in sorted(overrides.items())]
    return case(*whens, else_=_at(clock.yellow_from(default)))


def _accepting() -> ColumnElement[bool]:
    return and_(Opinion.state.in_(_ACCEPTING), Opinion.accept_deadline.is_not(None))


def _answering() -> ColumnElement[bool]:
    return and_(Opinion.state.in_(_ANSWERING), Opinion.answer_deadline.is_not(None))


def colour_of_row(clock: ColourClock) -> ColumnElement[str | None]:
    """An opinion's colour now ('green', 'yellow', 'red'), NULL when no clock runs."""
    deadline = case((_accepting(), Opinion.accept_deadline), (_answering(), Opinion.answer_deadline))
    edge = case(
        (_accepting(), _edge(clock, clock.accept_within, clock.accept_overrides)),
        (_answering(), _edge(clock, clock.answer_within, clock.answer_overrides)),
    )
    return case(
        (deadline < _at(clock.now), WarningColour.RED.value),
        (deadline < edge, WarningColour.YELLOW.value),
        (deadline.is_not(None), WarningColour.GREEN.value),
    )


def _running() -> ColumnElement[bool]:
    return Opinion.state.in_(_ACCEPTING + _ANSWERING)


def _before_horizon(clock: ColourClock) -> ColumnElement[bool]:
    """Yellow or red can only be an opinion whose running deadline is before the horizon (indexable)."""
    horizon = _at(clock.horizon)
    return or_(
        and_(Opinion.state.in_(_ACCEPTING), Opinion.accept_deadline < horizon),
        and_(Opinion.state.in_(_ANSWERING), Opinion.answer_deadline < horizon),
    )


class ColourRepo(Repo):
    """Counts and lists of open opinions by their colour now."""

    async def counts(self, clock: ColourClock) -> dict[str, int]:
        """How many open opinions are green, yellow and red now (every colour present, 0 when none)."""
        shaded = select(colour_of_row(clock).label("colour")).where(_running()).subquery()
        rows = await self.session.execute(
            select(shaded.c.colour, func.count())
            .where(shaded.c.colour.is_not(None))
            .group_by(shaded.c.colour)
        )
        found = {str(c): int(n) for c, n in rows.all()}
        return {c: found.get(c, 0) for c in _COLOURS}

    async def counts_by_holder(
        self, clock: ColourClock, deputy_ids: Iterable[int]
    ) -> dict[int, dict[str, int]]:
        """Per deputy of `deputy_ids` (one array parameter), how many of their opinions are yellow and red
        now; deputies with none are absent."""
        ids = sorted(set(deputy_ids))
        if not ids:
            return {}
        shaded = (
            select(Opinion.holder_deputy_id.label("holder"), colour_of_row(clock).label("colour"))
            .where(_before_horizon(clock), among(Opinion.holder_deputy_id, ids))
            .subquery()
        )
        rows = await self.session.execute(
            select(shaded.c.holder, shaded.c.colour, func.count())
            .where(shaded.c.colour.in_([WarningColour.YELLOW.value, WarningColour.RED.value]))
            .group_by(shaded.c.holder, shaded.c.colour)
        )
        out: dict[int, dict[str, int]] = {}
        for holder, shade, n in rows.all():
            out.setdefault(int(holder), {})[str(shade)] = int(n)
        return out

    async def warned(self, clock: ColourClock, *, limit: int) -> Sequence[tuple[Opinion, str]]:
        """The oldest `limit` open opinions that are yellow or red now, with their colour."""
        shade = colour_of_row(clock)
        stmt = (
            select(Opinion, shade)
            .where(_before_horizon(clock), shade.in_([WarningColour.YELLOW.value, WarningColour.RED.value]))
            .order_by(Opinion.id)
            .limit(limit)
        )
        return [(o, str(c)) for o, c in (await self.session.execute(stmt)).all()]
