"""The suggestion pages' reads: the filtered list (and its export) with its counts per state, the
filter's choices, one suggestion with its ledger, 三见面, co-unit opinions and answers and what its
forms offer (the 交办 forms; merge candidates, longer terms, a reassignment's units), the batch the
交办会 would publish, and the 立项—督办—销号 ledger of a year or series.

Only staff sign in to the console (`bot.console.auth`), and staff see every suggestion, so nothing here
narrows by unit or committee. What a constituent wrote or is called never reaches these pages: the
opinions a suggestion was made from are named by tracking number only, and every person named here
is a deputy, a unit officer or a staff member.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.console.reads.base import COLOURS, EXPORT_LIMIT, PAGE_SIZE, Page, Reads, clean_query, parse_id
from bot.suggestions import ledger
from bot.suggestions.assign import AssignmentService, Proposal
from bot.suggestions.deadlines import (
    DEFAULT_TERM_MONTHS,
    MAX_TERM_MONTHS,
    Deadline,
    DeadlinePolicy,
    suggestion_colour,
)
from bot.suggestions.lifecycle import Action, ActorKind, allowed_actions
from bot.suggestions.merge import MergeService
from storage.models.suggestions import Suggestion, SuggestionEvent, SuggestionState
from storage.repos.console_suggestions import HIDDEN_STATES, ConsoleSuggestionRepo, SuggestionQuery

__all__ = [
    "CLOCK_STATES",
    "LIST_STATES",
    "PUBLISH_LIMIT",
    "QUEUE",
    "AnswerLine",
    "ContactLine",
    "CosignerLine",
    "LedgerStep",
    "SuggestionDetail",
    "SuggestionFilter",
    "SuggestionReads",
    "SuggestionRow",
    "UnitOpinionLine",
    "term_of",
]

S = SuggestionState
# On the clock: published to the units and not yet answered (三色预警 applies).
CLOCK_STATES = (S.ASSIGNED, S.HANDLING, S.EXTENSION_REQUESTED, S.REASSIGN_REQUESTED, S.REHANDLING)
QUEUE = (S.FILED, S.PREPARED)  # awaiting 交办
LIST_STATES = tuple(s for s in SuggestionState if s.value not in HIDDEN_STATES)
# Filter values besides the states: groups staff ask for often.
STATE_GROUPS = {"queue": QUEUE, "clock": CLOCK_STATES}
RECESS = "recess"  # the series filter's value for numbers issued between sessions (闭会期间)
# Whose names the ledger shows: every relation is a deputy, a unit officer or staff.
NAMED_ACTORS = frozenset(k for k in ActorKind if k is not ActorKind.SYSTEM)
PUBLISH_LIMIT = 500  # what AssignmentService.publish takes in one 交办会 (its own limit)
# States a suggestion reaches by someone's request to staff: the detail page shows that request's words.
ASKED_STATES = (S.EXTENSION_REQUESTED, S.REASSIGN_REQUESTED, S.STAFF_REVIEW, S.RECHECK_REOPENED)


def term_of(suggestion: Suggestion, zone: str) -> Deadline | None:
    """The running term of a suggestion on the clock (None otherwise): from its publication, or from
    the dissatisfied rating that sent it back, to the end of its due day in the congress's zone."""
    if suggestion.state not in CLOCK_STATES or suggestion.due_on is None or suggestion.assigned_at is None:
        return None
    start = suggestion.assigned_at
    if suggestion.state == S.REHANDLING and suggestion.rated_at is not None and suggestion.rated_at > start:
        start = suggestion.rated_at
    end = datetime.combine(suggestion.due_on + timedelta(days=1), time(0), tzinfo=ZoneInfo(zone))
    return Deadline(start, suggestion.due_on, end.astimezone(UTC))


@dataclass(frozen=True)
class SuggestionFilter:
    """The list's filters, parsed from an untrusted query string (bad values are dropped)."""

    state: str | None = None  # a state, or "queue" / "clock"
    colour: str | None = None
    category: str | None = None
    unit_id: int | None = None  # the lead unit
    committee_id: int | None = None
    year: int | None = None
    series: str | None = None  # a session code, or RECESS
    q: str = ""

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> SuggestionFilter:
        state = query.get("state") or None
        if state not in {s.value for s in LIST_STATES} | set(STATE_GROUPS):
            state = None
        colour = query.get("colour") or None
        if colour not in COLOURS:
            colour = None
        year = parse_id(query.get("year") or None)
        return cls(
            state=state,
            colour=colour,
            category=(query.get("category") or "")[:64] or None,
            unit_id=parse_id(query.get("unit") or None),
            committee_id=parse_id(query.get("committee") or None),
            year=year if year is not None and 1900 <= year <= 9999 else None,
            series=(query.get("series") or "")[:32] or None,
            q=clean_query(query.get("q")),
        )

    def as_query(self) -> dict[str, str]:
        """Back to query parameters (for the pages, the state counts and the exports)."""
        out = {
            "state": self.state or "",
            "colour": self.colour or "",
            "category": self.category or "",
            "unit": "" if self.unit_id is None else str(self.unit_id),
            "committee": "" if self.committee_id is None else str(self.committee_id),
            "year": "" if self.year is None else str(self.year),
            "series": self.series or "",
            "q": self.q,
        }
        return {k: v for k, v in out.items() if v}

    def states(self) -> list[str] | None:
        """The states the state filter and the colour allow (None: any)."""
        if self.state in STATE_GROUPS:
            states: list[str] | None = [s.value for s in STATE_GROUPS[self.state]]
        else:
            states = [self.state] if self.state else None
        if self.colour is not None:
            states = [s.value for s in CLOCK_STATES if states is None or s.value in states]
        return states

    def query(self, *, with_state: bool = True) -> SuggestionQuery:
        """What the repository selects; the colour is read against now, in Python, not in SQL."""
        return SuggestionQuery(
            states_in=self.states() if with_state else None,
            category=self.category,
            lead_unit_id=self.unit_id,
            committee_id=self.committee_id,
            year=self.year,
            session=None if self.series in (None, RECESS) else self.series,
            recess=self.series == RECESS,
            text=self.q,
        )


@dataclass(frozen=True)
class SuggestionRow:
    id: int
    number: str | None
    series: str | None  # the session code; None: the recess year
    title: str
    category: str
    state: str
    filer: str
    filed_at: datetime | None
    lead_unit: str | None
    co_units: list[str]
    committee: str | None
    term_months: int | None
    assigned_at: datetime | None
    due_on: date | None
    colour: str | None
    result_class: str | None
    rating: str | None
    closed_at: datetime | None
    opinions: list[str]  # tracking numbers of the opinions it was made from
    series_name: str | None = None  # the session's name in the calendar (第十六届…第三次会议)


@dataclass(frozen=True)
class LedgerStep:
    at: datetime
    action: str
    from_state: str | None
    to_state: str
    actor_kind: str
    actor: str | None  # None: the system, or a person no longer recorded
    note: str | None


@dataclass(frozen=True)
class CosignerLine:
    name: str
    state: str
    invited_at: datetime
    answered_at: datetime | None


@dataclass(frozen=True)
class ContactLine:
    stage: str
    held_on: date
    form: str
    summary: str
    unit: str | None
    recorded_by: str | None
    verdict: str
    verdict_reason: str | None
    verdict_at: datetime | None


@dataclass(frozen=True)
class UnitOpinionLine:
    unit: str | None
    by: str | None
    text: str
    at: datetime


@dataclass(frozen=True)
class AnswerLine:
    round: int
    unit: str | None
    by: str | None
    result_class: str
    text: str
    reason: str | None
    planned_on: date | None
    answered_at: datetime
    due_on: date | None
    on_time: bool
    rating: str | None
    rating_reason: str | None
    rated_at: datetime | None


@dataclass
class SuggestionDetail:
    suggestion: Suggestion
    filer: str
    filer_code: str | None
    recorded_by: str | None  # staff who typed in a paper suggestion
    cosigners: list[CosignerLine]
    opinions: list[tuple[int, str]]  # (opinion id, tracking number)
    lead_unit: str | None
    co_units: list[str]
    committee: str | None
    colour: str | None
    steps: list[LedgerStep]
    contacts: list[ContactLine]
    unit_opinions: list[UnitOpinionLine]
    answers: list[AnswerLine]
    can_return: bool
    can_prepare: bool
    # What staff may ask for now (`allowed_actions` for staff): which decision forms the page shows.
    actions: frozenset[str] = frozenset()
    asked: LedgerStep | None = None  # the request that brought it to staff (more time, "not ours", …)
    merged_into: tuple[int, str] | None = None  # (id, number) of the suggestion it joined
    merge_candidates: list[tuple[int, str, str]] = field(default_factory=list)  # (id, number, title)
    extension_months: list[int] = field(default_factory=list)  # the longer terms a grant may choose
    # The prepare form (or, for a reassignment, the reassign form): every unit (id, code, name), the
    # 归口 candidates, what is preselected.
    units: list[tuple[int, str, str]] = field(default_factory=list)
    proposed: list[int] = field(default_factory=list)
    chosen_lead: int | None = None
    chosen_co: list[int] = field(default_factory=list)
    chosen_months: int = DEFAULT_TERM_MONTHS
    chosen_reason: str = ""
    series_name: str | None = None  # the session's name in the calendar, when numbered in one

    def can(self, action: str) -> bool:
        """Whether the page offers the form of `action` (a lifecycle action's value)."""
        return action in self.actions

    @property
    def can_reassign(self) -> bool:
        return Action.REASSIGN.value in self.actions


class SuggestionReads(Reads):
    """The suggestion list, its filter's choices, one suggestion, the 交办会's batch."""

    @property
    def repo(self) -> ConsoleSuggestionRepo:
        return self.uow.console_suggestions

    def _deadline_policy(self) -> DeadlinePolicy:
        return DeadlinePolicy(zone=self.settings.timezone)

    def colour_of(self, suggestion: Suggestion) -> str | None:
        """三色预警 now, for a suggestion on the clock."""
        term = term_of(suggestion, self.settings.timezone)
        if term is None:
            return None
        return suggestion_colour(term, self.clock.now(), self._deadline_policy()).value

    # -- the filter's choices -----------------------------------------------------------------------

    async def suggestion_units(self) -> list[tuple[int, str, str]]:
        return await self.repo.unit_choices()

    async def suggestion_committees(self) -> list[tuple[int, str, str]]:
        return await self.repo.committee_choices()

    async def suggestion_years(self) -> list[int]:
        return await self.repo.years()

    async def suggestion_sessions(self) -> list[tuple[str, str | None]]:
        """(code, name) of each session suggestions were numbered under; the name None when the
        calendar no longer has the code."""
        codes = await self.repo.sessions()
        names = await self.uow.calendar.names(codes)
        return [(code, names.get(code)) for code in codes]

    async def suggestion_categories(self) -> list[str]:
        return await self.repo.categories()

    # -- the list -----------------------------------------------------------------------------------

    async def suggestions(
        self, f: SuggestionFilter, page: int = 1, size: int = PAGE_SIZE
    ) -> tuple[list[SuggestionRow], Page, dict[str, int]]:
        """One page of the filtered list, newest first (all of it, up to EXPORT_LIMIT, with size=0), and
        how many match in each state (the state filter left out, the others kept)."""
        repo = self.repo
        if f.colour is not None:
            # The colour depends on now: computed here over the suggestions on the clock.
            matching = [
                s
                for s in await repo.find(f.query(with_state=False), limit=EXPORT_LIMIT)
                if s.state in {c.value for c in CLOCK_STATES} and self.colour_of(s) == f.colour
            ]
            counts = dict(Counter(s.state for s in matching))
            wanted = set(f.states() or ())
            found = [s for s in matching if s.state in wanted]
            total = len(found)
            paging = Page(page, size or max(total, 1), total)
            chosen = found if not size else found[paging.offset : paging.offset + size]
        else:
            query = f.query()
            counts = await repo.state_counts(query)
            total = await repo.count(query)
            paging = Page(page, size or max(total, 1), total)
            offset = paging.offset if size else 0
            chosen = list(await repo.find(query, limit=size or EXPORT_LIMIT, offset=offset))
        return await self._suggestion_rows(chosen), paging, counts

    async def _suggestion_rows(self, suggestions: Sequence[Suggestion]) -> list[SuggestionRow]:
        units = await self.repo.unit_names(
            {u for s in suggestions for u in [s.lead_unit_id, *(s.co_unit_ids or ())] if u is not None}
        )
        committees = await self.repo.committee_names(
            {s.committee_id for s in suggestions if s.committee_id is not None}
        )
        filers = await self.person_names(s.filer_person_id for s in suggestions)
        tracking = await self.repo.tracking_numbers(
            {o for s in suggestions for o in s.source_opinion_ids or ()}
        )
        series = await self.uow.calendar.names(
            sorted({s.series_session for s in suggestions if s.series_session})
        )
        return [
            SuggestionRow(
                id=s.id,
                number=s.number,
                series=s.series_session,
                title=s.title,
                category=s.category,
                state=s.state,
                filer=filers.get(s.filer_person_id, "—"),
                filed_at=s.filed_at,
                lead_unit=units.get(s.lead_unit_id) if s.lead_unit_id is not None else None,
                co_units=[units[u] for u in s.co_unit_ids or () if u in units],
                committee=committees.get(s.committee_id) if s.committee_id is not None else None,
                term_months=s.term_months,
                assigned_at=s.assigned_at,
                due_on=s.due_on,
                colour=self.colour_of(s),
                result_class=s.result_class,
                rating=s.rating,
                closed_at=s.closed_at,
                opinions=[tracking[o] for o in s.source_opinion_ids or () if o in tracking],
                series_name=series.get(s.series_session) if s.series_session else None,
            )
            for s in suggestions
        ]

    # -- the 交办会 ----------------------------------------------------------------------------------

    async def prepared_count(self) -> int:
        """How many wait for the 交办会 (the list's Publish button)."""
        return await self.repo.count(SuggestionQuery(states_in=[S.PREPARED.value]))

    async def prepared(self) -> list[SuggestionRow]:
        """What publishing now would send, in the order it is sent."""
        rows = await self.repo.in_states([S.PREPARED.value], limit=PUBLISH_LIMIT)
        return await self._suggestion_rows(rows)

    # -- one suggestion -----------------------------------------------------------------------------

    async def suggestion_detail(self, suggestion_id: int) -> SuggestionDetail | None:
        """One suggestion with everything recorded about it, and the assignment forms staff may use."""
        suggestion = await self.uow.suggestions.get(suggestion_id)
        if suggestion is None or suggestion.state in HIDDEN_STATES:
            return None
        repo, sid = self.repo, suggestion.id
        events = await self.uow.suggestions.events(sid)
        cosigners = await self.uow.suggestions.cosigners(sid)
        contacts = await repo.contacts(sid)
        unit_opinions = await repo.unit_opinions(sid)
        answers = await repo.answers(sid)
        names = await self.person_names(
            [
                suggestion.filer_person_id,
                suggestion.recorded_by_person_id,
                *(e.actor_person_id for e in events if e.actor_kind in NAMED_ACTORS),
                *(c.person_id for c in cosigners),
                *(c.recorded_by_person_id for c in contacts),
                *(o.person_id for o in unit_opinions),
                *(a.answered_by_person_id for a in answers),
            ]
        )
        unit_ids = {
            u
            for u in [
                suggestion.lead_unit_id,
                *(suggestion.co_unit_ids or ()),
                *(c.unit_id for c in contacts),
                *(o.unit_id for o in unit_opinions),
                *(a.unit_id for a in answers),
            ]
            if u is not None
        }
        units = await repo.unit_names(unit_ids)
        committees = await repo.committee_names([suggestion.committee_id] if suggestion.committee_id else [])
        tracking = await repo.tracking_numbers(suggestion.source_opinion_ids or ())
        filer = await self.uow.people.get(suggestion.filer_person_id)

        def name(person_id: int | None) -> str | None:
            return names.get(person_id) if person_id is not None else None

        def unit(unit_id: int | None) -> str | None:
            return units.get(unit_id) if unit_id is not None else None

        actions = allowed_actions(suggestion.state, ActorKind.STAFF)
        detail = SuggestionDetail(
            suggestion=suggestion,
            filer=names.get(suggestion.filer_person_id, "—"),
            filer_code=filer.code if filer is not None else None,
            recorded_by=name(suggestion.recorded_by_person_id) if suggestion.on_behalf_of_paper else None,
            cosigners=[
                CosignerLine(names.get(c.person_id, "—"), c.state, c.invited_at, c.answered_at)
                for c in cosigners
            ],
            opinions=[(o, tracking[o]) for o in suggestion.source_opinion_ids or () if o in tracking],
            lead_unit=unit(suggestion.lead_unit_id),
            co_units=[units[u] for u in suggestion.co_unit_ids or () if u in units],
            committee=committees.get(suggestion.committee_id) if suggestion.committee_id else None,
            colour=self.colour_of(suggestion),
            steps=[self._ledger_step(e, name) for e in events],
            contacts=[
                ContactLine(
                    c.stage,
                    c.held_on,
                    c.form,
                    c.summary,
                    unit(c.unit_id),
                    name(c.recorded_by_person_id),
                    c.verdict,
                    c.verdict_reason,
                    c.verdict_at,
                )
                for c in contacts
            ],
            unit_opinions=[
                UnitOpinionLine(unit(o.unit_id), name(o.person_id), o.text, o.at) for o in unit_opinions
            ],
            answers=[
                AnswerLine(
                    a.round,
                    unit(a.unit_id),
                    name(a.answered_by_person_id),
                    a.result_class,
                    a.text,
                    a.reason,
                    a.planned_on,
                    a.answered_at,
                    a.due_on,
                    a.on_time,
                    a.rating,
                    a.rating_reason,
                    a.rated_at,
                )
                for a in answers
            ],
            can_return=Action.RETURN in actions,
            can_prepare=Action.PREPARE in actions,
            actions=frozenset(a.value for a in actions),
        )
        if suggestion.series_session:
            detail.series_name = (await self.uow.calendar.names([suggestion.series_session])).get(
                suggestion.series_session
            )
        if detail.can_prepare:
            await self._prepare_choices(detail)
        await self._decision_choices(detail)
        return detail

    @staticmethod
    def _ledger_step(event: SuggestionEvent, name: Callable[[int | None], str | None]) -> LedgerStep:
        named = event.actor_kind in NAMED_ACTORS
        return LedgerStep(
            at=event.at,
            action=event.action,
            from_state=event.from_state,
            to_state=event.to_state,
            actor_kind=event.actor_kind,
            actor=name(event.actor_person_id) if named else None,
            note=event.note,
        )

    async def _prepare_choices(self, detail: SuggestionDetail) -> None:
        """Every unit for the form; the 归口 proposal preselected, or what was prepared before."""
        s = detail.suggestion
        proposal: Proposal = await AssignmentService(self.uow, zone=self.settings.timezone).propose(s)
        detail.units = await self.repo.unit_choices()
        detail.proposed = [u.id for u in proposal.candidates]
        if s.state == S.PREPARED and s.lead_unit_id is not None:
            detail.chosen_lead, detail.chosen_co = s.lead_unit_id, list(s.co_unit_ids or ())
            detail.chosen_months = s.term_months or DEFAULT_TERM_MONTHS
            detail.chosen_reason = s.term_reason or ""
        else:
            detail.chosen_lead = proposal.lead.id if proposal.lead is not None else None
            detail.chosen_co = [u.id for u in proposal.co_units]

    async def _decision_choices(self, detail: SuggestionDetail) -> None:
        """What the decision forms offer: merge candidates, the longer terms, the reassignment's units."""
        s = detail.suggestion
        if s.state in ASKED_STATES:
            detail.asked = next(
                (e for e in reversed(detail.steps) if e.to_state == s.state and e.from_state != s.state), None
            )
        if s.merged_into_id is not None:
            target = await self.uow.suggestions.get(s.merged_into_id)
            if target is not None:
                detail.merged_into = (target.id, target.number or "—")
        if detail.can(Action.MERGE):
            found = await MergeService(self.uow, zone=self.settings.timezone).candidates(s)
            detail.merge_candidates = [(c.id, c.number or "—", c.title) for c in found]
        if detail.can(Action.GRANT_EXTENSION):
            current = s.term_months or DEFAULT_TERM_MONTHS
            detail.extension_months = list(range(current + 1, MAX_TERM_MONTHS + 1))
        if detail.can_reassign:
            await self._reassign_choices(detail)

    async def _reassign_choices(self, detail: SuggestionDetail) -> None:
        """Every unit; the 归口 proposal preselected without the unit that leads now (as the chat's
        picker does), the term by law, no reason yet."""
        s = detail.suggestion
        proposal = await AssignmentService(self.uow, zone=self.settings.timezone).propose(s)
        detail.units = await self.repo.unit_choices()
        detail.proposed = [u.id for u in proposal.candidates if u.id != s.lead_unit_id]
        detail.chosen_lead = detail.proposed[0] if detail.proposed else None
        detail.chosen_co = [
            u.id for u in proposal.co_units if u.id not in (detail.chosen_lead, s.lead_unit_id)
        ]
        detail.chosen_months, detail.chosen_reason = DEFAULT_TERM_MONTHS, ""

    # -- the 立项—督办—销号 ledger ---------------------------------------------------------------------

    async def ledger_book(self, year: int | None, series: str | None) -> ledger.Ledger:
        """The ledger `/ledger` sends, of one year's numbers (`S-YYYY-`) or all; `series` (a session code,
        or RECESS) keeps the suggestions numbered under it, as the list's series filter does."""
        book = await ledger.build(self.uow, f"S-{year:04d}-" if year is not None else None)
        if series is None:
            return book
        query = SuggestionQuery(
            year=year, session=None if series == RECESS else series, recess=series == RECESS
        )
        wanted = {s.number for s in await self.repo.find(query, limit=EXPORT_LIMIT)}
        return ledger.Ledger(tuple(r for r in book.rows if r.number in wanted))
