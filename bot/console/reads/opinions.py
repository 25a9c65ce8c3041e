"""The opinion pages' reads: the filtered list (and its export), the filter's choices, and one opinion
with its whole timeline and the deputies staff may give it to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.console.reads.base import (
    CLOCK_STATES,
    COLOURS,
    EXPORT_LIMIT,
    PAGE_SIZE,
    Page,
    Reads,
    clean_query,
    parse_id,
)
from bot.opinions.candidates import MAX_STAFF, Candidate, CandidateService
from bot.opinions.lifecycle import Action, ActorKind, allowed_actions
from bot.opinions.sla import colour_clock, running_clock
from storage.models import FINAL_STATES, Opinion, OpinionState
from storage.repos.console import OpinionQuery

__all__ = ["TRIAGE", "Detail", "OpinionFilter", "OpinionReads", "OpinionRow", "TimelineStep"]

MAX_CANDIDATES = MAX_STAFF
TRIAGE = 0  # the "deputy" filter value of the staff triage queue (no holder)


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

    def query(self) -> OpinionQuery:
        """What the repository selects: "open" is every state but the final ones; a colour keeps the
        opinions on a running clock (the colour itself is read against now, not in SQL)."""
        states = [self.state] if self.state not in (None, "open") else None
        if self.colour is not None:
            states = [s for s in CLOCK_STATES if states is None or s in states]
        return OpinionQuery(
            states_in=states,
            states_not_in=[s.value for s in FINAL_STATES] if self.state == "open" else None,
            station_id=self.station_id,
            category=self.category,
            unheld=self.deputy_id == TRIAGE,
            holder_deputy_id=None if self.deputy_id == TRIAGE else self.deputy_id,
            text=self.q,
        )


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


class OpinionReads(Reads):
    """The opinion list, its filter's choices, one opinion."""

    async def stations(self) -> list[tuple[int, str, str]]:
        """(id, code, name) of every station, for the filter."""
        return await self.uow.console.station_choices()

    async def deputies(self) -> list[tuple[int, str, str | None]]:
        """(id, name, code) of every deputy, for the filter."""
        return await self.uow.console.deputy_choices()

    async def categories(self) -> list[str]:
        """Categories that occur, for the filter (besides the standard ones)."""
        return await self.uow.console.categories()

    async def opinions(
        self, f: OpinionFilter, page: int = 1, size: int = PAGE_SIZE
    ) -> tuple[list[OpinionRow], Page]:
        """One page of the filtered list, newest first (all of it, up to EXPORT_LIMIT, with size=0)."""
        repo, query = self.uow.console, f.query()
        if f.colour is not None:
            # The colour depends on now and each category's window: the SQL compares the deadlines with
            # the edges computed for now (storage/repos/colours.py).
            query = replace(query, colour=f.colour, colour_clock=colour_clock(self.policy, self.clock.now()))
        total = await repo.count_opinions(query)
        paging = Page(page, size or max(total, 1), total)
        offset = paging.offset if size else 0
        chosen = list(await repo.find_opinions(query, limit=size or EXPORT_LIMIT, offset=offset))
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
        steps, deputies = await self._timeline(opinion)
        sender = await self.uow.people.get(opinion.sender_person_id)
        station = await self.uow.network.station(opinion.station_id) if opinion.station_id else None
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
            attachments=await self.uow.console.attachment_count(opinion.id),
            steps=steps,
            can_reassign=can,
            candidates=await self.candidates(opinion) if can else [],
        )

    async def _timeline(self, opinion: Opinion) -> tuple[list[TimelineStep], dict[int, str]]:
        """The opinion's steps, with the names of the deputies they (and the opinion) mention."""
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
        return steps, deputies

    async def candidates(self, opinion: Opinion) -> list[Candidate]:
        """Deputies to give the opinion to, ranked as /queue and /overdue rank them."""
        return await CandidateService(self.uow).for_staff(opinion, MAX_CANDIDATES)
