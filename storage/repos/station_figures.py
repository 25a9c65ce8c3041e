"""The stations' work counted in SQL: duty visits, receptions and their visitors and matters, opinions.

Every figure is a sum over one "facts" relation: the UNION ALL of one row per checked-in duty day, one per
reception diary entry (with its visitors and matters counted per entry) and one per opinion received,
each row carrying its deputy, its station and its local year and putting its contributions in its own
columns (zeros in the others). A breakdown is then one GROUP BY over the facts — by deputy (names
joined), by station, by township (the station's nearest township ancestor, found by one recursive query
over the station tree) or by year — so no row is loaded and no id list is sent back.

What the counts mean (which opinion sources are "from receptions", which verdicts resolve a problem) is
the caller's, given as `Counting`: the definitions live once, in bot/stats/stations.py.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    literal_column,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import aliased

from storage.models import Deputy, Opinion, Person, Station
from storage.models.core import StationKind
from storage.models.opinions import Duty
from storage.models.receptions import DiaryKind, MatterOutcome, Reception, ReceptionMatter, ReceptionVisitor
from storage.repos.base import Repo

__all__ = ["COUNT_FIELDS", "Counting", "FigureRow", "Grouping", "StationFiguresRepo"]

# The station tree is a few levels deep (home → township → village); a cycle in an imported tree stops here.
MAX_DEPTH = 8

COUNT_FIELDS = (
    "duty_visits",
    "receptions",
    "home_visits",
    "visitors",
    "matters_registered",
    "resolved_at_reception",
    "matters_routed",
    "opinions_collected",
    "opinions_from_receptions",
    "opinions_direct",
    "opinions_resolved",
)


class Grouping(enum.StrEnum):
    TOTAL = "total"
    DEPUTY = "deputy"  # the deputy on duty / who received / who holds the opinion now
    STATION = "station"
    TOWNSHIP = "township"  # the station's nearest township ancestor (itself, for a township station)
    YEAR = "year"  # the local year of the duty day, the entry's day, the opinion's receipt


@dataclass(frozen=True)
class Counting:
    """The definitions the counts follow, given by the statistics (bot/stats/stations.py)."""

    reception_sources: tuple[str, ...]  # an opinion's `source` when a reception diary registered it
    resolved_state: str  # an opinion resolved is in this state …
    resolved_verdicts: tuple[str, ...]  # … with one of these verdicts (`satisfaction`)


@dataclass(frozen=True)
class FigureRow:
    """One row of counts: its key (None: no deputy, no station, not in a township), code and name."""

    key: Any
    code: str | None
    name: str | None
    counts: dict[str, int]


def _zero() -> ColumnElement[int]:
    return literal_column("0", Integer)


def _one() -> ColumnElement[int]:
    return literal_column("1", Integer)


def _year_of_day(column: Any) -> ColumnElement[int]:
    return cast(extract("year", column), Integer)


def _year_of_moment(column: Any, year_starts: Sequence[tuple[int, datetime]]) -> ColumnElement[int]:
    """The local year of a UTC moment: the last year whose first instant (UTC, given) it is not before."""
    if not year_starts:
        return cast(null(), Integer)
    ordered = sorted(year_starts)
    whens = [(column < ordered[i + 1][1], literal(ordered[i][0], Integer)) for i in range(len(ordered) - 1)]
    if not whens:
        return literal(ordered[0][0], Integer)
    return case(*whens, else_=literal(ordered[-1][0], Integer))


def _columns(**given: ColumnElement[Any]) -> list[ColumnElement[Any]]:
    """The facts' columns in their one order, zeros where a part has nothing to add."""
    keys = ("deputy_id", "station_id", "year")
    return [given[k].label(k) for k in keys] + [given.get(k, _zero()).label(k) for k in COUNT_FIELDS]


def _in_days(query: Select[Any], column: Any, start: date | None, end: date | None) -> Select[Any]:
    if start is not None:
        query = query.where(column >= start)
    if end is not None:
        query = query.where(column <= end)
    return query


def _facts(
    counting: Counting,
    start: date | None,
    end: date | None,
    since: datetime | None,
    until: datetime | None,
    year_starts: Sequence[tuple[int, datetime]],
) -> Any:
    """One row per duty visit, per diary entry and per opinion received in the period (see the module)."""
    duty = _in_days(
        select(
            *_columns(
                deputy_id=Duty.deputy_id,
                station_id=Duty.station_id,
                year=_year_of_day(Duty.date),
                duty_visits=_one(),
            )
        ).where(Duty.checked_in_at.is_not(None)),
        Duty.date,
        start,
        end,
    )

    # The visitors and matters of the period's entries only: a month reads a month's (by the entries' day).
    bounded = start is not None or end is not None
    entries = _in_days(select(Reception.id), Reception.day, start, end)
    visitors = (
        select(ReceptionVisitor.reception_id.label("rid"), func.count(ReceptionVisitor.id).label("n"))
        .where(ReceptionVisitor.reception_id.in_(entries) if bounded else true())
        .group_by(ReceptionVisitor.reception_id)
        .subquery("entry_visitors")
    )
    resolved = case((ReceptionMatter.outcome == MatterOutcome.RESOLVED.value, 1), else_=0)
    routed = case((ReceptionMatter.outcome == MatterOutcome.ROUTED.value, 1), else_=0)
    matters = (
        select(
            ReceptionMatter.reception_id.label("rid"),
            func.sum(resolved).label("resolved"),
            func.sum(routed).label("routed"),
        )
        .where(ReceptionMatter.reception_id.in_(entries) if bounded else true())
        .group_by(ReceptionMatter.reception_id)
        .subquery("entry_matters")
    )
    n = func.coalesce(visitors.c.n, 0)
    legacy = Reception.legacy == true()
    registered = and_(~legacy, n > 0)
    n_resolved, n_routed = func.coalesce(matters.c.resolved, 0), func.coalesce(matters.c.routed, 0)
    diary = _in_days(
        select(
            *_columns(
                deputy_id=Reception.deputy_id,
                station_id=Reception.station_id,
                year=_year_of_day(Reception.day),
                # An entry from before registration keeps its typed count and is a reception whatever it is.
                receptions=case(
                    (legacy, 1), (and_(registered, Reception.kind == DiaryKind.STATION.value), 1), else_=0
                ),
                home_visits=case(
                    (and_(registered, Reception.kind == DiaryKind.HOME_VISIT.value), 1), else_=0
                ),
                visitors=case((legacy, func.coalesce(Reception.people, 0)), else_=n),
                matters_registered=n_resolved + n_routed,
                resolved_at_reception=n_resolved,
                matters_routed=n_routed,
            )
        )
        .select_from(Reception)
        .outerjoin(visitors, visitors.c.rid == Reception.id)
        .outerjoin(matters, matters.c.rid == Reception.id)
        .where(Reception.deleted_at.is_(None)),
        Reception.day,
        start,
        end,
    )

    from_reception = Opinion.source.in_(counting.reception_sources)
    opinions = select(
        *_columns(
            deputy_id=Opinion.holder_deputy_id,
            station_id=Opinion.station_id,
            year=_year_of_moment(Opinion.created_at, year_starts),
            opinions_collected=_one(),
            opinions_from_receptions=case((from_reception, 1), else_=0),
            opinions_direct=case((from_reception, 0), else_=1),
            opinions_resolved=case(
                (
                    and_(
                        Opinion.state == counting.resolved_state,
                        Opinion.satisfaction.in_(counting.resolved_verdicts),
                    ),
                    1,
                ),
                else_=0,
            ),
        )
    )
    if since is not None:
        opinions = opinions.where(Opinion.created_at >= since)
    if until is not None:
        opinions = opinions.where(Opinion.created_at < until)
    # Summed per deputy, station and year before the union: a province's million opinions become a few
    # thousand rows in an aggregate PostgreSQL may run in parallel, and the union's own grouping is small.
    each = opinions.subquery("opinion_facts")
    keys = (each.c.deputy_id, each.c.station_id, each.c.year)
    opinions = select(*keys, *(func.sum(each.c[k]).label(k) for k in COUNT_FIELDS)).group_by(*keys)
    return union_all(duty, diary, opinions).subquery("station_facts")


def _township_of() -> Any:
    """(station id, township id): each station's nearest township, itself included, in one recursive
    query over the tree; a station under no township has no row."""
    up = aliased(Station)
    chain = select(
        Station.id.label("station_id"),
        Station.id.label("ancestor_id"),
        Station.parent_id.label("parent_id"),
        Station.kind.label("kind"),
        literal_column("0", Integer).label("depth"),
    ).cte("township_chain", recursive=True)
    chain = chain.union_all(
        select(chain.c.station_id, up.id, up.parent_id, up.kind, chain.c.depth + 1)
        .join(up, up.id == chain.c.parent_id)
        # Climbing stops at the first township: at most one row of each station is a township.
        .where(chain.c.kind != StationKind.TOWNSHIP.value, chain.c.depth < MAX_DEPTH)
    )
    return (
        select(chain.c.station_id.label("station_id"), chain.c.ancestor_id.label("township_id"))
        .where(chain.c.kind == StationKind.TOWNSHIP.value)
        .subquery("township_of")
    )


class StationFiguresRepo(Repo):
    async def opinion_span(
        self, since: datetime | None, until: datetime | None
    ) -> tuple[datetime | None, datetime | None]:
        """The first and last receipt of the opinions received in [since, until) (None, None: none)."""
        query = select(func.min(Opinion.created_at), func.max(Opinion.created_at))
        if since is not None:
            query = query.where(Opinion.created_at >= since)
        if until is not None:
            query = query.where(Opinion.created_at < until)
        first, last = (await self.session.execute(query)).one()
        return first, last

    async def counts(
        self,
        grouping: Grouping,
        counting: Counting,
        *,
        days: tuple[date | None, date | None],
        moments: tuple[datetime | None, datetime | None],
        year_starts: Sequence[tuple[int, datetime]] = (),
    ) -> list[FigureRow]:
        """The counts in one row, or one row per key of the grouping (see `breakdowns`)."""
        found = await self.breakdowns(
            (grouping,), counting, days=days, moments=moments, year_starts=year_starts
        )
        return found[grouping]

    async def breakdowns(
        self,
        groupings: Sequence[Grouping],
        counting: Counting,
        *,
        days: tuple[date | None, date | None],
        moments: tuple[datetime | None, datetime | None],
        year_starts: Sequence[tuple[int, datetime]] = (),
    ) -> dict[Grouping, list[FigureRow]]:
        """Each grouping's rows (one row for TOTAL), all in one statement: the facts are summed once per
        deputy, station and year, and every grouping adds those sums up (a province's million opinions are
        read once, not once per grouping).

        Args:
            days: local days start..end inclusive (duty days, diary entries; None: open).
            moments: [since, until) in UTC, the same days' bounds (opinions by receipt; None: open).
            year_starts: (year, its first instant in UTC) for every local year an opinion of the period
                may fall in (the zone's calendar is the caller's; SQLite has no zones).
        """
        facts = _facts(counting, *days, *moments, year_starts)
        keys = (facts.c.deputy_id, facts.c.station_id, facts.c.year)
        grouped = (
            select(*keys, *(func.sum(facts.c[k]).label(k) for k in COUNT_FIELDS))
            .group_by(*keys)
            .cte("grouped")
        )
        parts = [_breakdown(grouping, grouped) for grouping in groupings]
        query = parts[0] if len(parts) == 1 else union_all(*parts)
        out: dict[Grouping, list[FigureRow]] = {g: [] for g in groupings}
        for row in (await self.session.execute(query)).mappings():
            out[Grouping(row["grouping"])].append(
                FigureRow(
                    key=row["key"],
                    code=row["code"],
                    name=row["name"],
                    counts={k: int(row[k] or 0) for k in COUNT_FIELDS},
                )
            )
        return out


def _breakdown(grouping: Grouping, grouped: Any) -> Select[Any]:
    """One grouping's rows over the facts summed per deputy, station and year: (grouping, key, code, name,
    counts…); counted first, named after — the names join the groups (100,000 deputies), not the facts."""
    sums = [func.coalesce(func.sum(grouped.c[k]), 0).label(k) for k in COUNT_FIELDS]
    tag = literal(grouping.value, String()).label("grouping")

    def named(counted: Any, code: Any, name: Any) -> list[Any]:
        return [
            tag,
            counted.c.key,
            code.label("code"),
            name.label("name"),
            *(counted.c[k] for k in COUNT_FIELDS),
        ]

    if grouping is Grouping.DEPUTY:
        counted = select(grouped.c.deputy_id.label("key"), *sums).group_by(grouped.c.deputy_id).subquery()
        return (
            select(*named(counted, Person.code, Person.name))
            .outerjoin(Deputy, Deputy.id == counted.c.key)
            .outerjoin(Person, Person.id == Deputy.person_id)
        )
    if grouping is Grouping.STATION:
        counted = select(grouped.c.station_id.label("key"), *sums).group_by(grouped.c.station_id).subquery()
        return select(*named(counted, Station.code, Station.name)).outerjoin(
            Station, Station.id == counted.c.key
        )
    if grouping is Grouping.TOWNSHIP:
        township = _township_of()
        counted = (
            select(township.c.township_id.label("key"), *sums)
            .select_from(grouped)
            .outerjoin(township, township.c.station_id == grouped.c.station_id)
            .group_by(township.c.township_id)
            .subquery()
        )
        place = aliased(Station)
        return select(*named(counted, place.code, place.name)).outerjoin(place, place.id == counted.c.key)
    nothing = cast(null(), String())
    if grouping is Grouping.YEAR:
        return select(
            tag, grouped.c.year.label("key"), nothing.label("code"), nothing.label("name"), *sums
        ).group_by(grouped.c.year)
    return select(
        tag, cast(null(), Integer).label("key"), nothing.label("code"), nothing.label("name"), *sums
    )
