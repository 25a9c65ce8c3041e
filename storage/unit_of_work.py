"""How work reaches the database: the unit of work (one session, its repositories, one commit)
and `Bookkeeping` (single statements that commit on their own)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.errors import StorageError
from storage.repos import inbox, outbox
from storage.repos.audit import AuditRepo
from storage.repos.broadcasts import BroadcastRepo
from storage.repos.calendar import CalendarRepo
from storage.repos.chats import ChatSessionRepo
from storage.repos.colours import ColourRepo
from storage.repos.console import ConsoleRepo
from storage.repos.console_suggestions import ConsoleSuggestionRepo
from storage.repos.counters import CounterRepo
from storage.repos.duty import DutyRepo
from storage.repos.inbox import InboxRepo
from storage.repos.invitations import InvitationRepo
from storage.repos.network import NetworkRepo
from storage.repos.open311 import Open311Repo
from storage.repos.opinions import OpinionRepo
from storage.repos.outbox import OutboxRepo
from storage.repos.people import PeopleRepo
from storage.repos.points import PointsRepo
from storage.repos.receptions import ReceptionRepo
from storage.repos.station_officers import StationOfficerRepo
from storage.repos.stations import StationRepo
from storage.repos.suggestion_figures import SuggestionFiguresRepo
from storage.repos.suggestions import SuggestionRepo
from storage.repos.tokens import TokenRepo
from storage.repos.units import UnitRepo


class Bookkeeping:
    """Statements that stand alone, each a transaction of its own: no unit of work around them.

    The poller stores updates, the processor reads the pending ones and the outbox's sender records
    its outcomes many times a second. Each is one statement, and on PostgreSQL a unit of work around
    it cost more than the statement (see `fast.run_alone`).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @classmethod
    def of(cls, sessionmaker: async_sessionmaker[AsyncSession]) -> Bookkeeping:
        """For the engine the units of work of this sessionmaker use."""
        return cls(sessionmaker.kw["bind"])

    async def add_updates(self, updates: Iterable[tuple[int, int | None, dict[str, Any]]]) -> int:
        """As `InboxRepo.add_many`, committed when it returns."""
        return await inbox.add_alone(self.engine, updates)

    async def pending_updates(self, limit: int = 100) -> list[tuple[int, dict[str, Any], int]]:
        """As `InboxRepo.pending`."""
        return await inbox.pending_alone(self.engine, limit)

    async def record_outcomes(
        self, outcomes: Sequence[tuple[int, str, str | None, int | None]], at: datetime
    ) -> None:
        """As `OutboxRepo.record_final`, committed when it returns."""
        await outbox.record_final_alone(self.engine, outcomes, at)


class UnitOfWork:
    """One session and its repositories; nothing is written until `commit()`."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def __aenter__(self) -> Self:
        self.session = self._sessionmaker()
        self.people = PeopleRepo(self.session)
        self.network = NetworkRepo(self.session)
        self.inbox = InboxRepo(self.session)
        self.outbox = OutboxRepo(self.session)
        self.audit = AuditRepo(self.session)
        self.chats = ChatSessionRepo(self.session)
        self.counters = CounterRepo(self.session)
        self.opinions = OpinionRepo(self.session)
        self.colours = ColourRepo(self.session)  # open opinions' colours now, in SQL
        self.broadcasts = BroadcastRepo(self.session)
        self.receptions = ReceptionRepo(self.session)
        self.suggestions = SuggestionRepo(self.session)
        self.invitations = InvitationRepo(self.session)
        self.tokens = TokenRepo(self.session)
        self.console = ConsoleRepo(self.session)
        self.units = UnitRepo(self.session)
        self.open311 = Open311Repo(self.session)
        self.console_suggestions = ConsoleSuggestionRepo(self.session)
        self.suggestion_figures = SuggestionFiguresRepo(self.session)
        self.calendar = CalendarRepo(self.session)
        self.duty = DutyRepo(self.session)  # duty rosters (#24)
        self.station_officers = StationOfficerRepo(self.session)  # station heads and liaison officers (#24)
        self.stations = StationRepo(self.session)  # profiles, 六有, inspectors, inspections (#24)
        self.points = PointsRepo(self.session)  # performance points (#24)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is not None:
                await self.session.rollback()
        finally:
            await self.session.close()

    async def flush(self) -> None:
        """Write the changes made to loaded entities so far, without committing (the unit of work commits)."""
        await self.session.flush()

    async def try_lock(self, key: int) -> bool:
        """Take a transaction-scoped advisory lock on PostgreSQL (False: another holds it); SQLite has
        one writer, so there it is always True."""
        if self.session.bind is None or self.session.bind.dialect.name != "postgresql":
            return True
        return bool(await self.session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}))

    async def commit(self) -> None:
        try:
            await self.outbox.write()
            await self.session.commit()
        except SQLAlchemyError as err:
            await self.rollback()
            raise StorageError(str(err)) from err

    async def rollback(self) -> None:
        self.outbox.discard()
        self.chats.forget()
        await self.session.rollback()
