"""What only the staff console reads: filtered and searched lists over opinions, the network, notices
and the audit log, with the names and counts its pages show beside them.

Read-only; the console's one write (reassigning an opinion) goes through the opinion lifecycle and its
repositories like the chat does. Searches match substrings case-insensitively with LIKE's wildcards
taken literally, so "%" or "_" typed into a search box find themselves.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from storage.lists import among
from storage.models import (
    AuditEntry,
    Broadcast,
    BroadcastStatus,
    ContactLink,
    Deputy,
    DeputyStation,
    Opinion,
    OpinionAttachment,
    OutboxMessage,
    OutboxStatus,
    Person,
    SpecialCommittee,
    Station,
    Unit,
    UnitCategory,
    UnitOfficer,
)
from storage.repos.base import Repo
from storage.repos.colours import ColourClock, colour_of_row

__all__ = ["ConsoleRepo", "OpinionQuery"]


def _like(column: Any, text: str) -> Any:
    """Case-insensitive substring match with LIKE wildcards in the text taken literally."""
    return func.lower(column).contains(text.lower(), autoescape=True)


@dataclass(frozen=True)
class OpinionQuery:
    """Which opinions a list shows; every field given narrows it (None: no condition)."""

    states_in: Collection[str] | None = None
    states_not_in: Collection[str] | None = None
    station_id: int | None = None
    category: str | None = None
    unheld: bool = False  # held by no deputy (the staff triage queue)
    holder_deputy_id: int | None = None
    text: str = ""  # in the tracking number or the opinion's text
    colour: str | None = None  # its warning colour at `colour_clock`'s moment (both or neither)
    colour_clock: ColourClock | None = None


class ConsoleRepo(Repo):
    """The console's own queries (see the module docstring); everything else it reads through the
    aggregates' repositories."""

    # -- names and filter choices -------------------------------------------------------------------

    async def person_names(self, person_ids: Collection[int]) -> dict[int, str]:
        """Person id -> name."""
        if not person_ids:
            return {}
        rows = await self.session.execute(select(Person.id, Person.name).where(among(Person.id, person_ids)))
        return {int(i): str(n) for i, n in rows.all()}

    async def station_choices(self) -> list[tuple[int, str, str]]:
        """(id, code, name) of every station, by code."""
        rows = await self.session.execute(
            select(Station.id, Station.code, Station.name).order_by(Station.code)
        )
        return [(int(i), str(c), str(n)) for i, c, n in rows.all()]

    async def deputy_choices(self) -> list[tuple[int, str, str | None]]:
        """(id, name, code) of every deputy, by code."""
        rows = await self.session.execute(
            select(Deputy.id, Person.name, Person.code)
            .join(Person, Person.id == Deputy.person_id)
            .order_by(Person.code, Deputy.id)
        )
        return [(int(i), str(n), c) for i, n, c in rows.all()]

    async def categories(self) -> list[str]:
        """Every category an opinion has, sorted."""
        rows = await self.session.scalars(select(Opinion.category).distinct())
        return sorted(str(c) for c in rows.all() if c)

    async def load_deputy(self, person: Person) -> None:
        """Load the person's deputy record now, so a view reading it does no lazy IO (the console's
        reassignment redraws the previous holder's card)."""
        await self.session.refresh(person, ["deputy"])

    async def deputy_id_by_code(self, code: str) -> int | None:
        """The deputy whose person has this code (a constituent's code finds nothing)."""
        found = await self.session.scalar(
            select(Deputy.id).join(Person, Person.id == Deputy.person_id).where(Person.code == code)
        )
        return int(found) if found is not None else None

    # -- opinions -----------------------------------------------------------------------------------

    async def opinion_count(self, *, states: Collection[str] | None = None, unheld: bool = False) -> int:
        """How many opinions (in these states; held by nobody, if `unheld`)."""
        stmt = select(func.count()).select_from(Opinion)
        if states is not None:
            stmt = stmt.where(Opinion.state.in_(sorted(states)))
        if unheld:
            stmt = stmt.where(Opinion.holder_deputy_id.is_(None))
        return int(await self.session.scalar(stmt) or 0)

    def _opinions(self, q: OpinionQuery) -> Select[tuple[Opinion]]:
        stmt = select(Opinion)
        if q.states_not_in is not None:
            stmt = stmt.where(Opinion.state.not_in(sorted(q.states_not_in)))
        if q.states_in is not None:
            stmt = stmt.where(Opinion.state.in_(sorted(q.states_in)))
        if q.station_id is not None:
            stmt = stmt.where(Opinion.station_id == q.station_id)
        if q.category is not None:
            stmt = stmt.where(Opinion.category == q.category)
        if q.unheld:
            stmt = stmt.where(Opinion.holder_deputy_id.is_(None))
        elif q.holder_deputy_id is not None:
            stmt = stmt.where(Opinion.holder_deputy_id == q.holder_deputy_id)
        if q.text:
            stmt = stmt.where(or_(_like(Opinion.tracking_no, q.text), _like(Opinion.text, q.text)))
        if q.colour is not None and q.colour_clock is not None:
            stmt = stmt.where(colour_of_row(q.colour_clock) == q.colour)
        return stmt

    async def find_opinions(self, q: OpinionQuery, *, limit: int, offset: int = 0) -> Sequence[Opinion]:
        """The matching opinions, newest first."""
        stmt = self._opinions(q).order_by(Opinion.id.desc()).limit(limit).offset(offset)
        return (await self.session.scalars(stmt)).all()

    async def count_opinions(self, q: OpinionQuery) -> int:
        """How many opinions match."""
        found = self._opinions(q).subquery()
        return int(await self.session.scalar(select(func.count()).select_from(found)) or 0)

    async def attachment_count(self, opinion_id: int) -> int:
        """How many files the opinion has."""
        found = await self.session.scalar(
            select(func.count())
            .select_from(OpinionAttachment)
            .where(OpinionAttachment.opinion_id == opinion_id)
        )
        return int(found or 0)

    async def anonymous_senders(self, opinion_ids: Collection[int]) -> list[tuple[int, int]]:
        """(opinion id, sender's person id) of those of these opinions that are anonymous."""
        if not opinion_ids:
            return []
        found = await self.session.execute(
            select(Opinion.id, Opinion.sender_person_id).where(
                among(Opinion.id, opinion_ids), Opinion.anonymous.is_(True)
            )
        )
        return [(int(opinion_id), int(sender)) for opinion_id, sender in found.all()]

    # -- the network --------------------------------------------------------------------------------

    async def stations_with_counts(
        self, q: str, *, limit: int, offset: int = 0
    ) -> list[tuple[Station, str | None, int]]:
        """(station, its parent's name, how many deputies it has), by code; `q` in the name or code."""
        parent = aliased(Station)
        count = (
            select(func.count())
            .select_from(DeputyStation)
            .where(DeputyStation.station_id == Station.id)
            .scalar_subquery()
        )
        stmt = (
            select(Station, parent.name, count)
            .outerjoin(parent, parent.id == Station.parent_id)
            .where(*self._station_match(q))
            .order_by(Station.code)
            .offset(offset)
            .limit(limit)
        )
        return [(s, p, int(n or 0)) for s, p, n in (await self.session.execute(stmt)).all()]

    @staticmethod
    def _station_match(q: str) -> list[ColumnElement[bool]]:
        return [or_(_like(Station.name, q), _like(Station.code, q))] if q else []

    async def count_stations(self, q: str) -> int:
        """How many stations `stations_with_counts` lists in all (one COUNT)."""
        stmt = select(func.count()).select_from(Station).where(*self._station_match(q))
        return int(await self.session.scalar(stmt) or 0)

    async def deputies_with_people(
        self, q: str, *, limit: int, offset: int = 0
    ) -> list[tuple[Deputy, Person]]:
        """(deputy, person) by the person's code; `q` in the name or code."""
        stmt = (
            select(Deputy, Person)
            .join(Person, Person.id == Deputy.person_id)
            .where(*self._person_match(q))
            # `code || ''`: PostgreSQL sorts the deputies found by the join, where `code` alone made it walk
            # the index of every person's code (1.1 million at a province's size, 0.8 s) to find them.
            .order_by(Person.code.concat(""), Deputy.id)
            .offset(offset)
            .limit(limit)
        )
        return [(d, p) for d, p in (await self.session.execute(stmt)).all()]

    @staticmethod
    def _person_match(q: str) -> list[ColumnElement[bool]]:
        return [or_(_like(Person.name, q), _like(Person.code, q))] if q else []

    async def count_deputies(self, q: str) -> int:
        """How many deputies `deputies_with_people` lists in all (one COUNT)."""
        stmt = select(func.count()).select_from(Deputy)
        if q:
            stmt = stmt.join(Person, Person.id == Deputy.person_id).where(*self._person_match(q))
        return int(await self.session.scalar(stmt) or 0)

    async def station_names_of_deputies(self, deputy_ids: Collection[int]) -> dict[int, list[str]]:
        """Deputy id -> the names of their stations, by station code."""
        out: dict[int, list[str]] = {}
        rows = await self.session.execute(
            select(DeputyStation.deputy_id, Station.name)
            .join(Station, Station.id == DeputyStation.station_id)
            .where(among(DeputyStation.deputy_id, deputy_ids))
            .order_by(Station.code)
        )
        for deputy_id, name in rows.all():
            out.setdefault(int(deputy_id), []).append(str(name))
        return out

    async def contacted_by(self, deputy_ids: Collection[int]) -> dict[int, list[str]]:
        """Deputy id -> who contacts them (a person's or a special committee's name), in link order."""
        source = aliased(Person)
        out: dict[int, list[str]] = {}
        rows = await self.session.execute(
            select(Deputy.id, func.coalesce(source.name, SpecialCommittee.name))
            .join(ContactLink, ContactLink.to_person_id == Deputy.person_id)
            .outerjoin(source, source.id == ContactLink.from_person_id)
            .outerjoin(SpecialCommittee, SpecialCommittee.id == ContactLink.from_committee_id)
            .where(among(Deputy.id, deputy_ids))
            .order_by(ContactLink.id)
        )
        for deputy_id, name in rows.all():
            out.setdefault(int(deputy_id), []).append(str(name))
        return out

    async def contact_rows(self, q: str, *, limit: int, offset: int = 0) -> list[tuple[Any, ...]]:
        """(tier, source name, source code, committee name, committee code, target name, target code)
        of every contact link, by tier; `q` in any of the names or codes."""
        source, target = aliased(Person), aliased(Person)
        stmt = (
            select(
                ContactLink.tier,
                source.name,
                source.code,
                SpecialCommittee.name,
                SpecialCommittee.code,
                target.name,
                target.code,
            )
            .join(target, target.id == ContactLink.to_person_id)
            .outerjoin(source, source.id == ContactLink.from_person_id)
            .outerjoin(SpecialCommittee, SpecialCommittee.id == ContactLink.from_committee_id)
            .order_by(ContactLink.tier, ContactLink.id)
        )
        if q:
            stmt = stmt.where(*self._contact_match(q, source, target)).offset(offset).limit(limit)
        else:
            # The page's links first, then their names: a deep page of 500,000 links skips ids, not joins.
            page = (
                select(ContactLink.id).order_by(ContactLink.tier, ContactLink.id).offset(offset).limit(limit)
            )
            stmt = stmt.where(ContactLink.id.in_(page.scalar_subquery()))
        return [tuple(row) for row in (await self.session.execute(stmt)).all()]

    @staticmethod
    def _contact_match(q: str, source: Any, target: Any) -> list[ColumnElement[bool]]:
        if not q:
            return []
        columns = (source.name, source.code, SpecialCommittee.name, SpecialCommittee.code)
        return [or_(*(_like(c, q) for c in (*columns, target.name, target.code)))]

    async def count_contacts(self, q: str) -> int:
        """How many links `contact_rows` lists in all (one COUNT; the joins only when searching)."""
        stmt = select(func.count()).select_from(ContactLink)
        if q:
            source, target = aliased(Person), aliased(Person)
            stmt = (
                stmt.join(target, target.id == ContactLink.to_person_id)
                .outerjoin(source, source.id == ContactLink.from_person_id)
                .outerjoin(SpecialCommittee, SpecialCommittee.id == ContactLink.from_committee_id)
                .where(*self._contact_match(q, source, target))
            )
        return int(await self.session.scalar(stmt) or 0)

    async def units_with_parents(
        self, q: str, *, limit: int, offset: int = 0
    ) -> list[tuple[Unit, str | None]]:
        """(unit, its parent's code) by code; `q` in the name or code."""
        parent = aliased(Unit)
        stmt = (
            select(Unit, parent.code)
            .outerjoin(parent, parent.id == Unit.parent_id)
            .where(*self._unit_match(q))
            .order_by(Unit.code)
            .offset(offset)
            .limit(limit)
        )
        return [(u, p) for u, p in (await self.session.execute(stmt)).all()]

    @staticmethod
    def _unit_match(q: str) -> list[ColumnElement[bool]]:
        return [or_(_like(Unit.name, q), _like(Unit.code, q))] if q else []

    async def count_units(self, q: str) -> int:
        """How many units `units_with_parents` lists in all (one COUNT)."""
        return int(
            await self.session.scalar(select(func.count()).select_from(Unit).where(*self._unit_match(q))) or 0
        )

    async def unit_categories(self, unit_ids: Collection[int]) -> dict[int, list[str]]:
        """Unit id → its 归口 categories, in the order the file gave them."""
        rows = await self.session.execute(
            select(UnitCategory.unit_id, UnitCategory.category)
            .where(among(UnitCategory.unit_id, unit_ids))
            .order_by(UnitCategory.id)
        )
        out: dict[int, list[str]] = {}
        for unit_id, category in rows.all():
            out.setdefault(int(unit_id), []).append(str(category))
        return out

    async def unit_officer_names(self, unit_ids: Collection[int]) -> dict[int, list[str]]:
        """Unit id → its officers' names, heads first (staff only: the console is staff-only)."""
        rows = await self.session.execute(
            select(UnitOfficer.unit_id, Person.name)
            .join(Person, Person.id == UnitOfficer.person_id)
            .where(among(UnitOfficer.unit_id, unit_ids))
            .order_by(UnitOfficer.head.desc(), UnitOfficer.id)
        )
        out: dict[int, list[str]] = {}
        for unit_id, name in rows.all():
            out.setdefault(int(unit_id), []).append(str(name))
        return out

    # -- notices ------------------------------------------------------------------------------------

    async def broadcasts_sending(self) -> int:
        """How many notices are being sent now."""
        found = await self.session.scalar(
            select(func.count()).select_from(Broadcast).where(Broadcast.status == BroadcastStatus.SENDING)
        )
        return int(found or 0)

    async def broadcasts(self, *, limit: int) -> Sequence[Broadcast]:
        """Notices, newest first."""
        return (
            await self.session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit))
        ).all()

    async def broadcast(self, broadcast_id: int) -> Broadcast | None:
        return await self.session.get(Broadcast, broadcast_id)

    async def undelivered(self, broadcast_id: int, *, limit: int) -> list[tuple[Any, ...]]:
        """(chat id, the person's name if known, status, last error, sent at) of the notice's blocked
        and failed messages, in queue order."""
        rows = await self.session.execute(
            select(
                OutboxMessage.chat_id,
                Person.name,
                OutboxMessage.status,
                OutboxMessage.last_error,
                OutboxMessage.sent_at,
            )
            .outerjoin(Person, Person.telegram_id == OutboxMessage.chat_id)
            .where(
                OutboxMessage.broadcast_id == broadcast_id,
                OutboxMessage.status.in_([OutboxStatus.BLOCKED.value, OutboxStatus.FAILED.value]),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        return [tuple(row) for row in rows.all()]

    # -- the audit log ------------------------------------------------------------------------------

    @staticmethod
    def _audit_where(action: str, refused_only: bool) -> list[Any]:
        where: list[Any] = []
        if action:
            where.append(AuditEntry.action.startswith(action, autoescape=True))
        if refused_only:
            where.append(AuditEntry.allowed.is_(False))
        return where

    async def audit_count(self, *, action: str = "", refused_only: bool = False) -> int:
        """How many entries have an action starting with `action` (refused ones only, if asked)."""
        where = self._audit_where(action, refused_only)
        return int(await self.session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0)

    async def audit_entries(
        self, *, action: str = "", refused_only: bool = False, limit: int, offset: int = 0
    ) -> list[tuple[AuditEntry, str | None]]:
        """(entry, the acting person's name) newest first, filtered as `audit_count` counts."""
        stmt = (
            select(AuditEntry, Person.name)
            .outerjoin(Person, Person.id == AuditEntry.actor_person_id)
            .where(*self._audit_where(action, refused_only))
            .order_by(AuditEntry.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [(a, name) for a, name in (await self.session.execute(stmt)).all()]
