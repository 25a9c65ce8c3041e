"""Binding a constituent to their deputy or station: deep links, nearest station, shared phone."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from storage.models import (
    ContactLink,
    ContactTier,
    Deputy,
    Person,
    Station,
)
from storage.unit_of_work import UnitOfWork

DEPUTY_PREFIX = "d_"
STATION_PREFIX = "s_"
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def deputy_payload(code: str) -> str:
    """The /start payload of a deputy's personal link (and QR code)."""
    return DEPUTY_PREFIX + code


def station_payload(code: str) -> str:
    return STATION_PREFIX + code


@dataclass(frozen=True)
class Bound:
    """What a binding did: the deputy (if any) and the station the constituent now belongs to."""

    deputy_name: str | None
    station_name: str | None
    already: bool = False


async def bind_by_payload(uow: UnitOfWork, person: Person, payload: str) -> Bound | None:
    """Follow a deep-link payload; None when it names nothing we know (a forged or stale link)."""
    if not _PAYLOAD.match(payload):
        return None
    if payload.startswith(DEPUTY_PREFIX):
        return await bind_to_deputy(uow, person, payload.removeprefix(DEPUTY_PREFIX))
    if payload.startswith(STATION_PREFIX):
        station = await uow.network.station_by_code(payload.removeprefix(STATION_PREFIX))
        if station is None:
            return None
        return await bind_to_station(uow, person, station)
    return None


async def bind_to_deputy(uow: UnitOfWork, person: Person, code: str) -> Bound | None:
    deputy_person = await uow.people.by_code(code)
    if deputy_person is None or deputy_person.deputy is None or deputy_person.id == person.id:
        return None
    existing = await uow.network.link(deputy_person.id, person.id, ContactTier.DEPUTY_CONSTITUENT)
    if existing is None:
        uow.network.add_link(
            ContactLink(
                tier=ContactTier.DEPUTY_CONSTITUENT.value,
                from_person_id=deputy_person.id,
                to_person_id=person.id,
            )
        )
    station = await _first_station(uow, deputy_person.deputy)
    if person.station_id is None and station is not None:
        person.station_id = station.id
    elif station is None and person.station_id is not None:
        station = await uow.network.station(person.station_id)
    await uow.flush()
    await uow.audit.record(
        "binding.deputy", actor_person_id=person.id, object_type="person", object_id=deputy_person.id
    )
    return Bound(deputy_person.name, station.name if station else None, already=existing is not None)


async def _first_station(uow: UnitOfWork, deputy: Deputy) -> Station | None:
    return await uow.network.first_station_of_deputy(deputy.id)


async def bind_to_station(uow: UnitOfWork, person: Person, station: Station) -> Bound:
    already = person.station_id == station.id
    person.station_id = station.id
    await uow.flush()
    await uow.audit.record(
        "binding.station", actor_person_id=person.id, object_type="station", object_id=station.id
    )
    return Bound(None, station.name, already=already)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, a)))


async def nearest_station(uow: UnitOfWork, latitude: float, longitude: float) -> tuple[Station, float] | None:
    """The station closest to a shared location (village stations first: they are where people live)."""
    rows = await uow.network.located_stations()
    best: tuple[Station, float] | None = None
    for station in rows:
        if station.latitude is None or station.longitude is None:
            continue
        d = distance_km(latitude, longitude, station.latitude, station.longitude)
        if best is None or d < best[1]:
            best = (station, d)
    return best


@dataclass(frozen=True)
class Nearest:
    """The station closest to a shared location, and whether it is close enough to bind to."""

    station: Station
    km: float
    within_reach: bool


async def bind_nearest(
    uow: UnitOfWork, person: Person, latitude: float, longitude: float, max_km: float
) -> Nearest | None:
    """Bind to the nearest station, unless even that is more than `max_km` away: a location at 0,0
    (or abroad) would otherwise bind to a station thousands of kilometres off. None: no station has
    a location.

    Args:
        max_km: settings.station_max_km.
    """
    found = await nearest_station(uow, latitude, longitude)
    if found is None:
        return None
    station, km = found
    if km > max_km:
        return Nearest(station, km, within_reach=False)
    await bind_to_station(uow, person, station)
    return Nearest(station, km, within_reach=True)


async def match_phone(uow: UnitOfWork, person: Person, phone: str) -> Person:
    """Link the account to the imported record with this phone; returns the person to use from now on.

    The record keeps its code, links and station; what the temporary record collected (opinions)
    moves over to it. With no matching record the phone is just saved on the person. Raises
    ValueError for a number that is no valid phone number (nothing is saved).
    """
    from bot.network import normalise_phone

    number = normalise_phone(phone, international=True)  # Telegram sends them without the plus
    record = await uow.people.other_by_phone(number, person.id)
    if record is None or record.telegram_id is not None:
        person.phone = number
        await uow.flush()
        return person
    telegram_id = person.telegram_id
    record = await move_account(uow, person, record)
    await uow.audit.record(
        "binding.phone",
        actor_telegram_id=telegram_id,
        actor_person_id=record.id,
        object_type="person",
        object_id=record.id,
    )
    return record


async def move_account(uow: UnitOfWork, person: Person, record: Person) -> Person:
    """Move a Telegram account (and what its temporary person collected) onto an imported record.

    Opinions, timeline entries, subscriptions, contact links and roles follow the account; the
    temporary person is deleted. Returns the record.
    """
    telegram_id, language, telegram_language = person.telegram_id, person.language, person.telegram_language
    await uow.people.hand_over(person.id, record.id)
    for role in person.role_set:
        await uow.people.grant(record, role)
    person.telegram_id = None
    await uow.flush()
    record.telegram_id = telegram_id
    record.language = record.language or language
    record.telegram_language = record.telegram_language or telegram_language
    if record.station_id is None:
        record.station_id = person.station_id
    await uow.people.remove(person)
    return record


async def share_phone(uow: UnitOfWork, person: Person, phone: str) -> Person | None:
    """The constituent shared their own number: link the imported record it matches (if any) and
    mark the number as shared, so deputies see it on opinions they sign. None: the number is no
    valid phone number, and nothing was saved."""
    try:
        found = await match_phone(uow, person, phone)
    except ValueError:
        return None
    found.phone_shared = True
    return found


STATION_LEVEL = 60  # stations listed per level of the picker


@dataclass(frozen=True)
class StationStep:
    """One press in the station picker: the station pressed, and either the level below it to show
    (`children`), or the binding done (`bound`), or nothing to do (`already` bound to it)."""

    station: Station
    children: Sequence[Station] = ()
    bound: bool = False
    already: bool = False


async def walk_stations(
    uow: UnitOfWork, person: Person, station_id: int, *, pick: bool
) -> StationStep | None:
    """Open a station of the picker (its level below, when it has one) or pick it (bind to it).

    None: no such station (forged or stale data)."""
    station = await uow.network.station(station_id)
    if station is None:
        return None
    if pick and person.station_id == station.id:
        return StationStep(station, already=True)
    children = await uow.network.stations_under(station.id, limit=STATION_LEVEL)
    if not pick and children:
        return StationStep(station, children=children)
    await bind_to_station(uow, person, station)
    return StationStep(station, bound=True)


@dataclass(frozen=True)
class StationLevel:
    """One level of the picker: the stations under `parent` (the top level when it is None)."""

    parent: Station | None
    stations: Sequence[Station]


async def level_above(uow: UnitOfWork, station_id: int) -> StationLevel | None:
    """Back from the level under this station: the level it is listed in. None: no such station."""
    station = await uow.network.station(station_id)
    if station is None:
        return None
    parent = await uow.network.station(station.parent_id) if station.parent_id is not None else None
    return StationLevel(parent, await stations_under(uow, parent.id if parent is not None else None))


async def stations_under(uow: UnitOfWork, parent_id: int | None) -> Sequence[Station]:
    """One level of the picker: the top level for None."""
    return await uow.network.stations_under(parent_id, limit=STATION_LEVEL)
