"""The network page's reads: stations, deputies, contact links and handling units, each searchable
by name or code."""

from __future__ import annotations

from dataclasses import dataclass

from bot.console.reads.base import EXPORT_LIMIT, Reads

__all__ = ["NetworkContact", "NetworkDeputy", "NetworkReads", "NetworkStation", "NetworkUnit"]


@dataclass(frozen=True)
class NetworkStation:
    id: int
    code: str
    name: str
    kind: str
    parent: str | None
    deputies: int


@dataclass(frozen=True)
class NetworkDeputy:
    id: int
    code: str | None
    name: str
    level: str
    stations: list[str]
    fields: list[str]
    linked: bool  # has a Telegram account
    load: int
    contacted_by: list[str]


@dataclass(frozen=True)
class NetworkContact:
    tier: str
    source: str
    source_code: str | None
    target: str
    target_code: str | None


@dataclass(frozen=True)
class NetworkUnit:
    code: str
    name: str
    kind: str
    categories: list[str]
    parent: str | None  # the parent unit's code
    officers: list[str]  # names, heads first


class NetworkReads(Reads):
    """The network page's four tabs (and their exports), up to EXPORT_LIMIT rows each."""

    async def network_stations(self, q: str = "") -> list[NetworkStation]:
        rows = await self.uow.console.stations_with_counts(q, limit=EXPORT_LIMIT)
        return [NetworkStation(s.id, s.code, s.name, s.kind, p, n) for s, p, n in rows]

    async def network_deputies(self, q: str = "") -> list[NetworkDeputy]:
        repo = self.uow.console
        rows = await repo.deputies_with_people(q, limit=EXPORT_LIMIT)
        ids = [d.id for d, _p in rows]
        stations = await repo.station_names_of_deputies(ids) if ids else {}
        contacted = await repo.contacted_by(ids) if ids else {}
        load = await self.uow.opinions.open_counts(ids) if ids else {}
        return [
            NetworkDeputy(
                d.id,
                p.code,
                p.name,
                d.level,
                stations.get(d.id, []),
                list(d.fields or []),
                p.telegram_id is not None,
                load.get(d.id, 0),
                contacted.get(d.id, []),
            )
            for d, p in rows
        ]

    async def network_contacts(self, q: str = "") -> list[NetworkContact]:
        rows = await self.uow.console.contact_rows(q, limit=EXPORT_LIMIT)
        return [
            NetworkContact(str(tier), str(sn or cn or ""), sc or cc, str(tn), tc)
            for tier, sn, sc, cn, cc, tn, tc in rows
        ]

    async def network_units(self, q: str = "") -> list[NetworkUnit]:
        """Handling units with their 归口 categories and officers, so staff see who answers what."""
        repo = self.uow.console
        rows = await repo.units_with_parents(q, limit=EXPORT_LIMIT)
        ids = [u.id for u, _p in rows]
        categories = await repo.unit_categories(ids) if ids else {}
        officers = await repo.unit_officer_names(ids) if ids else {}
        return [
            NetworkUnit(u.code, u.name, u.kind, categories.get(u.id, []), p, officers.get(u.id, []))
            for u, p in rows
        ]
