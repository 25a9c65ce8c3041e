"""提出, after the first File: a returned suggestion revised and filed again, withdrawal, the co-signers'
clock, a deputy group's joint filing, and finding the deputy a paper suggestion is filed for.

Every request goes through `lifecycle.decide` with the presser's relation (`filer` only for the deputy
it was filed by or for), is written to the ledger and audited, and a refusal is audited and changes
nothing — as in `service.py`, whose `SuggestionService` this extends.

Rules of the co-signers' clock, once:
- an invited co-signer who has not answered `REMIND_AFTER` (three days) after the invitation is
  reminded once (`remind_due`, run by the runtime's periodic job; quiet hours as for every non-urgent
  notice); the filer gets a status card saying who is silent and from when they may file without them;
- from `LAPSE_AFTER` (seven days) the filer may file without those who did not answer: they are
  recorded `lapsed`, not `declined`, and no longer count as pending (the lifecycle's
  NO_PENDING_COSIGNERS guard counts `invited` only), so the suggestion is filed and numbered at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from bot.opinions.sla import SlaPolicy
from bot.runtime.settings import Settings
from bot.suggestions import notices, numbering
from bot.suggestions.assign import AssignmentService
from bot.suggestions.forms import GroupChoice
from bot.suggestions.lifecycle import Action, ActorKind, Audience, Facts, Refusal, RefusalReason, decide
from bot.suggestions.service import Draft, Outcome, draft_problem
from storage.models.suggestions import CosignerState, Suggestion, SuggestionCosigner, SuggestionState
from storage.unit_of_work import UnitOfWork

__all__ = ["LAPSE_AFTER", "REMIND_AFTER", "FilingService", "GroupChoice", "remind_cosigners"]

REMIND_AFTER = timedelta(days=3)
LAPSE_AFTER = timedelta(days=7)


class FilingService(AssignmentService):
    """Refile, withdraw, the co-signers' reminder and lapse, joint filing by a group, paper look-ups."""

    def _filer(self, suggestion: Suggestion, person_id: int) -> set[ActorKind]:
        return {ActorKind.FILER} if suggestion.filer_person_id == person_id else set()

    async def check_filer_press(
        self, suggestion_id: int, person_id: int, action: Action
    ) -> Suggestion | Outcome:
        """Before a dialog opens (Revise opens a form, Withdraw asks to confirm): the filer, and the
        state allows it. The guards are judged when the request is complete; a refusal is audited."""
        suggestion = await self.get(suggestion_id)
        if suggestion is None:
            refusal = Refusal(RefusalReason.NO_RELATION, "not_found")
            return await self._refuse(None, action, person_id, refusal, suggestion_id)
        kinds = self._filer(suggestion, person_id)
        decided = decide(suggestion.state, action, kinds)
        if isinstance(decided, Refusal):
            return await self._refuse(suggestion, action, person_id, decided)
        return suggestion

    # -- returned: revise and file again, or withdraw -----------------------------------------------

    async def returned(self, limit: int = 30) -> Sequence[Suggestion]:
        """Suggestions back with their filers: staff may still merge them (the queue lists them last)."""
        return await self.uow.suggestions.in_states([SuggestionState.RETURNED], limit)

    async def refile(self, suggestion_id: int, person_id: int, draft: Draft, now: datetime) -> Outcome:
        """The filer files a returned suggestion again, revised: the same number, back in the queue
        (any units staff had prepared are cleared: it is reviewed afresh); staff are told."""
        suggestion = await self._locked(suggestion_id, Action.REFILE, person_id)
        if isinstance(suggestion, Outcome):
            return suggestion
        decided = decide(suggestion.state, Action.REFILE, self._filer(suggestion, person_id))
        if isinstance(decided, Refusal):
            return await self._refuse(suggestion, Action.REFILE, person_id, decided)
        revised = dataclasses.replace(draft, cosigner_person_ids=(), group_id=None)
        problem = draft_problem(revised, person_id)
        if problem is not None:
            refusal = Refusal(RefusalReason.DRAFT_INVALID, problem)
            return await self._refuse(suggestion, Action.REFILE, person_id, refusal)
        changed = [
            name
            for name, new in (
                ("title", revised.title.strip()),
                ("text", revised.text.strip()),
                ("category", revised.category),
                ("attachments", [dict(a) for a in revised.attachments] or None),
            )
            if getattr(suggestion, name) != new
        ]
        suggestion.title, suggestion.text = revised.title.strip(), revised.text.strip()
        suggestion.category = revised.category
        suggestion.attachments = [dict(a) for a in revised.attachments] or None
        suggestion.lead_unit_id, suggestion.co_unit_ids, suggestion.prepared_at = None, None, None
        suggestion.term_months, suggestion.term_reason = None, None
        outcome = Outcome(suggestion)
        await self._apply(outcome, decided, person_id, now)
        await self._note_last(suggestion, ",".join(changed) or "unchanged")
        return outcome

    async def withdraw(self, suggestion_id: int, person_id: int, now: datetime) -> Outcome:
        """The filer withdraws it before its assignment is published; co-signers (also those still
        asked), the opinions' senders and staff are told."""
        suggestion = await self._locked(suggestion_id, Action.WITHDRAW, person_id)
        if isinstance(suggestion, Outcome):
            return suggestion
        decided = decide(suggestion.state, Action.WITHDRAW, self._filer(suggestion, person_id))
        if isinstance(decided, Refusal):
            return await self._refuse(suggestion, Action.WITHDRAW, person_id, decided)
        outcome = Outcome(suggestion)
        await self._apply(outcome, decided, person_id, now)
        if suggestion.number is None:  # withdrawn before it was filed: staff never had it
            outcome.notices = [n for n in outcome.notices if n.params.get("audience") != Audience.STAFF]
        return outcome

    # -- the co-signers' clock ----------------------------------------------------------------------

    async def remind_due(self, now: datetime) -> list[Outcome]:
        """The scheduler: each co-signer silent for `REMIND_AFTER` is reminded once; the filer gets a
        status card naming who is silent and from which day they may file without them."""
        outcomes: list[Outcome] = []
        for suggestion_id in await self.uow.suggestions.awaiting_reminder(now - REMIND_AFTER):
            suggestion = await self.uow.suggestions.get_for_update(suggestion_id)
            if suggestion is None:
                continue
            decided = decide(suggestion.state, Action.REMIND_COSIGNERS, ActorKind.SYSTEM)
            if isinstance(decided, Refusal):  # filed or withdrawn since it was listed
                continue
            rows = await self.uow.suggestions.cosigners(suggestion.id)
            due = [
                r for r in rows if _silent(r) and r.reminded_at is None and r.invited_at <= now - REMIND_AFTER
            ]
            if not due:
                continue
            outcome = Outcome(suggestion)
            await self._apply(outcome, decided, None, now)
            for row in due:
                row.reminded_at = now
            await self._note_last(suggestion, str(len(due)))
            status = await self._silence(rows)
            reminded = {r.person_id for r in due}
            outcome.notices = [
                dataclasses.replace(n, params={**n.params, **status})
                for n in outcome.notices
                if n.key != "suggestion.cosign_reminder" or n.recipient_person_id in reminded
            ]
            outcomes.append(outcome)
        return outcomes

    async def file_without_silent(self, suggestion_id: int, person_id: int, now: datetime) -> Outcome:
        """The filer files without the co-signers silent since `LAPSE_AFTER`: they lapse (told so),
        and the suggestion is filed and numbered now."""
        suggestion = await self._locked(suggestion_id, Action.LAPSE_COSIGNERS, person_id)
        if isinstance(suggestion, Outcome):
            return suggestion
        rows = await self.uow.suggestions.cosigners(suggestion.id)
        silent = [r for r in rows if _silent(r)]
        overdue = bool(silent) and all(r.invited_at <= now - LAPSE_AFTER for r in silent)
        kinds = self._filer(suggestion, person_id)
        decided = decide(
            suggestion.state, Action.LAPSE_COSIGNERS, kinds, facts=Facts(cosigners_overdue=overdue)
        )
        if isinstance(decided, Refusal):
            if decided.reason is RefusalReason.COSIGNERS_NOT_OVERDUE and silent:
                decided = Refusal(decided.reason, self.lapse_day(silent).isoformat())
            return await self._refuse(suggestion, Action.LAPSE_COSIGNERS, person_id, decided)
        outcome = Outcome(suggestion)
        await self._apply(outcome, decided, person_id, now)
        for row in silent:
            row.state = CosignerState.LAPSED.value
        await self._note_last(suggestion, str(len(silent)))
        await self.uow.flush()
        await self._file_now(outcome, ActorKind.FILER, person_id, now)
        return outcome

    def lapse_day(self, silent: Sequence[SuggestionCosigner]) -> date:
        """The congress's local day from which the filer may file without these co-signers."""
        latest = max(r.invited_at for r in silent)
        return numbering.local_day(latest + LAPSE_AFTER, self.zone)

    async def _silence(self, rows: Sequence[SuggestionCosigner]) -> dict[str, object]:
        """What the filer's status card shows: who is still silent, and from when they may go on."""
        silent = [r for r in rows if _silent(r)]
        names = [await self.person_name(r.person_id) for r in silent]
        return {"silent": names, "lapse_on": self.lapse_day(silent).isoformat() if silent else ""}

    async def status(self, suggestion: Suggestion) -> dict[str, object]:
        """The filer's status card's facts for this suggestion now (who is silent, from when)."""
        return await self._silence(await self.uow.suggestions.cosigners(suggestion.id))

    # -- joint filing by a deputy group, and the deputy of a paper suggestion -----------------------

    async def groups_for(self, person_id: int) -> list[GroupChoice]:
        """The deputy groups the filer belongs to that have other members, each with those members."""
        deputy = await self.uow.people.deputy_of(person_id)
        if deputy is None:
            return []
        choices: list[GroupChoice] = []
        for group in await self.uow.network.groups_of_deputy(deputy.id):
            others = [p for p in await self.uow.network.group_member_people(group.id) if p != person_id]
            if others:
                names = tuple([await self.person_name(p) for p in others])
                choices.append(GroupChoice(group.id, group.name, tuple(others), names))
        return choices

    async def group_choice(self, person_id: int, group_id: int) -> GroupChoice | None:
        """The group pressed, if the presser is one of its members (the data is untrusted)."""
        return next((g for g in await self.groups_for(person_id) if g.group_id == group_id), None)

    async def group_name(self, group_id: int | None) -> str:
        group = await self.uow.network.group(group_id) if group_id is not None else None
        return group.name if group is not None else ""

    async def find_deputies(self, query: str) -> list[tuple[int, str, str]]:
        """(person id, name, code) of the deputies a typed code or part of a name finds."""
        return [(p.id, p.name, p.code or "") for p in await self.uow.people.find_deputies(query)]

    async def deputy_named(self, person_id: int) -> str | None:
        """The deputy's name, or None when the person is no deputy (a forged pick)."""
        if await self.uow.people.deputy_of(person_id) is None:
            return None
        return await self.person_name(person_id)

    async def cosigner_names(self, suggestion_id: int) -> list[str]:
        """Names of the co-signers who confirmed (they stay when the suggestion is revised)."""
        rows = await self.uow.suggestions.cosigners(suggestion_id)
        return [await self.person_name(r.person_id) for r in rows if r.state == CosignerState.CONFIRMED]


def _silent(row: SuggestionCosigner) -> bool:
    return row.state == CosignerState.INVITED


async def remind_cosigners(uow: UnitOfWork, settings: Settings, policy: SlaPolicy, now: datetime) -> int:
    """The periodic job's body: remind the silent co-signers due now and queue every notice (quiet
    hours hold non-urgent ones back); returns how many suggestions' co-signers were reminded."""
    outcomes = await FilingService(uow, zone=policy.zone).remind_due(now)
    for outcome in outcomes:
        if outcome.suggestion is not None:
            await notices.deliver(uow, outcome.notices, outcome.suggestion, settings, policy, now)
    return len(outcomes)
