"""The network page's reads: stations, deputies, contact links and handling units, each searchable
by name or code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    """The network page's four tabs, a page at a time (`offset`, `limit`), or up to EXPORT_LIMIT rows for
    an export; `network_count` counts a tab's rows in SQL. A province has 100,000 deputies and 500,000
    links: a page reads its own rows only, and the names beside them by one array of ids."""

    async def network_count(self, tab: str, q: str = "") -> int:
        """How many rows the tab lists for the search `q` (stations, deputies, contacts or units)."""
        repo = self.uow.console
        counts = {
            "stations": repo.count_stations,
            "deputies": repo.count_deputies,
            "contacts": repo.count_contacts,
            "units": repo.count_units,
        }
        return await counts[tab](q)

    async def network_stations(
        self, q: str = "", *, offset: int = 0, limit: int = EXPORT_LIMIT
    ) -> list[NetworkStation]:
        rows = await self.uow.console.stations_with_counts(q, limit=limit, offset=offset)
        return [NetworkStation(s.id, s.code, s.name, s.kind, p, n) for s, p, n in rows]

    async def network_deputies(
        self, q: str = "", *, offset: int = 0, limit: int = EXPORT_LIMIT
    ) -> list[NetworkDeputy]:
        repo = self.uow.console
        rows = await repo.deputies_with_people(q, limit=limit, offset=offset)
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

    async def network_contacts(
        self, q: str = "", *, offset: int = 0, limit: int = EXPORT_LIMIT
    ) -> list[NetworkContact]:
        rows = await self.uow.console.contact_rows(q, limit=limit, offset=offset)
        return [
            NetworkContact(str(tier), str(sn or cn or ""), sc or cc, str(tn), tc)
            for tier, sn, sc, cn, cc, tn, tc in rows
        ]

    async def network_rows(
        self, tab: str, q: str = "", *, offset: int = 0, limit: int = EXPORT_LIMIT
    ) -> list[Any]:
        """The tab's rows (see the four methods above)."""
        reads = {
            "stations": self.network_stations,
            "deputies": self.network_deputies,
            "contacts": self.network_contacts,
            "units": self.network_units,
        }
        return list(await reads[tab](q, offset=offset, limit=limit))

    async def network_units(
        self, q: str = "", *, offset: int = 0, limit: int = EXPORT_LIMIT
    ) -> list[NetworkUnit]:
        """Handling units with their 归口 categories and officers, so staff see who answers what."""
        repo = self.uow.console
        rows = await repo.units_with_parents(q, limit=limit, offset=offset)
        ids = [u.id for u, _p in rows]
        categories = await repo.unit_categories(ids) if ids else {}
        officers = await repo.unit_officer_names(ids) if ids else {}
        return [
            NetworkUnit(u.code, u.name, u.kind, categories.get(u.id, []), p, officers.get(u.id, []))
            for u, p in rows
        ]
