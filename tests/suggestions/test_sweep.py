"""The suggestions' reminder ladder, swept on both backends: the rung boundaries, the clock armed by every
term and cleared by the answer, each rung warned exactly once (600 overdue suggestions; two sweeps at
once on PostgreSQL), a late sweep sending only the rung reached, and quiet hours kept."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.opinions.sla import SlaPolicy
from bot.runtime.settings import load_settings
from bot.suggestions.deadlines import (
    Deadline,
    DeadlinePolicy,
    WarningColour,
    deadline,
    due_at,
    ladder_level,
    next_warning_at,
    rung_starts,
    suggestion_colour,
)
from bot.suggestions.handling import AnswerInput, HandlingService, term_of
from bot.suggestions.service import Notice
from bot.suggestions.sweep import WARN, WARNING_KEY, ReminderSweep, sweep
from storage.models import (
    OutboxMessage,
    Person,
    PersonRole,
    Role,
    SpecialCommittee,
    SpecialCommitteeMember,
    Unit,
)
from storage.models.suggestions import Suggestion, SuggestionEvent, SuggestionState
from storage.unit_of_work import UnitOfWork
from tests.suggestions.test_handling import world

POLICY = DeadlinePolicy()
ASSIGNED = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TERM = deadline(ASSIGNED, 3, POLICY)  # due 2026-06-11
YELLOW, RED, STAFF = rung_starts(TERM, POLICY)
TICK = timedelta(microseconds=1)


def test_each_rung_begins_where_the_colour_and_the_ladder_say() -> None:
    assert TERM.due_on == date(2026, 6, 11)
    assert suggestion_colour(TERM, YELLOW - TICK) is WarningColour.GREEN
    assert suggestion_colour(TERM, YELLOW) is WarningColour.YELLOW
    assert suggestion_colour(TERM, RED - TICK) is WarningColour.YELLOW  # at the deadline itself
    assert suggestion_colour(TERM, RED) is WarningColour.RED
    assert ladder_level(WarningColour.RED, STAFF - TICK - TERM.due_at, POLICY) == 1
    assert ladder_level(WarningColour.RED, STAFF - TERM.due_at, POLICY) == 2
    assert RED - TICK == TERM.due_at == datetime(2026, 6, 11, 16, 0, tzinfo=UTC)  # midnight in Shanghai
    assert [next_warning_at(TERM, rung, POLICY) for rung in range(4)] == [YELLOW, RED, STAFF, None]


async def test_every_term_arms_the_clock_and_the_answer_stops_it(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        w = await world(u)
        s = await u.suggestions.get(w.sid)
        assert s is not None and s.warned_rung == 0
        term = term_of(s, POLICY)
        assert term is not None and s.next_warning_at == rung_starts(term, POLICY)[0]
        service = HandlingService(u)
        assert (await service.sign_for(w.sid, w.ids["b"], ASSIGNED)).ok
        warned = await ReminderSweep(u).sweep(YELLOW)
        assert [(row.id, [n.recipient_person_id for n in notes]) for row, notes in warned] == [
            (w.sid, [w.ids["b"]])
        ]
        assert s.warned_rung == 1 and s.next_warning_at == RED
        answered = await service.answer(w.sid, w.ids["b"], AnswerInput("A", "已办结"), YELLOW)
        assert answered.ok and s.next_warning_at is None
        assert await ReminderSweep(u).sweep(STAFF + timedelta(days=30)) == []


async def _ladder(u: UnitOfWork) -> dict[str, int]:
    """One unit with an officer and a head officer, a staff member, a supervising committee's member."""
    officer, head, staff, member = (
        Person(name=n, telegram_id=t) for n, t in (("科员", 11), ("局长", 12), ("办公室", 13), ("委员", 14))
    )
    unit = Unit(code="U1", name="交通局", kind="government")
    committee = SpecialCommittee(code="TRAF", name="交通委员会", categories=["transport"])
    filer = Person(name="代表", telegram_id=15)
    u.session.add_all([officer, head, staff, member, unit, committee, filer])
    await u.flush()
    await u.units.add_officer(unit.id, officer.id)
    await u.units.add_officer(unit.id, head.id, head=True)
    u.session.add(PersonRole(person_id=staff.id, role=Role.STAFF.value))
    u.session.add(SpecialCommitteeMember(committee_id=committee.id, person_id=member.id))
    await u.flush()
    return {
        "officer": officer.id,
        "head": head.id,
        "staff": staff.id,
        "member": member.id,
        "unit": unit.id,
        "committee": committee.id,
        "filer": filer.id,
    }


def _suggestions(
    ids: dict[str, int], count: int, *, due_on: date = TERM.due_on, start: int = 0
) -> list[Suggestion]:
    first = rung_starts(Deadline(ASSIGNED, due_on, due_at(due_on, POLICY)), POLICY)[0]
    return [
        Suggestion(
            number=f"S-2026-{start + i + 1:04d}",
            title=f"建议{i}",
            text="村道破损",
            category="transport",
            filer_person_id=ids["filer"],
            state=SuggestionState.HANDLING.value,
            lead_unit_id=ids["unit"],
            committee_id=ids["committee"],
            term_months=3,
            assigned_at=ASSIGNED,
            due_on=due_on,
            warned_rung=0,
            next_warning_at=first,
            created_at=ASSIGNED,
        )
        for i in range(count)
    ]


def _rungs(warned: list[tuple[Suggestion, list[Notice]]]) -> Counter[tuple[int, int]]:
    """(level, recipient) → how many notices."""
    return Counter((int(n.params["level"]), n.recipient_person_id) for _, notes in warned for n in notes)


async def test_six_hundred_overdue_suggestions_are_warned_once_per_rung(
    uow: Callable[[], UnitOfWork],
) -> None:
    async with uow() as u:
        ids = await _ladder(u)
        u.session.add_all(_suggestions(ids, 600))
        u.session.add_all(_suggestions(ids, 5, due_on=date(2026, 12, 31), start=600))  # far from due
        await u.commit()
    expected = {
        YELLOW: {(0, ids["officer"]): 600},
        RED: {(1, ids["officer"]): 600, (1, ids["head"]): 600},
        STAFF: {(2, p): 600 for p in (ids["officer"], ids["head"], ids["staff"], ids["member"])},
    }
    for at, counts in expected.items():
        async with uow() as u:
            warned = await ReminderSweep(u, policy=POLICY).sweep(at)
            await u.commit()
        assert _rungs(warned) == counts
        assert {n.key for _, notes in warned for n in notes} == {WARNING_KEY}
        async with uow() as u:  # swept again at once: nothing is due any more
            assert await ReminderSweep(u, policy=POLICY).sweep(at) == []
            await u.commit()
    async with uow() as u:
        assert await ReminderSweep(u, policy=POLICY).sweep(STAFF + timedelta(days=30)) == []
        rows = (await u.session.scalars(select(Suggestion).order_by(Suggestion.id))).all()
        assert Counter((r.warned_rung, r.next_warning_at is None) for r in rows) == {
            (3, True): 600,
            (0, False): 5,
        }
        notes = await u.session.scalars(select(SuggestionEvent.note).where(SuggestionEvent.action == WARN))
        assert Counter(notes) == {"yellow:0": 600, "red:1": 600, "red:2": 600}


async def test_two_sweeps_at_once_warn_each_rung_once(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        ids = await _ladder(u)
        u.session.add_all(_suggestions(ids, 300))
        await u.commit()
        on_postgres = u.session.bind.dialect.name == "postgresql"

    async def one() -> list[tuple[Suggestion, list[Notice]]]:
        async with uow() as u:
            warned = await ReminderSweep(u, policy=POLICY).sweep(RED)
            await u.commit()
            return warned

    # SQLite has one writer at a time: there the sweeps run one after the other.
    runs = await asyncio.gather(one(), one()) if on_postgres else [await one(), await one()]
    assert _rungs([w for run in runs for w in run]) == {(1, ids["officer"]): 300, (1, ids["head"]): 300}


async def test_a_late_sweep_sends_only_the_rung_reached(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        ids = await _ladder(u)
        stale, answered = _suggestions(ids, 2)
        answered.state = SuggestionState.ANSWERED.value  # a clock left armed by mistake: cleared, not warned
        u.session.add_all([stale, answered])
        await u.flush()
        warned = await ReminderSweep(u, policy=POLICY).sweep(STAFF + timedelta(days=1))
        assert [(row.id, level) for row, notes in warned for level in {n.params["level"] for n in notes}] == [
            (stale.id, 2)
        ]
        assert stale.warned_rung == 3 and stale.next_warning_at is None
        assert answered.warned_rung == 0 and answered.next_warning_at is None


async def test_the_runtime_sweep_keeps_quiet_hours(uow: Callable[[], UnitOfWork]) -> None:
    """A rung reached at 23:00 in Shanghai is queued for 08:00 (reminders are not urgent)."""
    night = datetime(2026, 6, 11, 15, 0, tzinfo=UTC)  # 23:00 on the due day: yellow
    async with uow() as u:
        ids = await _ladder(u)
        u.session.add_all(_suggestions(ids, 1))
        await u.flush()
        assert await sweep(u, load_settings(), SlaPolicy(), night) == 1
        assert await sweep(u, load_settings(), SlaPolicy(), night) == 0
        await u.commit()
    async with uow() as u:
        rows = (await u.session.scalars(select(OutboxMessage))).all()
        assert [(r.chat_id, r.not_before) for r in rows] == [(11, datetime(2026, 6, 12, 0, 0, tzinfo=UTC))]
        assert "S-2026-0001" in rows[0].payload["text"] and "🟡" in rows[0].payload["text"]
