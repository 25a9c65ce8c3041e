"""Meetings and trainings (the one source of points typed in by staff): a meeting or training held on a day,
recorded with the codes of the deputies who attended; more attendees added, one taken off. Each change
recomputes the attendees' lines of that year and is audited; refusals too."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.people.roles import is_staff
from bot.points.rules import ActivityKind
from bot.points.service import MIN_YEAR, Outcome, PointsService, Problem
from storage.models import Person
from storage.models.points import ActivityRecord, Attendance

__all__ = ["MAX_TITLE", "Activities"]

MAX_TITLE = 200


class Activities(PointsService):
    """Staff's record of meetings and trainings, inside the caller's unit of work."""

    async def _attendees(self, person: Person, codes: Sequence[str], stage: str) -> tuple[Outcome, list[int]]:
        if not codes:
            return await self.refuse(person, Problem.NO_ATTENDEES, stage), []
        found = await self.uow.points.deputy_ids_by_code(codes)
        unknown = tuple(code for code in codes if code not in found)
        if unknown:
            await self.refuse(person, Problem.UNKNOWN_CODES, stage, codes=list(unknown[:20]))
            return Outcome(False, Problem.UNKNOWN_CODES, unknown), []
        return Outcome(True), [found[code] for code in codes]

    async def record_activity(
        self,
        person: Person,
        kind: ActivityKind,
        day: date | None,
        title: str,
        codes: Sequence[str],
        now: datetime,
    ) -> Outcome:
        """Staff record a meeting or training held on a day (not a coming one) with its attendees."""
        if not is_staff(person):
            return await self.refuse(person, Problem.NOT_STAFF, "activity")
        if day is None or day > self.today(now) or day.year < MIN_YEAR:
            return await self.refuse(person, Problem.BAD_DAY, "activity")
        title = " ".join(title.split())
        if not title or len(title) > MAX_TITLE:
            return await self.refuse(person, Problem.BAD_TITLE, "activity")
        checked, deputy_ids = await self._attendees(person, codes, "activity")
        if not checked.ok:
            return checked
        activity = await self.uow.points.add_activity(
            ActivityRecord(
                kind=kind.value, day=day, title=title, created_at=now, created_by_person_id=person.id
            )
        )
        await self._attend(person, activity, deputy_ids, now)
        await self._audit(
            person,
            "points.activity_recorded",
            "activity",
            activity.id,
            kind=kind.value,
            day=day.isoformat(),
            title=title,
            deputies=deputy_ids,
        )
        return Outcome(True, changed=len(deputy_ids), object_id=activity.id)

    async def _attend(
        self, person: Person, activity: ActivityRecord, deputy_ids: Sequence[int], now: datetime
    ) -> None:
        await self.uow.points.add_attendances(
            Attendance(activity_id=activity.id, deputy_id=d, recorded_at=now, recorded_by_person_id=person.id)
            for d in deputy_ids
        )
        await self.recompute(activity.day.year, now, deputy_ids)

    async def add_attendees(
        self, person: Person, activity_id: int, codes: Sequence[str], now: datetime
    ) -> Outcome:
        """More attendees of a recorded meeting or training (those already there are left as they are)."""
        if not is_staff(person):
            return await self.refuse(person, Problem.NOT_STAFF, "attendees", activity_id=activity_id)
        activity = await self.uow.points.activity(activity_id)
        if activity is None:
            return await self.refuse(person, Problem.NOT_FOUND, "attendees", activity_id=activity_id)
        checked, deputy_ids = await self._attendees(person, codes, "attendees")
        if not checked.ok:
            return checked
        there = await self.uow.points.attending(activity_id)
        new = [d for d in deputy_ids if d not in there]
        if new:
            await self._attend(person, activity, new, now)
            await self._audit(person, "points.attendance_added", "activity", activity.id, deputies=new)
        return Outcome(True, changed=len(new), object_id=activity.id)

    async def remove_attendance(self, person: Person, attendance_id: int, now: datetime) -> Outcome:
        """An attendee recorded by mistake taken off (their line goes with the recompute)."""
        if not is_staff(person):
            return await self.refuse(person, Problem.NOT_STAFF, "unattend", attendance_id=attendance_id)
        attendance = await self.uow.points.attendance(attendance_id)
        if attendance is None:
            return await self.refuse(person, Problem.NOT_FOUND, "unattend", attendance_id=attendance_id)
        activity = await self.uow.points.activity(attendance.activity_id)
        assert activity is not None  # the attendance row cascades with its activity
        deputy_id = attendance.deputy_id
        await self.uow.points.remove_attendance(attendance)
        await self.recompute(activity.day.year, now, [deputy_id])
        await self._audit(person, "points.attendance_removed", "activity", activity.id, deputy_id=deputy_id)
        return Outcome(True, changed=1, object_id=activity.id)
