"""Supervision's rules without Telegram: whether a list's press still applies, and /overdue's groups."""

from __future__ import annotations

from datetime import timedelta

from bot.opinions.entities import Opinion
from bot.opinions.lifecycle import Refusal, RefusalReason
from bot.opinions.service import OpinionService
from bot.opinions.sla import FixedClock, SlaPolicy, WarningColour
from bot.opinions.supervision import SupervisionService
from tests.opinions.test_service import World, submit


def service(u, clock: FixedClock) -> SupervisionService:  # type: ignore[no-untyped-def]
    return SupervisionService(u, OpinionService(u, clock=clock), SlaPolicy())


async def test_a_press_applies_only_while_the_list_still_holds(uow, world: World, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    held = (await submit(uow, clock, world.sender)).opinion
    assert held is not None and held.holder_deputy_id == world.a
    async with uow() as u:
        found = await service(u, clock).shown(held.id, world.a)
        assert isinstance(found, Opinion) and found.id == held.id
        moved = await service(u, clock).shown(held.id, world.b)
        missing = await service(u, clock).shown(10**9, 0)
    assert isinstance(moved, Refusal) and moved.reason == RefusalReason.STALE_STATE
    assert isinstance(missing, Refusal) and missing.reason == RefusalReason.NOT_FOUND


async def test_overdue_groups_by_station_and_holder_oldest_first(
    uow, world: World, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    first = (await submit(uow, clock, world.sender)).opinion
    clock.advance(timedelta(hours=1))
    second = (await submit(uow, clock, world.sender)).opinion
    assert first is not None and second is not None
    async with uow() as u:
        assert (await service(u, clock).overdue(clock.now())).groups == []
        clock.advance(timedelta(hours=30))  # both past the accept deadline
        listed = await service(u, clock).overdue(clock.now())
    assert listed.total == 2 and not listed.cut
    (group,) = listed.groups
    assert (group.station, group.holder) == ("village", "dep a")
    assert [item.opinion.id for item in group.items] == [first.id, second.id]
    assert all(item.shade == WarningColour.RED and item.deadline is not None for item in group.items)
