"""Station standards and inspection: profiles, rules, the "六有" checklist, files (影像留存), inspectors
(分片包抓), inspections and their rectification items with their history; and the station's activity
records the console shows beside them (receptions, read from their own table)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import aliased, undefer

from storage.models import (
    Deputy,
    DeputyStation,
    Person,
    PersonRole,
    Role,
    SpecialCommitteeMember,
    Station,
)
from storage.models.receptions import Reception, ReceptionVisitor
from storage.models.stations import (
    Rectification,
    RectificationEvent,
    RectificationState,
    StationFile,
    StationInspection,
    StationInspector,
    StationProfile,
    StationRule,
    StationStandard,
)
from storage.repos.base import Repo

OPEN = (RectificationState.OPEN.value, RectificationState.REOPENED.value)


@dataclass(frozen=True)
class StationSummary:
    """One row of the console's station list."""

    station: Station
    met: int  # "六有" items met
    open_items: int  # rectification items not confirmed
    overdue: int  # open or reopened past their due day
    inspectors: int


@dataclass(frozen=True)
class ReceptionRecord:
    """A reception at the station (the activity record the reception diary keeps)."""

    id: int
    day: dt.date
    deputy: str
    people: int
    opinions_paper: int
    note: str | None


class StationRepo(Repo):
    # -- the profile --------------------------------------------------------------------------------

    async def station(self, station_id: int) -> Station | None:
        return await self.session.get(Station, station_id)

    async def profile(self, station_id: int) -> StationProfile | None:
        return await self.session.get(StationProfile, station_id)

    async def add_profile(self, profile: StationProfile) -> StationProfile:
        self.session.add(profile)
        await self.session.flush()
        return profile

    async def rules(self, station_id: int) -> Sequence[StationRule]:
        rows = await self.session.scalars(
            select(StationRule)
            .where(StationRule.station_id == station_id)
            .order_by(StationRule.position, StationRule.id)
        )
        return rows.all()

    async def rule(self, rule_id: int) -> StationRule | None:
        return await self.session.get(StationRule, rule_id)

    async def add_rules(self, rules: Iterable[StationRule]) -> None:
        self.session.add_all(list(rules))
        await self.session.flush()

    async def delete_rule(self, rule: StationRule) -> None:
        await self.session.delete(rule)
        await self.session.flush()

    async def standards(self, station_id: int) -> dict[str, StationStandard]:
        rows = await self.session.scalars(
            select(StationStandard).where(StationStandard.station_id == station_id)
        )
        return {row.item: row for row in rows.all()}

    async def add_standard(self, standard: StationStandard) -> None:
        self.session.add(standard)
        await self.session.flush()

    # -- files (影像留存) ------------------------------------------------------------------------------

    async def add_file(self, file: StationFile) -> StationFile:
        self.session.add(file)
        await self.session.flush()
        return file

    async def files(self, station_id: int) -> Sequence[StationFile]:
        """The station's files, newest first, without their bytes."""
        rows = await self.session.scalars(
            select(StationFile)
            .where(StationFile.station_id == station_id)
            .order_by(StationFile.created_at.desc(), StationFile.id.desc())
        )
        return rows.all()

    async def file_with_data(self, file_id: int) -> StationFile | None:
        """One file with its bytes (a console upload's; a Telegram file's are fetched from Telegram)."""
        return await self.session.scalar(
            select(StationFile).where(StationFile.id == file_id).options(undefer(StationFile.data))
        )

    async def evidence_counts(self, station_id: int) -> dict[str, int]:
        """Files per "六有" item."""
        rows = await self.session.execute(
            select(StationFile.standard_item, func.count(StationFile.id))
            .where(StationFile.station_id == station_id, StationFile.standard_item.is_not(None))
            .group_by(StationFile.standard_item)
        )
        return {item: int(n) for item, n in rows.all()}

    async def files_of_rectification(self, rectification_id: int) -> Sequence[StationFile]:
        rows = await self.session.scalars(
            select(StationFile)
            .where(StationFile.rectification_id == rectification_id)
            .order_by(StationFile.id)
        )
        return rows.all()

    # -- inspectors (分片包抓) -------------------------------------------------------------------------

    async def inspectors(self, station_id: int) -> Sequence[Person]:
        rows = await self.session.scalars(
            select(Person)
            .join(StationInspector, StationInspector.person_id == Person.id)
            .where(StationInspector.station_id == station_id)
            .order_by(StationInspector.id)
        )
        return rows.all()

    async def inspector_ids(self, station_id: int) -> list[int]:
        rows = await self.session.scalars(
            select(StationInspector.person_id)
            .where(StationInspector.station_id == station_id)
            .order_by(StationInspector.id)
        )
        return list(rows.all())

    async def is_inspector(self, person_id: int, station_id: int) -> bool:
        found = await self.session.scalar(
            select(StationInspector.id).where(
                StationInspector.person_id == person_id, StationInspector.station_id == station_id
            )
        )
        return found is not None

    async def stations_inspected_by(self, person_id: int) -> Sequence[Station]:
        rows = await self.session.scalars(
            select(Station)
            .join(StationInspector, StationInspector.station_id == Station.id)
            .where(StationInspector.person_id == person_id)
            .order_by(Station.code)
        )
        return rows.all()

    async def assign(self, station_id: int, person_id: int, by_person_id: int | None) -> bool:
        """Assign an inspector; False when they were assigned already."""
        if await self.is_inspector(person_id, station_id):
            return False
        self.session.add(
            StationInspector(station_id=station_id, person_id=person_id, assigned_by_person_id=by_person_id)
        )
        await self.session.flush()
        return True

    async def unassign(self, station_id: int, person_id: int) -> bool:
        result = await self.session.execute(
            delete(StationInspector).where(
                StationInspector.station_id == station_id, StationInspector.person_id == person_id
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def set_inspectors(self, station_id: int, person_ids: Sequence[int]) -> bool:
        """Make these people the station's inspectors among those with a person code (the network file's
        column); inspectors without a code (staff assigned in the console) are kept. True when that
        changed anything."""
        coded = await self.session.scalars(
            select(StationInspector.person_id)
            .join(Person, Person.id == StationInspector.person_id)
            .where(StationInspector.station_id == station_id, Person.code.is_not(None))
        )
        have, wanted = set(coded.all()), set(person_ids)
        stale = have - wanted
        if stale:
            await self.session.execute(
                delete(StationInspector).where(
                    StationInspector.station_id == station_id, StationInspector.person_id.in_(stale)
                )
            )
        added = [p for p in dict.fromkeys(person_ids) if p not in have]
        for person_id in added:
            if not await self.is_inspector(person_id, station_id):
                self.session.add(StationInspector(station_id=station_id, person_id=person_id))
        await self.session.flush()
        return bool(stale or added)

    async def inspector_codes(self) -> dict[int, list[str]]:
        """Station id → its inspectors' person codes (those with one), for the network file's export."""
        rows = await self.session.execute(
            select(StationInspector.station_id, Person.code)
            .join(Person, Person.id == StationInspector.person_id)
            .where(Person.code.is_not(None))
            .order_by(StationInspector.id)
        )
        out: dict[int, list[str]] = {}
        for station_id, code in rows.all():
            out.setdefault(station_id, []).append(code)
        return out

    async def inspector_candidates(self) -> Sequence[Person]:
        """Who may be assigned: staff, standing-committee members (and presidium), special-committee
        members; by name."""
        roles = (Role.STAFF.value, Role.COMMITTEE_MEMBER.value, Role.PRESIDIUM.value)
        by_role = select(PersonRole.person_id).where(PersonRole.role.in_(roles))
        on_committee = select(SpecialCommitteeMember.person_id)
        rows = await self.session.scalars(
            select(Person)
            .where(Person.id.in_(by_role) | Person.id.in_(on_committee))
            .order_by(Person.name, Person.id)
        )
        return rows.all()

    async def sits_on_a_committee(self, person_id: int) -> bool:
        found = await self.session.scalar(
            select(SpecialCommitteeMember.id).where(SpecialCommitteeMember.person_id == person_id).limit(1)
        )
        return found is not None

    # -- the station's people --------------------------------------------------------------------------

    async def deputies_at(self, station_id: int) -> Sequence[Person]:
        """The people who are deputies of the station, by name."""
        rows = await self.session.scalars(
            select(Person)
            .join(Deputy, Deputy.person_id == Person.id)
            .join(DeputyStation, DeputyStation.deputy_id == Deputy.id)
            .where(DeputyStation.station_id == station_id)
            .order_by(Person.name, Person.id)
        )
        return rows.all()

    async def is_deputy_at(self, person_id: int, station_id: int) -> bool:
        found = await self.session.scalar(
            select(DeputyStation.id)
            .join(Deputy, Deputy.id == DeputyStation.deputy_id)
            .where(Deputy.person_id == person_id, DeputyStation.station_id == station_id)
        )
        return found is not None

    async def stations_of_deputy_person(self, person_id: int) -> Sequence[Station]:
        rows = await self.session.scalars(
            select(Station)
            .join(DeputyStation, DeputyStation.station_id == Station.id)
            .join(Deputy, Deputy.id == DeputyStation.deputy_id)
            .where(Deputy.person_id == person_id)
            .order_by(Station.code)
        )
        return rows.all()

    async def staff_people(self) -> Sequence[Person]:
        rows = await self.session.scalars(
            select(Person)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(PersonRole.role == Role.STAFF.value)
            .order_by(Person.name, Person.id)
        )
        return rows.all()

    # -- inspections and rectification items ----------------------------------------------------------

    async def inspection(self, inspection_id: int) -> StationInspection | None:
        return await self.session.get(StationInspection, inspection_id)

    async def inspection_by_key(self, key: str) -> StationInspection | None:
        return await self.session.scalar(select(StationInspection).where(StationInspection.dialog_key == key))

    async def add_inspection(self, inspection: StationInspection) -> StationInspection:
        self.session.add(inspection)
        await self.session.flush()
        return inspection

    async def inspections(self, station_id: int, limit: int = 50) -> Sequence[StationInspection]:
        rows = await self.session.scalars(
            select(StationInspection)
            .where(StationInspection.station_id == station_id)
            .order_by(StationInspection.held_on.desc(), StationInspection.id.desc())
            .limit(limit)
        )
        return rows.all()

    async def add_items(self, items: Iterable[Rectification]) -> None:
        self.session.add_all(list(items))
        await self.session.flush()

    async def item(self, item_id: int, *, lock: bool = False) -> Rectification | None:
        """One item; `lock`: held until commit (PostgreSQL), so two presses at once act one after the other."""
        query = select(Rectification).where(Rectification.id == item_id)
        if lock and self._dialect() == "postgresql":
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def items(self, station_id: int) -> Sequence[Rectification]:
        """The station's items: not confirmed first, by due day; then the confirmed, newest first."""
        done = case((Rectification.state == RectificationState.CONFIRMED.value, 1), else_=0)
        rows = await self.session.scalars(
            select(Rectification)
            .where(Rectification.station_id == station_id)
            .order_by(done, Rectification.due_on, Rectification.id)
        )
        return rows.all()

    async def items_of_inspection(self, inspection_id: int) -> Sequence[Rectification]:
        rows = await self.session.scalars(
            select(Rectification)
            .where(Rectification.inspection_id == inspection_id)
            .order_by(Rectification.id)
        )
        return rows.all()

    async def due_for_reminder(self, today: dt.date, limit: int = 500) -> Sequence[Rectification]:
        """Open or reopened items due tomorrow or today whose reminder for this due day has not gone out
        (a day the bot was down is caught up while the item is not yet late)."""
        query = (
            select(Rectification)
            .where(
                Rectification.state.in_(OPEN),
                Rectification.due_on >= today,
                Rectification.due_on <= today + dt.timedelta(days=1),
                (Rectification.reminded_for.is_(None)) | (Rectification.reminded_for != Rectification.due_on),
            )
            .order_by(Rectification.id)
            .limit(limit)
        )
        if self._dialect() == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return (await self.session.scalars(query)).all()

    async def add_event(self, event: RectificationEvent) -> None:
        self.session.add(event)
        await self.session.flush()

    async def events(self, item_ids: Sequence[int]) -> Sequence[RectificationEvent]:
        if not item_ids:
            return []
        rows = await self.session.scalars(
            select(RectificationEvent)
            .where(RectificationEvent.rectification_id.in_(item_ids))
            .order_by(RectificationEvent.at, RectificationEvent.id)
        )
        return rows.all()

    async def items_for_person(self, person_id: int, limit: int = 20) -> Sequence[Rectification]:
        """Items this person is responsible for that are not confirmed, by due day."""
        rows = await self.session.scalars(
            select(Rectification)
            .where(
                Rectification.responsible_person_id == person_id,
                Rectification.state != RectificationState.CONFIRMED.value,
            )
            .order_by(Rectification.due_on, Rectification.id)
            .limit(limit)
        )
        return rows.all()

    # -- the console's list and activity records -------------------------------------------------------

    async def summaries(self, today: dt.date, query: str = "") -> list[StationSummary]:
        """Every station (matching `query` in code or name) with its counts, by code."""
        met = (
            select(StationStandard.station_id, func.count(StationStandard.id).label("n"))
            .where(StationStandard.met.is_(True))
            .group_by(StationStandard.station_id)
            .subquery()
        )
        overdue_case = case((Rectification.state.in_(OPEN) & (Rectification.due_on < today), 1), else_=0)
        items = (
            select(
                Rectification.station_id,
                func.count(Rectification.id).label("open"),
                func.sum(overdue_case).label("overdue"),
            )
            .where(Rectification.state != RectificationState.CONFIRMED.value)
            .group_by(Rectification.station_id)
            .subquery()
        )
        inspectors = (
            select(StationInspector.station_id, func.count(StationInspector.id).label("n"))
            .group_by(StationInspector.station_id)
            .subquery()
        )
        stmt = (
            select(
                Station,
                func.coalesce(met.c.n, 0),
                func.coalesce(items.c.open, 0),
                func.coalesce(items.c.overdue, 0),
                func.coalesce(inspectors.c.n, 0),
            )
            .outerjoin(met, met.c.station_id == Station.id)
            .outerjoin(items, items.c.station_id == Station.id)
            .outerjoin(inspectors, inspectors.c.station_id == Station.id)
            .order_by(Station.code)
        )
        if query:
            like = f"%{query}%"
            stmt = stmt.where(Station.code.ilike(like) | Station.name.ilike(like))
        rows = await self.session.execute(stmt)
        return [StationSummary(s, int(m), int(o), int(d), int(i)) for s, m, o, d, i in rows.all()]

    async def receptions_at(self, station_id: int, limit: int = 50) -> list[ReceptionRecord]:
        """The station's receptions (not deleted), newest day first, with who received (the deputy, else
        whoever kept the diary: a liaison officer, staff). People received are the visitors registered
        (bot/receptions); an entry from before registration keeps its typed count; an entry opened and
        left without a visitor is no reception."""
        visitors = (
            select(ReceptionVisitor.reception_id.label("rid"), func.count(ReceptionVisitor.id).label("n"))
            .group_by(ReceptionVisitor.reception_id)
            .subquery()
        )
        receiver, keeper = aliased(Person), aliased(Person)
        count = func.coalesce(visitors.c.n, 0)
        rows = await self.session.execute(
            select(Reception, func.coalesce(receiver.name, keeper.name, ""), count)
            .outerjoin(Deputy, Deputy.id == Reception.deputy_id)
            .outerjoin(receiver, receiver.id == Deputy.person_id)
            .outerjoin(keeper, keeper.id == Reception.recorded_by_person_id)
            .outerjoin(visitors, visitors.c.rid == Reception.id)
            .where(
                Reception.station_id == station_id,
                Reception.deleted_at.is_(None),
                Reception.legacy.is_(True) | (count > 0),
            )
            .order_by(Reception.day.desc(), Reception.id.desc())
            .limit(limit)
        )
        return [
            ReceptionRecord(
                r.id, r.day, name, (r.people or 0) if r.legacy else int(n), r.opinions_paper, r.note
            )
            for r, name, n in rows.all()
        ]

    async def person_names(self, person_ids: Iterable[int | None]) -> dict[int, str]:
        wanted = sorted({i for i in person_ids if i is not None})
        if not wanted:
            return {}
        rows = await self.session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted)))
        return {pid: name for pid, name in rows.all()}
