"""交办 (assignment): the staff queue, return with a reason, prepare the units, publish at the 交办会.

Every request is asked of `lifecycle.decide` (RETURN, PREPARE, PUBLISH) with the presser's relation:
staff are `ActorKind.STAFF`, anyone else has no relation to the queue, so a forged press is refused and
audited like a stale one. The rules the lifecycle's guards hold (a lead unit not also a co-unit; a term of
1–6 months, over three with a reason) are not re-decided here; this module only resolves unit codes
and, on publication, starts the term (`deadlines.deadline`) and takes the linked opinions off their own
clock by the opinions' own Escalate (`bot/opinions`), as the issue asks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.kit.dialogs import at
from bot.opinions.lifecycle import Action as OpinionAction
from bot.opinions.service import OpinionService
from bot.opinions.sla import FixedClock
from bot.suggestions.deadlines import DEFAULT_TERM_MONTHS, DeadlinePolicy, deadline, next_warning_at
from bot.suggestions.forms import SuggestDialog
from bot.suggestions.lifecycle import (
    Action,
    ActorKind,
    Details,
    Facts,
    Refusal,
    RefusalReason,
    decide,
    rule_for,
)
from bot.suggestions.service import Outcome, SuggestionService
from storage.models import Role, Unit
from storage.models.suggestions import Suggestion, SuggestionState
from storage.unit_of_work import UnitOfWork

__all__ = ["AssignmentService", "Pick", "Proposal"]

QUEUE_STATES = (SuggestionState.FILED, SuggestionState.PREPARED)


@dataclass(frozen=True)
class Proposal:
    """The 归口 table's proposal for one suggestion: the first unit leads, the others co-handle."""

    lead: Unit | None
    co_units: tuple[Unit, ...]
    candidates: tuple[Unit, ...]


class AssignmentService(SuggestionService):
    """Return, prepare and publish, inside the caller's unit of work (the service flushes, the caller commits)."""

    async def is_staff(self, person_id: int) -> bool:
        person = await self.uow.people.get(person_id)
        return person is not None and Role.STAFF in person.role_set

    async def _kinds(self, person_id: int) -> set[ActorKind]:
        return {ActorKind.STAFF} if await self.is_staff(person_id) else set()

    async def _lead_officer(self, suggestion: Suggestion, person_id: int) -> set[ActorKind]:
        lead = suggestion.lead_unit_id
        officer = lead is not None and await self.uow.units.officer(lead, person_id) is not None
        return {ActorKind.LEAD_OFFICER} if officer else set()

    async def relation(self, suggestion: Suggestion, person_id: int, action: Action) -> set[ActorKind]:
        """Staff for the queue's actions; the lead unit's officer for the unit's requests."""
        if action in (Action.REQUEST_REASSIGN, Action.REQUEST_EXTENSION):
            return await self._lead_officer(suggestion, person_id)
        return await self._kinds(person_id)

    async def queue(self, limit: int = 30) -> Sequence[Suggestion]:
        """Filed suggestions awaiting 交办, and those prepared for the next 交办会, oldest first."""
        return await self.uow.suggestions.in_states(QUEUE_STATES, limit)

    async def propose(self, suggestion: Suggestion) -> Proposal:
        """Lead and co-units from the 归口 table for the suggestion's category: the unit marked to lead it
        (the network file's `leads`), else the first by code, leads; the category's others co-handle."""
        units = tuple(await self.uow.units.for_category(suggestion.category))
        return Proposal(units[0] if units else None, units[1:], units)

    async def units_by_codes(self, codes: Sequence[str]) -> tuple[list[Unit], list[str]]:
        """(units, codes no unit has): any unit may be chosen by its code, 归口 or not."""
        found: list[Unit] = []
        unknown: list[str] = []
        for code in codes:
            unit = await self.uow.units.by_code(code.strip())
            if unit is None:
                unknown.append(code)
            elif unit not in found:
                found.append(unit)
        return found, unknown

    async def unit_names(self, unit_ids: Sequence[int]) -> dict[int, str]:
        names: dict[int, str] = {}
        for unit_id in unit_ids:
            unit = await self.uow.units.get(unit_id)
            if unit is not None:
                names[unit.id] = unit.name
        return names

    async def supervising_committee(self, category: str) -> int | None:
        """The special committee whose field covers the category (对口督办): the first by id, or None."""
        committees = await self.uow.network.committees_of_category(category)
        return committees[0] if committees else None

    async def person_name(self, person_id: int) -> str:
        person = await self.uow.people.get(person_id)
        return person.name if person is not None else "—"

    async def _locked(self, suggestion_id: int, action: Action, person_id: int) -> Suggestion | Outcome:
        suggestion = await self.uow.suggestions.get_for_update(suggestion_id)
        if suggestion is None:
            refusal = Refusal(RefusalReason.NO_RELATION, "not_found")
            return await self._refuse(None, action, person_id, refusal, suggestion_id)
        return suggestion

    async def return_to_filer(
        self, suggestion_id: int, person_id: int, reason: str, now: datetime
    ) -> Outcome:
        """Staff send it back to the filer with a reason (the filer and co-signers are told it)."""
        suggestion = await self._locked(suggestion_id, Action.RETURN, person_id)
        if isinstance(suggestion, Outcome):
            return suggestion
        details = Details(reason=reason)
        decided = decide(suggestion.state, Action.RETURN, await self._kinds(person_id), details=details)
        if isinstance(decided, Refusal):
            return await self._refuse(suggestion, Action.RETURN, person_id, decided)
        outcome = Outcome(suggestion)
        await self._apply(outcome, decided, person_id, now)
        await self._note_last(suggestion, reason.strip())
        outcome.notices = [
            dataclasses.replace(n, params={**n.params, "reason": reason.strip()}) for n in outcome.notices
        ]
        return outcome

    async def prepare(
        self,
        suggestion_id: int,
        person_id: int,
        lead_unit_id: int | None,
        co_unit_ids: Sequence[int],
        now: datetime,
        *,
        months: int = DEFAULT_TERM_MONTHS,
        reason: str = "",
    ) -> Outcome:
        """Choose the lead and co-units and the term; the suggestion waits `prepared` for the 交办会."""
        suggestion = await self._locked(suggestion_id, Action.PREPARE, person_id)
        if isinstance(suggestion, Outcome):
            return suggestion
        known = [u for u in (lead_unit_id, *co_unit_ids) if u is not None]
        for unit_id in known:
            if await self.uow.units.get(unit_id) is None:
                refusal = Refusal(RefusalReason.UNITS_INVALID, "unknown_unit")
                return await self._refuse(suggestion, Action.PREPARE, person_id, refusal)
        details = Details(
            reason=reason,
            lead_unit=str(lead_unit_id) if lead_unit_id is not None else None,
            co_units=tuple(str(u) for u in co_unit_ids),
            term_months=months,
        )
        decided = decide(suggestion.state, Action.PREPARE, await self._kinds(person_id), details=details)
        if isinstance(decided, Refusal):
            return await self._refuse(suggestion, Action.PREPARE, person_id, decided)
        suggestion.lead_unit_id = lead_unit_id
        suggestion.co_unit_ids = list(co_unit_ids)
        suggestion.term_months = months
        suggestion.term_reason = reason.strip() or None
        suggestion.prepared_at = now
        outcome = Outcome(suggestion)
        await self._apply(outcome, decided, person_id, now)
        return outcome

    async def publish(self, person_id: int, now: datetime, tracking_prefix: str = "LX") -> list[Outcome]:
        """The 交办会: every prepared suggestion is published at once; its term starts now, the units get
        their cards, the filer and the senders of its opinions are told, and those opinions leave their
        own clock (the opinions' Escalate). A non-staff presser gets one refusal, audited."""
        kinds = await self._kinds(person_id)
        prepared = await self.uow.suggestions.in_states([SuggestionState.PREPARED], limit=500)
        if not kinds:
            refusal = Refusal(RefusalReason.NO_RELATION, "not_staff")
            return [await self._refuse(None, Action.PUBLISH, person_id, refusal)]
        policy = DeadlinePolicy(zone=self.zone)
        outcomes: list[Outcome] = []
        for row in prepared:
            suggestion = await self.uow.suggestions.get_for_update(row.id)
            if suggestion is None:
                continue
            decided = decide(suggestion.state, Action.PUBLISH, kinds)
            if isinstance(decided, Refusal):  # changed since it was listed
                outcomes.append(await self._refuse(suggestion, Action.PUBLISH, person_id, decided))
                continue
            term = deadline(now, suggestion.term_months or DEFAULT_TERM_MONTHS, policy)
            suggestion.assigned_at = now
            suggestion.due_on = term.due_on
            suggestion.warned_rung, suggestion.next_warning_at = 0, next_warning_at(term, 0, policy)
            suggestion.committee_id = await self.supervising_committee(suggestion.category)
            outcome = Outcome(suggestion)
            await self._apply(outcome, decided, person_id, now)
            await self._off_the_clock(suggestion, person_id, now, tracking_prefix)
            outcomes.append(outcome)
        return outcomes

    async def request_reassign(
        self, suggestion_id: int, person_id: int, reason: str, now: datetime
    ) -> Outcome:
        """The lead unit's officer says "not ours", with a reason, once per unit; staff are told."""
        return await self._unit_request(suggestion_id, person_id, Action.REQUEST_REASSIGN, reason, now)

    async def request_extension(
        self, suggestion_id: int, person_id: int, reason: str, now: datetime
    ) -> Outcome:
        """The lead unit's officer asks staff for more time, with a reason, once per unit."""
        return await self._unit_request(suggestion_id, person_id, Action.REQUEST_EXTENSION, reason, now)

    async def _unit_request(
        self, suggestion_id: int, person_id: int, action: Action, reason: str, now: datetime
    ) -> Outcome:
        suggestion = await self._locked(suggestion_id, action, person_id)
        if isinstance(suggestion, Outcome):
            return suggestion
        kinds = await self._lead_officer(suggestion, person_id)
        asked = await self._asked_since_assignment(suggestion, action)
        facts = Facts(
            extension_asked=asked and action is Action.REQUEST_EXTENSION,
            reassign_asked=asked and action is Action.REQUEST_REASSIGN,
            term_months=suggestion.term_months or DEFAULT_TERM_MONTHS,
        )
        decided = decide(suggestion.state, action, kinds, facts=facts, details=Details(reason=reason))
        if isinstance(decided, Refusal):
            return await self._refuse(suggestion, action, person_id, decided)
        outcome = Outcome(suggestion)
        await self._apply(outcome, decided, person_id, now)
        await self._note_last(suggestion, reason.strip())
        outcome.notices = [
            dataclasses.replace(n, params={**n.params, "reason": reason.strip()}) for n in outcome.notices
        ]
        return outcome

    async def _asked_since_assignment(self, suggestion: Suggestion, action: Action) -> bool:
        """Whether the unit now leading asked this before: since the last publication or reassignment."""
        asked = False
        for event in await self.uow.suggestions.events(suggestion.id):
            if event.action in (Action.PUBLISH, Action.ASSIGN, Action.REASSIGN):
                asked = False
            elif event.action == action:
                asked = True
        return asked

    async def _off_the_clock(
        self, suggestion: Suggestion, person_id: int, now: datetime, prefix: str
    ) -> None:
        """The linked opinions are escalated now (their clock stops; the suggestion's runs)."""
        if not suggestion.source_opinion_ids:
            return
        opinions = OpinionService(self.uow, clock=FixedClock(now), tracking_prefix=prefix)
        for opinion_id in suggestion.source_opinion_ids:
            # Its notices are not sent: the sender hears of the assignment from the suggestion itself.
            await opinions.apply(opinion_id, OpinionAction.ESCALATE, person_id, note=suggestion.number)

    async def _note_last(self, suggestion: Suggestion, note: str) -> None:
        """Put the reason on the ledger entry just written."""
        events = await self.uow.suggestions.events(suggestion.id)
        if events:
            events[-1].note = note


@dataclass
class Pick:
    """Staff's choice in the chat picker, kept in the chat session until OK: a lead, co-units, a term."""

    suggestion_id: int
    lead: int | None = None
    co: list[int] = field(default_factory=list)
    months: int = DEFAULT_TERM_MONTHS
    reason: str = ""
    awaiting: str = ""  # "codes" or "reason": what the next typed message is
    proposed: list[int] = field(default_factory=list)  # the 归口 candidates shown as buttons
    reassign: bool = False  # OK reassigns a published suggestion (办理: "not ours", staff review)

    @classmethod
    def proposed_for(cls, suggestion_id: int, proposal: Proposal) -> Pick:
        return cls(
            suggestion_id,
            proposal.lead.id if proposal.lead else None,
            [u.id for u in proposal.co_units],
            proposed=[u.id for u in proposal.candidates],
        )

    def choose_lead(self, unit_id: int) -> None:
        self.lead = unit_id
        self.co = [u for u in self.co if u != unit_id]

    def toggle_co(self, unit_id: int) -> None:
        if unit_id == self.lead:
            return  # the lead is not also a co-unit (the lifecycle's UNITS guard)
        self.co = [u for u in self.co if u != unit_id] if unit_id in self.co else [*self.co, unit_id]

    def typed_units(self, unit_ids: Sequence[int]) -> None:
        """Typed codes: the first leads, the others co-handle; they join the buttons."""
        self.lead, self.co = unit_ids[0], list(unit_ids[1:])
        self.proposed += [u for u in unit_ids if u not in self.proposed]

    def shown(self) -> tuple[object, ...]:
        """What the picker shows (not what it waits for)."""
        return (self.lead, tuple(self.co), self.months, self.reason, tuple(self.proposed))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pick | None:
        try:
            return cls(**data)
        except TypeError:
            return None


async def check_press(
    service: AssignmentService, suggestion_id: int, person_id: int, action: Action
) -> Suggestion | Outcome:
    """Before a dialog opens (Return asks a reason, Assign a choice): staff, and the state allows it.

    The guards (reason, units, term) are judged when the request is complete; a refusal is audited."""
    suggestion = await service.get(suggestion_id)
    if suggestion is None:
        return await service._refuse(
            None, action, person_id, Refusal(RefusalReason.NO_RELATION, "not_found"), suggestion_id
        )
    kinds = await service.relation(suggestion, person_id, action)
    if not kinds:
        return await service._refuse(
            suggestion, action, person_id, Refusal(RefusalReason.NO_RELATION, "not_staff")
        )
    if rule_for(suggestion.state, action) is None:
        detail = f"{action} not from {suggestion.state}"
        return await service._refuse(
            suggestion, action, person_id, Refusal(RefusalReason.STALE_STATE, detail)
        )
    return suggestion


def prepared_count(rows: Sequence[Suggestion]) -> int:
    """How many of the queue's rows wait for the 交办会."""
    return sum(1 for row in rows if row.state == SuggestionState.PREPARED)


# -- the staff chat's dialog state (the picker, the awaited reason) -----------------------------------


async def open_return(uow: UnitOfWork, chat_id: int, suggestion_id: int) -> None:
    """The next message in this chat is the reason `suggestion_id` goes back to its filer."""
    await uow.chats.set(chat_id, at(SuggestDialog.RETURN, suggestion_id), {})


async def open_unit_request(uow: UnitOfWork, chat_id: int, suggestion_id: int, action: Action) -> None:
    """The next message in this officer's chat is the reason for `action` on `suggestion_id`."""
    await uow.chats.set(chat_id, at(SuggestDialog.UNIT_REQUEST, suggestion_id, action.value), {})


async def keep_pick(uow: UnitOfWork, chat_id: int, pick: Pick) -> None:
    await uow.chats.set(chat_id, at(SuggestDialog.ASSIGN, pick.suggestion_id), {"pick": pick.to_dict()})


async def held_pick(uow: UnitOfWork, chat_id: int, suggestion_id: int | None = None) -> Pick | None:
    """The picker this chat holds (for `suggestion_id`, when given); None when it moved on."""
    session = await uow.chats.get(chat_id)
    if not session.state or not session.state.startswith(SuggestDialog.ASSIGN.value + ":"):
        return None
    pick = Pick.from_dict(dict(session.data.get("pick") or {}))
    if pick is None or (suggestion_id is not None and pick.suggestion_id != suggestion_id):
        return None
    return pick


async def end_dialog(uow: UnitOfWork, chat_id: int) -> None:
    await uow.chats.set(chat_id, None, None)
