"""The reception diary (民情日记): opening a day's entry, registering visitors and their matters, closing it.

Rules, once (inputs are checked in `rules` and `cursor`; the diary's lifecycle in `lifecycle`):

- **Who keeps a diary.** A deputy at one of their own stations (`deputy_station`), a station's liaison
  officer (联络员) or head (站长) at that station (`station_officer`), or staff at any station; any of
  them may record a home visit (走访: a place instead of a station). Anyone else is refused and
  audited. Every later step goes through `lifecycle.decide` with the presser's relation to the entry
  (keeper, a deputy or an officer of its station, staff), so a constituent's or another station's
  deputy's press never registers anything, and a closed day takes nothing more.
- **One open entry per keeper, station and day**: `/reception` resumes it; opening a later day's
  entry closes the keeper's entries left open from earlier days (by the system, audited).
- **A visitor** is registered by name or anonymously; a phone only with their consent (recorded, with
  its time). A phone that matches a constituent bound in Telegram makes that constituent the sender
  of the visitor's opinions: they get the usual filed card in their chat. Otherwise the first matter
  sent on as an opinion makes a stand-in person as its sender (named by the entry's place, day and
  the visitor's number, never by the visitor's name: names and phones reach the registering deputy
  and staff only) and a one-time link (`links`) for the deputy to hand over.
- **A matter** is answered on the spot (resolved at reception, the answer recorded) or sent on as an
  opinion through the opinion service's own `submit` (routing, task card, SLA), with source
  `station_reception` or `home_visit` and the registrar as who recorded it. A home visit's opinion
  goes to the keeper's first station for routing (none: the staff triage queue).
- An entry's figures are derived from what was registered (`rules.derive`); legacy entries keep their
  typed counts.

Nothing here knows Telegram: the handlers render what these return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.opinions.service import Notification, OpinionService
from bot.people.roles import is_staff
from bot.receptions import links, reading
from bot.receptions.lifecycle import Action, Refusal, RefusalReason, Relation, Transition, decide, may_view
from bot.receptions.reading import DiaryView
from bot.receptions.rules import MAX_MATTERS, MAX_VISITORS, Counts, Invalid, Problem
from storage.models import Opinion, Person, Role, Station
from storage.models.duty import StationRole
from storage.models.receptions import (
    DiaryKind,
    DiaryState,
    MatterOutcome,
    Reception,
    ReceptionMatter,
    ReceptionVisitor,
)
from storage.unit_of_work import UnitOfWork

__all__ = [
    "RECENT",
    "SOURCES",
    "DiaryService",
    "Opened",
    "Routed",
]

RECENT = 10
# The roles that run a station (bot/duty): its liaison officers and head keep its diary too.
OFFICER_ROLES = frozenset({Role.LIAISON, Role.STATION_HEAD})
AUDIT_REFUSED = "reception.refused"
# The opinion's `source` for what a visitor raised at each kind of entry.
SOURCES = {DiaryKind.STATION: "station_reception", DiaryKind.HOME_VISIT: "home_visit"}
# What tells the sender an opinion was routed: a visitor bound in Telegram hears it in their filed card.
ROUTED_NOTICE = "opinion.routed"


@dataclass(frozen=True)
class Opened:
    """An entry opened or resumed, and how many of the keeper's earlier open entries it closed."""

    diary: Reception
    place: str
    resumed: bool = False
    closed_earlier: int = 0


@dataclass(frozen=True)
class Routed:
    """A matter sent on as an opinion: whom else to tell, and how the visitor follows it.

    `bound_person_id`: the visitor is bound in Telegram (their filed card is the handler's to send;
    the routed notice is not among `notifications`). Else `link` is a new one-time link for the
    deputy to hand over, or `covered` says the link handed over earlier covers this opinion too.
    """

    matter: ReceptionMatter
    opinion: Opinion
    place: str
    day: date
    notifications: list[Notification] = field(default_factory=list)
    bound_person_id: int | None = None
    link: links.Issued | None = None
    covered: bool = False


def stand_in_name(place: str, day: date, number: int) -> str:
    """The stand-in sender's name: where and when, and the visitor's number; never their own name."""
    tail = f" · {day.isoformat()} · #{number}"
    return place[: 200 - len(tail)] + tail


class DiaryService:
    """The diary's rules over one unit of work; `opinions` files what a visitor raised.

    Args:
        uow: an entered unit of work; the service flushes, the caller commits.
        opinions: the opinion service (its clock is the diary's clock too).
    """

    def __init__(self, uow: UnitOfWork, opinions: OpinionService) -> None:
        self.uow, self.opinions = uow, opinions

    def now(self) -> datetime:
        return self.opinions.clock.now()

    def today(self) -> date:
        return self.opinions.policy.local_today(self.now())

    # -- who is asking ----------------------------------------------------------------------------

    async def find_station(self, code: str) -> Station | None:
        """A station by its code as typed (case-insensitive for the Latin letters codes use)."""
        code = code.strip()[:32]
        if not code:
            return None
        network = self.uow.network
        return await network.station_by_code(code) or await network.station_by_code(code.upper())

    async def next_number(self, diary_id: int) -> int:
        """The number the entry's next visitor will get."""
        return await self.uow.receptions.next_number(diary_id)

    async def deputy_stations(self, person: Person) -> Sequence[Station]:
        """The stations the person is a deputy of, by code."""
        deputy = person.deputy
        return await self.uow.network.stations_of_deputy(deputy.id) if deputy is not None else ()

    async def officer_stations(self, person: Person) -> Sequence[Station]:
        """The stations the person runs as their liaison officer or head, by code."""
        if not person.role_set & OFFICER_ROLES:
            return ()
        found = {
            s.id: s
            for role in StationRole
            for s in await self.uow.station_officers.stations_of(person.id, role)
        }
        return sorted(found.values(), key=lambda s: s.code)

    async def own_stations(self, person: Person) -> Sequence[Station]:
        """The stations where the person keeps a diary as a deputy or an officer, by code."""
        found = {s.id: s for s in [*await self.deputy_stations(person), *await self.officer_stations(person)]}
        return sorted(found.values(), key=lambda s: s.code)

    async def relations(self, diary: Reception, person: Person) -> frozenset[Relation]:
        kinds: set[Relation] = set()
        if diary.recorded_by_person_id == person.id:
            kinds.add(Relation.KEEPER)
        if diary.station_id is not None:
            if diary.station_id in {s.id for s in await self.deputy_stations(person)}:
                kinds.add(Relation.STATION_DEPUTY)
            if diary.station_id in {s.id for s in await self.officer_stations(person)}:
                kinds.add(Relation.STATION_OFFICER)
        if is_staff(person):
            kinds.add(Relation.STAFF)
        return frozenset(kinds)

    async def refuse(
        self, person: Person, refusal: Refusal, stage: str, diary_id: int | None = None, **detail: object
    ) -> Refusal:
        await self.uow.audit.record(
            AUDIT_REFUSED,
            actor_telegram_id=person.telegram_id,
            actor_person_id=person.id,
            object_type="reception" if diary_id is not None else None,
            object_id=diary_id,
            allowed=False,
            stage=stage,
            reason=refusal.reason.value,
            **({"detail": refusal.detail} if refusal.detail else {}),
            **detail,
        )
        return refusal

    async def check(
        self, diary_id: int, action: Action, person: Person, stage: str
    ) -> tuple[Reception, Transition] | Refusal:
        """The entry when this person may do `action` on it now (its row locked while this unit of work
        changes it); a refusal is audited."""
        diary = await self.uow.receptions.get(diary_id, for_update=True)
        if diary is None or diary.deleted_at is not None or diary.legacy:
            return await self.refuse(person, Refusal(RefusalReason.NOT_FOUND), stage, diary_id)
        decided = decide(diary.state, action, await self.relations(diary, person))
        if isinstance(decided, Refusal):
            return await self.refuse(person, decided, stage, diary_id)
        return diary, decided

    async def not_a_receiver(self, person: Person, stage: str) -> Refusal | None:
        """A refusal (audited) unless the person is a deputy, a station's officer or staff: only they keep
        a diary."""
        if person.deputy is not None or is_staff(person) or person.role_set & OFFICER_ROLES:
            return None
        return await self.refuse(person, Refusal(RefusalReason.NOT_A_RECEIVER), stage)

    # -- opening and closing ----------------------------------------------------------------------

    async def open_station(self, person: Person, station_id: int, stage: str) -> Opened | Refusal:
        """Today's entry at a station: the keeper's open one resumed, or a new one."""
        if (refused := await self.not_a_receiver(person, stage)) is not None:
            return refused
        station = await self.uow.network.station(station_id)
        own = {s.id for s in await self.own_stations(person)}
        as_deputy = {s.id for s in await self.deputy_stations(person)}
        if station is None or not (station.id in own or is_staff(person)):
            refusal = Refusal(RefusalReason.NOT_THEIR_STATION)
            return await self.refuse(person, refusal, stage, station_id=station_id)
        today = self.today()
        closed = await self._close_earlier(person, today)
        found = await self.uow.receptions.open_today(person.id, station.id, today)
        if found is not None:
            return Opened(found, station.name, resumed=True, closed_earlier=closed)
        deputy = person.deputy
        diary = Reception(
            kind=DiaryKind.STATION.value,
            deputy_id=deputy.id if deputy is not None and station.id in as_deputy else None,
            station_id=station.id,
            day=today,
            state=DiaryState.OPEN.value,
            legacy=False,
            opinions_paper=0,
            recorded_by_person_id=person.id,
            created_at=self.now(),
        )
        await self._opened(person, await self.uow.receptions.add(diary))
        return Opened(diary, station.name, closed_earlier=closed)

    async def open_home_visit(
        self, person: Person, place: str, location: tuple[float, float] | None, stage: str
    ) -> Opened | Refusal:
        """A home visit (走访) today at a place, with its location when one was shared."""
        if (refused := await self.not_a_receiver(person, stage)) is not None:
            return refused
        today = self.today()
        closed = await self._close_earlier(person, today)
        deputy = person.deputy
        diary = Reception(
            kind=DiaryKind.HOME_VISIT.value,
            deputy_id=deputy.id if deputy is not None else None,
            place=place,
            latitude=location[0] if location else None,
            longitude=location[1] if location else None,
            day=today,
            state=DiaryState.OPEN.value,
            legacy=False,
            opinions_paper=0,
            recorded_by_person_id=person.id,
            created_at=self.now(),
        )
        await self._opened(person, await self.uow.receptions.add(diary))
        return Opened(diary, place, closed_earlier=closed)

    async def _opened(self, person: Person, diary: Reception) -> None:
        await self.uow.audit.record(
            "reception.opened",
            actor_telegram_id=person.telegram_id,
            actor_person_id=person.id,
            object_type="reception",
            object_id=diary.id,
            kind=diary.kind,
            station_id=diary.station_id,
            day=diary.day.isoformat(),
        )

    async def _close_earlier(self, person: Person, today: date) -> int:
        """Close the keeper's entries left open from earlier days (the system does: a day ends)."""
        closed = 0
        for diary in await self.uow.receptions.open_before(person.id, today):
            if isinstance(decide(diary.state, Action.CLOSE, Relation.SYSTEM), Refusal):
                continue
            if await self._claim_closed(diary, None):
                closed += 1
                await self.uow.audit.record(
                    "reception.closed",
                    actor_person_id=None,
                    object_type="reception",
                    object_id=diary.id,
                    by="system",
                    reason="a later day opened",
                )
        return closed

    async def _claim_closed(self, diary: Reception, person_id: int | None) -> bool:
        now = self.now()
        won = await self.uow.receptions.claim_state(
            diary.id,
            DiaryState.OPEN.value,
            DiaryState.CLOSED.value,
            closed_at=now,
            closed_by_person_id=person_id,
        )
        if won:
            diary.state, diary.closed_at, diary.closed_by_person_id = DiaryState.CLOSED.value, now, person_id
        return won

    async def close(self, diary_id: int, person: Person, stage: str) -> Reception | Refusal:
        """🏁 Close the day: the entry takes nothing more; its figures are final."""
        checked = await self.check(diary_id, Action.CLOSE, person, stage)
        if isinstance(checked, Refusal):
            return checked
        diary, _ = checked
        if not await self._claim_closed(diary, person.id):  # closed by another press meanwhile
            return await self.refuse(person, Refusal(RefusalReason.FINAL), stage, diary_id)
        counts = await self.counts(diary)
        await self.uow.audit.record(
            "reception.closed",
            actor_telegram_id=person.telegram_id,
            actor_person_id=person.id,
            object_type="reception",
            object_id=diary.id,
            visitors=counts.people,
            matters=counts.matters,
            resolved=counts.resolved,
            routed=counts.routed,
        )
        return diary

    # -- registering ------------------------------------------------------------------------------

    async def register_visitor(
        self,
        diary_id: int,
        person: Person,
        *,
        name: str | None,
        phone: str | None,
        stage: str,
    ) -> ReceptionVisitor | Refusal | Invalid:
        """Register a visitor: `name` None is an anonymous one; `phone` is given only with consent."""
        checked = await self.check(diary_id, Action.REGISTER, person, stage)
        if isinstance(checked, Refusal):
            return checked
        diary, _ = checked
        number = await self.uow.receptions.next_number(diary.id)
        if number > MAX_VISITORS:
            return Invalid(Problem.TOO_MANY, limit=MAX_VISITORS)
        now = self.now()
        bound = await self.uow.receptions.bound_by_phone(phone) if phone else None
        visitor = ReceptionVisitor(
            reception_id=diary.id,
            number=number,
            anonymous=name is None,
            name=name,
            phone=phone if name is not None else None,
            phone_consent=phone is not None and name is not None,
            phone_consent_at=now if phone is not None and name is not None else None,
            person_id=bound.id if bound is not None and name is not None else None,
            stand_in=False,
            registered_by_person_id=person.id,
            created_at=now,
        )
        await self.uow.receptions.add(visitor)
        await self.uow.audit.record(  # no name, no phone: the audit log is read more widely
            "reception.visitor",
            actor_telegram_id=person.telegram_id,
            actor_person_id=person.id,
            object_type="reception",
            object_id=diary.id,
            number=number,
            anonymous=visitor.anonymous,
            phone_given=visitor.phone is not None,
            bound=visitor.person_id is not None,
        )
        return visitor

    async def _visitor_of(
        self, diary_id: int, visitor_id: int, person: Person, stage: str
    ) -> tuple[Reception, ReceptionVisitor] | Refusal | Invalid:
        checked = await self.check(diary_id, Action.REGISTER, person, stage)
        if isinstance(checked, Refusal):
            return checked
        diary, _ = checked
        visitor = await self.uow.receptions.visitor(visitor_id)
        if visitor is None or visitor.reception_id != diary.id:
            return await self.refuse(person, Refusal(RefusalReason.WRONG_VISITOR), stage, diary_id)
        if await self.uow.receptions.matter_count(visitor.id) >= MAX_MATTERS:
            return Invalid(Problem.TOO_MANY, limit=MAX_MATTERS)
        return diary, visitor

    async def resolve(
        self,
        diary_id: int,
        visitor_id: int,
        person: Person,
        *,
        text: str,
        category: str,
        answer: str,
        stage: str,
    ) -> ReceptionMatter | Refusal | Invalid:
        """A matter answered on the spot: recorded as resolved at reception, with the answer given."""
        found = await self._visitor_of(diary_id, visitor_id, person, stage)
        if not isinstance(found, tuple):
            return found
        diary, visitor = found
        matter = ReceptionMatter(
            reception_id=diary.id,
            visitor_id=visitor.id,
            text=text,
            category=category,
            outcome=MatterOutcome.RESOLVED.value,
            answer=answer,
            registered_by_person_id=person.id,
            created_at=self.now(),
        )
        await self.uow.receptions.add(matter)
        await self._matter_audit(person, diary, matter)
        return matter

    async def route(
        self, diary_id: int, visitor_id: int, person: Person, *, text: str, category: str, stage: str
    ) -> Routed | Refusal | Invalid:
        """A matter sent on as an opinion on the visitor's behalf, through the opinion service."""
        found = await self._visitor_of(diary_id, visitor_id, person, stage)
        if not isinstance(found, tuple):
            return found
        diary, visitor = found
        place = await self.place(diary)
        sender_id = await self._sender_of(diary, visitor, place)
        outcome = await self.opinions.submit(
            sender_id,
            category,
            text,
            station_id=await self._routing_station(diary),
            anonymous=visitor.anonymous,
            source=SOURCES[DiaryKind(diary.kind)],
            recorded_by_person_id=person.id,
        )
        opinion = outcome.opinion
        assert opinion is not None  # submit always files
        matter = ReceptionMatter(
            reception_id=diary.id,
            visitor_id=visitor.id,
            text=text,
            category=category,
            outcome=MatterOutcome.ROUTED.value,
            opinion_id=opinion.id,
            registered_by_person_id=person.id,
            created_at=self.now(),
        )
        await self.uow.receptions.add(matter)
        await self._matter_audit(person, diary, matter, opinion_id=opinion.id)
        if not visitor.stand_in:
            notes = [
                n
                for n in outcome.notifications
                if not (n.recipient_person_id == sender_id and n.key == ROUTED_NOTICE)
            ]
            return Routed(matter, opinion, place, diary.day, notes, bound_person_id=sender_id)
        usable = await links.usable(self.uow, visitor.id, self.now())
        issued = None if usable else await links.issue(self.uow, visitor.id, person, self.now())
        return Routed(
            matter, opinion, place, diary.day, list(outcome.notifications), link=issued, covered=usable
        )

    async def _sender_of(self, diary: Reception, visitor: ReceptionVisitor, place: str) -> int:
        """Whom the visitor's opinions are filed for: their bound account, else a stand-in (made once)."""
        if visitor.person_id is not None:
            return visitor.person_id
        stand_in = Person(name=stand_in_name(place, diary.day, visitor.number))
        await self.uow.people.add(stand_in)
        visitor.person_id, visitor.stand_in = stand_in.id, True
        await self.uow.flush()
        return stand_in.id

    async def _routing_station(self, diary: Reception) -> int | None:
        if diary.station_id is not None:
            return diary.station_id
        if diary.deputy_id is None:
            return None
        first = await self.uow.network.first_station_of_deputy(diary.deputy_id)
        return first.id if first is not None else None

    async def _matter_audit(
        self, person: Person, diary: Reception, matter: ReceptionMatter, **detail: object
    ) -> None:
        await self.uow.audit.record(
            "reception.matter",
            actor_telegram_id=person.telegram_id,
            actor_person_id=person.id,
            object_type="reception",
            object_id=diary.id,
            matter_id=matter.id,
            outcome=matter.outcome,
            category=matter.category,
            **detail,
        )

    # -- reading ----------------------------------------------------------------------------------

    async def counts(self, diary: Reception) -> Counts:
        return await reading.counts(self.uow, diary)

    async def place(self, diary: Reception) -> str:
        return await reading.place(self.uow, diary)

    async def view(self, diary_id: int, person: Person, stage: str) -> DiaryView | Refusal:
        """The entry as this reader may see it (names, phones and anonymous matters masked per visitor)."""
        diary = await self.uow.receptions.get(diary_id)
        if diary is None or diary.deleted_at is not None:
            return await self.refuse(person, Refusal(RefusalReason.NOT_FOUND), stage, diary_id)
        kinds = await self.relations(diary, person)
        deputy = person.deputy
        if diary.legacy and deputy is not None and deputy.id == diary.deputy_id:
            kinds = kinds | {Relation.KEEPER}  # an older record: the deputy who received reads it
        if not may_view(kinds):
            return await self.refuse(person, Refusal(RefusalReason.NO_RELATION), stage, diary_id)
        can_register = not diary.legacy and not isinstance(
            decide(diary.state, Action.REGISTER, kinds), Refusal
        )
        return await reading.build_view(self.uow, diary, person, can_register=can_register)

    async def recent(self, person: Person, limit: int = RECENT) -> list[tuple[Reception, str, Counts]]:
        """The entries this person keeps (and, from before registration, received), newest first."""
        return await reading.recent(self.uow, person, limit)
