"""What the public Open311 endpoint may read: public, non-anonymous opinions and filed suggestions,
newest first.

Select only. The public/anonymous filter is in every statement here, not left to callers, so no
query of this module can return a private or anonymous opinion, nor a suggestion still being written
(draft, awaiting co-signers) or withdrawn. Names and phones of the sender and everyone else involved
(earlier holders, whoever acted on it, its followers, the supervisor; for a suggestion its filer,
co-signers, whoever acted on it and the senders of the opinions it was made from) come back beside
each row only so the service can mask them in the published texts; they are never published themselves.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, false, func, or_, select, true, type_coerce
from sqlalchemy.orm import aliased

from storage.models.core import Deputy, Person, Station, UTCDateTime
from storage.models.opinions import Opinion, OpinionEvent, OpinionSubscriber
from storage.models.suggestions import Suggestion, SuggestionCosigner, SuggestionEvent, SuggestionState
from storage.models.units import Unit
from storage.repos.base import Repo

__all__ = ["UNLISTED_SUGGESTION_STATES", "Open311Repo", "PublicOpinionRow", "PublicSuggestionRow"]

NOTE_ACTION = "note"  # a sender's correction: moves no state, so it does not update the request


@dataclass(frozen=True)
class PublicOpinionRow:
    """One public opinion with what the Open311 mapping needs."""

    tracking_no: str
    category: str
    state: str
    text: str
    answer_text: str | None
    created_at: datetime
    updated_at: datetime | None  # the last state-moving event
    accept_deadline: datetime | None
    answer_deadline: datetime | None
    in_triage: bool  # no deputy holds it: the congress office does
    station_name: str | None
    latitude: float | None
    longitude: float | None
    # Names and phones of everyone involved, only for masking in the texts above; never published.
    people: tuple[str, ...]


@dataclass(frozen=True)
class PublicSuggestionRow:
    """One filed suggestion with what the Open311 mapping needs."""

    number: str
    category: str
    state: str
    title: str
    text: str
    result_class: str | None
    unit_name: str | None  # the lead unit (主办), an office
    filed_at: datetime
    updated_at: datetime | None  # the last ledger entry
    due_on: date | None
    # Names and phones of everyone involved, only for masking in the texts above; never published.
    people: tuple[str, ...]


# Not yet filed, or withdrawn by its filer: never listed.
UNLISTED_SUGGESTION_STATES = frozenset(
    {SuggestionState.DRAFT.value, SuggestionState.COSIGNING.value, SuggestionState.WITHDRAWN.value}
)

_sender = aliased(Person, name="sender")
_holder = aliased(Person, name="holder_person")
_holder_deputy = aliased(Deputy, name="holder_deputy")
_supervisor = aliased(Person, name="supervisor")
_PEOPLE_COLUMNS = ("sender", "holder", "supervisor")


def _select() -> Select[tuple[object, ...]]:
    last_move = (
        select(type_coerce(func.max(OpinionEvent.at), UTCDateTime()))
        .where(OpinionEvent.opinion_id == Opinion.id, OpinionEvent.action != NOTE_ACTION)
        .scalar_subquery()
    )
    return (
        select(
            Opinion.id,
            Opinion.tracking_no,
            Opinion.category,
            Opinion.state,
            Opinion.text,
            Opinion.answer_text,
            Opinion.created_at,
            last_move.label("updated_at"),
            Opinion.accept_deadline,
            Opinion.answer_deadline,
            Opinion.holder_deputy_id,
            Station.name.label("station_name"),
            Opinion.latitude,
            Opinion.longitude,
            _sender.name.label("sender_name"),
            _sender.phone.label("sender_phone"),
            _holder.name.label("holder_name"),
            _holder.phone.label("holder_phone"),
            _supervisor.name.label("supervisor_name"),
            _supervisor.phone.label("supervisor_phone"),
        )
        .join(_sender, _sender.id == Opinion.sender_person_id)
        .outerjoin(Station, Station.id == Opinion.station_id)
        .outerjoin(_holder_deputy, _holder_deputy.id == Opinion.holder_deputy_id)
        .outerjoin(_holder, _holder.id == _holder_deputy.person_id)
        .outerjoin(_supervisor, _supervisor.id == Opinion.supervisor_person_id)
        # The one rule this module exists for: only what its sender made public, never anonymous.
        .where(Opinion.public == true(), Opinion.anonymous == false())
    )


def _row(r: object, involved: dict[int, set[str]]) -> PublicOpinionRow:
    m = r._mapping  # type: ignore[attr-defined]
    joined = (m[f"{who}_{what}"] for who in _PEOPLE_COLUMNS for what in ("name", "phone"))
    people = {str(value) for value in joined if value} | involved.get(m["id"], set())
    return PublicOpinionRow(
        tracking_no=m["tracking_no"],
        category=m["category"],
        state=m["state"],
        text=m["text"],
        answer_text=m["answer_text"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        accept_deadline=m["accept_deadline"],
        answer_deadline=m["answer_deadline"],
        in_triage=m["holder_deputy_id"] is None,
        station_name=m["station_name"],
        latitude=m["latitude"],
        longitude=m["longitude"],
        people=tuple(sorted(people)),
    )


_filer = aliased(Person, name="filer")


def _suggestion_select() -> Select[tuple[object, ...]]:
    last_entry = (
        select(type_coerce(func.max(SuggestionEvent.at), UTCDateTime()))
        .where(SuggestionEvent.suggestion_id == Suggestion.id)
        .scalar_subquery()
    )
    return (
        select(
            Suggestion.id,
            Suggestion.number,
            Suggestion.category,
            Suggestion.state,
            Suggestion.title,
            Suggestion.text,
            Suggestion.result_class,
            Unit.name.label("unit_name"),
            Suggestion.filed_at,
            last_entry.label("updated_at"),
            Suggestion.due_on,
            Suggestion.source_opinion_ids,
            _filer.name.label("filer_name"),
            _filer.phone.label("filer_phone"),
        )
        .join(_filer, _filer.id == Suggestion.filer_person_id)
        .outerjoin(Unit, Unit.id == Suggestion.lead_unit_id)
        # The rule: filed (numbered), and neither still being written nor withdrawn.
        .where(
            Suggestion.number.is_not(None),
            Suggestion.filed_at.is_not(None),
            Suggestion.state.not_in(sorted(UNLISTED_SUGGESTION_STATES)),
        )
    )


def _suggestion_row(r: object, involved: dict[int, set[str]]) -> PublicSuggestionRow:
    m = r._mapping  # type: ignore[attr-defined]
    people = {str(v) for v in (m["filer_name"], m["filer_phone"]) if v} | involved.get(m["id"], set())
    return PublicSuggestionRow(
        number=m["number"],
        category=m["category"],
        state=m["state"],
        title=m["title"],
        text=m["text"],
        result_class=m["result_class"],
        unit_name=m["unit_name"],
        filed_at=m["filed_at"],
        updated_at=m["updated_at"],
        due_on=m["due_on"],
        people=tuple(sorted(people)),
    )


class Open311Repo(Repo):
    async def public_opinions(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        categories: Collection[str] | None = None,
        states: Collection[str] | None = None,
        tracking_nos: Collection[str] | None = None,
        limit: int = 100,
    ) -> Sequence[PublicOpinionRow]:
        """Public opinions filed in [since, until], newest first, at most `limit`.

        Ties go by tracking number, descending: the order the service merges sources in.

        Args:
            categories, states, tracking_nos: when given, only these (an empty one matches nothing).
        """
        query = _select()
        if since is not None:
            query = query.where(Opinion.created_at >= since)
        if until is not None:
            query = query.where(Opinion.created_at <= until)
        if categories is not None:
            query = query.where(Opinion.category.in_(sorted(categories)))
        if states is not None:
            query = query.where(Opinion.state.in_(sorted(states)))
        if tracking_nos is not None:
            query = query.where(Opinion.tracking_no.in_(sorted(tracking_nos)))
        query = query.order_by(Opinion.created_at.desc(), Opinion.tracking_no.desc()).limit(limit)
        rows = (await self.session.execute(query)).all()
        involved = await self._involved([r.id for r in rows])
        return [_row(r, involved) for r in rows]

    async def public_opinion(self, tracking_no: str) -> PublicOpinionRow | None:
        """The opinion with this tracking number if it is public; None when unknown *or* private."""
        found = (await self.session.execute(_select().where(Opinion.tracking_no == tracking_no))).first()
        if found is None:
            return None
        return _row(found, await self._involved([found.id]))

    async def _involved(self, opinion_ids: Sequence[int]) -> dict[int, set[str]]:
        """Per opinion, the names and phones of whoever acted on it, held it before, or follows it."""
        if not opinion_ids:
            return {}
        ids = sorted(set(opinion_ids))
        deputy = aliased(Deputy)
        acted = (
            select(OpinionEvent.opinion_id, Person.name, Person.phone)
            .join(Person, Person.id == OpinionEvent.actor_person_id)
            .where(OpinionEvent.opinion_id.in_(ids))
        )
        held = (
            select(OpinionEvent.opinion_id, Person.name, Person.phone)
            .join(
                deputy,
                or_(deputy.id == OpinionEvent.from_holder_id, deputy.id == OpinionEvent.to_holder_id),
            )
            .join(Person, Person.id == deputy.person_id)
            .where(OpinionEvent.opinion_id.in_(ids))
        )
        follow = (
            select(OpinionSubscriber.opinion_id, Person.name, Person.phone)
            .join(Person, Person.id == OpinionSubscriber.person_id)
            .where(OpinionSubscriber.opinion_id.in_(ids))
        )
        found: dict[int, set[str]] = {}
        for statement in (acted, held, follow):
            for opinion_id, name, phone in await self.session.execute(statement.distinct()):
                found.setdefault(opinion_id, set()).update(v for v in (name, phone) if v)
        return found

    async def public_suggestions(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        categories: Collection[str] | None = None,
        states: Collection[str] | None = None,
        numbers: Collection[str] | None = None,
        limit: int = 100,
    ) -> Sequence[PublicSuggestionRow]:
        """Filed suggestions filed in [since, until], newest first (ties: number, descending), at most `limit`.

        Args:
            categories, states, numbers: when given, only these (an empty one matches nothing).
        """
        query = _suggestion_select()
        if since is not None:
            query = query.where(Suggestion.filed_at >= since)
        if until is not None:
            query = query.where(Suggestion.filed_at <= until)
        if categories is not None:
            query = query.where(Suggestion.category.in_(sorted(categories)))
        if states is not None:
            query = query.where(Suggestion.state.in_(sorted(states)))
        if numbers is not None:
            query = query.where(Suggestion.number.in_(sorted(numbers)))
        query = query.order_by(Suggestion.filed_at.desc(), Suggestion.number.desc()).limit(limit)
        rows = (await self.session.execute(query)).all()
        involved = await self._suggestion_people(rows)
        return [_suggestion_row(r, involved) for r in rows]

    async def public_suggestion(self, number: str) -> PublicSuggestionRow | None:
        """The filed suggestion with this number; None when unknown, not yet filed or withdrawn."""
        found = (await self.session.execute(_suggestion_select().where(Suggestion.number == number))).first()
        if found is None:
            return None
        return _suggestion_row(found, await self._suggestion_people([found]))

    async def _suggestion_people(self, rows: Sequence[object]) -> dict[int, set[str]]:
        """Per suggestion (of one page), the names and phones of its co-signers, of whoever acted on it and
        of the senders of the opinions it was made from."""
        if not rows:
            return {}
        ids = sorted({r._mapping["id"] for r in rows})  # type: ignore[attr-defined]
        cosigned = (
            select(SuggestionCosigner.suggestion_id, Person.name, Person.phone)
            .join(Person, Person.id == SuggestionCosigner.person_id)
            .where(SuggestionCosigner.suggestion_id.in_(ids))
        )
        acted = (
            select(SuggestionEvent.suggestion_id, Person.name, Person.phone)
            .join(Person, Person.id == SuggestionEvent.actor_person_id)
            .where(SuggestionEvent.suggestion_id.in_(ids))
        )
        found: dict[int, set[str]] = {}
        for statement in (cosigned, acted):
            for suggestion_id, name, phone in await self.session.execute(statement.distinct()):
                found.setdefault(suggestion_id, set()).update(v for v in (name, phone) if v)
        made_from: dict[int, list[int]] = {}
        for r in rows:
            m = r._mapping  # type: ignore[attr-defined]
            for opinion_id in m["source_opinion_ids"] or []:
                made_from.setdefault(int(opinion_id), []).append(m["id"])
        if made_from:
            senders = (
                select(Opinion.id, Person.name, Person.phone)
                .join(Person, Person.id == Opinion.sender_person_id)
                .where(Opinion.id.in_(sorted(made_from)))
            )
            for opinion_id, name, phone in await self.session.execute(senders):
                for suggestion_id in made_from[opinion_id]:
                    found.setdefault(suggestion_id, set()).update(v for v in (name, phone) if v)
        return found
