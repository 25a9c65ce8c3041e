"""People: persons, their roles and deputy record, and `PersonBrief`, the cached short form
every notice needs (name, chat, language)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import bindparam, case, func, inspect, or_, select, update
from sqlalchemy.orm import contains_eager, joinedload, lazyload
from sqlalchemy.orm.util import identity_key

from storage import fast
from storage.lists import among
from storage.models import (
    ChatSession,
    ContactLink,
    ContactTier,
    Deputy,
    Opinion,
    OpinionEvent,
    OpinionSubscriber,
    Person,
    PersonRole,
    Role,
)
from storage.repos.base import Repo
from storage.repos.chats import ChatState

# session.info: (telegram id, chat id) -> brief_in_chat's answer, read by the inbox's claim
READ_WITH_CLAIM = "read_with_claim"


@dataclass(frozen=True)
class PersonBrief:
    """What addressing and naming a person takes, read without loading the entity (and its roles)."""

    id: int
    name: str
    telegram_id: int | None
    language: str | None
    telegram_language: str | None
    phone: str | None
    phone_shared: bool
    station_id: int | None


class PeopleRepo(Repo):
    async def brief(self, person_id: int) -> PersonBrief | None:
        """A person as `PersonBrief`: from the session when it holds the entity, else one statement.

        Rendering a notice needs a name and a chat, and loading the entity with its eager roles and
        deputy record took three statements and more Python than the rest of the notice. A brief
        read once is kept for the unit of work (`session.info`): a submit names its sender and its
        holder in several notices.
        """
        held = self.session.sync_session.identity_map.get(identity_key(Person, person_id))
        if held is not None:
            return self.brief_of(held)
        briefs = self._briefs()
        if person_id not in briefs:
            row = (await fast.run(self.session, _PERSON_BRIEF, {"person_id": person_id})).first()
            briefs[person_id] = PersonBrief(*row) if row is not None else None
        return briefs[person_id]

    async def brief_in_chat(self, telegram_id: int, chat_id: int) -> tuple[PersonBrief, ChatState] | None:
        """As `brief`, found by Telegram account, with the dialog state of the chat they write in.

        Every update needs both, and a round trip to the database costs more than either query:
        one statement answers the two. None when no person has this account.
        """
        read = self.session.info.get(READ_WITH_CLAIM, {})
        if (telegram_id, chat_id) in read:  # read by the inbox's claim, a moment ago
            found = read.pop((telegram_id, chat_id))
        else:
            params = {"telegram_id": telegram_id, "chat_id": chat_id}
            row = (await fast.run(self.session, _BRIEF_IN_CHAT, params)).first()
            found = brief_in_chat_of(row, chat_id) if row is not None else None
        if found is not None:
            self._briefs()[found[0].id] = found[0]
        return found

    async def brief_of_deputy(self, deputy_id: int) -> PersonBrief | None:
        """A deputy's person as `brief` gives it, found by deputy id in one statement.

        A routed opinion needs its holder's person id, chat, language and name: one round trip, kept
        for the unit of work like `brief`.
        """
        people: dict[int, int | None] = self.session.info.setdefault(_PEOPLE_OF_DEPUTIES, {})
        if deputy_id not in people:
            row = (await fast.run(self.session, _BRIEF_OF_DEPUTY, {"deputy_id": deputy_id})).first()
            brief = PersonBrief(*row) if row is not None else None
            people[deputy_id] = brief.id if brief is not None else None
            if brief is not None:
                self._briefs().setdefault(brief.id, brief)
        person_id = people[deputy_id]
        return await self.brief(person_id) if person_id is not None else None

    def _briefs(self) -> dict[int, PersonBrief | None]:
        briefs: dict[int, PersonBrief | None] = self.session.info.setdefault(_BRIEFS, {})
        return briefs

    @staticmethod
    def brief_of(person: Person) -> PersonBrief:
        return PersonBrief(*(getattr(person, name) for name in _BRIEF_COLUMNS))

    async def name_of_deputy(self, deputy_id: int) -> str | None:
        brief = await self.brief_of_deputy(deputy_id)
        return brief.name if brief is not None else None

    async def by_telegram_id(self, telegram_id: int) -> Person | None:
        """The person with roles and deputy record, in one statement (this runs for every update)."""
        result = await self.session.execute(_PERSON_BY_TELEGRAM_ID, {"telegram_id": telegram_id})
        return result.unique().scalar_one_or_none()

    async def of_deputy(self, deputy_id: int) -> Person | None:
        """A deputy's person with roles and the deputy record, in one statement (every task card)."""
        result = await self.session.execute(_PERSON_OF_DEPUTY, {"deputy_id": deputy_id})
        return result.unique().scalar_one_or_none()

    async def by_code(self, code: str) -> Person | None:
        return await self.session.scalar(select(Person).where(Person.code == code))

    async def by_phone(self, phone: str) -> Person | None:
        return await self.session.scalar(select(Person).where(Person.phone == phone).limit(1))

    async def get(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def add(self, person: Person) -> Person:
        self.session.add(person)
        await self.session.flush()
        return person

    async def grant(self, person: Person, role: Role) -> bool:
        """Give a role; returns False when the person already had it."""
        if "roles" in inspect(person).unloaded:
            await self.session.refresh(person, ["roles"])
        if role in person.role_set:
            return False
        person.roles.append(PersonRole(role=role.value))
        await self.session.flush()
        return True

    async def with_role(self, role: Role) -> Sequence[Person]:
        rows = await self.session.scalars(
            select(Person).join(PersonRole).where(PersonRole.role == role.value).order_by(Person.id)
        )
        return rows.all()

    async def digest_recipients(self) -> Sequence[Person]:
        """Who gets the daily digest, each once, staff first, then by id: staff, and committee members who
        contact a deputy, who have written to the bot (their Telegram language was seen, or their chat has
        a stored state). Chosen in SQL: a province has 2,000 committee members, nearly none of them on
        Telegram, and loading them all with their roles every few minutes held 17 MB."""
        staff = select(PersonRole.person_id).where(PersonRole.role == Role.STAFF.value)
        contacting = select(ContactLink.from_person_id).where(
            ContactLink.tier == ContactTier.COMMITTEE_DEPUTY.value, ContactLink.from_person_id.is_not(None)
        )
        members = select(PersonRole.person_id).where(
            PersonRole.role == Role.COMMITTEE_MEMBER.value, PersonRole.person_id.in_(contacting)
        )
        wrote = or_(
            Person.telegram_language.is_not(None),
            Person.telegram_id.in_(select(ChatSession.chat_id)),
        )
        stmt = (
            select(Person)
            .where(Person.telegram_id.is_not(None), wrote, or_(Person.id.in_(staff), Person.id.in_(members)))
            .order_by(case((Person.id.in_(staff), 0), else_=1), Person.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def id_of_deputy(self, deputy_id: int) -> int | None:
        """A deputy's person id, without loading the deputy (its person and roles load eagerly)."""
        brief = await self.brief_of_deputy(deputy_id)
        return brief.id if brief is not None else None

    async def other_by_phone(self, phone: str, person_id: int) -> Person | None:
        """The earliest record with this phone other than `person_id` (an imported record to link to)."""
        return await self.session.scalar(
            select(Person).where(Person.phone == phone, Person.id != person_id).order_by(Person.id).limit(1)
        )

    async def hand_over(self, person_id: int, record_id: int) -> None:
        """What one person collected passes to another: opinions sent, timeline entries, and the
        subscriptions and contact links the other does not have yet (flushed by the caller)."""
        await self.session.execute(
            update(Opinion).where(Opinion.sender_person_id == person_id).values(sender_person_id=record_id)
        )
        await self.session.execute(
            update(OpinionEvent)
            .where(OpinionEvent.actor_person_id == person_id)
            .values(actor_person_id=record_id)
        )
        subscribed = set(
            await self.session.scalars(
                select(OpinionSubscriber.opinion_id).where(OpinionSubscriber.person_id == record_id)
            )
        )
        for sub in await self.session.scalars(
            select(OpinionSubscriber).where(OpinionSubscriber.person_id == person_id)
        ):
            if sub.opinion_id not in subscribed:
                sub.person_id = record_id
        known = set(
            await self.session.scalars(
                select(ContactLink.from_person_id).where(ContactLink.to_person_id == record_id)
            )
        )
        for link in await self.session.scalars(
            select(ContactLink).where(ContactLink.to_person_id == person_id)
        ):
            if link.from_person_id not in known:
                link.to_person_id = record_id

    async def remove(self, person: Person) -> None:
        """Delete a person (flushed)."""
        await self.session.delete(person)
        await self.session.flush()

    async def names_by_telegram_id(self, telegram_ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
        """Telegram id -> (name, code) of the people with these accounts (one statement, the ids one
        parameter)."""
        if not telegram_ids:
            return {}
        rows = await self.session.execute(
            select(Person.telegram_id, Person.name, Person.code).where(
                among(Person.telegram_id, telegram_ids)
            )
        )
        return {int(tg): (name, code) for tg, name, code in rows.all()}

    async def deputy_codes(self) -> list[tuple[str | None, str]]:
        """(code, name) of every deputy, by code."""
        rows = await self.session.execute(
            select(Person.code, Person.name).join(Deputy, Deputy.person_id == Person.id).order_by(Person.code)
        )
        return [(code, name) for code, name in rows.all()]

    async def deputy_names(self, deputy_ids: Iterable[int]) -> dict[int, str]:
        """Deputy id -> the deputy's name."""
        ids = list(deputy_ids)
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Deputy.id, Person.name)
            .join(Person, Person.id == Deputy.person_id)
            .where(among(Deputy.id, ids))
        )
        return {k: v for k, v in rows.all()}

    async def deputies_of(self, person_ids: Iterable[int]) -> Sequence[Deputy]:
        """The deputy records of these people, by deputy id."""
        rows = await self.session.scalars(
            select(Deputy).where(among(Deputy.person_id, person_ids)).order_by(Deputy.id)
        )
        return rows.all()

    async def deputy(self, deputy_id: int) -> Deputy | None:
        return await self.session.get(Deputy, deputy_id)

    async def deputy_of(self, person_id: int) -> Deputy | None:
        return await self.session.scalar(select(Deputy).where(Deputy.person_id == person_id))

    async def find_deputies(self, query: str, limit: int = 8) -> Sequence[Person]:
        """Deputies whose code is `query` or whose name holds it (any case; `%` and `_` are literal),
        the exact code first, then by name: staff filing from paper look the deputy up."""
        typed = query.strip()
        if not typed:
            return []
        rows = await self.session.scalars(
            select(Person)
            .join(Deputy, Deputy.person_id == Person.id)
            .where(
                (func.upper(Person.code) == typed.upper())
                | func.lower(Person.name).contains(typed.lower(), autoescape=True)
            )
            .order_by((func.upper(Person.code) == typed.upper()).desc(), Person.name, Person.id)
            .limit(limit)
        )
        return rows.all()


# Built once: these run for nearly every update, and building an ORM select with loader options
# (its cache key above all) costs more than running it.
_PERSON_BY_TELEGRAM_ID = (
    select(Person)
    .options(joinedload(Person.roles), joinedload(Person.deputy))
    .where(Person.telegram_id == bindparam("telegram_id"))
)
_PERSON_OF_DEPUTY = (
    select(Person)
    .join(Deputy, Deputy.person_id == Person.id)
    # Deputy.person is the person this row is: found in the identity map, not loaded again.
    .options(contains_eager(Person.deputy).options(lazyload(Deputy.person)), joinedload(Person.roles))
    .where(Deputy.id == bindparam("deputy_id"))
)

_people = Person.__table__
# session.info: what a unit of work has read of people (person id -> brief; deputy id -> person id)
_BRIEFS = "person_briefs"
_PEOPLE_OF_DEPUTIES = "people_of_deputies"
_BRIEF_COLUMNS = tuple(f.name for f in fields(PersonBrief))
_PERSON_BRIEF = fast.Prepared(
    select(*(_people.c[name] for name in _BRIEF_COLUMNS)).where(_people.c.id == bindparam("person_id"))
)
BRIEF_IN_CHAT_COLUMNS = (
    *(_people.c[name] for name in _BRIEF_COLUMNS),
    ChatSession.__table__.c.state,
    ChatSession.__table__.c.data,
    ChatSession.__table__.c.updated_at,
)
_BRIEF_IN_CHAT = fast.Prepared(
    select(*BRIEF_IN_CHAT_COLUMNS)
    .select_from(
        _people.outerjoin(ChatSession.__table__, ChatSession.__table__.c.chat_id == bindparam("chat_id"))
    )
    .where(_people.c.telegram_id == bindparam("telegram_id"))
)


def brief_in_chat_of(row: Sequence[Any], chat_id: int) -> tuple[PersonBrief, ChatState] | None:
    """A row of BRIEF_IN_CHAT_COLUMNS; None when it found no person (its columns are NULL)."""
    if row[0] is None:
        return None
    state, data, updated_at = row[len(_BRIEF_COLUMNS) :]
    return PersonBrief(*row[: len(_BRIEF_COLUMNS)]), ChatState(chat_id, state, data or {}, updated_at)


_BRIEF_OF_DEPUTY = fast.Prepared(
    select(*(_people.c[name] for name in _BRIEF_COLUMNS))
    .join(Deputy.__table__, Deputy.__table__.c.person_id == _people.c.id)
    .where(Deputy.__table__.c.id == bindparam("deputy_id"))
)
