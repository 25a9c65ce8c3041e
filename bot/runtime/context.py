"""Long-lived services kept on the application, and the typed callback context that exposes them."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext, ExtBot

from bot.opinions.sla import SlaPolicy
from bot.runtime.clock import Clock, SystemClock
from bot.runtime.outbox import Bell
from bot.runtime.reports import Job, ReportWorker
from bot.runtime.settings import Settings
from storage.models import OutboxMessage
from storage.unit_of_work import UnitOfWork

T = TypeVar("T")


@dataclass
class Services:
    """Built once in `build_application`, opened in post_init, closed in post_shutdown."""

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock = field(default_factory=SystemClock)
    policy: SlaPolicy = field(default_factory=SlaPolicy)
    # Rung after a commit that wrote outbox rows, so the sender reads them at once instead of polling.
    outbox_wakeup: Bell = field(default_factory=Bell)
    # The running sender's hand_over: the inbox gives it the rows an update wrote, after the commit.
    outbox_hand_over: Callable[[list[OutboxMessage]], None] | None = None
    # The running sender's memory of ref -> message id (None when it does not remember the ref).
    outbox_message_id: Callable[[str], int | None] | None = None
    # Heavy reads (statistics, the console's dashboard and exports) off the event loop; the runtime starts
    # one on its own thread, and without one they run inline (bot/runtime/reports.py).
    reports: ReportWorker = field(default_factory=ReportWorker)

    def __post_init__(self) -> None:
        if self.policy.zone != self.settings.timezone:
            self.policy = dataclasses.replace(self.policy, zone=self.settings.timezone)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessionmaker)

    def report_later(self, job: Job[T], deliver: Callable[[UnitOfWork, T], Awaitable[None]]) -> None:
        """A heavy report for a chat: `job` on the report worker after this update, then `deliver` its
        result in a unit of work of its own (what the job audited recorded there too), the outbox rung."""
        self.reports.later(self.uow, job, deliver, committed=self.outbox_wakeup.set)


class BotData:
    """The application's bot_data: holds the services (PTB instantiates it without arguments)."""

    services: Services | None = None


class UpdateScope:
    """The unit of work shared by every handler of one update; committed with the inbox mark."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.failed: BaseException | None = None


current_scope: ContextVar[UpdateScope | None] = ContextVar("current_scope", default=None)


class LiaisonContext(CallbackContext[ExtBot[None], dict, dict, BotData]):  # type: ignore[type-arg]
    """Typed access to the services and to the update's unit of work."""

    @property
    def services(self) -> Services:
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("services are set by build_application")
        return services

    @property
    def uow(self) -> UnitOfWork:
        scope = current_scope.get()
        if scope is None:
            raise RuntimeError("handler ran outside an inbox scope")
        return scope.uow


LiaisonApp = Application[ExtBot[None], LiaisonContext, dict, dict, BotData, object]  # type: ignore[type-arg]
