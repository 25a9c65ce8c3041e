"""The reception diary's rows: entries, their visitors and matters, the visitors' one-time links, and
what the figures read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import and_, case, false, func, or_, select, true, update

from storage.lists import among
from storage.models import Opinion, Person, Station
from storage.models.receptions import (
    DiaryKind,
    DiaryState,
    MatterOutcome,
    Reception,
    ReceptionMatter,
    ReceptionVisitor,
    VisitorLink,
)
from storage.repos.base import Repo


class EntrySums(NamedTuple):
    """One diary entry as the figures read it: its own columns and what was registered in it."""

    deputy_id: int | None
    station_id: int | None
    kind: str
    legacy: bool
    people: int | None
    paper: int
    visitors: int
    resolved: int
    routed: int


class ReceptionRepo(Repo):
    async def get(self, reception_id: int, *, for_update: bool = False) -> Reception | None:
        """One entry; `for_update` locks its row on PostgreSQL, so two registrars of one entry number
        their visitors one after the other."""
        if for_update and self._dialect() == "postgresql":
            return await self.session.scalar(
                select(Reception).where(Reception.id == reception_id).with_for_update()
            )
        return await self.session.get(Reception, reception_id)

    async def add(self, row: Any) -> Any:
        """Store a new entry, visitor, matter or link and flush, so its id is known."""
        self.session.add(row)
        await self.session.flush()
        return row

    async def open_today(self, keeper_person_id: int, station_id: int, day: date) -> Reception | None:
        """The keeper's open entry at this station on this day, to resume."""
        return await self.session.scalar(
            select(Reception)
            .where(
                Reception.recorded_by_person_id == keeper_person_id,
                Reception.station_id == station_id,
                Reception.kind == DiaryKind.STATION.value,
                Reception.day == day,
                Reception.state == DiaryState.OPEN.value,
                Reception.deleted_at.is_(None),
            )
            .order_by(Reception.id.desc())
            .limit(1)
        )

    async def open_before(self, keeper_person_id: int, day: date) -> Sequence[Reception]:
        """The keeper's entries still open from days before `day` (closed when a later day opens)."""
        rows = await self.session.scalars(
            select(Reception).where(
                Reception.recorded_by_person_id == keeper_person_id,
                Reception.state == DiaryState.OPEN.value,
                Reception.day < day,
            )
        )
        return rows.all()

    async def claim_state(self, reception_id: int, source: str, target: str, **values: Any) -> bool:
        """Move an entry from `source` to `target` only if nobody did meanwhile; True for the winner."""
        done = await self.session.execute(
            update(Reception)
            .where(Reception.id == reception_id, Reception.state == source)
            .values(state=target, **values)
            .execution_options(synchronize_session=False)
        )
        return int(done.rowcount or 0) == 1  # type: ignore[attr-defined]

    # -- visitors and matters ---------------------------------------------------------------------

    async def visitor(self, visitor_id: int) -> ReceptionVisitor | None:
        return await self.session.get(ReceptionVisitor, visitor_id)

    async def next_number(self, reception_id: int) -> int:
        """The number the next visitor of this entry gets (1, 2, …)."""
        top = await self.session.scalar(
            select(func.max(ReceptionVisitor.number)).where(ReceptionVisitor.reception_id == reception_id)
        )
        return int(top or 0) + 1

    async def visitors(self, reception_id: int) -> Sequence[ReceptionVisitor]:
        rows = await self.session.scalars(
            select(ReceptionVisitor)
            .where(ReceptionVisitor.reception_id == reception_id)
            .order_by(ReceptionVisitor.number)
        )
        return rows.all()

    async def matters(self, reception_id: int) -> list[tuple[ReceptionMatter, Opinion | None]]:
        """The entry's matters in the order they were registered, each with its opinion (if routed)."""
        rows = await self.session.execute(
            select(ReceptionMatter, Opinion)
            .outerjoin(Opinion, Opinion.id == ReceptionMatter.opinion_id)
            .where(ReceptionMatter.reception_id == reception_id)
            .order_by(ReceptionMatter.id)
        )
        return [(matter, opinion) for matter, opinion in rows.all()]

    async def matter_count(self, visitor_id: int) -> int:
        found = await self.session.scalar(
            select(func.count(ReceptionMatter.id)).where(ReceptionMatter.visitor_id == visitor_id)
        )
        return int(found or 0)

    async def visitor_count(self, reception_id: int) -> int:
        found = await self.session.scalar(
            select(func.count(ReceptionVisitor.id)).where(ReceptionVisitor.reception_id == reception_id)
        )
        return int(found or 0)

    async def routed_opinion_ids(self, visitor_id: int) -> list[int]:
        rows = await self.session.scalars(
            select(ReceptionMatter.opinion_id)
            .where(
                ReceptionMatter.visitor_id == visitor_id,
                ReceptionMatter.outcome == MatterOutcome.ROUTED.value,
                ReceptionMatter.opinion_id.is_not(None),
            )
            .order_by(ReceptionMatter.id)
        )
        return [int(i) for i in rows.all() if i is not None]

    async def bound_by_phone(self, phone: str) -> Person | None:
        """The person bound in Telegram with this phone (the earliest, when several), if any."""
        return await self.session.scalar(
            select(Person)
            .where(Person.phone == phone, Person.telegram_id.is_not(None))
            .order_by(Person.id)
            .limit(1)
        )

    # -- links ------------------------------------------------------------------------------------

    async def links_of(self, visitor_id: int) -> Sequence[VisitorLink]:
        rows = await self.session.scalars(
            select(VisitorLink).where(VisitorLink.visitor_id == visitor_id).order_by(VisitorLink.id)
        )
        return rows.all()

    # -- lists and figures ------------------------------------------------------------------------

    async def recent(
        self, person_id: int, deputy_id: int | None, limit: int
    ) -> list[tuple[Reception, Station | None]]:
        """The entries this person keeps (or, for older rows, received as the deputy), newest first."""
        mine = Reception.recorded_by_person_id == person_id
        rows = await self.session.execute(
            select(Reception, Station)
            .outerjoin(Station, Station.id == Reception.station_id)
            .where(
                or_(mine, Reception.deputy_id == deputy_id) if deputy_id is not None else mine,
                Reception.deleted_at.is_(None),
            )
            .order_by(Reception.day.desc(), Reception.id.desc())
            .limit(limit)
        )
        return [(reception, station) for reception, station in rows.all()]

    async def registrations(self, reception_ids: Iterable[int]) -> dict[int, tuple[list[int], list[str]]]:
        """Per entry: its visitors' ids and its matters' outcomes (what its figures are derived from)."""
        ids = list(reception_ids)
        out: dict[int, tuple[list[int], list[str]]] = {i: ([], []) for i in ids}
        if not ids:
            return out
        for reception_id, visitor_id in await self.session.execute(
            select(ReceptionVisitor.reception_id, ReceptionVisitor.id).where(
                among(ReceptionVisitor.reception_id, ids)
            )
        ):
            out[reception_id][0].append(visitor_id)
        for reception_id, outcome in await self.session.execute(
            select(ReceptionMatter.reception_id, ReceptionMatter.outcome).where(
                among(ReceptionMatter.reception_id, ids)
            )
        ):
            out[reception_id][1].append(outcome)
        return out

    async def entry_totals(self, start: date | None, end: date | None) -> list[tuple[int | None, ...]]:
        """`entry_sums` added up per (deputy, station) in SQL, each entry counted as
        bot/receptions/figures.py `of_entry` counts it: (deputy_id, station_id, receptions, people, paper,
        home_visits, matters, resolved, routed) — a province's 200,000 entries become a few thousand rows."""
        each = self._entry_sums_query(start, end).subquery("entry")
        legacy, visited = each.c.legacy == true(), each.c.visitors > 0
        registered = and_(each.c.legacy == false(), visited)

        def when(cond: Any, value: Any) -> Any:
            return func.coalesce(func.sum(case((cond, value), else_=0)), 0)

        query = select(
            each.c.deputy_id,
            each.c.station_id,
            when(legacy, 1) + when(and_(registered, each.c.kind != DiaryKind.HOME_VISIT.value), 1),
            when(legacy, func.coalesce(each.c.people, 0)) + when(registered, each.c.visitors),
            when(legacy, each.c.paper),
            when(and_(registered, each.c.kind == DiaryKind.HOME_VISIT.value), 1),
            when(registered, each.c.resolved + each.c.routed),
            when(registered, each.c.resolved),
            when(registered, each.c.routed),
        ).group_by(each.c.deputy_id, each.c.station_id)
        rows = (await self.session.execute(query)).all()
        return [(d, st, *(int(v) for v in sums)) for d, st, *sums in rows]

    def _entry_sums_query(self, start: date | None, end: date | None) -> Any:
        """(deputy_id, station_id, kind, legacy, people, paper, visitors, resolved, routed) per entry."""
        # The visitors and matters of the period's entries only: a month reads a month's.
        bounded = start is not None or end is not None
        entries = select(Reception.id)
        if start is not None:
            entries = entries.where(Reception.day >= start)
        if end is not None:
            entries = entries.where(Reception.day <= end)
        visitors = (
            select(ReceptionVisitor.reception_id.label("rid"), func.count(ReceptionVisitor.id).label("n"))
            .where(ReceptionVisitor.reception_id.in_(entries) if bounded else true())
            .group_by(ReceptionVisitor.reception_id)
            .subquery()
        )
        resolved = case((ReceptionMatter.outcome == MatterOutcome.RESOLVED.value, 1), else_=0)
        routed = case((ReceptionMatter.outcome == MatterOutcome.ROUTED.value, 1), else_=0)
        matters = (
            select(
                ReceptionMatter.reception_id.label("rid"),
                func.sum(resolved).label("resolved"),
                func.sum(routed).label("routed"),
            )
            .where(ReceptionMatter.reception_id.in_(entries) if bounded else true())
            .group_by(ReceptionMatter.reception_id)
            .subquery()
        )
        query = (
            select(
                Reception.deputy_id,
                Reception.station_id,
                Reception.kind,
                Reception.legacy,
                Reception.people,
                func.coalesce(Reception.opinions_paper, 0).label("paper"),
                func.coalesce(visitors.c.n, 0).label("visitors"),
                func.coalesce(matters.c.resolved, 0).label("resolved"),
                func.coalesce(matters.c.routed, 0).label("routed"),
            )
            .outerjoin(visitors, visitors.c.rid == Reception.id)
            .outerjoin(matters, matters.c.rid == Reception.id)
            .where(Reception.deleted_at.is_(None))
        )
        if start is not None:
            query = query.where(Reception.day >= start)
        if end is not None:
            query = query.where(Reception.day <= end)
        return query

    async def entry_sums(self, start: date | None, end: date | None) -> list[EntrySums]:
        """Every entry (not deleted) whose day is in start..end inclusive (None: open), with the number
        of its visitors and of its matters resolved on the spot and routed, in one statement."""
        query = self._entry_sums_query(start, end)
        rows = (await self.session.execute(query)).all()
        return [
            EntrySums(
                deputy_id,
                station_id,
                kind,
                bool(legacy),
                people,
                int(paper or 0),
                int(n),
                int(res),
                int(rou),
            )
            for deputy_id, station_id, kind, legacy, people, paper, n, res, rou in rows
        ]
