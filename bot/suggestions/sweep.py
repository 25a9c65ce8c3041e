"""The suggestions' reminder ladder, swept: each rung of a term warned once, chosen in SQL.

A term (assignment, extension, re-handling, reassignment) arms the row: `warned_rung` 0 and
`next_warning_at` the instant the first rung begins (`deadlines.rung_starts`: yellow → the lead unit's
officers; red → and its head officer; red for a week → and staff and the supervising committee). The
sweep reads only the rows whose `next_warning_at` has come (an indexed range, locked and skipping rows
another sweep holds), sends the rung the clock has reached — everyone up to it, each once, quiet hours
kept — records it on the ledger, and moves `next_warning_at` to the next rung's start (None after the
last). An answer clears it. So a rung is warned exactly once, however often the sweep runs and however
many workers run it; a sweep that comes late sends only the rung reached, not the ones it slept through.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.kit.reminders import drain, rearm
from bot.opinions.sla import SlaPolicy
from bot.runtime.settings import Settings
from bot.suggestions.deadlines import (
    DeadlinePolicy,
    ReminderLadder,
    next_warning_at,
    reminder,
    suggestion_colour,
)
from bot.suggestions.handling import CLOCK_STATES, policy_for, term_of
from bot.suggestions.lifecycle import ActorKind
from bot.suggestions.notices import deliver
from bot.suggestions.service import Notice, SuggestionService
from storage.models import Role
from storage.models.suggestions import Suggestion, SuggestionState
from storage.unit_of_work import UnitOfWork

__all__ = ["BATCH", "WARN", "WARNING_KEY", "ReminderSweep", "sweep"]

BATCH = 200
WARN = "warn"  # the ledger's entry for a reminder (a 督办 record, not a lifecycle action)
WARNING_KEY = "suggestion.deadline_warning"


class ReminderSweep(SuggestionService):
    """One sweep inside the caller's unit of work: returns each warned suggestion with its notices."""

    def __init__(self, uow: UnitOfWork, *, policy: DeadlinePolicy | None = None) -> None:
        self.policy = policy or DeadlinePolicy()
        super().__init__(uow, zone=self.policy.zone)
        self._officers_of: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        self._members_of: dict[tuple[int | None, str], tuple[int, ...]] = {}
        self._staff: tuple[int, ...] | None = None

    async def sweep(self, now: datetime) -> list[tuple[Suggestion, list[Notice]]]:
        warned = await drain(
            lambda n: self.uow.suggestions.due_for_warning(now, n),
            lambda row: self._warn(row, now),
            self.uow.flush,
            key=lambda row: row.id,
            batch=BATCH,
        )
        return [(row, list(notices)) for row, notices in warned]

    async def _warn(self, row: Suggestion, now: datetime) -> list[Notice]:
        term = term_of(row, self.policy)
        if term is None or row.state not in CLOCK_STATES:
            row.next_warning_at = None  # answered, closed or never assigned: no clock runs
            return []
        due = reminder(await self._ladder(row), term, now, self.policy)
        notices: list[Notice] = []
        if due is not None and due.level + 1 > row.warned_rung:
            row.warned_rung = due.level + 1
            colour = suggestion_colour(term, now, self.policy).value
            state = SuggestionState(row.state)
            await self._ledger(row, WARN, state, ActorKind.SYSTEM, None, now, note=f"{colour}:{due.level}")
            unit = set(await self._unit_people(row))
            for person_id in due.to_person_ids:
                params = {
                    "level": due.level,
                    "colour": colour,
                    "due": row.due_on.isoformat() if row.due_on else "",
                    "unit": person_id in unit,
                }
                notices.append(Notice(person_id, WARNING_KEY, row.id, params))
        row.next_warning_at = rearm(next_warning_at(term, row.warned_rung, self.policy), now)
        return notices

    async def _unit_people(self, row: Suggestion) -> tuple[int, ...]:
        officers, heads = await self._unit(row.lead_unit_id)
        return officers + heads

    async def _unit(self, unit_id: int | None) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(officers, head officers) of the lead unit, read once per sweep: the first rung is the officers
        who are not heads — the heads themselves when the unit has no other officer."""
        if unit_id is None:
            return (), ()
        if unit_id not in self._officers_of:
            rows = await self.uow.units.officers(unit_id)
            heads = tuple(o.person_id for o in rows if o.head)
            officers = tuple(o.person_id for o in rows if not o.head) or heads
            self._officers_of[unit_id] = (officers, heads)
        return self._officers_of[unit_id]

    async def _ladder(self, row: Suggestion) -> ReminderLadder:
        officers, heads = await self._unit(row.lead_unit_id)
        if self._staff is None:
            self._staff = tuple(p.id for p in await self.uow.people.with_role(Role.STAFF))
        # Without a committee chosen at assignment, the category's decides (`_committee`).
        key = (row.committee_id, "" if row.committee_id is not None else row.category)
        if key not in self._members_of:
            self._members_of[key] = tuple(p for p, _ in await self._committee(row))
        return ReminderLadder(officers, heads, self._staff, self._members_of[key])


async def sweep(uow: UnitOfWork, settings: Settings, sla: SlaPolicy, now: datetime) -> int:
    """Warn every suggestion whose next rung has come and queue the reminders; returns how many."""
    warned: Sequence[tuple[Suggestion, list[Notice]]] = await ReminderSweep(
        uow, policy=policy_for(sla)
    ).sweep(now)
    for suggestion, notices in warned:
        await deliver(uow, notices, suggestion, settings, sla, now)
    return sum(len(notices) for _, notices in warned)
