"""Opinions and what hangs on them (events, attachments, subscribers) and duties: their SQL, add/select/flush
only; the unit of work commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    exists,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from storage import fast
from storage.lists import among
from storage.models import Deputy, DeputyStation, Station
from storage.models.opinions import (
    ACCEPT_CLOCK_STATES,
    ANSWER_CLOCK_STATES,
    FINAL_STATES,
    LOAD_STATES,
    Duty,
    Opinion,
    OpinionAttachment,
    OpinionEvent,
    OpinionState,
    OpinionSubscriber,
    Satisfaction,
)
from storage.repos.base import due_for_warning

__all__ = ["OpinionRepo"]

_events = OpinionEvent.__table__
_EVENT_COLUMNS = tuple(c.key for c in _events.columns if c.key != "id")
_EVENT_INSERT = fast.Prepared(insert(_events))

_NEW_OPINIONS = "opinions_written"  # session.info: ids of opinions this unit of work wrote
_subscribers = OpinionSubscriber.__table__
_SUBSCRIBERS = fast.Prepared(
    select(_subscribers.c.person_id)
    .where(_subscribers.c.opinion_id == bindparam("opinion_id"))
    .order_by(_subscribers.c.id)
)
_opinions = Opinion.__table__
_OPINION_INSERT = fast.Prepared(insert(_opinions).returning(_opinions.c.id))
_attachments = OpinionAttachment.__table__
_ATTACHMENT_INSERT = fast.Prepared(insert(_attachments).returning(_attachments.c.id))
_OPEN_TEXTS_AT = fast.Prepared(
    select(_opinions.c.id, _opinions.c.text)
    .where(
        _opinions.c.station_id == bindparam("station_id"),
        _opinions.c.category == bindparam("category"),
        # One comparison per state, not NOT IN (…): an IN list is expanded per call.
        *(_opinions.c.state != s.value for s in sorted(FINAL_STATES)),
        _opinions.c.sender_person_id != bindparam("sender"),
    )
    .order_by(_opinions.c.id.desc())
    .limit(bindparam("limit"))
)


def _station_side(*, lateral: bool) -> Select[Any]:
    """Routing's station side in one statement: the station and its ancestors (one recursive query, its
    depth bounded, each station once at its nearest depth, so a cycle in an imported tree ends), each
    with its deputies, their fields, whether they are on the roster there on the day, and their open
    load. A station without deputies comes back as one row with no deputy.

    `lateral` (PostgreSQL): each parent and each station's deputies are looked up by key from the row
    before. The planner guesses a recursive query's rows (31) rather than knowing them (at most nine),
    and with plain joins it hashed whole tables for a handful of keys — every deputy and every
    deputy-station pair of a province, milliseconds per decision (issue #25)."""
    station, deputy_station, deputy, duty = (
        Station.__table__,
        DeputyStation.__table__,
        Deputy.__table__,
        Duty.__table__,
    )
    chain = (
        select(station.c.id, station.c.parent_id, literal(0).label("depth"))
        .where(station.c.id == bindparam("station_id"))
        .cte("routing_chain", recursive=True)
    )
    if lateral:
        parent = (
            select(station.c.id, station.c.parent_id)
            .where(station.c.id == chain.c.parent_id)
            .limit(1)  # one row by its key; and a LIMIT keeps the planner from flattening it into a join
            .lateral("routing_parent")
        )
        step = select(parent.c.id, parent.c.parent_id, chain.c.depth + 1).select_from(
            chain.join(parent, true())
        )
    else:
        step = select(station.c.id, station.c.parent_id, chain.c.depth + 1).join(
            chain, station.c.id == chain.c.parent_id
        )
    chain = chain.union_all(step.where(chain.c.depth < bindparam("max_depth")))
    levels = (
        select(chain.c.id, chain.c.parent_id, func.min(chain.c.depth).label("depth"))
        .group_by(chain.c.id, chain.c.parent_id)
        .cte("routing_levels")
    )
    # Routing takes the nearest station that has deputies (`route`): the stations beyond it are not
    # looked at, so they are left out with their deputies' loads (a county home seats dozens; a
    # province's chain ~80 deputies). Without any deputy on the chain, all of it comes back.
    staffed, seated = levels.alias("routing_staffed"), deputy_station.alias("routing_seated")
    nearest = (
        select(func.min(staffed.c.depth))
        .where(exists().where(seated.c.station_id == staffed.c.id))
        .scalar_subquery()
    )
    within = levels.c.depth <= func.coalesce(nearest, bindparam("max_depth"))
    on_duty = (
        exists()
        .where(
            duty.c.deputy_id == deputy_station.c.deputy_id,
            duty.c.station_id == deputy_station.c.station_id,
            duty.c.date == bindparam("today"),
        )
        .label("on_duty")
    )
    load = (
        select(func.count())
        .select_from(_opinions)
        .where(
            _opinions.c.holder_deputy_id == deputy_station.c.deputy_id,
            # One comparison per state, not IN (…): an IN list is expanded per call.
            or_(*(_opinions.c.state == s.value for s in sorted(LOAD_STATES))),
        )
        .scalar_subquery()
        .label("load")
    )
    if lateral:
        members = (
            select(deputy_station.c.deputy_id, deputy.c.fields, on_duty, load)
            .join(deputy, deputy.c.id == deputy_station.c.deputy_id)
            .where(deputy_station.c.station_id == levels.c.id)
            .lateral("routing_members")
        )
        return (
            select(levels.c.id, levels.c.parent_id, *members.c)
            .select_from(levels.outerjoin(members, true()))
            .where(within)
            .order_by(levels.c.depth, members.c.deputy_id)
        )
    return (
        select(levels.c.id, levels.c.parent_id, deputy_station.c.deputy_id, deputy.c.fields, on_duty, load)
        .select_from(levels)
        .outerjoin(deputy_station, deputy_station.c.station_id == levels.c.id)
        .outerjoin(deputy, deputy.c.id == deputy_station.c.deputy_id)
        .where(within)
        .order_by(levels.c.depth, deputy_station.c.deputy_id)
    )


_STATION_SIDE = fast.Prepared(_station_side(lateral=False), postgresql=_station_side(lateral=True))


def _row_of(obj: object, table: Table) -> dict[str, object]:
    """Every column but the key, as an INSERT needs it; a column's default is applied to the object
    too, so that nothing is left unloaded when the object joins the session."""
    row: dict[str, object] = {}
    for column in table.columns:
        if column.primary_key:
            continue
        if column.key in obj.__dict__:
            row[column.key] = obj.__dict__[column.key]
            continue
        default = column.default
        if default is None:
            value = None
        elif default.is_scalar:
            value = default.arg  # type: ignore[attr-defined]
        elif default.is_callable:
            value = default.arg(None)  # type: ignore[attr-defined]
        else:
            raise ValueError(f"{table.name}.{column.key}: only Python-side defaults can be written here")
        setattr(obj, column.key, value)
        row[column.key] = value
    return row


def _values(states: Iterable[OpinionState]) -> list[str]:
    return sorted(s.value for s in states)


class OpinionRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, opinion: Opinion) -> Opinion:
        """Write a new opinion and its attachments; the objects then belong to the session as if loaded.

        Prebuilt INSERTs rather than a flush: flushing one new opinion cost more Python than all the
        other statements of a submit together. Later changes to the objects are flushed as usual.
        """
        opinion.id = (await fast.run(self.session, _OPINION_INSERT, _row_of(opinion, _opinions))).scalar_one()
        attachments = list(opinion.__dict__.get("attachments", ()))
        opinion.attachments = attachments  # a new opinion's whole list: readers need no query
        for attachment in attachments:
            attachment.opinion_id = opinion.id
            row = _row_of(attachment, _attachments)
            attachment.id = (await fast.run(self.session, _ATTACHMENT_INSERT, row)).scalar_one()
        for written in (*attachments, opinion):  # attachments first: adding the opinion cascades
            make_transient_to_detached(written)
            self.session.add(written)
        self.session.info.setdefault(_NEW_OPINIONS, set()).add(opinion.id)
        return opinion

    async def get(self, opinion_id: int, *, for_update: bool = False) -> Opinion | None:
        """One opinion; `for_update` locks the row on PostgreSQL so two presses apply one after the other."""
        stmt = select(Opinion).where(Opinion.id == opinion_id)
        if for_update and self._is_postgres():
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def cached(self, opinion_id: int) -> Opinion | None:
        """One opinion, from the session's identity map when this unit of work already loaded it (no
        query then: notices about an opinion just changed render without reading it again)."""
        return await self.session.get(Opinion, opinion_id)

    async def by_tracking_no(self, tracking_no: str) -> Opinion | None:
        return await self.session.scalar(select(Opinion).where(Opinion.tracking_no == tracking_no))

    async def for_sender(
        self, person_id: int, *, open_only: bool = False, limit: int = 50
    ) -> Sequence[Opinion]:
        """A constituent's opinions, newest first."""
        stmt = select(Opinion).where(Opinion.sender_person_id == person_id)
        if open_only:
            stmt = stmt.where(Opinion.state.not_in(_values(FINAL_STATES)))
        return (await self.session.scalars(stmt.order_by(Opinion.id.desc()).limit(limit))).all()

    async def open_for_holder(self, deputy_id: int, *, limit: int = 100) -> Sequence[Opinion]:
        """A deputy's task list: everything they hold that still needs them, oldest first."""
        stmt = (
            select(Opinion)
            .where(Opinion.holder_deputy_id == deputy_id, Opinion.state.in_(_values(LOAD_STATES)))
            .order_by(Opinion.id)
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    async def triage_queue(self, *, limit: int = 100) -> Sequence[Opinion]:
        """Opinions no deputy holds, for staff to hand out."""
        stmt = (
            select(Opinion)
            .where(Opinion.holder_deputy_id.is_(None), Opinion.state.in_(_values(LOAD_STATES)))
            .order_by(Opinion.id)
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    def _running_clock(self, before: datetime) -> ColumnElement[bool]:
        return or_(
            and_(Opinion.state.in_(_values(ACCEPT_CLOCK_STATES)), Opinion.accept_deadline < before),
            and_(Opinion.state.in_(_values(ANSWER_CLOCK_STATES)), Opinion.answer_deadline < before),
        )

    async def overdue(self, now: datetime, *, limit: int = 500) -> Sequence[Opinion]:
        """Opinions whose running clock (accept or answer) has passed its deadline."""
        stmt = select(Opinion).where(self._running_clock(now)).order_by(Opinion.id).limit(limit)
        return (await self.session.scalars(stmt)).all()

    async def overdue_counts(self, now: datetime) -> dict[str, int]:
        """How many opinions are overdue, by state: one COUNT ... GROUP BY, no rows loaded (/metrics
        loaded up to 100,000 opinions per request, ~1 s with 20,000 overdue)."""
        stmt = select(Opinion.state, func.count()).where(self._running_clock(now)).group_by(Opinion.state)
        return {str(state): int(n) for state, n in (await self.session.execute(stmt)).all()}

    async def due_by(self, horizon: datetime, *, limit: int = 500) -> Sequence[Opinion]:
        """Opinions whose running deadline falls before `horizon` (the digest's yellow and red; the sweep reads
        `due_for_warning`)."""
        return await self.overdue(horizon, limit=limit)

    async def due_for_warning(self, now: datetime, *, limit: int = 200) -> Sequence[Opinion]:
        """Opinions whose next reminder is due (`next_warning_at`, indexed), earliest first, locked for
        this transaction and skipping those another sweep holds (`base.due_for_warning`)."""
        return (
            await self.session.scalars(due_for_warning(Opinion, Opinion.next_warning_at, now, limit))
        ).all()

    async def answered_before(self, cutoff: datetime, *, limit: int = 500) -> Sequence[Opinion]:
        """Answered opinions the sender has not confirmed since `cutoff` (candidates for auto_close)."""
        stmt = (
            select(Opinion)
            .where(Opinion.state == OpinionState.ANSWERED.value, Opinion.answered_at <= cutoff)
            .order_by(Opinion.id)
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    async def solved_without_event(
        self, cutoff: datetime, action: str, note: str, *, limit: int
    ) -> Sequence[Opinion]:
        """Opinions closed as (basically) solved at or before `cutoff` whose timeline has no entry
        (action, note), by id."""
        marked = exists().where(
            OpinionEvent.opinion_id == Opinion.id, OpinionEvent.action == action, OpinionEvent.note == note
        )
        rows = await self.session.scalars(
            select(Opinion)
            .where(
                Opinion.state == OpinionState.CLOSED.value,
                Opinion.satisfaction.in_([Satisfaction.SATISFIED.value, Satisfaction.BASIC.value]),
                Opinion.closed_at <= cutoff,
                ~marked,
            )
            .order_by(Opinion.id)
            .limit(limit)
        )
        return rows.all()

    async def count_created(self, start: datetime, end: datetime) -> int:
        """Opinions filed in [start, end)."""
        return await self._count(Opinion.created_at >= start, Opinion.created_at < end)

    async def count_answered(self, start: datetime, end: datetime) -> int:
        """Opinions answered in [start, end)."""
        return await self._count(Opinion.answered_at >= start, Opinion.answered_at < end)

    async def count_unheld(self, states: Iterable[OpinionState]) -> int:
        """Opinions in these states that no deputy holds (the triage queue)."""
        return await self._count(Opinion.holder_deputy_id.is_(None), Opinion.state.in_(_values(states)))

    async def _count(self, *where: ColumnElement[bool]) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Opinion).where(*where)) or 0)

    async def open_counts(self, deputy_ids: Iterable[int] | None = None) -> dict[int, int]:
        """Open opinions per deputy (routing's load); deputies with none are absent."""
        stmt = (
            select(Opinion.holder_deputy_id, func.count())
            .where(Opinion.holder_deputy_id.is_not(None), Opinion.state.in_(_values(LOAD_STATES)))
            .group_by(Opinion.holder_deputy_id)
        )
        if deputy_ids is not None:
            ids = list(deputy_ids)
            if not ids:
                return {}
            stmt = stmt.where(among(Opinion.holder_deputy_id, ids))
        return {int(d): int(n) for d, n in (await self.session.execute(stmt)).all()}

    async def claim_state(self, opinion_id: int, source: OpinionState, target: OpinionState) -> bool:
        """Move the stored state from `source` to `target` only if it is still `source` (compare-and-set)."""
        result = await self.session.execute(
            update(Opinion)
            .where(Opinion.id == opinion_id, Opinion.state == source.value)
            .values(state=target.value)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def add_event(self, event: OpinionEvent) -> None:
        """Write a timeline entry now, in call order (a Core INSERT: no flush of the whole session)."""
        values = {c: v for c in _EVENT_COLUMNS if (v := getattr(event, c)) is not None}
        await fast.run(self.session, _EVENT_INSERT, values)

    async def add_events(self, events: Sequence[OpinionEvent]) -> None:
        """Write several timeline entries in this order, in one round trip (each must have its `at`)."""
        if len(events) == 1:
            await self.add_event(events[0])
            return
        for event in events:
            if event.at is None:
                raise ValueError("a timeline entry written with others needs its time")
        rows = [{c: getattr(event, c) for c in _EVENT_COLUMNS} for event in events]
        await fast.run(self.session, _EVENT_INSERT, rows)

    async def events(self, opinion_id: int) -> Sequence[OpinionEvent]:
        """The timeline, oldest first."""
        stmt = select(OpinionEvent).where(OpinionEvent.opinion_id == opinion_id).order_by(OpinionEvent.id)
        return (await self.session.scalars(stmt)).all()

    async def last_event(self, opinion_id: int, action: str) -> OpinionEvent | None:
        stmt = (
            select(OpinionEvent)
            .where(OpinionEvent.opinion_id == opinion_id, OpinionEvent.action == action)
            .order_by(OpinionEvent.id.desc())
            .limit(1)
        )
        return await self.session.scalar(stmt)

    async def attachments(self, opinion: Opinion) -> Sequence[OpinionAttachment]:
        """In the order sent; a new opinion's own list needs no query."""
        if "attachments" not in inspect(opinion).unloaded:
            return opinion.attachments
        stmt = (
            select(OpinionAttachment)
            .where(OpinionAttachment.opinion_id == opinion.id)
            .order_by(OpinionAttachment.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def subscribe(self, opinion_id: int, person_id: int) -> bool:
        """Follow an opinion; False when already following."""
        exists = await self.session.scalar(
            select(OpinionSubscriber.id).where(
                OpinionSubscriber.opinion_id == opinion_id, OpinionSubscriber.person_id == person_id
            )
        )
        if exists is not None:
            return False
        self.session.add(OpinionSubscriber(opinion_id=opinion_id, person_id=person_id))
        await self.session.flush()
        self.session.info.get(_NEW_OPINIONS, set()).discard(opinion_id)  # read its list from now on
        return True

    async def subscribers(self, opinion_id: int) -> list[int]:
        """Who follows an opinion besides its sender, in the order they began to.

        An opinion written in this unit of work has none unless it subscribed them itself: a submit
        asks for them when it notifies its sender, and the answer needs no round trip.
        """
        if opinion_id in self.session.info.get(_NEW_OPINIONS, ()):
            return []
        return (await fast.run(self.session, _SUBSCRIBERS, {"opinion_id": opinion_id})).scalars()

    async def open_texts_at(
        self, station_id: int, category: str, *, exclude_sender: int, limit: int = 200
    ) -> list[tuple[int, str]]:
        """(id, text) of the newest open opinions at a station in a category, others' only."""
        found = await fast.run(
            self.session,
            _OPEN_TEXTS_AT,
            {"station_id": station_id, "category": category, "sender": exclude_sender, "limit": limit},
        )
        return found.all()  # type: ignore[return-value]

    async def station_side(
        self, station_id: int, max_depth: int, day: dt.date
    ) -> list[tuple[int, int | None, list[tuple[int, list[str], bool, int]]]]:
        """Routing's view of a station and its ancestors, nearest first, in one prepared statement:
        (station id, parent id, [(deputy id, fields, on the roster on `day`, open load)]), at most
        `max_depth` + 1 levels; deputies by id, up to the nearest station that has any (routing stops there;
        the stations beyond are left out). Empty when the station does not exist."""
        rows = await fast.run(
            self.session, _STATION_SIDE, {"station_id": station_id, "max_depth": max_depth, "today": day}
        )
        chain: list[tuple[int, int | None, list[tuple[int, list[str], bool, int]]]] = []
        for sid, parent, deputy_id, fields, on_duty, load in rows.all():
            if not chain or chain[-1][0] != sid:
                chain.append((int(sid), parent, []))
            if deputy_id is not None:
                chain[-1][2].append((int(deputy_id), list(fields or []), bool(on_duty), int(load or 0)))
        return chain

    async def add_duty(self, deputy_id: int, station_id: int, day: dt.date) -> Duty:
        row = Duty(deputy_id=deputy_id, station_id=station_id, date=day)
        self.session.add(row)
        await self.session.flush()
        return row

    async def on_duty(self, station_ids: Iterable[int], day: dt.date) -> set[tuple[int, int]]:
        """(deputy id, station id) pairs on the roster for `day`."""
        ids = list(station_ids)
        if not ids:
            return set()
        rows = await self.session.execute(
            select(Duty.deputy_id, Duty.station_id).where(among(Duty.station_id, ids), Duty.date == day)
        )
        return {(int(d), int(s)) for d, s in rows.all()}

    def _is_postgres(self) -> bool:
        bind = self.session.bind
        return bind is not None and bind.dialect.name == "postgresql"
