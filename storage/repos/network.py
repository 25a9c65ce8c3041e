"""The contact network: stations and their tree, special committees and their members, deputy groups,
and the directed contact links between people."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, insert, literal, select, update
from sqlalchemy.orm.util import identity_key

from storage import fast
from storage.lists import among
from storage.models import (
    ContactLink,
    ContactTier,
    Deputy,
    DeputyGroup,
    DeputyStation,
    GroupMembership,
    Person,
    SpecialCommittee,
    SpecialCommitteeMember,
    Station,
)
from storage.repos.base import Repo

_STATION_NAME = fast.Prepared(
    select(Station.__table__.c.name).where(Station.__table__.c.id == bindparam("station_id"))
)


class NetworkRepo(Repo):
    """Queries over the contact graph, stations, committees and groups."""

    async def station_name(self, station_id: int) -> str | None:
        """From the session when it holds the station, else one statement (no entity loaded)."""
        held = self.session.sync_session.identity_map.get(identity_key(Station, station_id))
        if held is not None:
            return str(held.name)
        return (await fast.run(self.session, _STATION_NAME, {"station_id": station_id})).scalar()

    async def contacts_of(self, person_id: int, tier: ContactTier) -> Sequence[Person]:
        """Who `person_id` contacts on the given tier."""
        rows = await self.session.scalars(
            select(Person)
            .join(ContactLink, ContactLink.to_person_id == Person.id)
            .where(ContactLink.from_person_id == person_id, ContactLink.tier == tier.value)
            .order_by(Person.id)
        )
        return rows.all()

    async def first_contact_of_deputy(self, deputy_id: int, tier: ContactTier) -> int | None:
        """The lowest person id among those who contact the deputy on `tier` (one statement)."""
        found = await fast.run(
            self.session, _FIRST_CONTACT_OF_DEPUTY, {"deputy_id": deputy_id, "tier": tier.value}
        )
        return found.scalar()

    async def deputies_linked_to(self, person_id: int) -> list[tuple[int, list[str] | None]]:
        """(deputy id, fields) of the deputies who contact this constituent directly."""
        return (await fast.run(self.session, _DEPUTIES_LINKED_TO, {"person_id": person_id})).all()  # type: ignore[return-value]

    async def contacted_by(self, person_id: int, tier: ContactTier) -> Sequence[Person]:
        """The people who contact `person_id` on the given tier (one step up the network)."""
        rows = await self.session.scalars(
            select(Person)
            .join(ContactLink, ContactLink.from_person_id == Person.id)
            .where(ContactLink.to_person_id == person_id, ContactLink.tier == tier.value)
            .order_by(Person.id)
        )
        return rows.all()

    async def station_by_code(self, code: str) -> Station | None:
        return await self.session.scalar(select(Station).where(Station.code == code))

    async def stations(self) -> Sequence[Station]:
        return (await self.session.scalars(select(Station).order_by(Station.code))).all()

    async def station_codes(self) -> list[tuple[str, str]]:
        """(code, name) of every station, by code."""
        rows = await self.session.execute(select(Station.code, Station.name).order_by(Station.code))
        return [(code, name) for code, name in rows.all()]

    async def station_names(self, station_ids: Iterable[int]) -> dict[int, str]:
        ids = list(station_ids)
        if not ids:
            return {}
        rows = await self.session.execute(select(Station.id, Station.name).where(among(Station.id, ids)))
        return {k: v for k, v in rows.all()}

    async def stations_under(self, parent_id: int | None, limit: int) -> Sequence[Station]:
        """One level of the station tree by code: the top level for None, else a station's children."""
        parent = Station.parent_id.is_(None) if parent_id is None else Station.parent_id == parent_id
        return (
            await self.session.scalars(select(Station).where(parent).order_by(Station.code).limit(limit))
        ).all()

    async def station(self, station_id: int) -> Station | None:
        return await self.session.get(Station, station_id)

    async def stations_of_deputy(self, deputy_id: int) -> Sequence[Station]:
        """The stations the deputy belongs to, by code."""
        rows = await self.session.scalars(
            select(Station)
            .join(DeputyStation, DeputyStation.station_id == Station.id)
            .where(DeputyStation.deputy_id == deputy_id)
            .order_by(Station.code)
        )
        return rows.all()

    async def located_stations(self) -> Sequence[Station]:
        """The stations with a location (the candidates for the nearest one)."""
        return (await self.session.scalars(select(Station).where(Station.latitude.is_not(None)))).all()

    async def first_station_of_deputy(self, deputy_id: int) -> Station | None:
        """The deputy's first station (in the order they were given)."""
        return await self.session.scalar(
            select(Station)
            .join(DeputyStation, DeputyStation.station_id == Station.id)
            .where(DeputyStation.deputy_id == deputy_id)
            .order_by(DeputyStation.id)
            .limit(1)
        )

    async def link(self, from_person_id: int, to_person_id: int, tier: ContactTier) -> ContactLink | None:
        """The contact link from one person to another on a tier, if there is one."""
        return await self.session.scalar(
            select(ContactLink).where(
                ContactLink.from_person_id == from_person_id,
                ContactLink.to_person_id == to_person_id,
                ContactLink.tier == tier.value,
            )
        )

    def add_link(self, link: ContactLink) -> None:
        """A new contact link, written at the next flush."""
        self.session.add(link)

    async def contacting_on(self, tier: ContactTier) -> set[int]:
        """The people who contact someone on this tier."""
        rows = await self.session.scalars(
            select(ContactLink.from_person_id).where(ContactLink.tier == tier.value).distinct()
        )
        return set(rows.all())

    async def station_subtree(self, root_id: int) -> set[int]:
        """The station and every station below it (a township's villages included)."""
        stations = (await self.session.execute(select(Station.id, Station.parent_id))).all()
        children: dict[int, list[int]] = {}
        for sid, parent in stations:
            if parent is not None:
                children.setdefault(parent, []).append(sid)
        found, todo = {root_id}, [root_id]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    async def committee(self, committee_id: int) -> SpecialCommittee | None:
        return await self.session.get(SpecialCommittee, committee_id)

    async def committees_of_category(self, category: str | None) -> list[int]:
        """The ids of the special committees whose field covers `category`, by id."""
        committees = await self.session.scalars(select(SpecialCommittee).order_by(SpecialCommittee.id))
        return [c.id for c in committees.all() if category and category in (c.categories or [])]

    async def committee_members(self, committee_ids: Sequence[int]) -> list[tuple[int, int]]:
        """(committee id, person id) of the members of these committees, in the order they were added."""
        if not committee_ids:
            return []
        rows = await self.session.execute(
            select(SpecialCommitteeMember.committee_id, SpecialCommitteeMember.person_id)
            .where(among(SpecialCommitteeMember.committee_id, committee_ids))
            .order_by(SpecialCommitteeMember.id)
        )
        return [(c, p) for c, p in rows.all()]

    async def committees_of_person(self, person_id: int) -> list[int]:
        """The ids of the special committees this person sits on, by id."""
        rows = await self.session.scalars(
            select(SpecialCommitteeMember.committee_id)
            .where(SpecialCommitteeMember.person_id == person_id)
            .order_by(SpecialCommitteeMember.committee_id)
        )
        return list(rows.all())

    async def groups(self) -> list[DeputyGroup]:
        return list(await self.session.scalars(select(DeputyGroup).order_by(DeputyGroup.code)))

    async def group_id(self, code: str) -> int | None:
        return await self.session.scalar(select(DeputyGroup.id).where(DeputyGroup.code == code))

    async def group_name(self, code: str) -> str | None:
        return await self.session.scalar(select(DeputyGroup.name).where(DeputyGroup.code == code))

    async def special_committees(self) -> list[SpecialCommittee]:
        return list(await self.session.scalars(select(SpecialCommittee).order_by(SpecialCommittee.code)))

    async def committee_id(self, code: str) -> int | None:
        return await self.session.scalar(select(SpecialCommittee.id).where(SpecialCommittee.code == code))

    async def committee_name(self, code: str) -> str | None:
        return await self.session.scalar(select(SpecialCommittee.name).where(SpecialCommittee.code == code))

    async def station_chain(self, station_id: int, max_depth: int) -> list[tuple[int, int | None]]:
        """(station id, parent id) of the station and its ancestors, nearest first, in one recursive query.

        At most `max_depth` + 1 levels, and a station seen twice ends the chain: a cycle in an
        imported tree cannot loop.
        """
        up = (
            select(Station.id, Station.parent_id, literal(0).label("depth"))
            .where(Station.id == station_id)
            .cte("station_chain", recursive=True)
        )
        up = up.union_all(
            select(Station.id, Station.parent_id, up.c.depth + 1)
            .join(up, Station.id == up.c.parent_id)
            .where(up.c.depth < max_depth)
        )
        chain: list[tuple[int, int | None]] = []
        seen = set[int]()
        for sid, parent in await self.session.execute(select(up.c.id, up.c.parent_id).order_by(up.c.depth)):
            if sid in seen:
                break
            seen.add(sid)
            chain.append((sid, parent))
        return chain

    async def station_members(self, station_ids: Iterable[int]) -> list[tuple[int, int, list[str]]]:
        """(station id, deputy id, fields) of every deputy at these stations."""
        ids = list(station_ids)
        if not ids:
            return []
        rows = await self.session.execute(
            select(DeputyStation.station_id, Deputy.id, Deputy.fields)
            .join(Deputy, Deputy.id == DeputyStation.deputy_id)
            .where(among(DeputyStation.station_id, ids))
        )
        return [(int(sid), int(did), list(fields or [])) for sid, did, fields in rows]

    async def deputy_cards(self, deputy_ids: Iterable[int] | None = None) -> list[DeputyCard]:
        """Name, code and fields of these deputies (of all, for None), by id; no entity loaded."""
        stmt = select(Deputy.id, Person.name, Person.code, Deputy.fields).join(
            Person, Person.id == Deputy.person_id
        )
        if deputy_ids is not None:
            ids = list(deputy_ids)
            if not ids:
                return []
            stmt = stmt.where(among(Deputy.id, ids))
        rows = await self.session.execute(stmt.order_by(Deputy.id))
        return [DeputyCard(int(i), str(name), code, tuple(fields or ())) for i, name, code, fields in rows]

    async def colleagues_of(self, deputy_id: int) -> list[int]:
        """Ids of the other deputies who share a station or a deputy group with this one, ascending."""
        stations = select(DeputyStation.station_id).where(DeputyStation.deputy_id == deputy_id)
        groups = select(GroupMembership.group_id).where(GroupMembership.deputy_id == deputy_id)
        rows = await self.session.scalars(
            select(Deputy.id)
            .where(
                Deputy.id != deputy_id,
                Deputy.id.in_(select(DeputyStation.deputy_id).where(DeputyStation.station_id.in_(stations)))
                | Deputy.id.in_(
                    select(GroupMembership.deputy_id).where(GroupMembership.group_id.in_(groups))
                ),
            )
            .order_by(Deputy.id)
        )
        return [int(i) for i in rows]

    # The network import writes a whole roster at once: each list of ids is one parameter (`among`), so
    # no statement meets the bound-parameter limits of SQLite (32,766) and asyncpg (32,767).

    async def sync_pairs(
        self,
        model: type[DeputyStation] | type[GroupMembership] | type[SpecialCommitteeMember],
        owner: str,
        column: str,
        wanted: dict[int, list[int]],
    ) -> set[int]:
        """Make each owner's rows of a pair table exactly `wanted[owner_id]`; returns the owners touched."""
        table = model.__table__
        own, other = table.c[owner], table.c[column]
        existing: dict[tuple[int, int], int] = {}
        if wanted:
            rows = await self.session.execute(
                select(table.c.id, own, other).where(among(own, sorted(wanted)))
            )
            existing.update({(r[1], r[2]): r[0] for r in rows})
        want = [(owner_id, ref) for owner_id, refs in wanted.items() for ref in refs]
        wanted_keys = set(want)
        gone = {key: row_id for key, row_id in existing.items() if key not in wanted_keys}
        new = [(d, ref) for d, ref in want if (d, ref) not in existing]
        if gone:
            await self.session.execute(delete(table).where(among(table.c.id, list(gone.values()))))
        if new:
            await self.session.execute(insert(table), [{owner: d, column: ref} for d, ref in new])
        return {d for d, _ in gone} | {d for d, _ in new}

    async def sync_links(
        self, from_people: set[int], from_committees: set[int], wanted: dict[LinkKey, str]
    ) -> tuple[int, int, int]:
        """Make the links from these people and committees exactly `wanted` (key → tier).

        Returns:
            (added, removed, re-tiered) link counts.
        """
        existing: dict[LinkKey, tuple[int, str]] = {}
        for source, ids in (
            (ContactLink.from_person_id, from_people),
            (ContactLink.from_committee_id, from_committees),
        ):
            if ids:
                rows = await self.session.execute(
                    select(
                        ContactLink.id,
                        ContactLink.from_person_id,
                        ContactLink.from_committee_id,
                        ContactLink.to_person_id,
                        ContactLink.tier,
                    ).where(among(source, sorted(ids)))
                )
                existing.update({(r[1], r[2], r[3]): (r[0], r[4]) for r in rows})
        gone = [row_id for key, (row_id, _) in existing.items() if key not in wanted]
        if gone:
            await self.session.execute(delete(ContactLink).where(among(ContactLink.id, gone)))
        retiered = 0
        for key, tier in wanted.items():
            if key in existing and existing[key][1] != tier:
                await self.session.execute(
                    update(ContactLink.__table__).where(ContactLink.id == existing[key][0]).values(tier=tier)
                )
                retiered += 1
        new = [
            {"from_person_id": fp, "from_committee_id": fc, "to_person_id": to, "tier": tier}
            for (fp, fc, to), tier in wanted.items()
            if (fp, fc, to) not in existing
        ]
        if new:
            await self.session.execute(insert(ContactLink.__table__), new)
        return len(new), len(gone), retiered

    # -- deputy groups, for a group's joint suggestion (专业小组联名) --------------------------------------

    async def groups_of_deputy(self, deputy_id: int) -> list[DeputyGroup]:
        """The groups this deputy is a member of, by code."""
        rows = await self.session.scalars(
            select(DeputyGroup)
            .join(GroupMembership, GroupMembership.group_id == DeputyGroup.id)
            .where(GroupMembership.deputy_id == deputy_id)
            .order_by(DeputyGroup.code)
        )
        return list(rows.all())

    async def group(self, group_id: int) -> DeputyGroup | None:
        return await self.session.get(DeputyGroup, group_id)

    async def group_member_people(self, group_id: int) -> list[int]:
        """Person ids of the group's members, by deputy id."""
        rows = await self.session.scalars(
            select(Deputy.person_id)
            .join(GroupMembership, GroupMembership.deputy_id == Deputy.id)
            .where(GroupMembership.group_id == group_id)
            .order_by(Deputy.id)
        )
        return [int(i) for i in rows]


@dataclass(frozen=True)
class DeputyCard:
    """What offering a deputy as a choice shows: who, by name and code, and their fields."""

    id: int
    name: str
    code: str | None
    fields: tuple[str, ...]


LinkKey = tuple[int | None, int | None, int]
"""A contact link by its ends: (from person, from committee, to person); one of the first two is None."""


_FIRST_CONTACT_OF_DEPUTY = fast.Prepared(
    select(ContactLink.from_person_id)
    .join(Deputy, Deputy.person_id == ContactLink.to_person_id)
    .where(Deputy.id == bindparam("deputy_id"), ContactLink.tier == bindparam("tier"))
    .order_by(ContactLink.from_person_id)
    .limit(1)
)
_DEPUTIES_LINKED_TO = fast.Prepared(
    select(Deputy.id, Deputy.fields)
    .join(ContactLink, ContactLink.from_person_id == Deputy.person_id)
    .where(
        ContactLink.to_person_id == bindparam("person_id"),
        ContactLink.tier == ContactTier.DEPUTY_CONSTITUENT.value,
    )
)
