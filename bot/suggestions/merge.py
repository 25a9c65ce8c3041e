"""合并 (merging duplicates): staff join a suggestion to another about the same matter.

The lifecycle's MERGE rule and its MERGE_TARGET guard decide (staff only; from filed, prepared or
returned; into a filed-or-later suggestion other than itself that is not merged, withdrawn or returned).
What merging then does, once:
- the merged one becomes `merged`, `merged_into_id` names the target, its ledger entry's note is the
  target's number, and the target's ledger gains a `joined` entry naming it;
- its filer and the co-signers who confirmed it become confirmed co-signers of the target (not the
  target's own filer; someone who had declined or lapsed there joins now) — merging is not limited by
  `MAX_COSIGNERS`, which bounds whom one filer invites;
- its linked opinions join the target's `source_opinion_ids`, so their senders follow the target; if the
  target is already assigned, those opinions leave their own clock as the target's did at publication;
- told: its filer ("merged into S-…"), its co-signers, its opinions' senders, and the target's filer.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from datetime import datetime

from bot.kit.dialogs import at
from bot.opinions.lifecycle import Action as OpinionAction
from bot.opinions.service import OpinionService
from bot.opinions.sla import FixedClock
from bot.suggestions.filing import FilingService
from bot.suggestions.forms import SuggestDialog
from bot.suggestions.lifecycle import (
    MERGE_TARGETS,
    Action,
    ActorKind,
    Details,
    Facts,
    Refusal,
    RefusalReason,
    decide,
)
from bot.suggestions.service import Outcome
from storage.models.suggestions import CosignerState, Suggestion, SuggestionCosigner, SuggestionState
from storage.unit_of_work import UnitOfWork

__all__ = ["JOINED", "MergeService", "end_merge", "open_merge", "parse_number"]

JOINED = "joined"  # the target's ledger entry for a suggestion merged into it (not a lifecycle action)
_NUMBER = re.compile(r"^S-\d{4}-\d{4,}$")


def parse_number(text: str) -> str | None:
    """A suggestion number as staff type it ("s-2026-0003", with spaces), or None."""
    typed = "".join(text.split()).upper()
    return typed if _NUMBER.match(typed) else None


class MergeService(FilingService):
    """Merging, inside the caller's unit of work."""

    async def candidates(self, suggestion: Suggestion) -> Sequence[Suggestion]:
        """Suggestions of the same category it could join, newest first (the picker's buttons)."""
        return await self.uow.suggestions.merge_candidates(
            suggestion.category, suggestion.id, sorted(MERGE_TARGETS)
        )

    async def check(
        self, suggestion_id: int, person_id: int, target_id: int | None, number: str | None = None
    ) -> tuple[Suggestion, Suggestion] | Outcome:
        """Before the confirmation is shown: staff, both states and the target (the lifecycle decides);
        a refusal is audited. The target is named by id (a button) or number (typed)."""
        suggestion = await self.get(suggestion_id)
        if suggestion is None:
            refusal = Refusal(RefusalReason.NO_RELATION, "not_found")
            return await self._refuse(None, Action.MERGE, person_id, refusal, suggestion_id)
        target = await self._target(target_id, number)
        decided = decide(
            suggestion.state,
            Action.MERGE,
            await self._kinds(person_id),
            facts=_facts(suggestion, target),
            details=Details(merge_into=(target.number if target else number) or ""),
        )
        if isinstance(decided, Refusal):
            return await self._refuse(suggestion, Action.MERGE, person_id, decided)
        assert target is not None  # the guard refuses an unknown target
        return suggestion, target

    async def merge(
        self, suggestion_id: int, person_id: int, target_id: int, now: datetime, tracking_prefix: str = "LX"
    ) -> Outcome:
        """Merge `suggestion_id` into `target_id` (both from untrusted callback data): see the module."""
        first, second = sorted((suggestion_id, target_id))
        # Both rows locked in id order, so two merges at once wait for each other, never deadlock.
        locked = {first: await self.uow.suggestions.get_for_update(first)}
        if second != first:
            locked[second] = await self.uow.suggestions.get_for_update(second)
        suggestion, target = locked.get(suggestion_id), locked.get(target_id)
        if suggestion is None:
            refusal = Refusal(RefusalReason.NO_RELATION, "not_found")
            return await self._refuse(None, Action.MERGE, person_id, refusal, suggestion_id)
        decided = decide(
            suggestion.state,
            Action.MERGE,
            await self._kinds(person_id),
            facts=_facts(suggestion, target),
            details=Details(merge_into=(target.number if target is not None else None) or str(target_id)),
        )
        if isinstance(decided, Refusal):
            return await self._refuse(suggestion, Action.MERGE, person_id, decided)
        assert target is not None
        suggestion.merged_into_id = target.id
        joined = await self._join(suggestion, target, person_id, now, tracking_prefix)
        outcome = Outcome(suggestion)
        await self._apply(outcome, decided, person_id, now)
        await self._note_last(suggestion, target.number or str(target.id))
        await self._ledger(
            target,
            JOINED,
            SuggestionState(target.state),
            ActorKind.STAFF,
            person_id,
            now,
            note=f"{suggestion.number or suggestion.id} ({joined} co-signers)",
        )
        into = {"into": target.number or ""}
        outcome.notices = [dataclasses.replace(n, params={**n.params, **into}) for n in outcome.notices]
        return outcome

    async def number_of(self, suggestion_id: int | None) -> str:
        """The number of the suggestion one was merged into ("—" when unknown)."""
        target = await self.get(suggestion_id) if suggestion_id is not None else None
        return (target.number if target is not None else None) or "—"

    async def _target(self, target_id: int | None, number: str | None) -> Suggestion | None:
        if target_id is not None:
            return await self.get(target_id)
        typed = parse_number(number or "")
        return await self.uow.suggestions.by_number(typed) if typed else None

    async def _join(
        self, suggestion: Suggestion, target: Suggestion, person_id: int, now: datetime, prefix: str
    ) -> int:
        """Its filer and confirmed co-signers co-sign the target; its opinions follow the target.
        Returns how many people joined the target's co-signers."""
        rows = await self.uow.suggestions.cosigners(suggestion.id)
        people = [suggestion.filer_person_id]
        people += [r.person_id for r in rows if r.state == CosignerState.CONFIRMED]
        joined = 0
        for person in dict.fromkeys(people):
            if person == target.filer_person_id:
                continue
            row = await self.uow.suggestions.cosigner(target.id, person)
            if row is None:
                await self.uow.suggestions.add_cosigner(
                    SuggestionCosigner(
                        suggestion_id=target.id,
                        person_id=person,
                        state=CosignerState.CONFIRMED.value,
                        invited_at=now,
                        answered_at=now,
                    )
                )
            elif row.state == CosignerState.CONFIRMED:
                continue
            else:
                row.state, row.answered_at = CosignerState.CONFIRMED.value, now
            joined += 1
        known = list(target.source_opinion_ids or [])
        new = [o for o in suggestion.source_opinion_ids or [] if o not in known]
        if new:
            target.source_opinion_ids = known + new  # a new list: the JSON column sees the change
            if target.assigned_at is not None:
                await self._escalate(new, target, person_id, now, prefix)
        await self.uow.flush()
        return joined

    async def _escalate(
        self, opinion_ids: Sequence[int], target: Suggestion, person_id: int, now: datetime, prefix: str
    ) -> None:
        """Opinions joining an assigned suggestion leave their own clock, as its own did at publication."""
        opinions = OpinionService(self.uow, clock=FixedClock(now), tracking_prefix=prefix)
        for opinion_id in opinion_ids:
            await opinions.apply(opinion_id, OpinionAction.ESCALATE, person_id, note=target.number)


def _facts(suggestion: Suggestion, target: Suggestion | None) -> Facts:
    return Facts(
        merge_target_state=target.state if target is not None else None,
        merge_target_is_self=target is not None and target.id == suggestion.id,
    )


async def open_merge(uow: UnitOfWork, chat_id: int, suggestion_id: int) -> None:
    """The next message in this staff chat is the number of the suggestion `suggestion_id` joins."""
    await uow.chats.set(chat_id, at(SuggestDialog.MERGE, suggestion_id), {})


async def end_merge(uow: UnitOfWork, chat_id: int) -> None:
    """Close the chat's merge dialog, if it is in one (a candidate pressed instead of a number typed)."""
    session = await uow.chats.get(chat_id)
    if session.state and session.state.startswith(SuggestDialog.MERGE.value + ":"):
        await uow.chats.set(chat_id, None, None)
