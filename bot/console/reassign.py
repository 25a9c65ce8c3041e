"""The console's one write: giving an opinion to another deputy.

It goes through `OpinionService.apply(TRANSFER)` exactly like /queue and /overdue in chat, so the
lifecycle's rules, timeline and notices are the same; what the console adds is the check that the page
was not stale, and its own audit entry (`console.reassign`).
"""

from __future__ import annotations

from typing import Any

from bot.console.reads.base import Reads
from bot.opinions.lifecycle import Action, Refusal, RefusalReason
from bot.opinions.service import OpinionService, Outcome
from storage.models import FINAL_STATES, Opinion, Person

__all__ = ["Reassignment"]


class Reassignment(Reads):
    """Reassigning an opinion from its page (the caller commits)."""

    async def deputy_by_code(self, code: str) -> int | None:
        """The deputy a typed code names, if any."""
        code = code.strip()[:32]
        if not code:
            return None
        return await self.uow.console.deputy_id_by_code(code)

    async def reassign(
        self,
        opinion_id: int,
        to_deputy_id: int | None,
        actor: Person,
        *,
        shown_holder: int | None,
        note: str = "",
    ) -> Outcome:
        """Transfer an opinion to another deputy, as /queue's picker does, unless it moved on meanwhile.

        Args:
            opinion_id: from the form; looked up, never assumed.
            to_deputy_id: the picked deputy (from the form; the service checks it exists).
            actor: the staff member (the lifecycle checks their right).
            shown_holder: the holder the page showed (0 for none); a different holder now means the
                page was stale, and the request is refused instead of overriding someone's change.
            note: the reason, kept on the timeline and told to the sender.
        """
        service = OpinionService(
            self.uow, clock=self.clock, policy=self.policy, tracking_prefix=self.settings.tracking_prefix
        )
        opinion = await self.uow.opinions.get(opinion_id)
        refusal = _refusal(opinion, to_deputy_id, shown_holder)
        if refusal is not None:
            await self._audit(
                actor, opinion_id, allowed=False, reason=refusal.reason.value, detail=refusal.detail
            )
            return Outcome(opinion, None, refusal, [])
        outcome = await service.apply(
            opinion_id, Action.TRANSFER, actor.id, to_deputy_id=to_deputy_id, note=note.strip()[:500] or None
        )
        if outcome.ok:
            await self._audit(
                actor, opinion_id, from_deputy_id=shown_holder or None, to_deputy_id=to_deputy_id
            )
        return outcome

    async def _audit(self, actor: Person, opinion_id: int, *, allowed: bool = True, **detail: Any) -> None:
        """The console's own entry (`console.reassign`), beside the lifecycle's timeline."""
        await self.uow.audit.record(
            "console.reassign",
            actor_telegram_id=actor.telegram_id,
            actor_person_id=actor.id,
            object_type="opinion",
            object_id=opinion_id,
            allowed=allowed,
            **detail,
        )


def _refusal(opinion: Opinion | None, to_deputy_id: int | None, shown_holder: int | None) -> Refusal | None:
    """Why the console refuses before asking the lifecycle: gone, closed, stale page, nobody picked."""
    if opinion is None:
        return Refusal(RefusalReason.NOT_FOUND)
    if opinion.state in FINAL_STATES:
        return Refusal(RefusalReason.FINAL, f"state {opinion.state}")
    if (opinion.holder_deputy_id or 0) != (shown_holder or 0):
        return Refusal(RefusalReason.STALE_STATE, f"holder {opinion.holder_deputy_id} not {shown_holder}")
    if to_deputy_id is None:
        return Refusal(RefusalReason.INVALID_ARGUMENT, "no deputy picked")
    return None
