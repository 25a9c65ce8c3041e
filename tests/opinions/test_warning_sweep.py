"""The reminder sweep by `next_warning_at`: any number of overdue opinions, each rung warned once.

Before #25 the sweep read the 500 lowest-id overdue opinions and skipped the warned ones in Python, so
once 500 were stuck at the top rung no newer opinion was ever warned. Here 600 such stuck opinions sit
below 1,200 new ones, written in bulk as the service would write them.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from bot.opinions.lifecycle import Action
from bot.opinions.service import WARN_MOST, OpinionService
from bot.opinions.sla import FixedClock, SlaPolicy, next_warning_at, warned_rungs
from storage.models import Opinion, OpinionEvent
from tests.conftest import PG_URL
from tests.opinions.test_service import T0, World, apply, submit

POLICY = SlaPolicy()
DEADLINE = T0 + timedelta(hours=24)  # the accept deadline of every bulk opinion
STUCK, FRESH = 600, 1_200


def _row(n: int, world: World, last_warning: str | None) -> dict[str, object]:
    holder = world.a if n % 2 else world.b
    state = "routed"
    return {
        "tracking_no": f"BULK-{n:06d}",
        "sender_person_id": world.walker,
        "station_id": world.station,
        "category": "water",
        "text": "the well is dry",
        "state": state,
        "holder_deputy_id": holder,
        "created_at": T0,
        "accept_deadline": DEADLINE,
        "last_warning": last_warning,
        "next_warning_at": next_warning_at(POLICY, state, DEADLINE, None, "water", last_warning),
    }


async def _bulk(uow, world: World) -> tuple[set[int], set[int]]:  # type: ignore[no-untyped-def]
    """600 opinions warned up to the presidium already (lowest ids), then 1,200 not warned yet."""
    async with uow() as u:
        rows = [_row(n, world, "red:2") for n in range(STUCK)]
        rows += [_row(STUCK + n, world, None) for n in range(FRESH)]
        await u.session.execute(insert(Opinion), rows)
        await u.commit()
        ids = list(await u.session.scalars(select(Opinion.id).order_by(Opinion.id)))
    return set(ids[:STUCK]), set(ids[STUCK:])


async def _held_by(uow, deputy_id: int) -> set[int]:  # type: ignore[no-untyped-def]
    async with uow() as u:
        return set(await u.session.scalars(select(Opinion.id).where(Opinion.holder_deputy_id == deputy_id)))


async def _sweep(uow, clock: FixedClock) -> list:  # type: ignore[no-untyped-def]
    async with uow() as u:
        out = await OpinionService(u, clock=clock).sweep()
        await u.commit()
    return out


async def _sweep_all(uow, clock: FixedClock) -> tuple[list, int]:  # type: ignore[no-untyped-def]
    """Sweep until a sweep warns nobody; every notice, and how many sweeps warned someone."""
    notes: list = []  # type: ignore[type-arg]
    sweeps = 0
    while found := await _sweep(uow, clock):
        notes += found
        sweeps += 1
    return notes, sweeps


async def _warnings(uow) -> Counter[tuple[int, str]]:  # type: ignore[no-untyped-def]
    """How often each (opinion, rung) was warned, from the timelines."""
    async with uow() as u:
        rows = await u.session.execute(
            select(OpinionEvent.opinion_id, OpinionEvent.reason, func.count())
            .where(OpinionEvent.action == "warn")
            .group_by(OpinionEvent.opinion_id, OpinionEvent.reason)
        )
        return Counter({(int(o), str(r)): int(n) for o, r, n in rows})


def _warned_ids(notes: list, key: str) -> set[int]:  # type: ignore[type-arg]
    return {n.opinion_id for n in notes if n.key == key}


async def test_every_overdue_opinion_is_warned_once_per_rung(uow, world: World) -> None:
    stuck, fresh = await _bulk(uow, world)
    clock = FixedClock(DEADLINE - timedelta(hours=2))  # yellow: 2 h of 24 left
    # A sweep warns at most WARN_MOST opinions (one bounded transaction); the next takes the rest.
    sweeps = -(-FRESH // WARN_MOST)
    assert sweeps > 1

    notes, n = await _sweep_all(uow, clock)
    assert n == sweeps
    assert _warned_ids(notes, "opinion.warning.yellow") == fresh
    assert {(n.recipient_person_id, n.key) for n in notes} == {
        (world.a_person, "opinion.warning.yellow"),
        (world.b_person, "opinion.warning.yellow"),
    }
    assert await _sweep(uow, clock) == []  # said once

    clock.set(DEADLINE + timedelta(hours=1))  # red: the deputy and (for a) the committee member
    notes, n = await _sweep_all(uow, clock)
    assert n == sweeps
    assert _warned_ids(notes, "opinion.warning.red") == fresh
    held_by_a = fresh & await _held_by(uow, world.a)
    assert len(held_by_a) == FRESH // 2
    assert {n.opinion_id for n in notes if n.recipient_person_id == world.member} == held_by_a
    assert await _sweep(uow, clock) == []

    clock.set(DEADLINE + timedelta(days=3, hours=1))  # the presidium
    notes, n = await _sweep_all(uow, clock)
    assert n == sweeps
    assert _warned_ids(notes, "opinion.warning.red") == fresh
    assert {n.opinion_id for n in notes if n.recipient_person_id == world.presidium} == held_by_a
    clock.advance(timedelta(days=30))
    assert await _sweep(uow, clock) == []  # no rung is left

    counts = await _warnings(uow)
    assert set(counts.values()) == {1}
    assert set(counts) == {(i, rung) for i in fresh for rung in ("yellow:0", "red:1", "red:2")}
    assert not {i for i, _ in counts} & stuck  # warned to the top before: nothing more
    async with uow() as u:
        left = await u.session.scalar(select(func.count()).where(Opinion.next_warning_at.is_not(None)))
    assert left == 0


async def test_a_late_sweep_sends_only_the_rung_reached(uow, world: World) -> None:
    _, fresh = await _bulk(uow, world)
    clock = FixedClock(DEADLINE + timedelta(days=4))  # nobody swept for four days
    notes, _ = await _sweep_all(uow, clock)
    assert _warned_ids(notes, "opinion.warning.red") == fresh
    assert not _warned_ids(notes, "opinion.warning.yellow")
    assert await _sweep(uow, clock) == []
    assert set(await _warnings(uow)) == {(i, "red:2") for i in fresh}


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
async def test_two_sweeps_at_once_never_warn_twice(uow, world: World, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's; SQLite has one connection")
    _, fresh = await _bulk(uow, world)
    clock = FixedClock(DEADLINE + timedelta(hours=1))
    for rung in ("red:1", "red:2"):
        first, second = await asyncio.gather(_sweep(uow, clock), _sweep(uow, clock))
        a, b = {n.opinion_id for n in first}, {n.opinion_id for n in second}
        assert a and b, "both sweeps should have found work: they did not run side by side"
        assert not a & b
        rest, _ = await _sweep_all(uow, clock)  # whatever the two left (each warns WARN_MOST at most)
        assert a | b | {n.opinion_id for n in rest} == fresh
        assert not (a | b) & {n.opinion_id for n in rest}
        counts = await _warnings(uow)
        assert set(counts.values()) == {1} and {i for i, r in counts if r == rung} == fresh
        clock.set(DEADLINE + timedelta(days=3, hours=1))


async def _stored(uow, opinion_id: int) -> Opinion:  # type: ignore[no-untyped-def]
    async with uow() as u:
        row = await u.session.get(Opinion, opinion_id)
        assert row is not None
        return row


def _expected(row: Opinion) -> datetime | None:
    return next_warning_at(
        POLICY, row.state, row.accept_deadline, row.answer_deadline, row.category, row.last_warning
    )


async def test_every_transition_keeps_the_next_look_in_step(uow, world: World) -> None:
    """Each clock's start, change and stop leaves `next_warning_at` where the rule puts it."""
    clock = FixedClock(T0)
    op_id = (await submit(uow, clock, world.sender)).opinion.id
    row = await _stored(uow, op_id)
    assert row.next_warning_at == DEADLINE - timedelta(hours=24) * 0.2 + timedelta(microseconds=1)
    steps = [
        (Action.ACCEPT, world.a_person, {}),
        (Action.ASK, world.a_person, {"note": "which well?"}),
        (Action.INFO_RECEIVED, world.sender, {"note": "the one by the school"}),
        (Action.TRANSFER, world.a_person, {"to_deputy_id": world.b}),
        (Action.ACCEPT, world.b_person, {}),
        (Action.ANSWER, world.b_person, {"text": "fixed"}),
        (Action.CONFIRM_DISSATISFIED, world.sender, {}),
        (Action.ESCALATE, world.b_person, {}),
    ]
    seen = []
    for action, actor, args in steps:
        clock.advance(timedelta(hours=30))  # past every accept deadline: warnings between steps
        await _sweep(uow, clock)
        out = await apply(uow, clock, op_id, action, actor, **args)
        assert out.ok, (action, out.refusal)
        row = await _stored(uow, op_id)
        assert row.next_warning_at == _expected(row), action
        seen.append(row.next_warning_at is not None)
    # The answer and the escalation stop the clock; everything else keeps one running.
    assert seen == [True, True, True, True, True, False, True, False]


def test_warned_rungs() -> None:
    assert [warned_rungs(w) for w in (None, "", "yellow:0", "red:1", "red:2", "odd")] == [0, 0, 1, 2, 3, 0]
