"""Supervision's rules for the congress office: what /queue and /overdue list and in which order, and
whether a press on a list still applies (the list showed an opinion with a holder; has it moved?).

Rendering is `bot.opinions.supervision_views`; the deputies offered are `CandidateService.for_staff`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.opinions.digest import warned
from bot.opinions.entities import FINAL_STATES, Opinion
from bot.opinions.lifecycle import Action, Refusal, RefusalReason
from bot.opinions.service import OpinionService, Outcome
from bot.opinions.sla import SlaPolicy, WarningColour, colour_clock, running_clock
from bot.people.entities import Person
from bot.runtime.context import UnitOfWork

__all__ = [
    "MAX_CANDIDATES",
    "MAX_ITEMS",
    "Assigned",
    "Overdue",
    "OverdueGroup",
    "OverdueItem",
    "Queue",
    "Reminder",
    "SupervisionService",
    "Undelivered",
]

MAX_ITEMS = 25  # lines of one list: a chat message, not a report
MAX_CANDIDATES = 12  # deputies in the picker


@dataclass(frozen=True)
class Undelivered:
    """An open opinion whose holder's task card Telegram refused for good."""

    opinion: Opinion
    error: str


@dataclass(frozen=True)
class Queue:
    """/queue: cards that never arrived first (the deputy may not know), then the triage queue."""

    undelivered: list[Undelivered]
    triage: list[Opinion]

    @property
    def empty(self) -> bool:
        return not self.undelivered and not self.triage


@dataclass(frozen=True)
class OverdueItem:
    opinion: Opinion
    shade: WarningColour
    deadline: datetime | None  # the running clock's


@dataclass(frozen=True)
class OverdueGroup:
    """The items of one station and holder; None: no station / the congress office."""

    station: str | None
    holder: str | None
    items: list[OverdueItem] = field(default_factory=list)


@dataclass(frozen=True)
class Overdue:
    groups: list[OverdueGroup]
    total: int  # every yellow and red opinion; the groups hold the oldest MAX_ITEMS

    @property
    def cut(self) -> bool:
        return self.total > MAX_ITEMS


@dataclass(frozen=True)
class Reminder:
    holder: Person
    chat: int  # the holder's Telegram chat
    deadline: datetime


@dataclass(frozen=True)
class Assigned:
    outcome: Outcome
    previous: Person | None  # the holder before, whose card loses its buttons


class SupervisionService:
    """Reads and acts for staff inside the caller's unit of work; audits what staff do."""

    def __init__(self, uow: UnitOfWork, opinions: OpinionService, policy: SlaPolicy) -> None:
        self.uow = uow
        self.opinions = opinions
        self.policy = policy

    async def queue(self) -> Queue:
        return Queue(await self.undelivered(), list(await self.uow.opinions.triage_queue(limit=MAX_ITEMS)))

    async def undelivered(self) -> list[Undelivered]:
        """Open opinions whose holder's task card failed for good (a permanent 400): never swallowed.

        A card's ref is `card:<opinion>:<person>` (`views.card_ref`); it counts while that person still
        holds the opinion and no later card with the same ref was delivered.
        """
        found: list[Undelivered] = []
        seen: set[int] = set()
        for row in await self.uow.outbox.failed_for_good("card:", limit=MAX_ITEMS * 2):
            _card, opinion_id, person_id = [*str(row.ref).split(":"), "", ""][:3]
            if not (opinion_id.isdigit() and person_id.isdigit()) or int(opinion_id) in seen:
                continue
            opinion = await self.uow.opinions.get(int(opinion_id))
            if opinion is None or opinion.state in FINAL_STATES or opinion.holder_deputy_id is None:
                continue
            holder = await self.uow.people.of_deputy(opinion.holder_deputy_id)
            if holder is None or holder.id != int(person_id):
                continue
            seen.add(opinion.id)
            found.append(Undelivered(opinion, row.last_error or ""))
        return found[:MAX_ITEMS]

    async def overdue(self, now: datetime) -> Overdue:
        """Yellow and red opinions, the oldest MAX_ITEMS, grouped by station and holder (by name,
        unnamed last), oldest first within a group."""
        items = await warned(self.uow, now, self.policy, limit=MAX_ITEMS)
        shades = await self.uow.colours.counts(colour_clock(self.policy, now))
        total = shades[WarningColour.YELLOW.value] + shades[WarningColour.RED.value]
        groups: dict[tuple[str | None, str | None], OverdueGroup] = {}
        stations: dict[int, str | None] = {}
        holders: dict[int, str | None] = {}
        for opinion, shade in items:
            station = await self._name(stations, opinion.station_id, self.uow.network.station_name)
            holder = await self._name(holders, opinion.holder_deputy_id, self.uow.people.name_of_deputy)
            running = running_clock(opinion.state, opinion.accept_deadline, opinion.answer_deadline)
            item = OverdueItem(opinion, shade, running[1] if running else None)
            groups.setdefault((station, holder), OverdueGroup(station, holder)).items.append(item)
        ordered = sorted(
            groups.values(),
            key=lambda g: (g.station is None, g.station or "", g.holder is None, g.holder or ""),
        )
        return Overdue(ordered, total)

    @staticmethod
    async def _name(
        cache: dict[int, str | None], key: int | None, look_up: Callable[[int], Awaitable[str | None]]
    ) -> str | None:
        """A station's or holder's name, looked up once per list."""
        if key is None:
            return None
        if key not in cache:
            cache[key] = await look_up(key)
        return cache[key]

    async def shown(self, opinion_id: int, shown: int) -> Opinion | Refusal:
        """The opinion a list showed with holder `shown` (0: none), or why the press no longer applies."""
        opinion = await self.uow.opinions.get(opinion_id)
        if opinion is None:
            return Refusal(RefusalReason.NOT_FOUND)
        if opinion.state in FINAL_STATES:
            return Refusal(RefusalReason.FINAL, f"state {opinion.state}")
        if (opinion.holder_deputy_id or 0) != shown:
            return Refusal(RefusalReason.STALE_STATE, f"holder {opinion.holder_deputy_id} not {shown}")
        return opinion

    async def assign(self, opinion: Opinion, staff: Person, telegram_id: int, deputy_id: int) -> Assigned:
        """Transfer the opinion to the picked deputy; audited as `supervision.assign` when done."""
        holder_id = opinion.holder_deputy_id
        previous = await self.uow.people.of_deputy(holder_id) if holder_id is not None else None
        outcome = await self.opinions.apply(opinion.id, Action.TRANSFER, staff.id, to_deputy_id=deputy_id)
        if outcome.refusal is None and outcome.opinion is not None:
            await self.uow.audit.record(
                "supervision.assign",
                actor_telegram_id=telegram_id,
                actor_person_id=staff.id,
                object_type="opinion",
                object_id=opinion.id,
                to_deputy_id=deputy_id,
            )
            if previous is not None:  # loaded now: no lazy IO when its card is rendered
                await self.uow.session.refresh(previous, ["deputy"])
        return Assigned(outcome, previous)

    async def reminder(self, opinion: Opinion) -> Reminder | Refusal:
        """Whom a Remind pings and about which deadline: a holder on Telegram, a running clock."""
        holder_id = opinion.holder_deputy_id
        holder = await self.uow.people.of_deputy(holder_id) if holder_id is not None else None
        running = running_clock(opinion.state, opinion.accept_deadline, opinion.answer_deadline)
        if holder is None or holder.telegram_id is None or running is None:
            return Refusal(RefusalReason.STALE_STATE, "no running clock")
        return Reminder(holder, holder.telegram_id, running[1])

    async def reminded(self, opinion: Opinion, staff: Person, telegram_id: int, holder: Person) -> None:
        await self.uow.audit.record(
            "supervision.remind",
            actor_telegram_id=telegram_id,
            actor_person_id=staff.id,
            object_type="opinion",
            object_id=opinion.id,
            to_person_id=holder.id,
        )
