"""The suggestion service, 提出 (filing): a deputy files, invites co-signers (附议/联名), who confirm or decline.

Every step is asked of `lifecycle.decide` with the presser's relation to the suggestion, then written as
a ledger entry (`SuggestionEvent`) and audited; a refusal is audited too and changes nothing. The
service returns domain `Notice`s (person, key, params) — the caller renders them in each recipient's
language and queues them in the same unit of work. It knows no Telegram type and no text.

Rules of filing, once:
- only a deputy files; co-signers are other deputies, at most `MAX_COSIGNERS`, never the filer;
- a deputy group files jointly (专业小组联名) when a member chooses it: its other members are invited,
  each still confirms or declines; a group may invite up to `MAX_GROUP_COSIGNERS`, and only its members;
- with no co-signers the suggestion is filed (and numbered) at once; with co-signers it waits in
  `cosigning` until each has confirmed or declined, then is filed on the filer's behalf — the filer
  already pressed File, so no second press is asked of them;
- the number `S-YYYY-NNNN` is given on filing (numbering.py), on the congress's local day, from the
  sessions calendar (the network file's `sessions`, `uow.calendar`): a filing on a day a session sits
  is in that session's series (`series_session` its code), any other in the recess year's;
- an opinion it was made from (转为建议) is linked; its sender follows the suggestion and is told its
  number. The opinion stays on its own clock until staff accept the suggestion.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.kit.text_limits import utf16_len
from bot.opinions.drafts import CATEGORIES
from bot.suggestions import numbering
from bot.suggestions.lifecycle import (
    Action,
    ActorKind,
    Audience,
    Facts,
    Refusal,
    RefusalReason,
    Transition,
    decide,
)
from storage.models import Role
from storage.models.suggestions import (
    CosignerState,
    Suggestion,
    SuggestionCosigner,
    SuggestionEvent,
    SuggestionState,
)
from storage.unit_of_work import UnitOfWork

__all__ = [
    "MAX_COSIGNERS",
    "MAX_GROUP_COSIGNERS",
    "MAX_TEXT",
    "MAX_TITLE",
    "Draft",
    "Notice",
    "Outcome",
    "Suggestion",
    "SuggestionService",
]

MAX_TITLE = 100  # UTF-16 units
MAX_TEXT = 3000  # leaves room on the card within Telegram's 4096
MAX_COSIGNERS = 10
# A professional group's joint suggestion invites all its other members, so its cap is the size of a
# large group, not the ten co-signers one deputy may pick by hand; members only (checked on filing).
MAX_GROUP_COSIGNERS = 30
MAX_ATTACHMENTS = 10
CREATE = "create"  # the ledger's first entry: the draft written (not a lifecycle action)
AUDIT = "suggestion"


@dataclass(frozen=True)
class Draft:
    """What the filer typed, checked again here (the dialog may have been forged or left for days)."""

    title: str
    text: str
    category: str
    cosigner_person_ids: tuple[int, ...] = ()
    attachments: tuple[Mapping[str, str], ...] = ()
    source_opinion_ids: tuple[int, ...] = ()
    dialog_key: str | None = None
    group_id: int | None = None  # filed jointly by this deputy group: the co-signers are its members


@dataclass(frozen=True)
class Notice:
    """One message to one person, untranslated: the caller renders `key` with `params`."""

    recipient_person_id: int
    key: str
    suggestion_id: int
    params: Mapping[str, Any] = field(default_factory=dict)
    urgent: bool = False


@dataclass
class Outcome:
    """What a request did: the suggestion after it, the transitions it made or the refusal, whom to tell."""

    suggestion: Suggestion | None
    transitions: list[Transition] = field(default_factory=list)
    refusal: Refusal | None = None
    notices: list[Notice] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.refusal is None


def draft_problem(draft: Draft, filer_person_id: int) -> str | None:
    """Why this draft cannot be filed, or None (a short code for the audit and the reply)."""
    title, text = draft.title.strip(), draft.text.strip()
    if not title or not text:
        return "empty"
    if utf16_len(title) > MAX_TITLE or utf16_len(text) > MAX_TEXT:
        return "too_long"
    if draft.category not in CATEGORIES:
        return "category"
    cosigners = draft.cosigner_person_ids
    cap = MAX_GROUP_COSIGNERS if draft.group_id is not None else MAX_COSIGNERS
    if len(cosigners) > cap or len(set(cosigners)) != len(cosigners):
        return "cosigners"
    if filer_person_id in cosigners:
        return "cosigner_is_filer"
    if len(draft.attachments) > MAX_ATTACHMENTS:
        return "attachments"
    return None


class SuggestionService:
    """Filing and co-signing inside the caller's unit of work (the service flushes, the caller commits).

    Args:
        uow: an entered unit of work.
        zone: the congress's time zone: the local day decides the number's year.
        sessions: a sessions calendar (届次/会议) to number by instead of the stored one (tests); empty:
            the stored calendar, read when a suggestion is numbered.
    """

    def __init__(
        self, uow: UnitOfWork, *, zone: str = "Asia/Shanghai", sessions: Sequence[numbering.Session] = ()
    ) -> None:
        self.uow = uow
        self.zone = zone
        self.sessions = tuple(sessions)

    # -- filing ------------------------------------------------------------------------------------

    async def file(self, filer_person_id: int, draft: Draft, now: datetime) -> Outcome:
        """Write the draft and file it, or invite its co-signers first.

        A draft whose dialog key was already stored returns that suggestion unchanged (File pressed
        twice is one suggestion). Refusals (not a deputy, a bad draft, an unknown co-signer) are audited.
        """
        if draft.dialog_key is not None:
            done = await self.uow.suggestions.by_dialog_key(draft.dialog_key)
            if done is not None and done.filer_person_id == filer_person_id:
                return Outcome(done)
        problem = await self._filing_problem(filer_person_id, draft)
        if problem is not None:
            return await self._refuse(
                None, Action.FILE, filer_person_id, Refusal(RefusalReason.NO_RELATION, problem)
            )
        suggestion = await self.uow.suggestions.add(
            Suggestion(
                title=draft.title.strip(),
                text=draft.text.strip(),
                category=draft.category,
                filer_person_id=filer_person_id,
                state=SuggestionState.DRAFT.value,
                source_opinion_ids=list(draft.source_opinion_ids) or None,
                attachments=[dict(a) for a in draft.attachments] or None,
                created_at=now,
                dialog_key=draft.dialog_key,
                group_id=draft.group_id,
            )
        )
        await self._ledger(suggestion, CREATE, None, ActorKind.FILER, filer_person_id, now)
        outcome = Outcome(suggestion)
        if draft.cosigner_person_ids:
            decided = decide(suggestion.state, Action.INVITE_COSIGNERS, ActorKind.FILER)
            assert isinstance(decided, Transition)  # a fresh draft may always invite
            for person_id in draft.cosigner_person_ids:
                await self.uow.suggestions.add_cosigner(
                    SuggestionCosigner(suggestion_id=suggestion.id, person_id=person_id, invited_at=now)
                )
            await self._apply(outcome, decided, filer_person_id, now)
            return outcome
        await self._file_now(outcome, ActorKind.FILER, filer_person_id, now)
        return outcome

    async def file_from_paper(
        self, staff_person_id: int, deputy_person_id: int, draft: Draft, now: datetime
    ) -> Outcome:
        """Staff file a deputy's suggestion handed in on paper, on the deputy's behalf: recorded as such
        (`on_behalf_of_paper`, `recorded_by_person_id`, the ledger's actor is staff). Co-signers on paper
        signed already, so none are invited; only staff may, and only for a deputy."""
        staff = await self.uow.people.get(staff_person_id)
        if staff is None or Role.STAFF not in staff.role_set:
            refusal = Refusal(RefusalReason.NOT_PERMITTED, "not_staff")
            return await self._refuse(None, Action.FILE, staff_person_id, refusal)
        paper = dataclasses.replace(draft, cosigner_person_ids=())
        problem = await self._filing_problem(deputy_person_id, paper, check_opinions=False)
        if problem is not None:
            refusal = Refusal(RefusalReason.NO_RELATION, problem)
            return await self._refuse(None, Action.FILE, staff_person_id, refusal)
        suggestion = await self.uow.suggestions.add(
            Suggestion(
                title=paper.title.strip(),
                text=paper.text.strip(),
                category=paper.category,
                filer_person_id=deputy_person_id,
                state=SuggestionState.DRAFT.value,
                on_behalf_of_paper=True,
                recorded_by_person_id=staff_person_id,
                attachments=[dict(a) for a in paper.attachments] or None,
                created_at=now,
                dialog_key=paper.dialog_key,
            )
        )
        await self._ledger(suggestion, CREATE, None, ActorKind.STAFF, staff_person_id, now, note="paper")
        outcome = Outcome(suggestion)
        await self._file_now(outcome, ActorKind.STAFF, staff_person_id, now)
        return outcome

    async def _filing_problem(
        self, filer_person_id: int, draft: Draft, *, check_opinions: bool = True
    ) -> str | None:
        deputy = await self.uow.people.deputy_of(filer_person_id)
        if deputy is None:
            return "not_deputy"
        problem = draft_problem(draft, filer_person_id)
        if problem is not None:
            return problem
        deputies = await self.uow.people.deputies_of(draft.cosigner_person_ids)
        if len(deputies) != len(draft.cosigner_person_ids):
            return "cosigner_not_deputy"
        if draft.group_id is not None:
            members = set(await self.uow.network.group_member_people(draft.group_id))
            if filer_person_id not in members:
                return "not_group_member"
            if not set(draft.cosigner_person_ids) <= members:
                return "cosigner_not_in_group"
        for opinion_id in draft.source_opinion_ids if check_opinions else ():
            opinion = await self.uow.opinions.get(opinion_id)
            if opinion is None or opinion.holder_deputy_id != deputy.id:
                return "opinion_not_held"  # only an opinion the deputy holds becomes their suggestion
            if await self.uow.suggestions.linking_opinion(filer_person_id, opinion_id) is not None:
                return "opinion_already_suggested"
        return None

    async def _file_now(
        self, outcome: Outcome, kind: ActorKind, person_id: int, now: datetime, presser: int | None = None
    ) -> None:
        """Number and file it (the guard: no co-signer still to answer); `presser` (default: `person_id`)
        is who pressed the button that led here, and is answered directly rather than notified."""
        suggestion = outcome.suggestion
        assert suggestion is not None
        facts = Facts(cosigners_pending=await self.uow.suggestions.pending_cosigners(suggestion.id))
        decided = decide(suggestion.state, Action.FILE, kind, facts=facts)
        if isinstance(decided, Refusal):
            outcome.refusal = decided
            await self._audit(
                suggestion.id, Action.FILE, person_id, allowed=False, reason=decided.reason.value
            )
            return
        day = numbering.local_day(now, self.zone)
        calendar = await self.calendar()
        series = numbering.series_for(day, calendar)
        # The series' counter row is locked until this unit of work commits (PostgreSQL), so two
        # filings at once read the last number one after the other and never issue it twice.
        await self.uow.counters.next(f"suggestion:{series.prefix}")
        numbered = numbering.next_number(day, calendar, await self.uow.suggestions.last_number(series.prefix))
        suggestion.number = numbered.number
        suggestion.series_session = numbered.series.session_code
        suggestion.filed_at = now
        await self._apply(outcome, decided, person_id, now, presser=presser)

    async def calendar(self) -> tuple[numbering.Session, ...]:
        """The sessions to number by: those given to the service, else the stored calendar."""
        if self.sessions:
            return self.sessions
        return tuple(numbering.Session(s.code, s.opens, s.closes) for s in await self.uow.calendar.sessions())

    # -- co-signing --------------------------------------------------------------------------------

    async def answer_cosign(
        self, suggestion_id: int, person_id: int, confirm: bool, now: datetime
    ) -> Outcome:
        """An invited co-signer confirms or declines, once; the last answer files the suggestion.

        `suggestion_id` comes from untrusted callback data: looked up, and the presser's relation to it
        decides (someone not invited, a second answer or a withdrawn suggestion is refused and audited).
        """
        action = Action.COSIGN if confirm else Action.DECLINE_COSIGN
        suggestion = await self.uow.suggestions.get_for_update(suggestion_id)
        if suggestion is None:
            return await self._refuse(
                None, action, person_id, Refusal(RefusalReason.NO_RELATION, "not_found"), suggestion_id
            )
        row = await self.uow.suggestions.cosigner(suggestion.id, person_id)
        kinds = {ActorKind.COSIGNER} if row is not None else set()
        facts = Facts(actor_has_cosign_answer=row is not None and row.state != CosignerState.INVITED)
        decided = decide(suggestion.state, action, kinds, facts=facts)
        if isinstance(decided, Refusal):
            return await self._refuse(suggestion, action, person_id, decided)
        assert row is not None
        row.state = (CosignerState.CONFIRMED if confirm else CosignerState.DECLINED).value
        row.answered_at = now
        await self.uow.flush()
        outcome = Outcome(suggestion)
        await self._apply(outcome, decided, person_id, now)
        if await self.uow.suggestions.pending_cosigners(suggestion.id) == 0:
            # Every co-signer has answered: filed as the filer asked when they pressed File.
            await self._file_now(outcome, ActorKind.FILER, suggestion.filer_person_id, now, presser=person_id)
        return outcome

    # -- reading -----------------------------------------------------------------------------------

    async def get(self, suggestion_id: int) -> Suggestion | None:
        return await self.uow.suggestions.get(suggestion_id)

    async def made_from(self, person_id: int, opinion_id: int) -> Suggestion | None:
        """The deputy's suggestion already made from this opinion (Escalate pressed again), if any."""
        return await self.uow.suggestions.linking_opinion(person_id, opinion_id)

    async def is_deputy(self, person_id: int) -> bool:
        return await self.uow.people.deputy_of(person_id) is not None

    async def deputies_by_codes(self, codes: Sequence[str]) -> tuple[list[int], list[str], list[str]]:
        """(person ids, names, codes no deputy has) for co-signer codes typed in the form."""
        ids: list[int] = []
        names: list[str] = []
        unknown: list[str] = []
        for code in codes:
            person = await self.uow.people.by_code(code)
            if person is None or person.deputy is None:
                unknown.append(code)
            elif person.id not in ids:
                ids.append(person.id)
                names.append(person.name)
        return ids, names, unknown

    # -- reading (lists) -----------------------------------------------------------------------------------

    async def mine(self, person_id: int, limit: int = 20) -> Sequence[Suggestion]:
        """The deputy's own suggestions, newest first (/suggestions)."""
        return await self.uow.suggestions.by_filer(person_id, limit)

    async def cosigners(self, suggestion_id: int) -> Sequence[SuggestionCosigner]:
        return await self.uow.suggestions.cosigners(suggestion_id)

    # -- the ledger, the audit, the notices --------------------------------------------------------

    async def _apply(
        self,
        outcome: Outcome,
        decided: Transition,
        person_id: int | None,
        now: datetime,
        *,
        presser: int | None = None,
    ) -> None:
        """Move the state, write the ledger entry and the audit, and add whom the rule tells (never the
        presser, who is answered directly)."""
        presser = person_id if presser is None else presser
        suggestion = outcome.suggestion
        assert suggestion is not None
        suggestion.state = decided.target.value
        await self._ledger(
            suggestion, decided.action.value, decided.source, decided.actor, person_id, now, decided.target
        )
        await self._audit(suggestion.id, decided.action, person_id, allowed=True, state=decided.target.value)
        outcome.transitions.append(decided)
        for notice in decided.notifies:
            for recipient, params in await self._audience(suggestion, notice.audience):
                if recipient != presser:
                    params = {"by": person_id, "audience": notice.audience.value, **params}
                    outcome.notices.append(
                        Notice(recipient, notice.key, suggestion.id, params, notice.urgent)
                    )

    async def _audience(self, suggestion: Suggestion, audience: Audience) -> list[tuple[int, dict[str, Any]]]:
        """The people an audience is, for this suggestion now, each with what their notice needs."""
        if audience is Audience.FILER:
            return [(suggestion.filer_person_id, {})]
        if audience is Audience.COSIGNERS:
            rows = await self.uow.suggestions.cosigners(suggestion.id)
            inviting = suggestion.state == SuggestionState.COSIGNING
            wanted = {CosignerState.INVITED} if inviting else {CosignerState.CONFIRMED}
            if suggestion.state == SuggestionState.WITHDRAWN:  # withdrawn while they were still asked
                wanted = {CosignerState.INVITED, CosignerState.CONFIRMED}
            return [(row.person_id, {}) for row in rows if row.state in wanted]
        if audience is Audience.FOLLOWERS:
            return await self._followers(suggestion.source_opinion_ids or ())
        if audience is Audience.STAFF:
            return [(person.id, {}) for person in await self.uow.people.with_role(Role.STAFF)]
        if audience is Audience.LEAD_UNIT and suggestion.lead_unit_id is not None:
            return await self._officers([suggestion.lead_unit_id])
        if audience is Audience.CO_UNITS:
            return await self._officers(suggestion.co_unit_ids or ())
        if audience is Audience.COMMITTEE:
            return await self._committee(suggestion)
        if audience is Audience.MERGE_TARGET and suggestion.merged_into_id is not None:
            target = await self.uow.suggestions.get(suggestion.merged_into_id)
            if target is not None:
                return [(target.filer_person_id, {"into": target.number or ""})]
        return []

    async def _committee(self, suggestion: Suggestion) -> list[tuple[int, dict[str, Any]]]:
        """The members of the supervising committee: the one chosen at assignment, else by category."""
        if suggestion.committee_id is not None:
            committee_ids = [suggestion.committee_id]
        else:
            committee_ids = (await self.uow.network.committees_of_category(suggestion.category))[:1]
        members = await self.uow.network.committee_members(committee_ids)
        people: dict[int, dict[str, Any]] = {}
        for committee_id, person_id in members:
            people.setdefault(person_id, {"committee_id": committee_id})
        return list(people.items())

    async def _officers(self, unit_ids: Iterable[int]) -> list[tuple[int, dict[str, Any]]]:
        """The officers of these units, each once, with the unit they get the card for."""
        people: dict[int, dict[str, Any]] = {}
        for unit_id in unit_ids:
            for officer in await self.uow.units.officers(unit_id):
                people.setdefault(officer.person_id, {"unit_id": unit_id})
        return list(people.items())

    async def _followers(self, opinion_ids: Iterable[int]) -> list[tuple[int, dict[str, Any]]]:
        """Senders of the opinions it was made from, each once, with their opinion's tracking number."""
        people: dict[int, dict[str, Any]] = {}
        for opinion_id in opinion_ids:
            opinion = await self.uow.opinions.get(opinion_id)
            if opinion is not None and opinion.sender_person_id not in people:
                people[opinion.sender_person_id] = {"tracking_no": opinion.tracking_no}
        return list(people.items())

    async def _ledger(
        self,
        suggestion: Suggestion,
        action: str,
        source: SuggestionState | None,
        kind: ActorKind,
        person_id: int | None,
        now: datetime,
        target: SuggestionState | None = None,
        note: str | None = None,
    ) -> None:
        await self.uow.suggestions.add_event(
            SuggestionEvent(
                suggestion_id=suggestion.id,
                at=now,
                action=action,
                from_state=source.value if source is not None else None,
                to_state=(target or SuggestionState(suggestion.state)).value,
                actor_kind=kind.value,
                actor_person_id=person_id,
                note=note,
            )
        )

    async def _audit(
        self,
        suggestion_id: int | None,
        action: Action,
        person_id: int | None,
        *,
        allowed: bool,
        **detail: Any,
    ) -> None:
        await self.uow.audit.record(
            f"{AUDIT}.{action.value}",
            actor_person_id=person_id,
            object_type="suggestion",
            object_id=suggestion_id,
            allowed=allowed,
            **detail,
        )

    async def _refuse(
        self,
        suggestion: Suggestion | None,
        action: Action,
        person_id: int,
        refusal: Refusal,
        suggestion_id: int | None = None,
    ) -> Outcome:
        await self._audit(
            suggestion.id if suggestion is not None else suggestion_id,
            action,
            person_id,
            allowed=False,
            reason=refusal.reason.value,
            detail=refusal.detail,
            state=suggestion.state if suggestion is not None else None,
        )
        return Outcome(suggestion, refusal=refusal)
