"""Who a notice reaches: the audience as a key (stored on the notice and in the draft), its recipients
counted from the contact network, and the audience in words.

A key comes back from a button or the chat session, so `parse_audience` trusts nothing: an unknown
kind, level or an over-long name reads as None. A named audience (a station, group or committee) is
resolved when the notice starts, so it reaches whoever belongs to it then.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.kit.i18n import N_, Translator
from bot.runtime.replies import esc
from storage.models import Broadcast, DeputyGroup, DeputyLevel, Role, SpecialCommittee, Station
from storage.repos.broadcasts import Members, Scope, Unreached
from storage.unit_of_work import UnitOfWork

__all__ = [
    "ALL",
    "COMMITTEE",
    "DEPUTIES",
    "GROUP",
    "LEVEL",
    "LEVEL_LABELS",
    "NAMED",
    "PRESIDIUM",
    "SPECIAL",
    "STATION",
    "STATION_DEPUTIES",
    "Audience",
    "Chosen",
    "audience_name",
    "audience_words",
    "choose",
    "describe",
    "groups",
    "members",
    "parse_audience",
    "pick_committee",
    "pick_group",
    "recipients",
    "special_committees",
    "station_by_code",
    "unreachable",
]

ALL = "all"
DEPUTIES = "deputies"
LEVEL = "level"
COMMITTEE = "committee"
PRESIDIUM = "presidium"
STATION = "station"  # constituents of a station and its child stations
STATION_DEPUTIES = "sdep"  # deputies of a station and its child stations
GROUP = "group"  # members of a deputy group
SPECIAL = "scom"  # deputies a special committee contacts
NAMED = (STATION, STATION_DEPUTIES, GROUP, SPECIAL)

LEVEL_LABELS: dict[str, str] = {
    DeputyLevel.NATIONAL: N_("National"),
    DeputyLevel.PROVINCIAL: N_("Provincial"),
    DeputyLevel.PREFECTURE: N_("Prefecture"),
    DeputyLevel.COUNTY: N_("County"),
    DeputyLevel.TOWNSHIP: N_("Township"),
}


@dataclass(frozen=True)
class Audience:
    kind: str
    arg: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.arg}" if self.arg else self.kind


def parse_audience(key: str | None) -> Audience | None:
    """An audience key from a button or the chat session; None for anything else (never trusted)."""
    if not key:
        return None
    kind, _, arg = key.partition(":")
    if kind in (ALL, DEPUTIES, COMMITTEE, PRESIDIUM) and not arg:
        return Audience(kind)
    if kind == LEVEL and arg in LEVEL_LABELS:
        return Audience(kind, arg)
    if kind in NAMED and arg and len(arg) <= 32:
        return Audience(kind, arg)
    return None


def describe(audience: Audience, tr: Translator, name: str | None = None) -> str:
    """The audience in words (HTML-safe); `name` is the station's, group's or committee's name."""
    named = esc(name or audience.arg)
    if audience.kind == DEPUTIES:
        return tr("All deputies")
    if audience.kind == LEVEL:
        return tr("{level} deputies", level=tr(LEVEL_LABELS[audience.arg]))
    if audience.kind == COMMITTEE:
        return tr("Standing-committee members")
    if audience.kind == PRESIDIUM:
        return tr("Presidium")
    if audience.kind == STATION:
        return tr("Constituents of {station}", station=named)
    if audience.kind == STATION_DEPUTIES:
        return tr("Deputies of {station} and its stations below", station=named)
    if audience.kind == GROUP:
        return tr("Deputy group {group}", group=named)
    if audience.kind == SPECIAL:
        return tr("Deputies in contact with {committee}", committee=named)
    return tr("Everyone with a Telegram account")


async def station_by_code(uow: UnitOfWork, code: str) -> Station | None:
    """A station by its code as typed (codes are often typed in lower case)."""
    station = await uow.network.station_by_code(code)
    if station is None and code != code.upper():
        station = await uow.network.station_by_code(code.upper())
    return station


async def audience_name(uow: UnitOfWork, audience: Audience) -> str | None:
    """The name of the station, group or committee an audience names; None if it is gone."""
    if audience.kind in (STATION, STATION_DEPUTIES):
        station = await uow.network.station_by_code(audience.arg)
        return station.name if station else None
    if audience.kind == GROUP:
        return await uow.network.group_name(audience.arg)
    if audience.kind == SPECIAL:
        return await uow.network.committee_name(audience.arg)
    return None


async def audience_words(uow: UnitOfWork, broadcast: Broadcast, tr: Translator) -> str:
    """A stored notice's audience in words (an unreadable key reads as everyone, as it was sent)."""
    audience = parse_audience(broadcast.audience) or Audience(ALL)
    return describe(audience, tr, await audience_name(uow, audience))


async def groups(uow: UnitOfWork) -> list[DeputyGroup]:
    return await uow.network.groups()


async def special_committees(uow: UnitOfWork) -> list[SpecialCommittee]:
    return await uow.network.special_committees()


async def members(uow: UnitOfWork, audience: Audience) -> Members | None:
    """Who the audience holds, in storage terms; None when the station, group or committee it names
    is gone."""
    if audience.kind == DEPUTIES:
        return Members(Scope.DEPUTIES)
    if audience.kind == LEVEL:
        return Members(Scope.DEPUTIES, level=audience.arg)
    if audience.kind in (COMMITTEE, PRESIDIUM):
        role = Role.COMMITTEE_MEMBER if audience.kind == COMMITTEE else Role.PRESIDIUM
        return Members(Scope.ROLE, role=role.value)
    if audience.kind in (STATION, STATION_DEPUTIES):
        station = await uow.network.station_by_code(audience.arg)
        if station is None:
            return None
        stations = tuple(await uow.network.station_subtree(station.id))  # a township's villages included
        scope = Scope.DEPUTIES_AT if audience.kind == STATION_DEPUTIES else Scope.CONSTITUENTS_AT
        return Members(scope, stations)
    if audience.kind == GROUP:
        group_id = await uow.network.group_id(audience.arg)
        return None if group_id is None else Members(Scope.GROUP, (group_id,))
    if audience.kind == SPECIAL:
        committee_id = await uow.network.committee_id(audience.arg)
        return None if committee_id is None else Members(Scope.COMMITTEE, (committee_id,))
    return Members(Scope.EVERYONE)


async def recipients(uow: UnitOfWork, audience: Audience) -> list[int]:
    """The Telegram ids of the audience (people without one cannot be reached), each once, in order.

    Empty when the station, group or committee it names is gone.
    """
    found = await members(uow, audience)
    return [] if found is None else await uow.broadcasts.reach(found)


async def unreachable(uow: UnitOfWork, audience: Audience) -> list[Unreached]:
    """The audience's members without a Telegram account yet, by name (for the office's list)."""
    found = await members(uow, audience)
    return [] if found is None else await uow.broadcasts.unreached(found)


@dataclass(frozen=True)
class Chosen:
    """An audience the sender picked, as stored (a typed station code in its canonical case), with its
    recipients counted now and the name of what it names (None for the fixed audiences)."""

    audience: Audience
    count: int
    name: str | None
    unreachable: int = 0  # members without a Telegram account yet

    def words(self, tr: Translator) -> str:
        return describe(self.audience, tr, self.name)


async def choose(uow: UnitOfWork, audience: Audience) -> Chosen | None:
    """The picked audience counted; None when a typed station code names no station."""
    if audience.kind in (STATION, STATION_DEPUTIES):
        station = await station_by_code(uow, audience.arg)
        if station is None:
            return None
        audience = Audience(audience.kind, station.code)
    found = await members(uow, audience)
    count = 0 if found is None else len(await uow.broadcasts.reach(found))
    missing = 0 if found is None else await uow.broadcasts.count_unreached(found)
    return Chosen(audience, count, await audience_name(uow, audience), missing)


async def pick_group(uow: UnitOfWork, group_id: int) -> Audience | None:
    """A deputy group picked from a list by id, as an audience by its code; None if it is gone."""
    code = await uow.broadcasts.group_code(group_id)
    return None if code is None else Audience(GROUP, code)


async def pick_committee(uow: UnitOfWork, committee_id: int) -> Audience | None:
    """A special committee picked from a list by id, as an audience by its code; None if it is gone."""
    code = await uow.broadcasts.committee_code(committee_id)
    return None if code is None else Audience(SPECIAL, code)
