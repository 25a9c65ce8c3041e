"""Routing: which deputy (or the staff triage queue) holds a new opinion, and why.

`route` is pure and works on a `RoutingSnapshot`, so every branch is testable without a database;
`build_snapshot` reads that snapshot from storage. The rules, in order:

1. a deputy linked to the constituent (deputy→constituent contact link): `linked_contact`;
2. at the constituent's station: a deputy on duty today (`station_duty`), else one whose fields
   match the category (`field_match`), else the one with the fewest open opinions (`least_loaded`);
3. no deputy at the station: the same rules at its parent, recursively (`parent_station`);
4. no station, or no deputy up the whole chain: the staff triage queue (`no_station`).

Where several deputies qualify, the least loaded wins and ties go to the lowest id, so the result is
deterministic and load spreads.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repos.network import NetworkRepo
from storage.repos.opinions import OpinionRepo

__all__ = [
    "STAFF_TRIAGE",
    "DeputyInfo",
    "RouteDecision",
    "RouteReason",
    "RoutingSnapshot",
    "StationInfo",
    "build_snapshot",
    "route",
]

STAFF_TRIAGE: None = None  # the holder value meaning "the staff triage queue"
MAX_CHAIN = 50  # station levels followed upwards; more means the tree has a cycle


class RouteReason(enum.StrEnum):
    LINKED_CONTACT = "linked_contact"
    STATION_DUTY = "station_duty"
    FIELD_MATCH = "field_match"
    LEAST_LOADED = "least_loaded"
    PARENT_STATION = "parent_station"
    NO_STATION = "no_station"


@dataclass(frozen=True)
class DeputyInfo:
    deputy_id: int
    fields: frozenset[str] = frozenset()
    open_load: int = 0
    on_duty: bool = False  # on the roster of this station today


@dataclass(frozen=True)
class StationInfo:
    station_id: int
    parent_id: int | None = None
    deputies: tuple[DeputyInfo, ...] = ()


@dataclass(frozen=True)
class RoutingSnapshot:
    """Everything routing looks at, read once so the decision itself is pure."""

    category: str | None
    station_id: int | None
    linked: tuple[DeputyInfo, ...] = ()
    # The constituent's station and its ancestors (others are ignored).
    stations: Mapping[int, StationInfo] = field(default_factory=dict)


@dataclass(frozen=True)
class RouteDecision:
    holder_deputy_id: int | None  # STAFF_TRIAGE (None) = the staff triage queue
    reason: RouteReason
    # For parent_station: the rule that picked the deputy at the ancestor.
    rule: RouteReason | None = None
    field: str | None = None  # the matched field, for field_match
    station_id: int | None = None  # the station whose deputy was picked
    hops: int = 0  # how many parents up

    @property
    def to_triage(self) -> bool:
        return self.holder_deputy_id is None

    @property
    def code(self) -> str:
        """The reason as stored on the opinion, e.g. `field_match:education`, `parent_station:least_loaded`."""
        parts = [self.reason.value]
        if self.rule is not None:
            parts.append(self.rule.value)
        if self.field is not None:
            parts.append(self.field)
        return ":".join(parts)[:64]


def _pick(candidates: Iterable[DeputyInfo]) -> DeputyInfo | None:
    return min(candidates, key=lambda d: (d.open_load, d.deputy_id), default=None)


def _at_station(station: StationInfo, category: str | None) -> tuple[DeputyInfo, RouteReason] | None:
    deputies = station.deputies
    if not deputies:
        return None
    on_duty = _pick(d for d in deputies if d.on_duty)
    if on_duty is not None:
        return on_duty, RouteReason.STATION_DUTY
    if category:
        matched = _pick(d for d in deputies if category in d.fields)
        if matched is not None:
            return matched, RouteReason.FIELD_MATCH
    least = _pick(deputies)
    assert least is not None
    return least, RouteReason.LEAST_LOADED


def route(snapshot: RoutingSnapshot) -> RouteDecision:
    """Exactly one holder for an opinion, with the reason it was chosen."""
    linked = _pick(snapshot.linked)
    if linked is not None:
        return RouteDecision(linked.deputy_id, RouteReason.LINKED_CONTACT)
    station_id, hops, seen = snapshot.station_id, 0, set[int]()
    # `seen` guards against a cycle in bad parent data, which would otherwise loop forever.
    while station_id is not None and station_id not in seen:
        seen.add(station_id)
        station = snapshot.stations.get(station_id)
        if station is None:
            break
        found = _at_station(station, snapshot.category)
        if found is not None:
            deputy, rule = found
            fld = snapshot.category if rule is RouteReason.FIELD_MATCH else None
            if hops == 0:
                return RouteDecision(deputy.deputy_id, rule, field=fld, station_id=station_id)
            return RouteDecision(
                deputy.deputy_id, RouteReason.PARENT_STATION, rule, fld, station_id=station_id, hops=hops
            )
        station_id, hops = station.parent_id, hops + 1
    return RouteDecision(STAFF_TRIAGE, RouteReason.NO_STATION)


async def build_snapshot(
    session: AsyncSession,
    constituent_person_id: int,
    station_id: int | None,
    category: str | None,
    today: dt.date,
) -> RoutingSnapshot:
    """Read the routing inputs: linked deputies, the station chain, its deputies, duty and loads.

    Args:
        today: the congress's local date (the roster is by local day, not UTC).
    """
    linked_rows = await NetworkRepo(session).deputies_linked_to(constituent_person_id)

    repo = OpinionRepo(session)
    if linked_rows:
        # A linked deputy always wins (see `route`): the station's side would not be looked at.
        loads = await repo.open_counts({d for d, _ in linked_rows}) if len(linked_rows) > 1 else {}
        return RoutingSnapshot(
            category=category,
            station_id=station_id,
            linked=tuple(
                DeputyInfo(did, frozenset(f or []), loads.get(did, 0), False) for did, f in linked_rows
            ),
        )

    # The station side in one prepared statement: the station and its ancestors (a recursive query
    # whose depth bound ends a cycle), their deputies, the day's roster and the deputies' loads. Six
    # statements through the ORM session before, ~10 ms at p99 on a province (issue #25).
    chain = await repo.station_side(station_id, MAX_CHAIN, today) if station_id is not None else []
    return RoutingSnapshot(
        category=category,
        station_id=station_id if chain else None,
        stations={
            sid: StationInfo(
                sid,
                parent,
                tuple(
                    DeputyInfo(did, frozenset(fields), load, on_duty)
                    for did, fields, on_duty, load in members
                ),
            )
            for sid, parent, members in chain
        },
    )
