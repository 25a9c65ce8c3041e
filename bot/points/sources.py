"""Where points come from: every record a line may cite, read through the points repository as `Source`s
(kind, deputy, which record, its local day, how many units).

Visitors are read in one place, `visitors_received`: one source per diary entry (民情日记, a reception at a
station or a home visit) that a deputy received at, counting the visitors registered in it — or, for an
entry from before registration (`legacy`), its typed count — as bot/receptions/figures.py counts people.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.points.rules import ACTIVITY_KINDS, PointKind, Source, YearSpan
from storage.repos.points import Bounds, SourceRow
from storage.unit_of_work import UnitOfWork

__all__ = ["Visitors", "gather", "visitors_received"]


@dataclass(frozen=True)
class Visitors:
    """The visitors deputies received in a year, one source per record that received them."""

    sources: tuple[Source, ...]

    @property
    def per_deputy(self) -> dict[int, int]:
        """Deputy id → people received in the year."""
        out: dict[int, int] = {}
        for source in self.sources:
            out[source.deputy_id] = out.get(source.deputy_id, 0) + source.quantity
        return out


def _bounds(span: YearSpan) -> Bounds:
    return Bounds(span.first, span.last, span.start, span.end)


async def visitors_received(uow: UnitOfWork, year: int, deputy_ids: Iterable[int] | None = None) -> Visitors:
    """Visitors received in `year` (its local days), per diary entry: its registered visitors (a legacy
    entry's typed count); entries nobody was registered in, and those kept without a deputy, give none."""
    days = Bounds(
        date(year, 1, 1),
        date(year, 12, 31),
        datetime(year, 1, 1, tzinfo=UTC),
        datetime(year + 1, 1, 1, tzinfo=UTC),
    )
    rows = await uow.points.receptions(days, deputy_ids)
    return Visitors(
        tuple(
            Source(
                PointKind.VISITOR,
                r.deputy_id,
                "reception",
                r.source_id,
                _day(r.at, None),
                r.quantity,
                r.station_id,
                r.ref,
            )
            for r in rows
            if r.quantity > 0
        )
    )


def _day(at: date | datetime, zone: ZoneInfo | None) -> date:
    """A source's local day: a day column as it is, an instant in the congress's zone."""
    if isinstance(at, datetime):
        assert zone is not None, "an instant needs the zone"
        return at.astimezone(zone).date()
    return at


def _sources(kind: PointKind, source_type: str, rows: Sequence[SourceRow], zone: ZoneInfo) -> list[Source]:
    return [
        Source(kind, r.deputy_id, source_type, r.source_id, _day(r.at, zone), r.quantity, r.station_id, r.ref)
        for r in rows
    ]


async def gather(
    uow: UnitOfWork, span: YearSpan, today: date, zone: ZoneInfo, deputy_ids: Iterable[int] | None = None
) -> list[Source]:
    """Every source of the year (of these deputies, or all); missed duty days only those before `today`."""
    ids = None if deputy_ids is None else sorted(set(deputy_ids))
    bounds, repo = _bounds(span), uow.points
    found = [
        *_sources(PointKind.DUTY_CHECK_IN, "duty", await repo.check_ins(bounds, ids), zone),
        *(await visitors_received(uow, span.year, ids)).sources,
        *_sources(PointKind.OPINION_ON_TIME, "opinion", await repo.opinions_on_time(bounds, ids), zone),
        *_sources(PointKind.OPINION_SATISFIED, "opinion", await repo.opinions_satisfied(bounds, ids), zone),
        *_sources(PointKind.SUGGESTION_FILED, "suggestion", await repo.suggestions_filed(bounds, ids), zone),
        *_sources(PointKind.DUTY_MISSED, "duty", await repo.missed_duties(bounds, today, ids), zone),
        *_sources(PointKind.OPINION_RED, "opinion", await repo.opinions_red(bounds, ids), zone),
    ]
    for activity, kind in ACTIVITY_KINDS.items():
        found += _sources(kind, "attendance", await repo.attendances(bounds, activity, ids), zone)
    return found
