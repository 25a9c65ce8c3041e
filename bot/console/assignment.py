"""The console's 交办 actions on suggestions: return to the filer, prepare the units, publish at the 交办会.

Each goes through `bot.suggestions.assign.AssignmentService` exactly like /suggestions in chat, so the
lifecycle's rules, the ledger, the service's audit and the notices are the same; the notices an
outcome returns are queued with `bot.suggestions.notices.deliver` in the request's unit of work (the
units get their cards in Telegram when it commits). What the console adds is the check that the page
was not stale — the state it showed, or the batch the 交办会 page listed — and its own audit entry
(`console.suggestion.<action>`), beside the service's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.console.reads.base import Reads
from bot.console.reads.suggestions import PUBLISH_LIMIT
from bot.suggestions import notices
from bot.suggestions.assign import AssignmentService
from bot.suggestions.deadlines import DEFAULT_TERM_MONTHS
from bot.suggestions.lifecycle import Action, Refusal, RefusalReason
from bot.suggestions.service import Outcome
from storage.models import Person
from storage.models.suggestions import SuggestionState

__all__ = ["Published", "SuggestionAssignment"]


class Published:
    """What one 交办会 did: the outcomes published, those refused, or why nothing was done."""

    def __init__(self, outcomes: Sequence[Outcome] = (), refusal: Refusal | None = None) -> None:
        self.outcomes = list(outcomes)
        self.refusal = refusal

    @property
    def numbers(self) -> list[str]:
        return [o.suggestion.number or "—" for o in self.outcomes if o.ok and o.suggestion is not None]

    @property
    def refused(self) -> int:
        return sum(1 for o in self.outcomes if not o.ok)


class SuggestionAssignment(Reads):
    """Return, prepare and publish from the console (the caller commits)."""

    def _service(self) -> AssignmentService:
        return AssignmentService(self.uow, zone=self.settings.timezone)

    async def return_to_filer(
        self, suggestion_id: int, actor: Person, reason: str, *, shown_state: str
    ) -> Outcome:
        """Send it back to its filer with a reason, unless it moved on since the page showed it."""
        stale = await self._stale(suggestion_id, actor, Action.RETURN, shown_state)
        if stale is not None:
            return stale
        outcome = await self._service().return_to_filer(suggestion_id, actor.id, reason, self.clock.now())
        return await self._done(outcome, actor, Action.RETURN, suggestion_id)

    async def prepare(
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
        """Choose its lead and co-units and its term; it waits, prepared, for the 交办会."""
        stale = await self._stale(suggestion_id, actor, Action.PREPARE, shown_state)
        if stale is not None:
            return stale
        outcome = await self._service().prepare(
            suggestion_id,
            actor.id,
            lead_unit_id,
            list(co_unit_ids),
            self.clock.now(),
            months=months,
            reason=reason,
        )
        return await self._done(outcome, actor, Action.PREPARE, suggestion_id)

    async def publish(self, actor: Person, shown_ids: Sequence[int]) -> Published:
        """The 交办会: every prepared suggestion is published at once, if they are still the ones the
        confirmation page listed (else nothing is published and the page is shown again)."""
        now = self.clock.now()
        prepared = await self.uow.console_suggestions.in_states(
            [SuggestionState.PREPARED.value], limit=PUBLISH_LIMIT
        )
        current = sorted(s.id for s in prepared)
        if not current or current != sorted(set(shown_ids)):
            reason = RefusalReason.STALE_STATE
            await self._audit(
                actor, Action.PUBLISH, None, allowed=False, reason=reason.value, shown=len(shown_ids)
            )
            return Published(refusal=Refusal(reason, "nothing prepared" if not current else "batch changed"))
        outcomes = await self._service().publish(actor.id, now, self.settings.tracking_prefix)
        for outcome in outcomes:
            await self._deliver(outcome)
        published = Published(outcomes)
        await self._audit(
            actor, Action.PUBLISH, None, published=len(published.numbers), refused=published.refused
        )
        return published

    async def _stale(
        self, suggestion_id: int, actor: Person, action: Action, shown_state: str
    ) -> Outcome | None:
        """A refusal when the suggestion is no longer in the state the page showed (someone else acted)."""
        suggestion = await self.uow.suggestions.get(suggestion_id)
        if suggestion is None or suggestion.state == shown_state:
            return None  # a missing one is the service's to refuse (and audit)
        refusal = Refusal(RefusalReason.STALE_STATE, f"{suggestion.state} not {shown_state[:24]}")
        await self._audit(actor, action, suggestion_id, allowed=False, reason=refusal.reason.value)
        return Outcome(suggestion, refusal=refusal)

    async def _done(self, outcome: Outcome, actor: Person, action: Action, suggestion_id: int) -> Outcome:
        if outcome.ok:
            await self._deliver(outcome)
            await self._audit(actor, action, suggestion_id)
        return outcome

    async def _deliver(self, outcome: Outcome) -> None:
        """Queue the outcome's notices, each in its recipient's language: what the chat's `tell` does."""
        if outcome.ok and outcome.suggestion is not None and outcome.notices:
            await notices.deliver(
                self.uow, outcome.notices, outcome.suggestion, self.settings, self.policy, self.clock.now()
            )

    async def _audit(
        self, actor: Person, action: Action, suggestion_id: int | None, *, allowed: bool = True, **detail: Any
    ) -> None:
        """The console's own entry, beside the service's `suggestion.<action>`."""
        await self.uow.audit.record(
            f"console.suggestion.{action.value}",
            actor_telegram_id=actor.telegram_id,
            actor_person_id=actor.id,
            object_type="suggestion" if suggestion_id is not None else None,
            object_id=suggestion_id,
            allowed=allowed,
            **detail,
        )
