"""The reception diary's rules: inputs, the dialog's cursor, the lifecycle, opening and closing entries,
registering visitors and matters (on the spot, or as opinions), the visitors' links, privacy, the
derived figures, the legacy rows the migration marks, and the buttons (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kit.callbacks import Button
from bot.kit.i18n import translator
from bot.kit.text_limits import MESSAGE_LIMIT, utf16_len
from bot.opinions.service import OpinionService
from bot.opinions.sla import FixedClock
from bot.people.views import command_menu
from bot.receptions import links
from bot.receptions import views as v
from bot.receptions.buttons import (
    CategoryPick,
    DiaryAction,
    DiaryPress,
    ListPress,
    StationPick,
    StepAction,
    StepPress,
)
from bot.receptions.cursor import DIALOG_TTL, Cursor, Step
from bot.receptions.figures import Figures, figures
from bot.receptions.forms import DiaryChat, Held, Stale
from bot.receptions.lifecycle import Refusal, RefusalReason, Relation, decide, may_view, mermaid
from bot.receptions.reading import DiaryView
from bot.receptions.rules import Counts, Invalid, Problem, clean_line, clean_text, derive, parse_phone
from bot.receptions.service import DiaryService, Opened, Routed
from bot.runtime.redact import blank, redact
from bot.sandbox.formatting import parse_html
from bot.stats.service import compute_stats, render_chat, render_table
from storage import migrate
from storage.db import create_engine
from storage.models import (
    AuditEntry,
    Deputy,
    DeputyStation,
    Person,
    PersonRole,
    Reception,
    ReceptionMatter,
    ReceptionVisitor,
    Role,
    Station,
)
from storage.models.duty import StationRole
from storage.unit_of_work import UnitOfWork
from tests.conftest import BLNS, ROOT

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TODAY = date(2026, 3, 1)
ZH, EN = translator("zh_Hans"), translator("en")


def problem(result: object) -> Problem | None:
    return result.problem if isinstance(result, Invalid) else None


class TestRules:
    def test_text_and_lines(self) -> None:
        assert clean_text("  路灯 <b>坏了</b>\n", 12) == "路灯 <b>坏了</b>"
        assert clean_text("a\x00b", 10) == "ab"  # PostgreSQL cannot store NUL
        assert problem(clean_text(" \x00\n ", 10)) == Problem.EMPTY
        too_long = clean_text("😀" * 6, 11)  # 12 UTF-16 units
        assert isinstance(too_long, Invalid) and (too_long.given, too_long.limit) == (12, 11)
        assert clean_text("😀" * 5, 10) == "😀" * 5
        assert clean_line(" 吴  大\n\t海 ", 50) == "吴 大 海"

    @pytest.mark.parametrize(
        ("typed", "stored"),
        [
            ("13900000002", "+8613900000002"),
            ("139 0000 0002", "+8613900000002"),
            ("+86 139-0000-0002", "+8613900000002"),
            ("0886-3622222", "+868863622222"),
            ("+44 20 7946 0958", "+442079460958"),
        ],
    )
    def test_phones_in_e164(self, typed: str, stored: str) -> None:
        assert parse_phone(typed) == stored

    @pytest.mark.parametrize("typed", ["12345", "1380000001", "abc", "", "1" * 40, "+999 1234"])
    def test_bad_phones(self, typed: str) -> None:
        assert problem(parse_phone(typed)) == Problem.NOT_A_PHONE

    def test_counts_are_derived(self) -> None:
        assert derive([], []) == Counts()
        assert derive([1, 2, 2, 3], ["resolved", "routed", "routed"]) == Counts(3, 3, 1, 2)


class TestCursor:
    def walk(self) -> Cursor:
        cursor = Cursor(person_id=7, touched=NOW)
        cursor.in_diary(5, NOW)
        cursor.begin_visitor(5, NOW)
        assert cursor.step == Step.NAME
        assert cursor.type_name(" 周小梅 ", NOW) is None and cursor.step == Step.CONSENT
        assert cursor.agree_phone(NOW) is None and cursor.step == Step.PHONE
        assert cursor.type_phone("13900000002") == "+8613900000002"
        cursor.registered(11, NOW)
        assert (cursor.step, cursor.visitor_id, cursor.name) == (Step.MATTER, 11, None)
        assert cursor.type_matter("校车时间能否调整", NOW) is None
        assert (cursor.step, cursor.category, cursor.guessed) == (Step.DECIDE, "education", True)
        return cursor

    def test_steps_in_order(self) -> None:
        cursor = self.walk()
        assert cursor.pick_category("transport", NOW) is None and not cursor.guessed
        assert problem(cursor.pick_category("nope", NOW)) == Problem.UNKNOWN_CATEGORY
        assert cursor.to_answer(NOW) is None and cursor.type_answer(" 下周起调整 ") == "下周起调整"
        cursor.matter_done(NOW)
        assert (cursor.step, cursor.matter, cursor.category) == (Step.MATTER, None, None)
        assert cursor.type_matter("别的事", NOW) is None and cursor.category == "other" and not cursor.guessed

    def test_a_step_out_of_turn_is_refused(self) -> None:
        cursor = Cursor(person_id=7, touched=NOW)
        for attempt in (
            cursor.type_name("x", NOW),
            cursor.agree_phone(NOW),
            cursor.type_phone("13900000002"),
            cursor.no_phone(),
            cursor.anonymous(),
            cursor.type_matter("x", NOW),
            cursor.to_answer(NOW),
            cursor.type_answer("x"),
            cursor.ready_to_route(),
            cursor.type_place("x", NOW),
            cursor.at_location(),
            cursor.pick_category("transport", NOW),
        ):
            assert problem(attempt) == Problem.WRONG_STEP
        assert cursor.step == Step.CHOOSE
        cursor.step = Step.MATTER  # damaged: a matter step without a visitor
        assert problem(cursor.type_matter("x", NOW)) == Problem.WRONG_STEP

    def test_a_new_visitor_makes_the_last_ones_buttons_stale(self) -> None:
        cursor = self.walk()
        key = cursor.key
        cursor.begin_visitor(5, NOW)
        assert cursor.key != key and (cursor.visitor_id, cursor.matter) == (None, None)

    def test_home_visit_place(self) -> None:
        cursor = Cursor(person_id=7, touched=NOW)
        assert cursor.home_visit(NOW) is None and cursor.step == Step.PLACE
        assert problem(cursor.type_place("x" * 101, NOW)) == Problem.TOO_LONG
        assert cursor.type_place(" 张家\n院子 ", NOW) is None and cursor.place == "张家 院子"
        assert cursor.at_location() is None

    def test_round_trip_damaged_data_and_expiry(self) -> None:
        cursor = self.walk()
        again = Cursor.from_dict(json.loads(json.dumps(cursor.to_dict())))
        assert again == cursor
        for damaged in (
            None,
            [],
            {},
            {**cursor.to_dict(), "step": "x"},
            {**cursor.to_dict(), "person_id": "7"},
        ):
            assert Cursor.from_dict(damaged) is None
        odd = Cursor.from_dict({**cursor.to_dict(), "category": "nope", "visitor_id": True, "consent": 1})
        assert odd is not None and (odd.category, odd.visitor_id, odd.consent) == (None, None, False)
        assert not cursor.expired(cursor.touched + DIALOG_TTL)
        assert cursor.expired(cursor.touched + DIALOG_TTL + timedelta(seconds=1))


class TestLifecycle:
    @pytest.mark.parametrize(
        ("state", "action", "relations", "expected"),
        [
            ("open", "register", {Relation.KEEPER}, None),
            ("open", "register", {Relation.STATION_DEPUTY}, None),
            ("open", "register", {Relation.STAFF}, None),
            ("open", "register", {Relation.STATION_OFFICER}, None),
            ("open", "register", set(), RefusalReason.NO_RELATION),
            ("open", "register", {Relation.SYSTEM}, RefusalReason.NOT_PERMITTED),
            ("open", "close", {Relation.KEEPER}, None),
            ("open", "close", {Relation.STAFF}, None),
            ("open", "close", {Relation.SYSTEM}, None),
            ("open", "close", {Relation.STATION_DEPUTY}, RefusalReason.NOT_PERMITTED),
            ("open", "close", {Relation.STATION_OFFICER}, RefusalReason.NOT_PERMITTED),
            ("closed", "register", {Relation.KEEPER}, RefusalReason.FINAL),
            ("closed", "close", {Relation.STAFF}, RefusalReason.FINAL),
            ("open", "reopen", {Relation.STAFF}, RefusalReason.UNKNOWN_ACTION),
        ],
    )
    def test_decide(
        self, state: str, action: str, relations: set[Relation], expected: RefusalReason | None
    ) -> None:
        decided = decide(state, action, relations)
        if expected is None:
            assert not isinstance(decided, Refusal) and decided.actor in relations
        else:
            assert isinstance(decided, Refusal) and decided.reason == expected

    def test_viewing_and_the_diagram(self) -> None:
        assert may_view({Relation.STATION_DEPUTY}) and not may_view(set()) and not may_view({Relation.SYSTEM})
        assert "open --> closed: close (keeper,staff,system)" in mermaid()

    def test_the_readme_draws_the_declared_table(self) -> None:
        readme = (ROOT / "bot" / "receptions" / "README.md").read_text(encoding="utf-8")
        assert "```mermaid\n" + mermaid() + "```" in readme


def test_menus_offer_the_diary() -> None:
    deputy = Person(name="孙建国", roles=[])
    deputy.deputy = Deputy(level="county")
    staff = Person(name="Office", roles=[PersonRole(role=Role.STAFF.value)])
    constituent = Person(name="周小梅", roles=[])
    assert {"command": "reception", "description": "记录接待群众"} in command_menu(deputy, ZH)
    assert "reception" in [c["command"] for c in command_menu(staff, EN)]
    assert "reception" not in [c["command"] for c in command_menu(constituent, ZH)]
    liaison = Person(name="联络员", roles=[PersonRole(role=Role.LIAISON.value)])
    assert [c["command"] for c in command_menu(liaison, EN)].count("reception") == 1


# -- the service ------------------------------------------------------------------------------------


async def network(session: AsyncSession) -> dict[str, int]:
    """S1 with deputies A and B, S2 with A only, S3 with D; staff F; constituent C in Telegram with a phone."""
    s1, s2, s3 = (
        Station(code="S1", name="甲村<联络站>", kind="village"),
        Station(code="S2", name="乙镇工作站", kind="township"),
        Station(code="S3", name="丙村联络站", kind="village"),
    )
    a, b, d = (
        Person(name="孙建国", telegram_id=201),
        Person(name="吴明", telegram_id=202),
        Person(name="李四", telegram_id=203),
    )
    c = Person(name="周小梅", telegram_id=301, phone="+8613900000301")
    f = Person(name="Office", telegram_id=900)
    session.add_all([s1, s2, s3, a, b, c, d, f])
    await session.flush()
    session.add(PersonRole(person_id=f.id, role=Role.STAFF.value))
    da, db, dd = (Deputy(person_id=p.id, level="county") for p in (a, b, d))
    session.add_all([da, db, dd])
    await session.flush()
    session.add_all(
        [
            DeputyStation(deputy_id=da.id, station_id=s1.id),
            DeputyStation(deputy_id=da.id, station_id=s2.id),
            DeputyStation(deputy_id=db.id, station_id=s1.id),
            DeputyStation(deputy_id=dd.id, station_id=s3.id),
        ]
    )
    await session.flush()
    return {
        "s1": s1.id, "s2": s2.id, "s3": s3.id, "a": a.id, "b": b.id, "c": c.id, "d": d.id, "f": f.id,
        "da": da.id, "db": db.id, "dd": dd.id,
    }  # fmt: skip


async def seeded(uow: Callable[[], UnitOfWork]) -> dict[str, int]:
    async with uow() as u:
        ids = await network(u.session)
        await u.commit()
    return ids


def service(u: UnitOfWork, clock: FixedClock) -> DiaryService:
    return DiaryService(u, OpinionService(u, clock=clock))


async def who(u: UnitOfWork, person_id: int) -> Person:
    person = await u.people.get(person_id)
    assert person is not None
    await u.session.refresh(person, ["roles", "deputy"])
    return person


async def audits(u: UnitOfWork, action: str) -> list[AuditEntry]:
    found = await u.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    )
    return list(found.all())


async def test_who_may_open_an_entry_where(uow: Callable[[], UnitOfWork]) -> None:
    ids = await seeded(uow)
    clock = FixedClock(NOW)
    async with uow() as u:
        svc = service(u, clock)
        a, b, c, f = [await who(u, ids[k]) for k in "abcf"]
        opened = await svc.open_station(a, ids["s1"], "test")
        assert isinstance(opened, Opened) and not opened.resumed and opened.place == "甲村<联络站>"
        again = await svc.open_station(a, ids["s1"], "test")
        assert isinstance(again, Opened) and again.resumed and again.diary.id == opened.diary.id
        assert (opened.diary.deputy_id, opened.diary.day, opened.diary.state) == (ids["da"], TODAY, "open")
        refused = await svc.open_station(b, ids["s2"], "test")  # S2 is not B's
        assert isinstance(refused, Refusal) and refused.reason == RefusalReason.NOT_THEIR_STATION
        refused = await svc.open_station(c, ids["s1"], "test")
        assert isinstance(refused, Refusal) and refused.reason == RefusalReason.NOT_A_RECEIVER
        staffed = await svc.open_station(f, ids["s3"], "test")  # staff: any station, no deputy
        assert isinstance(staffed, Opened) and staffed.diary.deputy_id is None
        visit = await svc.open_home_visit(a, "张家", (25.9, 98.9), "test")
        assert isinstance(visit, Opened) and (visit.diary.kind, visit.diary.station_id) == (
            "home_visit",
            None,
        )
        assert await svc.relations(opened.diary, a) == {Relation.KEEPER, Relation.STATION_DEPUTY}
        assert await svc.relations(opened.diary, b) == {Relation.STATION_DEPUTY}
        assert await svc.relations(opened.diary, f) == {Relation.STAFF}
        assert await svc.relations(opened.diary, await who(u, ids["d"])) == frozenset()
        assert await svc.relations(visit.diary, b) == frozenset()  # a home visit has no station deputies
        # The next day: the keeper's entries left open are closed by the system.
        clock.advance(timedelta(days=1))
        next_day = await svc.open_station(a, ids["s1"], "test")
        assert isinstance(next_day, Opened) and next_day.closed_earlier == 2 and not next_day.resumed
        reasons = [e.detail["reason"] for e in await audits(u, "reception.refused")]
        assert reasons == ["not_their_station", "not_a_receiver"]
        closed = await audits(u, "reception.closed")
        assert [(e.actor_person_id, e.detail["by"]) for e in closed] == [(None, "system"), (None, "system")]
        states = {r.id: r.state for r in await u.session.scalars(select(Reception))}
        assert states == {
            opened.diary.id: "closed",
            staffed.diary.id: "open",  # the staff member's own: not A's to close
            visit.diary.id: "closed",
            next_day.diary.id: "open",
        }


async def test_a_stations_liaison_officer_or_head_keeps_its_diary(uow: Callable[[], UnitOfWork]) -> None:
    ids = await seeded(uow)
    async with uow() as u:
        liaison, head = Person(name="联络员", telegram_id=152), Person(name="站长", telegram_id=150)
        await u.people.add(liaison)
        await u.people.add(head)
        await u.people.grant(liaison, Role.LIAISON)
        await u.people.grant(head, Role.STATION_HEAD)
        await u.station_officers.add(ids["s1"], liaison.id, StationRole.LIAISON)
        await u.station_officers.add(ids["s2"], head.id, StationRole.HEAD)
        svc = service(u, FixedClock(NOW))
        liaison, head = await who(u, liaison.id), await who(u, head.id)
        assert [s.code for s in await svc.own_stations(liaison)] == ["S1"]
        assert [s.code for s in await svc.own_stations(head)] == ["S2"]
        assert await svc.not_a_receiver(liaison, "t") is None
        kept = await svc.open_station(liaison, ids["s1"], "t")
        assert isinstance(kept, Opened) and kept.diary.deputy_id is None  # the station's, no deputy's
        refused = await svc.open_station(liaison, ids["s2"], "t")
        assert isinstance(refused, Refusal) and refused.reason == RefusalReason.NOT_THEIR_STATION
        a = await who(u, ids["a"])
        deputys = await svc.open_station(a, ids["s1"], "t")
        assert isinstance(deputys, Opened)
        assert await svc.relations(deputys.diary, liaison) == {Relation.STATION_OFFICER}
        assert await svc.relations(deputys.diary, head) == frozenset()  # S2's head, not S1's
        assert isinstance(await register(svc, deputys.diary.id, liaison, None), ReceptionVisitor)
        refused = await svc.close(deputys.diary.id, liaison, "t")  # the keeper's day to close
        assert isinstance(refused, Refusal) and refused.reason == RefusalReason.NOT_PERMITTED


async def register(
    svc: DiaryService, diary_id: int, person: Person, name: str | None, phone: str | None = None
) -> ReceptionVisitor:
    visitor = await svc.register_visitor(diary_id, person, name=name, phone=phone, stage="test")
    assert isinstance(visitor, ReceptionVisitor), visitor
    return visitor


async def test_registering_routing_resolving_and_closing(uow: Callable[[], UnitOfWork]) -> None:
    ids = await seeded(uow)
    clock = FixedClock(NOW)
    async with uow() as u:
        svc = service(u, clock)
        a, b, d = [await who(u, ids[k]) for k in "abd"]
        opened = await svc.open_station(a, ids["s1"], "test")
        assert isinstance(opened, Opened)
        diary = opened.diary.id
        # A visitor whose phone matches a constituent in Telegram: their opinion is theirs.
        bound = await register(svc, diary, a, "周小梅", "+8613900000301")
        assert (bound.number, bound.person_id, bound.stand_in, bound.phone_consent) == (
            1,
            ids["c"],
            False,
            True,
        )
        routed = await svc.route(diary, bound.id, a, text="公交站牌倒了", category="transport", stage="test")
        assert isinstance(routed, Routed) and routed.bound_person_id == ids["c"] and routed.link is None
        assert routed.opinion.sender_person_id == ids["c"] and routed.opinion.source == "station_reception"
        assert routed.opinion.recorded_by_person_id == ids["a"] and routed.opinion.station_id == ids["s1"]
        assert routed.opinion.holder_deputy_id is not None  # the normal loop: routed at S1
        assert not [n for n in routed.notifications if n.recipient_person_id == ids["c"]]  # told in the card
        # An anonymous visitor: a stand-in files for them; one link, issued once, covers both opinions.
        anonymous = await register(svc, diary, b, None)  # B, a deputy of S1, registers too
        assert anonymous.anonymous and anonymous.name is None and anonymous.number == 2
        first = await svc.route(diary, anonymous.id, b, text="邻居吵架", category="disputes", stage="test")
        assert isinstance(first, Routed) and first.link is not None and not first.covered
        assert first.opinion.anonymous and first.bound_person_id is None
        second = await svc.route(diary, anonymous.id, b, text="还有一件", category="other", stage="test")
        assert isinstance(second, Routed) and second.link is None and second.covered
        assert second.opinion.sender_person_id == first.opinion.sender_person_id
        stand_in = await u.people.get(first.opinion.sender_person_id)
        assert (
            stand_in is not None
            and stand_in.telegram_id is None
            and stand_in.name == f"甲村<联络站> · {TODAY} · #2"
        )
        # Answered on the spot.
        plain = await register(svc, diary, a, "吴大海")
        matter = await svc.resolve(
            diary, plain.id, a, text="医保", category="social_security", answer="年底前", stage="test"
        )
        assert isinstance(matter, ReceptionMatter) and (matter.outcome, matter.answer) == (
            "resolved",
            "年底前",
        )
        # Refused: another station's deputy, a visitor of another diary, and anything after closing.
        refused = await svc.register_visitor(diary, d, name="x", phone=None, stage="test")
        assert isinstance(refused, Refusal) and refused.reason == RefusalReason.NO_RELATION
        other = await svc.open_station(a, ids["s2"], "test")
        assert isinstance(other, Opened)
        wrong = await svc.resolve(
            other.diary.id, plain.id, a, text="x", category="other", answer="y", stage="test"
        )
        assert isinstance(wrong, Refusal) and wrong.reason == RefusalReason.WRONG_VISITOR
        assert await svc.counts(opened.diary) == Counts(people=3, matters=4, resolved=1, routed=3)
        refused = await svc.close(diary, b, "test")  # a station deputy may not close the keeper's day
        assert isinstance(refused, Refusal) and refused.reason == RefusalReason.NOT_PERMITTED
        assert isinstance(await svc.close(diary, a, "test"), Reception)
        for late in (
            await svc.close(diary, a, "test"),
            await svc.register_visitor(diary, a, name="x", phone=None, stage="test"),
            await svc.route(diary, plain.id, a, text="x", category="other", stage="test"),
        ):
            assert isinstance(late, Refusal) and late.reason == RefusalReason.FINAL
        assert await svc.counts(opened.diary) == Counts(people=3, matters=4, resolved=1, routed=3)
        visitors = await audits(u, "reception.visitor")
        assert visitors[0].detail == {
            "number": 1,
            "anonymous": False,
            "phone_given": True,
            "bound": True,
        }
        assert "周小梅" not in json.dumps([e.detail for e in visitors]) and "139" not in json.dumps(
            [e.detail for e in visitors]
        )
        await u.commit()


async def test_the_visitors_link(uow: Callable[[], UnitOfWork]) -> None:
    ids = await seeded(uow)
    clock = FixedClock(NOW)
    async with uow() as u:
        svc = service(u, clock)
        a, b = await who(u, ids["a"]), await who(u, ids["b"])
        opened = await svc.open_station(a, ids["s1"], "test")
        assert isinstance(opened, Opened)
        visitor = await register(svc, opened.diary.id, a, "张三")
        routed = await svc.route(
            opened.diary.id, visitor.id, a, text="路灯坏了", category="other", stage="test"
        )
        assert isinstance(routed, Routed) and routed.link is not None
        token, stand_in_id = routed.link.token, routed.opinion.sender_person_id
        assert routed.link.expires_at == NOW + links.LINK_TTL
        opener = Person(name="新用户", telegram_id=401)
        await u.people.add(opener)
        assert await links.open_link(u, opener, "vis_" + "A" * 22, NOW) == links.LinkRefusal.UNKNOWN
        assert await links.open_link(u, opener, "inv_" + token, NOW) == links.LinkRefusal.UNKNOWN
        assert await links.open_link(u, a, "vis_" + token, NOW) == links.LinkRefusal.OWN
        late = NOW + links.LINK_TTL
        assert await links.open_link(u, opener, "vis_" + token, late) == links.LinkRefusal.EXPIRED
        followed = await links.open_link(u, opener, "vis_" + token, NOW + timedelta(hours=1))
        assert isinstance(followed, links.Followed) and [o.id for o in followed.opinions] == [
            routed.opinion.id
        ]
        assert await u.people.get(stand_in_id) is None  # the stand-in is gone, its opinion the opener's
        opinion = await u.opinions.get(routed.opinion.id)
        assert (
            opinion is not None and opinion.sender_person_id == opener.id and opener.station_id == ids["s1"]
        )
        assert await links.open_link(u, b, "vis_" + token, NOW) == links.LinkRefusal.USED
        # Later matters of the same visitor are filed for the opener directly, and tell them.
        more = await svc.route(
            opened.diary.id, visitor.id, a, text="还有水沟", category="other", stage="test"
        )
        assert isinstance(more, Routed) and more.bound_person_id == opener.id and more.link is None
        refused = await audits(u, "reception.link_refused")
        assert [e.detail["reason"] for e in refused] == ["unknown", "unknown", "own", "expired", "used"]
        everything = json.dumps([e.detail for e in await u.session.scalars(select(AuditEntry))])
        assert token not in everything  # the token is in no audit entry
        await u.commit()


async def test_who_sees_names_phones_and_anonymous_matters(uow: Callable[[], UnitOfWork]) -> None:
    ids = await seeded(uow)
    clock = FixedClock(NOW)
    async with uow() as u:
        svc = service(u, clock)
        a, b, d, f = [await who(u, ids[k]) for k in "abdf"]
        opened = await svc.open_station(a, ids["s1"], "test")
        assert isinstance(opened, Opened)
        diary = opened.diary.id
        named = await register(svc, diary, a, "张三", "+8613900000099")
        await svc.resolve(
            diary, named.id, a, text="问低保", category="social_security", answer="可以申请", stage="t"
        )
        anonymous = await register(svc, diary, a, None)
        routed = await svc.route(diary, anonymous.id, a, text="村干部的事", category="other", stage="t")
        assert isinstance(routed, Routed)
        spot = await svc.resolve(
            diary, anonymous.id, a, text="小事一件", category="other", answer="已答", stage="t"
        )
        assert isinstance(spot, ReceptionMatter)
        holder = routed.opinion.holder_deputy_id

        async def seen(person: Person) -> DiaryView:
            view = await svc.view(diary, person, "t")
            assert isinstance(view, DiaryView)
            return view

        mine = await seen(a)
        assert (mine.visitors[0].name, mine.visitors[0].phone) == ("张三", "+8613900000099")
        assert [m.text for m in mine.visitors[1].matters] == [
            "村干部的事" if holder == ids["da"] else None,  # anonymous and routed: its holder only
            "小事一件",  # answered on the spot by A: A handles it
        ]
        other_deputy = await seen(b)  # B, a deputy of S1, did not register them
        assert (other_deputy.visitors[0].name, other_deputy.visitors[0].phone) == (None, None)
        assert other_deputy.visitors[0].matters[0].text == "问低保"  # a named visitor's matter: not masked
        assert [m.text for m in other_deputy.visitors[1].matters] == [
            "村干部的事" if holder == ids["db"] else None,
            None,
        ]
        office = await seen(f)
        assert office.visitors[0].name == "张三" and office.visitors[1].matters[1].text is None
        refused = await svc.view(diary, d, "t")  # another station's deputy
        assert isinstance(refused, Refusal) and refused.reason == RefusalReason.NO_RELATION
        text_a, _ = v.summary(ZH, mine)
        text_b, _ = v.summary(ZH, other_deputy)
        assert "张三 · +8613900000099" in text_a and "张三" not in text_b and "+8613900000099" not in text_b
        assert "1. 来访群众" in text_b and "2. 🙈 匿名" in text_b and "小事一件" not in text_b


async def test_figures_are_derived_and_old_rows_keep_their_counts(uow: Callable[[], UnitOfWork]) -> None:
    ids = await seeded(uow)
    clock = FixedClock(NOW)
    async with uow() as u:
        svc = service(u, clock)
        a, f = await who(u, ids["a"]), await who(u, ids["f"])
        u.session.add_all(
            [  # typed before registration existed
                Reception(deputy_id=ids["da"], station_id=ids["s1"], day=date(2026, 2, 1), people=12, opinions_paper=3, legacy=True, state="closed"),
                Reception(deputy_id=ids["db"], station_id=ids["s1"], day=date(2026, 2, 2), people=5, opinions_paper=0, legacy=True, state="closed"),
                Reception(deputy_id=ids["db"], station_id=ids["s1"], day=date(2026, 2, 3), people=99, opinions_paper=9, legacy=True, state="closed", deleted_at=NOW),
                Reception(deputy_id=ids["da"], station_id=ids["s2"], day=date(2025, 12, 31), people=4, opinions_paper=4, legacy=True, state="closed"),
            ]
        )  # fmt: skip
        at_s1 = await svc.open_station(a, ids["s1"], "t")
        empty = await svc.open_station(a, ids["s2"], "t")  # opened and left empty: counts for nothing
        visit = await svc.open_home_visit(a, "张家", None, "t")
        staffed = await svc.open_station(f, ids["s3"], "t")
        assert all(isinstance(x, Opened) for x in (at_s1, empty, visit, staffed))
        assert isinstance(at_s1, Opened) and isinstance(visit, Opened) and isinstance(staffed, Opened)
        one, two = await register(svc, at_s1.diary.id, a, "甲"), await register(svc, at_s1.diary.id, a, None)
        await svc.resolve(at_s1.diary.id, one.id, a, text="x", category="other", answer="y", stage="t")
        await svc.route(at_s1.diary.id, two.id, a, text="x", category="other", stage="t")
        home = await register(svc, visit.diary.id, a, "乙")
        await svc.route(visit.diary.id, home.id, a, text="x", category="other", stage="t")
        await register(svc, visit.diary.id, a, "丙")  # raised nothing: still received
        await register(svc, staffed.diary.id, f, None)
        await u.commit()
    async with uow() as u:
        by_deputy, by_station, total = await figures(u.session, date(2026, 1, 1), TODAY)
        everything = (await figures(u.session, None, None))[2]
    assert by_deputy == {
        ids["da"]: Figures(receptions=2, people=16, paper=3, home_visits=1, matters=3, resolved=1, routed=2),
        ids["db"]: Figures(receptions=1, people=5),
    }
    assert by_station == {
        ids["s1"]: Figures(receptions=3, people=19, paper=3, matters=2, resolved=1, routed=1),
        ids["s3"]: Figures(receptions=1, people=1),  # staff's own entry: the station, not a deputy
    }
    assert total == Figures(receptions=4, people=22, paper=3, home_visits=1, matters=3, resolved=1, routed=2)
    assert everything == Figures(
        receptions=5, people=26, paper=7, home_visits=1, matters=3, resolved=1, routed=2
    )
    # What the statistics read (bot/stats: the CLI's JSON, the chat, the console's tables).
    async with uow() as u:
        stats = await compute_stats(u.session, date(2026, 1, 1), TODAY, "Asia/Shanghai")
    t = stats["totals"]
    assert (t["receptions"], t["people_received"], t["opinions_paper"]) == (4, 22, 3)
    diary_totals = (
        t["home_visits"],
        t["matters_registered"],
        t["resolved_at_reception"],
        t["matters_routed"],
    )
    assert diary_totals == (1, 3, 1, 2)
    assert t["received"] == 2  # the two routed matters are opinions received too
    [row] = [r for r in stats["by_deputy"] if r["key"] == ids["da"]]
    assert (row["receptions"], row["people_received"], row["home_visits"], row["matters_registered"]) == (
        2,
        16,
        1,
        3,
    )
    assert "走访：1 次；登记事项 3 件：当场解决 1 件，转为意见 2 件" in render_chat(stats, ZH)
    assert "matters           3 (resolved at reception 1, sent as opinions 2)" in render_table(stats)
    async with uow() as u:
        listed = await service(u, clock).recent(await who(u, ids["a"]))
    assert [(r.kind, r.legacy, c) for r, _, c in listed] == [
        ("home_visit", False, Counts(people=2, matters=1, routed=1)),
        ("station", False, Counts()),
        ("station", False, Counts(people=2, matters=2, resolved=1, routed=1)),
        ("station", True, Counts(people=12, paper=3, legacy=True)),
        ("station", True, Counts(people=4, paper=4, legacy=True)),
    ]


def diary_revision() -> tuple[str, str]:
    """(the reception diary's revision, the one before it), found by its file's name, so renumbering
    the migrations at a merge does not break this test."""
    folder = ROOT / "storage" / "migrations" / "versions"
    [path] = folder.glob("*_reception_diary.py")
    revision = path.name.split("_", 1)[0]
    order = migrate.revisions()
    return revision, order[order.index(revision) - 1]


async def test_the_station_page_counts_receptions_by_their_visitors(uow: Callable[[], UnitOfWork]) -> None:
    """The console's station page (storage/repos/stations.py, the activity record): people received are
    the visitors registered; who received is the deputy, else the keeper; an empty entry is none."""
    ids = await seeded(uow)
    async with uow() as u:
        svc = service(u, FixedClock(NOW))
        a, b, f = [await who(u, ids[k]) for k in "abf"]
        u.session.add(
            Reception(deputy_id=ids["da"], station_id=ids["s1"], day=date(2026, 2, 1), people=12, legacy=True, state="closed")
        )  # fmt: skip
        by_a, by_b, by_f = [await svc.open_station(p, ids["s1"], "t") for p in (a, b, f)]
        assert isinstance(by_a, Opened) and isinstance(by_b, Opened) and isinstance(by_f, Opened)
        for _ in range(2):
            await register(svc, by_a.diary.id, a, None)
        await register(svc, by_f.diary.id, f, "张三")
        await u.commit()
    async with uow() as u:
        listed = await u.stations.receptions_at(ids["s1"])
    assert sorted((r.deputy, r.people, r.day) for r in listed) == [
        ("Office", 1, TODAY),  # kept by staff on their own: the keeper's name
        ("孙建国", 2, TODAY),
        ("孙建国", 12, date(2026, 2, 1)),  # typed before registration
    ]  # B's entry, opened and left empty, is no reception


async def test_the_migration_marks_older_rows_legacy(empty_db_url: str) -> None:
    revision, before = diary_revision()
    engine = create_engine(empty_db_url)
    try:
        await migrate.upgrade(engine, before)
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO station (id, code, name, kind) VALUES (1, 'S1', 'x', 'village')")
            )
            await conn.execute(
                text("INSERT INTO person (id, name, phone_shared, created_at) VALUES (1, 'p', false, :t)"),
                {"t": NOW},
            )
            await conn.execute(
                text("INSERT INTO deputy (id, person_id, level, fields) VALUES (1, 1, 'county', '[]')")
            )
            await conn.execute(
                text(
                    "INSERT INTO reception (deputy_id, station_id, day, people, opinions_paper, note, created_at) "
                    "VALUES (1, 1, :day, 12, 3, 'n', :t)"
                ),
                {"day": date(2026, 2, 1), "t": NOW},
            )
        await migrate.upgrade(engine, revision)
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    text("SELECT legacy, state, people, opinions_paper, kind, closed_at FROM reception")
                )
            ).one()
        assert (bool(row[0]), row[1], row[2], row[3], row[4]) == (True, "closed", 12, 3, "station")
        assert row[5] is not None
        await migrate.downgrade(engine, before)
        async with engine.connect() as conn:
            kept = (await conn.execute(text("SELECT people, opinions_paper FROM reception"))).all()
        assert [tuple(r) for r in kept] == [(12, 3)]
    finally:
        await engine.dispose()


# -- the chat's holder, views and buttons ---------------------------------------------------------


class TestDiaryChat:
    async def test_a_draft_is_kept_and_given_back(self, uow: Callable[[], UnitOfWork]) -> None:
        async with uow() as u:
            await u.chats.set(5, "draft", {"draft": {"parts": ["x"]}})
            chat = DiaryChat(u, 5, "draft")
            held = await chat.open(Cursor(person_id=1, touched=NOW, key="k1"))
            assert held.saved == {"state": "draft", "data": {"draft": {"parts": ["x"]}}}
            assert (await u.chats.get(5)).state == "rcd:choose"
            again = await chat.open(Cursor(person_id=1, touched=NOW, key="k2"))  # a second /reception
            assert again.saved == held.saved and (await chat.held()).cursor == again.cursor
            assert await chat.end(await chat.held()) is True
            session = await u.chats.get(5)
            assert (session.state, session.data) == ("draft", {"draft": {"parts": ["x"]}})

    async def test_damaged_or_foreign_dialogs_are_left(self, uow: Callable[[], UnitOfWork]) -> None:
        async with uow() as u:
            await u.chats.set(7, "rcd:matter", {"cursor": {"person_id": 1, "key": "k", "step": "matter"}})
            held = await DiaryChat(u, 7, "draft").held()
            assert held.cursor is None and not held.takes_message_of(1)

    def test_which_presses_reach_the_dialog(self) -> None:
        cursor = Cursor(person_id=1, touched=NOW, key="k")
        held = Held(cursor, None)
        assert held.for_press("k", 1, NOW) is cursor
        assert held.for_press("other", 1, NOW) is Stale.STALE
        assert held.for_press("k", 2, NOW) is Stale.STALE
        assert held.for_press("k", 1, NOW + DIALOG_TTL + timedelta(seconds=1)) is Stale.EXPIRED
        assert Held(None, None).for_press("k", 1, NOW) is Stale.STALE


class TestButtons:
    @pytest.mark.parametrize(
        ("press", "data"),
        [
            (DiaryPress(DiaryAction.CLOSE, 7), "rd:d:x:7"),
            (StepPress(StepAction.ROUTE, "0a1b2c3d"), "rd:s:send:0a1b2c3d"),
            (StationPick("0a1b2c3d", 12), "rd:st:0a1b2c3d:12"),
            (CategoryPick("0a1b2c3d", "urban_construction"), "rd:c:0a1b2c3d:urban_construction"),
            (ListPress(), "rd:ls"),
        ],
    )
    def test_round_trip(self, press: Button, data: str) -> None:
        assert press.pack() == data and type(press).parse(data) == press

    @pytest.mark.parametrize(
        ("kind", "data"),
        [
            (DiaryPress, "rd:d:q:1"),
            (DiaryPress, "rd:d:x:-1"),
            (DiaryPress, "rd:d:x"),
            (StepPress, "rd:s:fly:k"),
            (StationPick, "rd:st:k:abc"),
            (CategoryPick, "rd:c:k:../x"),
            (ListPress, "rd:ls:1"),
        ],
    )
    def test_forged_data_parses_to_nothing(self, kind: type[Button], data: str) -> None:
        assert kind.parse(data) is None

    def test_every_drawn_button_fits_and_parses(self) -> None:
        diary = Reception(id=10**12, kind="station", day=TODAY, state="open")
        key = "0a1b2c3d"
        drawn = [
            v.choose(ZH, key, [(10**12 + n, "站" * 60) for n in range(12)], True),
            v.hub(ZH, diary, "站", Counts(), key),
            v.name_prompt(ZH, key, 1),
            v.consent_prompt(ZH, key, "x"),
            v.phone_prompt(ZH, key),
            v.matter_prompt(ZH, key, diary.id, first=True),
            v.decide_card(ZH, key, "x", "urban_construction", True),
            v.answer_prompt(ZH, key),
            v.place_prompt(ZH, key),
            v.location_prompt(ZH, key, "x"),
            v.recent_list(ZH, [(diary, "站", Counts())] * 10),
        ]
        kinds = (DiaryPress, StepPress, StationPick, CategoryPick, ListPress)
        for _, markup in drawn:
            assert markup is not None
            for row in markup.inline_keyboard:
                for button in row:
                    data = str(button.callback_data)
                    assert len(data.encode()) <= 64, data
                    assert sum(1 for k in kinds if k.parse(data) is not None) == 1, data


def naughty() -> list[str]:
    corpus = json.loads(BLNS.read_text(encoding="utf-8"))
    assert isinstance(corpus, list) and len(corpus) > 500
    return [s for s in corpus if isinstance(s, str)]


async def test_naughty_names_and_places_are_stored_and_shown_exactly(uow: Callable[[], UnitOfWork]) -> None:
    """Each BLNS string as a visitor's name (and a home visit's place): refused only when blank, stored as
    cleaned, and the summary's HTML parses to exactly that text."""
    ids = await seeded(uow)
    async with uow() as u:
        svc = service(u, FixedClock(NOW))
        a = await who(u, ids["a"])
        visit = await svc.open_home_visit(a, "<b>张家</b> & 李家", None, "t")
        assert isinstance(visit, Opened)
        expected: list[str] = []
        for raw in naughty():
            name = clean_line(raw, 50)
            if isinstance(name, Invalid):
                assert not raw.replace("\x00", "").strip() or utf16_len(" ".join(raw.split())) > 50, repr(raw)
                continue
            expected.append(name)
            await register(svc, visit.diary.id, a, name)
        view = await svc.view(visit.diary.id, a, "t")
        assert isinstance(view, DiaryView)
    assert len(expected) > 300
    assert [x.name for x in view.visitors] == expected
    shown = parse_html(v.summary(EN, view)[0]).text
    assert shown.startswith(f"📒 Home visit · <b>张家</b> & 李家 · {TODAY}")
    listed = [line.split(". ", 1)[1] for line in shown.splitlines() if line[:1].isdigit()]
    assert listed == expected[: len(listed)] and len(listed) < len(expected)  # what fits, then "… more"
    assert (
        utf16_len(shown) <= MESSAGE_LIMIT and f"… and {len(expected) - len(listed)} more visitors." in shown
    )


def test_the_visitors_link_is_kept_out_of_logs() -> None:
    line = "sent https://t.me/liaison_bot?start=vis_AbCdEfGh12345678_-xy to 201"
    assert redact(line) == "sent https://t.me/liaison_bot?start=vis_… to 201"
    assert blank({"text": line, "n": 1}) == {"text": redact(line), "n": 1}


def test_texts_for_every_refusal() -> None:
    for reason in RefusalReason:
        assert v.refusal_text(ZH, Refusal(reason)) and v.refusal_text(EN, Refusal(reason)) != ""
    for reason in links.LinkRefusal:
        assert v.link_refused(ZH, reason) != v.link_refused(EN, reason)
    for kind in Problem:
        assert v.problem_text(EN, Invalid(kind, given=2, limit=1))
