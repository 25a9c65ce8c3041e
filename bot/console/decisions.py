"""The console's staff decisions after 交办: merge a duplicate (合并), decide a unit's request for more time
or for reassignment ("not ours"), reassign, close (销号) with a reason, conclude a re-check (回头看).

Each goes through the service the chat uses — `MergeService`, `HandlingService` (grant_extension, deny,
reassign), `SupervisionService` (close, conclude_recheck) — so the lifecycle's rules, the ledger, the
service's audit and the notices are the chat's, never a copy. As for 交办 (`SuggestionAssignment`, whose
helpers this extends), the notices are queued with `bot.suggestions.notices.deliver` in the request's
unit of work, and the console adds the stale-page check (the state the page showed) and its own audit
entry, `console.suggestion.<action>`.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.console.assignment import SuggestionAssignment
from bot.suggestions.deadlines import DEFAULT_TERM_MONTHS
from bot.suggestions.handling import HandlingService
from bot.suggestions.lifecycle import Action
from bot.suggestions.merge import MergeService
from bot.suggestions.results import RecheckPolicy
from bot.suggestions.service import Outcome
from bot.suggestions.supervise import SupervisionService
from storage.models import Person

__all__ = ["DENIALS", "SuggestionDecisions"]

DENIALS = (Action.DENY_EXTENSION, Action.DENY_REASSIGN)


class SuggestionDecisions(SuggestionAssignment):
    """Merge, grant or deny a unit's request, reassign, close, conclude a re-check (the caller commits)."""

    def _handling(self) -> HandlingService:
        return HandlingService.of(self.uow, self.policy)

    def _supervision(self) -> SupervisionService:
        recheck = RecheckPolicy(a_after_months=self.settings.recheck_a_after_months)
        return SupervisionService(self.uow, zone=self.policy.zone, recheck=recheck)

    async def merge(
        self, suggestion_id: int, actor: Person, target_id: int | None, number: str, *, shown_state: str
    ) -> Outcome:
        """Merge it into the suggestion chosen (by id) or typed (by number; a typed number wins)."""
        stale = await self._stale(suggestion_id, actor, Action.MERGE, shown_state)
        if stale is not None:
            return stale
        service = MergeService(self.uow, zone=self.policy.zone)
        typed = number.strip()
        checked = await service.check(suggestion_id, actor.id, None if typed else target_id, typed or None)
        if isinstance(checked, Outcome):
            return checked
        _suggestion, target = checked
        outcome = await service.merge(
            suggestion_id, actor.id, target.id, self.clock.now(), self.settings.tracking_prefix
        )
        return await self._done(outcome, actor, Action.MERGE, suggestion_id)

    async def grant_extension(
        self, suggestion_id: int, actor: Person, months: int, reason: str, *, shown_state: str
    ) -> Outcome:
        """More time for the lead unit: a longer term from assignment (six months at most), a reason."""
        stale = await self._stale(suggestion_id, actor, Action.GRANT_EXTENSION, shown_state)
        if stale is not None:
            return stale
        outcome = await self._handling().grant_extension(
            suggestion_id, actor.id, months, reason, self.clock.now()
        )
        return await self._done(outcome, actor, Action.GRANT_EXTENSION, suggestion_id)

    async def deny(
        self, suggestion_id: int, actor: Person, action: Action, reason: str, *, shown_state: str
    ) -> Outcome:
        """Refuse the unit's request (more time, or "not ours") with a reason; the unit handles it on."""
        if action not in DENIALS:
            raise ValueError(action)
        stale = await self._stale(suggestion_id, actor, action, shown_state)
        if stale is not None:
            return stale
        outcome = await self._handling().deny(suggestion_id, actor.id, action, reason, self.clock.now())
        return await self._done(outcome, actor, action, suggestion_id)

    async def reassign(
        self,
        suggestion_id: int,
        actor: Person,
        lead_unit_id: int | None,
        co_unit_ids: Sequence[int],
        *,
        months: int = DEFAULT_TERM_MONTHS,
        reason: str = "",
        shown_state: str,
    ) -> Outcome:
        """Give it to another lead unit (and co-units) with a new term from now."""
        stale = await self._stale(suggestion_id, actor, Action.REASSIGN, shown_state)
        if stale is not None:
            return stale
        outcome = await self._handling().reassign(
            suggestion_id,
            actor.id,
            lead_unit_id,
            list(co_unit_ids),
            self.clock.now(),
            months=months,
            reason=reason,
        )
        return await self._done(outcome, actor, Action.REASSIGN, suggestion_id)

    async def close(self, suggestion_id: int, actor: Person, reason: str, *, shown_state: str) -> Outcome:
        """销号 by the office's decision, with a reason (answered, answered again, or with staff)."""
        stale = await self._stale(suggestion_id, actor, Action.CLOSE, shown_state)
        if stale is not None:
            return stale
        outcome = await self._supervision().close(suggestion_id, actor.id, reason, self.clock.now())
        return await self._done(outcome, actor, Action.CLOSE, suggestion_id)

    async def conclude_recheck(
        self, suggestion_id: int, actor: Person, reason: str, *, shown_state: str
    ) -> Outcome:
        """Conclude a re-check entry (reopened by the deputy, or never answered), with a reason."""
        stale = await self._stale(suggestion_id, actor, Action.CONCLUDE_RECHECK, shown_state)
        if stale is not None:
            return stale
        outcome = await self._supervision().conclude_recheck(
            suggestion_id, actor.id, reason, self.clock.now()
        )
        return await self._done(outcome, actor, Action.CONCLUDE_RECHECK, suggestion_id)
