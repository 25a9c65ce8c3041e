"""Broadcasts (staff notices): the notice rows, who an audience reaches, and its outbox rows counted."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.lists import among
from storage.models import (
    Broadcast,
    BroadcastAck,
    BroadcastStatus,
    ContactLink,
    ContactTier,
    Deputy,
    DeputyGroup,
    DeputyStation,
    GroupMembership,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonRole,
    SpecialCommittee,
    Station,
)
from storage.repos.base import Repo

_HAS_TELEGRAM = Person.telegram_id.is_not(None)


class Scope(enum.StrEnum):
    """The kinds of audience in storage terms (the service resolves names to ids)."""

    EVERYONE = "everyone"
    DEPUTIES = "deputies"  # every deputy, or those of `level`
    ROLE = "role"  # the holders of `role`
    DEPUTIES_AT = "deputies_at"  # the deputies of the stations `ids`
    CONSTITUENTS_AT = "constituents_at"  # the people bound to the stations `ids` who are not deputies
    GROUP = "group"  # the members of the deputy group `ids`
    COMMITTEE = "committee"  # the deputies the special committee `ids` contacts


@dataclass(frozen=True)
class Members:
    """Who belongs to an audience: its scope and what it names (ids, a level or a role)."""

    scope: Scope
    ids: tuple[int, ...] = ()
    level: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class Unreached:
    """A member of an audience without a Telegram account, as the office's list shows them."""

    name: str
    code: str | None
    level: str | None  # None: not a deputy
    stations: tuple[str, ...]
    phone: str | None
    phone_shared: bool


class BroadcastRepo(Repo):
    """A notice's row and lifecycle reads (locked on PostgreSQL), and its recipients' outbox rows."""

    async def add(self, broadcast: Broadcast) -> Broadcast:
        self.session.add(broadcast)
        await self.session.flush()
        return broadcast

    def _locked(self, stmt: Select[tuple[Broadcast]]) -> Select[tuple[Broadcast]]:
        """On PostgreSQL, rows another worker is changing are skipped (SQLite has one writer anyway)."""
        if self._dialect() == "postgresql":
            return stmt.with_for_update(skip_locked=True)
        return stmt

    async def get(self, broadcast_id: int) -> Broadcast | None:
        return await self.session.get(Broadcast, broadcast_id)

    async def get_for_change(self, broadcast_id: int) -> Broadcast | None:
        """The notice, locked against a concurrent start, refresh or cancel (PostgreSQL)."""
        lock = self._dialect() == "postgresql"
        return await self.session.get(
            Broadcast, broadcast_id, with_for_update=lock or None, populate_existing=True
        )

    async def scheduled(self) -> list[Broadcast]:
        """Notices waiting for their time, soonest first."""
        stmt = (
            select(Broadcast)
            .where(Broadcast.status == BroadcastStatus.SCHEDULED)
            .order_by(Broadcast.scheduled_for, Broadcast.id)
        )
        return list(await self.session.scalars(stmt))

    async def due(self, now: datetime) -> list[Broadcast]:
        """Scheduled notices whose time has come, soonest first, locked (skipping those being changed)."""
        stmt = (
            select(Broadcast)
            .where(Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.scheduled_for <= now)
            .order_by(Broadcast.scheduled_for, Broadcast.id)
        )
        return list(await self.session.scalars(self._locked(stmt)))

    async def sending(self, broadcast_id: int | None = None) -> list[Broadcast]:
        """Notices being sent (or just this one, if it is), locked (skipping those being changed)."""
        stmt = select(Broadcast).where(Broadcast.status == BroadcastStatus.SENDING).order_by(Broadcast.id)
        if broadcast_id is not None:
            stmt = stmt.where(Broadcast.id == broadcast_id)
        return list((await self.session.scalars(self._locked(stmt))).all())

    async def group_code(self, group_id: int) -> str | None:
        """The code of the deputy group with this id (lists show ids: codes may hold any character)."""
        return await self.session.scalar(select(DeputyGroup.code).where(DeputyGroup.id == group_id))

    async def committee_code(self, committee_id: int) -> str | None:
        """The code of the special committee with this id."""
        return await self.session.scalar(
            select(SpecialCommittee.code).where(SpecialCommittee.id == committee_id)
        )

    # Who an audience holds: its members as a subquery of person ids; those with a Telegram account are
    # reached (each once, in order), those without are listed for the office to reach another way.

    def _members(self, members: Members) -> Select[tuple[int]]:
        scope, ids = members.scope, list(members.ids)
        if scope == Scope.EVERYONE:  # everyone the bot can reach: no one is left out by definition
            return select(Person.id).where(_HAS_TELEGRAM)
        if scope == Scope.ROLE:
            return select(PersonRole.person_id).where(PersonRole.role == members.role)
        if scope == Scope.CONSTITUENTS_AT:
            is_deputy = select(Deputy.id).where(Deputy.person_id == Person.id).exists()
            return select(Person.id).where(among(Person.station_id, ids), ~is_deputy)
        if scope == Scope.COMMITTEE:
            return select(ContactLink.to_person_id).where(
                among(ContactLink.from_committee_id, ids),
                ContactLink.tier == ContactTier.SPECIAL_COMMITTEE_DEPUTY.value,
            )
        stmt = select(Deputy.person_id)
        if members.level is not None:
            stmt = stmt.where(Deputy.level == members.level)
        if scope == Scope.DEPUTIES_AT:
            stmt = stmt.join(DeputyStation, DeputyStation.deputy_id == Deputy.id).where(
                among(DeputyStation.station_id, ids)
            )
        elif scope == Scope.GROUP:
            stmt = stmt.join(GroupMembership, GroupMembership.deputy_id == Deputy.id).where(
                among(GroupMembership.group_id, ids)
            )
        return stmt

    async def reach(self, members: Members) -> list[int]:
        """The Telegram ids of the members who have one, each once, in order."""
        ids = await self.session.scalars(
            select(Person.telegram_id)
            .where(_HAS_TELEGRAM, Person.id.in_(self._members(members).scalar_subquery()))
            .distinct()
        )
        return sorted(int(i) for i in ids if i is not None)

    def _unreached(self, members: Members) -> Select[tuple[Person]]:
        return select(Person).where(
            Person.telegram_id.is_(None), Person.id.in_(self._members(members).scalar_subquery())
        )

    async def count_unreached(self, members: Members) -> int:
        """How many members have no Telegram account yet (the bot cannot write to them)."""
        count = await self.session.scalar(
            select(func.count()).select_from(self._unreached(members).subquery())
        )
        return int(count or 0)

    async def unreached(self, members: Members) -> list[Unreached]:
        """The members without a Telegram account, by name: level and stations for the office's list."""
        people = list(await self.session.scalars(self._unreached(members).order_by(Person.name, Person.id)))
        # Their deputy records and stations joined to the same subquery, not passed back as id lists
        # (an audience of a province's constituents is far more than a statement's parameters).
        unreached = self._unreached(members).with_only_columns(Person.id).scalar_subquery()
        deputies = {
            d.person_id: d
            for d in await self.session.scalars(select(Deputy).where(Deputy.person_id.in_(unreached)))
        }
        stations: dict[int, list[str]] = {}
        rows = await self.session.execute(
            select(Deputy.person_id, Station.name)
            .join(DeputyStation, DeputyStation.deputy_id == Deputy.id)
            .join(Station, Station.id == DeputyStation.station_id)
            .where(Deputy.person_id.in_(unreached))
            .order_by(Station.code)
        )
        for person_id, name in rows.all():
            stations.setdefault(person_id, []).append(name)
        own = select(Person.station_id).where(Person.id.in_(unreached))
        names = dict(
            (await self.session.execute(select(Station.id, Station.name).where(Station.id.in_(own)))).all()
        )
        out: list[Unreached] = []
        for p in people:
            deputy = deputies.get(p.id)
            at = stations.get(p.id, []) if deputy else [names[p.station_id]] if p.station_id in names else []
            out.append(
                Unreached(
                    p.name, p.code, deputy.level if deputy else None, tuple(at), p.phone, p.phone_shared
                )
            )
        return out

    async def locales_of(self, telegram_ids: list[int]) -> dict[int, tuple[str | None, str | None]]:
        """Telegram id -> (chosen language, Telegram's language as last seen), in one statement (the ids
        one parameter)."""
        if not telegram_ids:
            return {}
        rows = await self.session.execute(
            select(Person.telegram_id, Person.language, Person.telegram_language).where(
                among(Person.telegram_id, telegram_ids)
            )
        )
        return {int(tg): (language, seen) for tg, language, seen in rows.all()}

    # Acknowledgements ("received") of a notice that asks for them.

    async def addressed(self, broadcast_id: int, chat_id: int) -> bool:
        """Whether the notice was written to this chat (its recipients are its outbox rows)."""
        found = await self.session.scalar(
            select(OutboxMessage.id)
            .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.chat_id == chat_id)
            .limit(1)
        )
        return found is not None

    async def acknowledged_at(self, broadcast_id: int, telegram_id: int) -> datetime | None:
        return await self.session.scalar(
            select(BroadcastAck.acked_at).where(
                BroadcastAck.broadcast_id == broadcast_id, BroadcastAck.telegram_id == telegram_id
            )
        )

    async def acknowledge(
        self, broadcast_id: int, telegram_id: int, person_id: int | None, at: datetime
    ) -> bool:
        """Record a recipient's "received"; False when it was recorded already (the unique key holds)."""
        insert_ = postgresql_insert if self._dialect() == "postgresql" else sqlite_insert
        stmt = (
            insert_(BroadcastAck)
            .values(broadcast_id=broadcast_id, telegram_id=telegram_id, person_id=person_id, acked_at=at)
            .on_conflict_do_nothing(index_elements=["broadcast_id", "telegram_id"])
            .returning(BroadcastAck.id)
        )
        return (await self.session.scalar(stmt)) is not None

    async def ack_count(self, broadcast_id: int) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(BroadcastAck).where(BroadcastAck.broadcast_id == broadcast_id)
        )
        return int(count or 0)

    async def silent(self, broadcast_id: int) -> list[tuple[int, int | None]]:
        """(chat id, message id) of the recipients it was delivered to who have not acknowledged it."""
        acked = select(BroadcastAck.id).where(
            BroadcastAck.broadcast_id == broadcast_id, BroadcastAck.telegram_id == OutboxMessage.chat_id
        )
        rows = await self.session.execute(
            select(OutboxMessage.chat_id, OutboxMessage.result_message_id)
            .where(
                OutboxMessage.broadcast_id == broadcast_id,
                OutboxMessage.status == OutboxStatus.SENT,
                ~acked.exists(),
            )
            .order_by(OutboxMessage.id)
        )
        return [(int(chat_id), message_id) for chat_id, message_id in rows.all()]

    async def acks_moved(self) -> list[Broadcast]:
        """Finished notices that ask for "received" whose count moved since it was last shown, locked."""
        count = (
            select(func.count())
            .where(BroadcastAck.broadcast_id == Broadcast.id)
            .correlate(Broadcast)
            .scalar_subquery()
        )
        stmt = (
            select(Broadcast)
            .where(
                Broadcast.receipt.is_not(None),
                Broadcast.status.in_([BroadcastStatus.DONE, BroadcastStatus.CANCELLED]),
                Broadcast.acked != count,
            )
            .order_by(Broadcast.id)
        )
        return list((await self.session.scalars(self._locked(stmt))).all())

    # A notice's outbox rows.

    async def counts_by_status(self, broadcast_id: int) -> dict[str, int]:
        """The notice's outbox rows counted by status."""
        rows = await self.session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.broadcast_id == broadcast_id)
            .group_by(OutboxMessage.status)
        )
        return {str(status): int(n) for status, n in rows.all()}

    async def last_finished(self, broadcast_id: int) -> datetime | None:
        """When the sender last recorded a call of this notice."""
        return await self.session.scalar(
            select(func.max(OutboxMessage.sent_at)).where(
                OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.sent_at.is_not(None)
            )
        )

    async def finished_since(self, broadcast_id: int, since: datetime) -> int:
        """How many of the notice's calls the sender recorded at or after `since`."""
        count = await self.session.scalar(
            select(func.count()).where(
                OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.sent_at >= since
            )
        )
        return int(count or 0)

    async def edits_of(self, ref: str) -> tuple[int, datetime | None]:
        """(pending edits, when the last edit was queued) of the message with this ref."""
        pending, last = (
            await self.session.execute(
                select(
                    func.count().filter(OutboxMessage.status == OutboxStatus.PENDING),
                    func.max(OutboxMessage.created_at),
                ).where(OutboxMessage.ref == ref, OutboxMessage.method == "editMessageText")
            )
        ).one()
        return int(pending or 0), last

    async def undelivered(self, broadcast_id: int) -> list[tuple[int, str, str | None]]:
        """(chat id, status, error) of the blocked and failed recipients, in the order written."""
        rows = await self.session.execute(
            select(OutboxMessage.chat_id, OutboxMessage.status, OutboxMessage.last_error)
            .where(
                OutboxMessage.broadcast_id == broadcast_id,
                OutboxMessage.status.in_([OutboxStatus.BLOCKED, OutboxStatus.FAILED]),
            )
            .order_by(OutboxMessage.id)
        )
        return [(chat_id, status, error) for chat_id, status, error in rows.all()]

    async def cancel_pending(self, broadcast_id: int) -> int:
        """Mark the notice's pending rows cancelled; returns how many."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.CANCELLED)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
