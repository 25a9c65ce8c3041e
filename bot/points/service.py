"""Performance points (履职积分): who may see and change what, the yearly rules, recomputing a year's lines,
staff adjustments (the meetings and trainings staff record: bot/points/activities.py).

Lines are never typed: `recompute` reads the year's records (bot/points/sources.py), prices them with the
year's rules (bot/points/rules.py) and replaces the year's lines in one transaction, under a lock on the
year's row — so recomputing gives the same lines, and two recomputes never interleave. A rule edit, a
copied table or a recorded meeting recomputes what it changes; the runtime recomputes the current year
nightly, and a deputy's `/points` their own lines first. Every change and every refusal is audited.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.people.roles import is_staff
from bot.points.reading import Statement, statement
from bot.points.rules import (
    DEFAULT_RULES,
    KIND_ORDER,
    Line,
    PointKind,
    Price,
    rule_problem,
    year_span,
)
from bot.points.rules import price as price_lines
from bot.points.sources import gather
from storage.models import Person
from storage.models.points import PointAdjustment, PointRule
from storage.repos.points import DeputyRow
from storage.unit_of_work import UnitOfWork

__all__ = [
    "AUDIT_REFUSED",
    "MAX_ADJUSTMENT",
    "MAX_REASON",
    "MIN_YEAR",
    "Access",
    "Outcome",
    "PointsService",
    "Problem",
    "parse_codes",
]

AUDIT_REFUSED = "points.refused"
MIN_YEAR = 2000
MAX_ADJUSTMENT = 1000
MAX_REASON = 300
MAX_CODES = 500


class Problem(enum.StrEnum):
    """Why a request is refused (the views say each plainly)."""

    NOT_STAFF = "not_staff"
    NOT_DEPUTY = "not_deputy"
    NOT_FOUND = "not_found"
    BAD_YEAR = "bad_year"
    PAST_YEAR = "past_year"
    POINTS_RANGE = "points_range"
    DEDUCTION_POSITIVE = "deduction_positive"
    AWARD_NEGATIVE = "award_negative"
    CAP_RANGE = "cap_range"
    NO_LAST_YEAR = "no_last_year"
    BAD_ADJUSTMENT = "bad_adjustment"
    BAD_REASON = "bad_reason"
    BAD_DAY = "bad_day"
    BAD_TITLE = "bad_title"
    UNKNOWN_CODES = "unknown_codes"
    NO_ATTENDEES = "no_attendees"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    problem: Problem | None = None
    detail: tuple[str, ...] = ()  # the unknown codes, for UNKNOWN_CODES
    changed: int = 0  # rules changed, attendees added, …
    object_id: int | None = None


@dataclass(frozen=True)
class Access:
    """Whose points a `/points` shows: a deputy, or why not (`problem`); `usage` for staff without a code."""

    deputy: DeputyRow | None = None
    problem: Problem | None = None
    usage: bool = False
    others: bool = False  # staff looking at another deputy


def parse_codes(text: str) -> list[str]:
    """Deputy codes from a form: separated by spaces, commas (also 、，) or lines; each at most 32 long."""
    for sep in ",，、;；\n\r\t":
        text = text.replace(sep, " ")
    return list(dict.fromkeys(code[:32] for code in text.split() if code))[:MAX_CODES]


@dataclass
class PointsService:
    """Inside the caller's unit of work (the service flushes; the caller commits)."""

    uow: UnitOfWork
    zone: ZoneInfo

    def today(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()

    def year_now(self, now: datetime) -> int:
        return self.today(now).year

    def year_ok(self, year: int, now: datetime) -> bool:
        """A year points can be asked for: from 2000 to next year (whose rules staff may prepare)."""
        return MIN_YEAR <= year <= self.year_now(now) + 1

    async def refuse(self, person: Person | None, problem: Problem, stage: str, **detail: object) -> Outcome:
        """Audit a refusal (who, what, why) and say it."""
        await self.uow.audit.record(
            AUDIT_REFUSED,
            actor_person_id=person.id if person else None,
            actor_telegram_id=person.telegram_id if person else None,
            allowed=False,
            reason=problem.value,
            stage=stage,
            **detail,
        )
        return Outcome(False, problem)

    async def _audit(
        self, person: Person, action: str, object_type: str, object_id: int | str, **detail: object
    ) -> None:
        await self.uow.audit.record(
            action,
            actor_person_id=person.id,
            actor_telegram_id=person.telegram_id,
            object_type=object_type,
            object_id=object_id,
            **detail,
        )

    # -- who sees what ---------------------------------------------------------------------------------

    async def whose(self, person: Person, code: str | None) -> Access:
        """`/points` (one's own) or `/points CODE` (staff only): whose year to show, refusals audited."""
        if code is not None:
            if not is_staff(person):
                await self.refuse(person, Problem.NOT_STAFF, "points", code=code[:32])
                return Access(problem=Problem.NOT_STAFF)
            found = await self.uow.points.deputy_by_code(code)
            if found is None:
                return Access(problem=Problem.NOT_FOUND)
            own = person.deputy is not None and person.deputy.id == found.deputy_id
            return Access(found, others=not own)
        if person.deputy is not None:
            return Access(await self.uow.points.deputy(person.deputy.id))
        if is_staff(person):
            return Access(usage=True)
        await self.refuse(person, Problem.NOT_DEPUTY, "points")
        return Access(problem=Problem.NOT_DEPUTY)

    async def may_see(self, person: Person, deputy_id: int, stage: str) -> Outcome:
        """A page button of a deputy's points: the deputy, or staff; anyone else refused (audited)."""
        if person.deputy is not None and person.deputy.id == deputy_id:
            return Outcome(True)
        if not is_staff(person):
            return await self.refuse(person, Problem.NOT_STAFF, stage, deputy_id=deputy_id)
        if await self.uow.points.deputy(deputy_id) is None:
            return await self.refuse(person, Problem.NOT_FOUND, stage, deputy_id=deputy_id)
        return Outcome(True)

    async def deputy(self, deputy_id: int) -> DeputyRow | None:
        return await self.uow.points.deputy(deputy_id)

    async def year_of(self, person: Person, deputy: DeputyRow, year: int, now: datetime) -> Statement:
        """The deputy's year, their lines recomputed first (so today's check-in shows at once); staff
        reading another deputy's points is audited, as the statistics are."""
        await self.recompute(year, now, [deputy.deputy_id])
        if person.deputy is None or person.deputy.id != deputy.deputy_id:
            await self._audit(person, "points.viewed", "deputy", deputy.deputy_id, year=year)
        return await statement(self.uow, deputy, year, self.zone)

    # -- the rules -------------------------------------------------------------------------------------

    async def rules(self, year: int, now: datetime) -> list[PointRule]:
        """The year's rules in the kinds' order, the default table seeded the first time a year is read."""
        await self.uow.points.lock_year(year)
        rules = {PointKind(r.kind): r for r in await self.uow.points.rules(year) if r.kind in set(PointKind)}
        missing = [kind for kind in KIND_ORDER if kind not in rules]
        if missing:
            seeded = [
                PointRule(
                    year=year,
                    kind=kind.value,
                    points=DEFAULT_RULES[kind].points,
                    cap=DEFAULT_RULES[kind].cap,
                    active=True,
                    revision=1,
                    updated_at=now,
                )
                for kind in missing
            ]
            await self.uow.points.add_rules(seeded)
            rules.update({PointKind(r.kind): r for r in seeded})
        return [rules[kind] for kind in KIND_ORDER]

    async def _editable(self, person: Person, year: int, now: datetime, stage: str) -> Outcome:
        if not is_staff(person):
            return await self.refuse(person, Problem.NOT_STAFF, stage, year=year)
        if not self.year_ok(year, now):
            return await self.refuse(person, Problem.BAD_YEAR, stage, year=year)
        if year < self.year_now(now):
            # A past year's table is what its lines were priced by: it stays as it was.
            return await self.refuse(person, Problem.PAST_YEAR, stage, year=year)
        return Outcome(True)

    async def edit_rule(
        self,
        person: Person,
        year: int,
        kind: PointKind,
        points: int,
        cap: int | None,
        active: bool,
        now: datetime,
    ) -> Outcome:
        """Staff change one rule of this year (or next): audited with the old and new values, a new
        revision, the year's lines recomputed."""
        allowed = await self._editable(person, year, now, "rule")
        if not allowed.ok:
            return allowed
        problem = rule_problem(kind, points, cap)
        if problem is not None:
            return await self.refuse(
                person, Problem(problem), "rule", year=year, kind=kind.value, points=points
            )
        rule = next(r for r in await self.rules(year, now) if r.kind == kind)
        before = _set(person, rule, points, cap, active, now)
        if before is None:
            return Outcome(True, changed=0, object_id=rule.id)
        await self._audit_rule(person, rule, "points.rule_changed", before)
        await self.recompute(year, now)
        return Outcome(True, changed=1, object_id=rule.id)

    async def _audit_rule(
        self, person: Person, rule: PointRule, action: str, before: dict[str, object]
    ) -> None:
        after = {"points": rule.points, "cap": rule.cap, "active": rule.active, "revision": rule.revision}
        await self._audit(
            person, action, "point_rule", rule.id, year=rule.year, kind=rule.kind, old=before, new=after
        )

    async def copy_last_year(self, person: Person, year: int, now: datetime) -> Outcome:
        """Staff take last year's table for this year: each rule that differs changes (audited one by one)."""
        allowed = await self._editable(person, year, now, "copy")
        if not allowed.ok:
            return allowed
        last = {r.kind: r for r in await self.uow.points.rules(year - 1)}
        if not last:
            return await self.refuse(person, Problem.NO_LAST_YEAR, "copy", year=year)
        changed = 0
        for rule in await self.rules(year, now):
            source = last.get(rule.kind)
            before = (
                None if source is None else _set(person, rule, source.points, source.cap, source.active, now)
            )
            if before is None:
                continue
            await self._audit_rule(person, rule, "points.rule_copied", before)
            changed += 1
        if changed:
            await self.recompute(year, now)
        return Outcome(True, changed=changed)

    async def prices(self, year: int, now: datetime) -> dict[PointKind, Price]:
        return {
            PointKind(r.kind): Price(r.id, r.revision, r.points, r.cap, r.active)
            for r in await self.rules(year, now)
        }

    # -- computing -------------------------------------------------------------------------------------

    async def recompute(self, year: int, now: datetime, deputy_ids: Iterable[int] | None = None) -> int:
        """Replace the year's lines (or these deputies') with those its records and rules give; returns
        how many. The year's row stays locked to the end of the transaction."""
        row = await self.uow.points.lock_year(year)
        prices = await self.prices(year, now)
        ids = None if deputy_ids is None else sorted(set(deputy_ids))
        sources = await gather(self.uow, year_span(year, self.zone), self.today(now), self.zone, ids)
        lines = price_lines(sources, prices)
        await self.uow.points.replace_lines(year, [_row(year, line, now) for line in lines], ids)
        if ids is None:
            row.computed_at = now
        await self.uow.flush()
        return len(lines)

    async def recompute_by(self, person: Person, year: int, now: datetime) -> Outcome:
        """Staff recompute a year now (the console's button), audited with how many lines it gave."""
        if not is_staff(person):
            return await self.refuse(person, Problem.NOT_STAFF, "recompute", year=year)
        if not self.year_ok(year, now):
            return await self.refuse(person, Problem.BAD_YEAR, "recompute", year=year)
        written = await self.recompute(year, now)
        await self._audit(person, "points.recomputed", "point_year", year, lines=written)
        return Outcome(True, changed=written)

    # -- adjustments -----------------------------------------------------------------------------------

    async def adjust(
        self, person: Person, deputy_id: int, year: int, points: int, reason: str, now: datetime
    ) -> Outcome:
        """Staff add or take off points by hand, with a reason (audited; shown as an adjustment)."""
        if not is_staff(person):
            return await self.refuse(person, Problem.NOT_STAFF, "adjust", deputy_id=deputy_id)
        if await self.uow.points.deputy(deputy_id) is None:
            return await self.refuse(person, Problem.NOT_FOUND, "adjust", deputy_id=deputy_id)
        if not MIN_YEAR <= year <= self.year_now(now):
            return await self.refuse(person, Problem.BAD_YEAR, "adjust", deputy_id=deputy_id, year=year)
        if points == 0 or abs(points) > MAX_ADJUSTMENT:
            return await self.refuse(
                person, Problem.BAD_ADJUSTMENT, "adjust", deputy_id=deputy_id, points=points
            )
        reason = " ".join(reason.split())
        if not reason or len(reason) > MAX_REASON:
            return await self.refuse(person, Problem.BAD_REASON, "adjust", deputy_id=deputy_id)
        row = await self.uow.points.add_adjustment(
            PointAdjustment(
                year=year,
                deputy_id=deputy_id,
                points=points,
                reason=reason,
                created_at=now,
                created_by_person_id=person.id,
            )
        )
        await self._audit(
            person,
            "points.adjusted",
            "deputy",
            deputy_id,
            year=year,
            points=points,
            reason=reason,
            adjustment=row.id,
        )
        return Outcome(True, changed=1, object_id=row.id)


def _set(
    person: Person, rule: PointRule, points: int, cap: int | None, active: bool, now: datetime
) -> dict[str, object] | None:
    """Write the values into the rule as a new revision; the old values, or None when nothing changes."""
    if (rule.points, rule.cap, rule.active) == (points, cap, active):
        return None
    before: dict[str, object] = {
        "points": rule.points,
        "cap": rule.cap,
        "active": rule.active,
        "revision": rule.revision,
    }
    rule.points, rule.cap, rule.active = points, cap, active
    rule.revision += 1
    rule.updated_at, rule.updated_by_person_id = now, person.id
    return before


def _row(year: int, line: Line, now: datetime) -> dict[str, object]:
    s = line.source
    return {
        "year": year,
        "deputy_id": s.deputy_id,
        "kind": s.kind.value,
        "source_type": s.source_type,
        "source_id": s.source_id,
        "day": s.day,
        "quantity": s.quantity,
        "points": line.points,
        "capped": line.capped,
        "station_id": s.station_id,
        "ref": (s.ref or "")[:200] or None,
        "rule_id": line.rule_id,
        "rule_revision": line.rule_revision,
        "computed_at": now,
    }
