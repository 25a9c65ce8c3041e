"""Reading points: a deputy's year (total, per kind, every line with its source, the adjustments), the
ranking of deputies filtered by station, level and group, and the yearly table offices publish.

Sums come from SQL (`PointsRepo.kind_sums`, `adjustment_sums`: one GROUP BY each); ranks are given here,
the competition way (equal totals share a rank, the next rank skips: 1, 2, 2, 4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.points.rules import KIND_ORDER, PointKind
from storage.repos.points import DeputyRow
from storage.unit_of_work import UnitOfWork

__all__ = ["Entry", "Filters", "RankRow", "Statement", "Subtotal", "ranking", "statement"]


@dataclass(frozen=True)
class Subtotal:
    kind: PointKind
    count: int  # units: check-ins, people received, opinions, …
    points: int


@dataclass(frozen=True)
class Entry:
    """One line of a deputy's year as shown: a computed line (with its source) or a staff adjustment."""

    day: date
    points: int
    kind: PointKind | None = None  # None: an adjustment
    quantity: int = 1
    capped: bool = False
    ref: str | None = None
    source_type: str | None = None
    source_id: int | None = None
    rule_revision: int | None = None
    reason: str | None = None  # an adjustment's
    adjustment_id: int | None = None


@dataclass(frozen=True)
class Statement:
    deputy: DeputyRow
    year: int
    total: int
    subtotals: tuple[Subtotal, ...]  # the kinds with lines, in the kinds' order
    adjusted: int  # the adjustments' points
    adjustments: int  # how many
    entries: tuple[Entry, ...]  # the newest first
    computed_at: datetime | None


async def statement(uow: UnitOfWork, deputy: DeputyRow, year: int, zone: ZoneInfo) -> Statement:
    """The deputy's year as stored (the caller recomputes first when it wants it fresh)."""
    lines = await uow.points.lines(year, deputy.deputy_id)
    adjustments = await uow.points.adjustments(year, deputy.deputy_id)
    sums: dict[PointKind, tuple[int, int]] = {}
    for line in lines:
        count, points = sums.get(PointKind(line.kind), (0, 0))
        sums[PointKind(line.kind)] = (count + line.quantity, points + line.points)
    entries = [
        Entry(
            line.day,
            line.points,
            PointKind(line.kind),
            line.quantity,
            line.capped,
            line.ref,
            line.source_type,
            line.source_id,
            line.rule_revision,
        )
        for line in lines
    ]
    entries += [
        Entry(a.created_at.astimezone(zone).date(), a.points, reason=a.reason, adjustment_id=a.id)
        for a in adjustments
    ]
    entries.sort(key=lambda e: (e.day, e.adjustment_id is not None), reverse=True)
    adjusted = sum(a.points for a in adjustments)
    return Statement(
        deputy,
        year,
        sum(p for _, p in sums.values()) + adjusted,
        tuple(Subtotal(kind, *sums[kind]) for kind in KIND_ORDER if kind in sums),
        adjusted,
        len(adjustments),
        tuple(entries),
        await uow.points.computed_at(year),
    )


@dataclass(frozen=True)
class Filters:
    level: str | None = None
    station_id: int | None = None
    group_id: int | None = None


@dataclass(frozen=True)
class RankRow:
    rank: int
    deputy: DeputyRow
    stations: tuple[str, ...]
    groups: tuple[str, ...]
    kinds: dict[PointKind, tuple[int, int]]  # kind → (count, points), every kind
    adjusted: int
    adjustments: int
    total: int


async def ranking(uow: UnitOfWork, year: int, filters: Filters = Filters()) -> list[RankRow]:
    """The deputies the filters keep, the highest total first (then by code), ranked among themselves."""
    deputies = await uow.points.deputies(
        level=filters.level, station_id=filters.station_id, group_id=filters.group_id
    )
    kind_sums = await uow.points.kind_sums(year)
    adjustment_sums = await uow.points.adjustment_sums(year)
    ids = [d.deputy_id for d in deputies]
    stations = await uow.points.stations_of(ids) if ids else {}
    groups = await uow.points.groups_of(ids) if ids else {}
    rows: list[tuple[int, DeputyRow, dict[PointKind, tuple[int, int]], tuple[int, int]]] = []
    for deputy in deputies:
        kinds = {kind: kind_sums.get((deputy.deputy_id, kind.value), (0, 0)) for kind in KIND_ORDER}
        count, adjusted = adjustment_sums.get(deputy.deputy_id, (0, 0))
        total = sum(p for _, p in kinds.values()) + adjusted
        rows.append((total, deputy, kinds, (count, adjusted)))
    rows.sort(key=lambda r: (-r[0], r[1].code or "", r[1].deputy_id))
    return [
        RankRow(
            rank,
            deputy,
            tuple(stations.get(deputy.deputy_id, ())),
            tuple(groups.get(deputy.deputy_id, ())),
            kinds,
            adjusted,
            count,
            total,
        )
        for rank, (total, deputy, kinds, (count, adjusted)) in zip(
            _ranks([r[0] for r in rows]), rows, strict=True
        )
    ]


def _ranks(totals: Sequence[int]) -> list[int]:
    """Competition ranks of totals sorted high to low: 10, 8, 8, 5 → 1, 2, 2, 4."""
    ranks: list[int] = []
    for i, total in enumerate(totals):
        ranks.append(ranks[-1] if i and totals[i - 1] == total else i + 1)
    return ranks
