"""Whom an opinion may be given to: one ranking for /queue, /overdue, the console and a deputy's transfer.

The ranking follows routing's order of preference: deputies of the opinion's station first, then of
each station above it (routing's recursive chain, `NetworkRepo.station_chain`); within one level,
those whose fields match the category, then the lightest open load, then the lowest id. Staff may
give an opinion to anyone, so after the chain come all other deputies in the same order (`near` is
False for them). A deputy may hand an opinion only to a colleague who shares a station or a deputy
group with them; the same rule checks a pressed target, since callback data names any deputy id a
client cares to send. The current holder is never offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.opinions.entities import Opinion
from bot.opinions.routing import MAX_CHAIN
from bot.runtime.context import UnitOfWork
from storage.repos.network import DeputyCard

__all__ = ["MAX_STAFF", "MAX_TRANSFER", "Candidate", "CandidateService", "rank"]

MAX_TRANSFER = 12  # buttons in a deputy's transfer list
MAX_STAFF = 30  # deputies the console offers; chat pickers ask for fewer


@dataclass(frozen=True)
class Candidate:
    """A deputy offered for one opinion, with what the picker shows about them."""

    deputy_id: int
    name: str
    code: str | None
    load: int  # open opinions they hold now
    field_match: bool  # one of their fields is the opinion's category
    near: bool  # at the opinion's station or one above it


def rank(
    cards: Iterable[DeputyCard],
    depth: Mapping[int, int],
    category: str | None,
    load: Mapping[int, int],
    *,
    exclude: int | None = None,
) -> list[Candidate]:
    """Order deputies for an opinion: nearest station level, matching field, lightest load, id.

    Args:
        cards: the deputies to order.
        depth: levels above the opinion's station of each deputy's nearest station on the chain
            (0 = the station itself); deputies absent from it come after every level.
        category: the opinion's category (None matches no field).
        load: open opinions per deputy (absent = none).
        exclude: a deputy never offered (the holder).
    """
    beyond = max(depth.values(), default=-1) + 1
    wanted = category or ""

    def matches(card: DeputyCard) -> bool:
        return bool(wanted) and wanted in card.fields

    ordered = sorted(
        (c for c in cards if c.id != exclude),
        key=lambda c: (depth.get(c.id, beyond), 0 if matches(c) else 1, load.get(c.id, 0), c.id),
    )
    return [Candidate(c.id, c.name, c.code, load.get(c.id, 0), matches(c), c.id in depth) for c in ordered]


class CandidateService:
    """Reads what the ranking needs through the repositories of one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def _depths(self, opinion: Opinion) -> dict[int, int]:
        """Each deputy on the opinion's station chain and the level of their nearest station there."""
        if opinion.station_id is None:
            return {}
        network = self.uow.network
        chain = [sid for sid, _parent in await network.station_chain(opinion.station_id, MAX_CHAIN)]
        level = {sid: i for i, sid in enumerate(chain)}
        depth: dict[int, int] = {}
        for sid, deputy_id, _fields in await network.station_members(chain):
            depth[deputy_id] = min(level[sid], depth.get(deputy_id, level[sid]))
        return depth

    async def _ranked(
        self, opinion: Opinion, ids: Iterable[int] | None, depth: dict[int, int], limit: int
    ) -> list[Candidate]:
        cards = await self.uow.network.deputy_cards(ids)
        load = await self.uow.opinions.open_counts([c.id for c in cards])
        return rank(cards, depth, opinion.category, load, exclude=opinion.holder_deputy_id)[:limit]

    async def for_staff(self, opinion: Opinion, limit: int = MAX_STAFF) -> list[Candidate]:
        """Deputies staff may give the opinion to (/queue, /overdue, the console), best first.

        Everyone beyond the station chain is read only when the chain holds fewer than `limit`.
        """
        depth = await self._depths(opinion)
        near = set(depth) - {opinion.holder_deputy_id}
        return await self._ranked(opinion, depth if len(near) >= limit else None, depth, limit)

    async def for_transfer(
        self, opinion: Opinion, deputy_id: int, limit: int = MAX_TRANSFER
    ) -> list[Candidate]:
        """The colleagues a deputy may hand the opinion to, best first."""
        colleagues = await self.uow.network.colleagues_of(deputy_id)
        if not colleagues:
            return []
        return await self._ranked(opinion, colleagues, await self._depths(opinion), limit)

    async def offered(
        self, opinion_id: int, deputy_id: int | None, target: int, *, telegram_id: int, person_id: int
    ) -> bool:
        """Whether a pressed transfer target is one the deputy may hand to; audited when not (the
        data came from the client: `opinion.transfer_refused`)."""
        if deputy_id is not None and await self.may_transfer(deputy_id, target):
            return True
        await self.uow.audit.record(
            "opinion.transfer_refused",
            actor_telegram_id=telegram_id,
            actor_person_id=person_id,
            object_type="opinion",
            object_id=opinion_id,
            allowed=False,
            reason="not_offered",
            to_deputy_id=target,
        )
        return False

    async def may_transfer(self, deputy_id: int, target_deputy_id: int) -> bool:
        """Whether a deputy may hand an opinion to this deputy: a colleague of a station or group."""
        return target_deputy_id in await self.uow.network.colleagues_of(deputy_id)
