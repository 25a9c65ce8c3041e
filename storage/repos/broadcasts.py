"""Broadcasts (staff notices): the notice rows, who an audience reaches, and its outbox rows counted."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, func, select, update

from storage.models import (
    Broadcast,
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
    Role,
    SpecialCommittee,
)
from storage.repos.base import Repo

_HAS_TELEGRAM = Person.telegram_id.is_not(None)


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

    # Who an audience reaches: the Telegram ids, each once, in order (people without one are left out).

    async def _telegram_ids(self, stmt: Select[tuple[int | None]]) -> list[int]:
        ids = await self.session.scalars(stmt.distinct())
        return sorted(int(i) for i in ids if i is not None)

    @staticmethod
    def _deputies() -> Select[tuple[int | None]]:
        return select(Person.telegram_id).join(Deputy, Deputy.person_id == Person.id).where(_HAS_TELEGRAM)

    async def reach_everyone(self) -> list[int]:
        return await self._telegram_ids(select(Person.telegram_id).where(_HAS_TELEGRAM))

    async def reach_deputies(self, level: str | None = None) -> list[int]:
        """Every deputy, or those of one level."""
        stmt = self._deputies()
        if level is not None:
            stmt = stmt.where(Deputy.level == level)
        return await self._telegram_ids(stmt)

    async def reach_role(self, role: Role) -> list[int]:
        return await self._telegram_ids(
            select(Person.telegram_id)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(_HAS_TELEGRAM, PersonRole.role == role.value)
        )

    async def reach_deputies_at(self, station_ids: Iterable[int]) -> list[int]:
        """The deputies of these stations."""
        return await self._telegram_ids(
            self._deputies()
            .join(DeputyStation, DeputyStation.deputy_id == Deputy.id)
            .where(DeputyStation.station_id.in_(list(station_ids)))
        )

    async def reach_constituents_at(self, station_ids: Iterable[int]) -> list[int]:
        """The people bound to these stations who are not deputies."""
        is_deputy = select(Deputy.id).where(Deputy.person_id == Person.id).exists()
        return await self._telegram_ids(
            select(Person.telegram_id).where(
                _HAS_TELEGRAM, Person.station_id.in_(list(station_ids)), ~is_deputy
            )
        )

    async def reach_group(self, group_id: int) -> list[int]:
        """The members of a deputy group."""
        return await self._telegram_ids(
            self._deputies()
            .join(GroupMembership, GroupMembership.deputy_id == Deputy.id)
            .where(GroupMembership.group_id == group_id)
        )

    async def reach_contacted_by_committee(self, committee_id: int) -> list[int]:
        """The deputies a special committee contacts."""
        return await self._telegram_ids(
            select(Person.telegram_id)
            .join(ContactLink, ContactLink.to_person_id == Person.id)
            .where(
                _HAS_TELEGRAM,
                ContactLink.from_committee_id == committee_id,
                ContactLink.tier == ContactTier.SPECIAL_COMMITTEE_DEPUTY.value,
            )
        )

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
