"""Performance points (履职积分): the records points are computed from (each read as rows that name their
source), the yearly rules, the computed lines, staff adjustments, and the meetings and trainings with
their attendees; the sums the ranking and the yearly table read are GROUP BYs here.

Every source query takes the year's bounds — local days for day columns, UTC instants for timestamps
(the caller turns the congress's local year into both) — and optionally the deputies to read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, delete, func, insert, null, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.lists import among
from storage.models import (
    AuditEntry,
    Deputy,
    DeputyGroup,
    DeputyStation,
    GroupMembership,
    Opinion,
    OpinionEvent,
    OpinionState,
    Person,
    Reception,
    Satisfaction,
    Station,
)
from storage.models.opinions import Duty
from storage.models.points import ActivityRecord, Attendance, PointAdjustment, PointLine, PointRule, PointYear
from storage.models.receptions import ReceptionVisitor
from storage.models.suggestions import Suggestion, SuggestionState
from storage.repos.base import Repo

__all__ = ["Bounds", "DeputyRow", "PointsRepo", "SourceRow"]

# The opinion service's timeline action for a colour warning; its reason is "red:1", "red:2", …
_WARN = "warn"
_ANSWERED_STATES = (OpinionState.ANSWERED, OpinionState.CLOSED)


@dataclass(frozen=True)
class Bounds:
    """A year as the queries read it: its first and last local days, and the UTC instants it spans."""

    first: dt.date
    last: dt.date
    start: dt.datetime  # inclusive
    end: dt.datetime  # exclusive


@dataclass(frozen=True)
class SourceRow:
    """One record a point line may come from, as read (the service turns it into a line)."""

    source_id: int
    deputy_id: int
    at: dt.date | dt.datetime  # a local day, or a UTC instant the service turns into one
    station_id: int | None = None
    ref: str | None = None
    quantity: int = 1


@dataclass(frozen=True)
class DeputyRow:
    deputy_id: int
    name: str
    code: str | None
    level: str


def _only(query: Select[Any], column: Any, deputy_ids: Iterable[int] | None) -> Select[Any]:
    return query if deputy_ids is None else query.where(among(column, sorted(set(deputy_ids))))


class PointsRepo(Repo):
    # -- the sources ---------------------------------------------------------------------------------

    async def _rows(self, query: Select[Any]) -> list[SourceRow]:
        return [SourceRow(*row) for row in (await self.session.execute(query)).all()]

    async def check_ins(self, year: Bounds, deputy_ids: Iterable[int] | None = None) -> list[SourceRow]:
        """Duty days of the year checked in (进站履职), with their station."""
        query = (
            select(Duty.id, Duty.deputy_id, Duty.date, Duty.station_id, Station.name)
            .join(Station, Station.id == Duty.station_id)
            .where(Duty.date >= year.first, Duty.date <= year.last, Duty.checked_in_at.is_not(None))
        )
        return await self._rows(_only(query, Duty.deputy_id, deputy_ids))

    async def missed_duties(
        self, year: Bounds, before: dt.date, deputy_ids: Iterable[int] | None = None
    ) -> list[SourceRow]:
        """Duty days of the year before `before` never checked in. An approved swap moved the day to the
        partner (bot/duty/service.py), so what is left on a deputy's roster is theirs to keep."""
        query = (
            select(Duty.id, Duty.deputy_id, Duty.date, Duty.station_id, Station.name)
            .join(Station, Station.id == Duty.station_id)
            .where(
                Duty.date >= year.first,
                Duty.date <= year.last,
                Duty.date < before,
                Duty.checked_in_at.is_(None),
            )
        )
        return await self._rows(_only(query, Duty.deputy_id, deputy_ids))

    async def receptions(self, year: Bounds, deputy_ids: Iterable[int] | None = None) -> list[SourceRow]:
        """Diary entries of the year that a deputy received at (deleted ones left out), with the people
        received: the visitors registered in it, or a legacy entry's typed count; where: the station, or
        a home visit's place. Entries nobody was registered in come back with 0 (the caller skips them)."""
        # Counted per entry through the visitors' index on reception_id: one deputy's year reads only theirs.
        visitors = (
            select(func.count(ReceptionVisitor.id))
            .where(ReceptionVisitor.reception_id == Reception.id)
            .correlate(Reception)
            .scalar_subquery()
        )
        people = case((Reception.legacy, func.coalesce(Reception.people, 0)), else_=visitors)
        query = (
            select(
                Reception.id,
                Reception.deputy_id,
                Reception.day,
                Reception.station_id,
                func.coalesce(Station.name, Reception.place),
                people,
            )
            .outerjoin(Station, Station.id == Reception.station_id)
            .where(
                Reception.deputy_id.is_not(None),
                Reception.day >= year.first,
                Reception.day <= year.last,
                Reception.deleted_at.is_(None),
            )
        )
        return await self._rows(_only(query, Reception.deputy_id, deputy_ids))

    async def opinions_on_time(
        self, year: Bounds, deputy_ids: Iterable[int] | None = None
    ) -> list[SourceRow]:
        """Opinions answered in the year by their holder no later than the answer deadline (and not
        reopened since: a reopened one waits for its new answer)."""
        query = select(
            Opinion.id, Opinion.holder_deputy_id, Opinion.answered_at, Opinion.station_id, Opinion.tracking_no
        ).where(
            Opinion.state.in_(_ANSWERED_STATES),
            Opinion.holder_deputy_id.is_not(None),
            Opinion.answered_at >= year.start,
            Opinion.answered_at < year.end,
            Opinion.answer_deadline.is_not(None),
            Opinion.answered_at <= Opinion.answer_deadline,
        )
        return await self._rows(_only(query, Opinion.holder_deputy_id, deputy_ids))

    async def opinions_satisfied(
        self, year: Bounds, deputy_ids: Iterable[int] | None = None
    ) -> list[SourceRow]:
        """Opinions closed in the year with the sender's ✅ satisfied verdict, for the deputy who held them."""
        query = select(
            Opinion.id, Opinion.holder_deputy_id, Opinion.closed_at, Opinion.station_id, Opinion.tracking_no
        ).where(
            Opinion.state == OpinionState.CLOSED,
            Opinion.satisfaction == Satisfaction.SATISFIED,
            Opinion.holder_deputy_id.is_not(None),
            Opinion.closed_at >= year.start,
            Opinion.closed_at < year.end,
        )
        return await self._rows(_only(query, Opinion.holder_deputy_id, deputy_ids))

    async def opinions_red(self, year: Bounds, deputy_ids: Iterable[int] | None = None) -> list[SourceRow]:
        """Opinions that turned red while a deputy held them (the sweep's red warning on the timeline),
        once per opinion and holder, dated by the first red warning, which falls in the year."""
        first = func.min(OpinionEvent.at)
        inner = _only(
            select(OpinionEvent.opinion_id, OpinionEvent.from_holder_id, first.label("at"))
            .where(
                OpinionEvent.action == _WARN,
                OpinionEvent.reason.like("red:%"),
                OpinionEvent.from_holder_id.is_not(None),
            )
            .group_by(OpinionEvent.opinion_id, OpinionEvent.from_holder_id)
            .having(first >= year.start, first < year.end),
            OpinionEvent.from_holder_id,
            deputy_ids,
        ).subquery()
        query = select(
            inner.c.opinion_id, inner.c.from_holder_id, inner.c.at, Opinion.station_id, Opinion.tracking_no
        ).join(Opinion, Opinion.id == inner.c.opinion_id)
        rows = (await self.session.execute(query)).all()
        # SQLite hands an aggregate's timestamp back as text, without the column's type.
        return [SourceRow(o, d, _instant(at), s, t) for o, d, at, s, t in rows]

    async def suggestions_filed(
        self, year: Bounds, deputy_ids: Iterable[int] | None = None
    ) -> list[SourceRow]:
        """Suggestions filed in the year and numbered, for the deputy who filed them (withdrawn ones left out)."""
        query = (
            select(Suggestion.id, Deputy.id, Suggestion.filed_at, null(), Suggestion.number)
            .join(Deputy, Deputy.person_id == Suggestion.filer_person_id)
            .where(
                Suggestion.number.is_not(None),
                Suggestion.state != SuggestionState.WITHDRAWN,
                Suggestion.filed_at >= year.start,
                Suggestion.filed_at < year.end,
            )
        )
        return await self._rows(_only(query, Deputy.id, deputy_ids))

    async def attendances(
        self, year: Bounds, kind: str, deputy_ids: Iterable[int] | None = None
    ) -> list[SourceRow]:
        """Attendances of the year's meetings or trainings (`kind`), titled."""
        query = (
            select(Attendance.id, Attendance.deputy_id, ActivityRecord.day, null(), ActivityRecord.title)
            .join(ActivityRecord, ActivityRecord.id == Attendance.activity_id)
            .where(
                ActivityRecord.kind == kind, ActivityRecord.day >= year.first, ActivityRecord.day <= year.last
            )
        )
        return await self._rows(_only(query, Attendance.deputy_id, deputy_ids))

    # -- rules ---------------------------------------------------------------------------------------

    async def lock_year(self, year: int) -> PointYear:
        """The year's row, created if new and locked for the transaction (FOR UPDATE on PostgreSQL;
        SQLite has one writer at a time)."""
        insert_ = postgresql_insert if self._dialect() == "postgresql" else sqlite_insert
        await self.session.execute(insert_(PointYear).values(year=year).on_conflict_do_nothing())
        row = await self.session.scalar(
            select(PointYear)
            .where(PointYear.year == year)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert row is not None
        return row

    async def computed_at(self, year: int) -> dt.datetime | None:
        return await self.session.scalar(select(PointYear.computed_at).where(PointYear.year == year))

    async def rules(self, year: int) -> list[PointRule]:
        return list((await self.session.scalars(select(PointRule).where(PointRule.year == year))).all())

    async def rule(self, rule_id: int) -> PointRule | None:
        return await self.session.get(PointRule, rule_id)

    async def add_rules(self, rules: Iterable[PointRule]) -> None:
        self.session.add_all(list(rules))
        await self.session.flush()

    # -- lines ---------------------------------------------------------------------------------------

    async def replace_lines(
        self, year: int, lines: Sequence[Mapping[str, Any]], deputy_ids: Iterable[int] | None = None
    ) -> None:
        """The year's lines (or these deputies' lines of the year) replaced by `lines`, in one transaction."""
        query = delete(PointLine).where(PointLine.year == year)
        if deputy_ids is not None:
            query = query.where(among(PointLine.deputy_id, sorted(set(deputy_ids))))
        await self.session.execute(query)
        if lines:
            await self.session.execute(insert(PointLine), list(lines))

    async def lines(self, year: int, deputy_id: int) -> list[PointLine]:
        """A deputy's lines of the year, the newest first."""
        query = (
            select(PointLine)
            .where(PointLine.year == year, PointLine.deputy_id == deputy_id)
            .order_by(PointLine.day.desc(), PointLine.kind, PointLine.source_id.desc())
        )
        return list((await self.session.scalars(query)).all())

    async def all_lines(self, year: int) -> list[PointLine]:
        """Every line of the year, in a stable order (tests compare two recomputes)."""
        query = select(PointLine).where(PointLine.year == year)
        query = query.order_by(
            PointLine.deputy_id, PointLine.kind, PointLine.source_type, PointLine.source_id
        )
        return list((await self.session.scalars(query)).all())

    async def kind_sums(self, year: int) -> dict[tuple[int, str], tuple[int, int]]:
        """(deputy id, kind) → (units counted, points) of the year's lines."""
        rows = await self.session.execute(
            select(
                PointLine.deputy_id, PointLine.kind, func.sum(PointLine.quantity), func.sum(PointLine.points)
            )
            .where(PointLine.year == year)
            .group_by(PointLine.deputy_id, PointLine.kind)
        )
        return {(int(d), str(k)): (int(q or 0), int(p or 0)) for d, k, q, p in rows.all()}

    # -- adjustments ---------------------------------------------------------------------------------

    async def add_adjustment(self, adjustment: PointAdjustment) -> PointAdjustment:
        self.session.add(adjustment)
        await self.session.flush()
        return adjustment

    async def adjustments(self, year: int, deputy_id: int) -> list[PointAdjustment]:
        query = (
            select(PointAdjustment)
            .where(PointAdjustment.year == year, PointAdjustment.deputy_id == deputy_id)
            .order_by(PointAdjustment.created_at.desc(), PointAdjustment.id.desc())
        )
        return list((await self.session.scalars(query)).all())

    async def adjustment_sums(self, year: int) -> dict[int, tuple[int, int]]:
        """Deputy id → (adjustments, their points) of the year."""
        rows = await self.session.execute(
            select(PointAdjustment.deputy_id, func.count(), func.sum(PointAdjustment.points))
            .where(PointAdjustment.year == year)
            .group_by(PointAdjustment.deputy_id)
        )
        return {int(d): (int(n), int(p or 0)) for d, n, p in rows.all()}

    # -- deputies, for the ranking -------------------------------------------------------------------

    async def deputies(
        self, *, level: str | None = None, station_id: int | None = None, group_id: int | None = None
    ) -> list[DeputyRow]:
        """Deputies matching the filters (a station's or a group's members), by code."""
        query = select(Deputy.id, Person.name, Person.code, Deputy.level).join(
            Person, Person.id == Deputy.person_id
        )
        if level is not None:
            query = query.where(Deputy.level == level)
        if station_id is not None:
            query = query.where(
                select(DeputyStation.id)
                .where(DeputyStation.deputy_id == Deputy.id, DeputyStation.station_id == station_id)
                .exists()
            )
        if group_id is not None:
            query = query.where(
                select(GroupMembership.id)
                .where(GroupMembership.deputy_id == Deputy.id, GroupMembership.group_id == group_id)
                .exists()
            )
        rows = await self.session.execute(query.order_by(Person.code, Deputy.id))
        return [DeputyRow(int(d), name, code, level) for d, name, code, level in rows.all()]

    async def deputy(self, deputy_id: int) -> DeputyRow | None:
        row = (
            await self.session.execute(
                select(Deputy.id, Person.name, Person.code, Deputy.level)
                .join(Person, Person.id == Deputy.person_id)
                .where(Deputy.id == deputy_id)
            )
        ).first()
        return DeputyRow(int(row[0]), row[1], row[2], row[3]) if row is not None else None

    async def deputy_by_code(self, code: str) -> DeputyRow | None:
        row = (
            await self.session.execute(
                select(Deputy.id, Person.name, Person.code, Deputy.level)
                .join(Person, Person.id == Deputy.person_id)
                .where(Person.code == code)
            )
        ).first()
        return DeputyRow(int(row[0]), row[1], row[2], row[3]) if row is not None else None

    async def deputy_ids_by_code(self, codes: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(Person.code, Deputy.id)
            .join(Deputy, Deputy.person_id == Person.id)
            .where(among(Person.code, wanted))
        )
        return {str(code): int(did) for code, did in rows.all()}

    async def stations_of(self, deputy_ids: Iterable[int] | None = None) -> dict[int, list[str]]:
        """Deputy id → the names of the stations they serve at, by station code."""
        query = select(DeputyStation.deputy_id, Station.name).join(
            Station, Station.id == DeputyStation.station_id
        )
        rows = await self.session.execute(
            _only(query, DeputyStation.deputy_id, deputy_ids).order_by(Station.code)
        )
        out: dict[int, list[str]] = {}
        for deputy_id, name in rows.all():
            out.setdefault(int(deputy_id), []).append(name)
        return out

    async def groups_of(self, deputy_ids: Iterable[int] | None = None) -> dict[int, list[str]]:
        """Deputy id → the names of their deputy groups, by group code."""
        query = select(GroupMembership.deputy_id, DeputyGroup.name).join(
            DeputyGroup, DeputyGroup.id == GroupMembership.group_id
        )
        rows = await self.session.execute(
            _only(query, GroupMembership.deputy_id, deputy_ids).order_by(DeputyGroup.code)
        )
        out: dict[int, list[str]] = {}
        for deputy_id, name in rows.all():
            out.setdefault(int(deputy_id), []).append(name)
        return out

    async def station_choices(self) -> list[tuple[int, str, str]]:
        """(id, code, name) of the stations that have deputies, by code: the ranking's filter."""
        rows = await self.session.execute(
            select(Station.id, Station.code, Station.name)
            .where(select(DeputyStation.id).where(DeputyStation.station_id == Station.id).exists())
            .order_by(Station.code)
        )
        return [(int(i), c, n) for i, c, n in rows.all()]

    async def group_choices(self) -> list[tuple[int, str, str]]:
        rows = await self.session.execute(
            select(DeputyGroup.id, DeputyGroup.code, DeputyGroup.name).order_by(DeputyGroup.code)
        )
        return [(int(i), c, n) for i, c, n in rows.all()]

    async def station_codes(self, station_ids: Iterable[int]) -> dict[int, str]:
        ids = sorted(set(station_ids))
        if not ids:
            return {}
        rows = await self.session.execute(select(Station.id, Station.code).where(among(Station.id, ids)))
        return {int(i): str(c) for i, c in rows.all()}

    async def rule_history(
        self, rule_ids: Iterable[int], limit: int = 200
    ) -> list[tuple[AuditEntry, str | None]]:
        """The audited changes of these rules (who, when, old, new), the latest first, with who made them."""
        ids = [str(i) for i in sorted(set(rule_ids))]
        if not ids:
            return []
        rows = await self.session.execute(
            select(AuditEntry, Person.name)
            .outerjoin(Person, Person.id == AuditEntry.actor_person_id)
            .where(
                AuditEntry.object_type == "point_rule",
                among(AuditEntry.object_id, ids),
                AuditEntry.allowed.is_(True),
            )
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
        return [(entry, name) for entry, name in rows.all()]

    # -- meetings and trainings ----------------------------------------------------------------------

    async def add_activity(self, activity: ActivityRecord) -> ActivityRecord:
        self.session.add(activity)
        await self.session.flush()
        return activity

    async def activity(self, activity_id: int) -> ActivityRecord | None:
        return await self.session.get(ActivityRecord, activity_id)

    async def activities(self, first: dt.date, last: dt.date) -> list[tuple[ActivityRecord, int]]:
        """The meetings and trainings between the days with how many attended, the latest first."""
        count = (
            select(func.count(Attendance.id))
            .where(Attendance.activity_id == ActivityRecord.id)
            .scalar_subquery()
        )
        rows = await self.session.execute(
            select(ActivityRecord, count)
            .where(ActivityRecord.day >= first, ActivityRecord.day <= last)
            .order_by(ActivityRecord.day.desc(), ActivityRecord.id.desc())
        )
        return [(a, int(n)) for a, n in rows.all()]

    async def attendees(self, activity_id: int) -> list[tuple[Attendance, str, str | None]]:
        """(attendance, name, code) of an activity's attendees, by code."""
        rows = await self.session.execute(
            select(Attendance, Person.name, Person.code)
            .join(Deputy, Deputy.id == Attendance.deputy_id)
            .join(Person, Person.id == Deputy.person_id)
            .where(Attendance.activity_id == activity_id)
            .order_by(Person.code, Attendance.id)
        )
        return [(a, name, code) for a, name, code in rows.all()]

    async def attending(self, activity_id: int) -> set[int]:
        rows = await self.session.scalars(
            select(Attendance.deputy_id).where(Attendance.activity_id == activity_id)
        )
        return {int(d) for d in rows.all()}

    async def add_attendances(self, attendances: Iterable[Attendance]) -> None:
        self.session.add_all(list(attendances))
        await self.session.flush()

    async def activity_ids(self, attendance_ids: Iterable[int]) -> dict[int, int]:
        """Attendance id → its meeting's or training's id."""
        ids = sorted(set(attendance_ids))
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Attendance.id, Attendance.activity_id).where(among(Attendance.id, ids))
        )
        return {int(a): int(b) for a, b in rows.all()}

    async def attendance(self, attendance_id: int) -> Attendance | None:
        return await self.session.get(Attendance, attendance_id)

    async def remove_attendance(self, attendance: Attendance) -> None:
        await self.session.delete(attendance)
        await self.session.flush()


def _instant(value: object) -> dt.datetime:
    """A timestamp from an aggregate: a datetime on PostgreSQL, text on SQLite; always aware UTC."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
