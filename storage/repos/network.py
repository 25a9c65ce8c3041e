"""The contact network: stations and their tree, special committees and their members, deputy groups,
and the directed contact links between people."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm.util import identity_key

from storage import fast
from storage.models import (
    ContactLink,
    ContactTier,
    Deputy,
    DeputyGroup,
    DeputyStation,
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
        rows = await self.session.execute(select(Station.id, Station.name).where(Station.id.in_(ids)))
        return {k: v for k, v in rows.all()}

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
            .where(SpecialCommitteeMember.committee_id.in_(committee_ids))
            .order_by(SpecialCommitteeMember.id)
        )
        return [(c, p) for c, p in rows.all()]

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
