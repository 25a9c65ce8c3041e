"""What the staff console shows and does: figures, filtered lists, timelines, reassignment. No aiohttp.

Reads go straight to the tables (read-only views of the same data the bot writes). The one write,
reassigning an opinion, goes through `OpinionService.apply(TRANSFER)` exactly like /queue and
/overdue in chat, so the lifecycle's rules, timeline and notices are the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased

from bot.broadcasts import service as bc
from bot.kit.i18n import Translator
from bot.opinions.candidates import MAX_STAFF, Candidate, CandidateService
from bot.opinions.digest import colour_of
from bot.opinions.lifecycle import Action, ActorKind, Refusal, RefusalReason, allowed_actions
from bot.opinions.service import OpinionService, Outcome
from bot.opinions.sla import SlaPolicy, running_clock
from bot.runtime.clock import Clock
from bot.runtime.settings import Settings
from bot.stats.service import compute_stats
from storage.models import (
    ACCEPT_CLOCK_STATES,
    ANSWER_CLOCK_STATES,
    FINAL_STATES,
    LOAD_STATES,
    AuditEntry,
    Broadcast,
    BroadcastStatus,
    ContactLink,
    Deputy,
    DeputyStation,
    Opinion,
    OpinionAttachment,
    OpinionState,
    OutboxMessage,
    OutboxStatus,
    Person,
    SpecialCommittee,
    Station,
    WarningColour,
)
from storage.unit_of_work import UnitOfWork

__all__ = [
    "EXPORT_LIMIT",
    "AuditRow",
    "BroadcastRow",
    "ConsoleService",
    "Dashboard",
    "Detail",
    "OpinionFilter",
    "OpinionRow",
    "Page",
    "TimelineStep",
    "parse_id",
]

PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 100
# An export holds every matching row up to this many (a province has tens of thousands of opinions).
EXPORT_LIMIT = 100_000
MAX_CANDIDATES = MAX_STAFF
MAX_QUERY = 64
CLOCK_STATES = sorted(s.value for s in ACCEPT_CLOCK_STATES | ANSWER_CLOCK_STATES)
COLOURS = tuple(c.value for c in WarningColour)
TRIAGE = 0  # the "deputy" filter value of the staff triage queue (no holder)


MAX_ID = 2**31 - 1  # ids are 32-bit integers: anything larger matches nothing (and PostgreSQL would object)
_DIGITS = re.compile(r"^[0-9]{1,10}$")  # ASCII only: str.isdigit() also accepts "²"


def parse_id(value: object) -> int | None:
    """An id (0 included) from a query string or form, or None: anything else is ignored, never trusted."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= MAX_ID else None
    if isinstance(value, str) and _DIGITS.match(value):
        number = int(value)
        return number if number <= MAX_ID else None
    return None


def _like(column: Any, text: str) -> Any:
    """Case-insensitive substring match with LIKE wildcards in the text taken literally."""
    return func.lower(column).contains(text.lower(), autoescape=True)


def clean_query(value: object) -> str:
    """A search text: collapsed whitespace, bounded length."""
    return " ".join(str(value or "").split())[:MAX_QUERY]


@dataclass(frozen=True)
class Page:
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(value: object) -> int:
    number = parse_id(value)
    return number if number is not None and 1 <= number <= 1_000_000 else 1


# -- opinions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpinionFilter:
    """The opinion list's filters, parsed from an untrusted query string (bad values are dropped)."""

    state: str | None = None
    colour: str | None = None
    station_id: int | None = None
    category: str | None = None
    deputy_id: int | None = None  # TRIAGE (0): held by nobody, the staff triage queue
    q: str = ""

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> OpinionFilter:
        state = query.get("state") or None
        if state not in {s.value for s in OpinionState} | {"open"}:
            state = None
        colour = query.get("colour") or None
        if colour not in COLOURS:
            colour = None
        category = (query.get("category") or "")[:64] or None
        return cls(
            state=state,
            colour=colour,
            station_id=parse_id(query.get("station") or None),
            category=category,
            deputy_id=parse_id(query.get("deputy") or None),
            q=clean_query(query.get("q")),
        )

    def as_query(self) -> dict[str, str]:
        """Back to query parameters (for links to the next page and the exports)."""
        out = {
            "state": self.state or "",
            "colour": self.colour or "",
            "station": "" if self.station_id is None else str(self.station_id),
            "category": self.category or "",
            "deputy": "" if self.deputy_id is None else str(self.deputy_id),
            "q": self.q,
        }
        return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class OpinionRow:
    id: int
    tracking_no: str
    created_at: datetime
    category: str
    state: str
    colour: str | None
    deadline: datetime | None
    station: str | None
    holder: str | None  # None: the staff triage queue
    text: str


@dataclass(frozen=True)
class TimelineStep:
    at: datetime
    action: str
    from_state: str | None
    to_state: str
    actor: str | None  # None: the system
    from_holder: str | None
    to_holder: str | None
    holder_changed: bool
    reason: str | None
    note: str | None
    # The sender of an anonymous opinion acted (submitted, answered a question, gave a verdict):
    # shown as "anonymous", never by name.
    by_anonymous_sender: bool = False


@dataclass
class Detail:
    opinion: Opinion
    colour: str | None
    deadline: datetime | None
    station: str | None
    holder: str | None
    sender: str | None  # None when anonymous
    sender_phone: str | None
    attachments: int
    steps: list[TimelineStep]
    can_reassign: bool
    candidates: list[Candidate] = field(default_factory=list)


# -- dashboard, broadcasts, audit -------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    received: int
    open: int
    triage: int
    answered: int
    closed: int
    green: int
    yellow: int
    red: int
    broadcasts_sending: int
    by_month: list[dict[str, Any]]
    by_category: list[dict[str, Any]]


@dataclass(frozen=True)
class BroadcastRow:
    id: int
    created_at: datetime
    scheduled_for: datetime | None
    finished_at: datetime | None
    sender: str | None
    audience: str  # described in the reader's language, HTML-escaped by bot.broadcasts.service.describe
    status: str
    text: str
    total: int
    sent: int
    blocked: int
    failed: int
    cancelled: int
    pending: int

    @property
    def processed(self) -> int:
        return self.total - self.pending

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else self.processed * 100 // self.total


@dataclass(frozen=True)
class Undelivered:
    chat_id: int
    name: str | None
    status: str
    error: str | None
    at: datetime | None


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str | None
    actor_telegram_id: int | None
    action: str
    object_type: str | None
    object_id: str | None
    allowed: bool
    detail: dict[str, Any]
    anonymous: bool = False  # the sender of an anonymous opinion, about that opinion: not named


@dataclass(frozen=True)
class NetworkStation:
    id: int
    code: str
    name: str
    kind: str
    parent: str | None
    deputies: int


@dataclass(frozen=True)
class NetworkDeputy:
    id: int
    code: str | None
    name: str
    level: str
    stations: list[str]
    fields: list[str]
    linked: bool  # has a Telegram account
    load: int
    contacted_by: list[str]


@dataclass(frozen=True)
class NetworkContact:
    tier: str
    source: str
    source_code: str | None
    target: str
    target_code: str | None


class ConsoleService:
    """The console's queries and its one action, inside the caller's unit of work.

    Args:
        uow: an entered unit of work; reads only, except `reassign` (the caller commits).
        settings: the zone and tracking prefix.
        policy: SLA windows for the colours.
        clock: the service clock (colours and deadlines are read against it).
    """

    def __init__(self, uow: UnitOfWork, settings: Settings, policy: SlaPolicy, clock: Clock) -> None:
        self.uow = uow
        self.settings = settings
        self.policy = policy
        self.clock = clock

    @property
    def session(self) -> Any:
        return self.uow.session

    # -- names ------------------------------------------------------------------------------------

    async def deputy_names(self, ids: Iterable[int | None]) -> dict[int, str]:
        wanted = sorted({i for i in ids if i is not None})
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(Deputy.id, Person.name)
            .join(Person, Person.id == Deputy.person_id)
            .where(Deputy.id.in_(wanted))
        )
        return {int(i): str(n) for i, n in rows.all()}

    async def person_names(self, ids: Iterable[int | None]) -> dict[int, str]:
        wanted = sorted({i for i in ids if i is not None})
        if not wanted:
            return {}
        rows = await self.session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted)))
        return {int(i): str(n) for i, n in rows.all()}

    async def station_names(self, ids: Iterable[int | None]) -> dict[int, str]:
        wanted = sorted({i for i in ids if i is not None})
        if not wanted:
            return {}
        rows = await self.session.execute(select(Station.id, Station.name).where(Station.id.in_(wanted)))
        return {int(i): str(n) for i, n in rows.all()}

    async def stations(self) -> list[tuple[int, str, str]]:
        """(id, code, name) of every station, for the filter."""
        rows = await self.session.execute(
            select(Station.id, Station.code, Station.name).order_by(Station.code)
        )
        return [(int(i), str(c), str(n)) for i, c, n in rows.all()]

    async def deputies(self) -> list[tuple[int, str, str | None]]:
        """(id, name, code) of every deputy, for the filter."""
        rows = await self.session.execute(
            select(Deputy.id, Person.name, Person.code)
            .join(Person, Person.id == Deputy.person_id)
            .order_by(Person.code, Deputy.id)
        )
        return [(int(i), str(n), c) for i, n, c in rows.all()]

    async def categories(self) -> list[str]:
        """Categories that occur, for the filter (besides the standard ones)."""
        rows = await self.session.scalars(select(Opinion.category).distinct())
        return sorted(str(c) for c in rows.all() if c)

    # -- dashboard --------------------------------------------------------------------------------

    async def _count(self, *where: Any) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Opinion).where(*where)) or 0)

    async def colours(self) -> dict[str, int]:
        """How many open opinions are green, yellow and red now (on their running clock)."""
        now = self.clock.now()
        counts = dict.fromkeys(COLOURS, 0)
        rows = await self.session.scalars(select(Opinion).where(Opinion.state.in_(CLOCK_STATES)))
        for opinion in rows.all():
            shade = colour_of(opinion, now, self.policy)
            if shade is not None:
                counts[shade.value] += 1
        return counts

    async def dashboard(self) -> Dashboard:
        """The office's figures now, and the report's monthly and per-category series (all time)."""
        load = sorted(s.value for s in LOAD_STATES)
        stats = await compute_stats(self.session, None, None, self.settings.timezone)
        shades = await self.colours()
        sending = await self.session.scalar(
            select(func.count()).select_from(Broadcast).where(Broadcast.status == BroadcastStatus.SENDING)
        )
        return Dashboard(
            received=await self._count(),
            open=await self._count(Opinion.state.in_(load)),
            triage=await self._count(Opinion.state.in_(load), Opinion.holder_deputy_id.is_(None)),
            answered=await self._count(Opinion.state == OpinionState.ANSWERED.value),
            closed=await self._count(Opinion.state == OpinionState.CLOSED.value),
            green=shades[WarningColour.GREEN],
            yellow=shades[WarningColour.YELLOW],
            red=shades[WarningColour.RED],
            broadcasts_sending=int(sending or 0),
            by_month=self._last_months(stats["by_month"]),
            by_category=stats["by_category"],
        )

    def _last_months(self, rows: Sequence[Mapping[str, Any]], count: int = 12) -> list[dict[str, Any]]:
        """The last `count` local months up to this one, months without opinions included as zeros."""
        local = self.clock.now().astimezone(self.settings.zone)
        year, month = local.year, local.month
        keys = []
        for _ in range(count):
            keys.append(f"{year:04d}-{month:02d}")
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        found = {str(r["key"]): r for r in rows}
        return [
            {
                "key": k,
                "received": found.get(k, {}).get("received", 0),
                "handled": found.get(k, {}).get("handled", 0),
            }
            for k in reversed(keys)
        ]

    async def statistics(self, start: date | None, end: date | None) -> dict[str, Any]:
        """The report's figures (bot.stats.service, the same as /stats and `liaison stats`)."""
        return await compute_stats(self.session, start, end, self.settings.timezone)

    # -- opinions ---------------------------------------------------------------------------------

    def _filtered(self, f: OpinionFilter) -> Select[tuple[Opinion]]:
        stmt = select(Opinion)
        if f.state == "open":
            stmt = stmt.where(Opinion.state.not_in(sorted(s.value for s in FINAL_STATES)))
        elif f.state is not None:
            stmt = stmt.where(Opinion.state == f.state)
        if f.colour is not None:
            stmt = stmt.where(Opinion.state.in_(CLOCK_STATES))
        if f.station_id is not None:
            stmt = stmt.where(Opinion.station_id == f.station_id)
        if f.category is not None:
            stmt = stmt.where(Opinion.category == f.category)
        if f.deputy_id == TRIAGE:
            stmt = stmt.where(Opinion.holder_deputy_id.is_(None))
        elif f.deputy_id is not None:
            stmt = stmt.where(Opinion.holder_deputy_id == f.deputy_id)
        if f.q:
            stmt = stmt.where(or_(_like(Opinion.tracking_no, f.q), _like(Opinion.text, f.q)))
        return stmt

    def _colour(self, opinion: Opinion) -> str | None:
        shade = colour_of(opinion, self.clock.now(), self.policy)
        return shade.value if shade is not None else None

    async def opinions(
        self, f: OpinionFilter, page: int = 1, size: int = PAGE_SIZE
    ) -> tuple[list[OpinionRow], Page]:
        """One page of the filtered list, newest first (all of it, up to EXPORT_LIMIT, with size=0)."""
        stmt = self._filtered(f).order_by(Opinion.id.desc())
        if f.colour is not None:
            # The colour depends on now and each category's window: computed here, not in SQL.
            found = [o for o in (await self.session.scalars(stmt.limit(EXPORT_LIMIT))).all()]
            found = [o for o in found if self._colour(o) == f.colour]
            total = len(found)
            paging = Page(page, size or max(total, 1), total)
            chosen = found if not size else found[paging.offset : paging.offset + size]
        else:
            total = int(
                await self.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
                or 0
            )
            paging = Page(page, size or max(total, 1), total)
            limited = stmt.limit(size or EXPORT_LIMIT).offset(paging.offset if size else 0)
            chosen = list((await self.session.scalars(limited)).all())
        return await self._rows(chosen), paging

    async def _rows(self, opinions: Sequence[Opinion]) -> list[OpinionRow]:
        stations = await self.station_names(o.station_id for o in opinions)
        holders = await self.deputy_names(o.holder_deputy_id for o in opinions)
        rows = []
        for o in opinions:
            running = running_clock(o.state, o.accept_deadline, o.answer_deadline)
            rows.append(
                OpinionRow(
                    id=o.id,
                    tracking_no=o.tracking_no,
                    created_at=o.created_at,
                    category=o.category,
                    state=o.state,
                    colour=self._colour(o),
                    deadline=running[1] if running else None,
                    station=stations.get(o.station_id) if o.station_id is not None else None,
                    holder=holders.get(o.holder_deputy_id) if o.holder_deputy_id is not None else None,
                    text=o.text,
                )
            )
        return rows

    async def detail(self, opinion_id: int) -> Detail | None:
        """One opinion with its whole timeline and, when staff may transfer it, the deputies to pick."""
        opinion = await self.uow.opinions.get(opinion_id)
        if opinion is None:
            return None
        events = await self.uow.opinions.events(opinion.id)
        deputies = await self.deputy_names(
            [opinion.holder_deputy_id, *(e.from_holder_id for e in events), *(e.to_holder_id for e in events)]
        )
        # An anonymous opinion's sender is not named anywhere staff look, the timeline included.
        hidden_actor = opinion.sender_person_id if opinion.anonymous else None
        actors = await self.person_names(
            e.actor_person_id for e in events if e.actor_person_id != hidden_actor
        )
        steps = [
            TimelineStep(
                at=e.at,
                action=e.action,
                from_state=e.from_state,
                to_state=e.to_state,
                actor=actors.get(e.actor_person_id) if e.actor_person_id is not None else None,
                by_anonymous_sender=hidden_actor is not None and e.actor_person_id == hidden_actor,
                from_holder=deputies.get(e.from_holder_id) if e.from_holder_id is not None else None,
                to_holder=deputies.get(e.to_holder_id) if e.to_holder_id is not None else None,
                holder_changed=e.from_holder_id != e.to_holder_id or e.action == Action.ROUTE.value,
                reason=e.reason,
                note=e.note,
            )
            for e in events
        ]
        sender = await self.uow.people.get(opinion.sender_person_id)
        station = await self.session.get(Station, opinion.station_id) if opinion.station_id else None
        attachments = await self.session.scalar(
            select(func.count())
            .select_from(OpinionAttachment)
            .where(OpinionAttachment.opinion_id == opinion.id)
        )
        running = running_clock(opinion.state, opinion.accept_deadline, opinion.answer_deadline)
        can = Action.TRANSFER in allowed_actions(opinion.state, frozenset({ActorKind.STAFF}))
        hidden = opinion.anonymous or sender is None
        return Detail(
            opinion=opinion,
            colour=self._colour(opinion),
            deadline=running[1] if running else None,
            station=station.name if station else None,
            holder=deputies.get(opinion.holder_deputy_id) if opinion.holder_deputy_id is not None else None,
            sender=None if hidden or sender is None else sender.name,
            sender_phone=sender.phone if sender and not hidden and sender.phone_shared else None,
            attachments=int(attachments or 0),
            steps=steps,
            can_reassign=can,
            candidates=await self.candidates(opinion) if can else [],
        )

    async def candidates(self, opinion: Opinion) -> list[Candidate]:
        """Deputies to give the opinion to, ranked as /queue and /overdue rank them."""
        return await CandidateService(self.uow).for_staff(opinion, MAX_CANDIDATES)

    async def deputy_by_code(self, code: str) -> int | None:
        code = code.strip()[:32]
        if not code:
            return None
        found = await self.session.scalar(
            select(Deputy.id).join(Person, Person.id == Deputy.person_id).where(Person.code == code)
        )
        return int(found) if found is not None else None

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
        refusal: Refusal | None = None
        if opinion is None:
            refusal = Refusal(RefusalReason.NOT_FOUND)
        elif opinion.state in FINAL_STATES:
            refusal = Refusal(RefusalReason.FINAL, f"state {opinion.state}")
        elif (opinion.holder_deputy_id or 0) != (shown_holder or 0):
            refusal = Refusal(
                RefusalReason.STALE_STATE, f"holder {opinion.holder_deputy_id} not {shown_holder}"
            )
        elif to_deputy_id is None:
            refusal = Refusal(RefusalReason.INVALID_ARGUMENT, "no deputy picked")
        if refusal is not None:
            await self.uow.audit.record(
                "console.reassign",
                actor_telegram_id=actor.telegram_id,
                actor_person_id=actor.id,
                object_type="opinion",
                object_id=opinion_id,
                allowed=False,
                reason=refusal.reason.value,
                detail=refusal.detail,
            )
            return Outcome(opinion, None, refusal, [])
        outcome = await service.apply(
            opinion_id, Action.TRANSFER, actor.id, to_deputy_id=to_deputy_id, note=note.strip()[:500] or None
        )
        if outcome.ok:
            await self.uow.audit.record(
                "console.reassign",
                actor_telegram_id=actor.telegram_id,
                actor_person_id=actor.id,
                object_type="opinion",
                object_id=opinion_id,
                from_deputy_id=shown_holder or None,
                to_deputy_id=to_deputy_id,
            )
        return outcome

    # -- network ----------------------------------------------------------------------------------

    async def network_stations(self, q: str = "") -> list[NetworkStation]:
        parent = aliased(Station)
        count = (
            select(func.count())
            .select_from(DeputyStation)
            .where(DeputyStation.station_id == Station.id)
            .scalar_subquery()
        )
        stmt = (
            select(Station, parent.name, count)
            .outerjoin(parent, parent.id == Station.parent_id)
            .order_by(Station.code)
            .limit(EXPORT_LIMIT)
        )
        if q:
            stmt = stmt.where(or_(_like(Station.name, q), _like(Station.code, q)))
        rows = (await self.session.execute(stmt)).all()
        return [NetworkStation(s.id, s.code, s.name, s.kind, p, int(n or 0)) for s, p, n in rows]

    async def network_deputies(self, q: str = "") -> list[NetworkDeputy]:
        stmt = (
            select(Deputy, Person)
            .join(Person, Person.id == Deputy.person_id)
            .order_by(Person.code, Deputy.id)
            .limit(EXPORT_LIMIT)
        )
        if q:
            stmt = stmt.where(or_(_like(Person.name, q), _like(Person.code, q)))
        rows = (await self.session.execute(stmt)).all()
        ids = [d.id for d, _p in rows]
        stations: dict[int, list[str]] = {}
        contacted: dict[int, list[str]] = {}
        if ids:
            for deputy_id, name in (
                await self.session.execute(
                    select(DeputyStation.deputy_id, Station.name)
                    .join(Station, Station.id == DeputyStation.station_id)
                    .where(DeputyStation.deputy_id.in_(ids))
                    .order_by(Station.code)
                )
            ).all():
                stations.setdefault(int(deputy_id), []).append(str(name))
            source = aliased(Person)
            for deputy_id, name in (
                await self.session.execute(
                    select(Deputy.id, func.coalesce(source.name, SpecialCommittee.name))
                    .join(ContactLink, ContactLink.to_person_id == Deputy.person_id)
                    .outerjoin(source, source.id == ContactLink.from_person_id)
                    .outerjoin(SpecialCommittee, SpecialCommittee.id == ContactLink.from_committee_id)
                    .where(Deputy.id.in_(ids))
                    .order_by(ContactLink.id)
                )
            ).all():
                contacted.setdefault(int(deputy_id), []).append(str(name))
        load = await self.uow.opinions.open_counts(ids) if ids else {}
        return [
            NetworkDeputy(
                d.id,
                p.code,
                p.name,
                d.level,
                stations.get(d.id, []),
                list(d.fields or []),
                p.telegram_id is not None,
                load.get(d.id, 0),
                contacted.get(d.id, []),
            )
            for d, p in rows
        ]

    async def network_contacts(self, q: str = "") -> list[NetworkContact]:
        source, target = aliased(Person), aliased(Person)
        stmt = (
            select(
                ContactLink.tier,
                source.name,
                source.code,
                SpecialCommittee.name,
                SpecialCommittee.code,
                target.name,
                target.code,
            )
            .join(target, target.id == ContactLink.to_person_id)
            .outerjoin(source, source.id == ContactLink.from_person_id)
            .outerjoin(SpecialCommittee, SpecialCommittee.id == ContactLink.from_committee_id)
            .order_by(ContactLink.tier, ContactLink.id)
            .limit(EXPORT_LIMIT)
        )
        if q:
            stmt = stmt.where(
                or_(
                    _like(source.name, q),
                    _like(source.code, q),
                    _like(SpecialCommittee.name, q),
                    _like(SpecialCommittee.code, q),
                    _like(target.name, q),
                    _like(target.code, q),
                )
            )
        rows = (await self.session.execute(stmt)).all()
        return [
            NetworkContact(str(tier), str(sn or cn or ""), sc or cc, str(tn), tc)
            for tier, sn, sc, cn, cc, tn, tc in rows
        ]

    # -- broadcasts -------------------------------------------------------------------------------

    async def broadcasts(self, tr: Translator, *, limit: int = EXPORT_LIMIT) -> list[BroadcastRow]:
        """Every notice, newest first; a notice still sending is counted live from its outbox rows."""
        items = list(
            (await self.session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit))).all()
        )
        return [await self._broadcast_row(b, tr) for b in items]

    async def _broadcast_row(self, b: Broadcast, tr: Translator) -> BroadcastRow:
        senders = await self.person_names([b.created_by_person_id])
        live = await bc.progress(self.uow, b.id)
        return BroadcastRow(
            id=b.id,
            created_at=b.created_at,
            scheduled_for=b.scheduled_for,
            finished_at=b.finished_at,
            sender=senders.get(b.created_by_person_id) if b.created_by_person_id is not None else None,
            audience=await bc.audience_words(self.uow, b, tr),
            status=b.status,
            text=b.text,
            total=live.total or b.total,
            sent=live.sent,
            blocked=live.blocked,
            failed=live.failed,
            cancelled=live.cancelled,
            pending=live.pending,
        )

    async def broadcast(
        self, broadcast_id: int, tr: Translator
    ) -> tuple[BroadcastRow, list[Undelivered]] | None:
        """One notice's report: the counts and everyone it did not reach, with the reason."""
        b = await self.session.get(Broadcast, broadcast_id)
        if b is None:
            return None
        rows = (
            await self.session.execute(
                select(
                    OutboxMessage.chat_id,
                    Person.name,
                    OutboxMessage.status,
                    OutboxMessage.last_error,
                    OutboxMessage.sent_at,
                )
                .outerjoin(Person, Person.telegram_id == OutboxMessage.chat_id)
                .where(
                    OutboxMessage.broadcast_id == b.id,
                    OutboxMessage.status.in_([OutboxStatus.BLOCKED.value, OutboxStatus.FAILED.value]),
                )
                .order_by(OutboxMessage.id)
                .limit(EXPORT_LIMIT)
            )
        ).all()
        undelivered = [Undelivered(int(c), n, str(s), e, at) for c, n, s, e, at in rows]
        return await self._broadcast_row(b, tr), undelivered

    # -- audit ------------------------------------------------------------------------------------

    async def audit(
        self, page: int = 1, *, action: str = "", refused_only: bool = False, size: int = AUDIT_PAGE_SIZE
    ) -> tuple[list[AuditRow], Page]:
        """The audit log, newest first; `action` matches the start of the action name."""
        where: list[Any] = []
        if action:
            where.append(AuditEntry.action.startswith(action, autoescape=True))
        if refused_only:
            where.append(AuditEntry.allowed.is_(False))
        total = int(
            await self.session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0
        )
        paging = Page(page, size or max(total, 1), total)
        stmt = (
            select(AuditEntry, Person.name)
            .outerjoin(Person, Person.id == AuditEntry.actor_person_id)
            .where(*where)
            .order_by(AuditEntry.id.desc())
            .limit(size or EXPORT_LIMIT)
            .offset(paging.offset if size else 0)
        )
        rows = (await self.session.execute(stmt)).all()
        hidden = await self._anonymous_senders(a for a, _name in rows)
        out: list[AuditRow] = []
        for a, name in rows:
            masked = (a.object_id, a.actor_person_id) in hidden
            out.append(
                AuditRow(
                    a.id,
                    a.at,
                    None if masked else name,
                    None if masked else a.actor_telegram_id,
                    a.action,
                    a.object_type,
                    a.object_id,
                    a.allowed,
                    dict(a.detail or {}),
                    anonymous=masked,
                )
            )
        return out, paging

    async def _anonymous_senders(self, entries: Iterable[AuditEntry]) -> set[tuple[str, int]]:
        """(opinion id as the audit stores it, sender's person id) of the anonymous opinions these
        entries are about: an entry by that sender about that opinion would name them."""
        ids = {
            int(e.object_id)
            for e in entries
            if e.object_type == "opinion" and e.object_id and e.object_id.isdigit()
        }
        if not ids:
            return set()
        found = await self.session.execute(
            select(Opinion.id, Opinion.sender_person_id).where(
                Opinion.id.in_(ids), Opinion.anonymous.is_(True)
            )
        )
        return {(str(opinion_id), int(sender)) for opinion_id, sender in found.all()}
