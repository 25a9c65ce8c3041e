"""The opinion service: applies declared transitions and says whom to tell — never how.

It loads the opinion, asks `lifecycle.decide` whether the presser may do this now, updates state,
holder and clocks, appends the timeline event, and returns domain `Notification`s (person id, message
key, params, earliest send time). The caller renders them in the recipient's language and writes them
to the outbox in the same unit of work, then commits; this module knows no Telegram type and no text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.kit.reminders import drain, rearm
from bot.opinions import routing, sla
from bot.opinions.lifecycle import (
    Action,
    ActorKind,
    Audience,
    Refusal,
    RefusalReason,
    Transition,
    decide,
)
from bot.opinions.milestones import MILESTONE_COLUMNS, milestones
from bot.runtime.clock import Clock, SystemClock
from storage.models import (
    FINAL_STATES,
    ContactTier,
    Opinion,
    OpinionAttachment,
    OpinionEvent,
    OpinionState,
    Person,
    Role,
    Satisfaction,
    WarningColour,
)
from storage.repos.audit import AuditRepo
from storage.repos.counters import CounterRepo
from storage.repos.network import NetworkRepo
from storage.repos.opinions import OpinionRepo
from storage.repos.people import PeopleRepo
from storage.unit_of_work import UnitOfWork

__all__ = [
    "AttachmentIn",
    "Notification",
    "OpinionService",
    "Outcome",
    "build_ladder",
    "format_tracking_no",
]

SUBMIT = "submit"  # timeline-only events, not lifecycle actions
WARN = "warn"
NOTE = "note"  # the sender edited a message of a filed opinion: the new text, for the holder

# What a follower (not the sender) hears: that the state changed, in one notice of its own. The
# sender's notices carry questions, answers and names, which are the sender's alone.
FOLLOWED = "opinion.followed"
FOLLOWER_ACTIONS = frozenset(
    {
        Action.ACCEPT,
        Action.ANSWER,
        Action.ESCALATE,
        Action.CONFIRM_SATISFIED,
        Action.CONFIRM_BASIC,
        Action.CONFIRM_DISSATISFIED,
        Action.AUTO_CLOSE,
        Action.REJECT,
        Action.MARK_DUPLICATE,
    }
)
SENDER_NOTE = "opinion.sender_note"


def _milestones_of(opinion: Opinion) -> dict[str, Any]:
    """The opinion's milestone columns as they stand (bot/opinions/milestones.py)."""
    return {column: getattr(opinion, column) for column in MILESTONE_COLUMNS}


@dataclass(frozen=True)
class Notification:
    """One message to one person, still untranslated: the caller renders `key` with `params`."""

    recipient_person_id: int
    key: str
    params: Mapping[str, Any]
    opinion_id: int
    not_before: datetime  # quiet hours already applied
    urgent: bool = False


@dataclass(frozen=True)
class AttachmentIn:
    kind: str
    file_id: str
    file_unique_id: str
    caption: str | None = None


@dataclass
class Outcome:
    """What a request did: the opinion after it, the transition or the refusal, and whom to tell."""

    opinion: Opinion | None
    transition: Transition | None = None
    refusal: Refusal | None = None
    notifications: list[Notification] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.refusal is None


def format_tracking_no(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year:04d}-{number:06d}"


async def build_ladder(
    session: AsyncSession, holder_deputy_id: int | None, category: str | None
) -> sla.Ladder:
    """Read the escalation ladder above a deputy from the contact network."""
    network = NetworkRepo(session)
    committees = await network.committees_of_category(category)
    copied = await _committee_members(network, committees)
    deputy = await PeopleRepo(session).deputy(holder_deputy_id) if holder_deputy_id is not None else None
    if deputy is None:
        return sla.Ladder(None, special_committee_ids=tuple(committees), special_committee_members=copied)
    members = [p.id for p in await network.contacted_by(deputy.person_id, ContactTier.COMMITTEE_DEPUTY)]
    presidium: list[int] = []
    for member in members:
        for p in await network.contacted_by(member, ContactTier.PRESIDIUM_COMMITTEE):
            if p.id not in presidium:
                presidium.append(p.id)
    return sla.Ladder(deputy.person_id, tuple(members), tuple(presidium), tuple(committees), copied)


async def _committee_members(
    network: NetworkRepo, committee_ids: Sequence[int]
) -> tuple[tuple[int, int], ...]:
    """(committee id, person id) of the members of these committees, committee by committee."""
    if not committee_ids:
        return ()
    rows = await network.committee_members(committee_ids)
    rank = {committee_id: index for index, committee_id in enumerate(committee_ids)}
    return tuple(sorted(((c, p) for c, p in rows), key=lambda pair: rank[pair[0]]))


_SATISFACTION = {
    Action.CONFIRM_SATISFIED: Satisfaction.SATISFIED,
    Action.CONFIRM_BASIC: Satisfaction.BASIC,
    Action.CONFIRM_DISSATISFIED: Satisfaction.DISSATISFIED,
}
_COLOUR_RANK = {WarningColour.GREEN: 0, WarningColour.YELLOW: 1, WarningColour.RED: 2}


class OpinionService:
    """Submission, transitions and the SLA sweep of opinions, inside the caller's unit of work.

    Args:
        uow: an entered unit of work; the service flushes, the caller commits.
        clock: where `now` comes from (a FixedClock in tests).
        policy: SLA clocks, quiet hours and the congress's time zone.
        tracking_prefix: the `PREFIX` of `PREFIX-YYYY-NNNNNN` (settings.tracking_prefix).
    """

    def __init__(
        self,
        uow: UnitOfWork,
        *,
        clock: Clock | None = None,
        policy: sla.SlaPolicy | None = None,
        tracking_prefix: str = "LX",
    ) -> None:
        self.uow = uow
        self.clock = clock or SystemClock()
        self.policy = policy or sla.SlaPolicy()
        self.prefix = tracking_prefix

    @property
    def session(self) -> AsyncSession:
        return self.uow.session

    @property
    def repo(self) -> OpinionRepo:
        return OpinionRepo(self.uow.session)

    # -- who is asking -------------------------------------------------------------------------

    async def relation(self, opinion: Opinion, person_id: int | None) -> frozenset[ActorKind]:
        """The presser's relations to this opinion; `None` is the system (routing, the sweeper)."""
        if person_id is None:
            return frozenset({ActorKind.SYSTEM})
        kinds: set[ActorKind] = set()
        if opinion.sender_person_id == person_id:
            kinds.add(ActorKind.SENDER)
        if opinion.holder_deputy_id is not None:
            deputy = await self.uow.people.deputy(opinion.holder_deputy_id)
            if deputy is not None and deputy.person_id == person_id:
                kinds.add(ActorKind.HOLDER)
        person = await self.uow.people.get(person_id)
        if person is not None and Role.STAFF in person.role_set:
            kinds.add(ActorKind.STAFF)
        return frozenset(kinds)

    # -- submit ----------------------------------------------------------------------------------

    async def submit(
        self,
        sender_person_id: int,
        category: str,
        text: str,
        *,
        station_id: int | None = None,
        anonymous: bool = False,
        public: bool = False,
        latitude: float | None = None,
        longitude: float | None = None,
        attachments: Sequence[AttachmentIn] = (),
        message_ids: Sequence[int] = (),
        source: str | None = None,
        recorded_by_person_id: int | None = None,
    ) -> Outcome:
        """Create an opinion with its tracking number, route it, start the accept clock.

        Args:
            station_id: the constituent's station; defaults to the one on their person record.
            public: others may see its text and follow it; an anonymous opinion never is.
            message_ids: the sender's messages it was written in (their later edits become notes).
            source: where it came from when someone else recorded it on the sender's behalf
                ("station_reception", "home_visit"); None when the sender wrote it.
            recorded_by_person_id: who recorded it on the sender's behalf.
        """
        now = self.clock.now()
        if station_id is None:
            sender = await self.uow.people.get(sender_person_id)
            station_id = sender.station_id if sender is not None else None
        year = now.astimezone(self.policy.tz).year
        number = await CounterRepo(self.session).take(f"opinion:{year}")
        opinion = Opinion(
            tracking_no=format_tracking_no(self.prefix, year, number),
            sender_person_id=sender_person_id,
            station_id=station_id,
            category=category,
            text=text,
            anonymous=anonymous,
            public=public and not anonymous,
            message_ids=list(message_ids) or None,
            latitude=latitude,
            longitude=longitude,
            source=source,
            recorded_by_person_id=recorded_by_person_id,
            state=OpinionState.SUBMITTED.value,
            created_at=now,
            attachments=[
                OpinionAttachment(
                    kind=a.kind,
                    file_id=a.file_id,
                    file_unique_id=a.file_unique_id,
                    caption=a.caption,
                    created_at=now,
                )
                for a in attachments
            ],
        )
        # Routed before it is written (see _write_new): one INSERT, holder included.
        return await self._perform(opinion, Action.ROUTE, None, now, {})

    # -- apply -----------------------------------------------------------------------------------

    async def apply(
        self, opinion_id: int, action: Action | str, actor_person_id: int | None, **args: Any
    ) -> Outcome:
        """Apply a requested transition, or refuse it (the refusal is written to the audit log).

        Args:
            opinion_id: from untrusted callback data; looked up, never assumed.
            action: the requested action.
            actor_person_id: the presser; `None` for the system.
            **args: `to_deputy_id` or `to_staff=True` (transfer), `text` (answer), `duplicate_of_id` (mark_duplicate),
                `note` (ask, reject, escalate, transfer: a question or reason for the timeline).
        """
        now = self.clock.now()
        opinion = await self.repo.get(opinion_id, for_update=True)
        if opinion is None:
            return await self._refuse(
                None, opinion_id, action, actor_person_id, Refusal(RefusalReason.NOT_FOUND)
            )
        return await self._perform(opinion, action, actor_person_id, now, args)

    async def may(self, opinion_id: int, action: Action, actor_person_id: int) -> Opinion | Refusal:
        """Check a request before a dialog starts (e.g. Reply asks for text first); refusals are audited."""
        opinion = await self.repo.get(opinion_id)
        if opinion is None:
            refusal = Refusal(RefusalReason.NOT_FOUND)
        else:
            decided = decide(opinion.state, action, await self.relation(opinion, actor_person_id))
            if not isinstance(decided, Refusal):
                return opinion
            refusal = decided
        await self._refuse(opinion, opinion_id, action, actor_person_id, refusal)
        return refusal

    async def held_by(self, opinion_id: int, person: Person) -> Opinion | None:
        """The opinion when the person, as a deputy, holds it now (their card asked for again)."""
        deputy = person.deputy
        opinion = await self.repo.get(opinion_id)
        if deputy is None or opinion is None or opinion.holder_deputy_id != deputy.id:
            return None
        return opinion

    async def open_tasks(self, deputy_id: int) -> Sequence[Opinion]:
        """The deputy's open opinions, oldest first (/tasks)."""
        return await self.repo.open_for_holder(deputy_id)

    async def _perform(
        self,
        opinion: Opinion,
        action: Action | str,
        actor_person_id: int | None,
        now: datetime,
        args: dict[str, Any],
    ) -> Outcome:
        kinds = await self.relation(opinion, actor_person_id)
        decided = decide(opinion.state, action, kinds)
        if isinstance(decided, Refusal):
            await self._write_new(opinion)
            return await self._refuse(opinion, opinion.id, action, actor_person_id, decided)
        effect = getattr(self, f"_do_{decided.action.value}")
        from_holder = opinion.holder_deputy_id
        result: Refusal | dict[str, Any] = await effect(opinion, now, args)
        if isinstance(result, Refusal):
            await self._write_new(opinion)
            return await self._refuse(opinion, opinion.id, action, actor_person_id, result)
        opinion.state = decided.target.value
        # The statistics' milestones change with the timeline entry written below, never elsewhere.
        for column, value in milestones(decided.action.value, now, _milestones_of(opinion)).items():
            setattr(opinion, column, value)
        # Every clock starts, changes or stops in a transition: the sweep's next look follows it.
        opinion.next_warning_at = self._next_warning(opinion)
        note = args.get("note") or args.get("text")
        step = self._step(
            opinion,
            decided.action.value,
            decided.source,
            decided.target,
            actor_person_id,
            now,
            from_holder=from_holder,
            reason=result.pop("_reason", None),
            note=str(note) if note is not None else None,
        )
        if opinion.id is None:
            await self._write_new(opinion, then=step)
        else:
            await self.repo.add_event(step)
        notes = await self._notifications(opinion, decided, actor_person_id, from_holder, now, result)
        return Outcome(opinion, decided, None, notes)

    async def _write_new(self, opinion: Opinion, *, then: OpinionEvent | None = None) -> None:
        """Write a just-submitted opinion, whatever its first transition did, and start its timeline.

        Submit routes the opinion before writing it, so it is inserted once with its holder rather
        than inserted and then updated; it is written here even when that first step is refused.
        `then`, the first step's own entry, is written with the "submitted" one (one round trip).
        """
        if opinion.id is not None:
            return
        await self.repo.add(opinion)
        submitted = OpinionEvent(
            opinion_id=opinion.id,
            at=opinion.created_at,
            action=SUBMIT,
            from_state=None,
            to_state=OpinionState.SUBMITTED.value,
            actor_person_id=opinion.sender_person_id,
            from_holder_id=None,
            to_holder_id=None,  # not yet routed when it was submitted
        )
        if then is None:
            await self.repo.add_events([submitted])
        else:
            then.opinion_id = opinion.id
            await self.repo.add_events([submitted, then])

    async def _refuse(
        self,
        opinion: Opinion | None,
        opinion_id: int,
        action: Action | str,
        actor_person_id: int | None,
        refusal: Refusal,
    ) -> Outcome:
        await AuditRepo(self.session).record(
            f"opinion.{str(action)[:40]}",
            actor_person_id=actor_person_id,
            object_type="opinion",
            object_id=opinion_id,
            allowed=False,
            reason=refusal.reason.value,
            detail=refusal.detail,
            state=opinion.state if opinion is not None else None,
        )
        return Outcome(opinion, None, refusal, [])

    # -- effects: one per action; return params for the notices, or a Refusal --------------------

    async def _assign(self, opinion: Opinion, deputy_id: int | None, now: datetime) -> None:
        """Give the opinion to a holder and restart the accept clock; the supervisor follows the holder."""
        opinion.holder_deputy_id = deputy_id
        opinion.accept_deadline = sla.accept_deadline(self.policy, opinion.category, now)
        opinion.answer_deadline = None
        opinion.accepted_at = None
        opinion.last_warning = None
        opinion.supervisor_person_id = await self._supervisor_of(deputy_id)

    async def _supervisor_of(self, deputy_id: int | None) -> int | None:
        """The committee member who contacts the deputy (lowest id when several)."""
        if deputy_id is None:
            return None
        # The contact network is not what this unit of work changes: no need to flush first (the
        # opinion's pending changes then go in one UPDATE instead of two).
        with self.session.no_autoflush:
            return await NetworkRepo(self.session).first_contact_of_deputy(
                deputy_id, ContactTier.COMMITTEE_DEPUTY
            )

    async def _do_route(self, opinion: Opinion, now: datetime, args: dict[str, Any]) -> dict[str, Any]:
        today = self.policy.local_today(now)
        snapshot = await routing.build_snapshot(
            self.session, opinion.sender_person_id, opinion.station_id, opinion.category, today
        )
        decision = routing.route(snapshot)
        await self._assign(opinion, decision.holder_deputy_id, now)
        opinion.route_reason = decision.code
        return {"_reason": decision.code, "route_reason": decision.code, "triage": decision.to_triage}

    async def _do_accept(self, opinion: Opinion, now: datetime, args: dict[str, Any]) -> dict[str, Any]:
        opinion.accepted_at = now
        # Reopening already set a fresh answer deadline; accepting it again must not move it.
        if opinion.answer_deadline is None or opinion.state != OpinionState.REOPENED:
            opinion.answer_deadline = sla.answer_deadline(self.policy, opinion.category, now)
        opinion.last_warning = None
        return {"answer_deadline": opinion.answer_deadline}

    async def _do_ask(
        self, opinion: Opinion, now: datetime, args: dict[str, Any]
    ) -> Refusal | dict[str, Any]:
        question = str(args.get("note") or "").strip()
        if not question:
            return Refusal(RefusalReason.INVALID_ARGUMENT, "a question is required")
        return {"question": question}

    async def _do_info_received(
        self, opinion: Opinion, now: datetime, args: dict[str, Any]
    ) -> dict[str, Any]:
        # The sender's silence is not the deputy's delay: the answer clock stops while waiting.
        asked = await self.repo.last_event(opinion.id, Action.ASK.value)
        if asked is not None and opinion.answer_deadline is not None and now > asked.at:
            opinion.answer_deadline += now - asked.at
            opinion.last_warning = None
        return {"answer_deadline": opinion.answer_deadline, "info": args.get("note")}

    async def _do_transfer(
        self, opinion: Opinion, now: datetime, args: dict[str, Any]
    ) -> Refusal | dict[str, Any]:
        target = args.get("to_deputy_id")
        if args.get("to_staff"):
            # Back to the office's triage queue (holder NULL), e.g. "not my area".
            if opinion.holder_deputy_id is None:
                return Refusal(RefusalReason.INVALID_ARGUMENT, "already with staff")
            await self._assign(opinion, None, now)
            return {"_reason": "transfer:staff", "reason": args.get("note")}
        if not isinstance(target, int) or await self.uow.people.deputy(target) is None:
            return Refusal(RefusalReason.INVALID_ARGUMENT, "unknown deputy")
        if target == opinion.holder_deputy_id:
            return Refusal(RefusalReason.INVALID_ARGUMENT, "already the holder")
        await self._assign(opinion, target, now)
        return {"_reason": "transfer", "reason": args.get("note")}

    async def _do_escalate(self, opinion: Opinion, now: datetime, args: dict[str, Any]) -> dict[str, Any]:
        # A formal suggestion runs on its own (months-long) clock; ours stops.
        opinion.answer_deadline = None
        opinion.last_warning = None
        return {}

    async def _do_answer(
        self, opinion: Opinion, now: datetime, args: dict[str, Any]
    ) -> Refusal | dict[str, Any]:
        text = str(args.get("text") or "").strip()
        if not text:
            return Refusal(RefusalReason.INVALID_ARGUMENT, "an answer text is required")
        opinion.answer_text = text
        opinion.answered_at = now
        opinion.last_warning = None
        return {"answer": text, "confirm_by": now + self.policy.auto_close_after}

    async def _close(self, opinion: Opinion, now: datetime, action: Action | None) -> dict[str, Any]:
        opinion.closed_at = now
        if action in _SATISFACTION:
            opinion.satisfaction = _SATISFACTION[action].value
        return {}

    async def _do_confirm_satisfied(
        self, opinion: Opinion, now: datetime, args: dict[str, Any]
    ) -> dict[str, Any]:
        return await self._close(opinion, now, Action.CONFIRM_SATISFIED)

    async def _do_confirm_basic(
        self, opinion: Opinion, now: datetime, args: dict[str, Any]
    ) -> dict[str, Any]:
        return await self._close(opinion, now, Action.CONFIRM_BASIC)

    async def _do_confirm_dissatisfied(
        self, opinion: Opinion, now: datetime, args: dict[str, Any]
    ) -> dict[str, Any]:
        opinion.satisfaction = Satisfaction.DISSATISFIED.value
        opinion.answer_deadline = sla.answer_deadline(self.policy, opinion.category, now)
        opinion.last_warning = None
        if opinion.supervisor_person_id is None:
            opinion.supervisor_person_id = await self._supervisor_of(opinion.holder_deputy_id)
        return {"answer_deadline": opinion.answer_deadline}

    async def _do_auto_close(
        self, opinion: Opinion, now: datetime, args: dict[str, Any]
    ) -> Refusal | dict[str, Any]:
        if not sla.auto_close_due(self.policy, opinion.answered_at, now):
            return Refusal(RefusalReason.NOT_DUE, "confirmation window still open")
        # Another sweep (or the sender's verdict) may have closed it since we read it.
        if not await self.repo.claim_state(opinion.id, OpinionState.ANSWERED, OpinionState.CLOSED):
            return Refusal(RefusalReason.STALE_STATE, "closed meanwhile")
        return await self._close(opinion, now, None)

    async def _do_reject(self, opinion: Opinion, now: datetime, args: dict[str, Any]) -> dict[str, Any]:
        opinion.closed_at = now
        return {"reason": args.get("note")}

    async def _do_mark_duplicate(
        self, opinion: Opinion, now: datetime, args: dict[str, Any]
    ) -> Refusal | dict[str, Any]:
        target_id = args.get("duplicate_of_id")
        target = await self.repo.get(target_id) if isinstance(target_id, int) else None
        seen = {opinion.id}
        # Join the root of a duplicate chain, so followers land on the opinion that is actually handled.
        while target is not None and target.duplicate_of_id is not None and target.id not in seen:
            seen.add(target.id)
            target = await self.repo.get(target.duplicate_of_id)
        if target is None or target.id in seen or target.state == OpinionState.REJECTED:
            return Refusal(RefusalReason.INVALID_ARGUMENT, "no such opinion to join")
        opinion.duplicate_of_id = target.id
        opinion.closed_at = now
        for person_id in [opinion.sender_person_id, *await self.repo.subscribers(opinion.id)]:
            if person_id != target.sender_person_id:
                await self.repo.subscribe(target.id, person_id)
        return {"_reason": f"duplicate_of:{target.id}", "duplicate_of": target.tracking_no}

    # -- timeline and notifications -------------------------------------------------------------

    @staticmethod
    def _step(
        opinion: Opinion,
        action: str,
        source: OpinionState | None,
        target: OpinionState,
        actor_person_id: int | None,
        now: datetime,
        *,
        from_holder: int | None = None,
        reason: str | None = None,
        note: str | None = None,
    ) -> OpinionEvent:
        """A timeline entry for a transition just made (`opinion` already holds its new holder)."""
        return OpinionEvent(
            opinion_id=opinion.id,
            at=now,
            action=action,
            from_state=source.value if source is not None else None,
            to_state=target.value,
            actor_person_id=actor_person_id,
            from_holder_id=from_holder,
            to_holder_id=opinion.holder_deputy_id,
            reason=reason,
            note=note,
        )

    async def _person_of(self, deputy_id: int | None) -> int | None:
        if deputy_id is None:
            return None
        return await PeopleRepo(self.session).id_of_deputy(deputy_id)

    async def _notifications(
        self,
        opinion: Opinion,
        transition: Transition,
        actor_person_id: int | None,
        from_holder: int | None,
        now: datetime,
        extra: Mapping[str, Any],
    ) -> list[Notification]:
        params: dict[str, Any] = {
            "tracking_no": opinion.tracking_no,
            "category": opinion.category,
            "state": opinion.state,
            "action": transition.action.value,
            **{k: v for k, v in extra.items() if v is not None},
        }
        out: list[Notification] = []
        seen: set[tuple[int, str]] = set()

        def add(person_id: int | None, key: str, urgent: bool, **more: Any) -> None:
            # The presser gets the handler's direct reply, not an outbox ping about their own press.
            if person_id is None or person_id == actor_person_id or (person_id, key) in seen:
                return
            seen.add((person_id, key))
            out.append(
                Notification(
                    person_id,
                    key,
                    {**params, **more},
                    opinion.id,
                    sla.deliver_at(now, self.policy, urgent=urgent),
                    urgent,
                )
            )

        for notice in transition.notifies:
            if notice.audience is Audience.SENDER:
                add(opinion.sender_person_id, notice.key, notice.urgent)
            elif notice.audience is Audience.HOLDER:
                if opinion.holder_deputy_id is None:
                    for staff in await PeopleRepo(self.session).with_role(Role.STAFF):
                        add(staff.id, notice.key, notice.urgent, triage=True)
                else:
                    add(await self._person_of(opinion.holder_deputy_id), notice.key, notice.urgent)
            elif notice.audience is Audience.PREVIOUS_HOLDER:
                if from_holder != opinion.holder_deputy_id:
                    add(await self._person_of(from_holder), notice.key, notice.urgent)
            elif notice.audience is Audience.SUPERVISOR:
                add(opinion.supervisor_person_id, notice.key, notice.urgent)
        if transition.action in FOLLOWER_ACTIONS:
            for person_id in await self.repo.subscribers(opinion.id):
                if person_id != opinion.sender_person_id:
                    add(person_id, FOLLOWED, False, public=bool(opinion.public and not opinion.anonymous))
        return out

    # -- notes -----------------------------------------------------------------------------------

    async def sender_message(self, person_id: int, message_id: int) -> Opinion | None:
        """The sender's opinion written (partly) in this Telegram message, if any."""
        for opinion in await self.repo.for_sender(person_id, limit=50):
            if message_id in (opinion.message_ids or ()):
                return opinion
        return None

    async def add_note(self, opinion: Opinion, person_id: int, text: str) -> Outcome:
        """The sender corrected a message of a filed opinion: the timeline records the new text and
        the holder (or the office, while it waits for triage) hears it. The opinion's text stays as
        filed, so what the deputy first read remains on record."""
        now = self.clock.now()
        if opinion.sender_person_id != person_id:
            refusal = Refusal(RefusalReason.NO_RELATION)
            return await self._refuse(opinion, opinion.id, NOTE, person_id, refusal)
        if opinion.state in FINAL_STATES:
            return await self._refuse(opinion, opinion.id, NOTE, person_id, Refusal(RefusalReason.FINAL))
        state = OpinionState(opinion.state)
        await self.repo.add_event(
            self._step(
                opinion, NOTE, state, state, person_id, now, from_holder=opinion.holder_deputy_id, note=text
            )
        )
        at = sla.deliver_at(now, self.policy)
        if opinion.holder_deputy_id is not None:
            holders = [await self._person_of(opinion.holder_deputy_id)]
        else:
            holders = [p.id for p in await PeopleRepo(self.session).with_role(Role.STAFF)]
        notes = [
            Notification(p, SENDER_NOTE, {"tracking_no": opinion.tracking_no, "note": text}, opinion.id, at)
            for p in dict.fromkeys(holders)
            if p is not None and p != person_id
        ]
        return Outcome(opinion, None, None, notes)

    # -- the SLA sweep --------------------------------------------------------------------------

    def _next_warning(self, opinion: Opinion) -> datetime | None:
        return sla.next_warning_at(
            self.policy,
            opinion.state,
            opinion.accept_deadline,
            opinion.answer_deadline,
            opinion.category,
            opinion.last_warning,
        )

    async def sweep(self) -> list[Notification]:
        """Auto-close unconfirmed answers and raise colour warnings up the ladder; run every few minutes.

        A warning goes out once per (colour, rung): `last_warning` remembers e.g. `red:1` and
        `next_warning_at` when the next rung begins, so the sweep reads only the opinions whose next
        rung has come (an indexed range, locked, skipping rows another sweep holds) and speaks again
        only when an opinion turns red or climbs to the presidium — however many are overdue.
        """
        now = self.clock.now()
        out: list[Notification] = []
        for opinion in await self.repo.answered_before(now - self.policy.auto_close_after):
            out.extend((await self._perform(opinion, Action.AUTO_CLOSE, None, now, {})).notifications)

        sweep = _Sweep(self, now)
        warned = await drain(
            lambda n: self.repo.due_for_warning(now, limit=n),
            sweep.warn,
            sweep.flush,
            key=lambda opinion: opinion.id,
            batch=WARN_BATCH,
            most=WARN_MOST,
        )
        out.extend(n for _opinion, notes in warned for n in notes)
        return out


WARN_BATCH = 200  # opinions locked and warned per round trip of the sweep
# Opinions one sweep warns at most: its transaction, and the row locks a deputy's press would wait for,
# stay around a second; the rest are still due and the next sweep (a minute later) takes them. A
# thousand opinions are 2,000-3,000 notices, more than Telegram lets the outbox send in a minute.
WARN_MOST = 1_000


class _Sweep:
    """One reminder sweep: the ladders, the staff and the committees' names it read, so that a thousand
    warnings to one deputy's chain read the chain once; the timeline entries of a batch are written
    together when it is flushed."""

    def __init__(self, service: OpinionService, now: datetime) -> None:
        self.service = service
        self.now = now
        self.policy = service.policy
        self._ladders: dict[tuple[int | None, str | None], sla.Ladder] = {}
        self._staff: list[int] | None = None
        self._committees: dict[int, str] = {}
        self._events: list[OpinionEvent] = []

    async def flush(self) -> None:
        events, self._events = self._events, []
        if events:
            await self.service.repo.add_events(events)
        await self.service.uow.flush()

    async def _ladder(self, opinion: Opinion) -> sla.Ladder:
        key = (opinion.holder_deputy_id, opinion.category)
        if key not in self._ladders:
            self._ladders[key] = await build_ladder(self.service.session, *key)
        return self._ladders[key]

    async def _staff_ids(self) -> list[int]:
        if self._staff is None:
            self._staff = [p.id for p in await PeopleRepo(self.service.session).with_role(Role.STAFF)]
        return self._staff

    async def _committee_name(self, committee_id: int) -> str:
        if committee_id not in self._committees:
            committee = await self.service.uow.network.committee(committee_id)
            self._committees[committee_id] = committee.name if committee is not None else ""
        return self._committees[committee_id]

    async def warn(self, opinion: Opinion) -> list[Notification]:
        """Warn the rung the opinion's clock has reached, if not warned yet, and move its next look on."""
        now, policy = self.now, self.policy
        running = sla.running_clock(opinion.state, opinion.accept_deadline, opinion.answer_deadline)
        if running is None:  # its clock stopped since it was armed: nothing to look at any more
            opinion.next_warning_at = None
            return []
        kind, deadline = running
        window = (
            policy.accept_window(opinion.category)
            if kind is sla.ClockKind.ACCEPT
            else policy.answer_window(opinion.category)
        )
        colour = sla.colour(deadline, window, now, policy.yellow_fraction)
        level = sla.ladder_level(colour, max(now - deadline, timedelta(0)), policy)
        if level is None or not _higher((colour, level), opinion.last_warning):
            opinion.next_warning_at = rearm(self.service._next_warning(opinion), now)
            return []
        opinion.last_warning = f"{colour.value}:{level}"
        opinion.next_warning_at = rearm(self.service._next_warning(opinion), now)
        state = OpinionState(opinion.state)
        self._events.append(
            OpinionService._step(
                opinion,
                WARN,
                state,
                state,
                None,
                now,
                from_holder=opinion.holder_deputy_id,
                reason=opinion.last_warning,
            )
        )
        step = sla.escalation(await self._ladder(opinion), level)
        recipients: list[int] = list(step.to_person_ids)
        if opinion.holder_deputy_id is None or not recipients:
            recipients += await self._staff_ids()
        params = {
            "tracking_no": opinion.tracking_no,
            "category": opinion.category,
            "state": opinion.state,
            "clock": kind.value,
            "deadline": deadline,
            "colour": colour.value,
            "level": level,
            "cc_committee_ids": list(step.cc_committee_ids),
        }
        at = sla.deliver_at(now, policy)
        out = [
            Notification(p, f"opinion.warning.{colour.value}", params, opinion.id, at)
            for p in dict.fromkeys(recipients)
        ]
        # The special committee of the category supervises it: its members get a copy, not the task.
        overdue = int(max(now - deadline, timedelta(0)).total_seconds())
        for committee_id, person_id in step.cc_members:
            if person_id in recipients:
                continue
            copy = {
                **params,
                "committee_id": committee_id,
                "committee": await self._committee_name(committee_id),
                "overdue_seconds": overdue,
            }
            out.append(Notification(person_id, f"opinion.warning.{colour.value}.cc", copy, opinion.id, at))
        return out


def _higher(current: tuple[WarningColour, int], last: str | None) -> bool:
    if not last:
        return True
    colour_s, _, level_s = last.partition(":")
    try:
        previous = (_COLOUR_RANK[WarningColour(colour_s)], int(level_s or 0))
    except (ValueError, KeyError):
        return True
    return (_COLOUR_RANK[current[0]], current[1]) > previous
