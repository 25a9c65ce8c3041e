"""The diary's figures for the statistics (bot/stats), derived from registrations, never typed.

Per entry whose local day is in the period (deleted ones left out):
- a **reception** is a station entry with at least one visitor registered, or a legacy entry;
  a **home visit** is a home-visit entry with at least one visitor (an entry opened and left empty
  counts for nothing);
- **people** (visitors received): the visitors registered (a legacy entry: its typed count);
- **matters** registered, of which **resolved** at reception (answered on the spot) and **routed**
  (sent on as opinions);
- **paper**: opinions collected on paper, typed on legacy entries only.
Per deputy who received (an entry staff keep on their own has none: it counts in the totals and its
station only) and per station (home visits have none).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.receptions import DiaryKind
from storage.repos.receptions import EntrySums, ReceptionRepo

__all__ = ["Figures", "figures", "of_entry"]


@dataclass(frozen=True)
class Figures:
    receptions: int = 0
    people: int = 0
    paper: int = 0
    home_visits: int = 0
    matters: int = 0
    resolved: int = 0
    routed: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(a + b for a, b in zip(_values(self), _values(other), strict=True)))


def _values(figures: Figures) -> tuple[int, ...]:
    return (
        figures.receptions,
        figures.people,
        figures.paper,
        figures.home_visits,
        figures.matters,
        figures.resolved,
        figures.routed,
    )


def of_entry(entry: EntrySums) -> Figures:
    """One entry's contribution (see the module docstring)."""
    if entry.legacy:
        return Figures(receptions=1, people=entry.people or 0, paper=entry.paper)
    if entry.visitors == 0:
        return Figures()
    derived = Figures(
        people=entry.visitors,
        matters=entry.resolved + entry.routed,
        resolved=entry.resolved,
        routed=entry.routed,
    )
    if entry.kind == DiaryKind.HOME_VISIT:
        return replace(derived, home_visits=1)
    return replace(derived, receptions=1)


async def figures(
    session: AsyncSession, start: date | None, end: date | None
) -> tuple[dict[int, Figures], dict[int, Figures], Figures]:
    """Per deputy, per station and in all, days start..end inclusive (None: open)."""
    by_deputy: dict[int, Figures] = defaultdict(Figures)
    by_station: dict[int, Figures] = defaultdict(Figures)
    total = Figures()
    # Summed per deputy and station in SQL as `of_entry` counts each entry (ReceptionRepo.entry_totals):
    # a province's 200,000 entries are a few thousand rows here.
    for deputy_id, station_id, *sums in await ReceptionRepo(session).entry_totals(start, end):
        got = Figures(*sums)
        if got == Figures():
            continue
        total += got
        if deputy_id is not None:
            by_deputy[deputy_id] += got
        if station_id is not None:
            by_station[station_id] += got
    return dict(by_deputy), dict(by_station), total
