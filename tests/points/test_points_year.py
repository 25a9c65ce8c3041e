"""Performance points computed from a simulated year, on SQLite and PostgreSQL: a seeded generator writes a
year of records (duty days checked in, missed and swapped; receptions, some deleted; opinions answered on
time, late, reopened, closed satisfied or not, gone red with and without a holder; suggestions numbered,
withdrawn, drafts, one by staff; meetings and trainings), then the points the service computes must
equal a count written plainly here, kind by kind and deputy by deputy; recomputing gives the same lines.
Rules version per year: editing this year's table never touches last year's lines.

The network is tests/data/network_e2e.yaml (deputies P1, M1, D1, D2, D3; stations H1, V1, V2).
The clock stands at 10:00 Shanghai on Tuesday 10 March 2026, so 2025 is a finished year.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.network import import_network
from bot.points.activities import Activities
from bot.points.reading import Filters, ranking, statement
from bot.points.rules import ActivityKind, PointKind
from bot.points.service import PointsService, Problem
from storage.models import (
    AuditEntry,
    Deputy,
    DeputyStation,
    Opinion,
    OpinionEvent,
    Person,
    Reception,
    ReceptionVisitor,
    Role,
    Station,
)
from storage.models.duty import DutySwap, SwapState
from storage.models.opinions import Duty
from storage.models.points import ActivityRecord, Attendance, PointLine
from storage.models.suggestions import Suggestion
from storage.unit_of_work import UnitOfWork
from tests.conftest import ROOT

NETWORK = ROOT / "tests" / "data" / "network_e2e.yaml"
ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
YEAR = 2025
Uow = Callable[[], UnitOfWork]

# The default table, as a reader of DEFAULT_RULES would write it down: points a unit, cap a year.
PRICE = {
    "duty_check_in": (2, None),
    "visitor": (1, 60),
    "opinion_on_time": (2, None),
    "opinion_satisfied": (1, None),
    "suggestion_filed": (5, 30),
    "meeting": (2, None),
    "training": (3, None),
    "duty_missed": (-3, None),
    "opinion_red": (-2, None),
}


def local(day: date, hour: int = 10) -> datetime:
    """A Shanghai wall-clock time as the aware UTC instant the database stores."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZONE).astimezone(UTC)


@dataclass
class Expected:
    """What each deputy should get, counted plainly while the records are made: units per kind."""

    units: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    reception_lines: int = 0  # visitors are counted in people, their lines in diary entries

    def add(self, deputy: int, kind: str, n: int = 1) -> None:
        self.units[deputy][kind] += n

    def points(self, deputy: int, kind: str) -> int:
        per, cap = PRICE[kind]
        raw = self.units[deputy][kind] * per
        return raw if cap is None else min(raw, cap)

    def total(self, deputy: int) -> int:
        return sum(self.points(deputy, kind) for kind in PRICE)


@dataclass
class World:
    deputies: dict[str, int]  # code → deputy id
    persons: dict[str, int]  # code → person id
    stations: dict[str, int]
    staff: Person
    expected: Expected


async def simulate(u: UnitOfWork, rng: random.Random, world: World) -> None:
    """A year of records for every deputy, with the expected units written down beside each."""
    exp, deputies, stations = world.expected, world.deputies, world.stations
    home = {code: ("V1" if code in ("D1", "D2") else "V2" if code == "D3" else "H1") for code in deputies}
    codes = sorted(deputies)
    serial = 0

    # Duty days: checked in, missed, or swapped to another deputy (the row moves, as the service moves it).
    for code in codes:
        for day in sorted(rng.sample(range(1, 365), 14)):
            when = date(YEAR, 1, 1) + timedelta(days=day)
            holder = code
            swapped = rng.random() < 0.15
            if swapped:
                holder = rng.choice([c for c in codes if c != code])
            checked = rng.random() < 0.65
            duty = Duty(
                deputy_id=deputies[holder],
                station_id=stations[home[code]],
                date=when,
                checked_in_at=local(when) if checked else None,
            )
            u.session.add(duty)
            await u.session.flush()
            if swapped:
                u.session.add(
                    DutySwap(
                        duty_id=duty.id,
                        station_id=duty.station_id,
                        day=when,
                        requester_deputy_id=deputies[code],
                        partner_deputy_id=deputies[holder],
                        state=SwapState.APPROVED,
                    )
                )
            exp.add(deputies[holder], "duty_check_in" if checked else "duty_missed")
    # Duty days of the next year: past ones count there, not here; coming ones are not missed yet.
    for day in (date(2026, 1, 5), date(2026, 3, 9), date(2026, 3, 10), date(2026, 4, 1)):
        u.session.add(Duty(deputy_id=deputies["D1"], station_id=stations["V1"], date=day))

    # Receptions (民情日记): visitors registered at a station or on a home visit, or a legacy entry's typed
    # count; deleted entries, entries nobody was registered in and those kept without a deputy count nothing.
    for code in codes:
        for _ in range(rng.randint(2, 9)):
            legacy = rng.random() < 0.3
            people = rng.randint(1 if legacy else 0, 15)
            deleted = rng.random() < 0.2
            visit = not legacy and rng.random() < 0.25
            entry = Reception(
                deputy_id=deputies[code],
                kind="home_visit" if visit else "station",
                station_id=None if visit else stations[home[code]],
                place="李家村三组" if visit else None,
                day=date(YEAR, rng.randint(1, 12), rng.randint(1, 28)),
                legacy=legacy,
                people=people if legacy else None,
                deleted_at=NOW if deleted else None,
            )
            u.session.add(entry)
            await u.session.flush()
            if not legacy:
                u.session.add_all(
                    ReceptionVisitor(reception_id=entry.id, number=n + 1, anonymous=True)
                    for n in range(people)
                )
            if not deleted and people:
                exp.add(deputies[code], "visitor", people)
                exp.reception_lines += 1
    # A crowded day for D1: the yearly cap of visitors (60) is reached whatever the draw.
    u.session.add(
        Reception(
            deputy_id=deputies["D1"], station_id=stations["V1"], day=date(YEAR, 6, 6), legacy=True, people=61
        )
    )
    exp.add(deputies["D1"], "visitor", 61)
    exp.reception_lines += 1
    kept = Reception(
        deputy_id=None, station_id=stations["V1"], day=date(YEAR, 5, 5), recorded_by_person_id=world.staff.id
    )
    u.session.add(kept)
    await u.session.flush()
    u.session.add(ReceptionVisitor(reception_id=kept.id, number=1, anonymous=True))
    u.session.add(
        Reception(
            deputy_id=deputies["D1"], station_id=stations["V1"], day=date(2026, 1, 2), legacy=True, people=9
        )
    )

    # Opinions.
    sender = world.persons["C1"]
    for code in codes:
        for _ in range(rng.randint(3, 8)):
            serial += 1
            day = date(YEAR, rng.randint(1, 12), rng.randint(1, 20))
            accepted = local(day, 9)
            deadline = accepted + timedelta(days=7)
            fate = rng.choice(["on_time", "late", "reopened", "open", "satisfied", "basic", "escalated"])
            opinion = Opinion(
                tracking_no=f"LX-{YEAR}-{serial:06d}",
                sender_person_id=sender,
                station_id=stations[home[code]],
                category="transport",
                text="路灯坏了",
                holder_deputy_id=deputies[code],
                state="accepted",
                created_at=accepted,
                accepted_at=accepted,
                answer_deadline=deadline,
            )
            if fate in ("on_time", "satisfied", "basic", "reopened"):
                opinion.answered_at = accepted + timedelta(days=rng.randint(1, 6))
                opinion.state = "answered"
            if fate == "late":
                opinion.answered_at = deadline + timedelta(hours=rng.randint(1, 60))
                opinion.state = "answered"
            if fate in ("satisfied", "basic"):
                opinion.state = "closed"
                opinion.closed_at = opinion.answered_at + timedelta(days=1)
                opinion.satisfaction = fate
            if fate == "reopened":  # dissatisfied: waits for a new answer by a new deadline
                opinion.state = "reopened"
                opinion.satisfaction = "dissatisfied"
                opinion.answer_deadline = opinion.answered_at + timedelta(days=8)
            if fate == "escalated":
                opinion.state, opinion.answer_deadline = "answered", None
                opinion.answered_at = accepted + timedelta(days=2)
            u.session.add(opinion)
            await u.session.flush()
            if fate in ("on_time", "satisfied", "basic"):
                exp.add(deputies[code], "opinion_on_time")
            if fate == "satisfied":
                exp.add(deputies[code], "opinion_satisfied")
            # Warnings: yellow is no deduction; red is, once per opinion and holder, even on the second rung.
            if fate in ("late", "open") or rng.random() < 0.1:
                u.session.add(_warn(opinion.id, deputies[code], deadline + timedelta(hours=1), "red:1"))
                if rng.random() < 0.5:
                    u.session.add(_warn(opinion.id, deputies[code], deadline + timedelta(days=3), "red:2"))
                exp.add(deputies[code], "opinion_red")
            u.session.add(_warn(opinion.id, deputies[code], deadline - timedelta(hours=20), "yellow:0"))
    # Red while in the office's triage queue: nobody's deduction. Red first in 2024: that year's, not this.
    serial += 1
    triage = Opinion(
        tracking_no=f"LX-{YEAR}-{serial:06d}", sender_person_id=sender, category="other", text="x"
    )
    u.session.add(triage)
    await u.session.flush()
    u.session.add(_warn(triage.id, None, local(date(YEAR, 5, 5)), "red:1"))
    serial += 1
    old = Opinion(tracking_no=f"LX-{YEAR}-{serial:06d}", sender_person_id=sender, category="other", text="y")
    u.session.add(old)
    await u.session.flush()
    u.session.add(_warn(old.id, deputies["D2"], local(date(2024, 12, 30)), "red:1"))
    u.session.add(_warn(old.id, deputies["D2"], local(date(YEAR, 1, 3)), "red:2"))
    # Answered at 01:00 on 1 January 2026 in Shanghai (17:00 UTC on the 31st): next year's.
    serial += 1
    u.session.add(
        Opinion(
            tracking_no=f"LX-{YEAR}-{serial:06d}",
            sender_person_id=sender,
            category="other",
            text="z",
            holder_deputy_id=deputies["D3"],
            state="answered",
            answered_at=local(date(2026, 1, 1), 1),
            answer_deadline=local(date(2026, 1, 3)),
        )
    )

    # Suggestions: numbered ones count for their filer; withdrawn, unnumbered and staff's do not.
    number = 0
    for code in codes:
        for _ in range(rng.randint(0, 9)):
            number += 1
            state = rng.choice(["filed", "assigned", "closed", "withdrawn", "draft"])
            numbered = state != "draft"
            u.session.add(
                Suggestion(
                    title="关于修路的建议",
                    text="……",
                    category="transport",
                    filer_person_id=world.persons[code],
                    state=state,
                    number=f"S-{YEAR}-{number:04d}" if numbered else None,
                    filed_at=local(date(YEAR, rng.randint(1, 12), 3)) if numbered else None,
                )
            )
            if numbered and state != "withdrawn":
                exp.add(deputies[code], "suggestion_filed")
    number += 1
    u.session.add(
        Suggestion(
            title="t",
            text="t",
            category="other",
            filer_person_id=world.staff.id,
            state="filed",
            number=f"S-{YEAR}-{number:04d}",
            filed_at=local(date(YEAR, 6, 1)),
        )
    )

    # Meetings and trainings.
    for i in range(6):
        kind = "meeting" if i % 2 == 0 else "training"
        activity = ActivityRecord(kind=kind, day=date(YEAR, 2 * i + 1, 15), title=f"第{i + 1}次活动")
        u.session.add(activity)
        await u.session.flush()
        for code in codes:
            if rng.random() < 0.6:
                u.session.add(Attendance(activity_id=activity.id, deputy_id=deputies[code]))
                exp.add(deputies[code], kind)


def _warn(opinion_id: int, holder: int | None, at: datetime, reason: str) -> OpinionEvent:
    return OpinionEvent(
        opinion_id=opinion_id,
        at=at,
        action="warn",
        from_state="accepted",
        to_state="accepted",
        from_holder_id=holder,
        reason=reason,
    )


@pytest.fixture
async def world(sessionmaker: async_sessionmaker[AsyncSession], uow: Uow) -> World:
    await import_network(sessionmaker, NETWORK)
    async with uow() as u:
        staff = await u.people.add(Person(name="办公室小张", telegram_id=900001))
        await u.people.grant(staff, Role.STAFF)
        rows = await u.session.execute(select(Person.code, Deputy.id, Person.id).join(Deputy))
        found = rows.all()
        stations = dict((await u.session.execute(select(Station.code, Station.id))).all())
        persons = dict((await u.session.execute(select(Person.code, Person.id))).all())
        world = World({c: d for c, d, _ in found}, persons, stations, staff, Expected())
        await simulate(u, random.Random(20250101), world)
        await u.commit()
        return world


async def staff_of(u: UnitOfWork, world: World) -> Person:
    person = await u.people.get(world.staff.id)
    assert person is not None
    return person


async def test_a_simulated_year_gives_the_points_counted_plainly(uow: Uow, world: World) -> None:
    async with uow() as u:
        written = await PointsService(u, ZONE).recompute(YEAR, NOW)
        await u.commit()
    exp = world.expected
    visitors = sum(exp.units[d]["visitor"] for d in exp.units)
    assert written == sum(sum(c.values()) for c in exp.units.values()) - visitors + exp.reception_lines
    async with uow() as u:
        rows = {row.deputy.deputy_id: row for row in await ranking(u, YEAR)}
    assert set(rows) == set(world.deputies.values())
    for code, deputy in world.deputies.items():
        row = rows[deputy]
        for kind in PRICE:
            count, points = row.kinds[PointKind(kind)]
            assert count == exp.units[deputy][kind], (code, kind)
            assert points == exp.points(deputy, kind), (code, kind)
        assert row.total == exp.total(deputy), code
    # The generator hit every kind, and some cap, somewhere (a run that did not would prove little).
    assert all(any(exp.units[d][k] for d in exp.units) for k in PRICE)
    assert exp.units[world.deputies["D1"]]["visitor"] > 60
    totals = [r.total for r in sorted(rows.values(), key=lambda r: r.rank)]
    assert totals == sorted(totals, reverse=True)


def _shape(line: PointLine) -> tuple[object, ...]:
    return (
        line.year,
        line.deputy_id,
        line.kind,
        line.source_type,
        line.source_id,
        line.day,
        line.quantity,
        line.points,
        line.capped,
        line.station_id,
        line.ref,
        line.rule_id,
        line.rule_revision,
    )


async def test_recomputing_gives_the_same_lines_each_naming_its_source(uow: Uow, world: World) -> None:
    async with uow() as u:
        await PointsService(u, ZONE).recompute(YEAR, NOW)
        await u.commit()
    async with uow() as u:
        first = [_shape(line) for line in await u.points.all_lines(YEAR)]
    async with uow() as u:
        service = PointsService(u, ZONE)
        await service.recompute(YEAR, NOW + timedelta(days=3))
        await service.recompute(YEAR, NOW + timedelta(days=3), [world.deputies["D1"]])
        await u.commit()
    async with uow() as u:
        again = await u.points.all_lines(YEAR)
        assert [_shape(line) for line in again] == first
        # Every line's source is a record of its type, of that deputy.
        for line in again:
            model = {"duty": Duty, "reception": Reception, "opinion": Opinion, "suggestion": Suggestion}
            if line.source_type == "attendance":
                attendance = await u.session.get(Attendance, line.source_id)
                assert attendance is not None and attendance.deputy_id == line.deputy_id
            else:
                assert await u.session.get(model[line.source_type], line.source_id) is not None, line
        d1 = await u.points.deputy(world.deputies["D1"])
        assert d1 is not None
        seen = await statement(u, d1, YEAR, ZONE)
        duty_line = next(e for e in seen.entries if e.kind is PointKind.DUTY_CHECK_IN)
        assert duty_line.ref == "丙村人大代表联络站" and duty_line.points == 2
        # A reception names its station, a home visit its place.
        assert {"李家村三组", "丙村人大代表联络站"} <= {line.ref for line in again if line.kind == "visitor"}


async def test_next_years_lines_count_only_days_gone_by(uow: Uow, world: World) -> None:
    async with uow() as u:
        await PointsService(u, ZONE).recompute(2026, NOW)
        await u.commit()
        d1, d3 = world.deputies["D1"], world.deputies["D3"]
        lines = await u.points.lines(2026, d1)
        missed = sorted(line.day for line in lines if line.kind == "duty_missed")
        # 5 January and yesterday were missed; today and April are still to come.
        assert missed == [date(2026, 1, 5), date(2026, 3, 9)]
        assert [line.quantity for line in lines if line.kind == "visitor"] == [9]
        # The answer at 01:00 on New Year's Day, Shanghai time, is the new year's.
        assert [line.day for line in await u.points.lines(2026, d3) if line.kind == "opinion_on_time"] == [
            date(2026, 1, 1)
        ]


async def test_rules_version_per_year_and_last_years_lines_keep_last_years_rules(
    uow: Uow, world: World
) -> None:
    d1 = world.deputies["D1"]
    async with uow() as u:
        service = PointsService(u, ZONE)
        await service.recompute(YEAR, NOW)
        await service.recompute(2026, NOW)
        await u.commit()
    async with uow() as u:
        before = [_shape(line) for line in await u.points.all_lines(YEAR)]
        service = PointsService(u, ZONE)
        staff = await staff_of(u, world)
        done = await service.edit_rule(staff, 2026, PointKind.DUTY_MISSED, -5, None, True, NOW)
        assert done.ok and done.changed == 1
        # Last year's table is closed: refused, and the refusal audited.
        past = await service.edit_rule(staff, YEAR, PointKind.DUTY_MISSED, -5, None, True, NOW)
        assert past.problem is Problem.PAST_YEAR
        await service.recompute(YEAR, NOW)
        await u.commit()
    async with uow() as u:
        assert [_shape(line) for line in await u.points.all_lines(YEAR)] == before
        rule_2026 = next(r for r in await u.points.rules(2026) if r.kind == "duty_missed")
        assert rule_2026.revision == 2 and rule_2026.points == -5
        missed = [line for line in await u.points.lines(2026, d1) if line.kind == "duty_missed"]
        assert {(line.points, line.rule_id, line.rule_revision) for line in missed} == {(-5, rule_2026.id, 2)}
        audit = (await u.session.scalars(select(AuditEntry).where(AuditEntry.action.like("points.%")))).all()
        changed = [a for a in audit if a.action == "points.rule_changed"]
        assert len(changed) == 1
        assert changed[0].actor_person_id == world.staff.id and changed[0].object_id == str(rule_2026.id)
        assert changed[0].detail["old"] == {"points": -3, "cap": None, "active": True, "revision": 1}
        assert changed[0].detail["new"] == {"points": -5, "cap": None, "active": True, "revision": 2}
        refused = [a for a in audit if a.action == "points.refused"]
        assert [(a.allowed, a.detail["reason"]) for a in refused] == [(False, "past_year")]


async def test_copying_last_years_table_and_checking_edits(uow: Uow, world: World) -> None:
    async with uow() as u:
        service = PointsService(u, ZONE)
        staff = await staff_of(u, world)
        # Nothing in 2024 to copy into 2025… and 2025 is past anyway: refused first for that.
        assert (await service.copy_last_year(staff, YEAR, NOW)).problem is Problem.PAST_YEAR
        assert (await service.copy_last_year(staff, 2026, NOW)).problem is Problem.NO_LAST_YEAR
        await service.rules(YEAR, NOW)  # 2025 seeded with the default table
        assert (await service.edit_rule(staff, 2026, PointKind.VISITOR, 3, 100, True, NOW)).ok
        assert (await service.edit_rule(staff, 2026, PointKind.OPINION_RED, 0, None, False, NOW)).ok
        copied = await service.copy_last_year(staff, 2026, NOW)
        assert copied.ok and copied.changed == 2
        rules = {r.kind: (r.points, r.cap, r.active, r.revision) for r in await service.rules(2026, NOW)}
        assert rules["visitor"] == (1, 60, True, 3) and rules["opinion_red"] == (-2, None, True, 3)
        # Checks: a deduction never adds, an award never takes, caps are positive, points bounded.
        bad = [
            (PointKind.DUTY_MISSED, 3, None, Problem.DEDUCTION_POSITIVE),
            (PointKind.MEETING, -1, None, Problem.AWARD_NEGATIVE),
            (PointKind.MEETING, 2, 0, Problem.CAP_RANGE),
            (PointKind.MEETING, 101, None, Problem.POINTS_RANGE),
        ]
        for kind, points, cap, problem in bad:
            assert (await service.edit_rule(staff, 2026, kind, points, cap, True, NOW)).problem is problem
        # An unchanged rule is no new revision.
        assert (await service.edit_rule(staff, 2026, PointKind.VISITOR, 1, 60, True, NOW)).changed == 0
        # Someone not staff: refused.
        d1 = await u.people.by_code("D1")
        assert d1 is not None
        assert (
            await service.edit_rule(d1, 2026, PointKind.VISITOR, 5, None, True, NOW)
        ).problem is Problem.NOT_STAFF
        await u.commit()


async def test_an_inactive_rule_gives_no_lines_and_a_cap_marks_lines_capped(uow: Uow, world: World) -> None:
    async with uow() as u:
        service = PointsService(u, ZONE)
        staff = await staff_of(u, world)
        await service.edit_rule(staff, 2026, PointKind.DUTY_MISSED, -3, None, False, NOW)
        await service.edit_rule(staff, 2026, PointKind.VISITOR, 2, 10, True, NOW)
        await u.commit()
        d1 = world.deputies["D1"]
        lines = await u.points.lines(2026, d1)
        assert not [line for line in lines if line.kind == "duty_missed"]
        (visitors,) = [line for line in lines if line.kind == "visitor"]
        assert (visitors.quantity, visitors.points, visitors.capped) == (9, 10, True)


async def test_adjustments_are_audited_and_shown_as_adjustments(uow: Uow, world: World) -> None:
    d2 = world.deputies["D2"]
    async with uow() as u:
        service = PointsService(u, ZONE)
        staff = await staff_of(u, world)
        await service.recompute(YEAR, NOW)
        done = await service.adjust(staff, d2, YEAR, 4, "  参加省人大培训，补录  ", NOW)
        assert done.ok
        assert (await service.adjust(staff, d2, YEAR, -1, "重复计分", NOW)).ok
        assert (await service.adjust(staff, d2, YEAR, 0, "零", NOW)).problem is Problem.BAD_ADJUSTMENT
        assert (await service.adjust(staff, d2, YEAR, 3, "   ", NOW)).problem is Problem.BAD_REASON
        assert (await service.adjust(staff, d2, 2027, 3, "未来", NOW)).problem is Problem.BAD_YEAR
        assert (await service.adjust(staff, 999_999, YEAR, 3, "无此人", NOW)).problem is Problem.NOT_FOUND
        wu = await u.people.by_code("D2")
        assert wu is not None
        assert (await service.adjust(wu, d2, YEAR, 50, "自己加分", NOW)).problem is Problem.NOT_STAFF
        await u.commit()
    async with uow() as u:
        deputy = await u.points.deputy(d2)
        assert deputy is not None
        seen = await statement(u, deputy, YEAR, ZONE)
        assert (seen.adjusted, seen.adjustments) == (3, 2)
        assert seen.total == world.expected.total(d2) + 3
        reasons = [e.reason for e in seen.entries if e.adjustment_id is not None]
        assert sorted(reasons) == ["参加省人大培训，补录", "重复计分"]
        audit = (await u.session.scalars(select(AuditEntry).where(AuditEntry.action.like("points.%")))).all()
        adjusted = [a for a in audit if a.action == "points.adjusted"]
        assert [
            (a.actor_person_id, a.object_id, a.detail["points"], a.detail["reason"]) for a in adjusted
        ] == [
            (world.staff.id, str(d2), 4, "参加省人大培训，补录"),
            (world.staff.id, str(d2), -1, "重复计分"),
        ]
        refusals = sorted(a.detail["reason"] for a in audit if a.action == "points.refused")
        assert refusals == ["bad_adjustment", "bad_reason", "bad_year", "not_found", "not_staff"]
        rows = {r.deputy.deputy_id: r for r in await ranking(u, YEAR)}
        assert rows[d2].total == world.expected.total(d2) + 3 and rows[d2].adjusted == 3


async def test_meetings_recorded_by_staff_earn_their_attendees_points(uow: Uow, world: World) -> None:
    async with uow() as u:
        service = Activities(u, ZONE)
        staff = await staff_of(u, world)
        before = {r.deputy.deputy_id: r.total for r in await ranking(u, 2026)}
        meeting = ActivityKind.MEETING
        refused = await service.record_activity(
            staff, meeting, date(2026, 3, 2), "代表小组活动", ["D1", "NOPE"], NOW
        )
        assert refused.problem is Problem.UNKNOWN_CODES and refused.detail == ("NOPE",)
        future = await service.record_activity(staff, meeting, date(2026, 3, 11), "明天的会", ["D1"], NOW)
        assert future.problem is Problem.BAD_DAY
        done = await service.record_activity(
            staff, ActivityKind.TRAINING, date(2026, 3, 2), "履职培训", ["D1", "D3"], NOW
        )
        assert done.ok and done.changed == 2
        more = await service.add_attendees(staff, done.object_id or 0, ["D3", "D2"], NOW)
        assert more.ok and more.changed == 1
        await u.commit()
    async with uow() as u:
        after = {r.deputy.deputy_id: r for r in await ranking(u, 2026)}
        for code in ("D1", "D2", "D3"):
            deputy = world.deputies[code]
            assert after[deputy].kinds[PointKind.TRAINING] == (1, 3), code
        attendees = await u.points.attendees(done.object_id or 0)
        assert [code for _, _, code in attendees] == ["D1", "D2", "D3"]
        d2_attendance = next(a for a, _, code in attendees if code == "D2")
        staff = await staff_of(u, world)
        assert (await Activities(u, ZONE).remove_attendance(staff, d2_attendance.id, NOW)).ok
        await u.commit()
    async with uow() as u:
        after = {r.deputy.deputy_id: r for r in await ranking(u, 2026)}
        assert after[world.deputies["D2"]].kinds[PointKind.TRAINING] == (0, 0)
        assert before[world.deputies["D2"]] == 0  # nothing computed for 2026 before the training


async def test_a_station_level_and_group_filter_the_ranking(uow: Uow, world: World) -> None:
    async with uow() as u:
        await PointsService(u, ZONE).recompute(YEAR, NOW)
        await u.commit()
        v1 = world.stations["V1"]
        assert {r.deputy.code for r in await ranking(u, YEAR, Filters(station_id=v1))} == {"D1", "D2"}
        assert {r.deputy.code for r in await ranking(u, YEAR, Filters(level="township"))} == {"D2", "D3"}
        (group_id, _, _), *_ = await u.points.group_choices()
        assert {r.deputy.code for r in await ranking(u, YEAR, Filters(group_id=group_id))} == {"D1", "D2"}
        both = await ranking(u, YEAR, Filters(level="township", station_id=v1))
        assert [(r.rank, r.deputy.code) for r in both] == [(1, "D2")]
        members = await u.session.scalars(
            select(DeputyStation.deputy_id).where(DeputyStation.station_id == v1)
        )
        assert set(members.all()) == {world.deputies["D1"], world.deputies["D2"]}
