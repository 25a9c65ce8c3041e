"""The opinion service on the database: submit, apply, refusals, the SLA sweep and the repository."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from bot.opinions.lifecycle import Action, RefusalReason
from bot.opinions.service import AttachmentIn, OpinionService
from bot.opinions.sla import FixedClock
from storage import fast
from storage.models import (
    AuditEntry,
    ContactLink,
    ContactTier,
    Deputy,
    DeputyStation,
    Person,
    PersonRole,
    Role,
    SpecialCommittee,
    Station,
)
from storage.repos.opinions import OpinionRepo
from tests.kit.statements import count_fast_statements

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: outside quiet hours


@dataclass
class World:
    station: int
    sender: int  # constituent linked to deputy a
    walker: int  # constituent with no link
    a: int  # deputy ids
    b: int
    a_person: int
    b_person: int
    member: int  # committee member contacting deputy a
    presidium: int
    staff: int
    committee: int


async def make_world(uow) -> World:
    async with uow() as u:
        s = u.session
        station = Station(code="V1", name="village", kind="village")
        s.add(station)
        await s.flush()
        names = ["sender", "walker", "dep a", "dep b", "member", "presidium", "staff"]
        p = {n: Person(name=n, station_id=station.id) for n in names}
        s.add_all(p.values())
        await s.flush()
        s.add(PersonRole(person_id=p["staff"].id, role=Role.STAFF.value))
        a = Deputy(person_id=p["dep a"].id, level="township", fields=["roads"])
        b = Deputy(person_id=p["dep b"].id, level="township", fields=["water"])
        committee = SpecialCommittee(code="AG", name="agriculture", categories=["water", "farm"])
        s.add_all([a, b, committee])
        await s.flush()
        s.add_all(
            [
                DeputyStation(deputy_id=a.id, station_id=station.id),
                DeputyStation(deputy_id=b.id, station_id=station.id),
                ContactLink(
                    tier=ContactTier.DEPUTY_CONSTITUENT.value,
                    from_person_id=p["dep a"].id,
                    to_person_id=p["sender"].id,
                ),
                ContactLink(
                    tier=ContactTier.COMMITTEE_DEPUTY.value,
                    from_person_id=p["member"].id,
                    to_person_id=p["dep a"].id,
                ),
                ContactLink(
                    tier=ContactTier.PRESIDIUM_COMMITTEE.value,
                    from_person_id=p["presidium"].id,
                    to_person_id=p["member"].id,
                ),
            ]
        )
        await u.commit()
        return World(
            station.id, p["sender"].id, p["walker"].id, a.id, b.id, p["dep a"].id, p["dep b"].id,
            p["member"].id, p["presidium"].id, p["staff"].id, committee.id,
        )  # fmt: skip


def keys(outcome) -> set[tuple[int, str]]:
    return {(n.recipient_person_id, n.key) for n in outcome.notifications}


async def submit(uow, clock, sender: int, category: str = "water", **kw):
    async with uow() as u:
        out = await OpinionService(u, clock=clock, tracking_prefix="LX").submit(
            sender, category, "the well is dry", **kw
        )
        await u.commit()
        return out


async def apply(uow, clock, opinion_id: int, action, actor, **args):
    async with uow() as u:
        out = await OpinionService(u, clock=clock).apply(opinion_id, action, actor, **args)
        await u.commit()
        return out


class TestSubmit:
    async def test_routes_to_the_linked_deputy(self, uow, world: World, clock: FixedClock) -> None:
        out = await submit(
            uow, clock, world.sender, latitude=30.1, longitude=120.2,
            attachments=[AttachmentIn("photo", "AgAD", "uniq", "the well")],
        )  # fmt: skip
        op = out.opinion
        assert out.ok and op is not None
        assert re.fullmatch(r"LX-2026-\d{6}", op.tracking_no) and op.tracking_no == "LX-2026-000001"
        assert (op.state, op.holder_deputy_id, op.route_reason) == ("routed", world.a, "linked_contact")
        assert op.station_id == world.station  # taken from the sender's record
        assert op.accept_deadline == T0 + timedelta(hours=24) and op.answer_deadline is None
        assert op.supervisor_person_id == world.member
        assert keys(out) == {(world.sender, "opinion.routed"), (world.a_person, "opinion.assigned")}
        assert all(n.not_before == T0 for n in out.notifications)
        async with uow() as u:
            repo = OpinionRepo(u.session)
            events = await repo.events(op.id)
            assert [(e.action, e.from_state, e.to_state) for e in events] == [
                ("submit", None, "submitted"),
                ("route", "submitted", "routed"),
            ]
            assert events[0].to_holder_id is None  # submitted before it was routed
            assert events[1].reason == "linked_contact" and events[1].to_holder_id == world.a
            assert [a.file_id for a in await repo.attachments(op)] == ["AgAD"]
            assert (await repo.by_tracking_no("LX-2026-000001")).id == op.id

    async def test_a_new_opinion_is_written_once_and_its_attachments_are_at_hand(
        self, uow, world: World, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Routed before it is written: one INSERT with its holder, no UPDATE; the card reads no list."""
        statements: list[str] = []
        in_fast: list[bool] = []

        def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
            if not in_fast:  # storage.fast's own statements are recorded by spy, once
                statements.append(" ".join(statement.split()))

        async def spy(session, prepared, params):  # type: ignore[no-untyped-def]
            dialect = session.bind.dialect
            statements.append(
                " ".join(str(prepared.for_dialect(dialect.name).compile(dialect=dialect)).split())
            )
            in_fast.append(True)
            try:
                return await real_run(session, prepared, params)
            finally:
                in_fast.pop()

        real_run = fast.run
        monkeypatch.setattr(fast, "run", spy)  # statements on the driver's connection skip the event
        async with uow() as u:
            engine = u.session.bind.sync_engine
            event.listen(engine, "before_cursor_execute", seen)
            try:
                out = await OpinionService(u, clock=clock).submit(
                    world.sender, "water", "the well is dry",
                    attachments=[AttachmentIn("photo", "P1", "u1"), AttachmentIn("voice", "V1", "u2")],
                )  # fmt: skip
                op = out.opinion
                assert op is not None and op.holder_deputy_id == world.a
                assert [a.file_id for a in await OpinionRepo(u.session).attachments(op)] == ["P1", "V1"]
                await u.commit()
            finally:
                event.remove(engine, "before_cursor_execute", seen)
        assert [s.split(" (")[0] for s in statements if s.startswith("INSERT INTO opinion_attachment")] == [
            "INSERT INTO opinion_attachment"
        ] * 2
        opinion_writes = [
            s.split(" (")[0] for s in statements if re.match(r"(INSERT INTO|UPDATE) opinion\b", s)
        ]
        assert opinion_writes == ["INSERT INTO opinion"]
        assert not [s for s in statements if s.startswith("SELECT") and "FROM opinion_attachment" in s]
        async with uow() as u:
            stored = await OpinionRepo(u.session).get(op.id)
            assert stored is not None and stored.holder_deputy_id == world.a
            assert [(a.kind, a.file_id) for a in await OpinionRepo(u.session).attachments(stored)] == [
                ("photo", "P1"),
                ("voice", "V1"),
            ]

    async def test_numbers_count_up(self, uow, world: World, clock: FixedClock) -> None:
        first = await submit(uow, clock, world.sender)
        second = await submit(uow, clock, world.walker)
        assert (first.opinion.tracking_no, second.opinion.tracking_no) == ("LX-2026-000001", "LX-2026-000002")

    async def test_field_match_at_the_station(self, uow, world: World, clock: FixedClock) -> None:
        out = await submit(uow, clock, world.walker, "water")
        assert (out.opinion.holder_deputy_id, out.opinion.route_reason) == (world.b, "field_match:water")

    async def test_no_station_goes_to_staff(self, uow, world: World, clock: FixedClock) -> None:
        async with uow() as u:
            loner = await u.people.add(Person(name="loner"))
            await u.commit()
        out = await submit(uow, clock, loner.id)
        assert out.opinion.holder_deputy_id is None and out.opinion.route_reason == "no_station"
        assert keys(out) == {(loner.id, "opinion.routed"), (world.staff, "opinion.assigned")}
        assert [
            n.params.get("triage") for n in out.notifications if n.recipient_person_id == world.staff
        ] == [True]
        # staff hand it out of triage
        moved = await apply(uow, clock, out.opinion.id, Action.TRANSFER, world.staff, to_deputy_id=world.b)
        assert moved.ok and (moved.opinion.state, moved.opinion.holder_deputy_id) == ("transferred", world.b)

    async def test_late_night_pings_wait_for_the_morning(self, uow, world: World) -> None:
        clock = FixedClock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai
        out = await submit(uow, clock, world.sender)
        by_key = {n.key: n for n in out.notifications}
        # Both answer something happening now (the sender's own Submit, a new task): they go at once.
        assert by_key["opinion.routed"].urgent and by_key["opinion.routed"].not_before == clock.now()
        assert by_key["opinion.assigned"].urgent and by_key["opinion.assigned"].not_before == clock.now()
        accepted = await apply(uow, clock, out.opinion.id, Action.ACCEPT, world.a_person)
        (notice,) = accepted.notifications
        assert notice.key == "opinion.accepted" and not notice.urgent
        assert notice.not_before == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai


class TestApply:
    async def test_the_whole_loop(self, uow, world: World, clock: FixedClock) -> None:
        op_id = (await submit(uow, clock, world.sender)).opinion.id
        clock.advance(timedelta(hours=1))
        out = await apply(uow, clock, op_id, Action.ACCEPT, world.a_person)
        assert out.ok and out.opinion.state == "accepted"
        assert out.opinion.answer_deadline == clock.now() + timedelta(days=7)
        assert keys(out) == {(world.sender, "opinion.accepted")}

        out = await apply(uow, clock, op_id, Action.ASK, world.a_person, note="which well?")
        assert out.opinion.state == "awaiting_info"
        assert [n.params["question"] for n in out.notifications] == ["which well?"]
        deadline = out.opinion.answer_deadline
        clock.advance(timedelta(days=2))
        out = await apply(uow, clock, op_id, Action.INFO_RECEIVED, world.sender, note="the one by the school")
        assert out.opinion.state == "accepted"
        assert out.opinion.answer_deadline == deadline + timedelta(days=2)  # the wait does not count
        assert keys(out) == {(world.a_person, "opinion.info_received")}

        out = await apply(uow, clock, op_id, Action.ANSWER, world.a_person, text="repaired on Monday")
        assert out.opinion.state == "answered" and out.opinion.answer_text == "repaired on Monday"
        assert [n.params["answer"] for n in out.notifications] == ["repaired on Monday"]

        clock.advance(timedelta(days=1))
        out = await apply(uow, clock, op_id, Action.CONFIRM_DISSATISFIED, world.sender)
        assert out.opinion.state == "reopened" and out.opinion.satisfaction == "dissatisfied"
        assert out.opinion.holder_deputy_id == world.a
        assert out.opinion.answer_deadline == clock.now() + timedelta(days=7)
        assert keys(out) == {
            (world.a_person, "opinion.reopened"),
            (world.member, "opinion.reopened_supervisor"),
        }  # the sender pressed it: their reply is the handler's, not an outbox ping
        out = await apply(uow, clock, op_id, Action.ANSWER, world.a_person, text="replaced the pump")
        out = await apply(uow, clock, op_id, Action.CONFIRM_BASIC, world.sender)
        assert (out.opinion.state, out.opinion.satisfaction, out.opinion.closed_at) == (
            "closed",
            "basic",
            clock.now(),
        )
        async with uow() as u:
            actions = [e.action for e in await OpinionRepo(u.session).events(op_id)]
        assert actions == [
            "submit", "route", "accept", "ask", "info_received", "answer",
            "confirm_dissatisfied", "answer", "confirm_basic",
        ]  # fmt: skip

    async def test_forged_and_stale_requests_are_refused_and_audited(self, uow, world: World, clock) -> None:
        op_id = (await submit(uow, clock, world.sender)).opinion.id
        # deputy b is not the holder: a forged Accept from someone else's card
        out = await apply(uow, clock, op_id, Action.ACCEPT, world.b_person)
        assert not out.ok and out.refusal.reason is RefusalReason.NO_RELATION
        out = await apply(uow, clock, op_id, Action.ACCEPT, world.sender)
        assert out.refusal.reason is RefusalReason.NOT_PERMITTED
        assert (await apply(uow, clock, op_id, Action.ACCEPT, world.a_person)).ok
        out = await apply(uow, clock, op_id, Action.ACCEPT, world.a_person)  # double press
        assert out.refusal.reason is RefusalReason.STALE_STATE and out.notifications == []
        out = await apply(uow, clock, 999_999, Action.ACCEPT, world.a_person)
        assert out.refusal.reason is RefusalReason.NOT_FOUND
        out = await apply(uow, clock, op_id, "drop", world.a_person)
        assert out.refusal.reason is RefusalReason.UNKNOWN_ACTION
        out = await apply(uow, clock, op_id, Action.ANSWER, world.a_person, text="  ")
        assert out.refusal.reason is RefusalReason.INVALID_ARGUMENT
        async with uow() as u:
            rows = (
                await u.session.scalars(
                    select(AuditEntry).where(AuditEntry.allowed.is_(False)).order_by(AuditEntry.id)
                )
            ).all()
            op = await OpinionRepo(u.session).get(op_id)
        assert [r.detail["reason"] for r in rows] == [
            "no_relation", "not_permitted", "stale_state", "not_found", "unknown_action", "invalid_argument",
        ]  # fmt: skip
        assert op.state == "accepted" and op.answer_text is None

    async def test_transfer_restarts_the_accept_clock(self, uow, world: World, clock: FixedClock) -> None:
        op_id = (await submit(uow, clock, world.sender)).opinion.id
        await apply(uow, clock, op_id, Action.ACCEPT, world.a_person)
        clock.advance(timedelta(hours=5))
        out = await apply(uow, clock, op_id, Action.TRANSFER, world.a_person, to_deputy_id=world.a)
        assert out.refusal.reason is RefusalReason.INVALID_ARGUMENT
        out = await apply(
            uow, clock, op_id, Action.TRANSFER, world.a_person, to_deputy_id=world.b, note="his field"
        )
        op = out.opinion
        assert (op.state, op.holder_deputy_id, op.answer_deadline) == ("transferred", world.b, None)
        assert op.accept_deadline == clock.now() + timedelta(hours=24)
        assert op.supervisor_person_id is None  # nobody contacts deputy b
        assert keys(out) == {(world.sender, "opinion.transferred"), (world.b_person, "opinion.assigned")}
        # the old holder lost the card
        assert (
            await apply(uow, clock, op_id, Action.ACCEPT, world.a_person)
        ).refusal.reason is RefusalReason.NO_RELATION
        assert (await apply(uow, clock, op_id, Action.ACCEPT, world.b_person)).ok

    async def test_staff_reject_and_escalate(self, uow, world: World, clock: FixedClock) -> None:
        op_id = (await submit(uow, clock, world.sender)).opinion.id
        await apply(uow, clock, op_id, Action.ACCEPT, world.a_person)
        out = await apply(uow, clock, op_id, Action.ESCALATE, world.a_person, note="needs a budget line")
        assert out.opinion.state == "escalated" and out.opinion.answer_deadline is None
        assert keys(out) == {
            (world.sender, "opinion.escalated"),
            (world.member, "opinion.escalated_supervisor"),
        }
        other = (await submit(uow, clock, world.sender)).opinion.id
        out = await apply(uow, clock, other, Action.REJECT, world.staff, note="not a public matter")
        assert out.opinion.state == "rejected" and out.opinion.closed_at == T0
        assert keys(out) == {(world.sender, "opinion.rejected"), (world.a_person, "opinion.withdrawn")}
        assert out.notifications[0].params.get("reason") == "not a public matter"

    async def test_duplicate_joins_the_root_and_follows_it(
        self, uow, world: World, clock: FixedClock
    ) -> None:
        first = (await submit(uow, clock, world.sender)).opinion.id
        second = (await submit(uow, clock, world.walker)).opinion.id
        async with uow() as u:
            third_sender = (await u.people.add(Person(name="third", station_id=world.station))).id
            await u.commit()
        third = (await submit(uow, clock, third_sender)).opinion.id
        out = await apply(uow, clock, second, Action.MARK_DUPLICATE, world.staff, duplicate_of_id=second)
        assert out.refusal.reason is RefusalReason.INVALID_ARGUMENT
        out = await apply(uow, clock, second, Action.MARK_DUPLICATE, world.staff, duplicate_of_id=first)
        assert out.ok and out.opinion.duplicate_of_id == first
        assert out.notifications[0].params["duplicate_of"] == "LX-2026-000001"
        out = await apply(uow, clock, third, Action.MARK_DUPLICATE, None, duplicate_of_id=second)
        assert out.opinion.duplicate_of_id == first  # the root, not the duplicate
        async with uow() as u:
            assert await OpinionRepo(u.session).subscribers(first) == [world.walker, third_sender]
        # followers hear the state change in a notice of their own, not the sender's (#20)
        out = await apply(uow, clock, first, Action.ACCEPT, world.a_person)
        assert keys(out) == {
            (world.sender, "opinion.accepted"),
            (world.walker, "opinion.followed"),
            (third_sender, "opinion.followed"),
        }


class TestSweep:
    async def test_warnings_climb_the_ladder_once_each(self, uow, world: World, clock: FixedClock) -> None:
        op_id = (await submit(uow, clock, world.sender)).opinion.id

        async def sweep():
            async with uow() as u:
                out = await OpinionService(u, clock=clock).sweep()
                await u.commit()
                return {(n.recipient_person_id, n.key) for n in out}, out

        assert (await sweep())[0] == set()  # green
        clock.set(T0 + timedelta(hours=20))  # under 20 % of 24 h left
        got, out = await sweep()
        assert got == {(world.a_person, "opinion.warning.yellow")}
        assert (await sweep())[0] == set()  # said once
        clock.set(T0 + timedelta(hours=25))
        got, out = await sweep()
        assert got == {(world.a_person, "opinion.warning.red"), (world.member, "opinion.warning.red")}
        assert out[0].params["cc_committee_ids"] == [world.committee] and out[0].params["level"] == 1
        clock.set(T0 + timedelta(days=4, hours=1))
        got, _ = await sweep()
        assert (world.presidium, "opinion.warning.red") in got
        assert (await sweep())[0] == set()
        async with uow() as u:
            repo = OpinionRepo(u.session)
            assert [o.id for o in await repo.overdue(clock.now())] == [op_id]
            warns = [e.reason for e in await repo.events(op_id) if e.action == "warn"]
        assert warns == ["yellow:0", "red:1", "red:2"]

    async def test_auto_close_after_fourteen_days(self, uow, world: World, clock: FixedClock) -> None:
        op_id = (await submit(uow, clock, world.sender)).opinion.id
        await apply(uow, clock, op_id, Action.ACCEPT, world.a_person)
        await apply(uow, clock, op_id, Action.ANSWER, world.a_person, text="done")
        clock.advance(timedelta(days=13))
        out = await apply(uow, clock, op_id, Action.AUTO_CLOSE, None)
        assert out.refusal.reason is RefusalReason.NOT_DUE
        async with uow() as u:
            assert await OpinionService(u, clock=clock).sweep() == []
        clock.advance(timedelta(days=1))
        async with uow() as u:
            notes = await OpinionService(u, clock=clock).sweep()
            await u.commit()
        assert {(n.recipient_person_id, n.key) for n in notes} == {
            (world.sender, "opinion.auto_closed"),
            (world.a_person, "opinion.auto_closed"),
        }
        async with uow() as u:
            op = await OpinionRepo(u.session).get(op_id)
        assert op.state == "closed" and op.satisfaction is None


async def test_repository_queries(uow, world: World, clock: FixedClock) -> None:
    a1 = (await submit(uow, clock, world.sender)).opinion.id
    a2 = (await submit(uow, clock, world.sender)).opinion.id
    b1 = (await submit(uow, clock, world.walker)).opinion.id
    await apply(uow, clock, a2, Action.REJECT, world.staff)
    async with uow() as u:
        repo = OpinionRepo(u.session)
        assert [o.id for o in await repo.open_for_holder(world.a)] == [a1]
        assert [o.id for o in await repo.for_sender(world.sender)] == [a2, a1]
        assert [o.id for o in await repo.for_sender(world.sender, open_only=True)] == [a1]
        assert await repo.open_counts() == {world.a: 1, world.b: 1}
        assert await repo.open_counts([world.b]) == {world.b: 1}
        assert await repo.open_counts([]) == {}
        assert await repo.triage_queue() == []
        assert await repo.overdue(T0) == []
        assert {o.id for o in await repo.overdue(T0 + timedelta(days=2))} == {a1, b1}
        assert await repo.subscribe(a1, world.walker) and not await repo.subscribe(a1, world.walker)


async def test_a_new_opinions_followers_are_known_without_asking(
    uow, world: World, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written in this unit of work, an opinion has no followers but those it subscribed itself."""
    async with uow() as u:
        out = await OpinionService(u, clock=clock).submit(world.sender, "water", "the well is dry")
        op_id = out.opinion.id
        repo = OpinionRepo(u.session)
        asked = count_fast_statements(monkeypatch)
        assert await repo.subscribers(op_id) == [] and asked == []
        assert await repo.subscribe(op_id, world.walker)
        assert await repo.subscribers(op_id) == [world.walker] and len(asked) == 1
        await u.commit()
    async with uow() as u:  # written by an earlier unit of work: its list is read
        assert await OpinionRepo(u.session).subscribers(op_id) == [world.walker]
