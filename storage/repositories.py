"""Repositories (add/select/flush only) and the unit of work that owns commit()."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import (
    Text,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    inspect,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased, contains_eager, joinedload, lazyload
from sqlalchemy.orm.util import identity_key

from storage import fast
from storage.errors import StorageError
from storage.models import (
    AuditEntry,
    ChatSession,
    ContactLink,
    ContactTier,
    Counter,
    Deputy,
    DeputyStation,
    GroupMembership,
    InboxUpdate,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonRole,
    Role,
    SpecialCommitteeMember,
    Station,
    utcnow,
)
from storage.opinion_repo import OpinionRepo


class _Repo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _dialect(self) -> str:
        bind = self.session.bind
        return bind.dialect.name if bind is not None else ""


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


class PeopleRepo(_Repo):
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
        read = self.session.info.get(_READ_WITH_CLAIM, {})
        if (telegram_id, chat_id) in read:  # read by the inbox's claim, a moment ago
            found = read.pop((telegram_id, chat_id))
        else:
            params = {"telegram_id": telegram_id, "chat_id": chat_id}
            row = (await fast.run(self.session, _BRIEF_IN_CHAT, params)).first()
            found = _brief_in_chat_of(row, chat_id) if row is not None else None
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

    async def id_of_deputy(self, deputy_id: int) -> int | None:
        """A deputy's person id, without loading the deputy (its person and roles load eagerly)."""
        brief = await self.brief_of_deputy(deputy_id)
        return brief.id if brief is not None else None

    async def deputy_of(self, person_id: int) -> Deputy | None:
        return await self.session.scalar(select(Deputy).where(Deputy.person_id == person_id))


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
_BRIEF_IN_CHAT_COLUMNS = (
    *(_people.c[name] for name in _BRIEF_COLUMNS),
    ChatSession.__table__.c.state,
    ChatSession.__table__.c.data,
    ChatSession.__table__.c.updated_at,
)
_BRIEF_IN_CHAT = fast.Prepared(
    select(*_BRIEF_IN_CHAT_COLUMNS)
    .select_from(
        _people.outerjoin(ChatSession.__table__, ChatSession.__table__.c.chat_id == bindparam("chat_id"))
    )
    .where(_people.c.telegram_id == bindparam("telegram_id"))
)


def _brief_in_chat_of(row: Sequence[Any], chat_id: int) -> tuple[PersonBrief, ChatState] | None:
    """A row of _BRIEF_IN_CHAT_COLUMNS; None when it found no person (its columns are NULL)."""
    if row[0] is None:
        return None
    state, data, updated_at = row[len(_BRIEF_COLUMNS) :]
    return PersonBrief(*row[: len(_BRIEF_COLUMNS)]), ChatState(chat_id, state, data or {}, updated_at)


_BRIEF_OF_DEPUTY = fast.Prepared(
    select(*(_people.c[name] for name in _BRIEF_COLUMNS))
    .join(Deputy.__table__, Deputy.__table__.c.person_id == _people.c.id)
    .where(Deputy.__table__.c.id == bindparam("deputy_id"))
)

_STATION_NAME = fast.Prepared(
    select(Station.__table__.c.name).where(Station.__table__.c.id == bindparam("station_id"))
)


class NetworkRepo(_Repo):
    """Queries over the contact graph and stations."""

    async def station_name(self, station_id: int) -> str | None:
        """From the session when it holds the station, else one statement (no entity loaded)."""
        held = self.session.sync_session.identity_map.get(identity_key(Station, station_id))
        if held is not None:
            return str(held.name)
        return (await fast.run(self.session, _STATION_NAME, {"station_id": station_id})).scalar()

    async def contacts_of(self, person_id: int, tier: ContactTier) -> Sequence[Person]:
        """Who `person_id` contacts on the given tier."""
        rows = await self.session.scalars(
            select(Person)
            .join(ContactLink, ContactLink.to_person_id == Person.id)
            .where(ContactLink.from_person_id == person_id, ContactLink.tier == tier.value)
            .order_by(Person.id)
        )
        return rows.all()

    async def first_contact_of_deputy(self, deputy_id: int, tier: ContactTier) -> int | None:
        """The lowest person id among those who contact the deputy on `tier` (one statement)."""
        found = await fast.run(
            self.session, _FIRST_CONTACT_OF_DEPUTY, {"deputy_id": deputy_id, "tier": tier.value}
        )
        return found.scalar()

    async def deputies_linked_to(self, person_id: int) -> list[tuple[int, list[str] | None]]:
        """(deputy id, fields) of the deputies who contact this constituent directly."""
        return (await fast.run(self.session, _DEPUTIES_LINKED_TO, {"person_id": person_id})).all()  # type: ignore[return-value]

    async def contacted_by(self, person_id: int, tier: ContactTier) -> Sequence[Person]:
        """The people who contact `person_id` on the given tier (one step up the network)."""
        rows = await self.session.scalars(
            select(Person)
            .join(ContactLink, ContactLink.from_person_id == Person.id)
            .where(ContactLink.to_person_id == person_id, ContactLink.tier == tier.value)
            .order_by(Person.id)
        )
        return rows.all()

    async def station_by_code(self, code: str) -> Station | None:
        return await self.session.scalar(select(Station).where(Station.code == code))

    async def stations(self) -> Sequence[Station]:
        return (await self.session.scalars(select(Station).order_by(Station.code))).all()

    async def station_chain(self, station_id: int, max_depth: int) -> list[tuple[int, int | None]]:
        """(station id, parent id) of the station and its ancestors, nearest first, in one recursive query.

        At most `max_depth` + 1 levels, and a station seen twice ends the chain: a cycle in an
        imported tree cannot loop.
        """
        up = (
            select(Station.id, Station.parent_id, literal(0).label("depth"))
            .where(Station.id == station_id)
            .cte("station_chain", recursive=True)
        )
        up = up.union_all(
            select(Station.id, Station.parent_id, up.c.depth + 1)
            .join(up, Station.id == up.c.parent_id)
            .where(up.c.depth < max_depth)
        )
        chain: list[tuple[int, int | None]] = []
        seen = set[int]()
        for sid, parent in await self.session.execute(select(up.c.id, up.c.parent_id).order_by(up.c.depth)):
            if sid in seen:
                break
            seen.add(sid)
            chain.append((sid, parent))
        return chain

    async def station_members(self, station_ids: Iterable[int]) -> list[tuple[int, int, list[str]]]:
        """(station id, deputy id, fields) of every deputy at these stations."""
        ids = list(station_ids)
        if not ids:
            return []
        rows = await self.session.execute(
            select(DeputyStation.station_id, Deputy.id, Deputy.fields)
            .join(Deputy, Deputy.id == DeputyStation.deputy_id)
            .where(DeputyStation.station_id.in_(ids))
        )
        return [(int(sid), int(did), list(fields or [])) for sid, did, fields in rows]

    async def deputy_cards(self, deputy_ids: Iterable[int] | None = None) -> list[DeputyCard]:
        """Name, code and fields of these deputies (of all, for None), by id; no entity loaded."""
        stmt = select(Deputy.id, Person.name, Person.code, Deputy.fields).join(
            Person, Person.id == Deputy.person_id
        )
        if deputy_ids is not None:
            ids = list(deputy_ids)
            if not ids:
                return []
            stmt = stmt.where(Deputy.id.in_(ids))
        rows = await self.session.execute(stmt.order_by(Deputy.id))
        return [DeputyCard(int(i), str(name), code, tuple(fields or ())) for i, name, code, fields in rows]

    async def colleagues_of(self, deputy_id: int) -> list[int]:
        """Ids of the other deputies who share a station or a deputy group with this one, ascending."""
        stations = select(DeputyStation.station_id).where(DeputyStation.deputy_id == deputy_id)
        groups = select(GroupMembership.group_id).where(GroupMembership.deputy_id == deputy_id)
        rows = await self.session.scalars(
            select(Deputy.id)
            .where(
                Deputy.id != deputy_id,
                Deputy.id.in_(select(DeputyStation.deputy_id).where(DeputyStation.station_id.in_(stations)))
                | Deputy.id.in_(
                    select(GroupMembership.deputy_id).where(GroupMembership.group_id.in_(groups))
                ),
            )
            .order_by(Deputy.id)
        )
        return [int(i) for i in rows]


    # The network import writes a whole roster at once: statements are chunked below the bound-parameter
    # limits of SQLite (32,766) and asyncpg (32,767).
    _CHUNK = 5000

    async def sync_pairs(
        self,
        model: type[DeputyStation] | type[GroupMembership] | type[SpecialCommitteeMember],
        owner: str,
        column: str,
        wanted: dict[int, list[int]],
    ) -> set[int]:
        """Make each owner's rows of a pair table exactly `wanted[owner_id]`; returns the owners touched."""
        table = model.__table__
        own, other = table.c[owner], table.c[column]
        existing: dict[tuple[int, int], int] = {}
        for chunk in _chunks(sorted(wanted), self._CHUNK):
            rows = await self.session.execute(select(table.c.id, own, other).where(own.in_(chunk)))
            existing.update({(r[1], r[2]): r[0] for r in rows})
        want = [(owner_id, ref) for owner_id, refs in wanted.items() for ref in refs]
        wanted_keys = set(want)
        gone = {key: row_id for key, row_id in existing.items() if key not in wanted_keys}
        new = [(d, ref) for d, ref in want if (d, ref) not in existing]
        for chunk in _chunks(list(gone.values()), self._CHUNK):
            await self.session.execute(delete(table).where(table.c.id.in_(chunk)))
        if new:
            await self.session.execute(insert(table), [{owner: d, column: ref} for d, ref in new])
        return {d for d, _ in gone} | {d for d, _ in new}

    async def sync_links(
        self, from_people: set[int], from_committees: set[int], wanted: dict[LinkKey, str]
    ) -> tuple[int, int, int]:
        """Make the links from these people and committees exactly `wanted` (key → tier).

        Returns:
            (added, removed, re-tiered) link counts.
        """
        existing: dict[LinkKey, tuple[int, str]] = {}
        for source, ids in (
            (ContactLink.from_person_id, from_people),
            (ContactLink.from_committee_id, from_committees),
        ):
            for chunk in _chunks(sorted(ids), self._CHUNK):
                rows = await self.session.execute(
                    select(
                        ContactLink.id,
                        ContactLink.from_person_id,
                        ContactLink.from_committee_id,
                        ContactLink.to_person_id,
                        ContactLink.tier,
                    ).where(source.in_(chunk))
                )
                existing.update({(r[1], r[2], r[3]): (r[0], r[4]) for r in rows})
        gone = [row_id for key, (row_id, _) in existing.items() if key not in wanted]
        for chunk in _chunks(gone, self._CHUNK):
            await self.session.execute(delete(ContactLink).where(ContactLink.id.in_(chunk)))
        retiered = 0
        for key, tier in wanted.items():
            if key in existing and existing[key][1] != tier:
                await self.session.execute(
                    update(ContactLink.__table__).where(ContactLink.id == existing[key][0]).values(tier=tier)
                )
                retiered += 1
        new = [
            {"from_person_id": fp, "from_committee_id": fc, "to_person_id": to, "tier": tier}
            for (fp, fc, to), tier in wanted.items()
            if (fp, fc, to) not in existing
        ]
        if new:
            await self.session.execute(insert(ContactLink.__table__), new)
        return len(new), len(gone), retiered



@dataclass(frozen=True)
class DeputyCard:
    """What offering a deputy as a choice shows: who, by name and code, and their fields."""

    id: int
    name: str
    code: str | None
    fields: tuple[str, ...]


LinkKey = tuple[int | None, int | None, int]
"""A contact link by its ends: (from person, from committee, to person); one of the first two is None."""


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_FIRST_CONTACT_OF_DEPUTY = fast.Prepared(
    select(ContactLink.from_person_id)
    .join(Deputy, Deputy.person_id == ContactLink.to_person_id)
    .where(Deputy.id == bindparam("deputy_id"), ContactLink.tier == bindparam("tier"))
    .order_by(ContactLink.from_person_id)
    .limit(1)
)
_DEPUTIES_LINKED_TO = fast.Prepared(
    select(Deputy.id, Deputy.fields)
    .join(ContactLink, ContactLink.from_person_id == Deputy.person_id)
    .where(
        ContactLink.to_person_id == bindparam("person_id"),
        ContactLink.tier == ContactTier.DEPUTY_CONSTITUENT.value,
    )
)


def _on_conflict(build: Callable[[Any], Any]) -> fast.Prepared:
    """An INSERT … ON CONFLICT built once for SQLite and once for PostgreSQL (their insert() differ)."""
    return fast.Prepared(build(sqlite_insert), postgresql=build(postgresql_insert))


class InboxRepo(_Repo):
    async def add_many(self, updates: Iterable[tuple[int, int | None, dict[str, Any]]]) -> int:
        """Store raw updates, ignoring ones already stored (redelivery is harmless); returns how many
        were new. One statement: INSERT … ON CONFLICT (update_id) DO NOTHING."""
        rows = _inbox_rows(updates)
        if not rows:
            return 0
        return len((await fast.run(self.session, _INBOX_ADD, rows)).all())

    async def pending(self, limit: int = 100) -> list[tuple[int, dict[str, Any], int]]:
        """Unhandled updates in arrival order, as (id, payload, attempts): read often, so not entities."""
        return (await fast.run(self.session, _PENDING, {"limit": limit})).all()  # type: ignore[return-value]

    async def forget_before(self, cutoff: datetime) -> int:
        """Delete handled updates older than `cutoff`. Telegram redelivers within a day at most, and
        after a week of silence it may start update_id anew: old ids must not look like redeliveries."""
        result = await self.session.execute(
            delete(InboxUpdate).where(
                InboxUpdate.processed_at.is_not(None), InboxUpdate.processed_at < cutoff
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def claim(
        self, row_id: int, *, relax_durability: bool = False, reader: tuple[int, int] | None = None
    ) -> bool:
        """Mark an update handled, in the unit of work that handles it; False if it already was.

        Taken first, so a second process that reads the same pending row waits for this transaction
        on the row and then finds it handled: an update is handled once, however many run.

        `relax_durability`: on PostgreSQL, let this transaction's commit return before its WAL
        reaches the disk. The update itself was stored durably before Telegram was told, so if the
        server crashes and loses this commit, the update is simply handled again. The setting rides
        on the claim (`set_config(…, true)`, local to the transaction) instead of costing a round
        trip of its own.

        `reader`: (Telegram id, chat id) of who sent the update. On PostgreSQL the claim then also
        reads what `PeopleRepo.brief_in_chat` would, in the same statement, for the handler's first
        look-up: every update asks who is writing, and a round trip costs more than the query.
        """
        params: dict[str, Any] = {"row_id": row_id, "now": utcnow()}
        if reader is not None and self._dialect() == "postgresql":
            return await self._claim_reading(_CLAIM_READING[relax_durability], params, *reader)
        claim = _CLAIM_RELAXED if relax_durability else _CLAIM_UPDATE
        result = await fast.run(self.session, claim, params)
        return bool(result.rowcount)

    async def _claim_reading(
        self, claim: fast.Prepared, params: dict[str, Any], telegram_id: int, chat_id: int
    ) -> bool:
        found = await fast.run(self.session, claim, {**params, "reader": telegram_id, "reader_chat": chat_id})
        row = found.first()
        if row is None:
            return False
        self.session.info.setdefault(_READ_WITH_CLAIM, {})[(telegram_id, chat_id)] = _brief_in_chat_of(
            row[1:], chat_id
        )
        return True

    async def mark_done(self, row_id: int, error: str | None = None) -> None:
        values: dict[str, Any] = {"attempts": InboxUpdate.attempts + 1}
        if error is None:
            values["processed_at"] = utcnow()
        else:
            values["error"] = error[:2000]
        await self.session.execute(update(InboxUpdate).where(InboxUpdate.id == row_id).values(**values))

    async def replace_payload(self, row_id: int, payload: dict[str, Any]) -> None:
        """Store an update's payload with a secret masked (a one-time link, once the update is handled)."""
        await self.session.execute(
            update(InboxUpdate).where(InboxUpdate.id == row_id).values(payload=payload)
        )


_inbox = InboxUpdate.__table__
# Core, built once: this runs for every update, and the ORM's bulk UPDATE costs several times more.
_claim = (
    update(_inbox)
    .where(_inbox.c.id == bindparam("row_id"), _inbox.c.processed_at.is_(None))
    .values(processed_at=bindparam("now"), attempts=_inbox.c.attempts + 1)
)
_CLAIM_UPDATE = fast.Prepared(_claim)
_CLAIM_RELAXED = fast.Prepared(
    _claim,  # SQLite has no such setting (the bot runs it with synchronous=NORMAL throughout)
    postgresql=_claim.where(func.set_config("synchronous_commit", "off", True).is_not(None)),
)


def _claim_and_read(claim: Any) -> fast.Prepared:
    """PostgreSQL: the claim, and when it claims, the sender's brief and chat state (LEFT JOINs).

    Its parameters must not be named like inbox_update's columns: SQLAlchemy would SET them.
    """
    claimed = claim.returning(_inbox.c.id).cte("claimed")
    chats = ChatSession.__table__
    return fast.Prepared(
        select(claimed.c.id, *_BRIEF_IN_CHAT_COLUMNS).select_from(
            claimed.outerjoin(_people, _people.c.telegram_id == bindparam("reader")).outerjoin(
                chats, chats.c.chat_id == bindparam("reader_chat")
            )
        )
    )


_CLAIM_READING = {
    False: _claim_and_read(_claim),
    True: _claim_and_read(_claim.where(func.set_config("synchronous_commit", "off", True).is_not(None))),
}
_READ_WITH_CLAIM = "read_with_claim"  # session.info: (telegram id, chat id) -> brief_in_chat's answer


_INBOX_ADD = _on_conflict(
    lambda insert_: (
        insert_(_inbox)
        .values(
            update_id=bindparam("update_id"),
            chat_id=bindparam("chat_id"),
            payload=bindparam("payload"),
            received_at=bindparam("at"),
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=[_inbox.c.update_id])
        .returning(_inbox.c.id)
    )
)


# PostgreSQL: a polled batch in one INSERT … SELECT FROM unnest(…), committed on its own. With RETURNING,
# a statement runs once per parameter set, so a batch of n updates took n round trips plus BEGIN and
# COMMIT, while the poller (and every update behind it) waited; this is one round trip.
_INBOX_COLUMNS = ("update_id", "chat_id", "payload")
_arrived = (
    func.unnest(*(bindparam(f"each_{c}", type_=ARRAY(_inbox.c[c].type)) for c in _INBOX_COLUMNS))
    .table_valued(*_INBOX_COLUMNS)
    .render_derived(name="arrived")
)
_INBOX_ADD_MANY = fast.Prepared(
    postgresql_insert(_inbox)
    .from_select(
        [*_INBOX_COLUMNS, "received_at", "attempts"],
        select(
            *(_arrived.c[c] for c in _INBOX_COLUMNS),
            bindparam("at", type_=_inbox.c.received_at.type),
            literal_column("0"),
        ).order_by(_arrived.c.update_id),  # ids in arrival order, which handling follows
    )
    .on_conflict_do_nothing(index_elements=[_inbox.c.update_id])
    .returning(_inbox.c.id)
)


def _inbox_rows(updates: Iterable[tuple[int, int | None, dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per update id (a batch that repeats one keeps the last)."""
    rows = {u: {"update_id": u, "chat_id": c, "payload": p, "at": utcnow()} for u, c, p in updates}
    return list(rows.values())


_pending = (
    select(_inbox.c.id, _inbox.c.payload, _inbox.c.attempts)
    .where(_inbox.c.processed_at.is_(None), _inbox.c.attempts < 3)
    .order_by(_inbox.c.id)
    .limit(bindparam("limit"))
)
_PENDING = fast.Prepared(_pending, postgresql=_pending.with_for_update(skip_locked=True))


_outbox = OutboxMessage.__table__
_OUTBOX_COLUMNS = (
    "chat_id",
    "method",
    "payload",
    "status",
    "priority",
    "created_at",
    "not_before",
    "attempts",
    "ref",
    "broadcast_id",
)
_OUTBOX_INSERT = fast.Prepared(insert(_outbox).returning(_outbox.c.id))
# PostgreSQL: an update's rows in one statement, one array per column (a round trip costs more than
# the rows). SQLite takes them one by one on its connection, which costs it next to nothing.
_outbox_rows = (
    func.unnest(*(bindparam(c, type_=ARRAY(_outbox.c[c].type)) for c in _OUTBOX_COLUMNS))
    .table_valued(*_OUTBOX_COLUMNS)
    .render_derived(name="rows")
)
_OUTBOX_INSERT_MANY = fast.Prepared(
    insert(_outbox)
    .from_select(list(_OUTBOX_COLUMNS), select(*_outbox_rows.c), include_defaults=False)
    .returning(_outbox.c.id)
)
_OUTBOX_RECORD_FINAL = fast.Prepared(
    update(_outbox)
    .where(_outbox.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        sent_at=bindparam("b_at"),
        attempts=_outbox.c.attempts + 1,
        last_error=bindparam("b_error"),
        result_message_id=func.coalesce(bindparam("b_message_id"), _outbox.c.result_message_id),
    )
)


# PostgreSQL: a flush's outcomes in one UPDATE … FROM unnest(…), committed on its own (one round trip;
# several parameter sets would take a transaction's BEGIN, the batch and COMMIT).
_OUTCOME_COLUMNS = {"id": "id", "status": "status", "error": "last_error", "message_id": "result_message_id"}
_outcomes = (
    func.unnest(
        *(bindparam(f"each_{k}", type_=ARRAY(_outbox.c[c].type)) for k, c in _OUTCOME_COLUMNS.items())
    )
    .table_valued(*_OUTCOME_COLUMNS)
    .render_derived(name="outcomes")
)
_OUTBOX_RECORD_FINAL_MANY = fast.Prepared(
    update(_outbox)
    .where(_outbox.c.id == _outcomes.c.id)
    .values(
        status=_outcomes.c.status,
        sent_at=bindparam("b_at"),
        attempts=_outbox.c.attempts + 1,
        last_error=_outcomes.c.error,
        result_message_id=func.coalesce(_outcomes.c.message_id, _outbox.c.result_message_id),
    )
)


def _outcome_rows(
    outcomes: Sequence[tuple[int, str, str | None, int | None]], at: datetime
) -> list[dict[str, Any]]:
    return [
        {"b_id": row_id, "b_status": status, "b_at": at, "b_error": error, "b_message_id": message_id}
        for row_id, status, error, message_id in outcomes
    ]


class OutboxRepo(_Repo):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self.added: list[OutboxMessage] = []  # rows of this unit of work, for the sender's hand-over
        self.added_in_bulk = 0  # rows written by add_bulk: only the table has them
        self._unwritten: list[OutboxMessage] = []

    async def add_bulk(self, rows: list[dict[str, Any]]) -> None:
        """Many rows in one multi-row INSERT (a notice's recipients); the sender reads them back."""
        if rows:
            await self.session.execute(insert(OutboxMessage), rows)
            self.added_in_bulk += len(rows)

    async def add(
        self,
        chat_id: int,
        method: str,
        payload: dict[str, Any],
        *,
        ref: str | None = None,
        not_before: datetime | None = None,
        priority: int = 0,
        broadcast_id: int | None = None,
    ) -> OutboxMessage:
        now = utcnow()
        row = OutboxMessage(
            chat_id=chat_id,
            method=method,
            payload=payload,
            ref=ref,
            status=OutboxStatus.PENDING,
            priority=priority,
            created_at=now,
            not_before=not_before or now,
            attempts=0,
            broadcast_id=broadcast_id,
        )
        # Written at commit (see write), not now: nothing reads a pending row back before commit
        # (the sender only looks up sent rows, and a notice's rows come from add_bulk).
        self._unwritten.append(row)
        self.added.append(row)
        return row

    async def write(self) -> None:
        """Write the rows added so far and give each its id (UnitOfWork.commit calls it).

        On SQLite each row is one prebuilt INSERT on the connection (storage.fast); on PostgreSQL
        several rows go as one INSERT … SELECT FROM unnest(…). Its RETURNING may list the ids in any
        order, but they are assigned in the order of the rows: the sorted ids match the rows.
        """
        if not self._unwritten:
            return
        rows, self._unwritten = self._unwritten, []
        values = [{column: getattr(row, column) for column in _OUTBOX_COLUMNS} for row in rows]
        if len(values) > 1 and self._dialect() == "postgresql":
            columns = {column: [v[column] for v in values] for column in _OUTBOX_COLUMNS}
            result = await fast.run(self.session, _OUTBOX_INSERT_MANY, columns)
        else:
            result = await fast.run(self.session, _OUTBOX_INSERT, values)
        for row, row_id in zip(rows, sorted(result.scalars()), strict=True):
            row.id = row_id

    async def record_final(
        self, outcomes: Sequence[tuple[int, str, str | None, int | None]], at: datetime
    ) -> None:
        """Record calls that are over (sent, blocked, failed): one UPDATE per row, sent together.

        Each outcome is (row id, status, error, message id); a message id of None keeps the stored one.
        Core and executemany: the sender records every call, and loading the rows to change them
        (with their payloads) cost more than the calls' own bookkeeping.
        """
        if outcomes:
            await fast.run(self.session, _OUTBOX_RECORD_FINAL, _outcome_rows(outcomes, at))

    def discard(self) -> None:
        """Forget rows not yet written (the unit of work rolled back)."""
        self._unwritten = []
        self.added = []

    async def due(
        self, now: datetime, limit: int = 50, *, skip: Iterable[int] = ()
    ) -> Sequence[OutboxMessage]:
        """Pending rows whose time has come, except those queued behind a retry in their chat.

        A failed send is rescheduled (`not_before` moves on); the chat's later rows of the same or
        lower priority wait behind it, so a chat's messages arrive in the order they were written.
        """
        waiting = aliased(OutboxMessage)
        behind_a_retry = exists().where(
            waiting.chat_id == OutboxMessage.chat_id,
            waiting.status == OutboxStatus.PENDING,
            waiting.attempts > 0,
            waiting.not_before > now,
            waiting.id < OutboxMessage.id,
            waiting.priority >= OutboxMessage.priority,
        )
        stmt = (
            select(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.not_before <= now,
                ~behind_a_retry,
            )
            .where(*([OutboxMessage.id.not_in(list(skip))] if skip else []))
            .order_by(OutboxMessage.priority.desc(), OutboxMessage.id)
            .limit(limit)
        )
        if self._dialect() == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return (await self.session.scalars(stmt)).all()

    async def failed_for_good(self, ref_prefix: str, limit: int = 20) -> Sequence[OutboxMessage]:
        """Rows with refs starting `ref_prefix` that failed for good and were not sent since (newest first).

        What staff must see (a deputy's card refused by Telegram): the failure, not a later success.
        """
        later = aliased(OutboxMessage)
        return (
            await self.session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.FAILED,
                    OutboxMessage.ref.startswith(ref_prefix, autoescape=True),
                    ~exists().where(
                        later.ref == OutboxMessage.ref,
                        later.id > OutboxMessage.id,
                        later.status == OutboxStatus.SENT,
                    ),
                )
                .order_by(OutboxMessage.id.desc())
                .limit(limit)
            )
        ).all()

    async def last_sent_for(self, ref: str) -> OutboxMessage | None:
        return await self.session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.ref == ref, OutboxMessage.result_message_id.is_not(None))
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )

    async def forget_before(self, cutoff: datetime) -> int:
        """Delete messages that are over (sent, blocked, failed, cancelled) and older than `cutoff`.

        Their text is personal data the chat already holds. Kept: a notice's rows (its counts and
        undelivered list are read from them) and the newest delivered row of each ref, which a later
        edit needs (`last_sent_for`: its message id, not its text, so its payload is emptied);
        everything else older than the cutoff goes.
        """
        newest = aliased(OutboxMessage)
        newest_of_ref = (
            select(func.max(newest.id))
            .where(newest.ref == OutboxMessage.ref, newest.result_message_id.is_not(None))
            .scalar_subquery()
        )
        result = await self.session.execute(
            delete(OutboxMessage)
            .where(
                OutboxMessage.status != OutboxStatus.PENDING,
                OutboxMessage.broadcast_id.is_(None),
                func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < cutoff,
                OutboxMessage.ref.is_(None) | (OutboxMessage.id != func.coalesce(newest_of_ref, 0)),
            )
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status != OutboxStatus.PENDING,
                OutboxMessage.broadcast_id.is_(None),
                func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < cutoff,
                OutboxMessage.ref.is_not(None),
                func.length(cast(OutboxMessage.payload, Text)) > 2,  # not yet emptied ("{}")
            )
            .values(payload={})
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def depth(self) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING)
            )
            or 0
        )


class AuditRepo(_Repo):
    async def record(
        self,
        action: str,
        *,
        actor_telegram_id: int | None = None,
        actor_person_id: int | None = None,
        object_type: str | None = None,
        object_id: str | int | None = None,
        allowed: bool = True,
        **detail: Any,
    ) -> None:
        self.session.add(
            AuditEntry(
                action=action,
                actor_telegram_id=actor_telegram_id,
                actor_person_id=actor_person_id,
                object_type=object_type,
                object_id=None if object_id is None else str(object_id),
                allowed=allowed,
                detail=detail,
            )
        )

    async def recent(self, limit: int = 100) -> Sequence[AuditEntry]:
        return (
            await self.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
        ).all()


@dataclass(frozen=True, slots=True)
class ChatState:
    """A copy of a chat's stored dialog state (`chat_session` row); change it with ChatSessionRepo.set."""

    chat_id: int
    state: str | None
    data: dict[str, Any]
    updated_at: datetime | None


class ChatSessionRepo(_Repo):
    """A chat's dialog state: read once per unit of work, written with one upsert.

    Every update reads it and many write it, so this is Core, not the ORM: what `get` returns is a
    plain copy, and only `set` changes the stored state.
    """

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._known: dict[int, ChatState] = {}

    async def get(self, chat_id: int) -> ChatState:
        row = self._known.get(chat_id)
        if row is None:
            found = (await fast.run(self.session, _CHAT_SELECT, {"chat_id": chat_id})).first()
            if found is None:
                row = ChatState(chat_id, None, {}, None)
            else:
                state, data, updated_at = found
                row = ChatState(chat_id, state, data or {}, updated_at)
            self._known[chat_id] = row
        return row

    async def set(self, chat_id: int, state: str | None, data: dict[str, Any] | None = None) -> None:
        row = ChatState(chat_id, state, dict(data or {}), utcnow())
        await fast.run(
            self.session,
            _CHAT_UPSERT,
            {"chat_id": chat_id, "state": row.state, "data": row.data, "updated_at": row.updated_at},
        )
        self._known[chat_id] = row

    def remember(self, row: ChatState) -> None:
        """A chat's state read along with something else (`PeopleRepo.brief_in_chat`): `get` needs no
        query for it. A state read or set in this unit of work already is newer and stays."""
        self._known.setdefault(row.chat_id, row)

    def forget(self) -> None:
        """Drop what was read or set (the unit of work rolled back)."""
        self._known = {}


_chat = ChatSession.__table__
_CHAT_SELECT = fast.Prepared(
    select(_chat.c.state, _chat.c.data, _chat.c.updated_at).where(_chat.c.chat_id == bindparam("chat_id"))
)
_CHAT_UPSERT = _on_conflict(
    lambda insert_: (ins := insert_(_chat)).on_conflict_do_update(
        index_elements=[_chat.c.chat_id],
        set_={"state": ins.excluded.state, "data": ins.excluded.data, "updated_at": ins.excluded.updated_at},
    )
)


class CounterRepo(_Repo):
    async def next(self, name: str) -> int:
        """Increment and return a named counter in one upsert. Concurrent callers take turns on the
        row, and the first number of a name cannot be created twice (read-then-insert could)."""
        return int((await fast.run(self.session, _COUNTER_NEXT, {"name": name, "value": 1})).scalar_one())

    async def take(self, name: str) -> int:
        """The next number of a counter, kept even if the caller's transaction rolls back.

        On PostgreSQL the upsert commits on its own (one autocommit statement on a second
        connection): `next` would lock the counter's row until the caller commits, so every
        concurrent submit would queue behind the whole unit of work of the one before it. A number
        whose transaction then rolls back is skipped, as a database sequence would skip it. SQLite has
        one writer, whose transactions never overlap: there it is `next`, with no gap.
        """
        engine = self.session.bind
        if not isinstance(engine, AsyncEngine) or engine.dialect.name != "postgresql":
            return await self.next(name)
        return int((await fast.run_alone(engine, _COUNTER_NEXT, {"name": name, "value": 1})).scalar_one())


_counter = Counter.__table__
_COUNTER_NEXT = _on_conflict(
    lambda insert_: (
        insert_(_counter)
        .on_conflict_do_update(index_elements=[_counter.c.name], set_={"value": _counter.c.value + 1})
        .returning(_counter.c.value)
    )
)


class Bookkeeping:
    """Statements that stand alone, each a transaction of its own: no unit of work around them.

    The poller stores updates, the processor reads the pending ones and the outbox's sender records
    its outcomes many times a second. Each is one statement, and on PostgreSQL a unit of work around
    it cost more than the statement (see `fast.run_alone`).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @classmethod
    def of(cls, sessionmaker: async_sessionmaker[AsyncSession]) -> Bookkeeping:
        """For the engine the units of work of this sessionmaker use."""
        return cls(sessionmaker.kw["bind"])

    async def add_updates(self, updates: Iterable[tuple[int, int | None, dict[str, Any]]]) -> int:
        """As `InboxRepo.add_many`, committed when it returns."""
        rows = _inbox_rows(updates)
        if not rows:
            return 0
        if self.engine.dialect.name == "postgresql":
            arrays = {f"each_{c}": [row[c] for row in rows] for c in _INBOX_COLUMNS}
            added = await fast.run_alone(self.engine, _INBOX_ADD_MANY, {**arrays, "at": rows[0]["at"]})
            return len(added.all())
        return len((await fast.run_alone(self.engine, _INBOX_ADD, rows)).all())

    async def pending_updates(self, limit: int = 100) -> list[tuple[int, dict[str, Any], int]]:
        """As `InboxRepo.pending`."""
        return (await fast.run_alone(self.engine, _PENDING, {"limit": limit})).all()  # type: ignore[return-value]

    async def record_outcomes(
        self, outcomes: Sequence[tuple[int, str, str | None, int | None]], at: datetime
    ) -> None:
        """As `OutboxRepo.record_final`, committed when it returns."""
        if len(outcomes) > 1 and self.engine.dialect.name == "postgresql":
            arrays = {
                f"each_{k}": list(c)
                for k, c in zip(_OUTCOME_COLUMNS, zip(*outcomes, strict=True), strict=True)
            }
            await fast.run_alone(self.engine, _OUTBOX_RECORD_FINAL_MANY, {**arrays, "b_at": at})
        elif outcomes:
            await fast.run_alone(self.engine, _OUTBOX_RECORD_FINAL, _outcome_rows(outcomes, at))


class UnitOfWork:
    """One session and its repositories; nothing is written until `commit()`."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def __aenter__(self) -> Self:
        self.session = self._sessionmaker()
        self.people = PeopleRepo(self.session)
        self.network = NetworkRepo(self.session)
        self.inbox = InboxRepo(self.session)
        self.outbox = OutboxRepo(self.session)
        self.audit = AuditRepo(self.session)
        self.chats = ChatSessionRepo(self.session)
        self.counters = CounterRepo(self.session)
        self.opinions = OpinionRepo(self.session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is not None:
                await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        try:
            await self.outbox.write()
            await self.session.commit()
        except SQLAlchemyError as err:
            await self.rollback()
            raise StorageError(str(err)) from err

    async def rollback(self) -> None:
        self.outbox.discard()
        self.chats.forget()
        await self.session.rollback()
