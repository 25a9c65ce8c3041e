"""The reception diary: input rules, the form's state machine, storage, deleting and figures (SQLite and PG)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kit.callbacks import Button
from bot.kit.i18n import translator
from bot.people.views import command_menu as menu_for
from bot.receptions import service as svc
from bot.receptions import views
from bot.receptions.forms import FormChat, Held, Stale
from bot.receptions.service import Form, Invalid, Problem, Step
from storage.models import AuditEntry, Deputy, DeputyStation, Person, Reception, Station
from storage.unit_of_work import UnitOfWork
from tests.conftest import BLNS

TODAY = date(2026, 3, 1)
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def problem(result: object) -> Problem | None:
    return result.problem if isinstance(result, Invalid) else None


class TestParsing:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [("12", 12), (" 7 ", 7), ("１２", 12), ("12人", 12), ("+3", 3), ("500", 500), ("1", 1)],
    )
    def test_numbers_taken(self, text: str, expected: int) -> None:
        assert svc.parse_count(text, 1, 500) == expected

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("0", Problem.OUT_OF_RANGE),
            ("501", Problem.OUT_OF_RANGE),
            ("-3", Problem.OUT_OF_RANGE),
            ("abc", Problem.NOT_A_NUMBER),
            ("", Problem.NOT_A_NUMBER),
            ("1.5", Problem.NOT_A_NUMBER),
            ("1_000", Problem.NOT_A_NUMBER),  # int() would take it
            ("١٢", Problem.NOT_A_NUMBER),  # Arabic-Indic digits: int() would take them too
            ("12 people", Problem.NOT_A_NUMBER),
            ("9" * 40, Problem.NOT_A_NUMBER),
        ],
    )
    def test_numbers_refused(self, text: str, expected: Problem) -> None:
        result = svc.parse_count(text, 1, 500)
        assert problem(result) == expected
        assert isinstance(result, Invalid) and (result.low, result.high) == (1, 500)

    def test_days(self) -> None:
        assert svc.parse_day("2026-03-01", TODAY) == TODAY
        assert svc.parse_day("２０２６-０２-２８", TODAY) == date(2026, 2, 28)
        assert svc.parse_day("2026-2-3", TODAY) == date(2026, 2, 3)
        assert svc.parse_day("2025-02-28", TODAY) == date(2025, 2, 28)  # 366 days back: the limit
        assert problem(svc.parse_day("2025-02-27", TODAY)) == Problem.TOO_OLD
        assert problem(svc.parse_day("2026-03-02", TODAY)) == Problem.FUTURE
        for bad in ("2026-02-30", "2026/03/01", "yesterday", "20260301", "", "2026-03-01T00:00"):
            assert problem(svc.parse_day(bad, TODAY)) == Problem.NOT_A_DATE, bad

    def test_local_today_uses_the_congress_zone(self) -> None:
        late_utc = datetime(2026, 2, 28, 16, 30, tzinfo=UTC)
        assert svc.local_today(late_utc, "Asia/Shanghai") == date(2026, 3, 1)
        assert svc.local_today(late_utc, "UTC") == date(2026, 2, 28)

    def test_notes(self) -> None:
        assert svc.clean_note("  路灯 <b>坏了</b> & \n") == "路灯 <b>坏了</b> &"
        assert svc.clean_note("a\x00b") == "ab"  # PostgreSQL cannot store NUL
        assert svc.clean_note("x" * svc.MAX_NOTE) == "x" * svc.MAX_NOTE
        too_long = svc.clean_note("x" * (svc.MAX_NOTE + 1))
        assert isinstance(too_long, Invalid) and too_long.problem == Problem.TOO_LONG
        assert (too_long.given, too_long.high) == (svc.MAX_NOTE + 1, svc.MAX_NOTE)
        for blank in ("", "   ", "\x00", "\n\t"):
            assert problem(svc.clean_note(blank)) == Problem.EMPTY


class TestForm:
    def walk(self) -> Form:
        form = Form(deputy_id=7, touched=NOW)
        assert form.choose_station(3, NOW) is None and form.step == Step.DAY
        assert form.type_day("2026-02-28", TODAY, NOW) is None and form.step == Step.PEOPLE
        assert form.type_people("12", NOW) is None and form.step == Step.PAPER
        assert form.type_paper("4", NOW) is None and form.step == Step.NOTE
        assert form.type_note(" 很多人反映路灯 ", NOW) is None and form.step == Step.CONFIRM
        return form

    def test_steps_in_order(self) -> None:
        form = self.walk()
        assert (form.station_id, form.day, form.people, form.paper, form.note) == (
            3,
            date(2026, 2, 28),
            12,
            4,
            "很多人反映路灯",
        )
        assert form.check(TODAY) is None

    def test_bad_input_keeps_the_step_and_the_values(self) -> None:
        form = Form(deputy_id=7, touched=NOW)
        form.choose_station(3, NOW)
        assert problem(form.type_day("2026-03-02", TODAY, NOW)) == Problem.FUTURE
        assert problem(form.choose_day(date(2026, 3, 2), TODAY, NOW)) == Problem.FUTURE
        assert form.step == Step.DAY and form.day is None
        form.choose_day(TODAY, TODAY, NOW)
        for bad in ("0", "501", "many"):
            assert form.type_people(bad, NOW) is not None
        assert form.step == Step.PEOPLE and form.people is None

    def test_a_step_out_of_turn_is_refused(self) -> None:
        form = Form(deputy_id=7, touched=NOW)
        for attempt in (
            form.type_people("3", NOW),
            form.type_paper(None, NOW),
            form.type_note(None, NOW),
            form.choose_day(TODAY, TODAY, NOW),
            form.change_note(NOW),
        ):
            assert problem(attempt) == Problem.WRONG_STEP
        assert form.step == Step.STATION
        assert problem(form.check(TODAY)) == Problem.WRONG_STEP
        done = self.walk()
        assert problem(done.choose_station(9, NOW)) == Problem.WRONG_STEP and done.station_id == 3

    def test_skips_and_changing_the_note(self) -> None:
        form = Form(deputy_id=7, touched=NOW)
        form.choose_station(3, NOW)
        form.choose_day(TODAY, TODAY, NOW)
        form.type_people("1", NOW)
        assert form.type_paper(None, NOW) is None and form.paper == 0
        assert form.type_note(None, NOW) is None and form.note is None and form.step == Step.CONFIRM
        assert form.change_note(NOW) is None and form.step == Step.NOTE
        form.type_note("补记", NOW)
        assert form.step == Step.CONFIRM and form.note == "补记"

    def test_check_again_before_saving(self) -> None:
        form = self.walk()
        assert problem(form.check(date(2026, 2, 27))) == Problem.FUTURE  # (a clock set back)
        stale = form.check(date(2027, 3, 2))  # the day (2026-02-28) is now 367 days back
        assert isinstance(stale, Invalid) and stale.problem == Problem.TOO_OLD and stale.step == Step.DAY
        form.people = 900  # damaged session data
        assert form.check(TODAY) == Invalid(Problem.OUT_OF_RANGE, 1, 500, Step.PEOPLE)

    def test_round_trip_and_damaged_data(self) -> None:
        form = self.walk()
        again = Form.from_dict(json.loads(json.dumps(form.to_dict())))
        assert again == form
        for damaged in (
            None,
            [],
            {},
            {"deputy_id": 1},
            {**form.to_dict(), "step": "nope"},
            {**form.to_dict(), "touched": "x"},
        ):
            assert Form.from_dict(damaged) is None
        odd = Form.from_dict({**form.to_dict(), "people": "12", "day": "2026-13-01", "paper": True})
        assert odd is not None and (odd.people, odd.day, odd.paper) == (None, None, 0)

    def test_expiry(self) -> None:
        form = Form(deputy_id=7, touched=NOW)
        assert not form.expired(NOW + svc.FORM_TTL)
        assert form.expired(NOW + svc.FORM_TTL + timedelta(seconds=1))
        form.choose_station(3, NOW + timedelta(hours=1))
        assert not form.expired(NOW + svc.FORM_TTL + timedelta(minutes=30))  # each step renews it


def test_the_deputy_menu_offers_reception() -> None:
    deputy = Person(name="孙建国", roles=[])
    deputy.deputy = Deputy(level="county")
    constituent = Person(name="周小梅", roles=[])
    tr = translator("zh_Hans")
    assert {"command": "reception", "description": "记录接待群众"} in menu_for(deputy, tr)
    assert "reception" not in [c["command"] for c in menu_for(constituent, tr)]


# -- storage ---------------------------------------------------------------------------------------


async def network(session: AsyncSession) -> dict[str, int]:
    """Two stations, two deputies (A at S1 and S2, B at S2), one constituent."""
    s1 = Station(code="S1", name="甲村<联络站>", kind="village")
    s2 = Station(code="S2", name="乙镇工作站", kind="township")
    a, b, c = (
        Person(name="孙建国", telegram_id=201),
        Person(name="吴明", telegram_id=202),
        Person(name="周小梅"),
    )
    session.add_all([s1, s2, a, b, c])
    await session.flush()
    da, db = Deputy(person_id=a.id, level="county"), Deputy(person_id=b.id, level="township")
    session.add_all([da, db])
    await session.flush()
    session.add_all(
        [
            DeputyStation(deputy_id=da.id, station_id=s2.id),
            DeputyStation(deputy_id=da.id, station_id=s1.id),
            DeputyStation(deputy_id=db.id, station_id=s2.id),
        ]
    )
    await session.flush()
    return {"s1": s1.id, "s2": s2.id, "a": a.id, "b": b.id, "da": da.id, "db": db.id}


def ready(
    deputy_id: int, station_id: int, day: date = TODAY, people: str = "12", note: str | None = None
) -> Form:
    form = Form(deputy_id=deputy_id, touched=NOW)
    form.choose_station(station_id, NOW)
    form.choose_day(day, TODAY, NOW)
    assert form.type_people(people, NOW) is None
    form.type_paper("3", NOW)
    assert form.type_note(note, NOW) is None
    return form


async def audits(u: UnitOfWork, action: str) -> list[AuditEntry]:
    rows = await u.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    )
    return list(rows.all())


async def test_stations_offered_and_found(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        ids = await network(u.session)
        await u.commit()
    async with uow() as u:
        assert [s.code for s in await svc.own_stations(u, ids["da"])] == ["S1", "S2"]
        assert [s.code for s in await svc.own_stations(u, ids["db"])] == ["S2"]
        for typed in ("S1", "s1", " ｓ1 "):
            found = await svc.find_station(u, typed)
            assert found is not None and found.id == ids["s1"], typed
        for typed in ("S9", "", "   ", "x" * 500):
            assert await svc.find_station(u, typed) is None


async def test_record_is_stored_audited_and_saved_once(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        ids = await network(u.session)
        await u.commit()
    form = ready(ids["da"], ids["s1"], note="<b>路灯</b> & 水沟")
    async with uow() as u:
        row = await svc.record(u, form, person_id=ids["a"], telegram_id=201, today=TODAY)
        assert isinstance(row, Reception)
        again = await svc.record(u, form, person_id=ids["a"], telegram_id=201, today=TODAY)
        assert again is row  # a second Save of the same form
        await u.commit()
    async with uow() as u:
        rows = list(await u.session.scalars(select(Reception)))
        assert len(rows) == 1
        stored = rows[0]
        assert (stored.deputy_id, stored.station_id, stored.day, stored.people, stored.opinions_paper) == (
            ids["da"],
            ids["s1"],
            TODAY,
            12,
            3,
        )
        assert stored.note == "<b>路灯</b> & 水沟" and stored.recorded_by_person_id == ids["a"]
        assert stored.deleted_at is None and stored.dialog_key == form.key
        [entry] = await audits(u, "reception.recorded")
        assert entry.allowed and entry.object_id == str(stored.id) and entry.actor_telegram_id == 201
        assert entry.detail["people"] == 12 and entry.detail["day"] == "2026-03-01"
        # a new form saved the same day is a new reception
        second = await svc.record(
            u, ready(ids["da"], ids["s1"]), person_id=ids["a"], telegram_id=201, today=TODAY
        )
        assert isinstance(second, Reception) and second.id != stored.id


async def test_record_refuses_what_is_no_longer_right(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        ids = await network(u.session)
        await u.commit()
    async with uow() as u:
        unfinished = Form(deputy_id=ids["da"], touched=NOW)
        assert problem(await svc.record(u, unfinished, person_id=ids["a"], telegram_id=201, today=TODAY)) == (
            Problem.WRONG_STEP
        )
        gone = ready(ids["da"], ids["s1"])
        gone.station_id = 999_999
        refused = await svc.record(u, gone, person_id=ids["a"], telegram_id=201, today=TODAY)
        assert (
            isinstance(refused, Invalid)
            and refused.problem == Problem.NO_STATION
            and refused.step == Step.STATION
        )
        late = await svc.record(
            u,
            ready(ids["da"], ids["s1"]),
            person_id=ids["a"],
            telegram_id=201,
            today=TODAY - timedelta(days=1),
        )
        assert problem(late) == Problem.FUTURE
        assert await u.session.scalar(select(func.count()).select_from(Reception)) == 0


async def test_list_and_delete_only_ones_own(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        ids = await network(u.session)
        days = [date(2026, 2, 27), date(2026, 3, 1), date(2026, 2, 28)]
        made = []
        for day in days:
            row = await svc.record(
                u, ready(ids["da"], ids["s1"], day), person_id=ids["a"], telegram_id=201, today=TODAY
            )
            assert isinstance(row, Reception)
            made.append(row.id)
        theirs = await svc.record(
            u, ready(ids["db"], ids["s2"]), person_id=ids["b"], telegram_id=202, today=TODAY
        )
        assert isinstance(theirs, Reception)
        await u.commit()
    async with uow() as u:
        listed = await svc.recent(u, ids["da"])
        assert [r.day for r, _ in listed] == sorted(days, reverse=True)
        assert all(s.name == "甲村<联络站>" for _, s in listed)
        # B tries to delete A's reception: refused and audited, nothing changes
        refused = await svc.delete(
            u, made[0], deputy_id=ids["db"], person_id=ids["b"], telegram_id=202, now=NOW
        )
        assert refused == svc.DeleteRefusal.NOT_OWNER
        assert await svc.delete(
            u, 424242, deputy_id=ids["db"], person_id=ids["b"], telegram_id=202, now=NOW
        ) == (svc.DeleteRefusal.NOT_FOUND)
        assert await svc.delete(u, made[0], deputy_id=None, person_id=ids["b"], telegram_id=202, now=NOW) == (
            svc.DeleteRefusal.NOT_OWNER
        )
        deleted = await svc.delete(
            u, made[1], deputy_id=ids["da"], person_id=ids["a"], telegram_id=201, now=NOW
        )
        assert isinstance(deleted, Reception) and deleted.deleted_at == NOW
        assert await svc.delete(
            u, made[1], deputy_id=ids["da"], person_id=ids["a"], telegram_id=201, now=NOW
        ) == (svc.DeleteRefusal.NOT_FOUND)
        await u.commit()
    async with uow() as u:
        assert [r.id for r, _ in await svc.recent(u, ids["da"])] == [made[2], made[0]]
        assert (
            await u.session.scalar(select(func.count()).select_from(Reception)) == 4
        )  # a stamp, not a removal
        refusals = await audits(u, "reception.refused")
        assert [(e.allowed, e.detail["reason"], e.actor_telegram_id) for e in refusals] == [
            (False, "not_owner", 202),
            (False, "not_found", 202),
            (False, "not_owner", 202),
            (False, "not_found", 201),
        ]
        [entry] = await audits(u, "reception.deleted")
        assert entry.object_id == str(made[1]) and entry.actor_person_id == ids["a"]
        assert (await svc.deletable(u, theirs.id, ids["da"])) == svc.DeleteRefusal.NOT_OWNER


async def test_figures_per_deputy_and_station(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        ids = await network(u.session)
        for deputy, station, day, people in (
            ("da", "s1", date(2026, 2, 1), "10"),
            ("da", "s2", date(2026, 2, 28), "5"),
            ("db", "s2", date(2026, 1, 31), "7"),  # before the period
            ("db", "s2", date(2026, 2, 10), "2"),
        ):
            row = await svc.record(
                u,
                ready(ids[deputy], ids[station], day, people),
                person_id=ids["a"],
                telegram_id=None,
                today=TODAY,
            )
            assert isinstance(row, Reception)
        gone = await svc.record(
            u,
            ready(ids["da"], ids["s1"], date(2026, 2, 2), "99"),
            person_id=ids["a"],
            telegram_id=None,
            today=TODAY,
        )
        assert isinstance(gone, Reception)
        await svc.delete(u, gone.id, deputy_id=ids["da"], person_id=ids["a"], telegram_id=None, now=NOW)
        await u.commit()
    async with uow() as u:
        by_deputy, by_station = await svc.figures(u.session, date(2026, 2, 1), date(2026, 2, 28))
        everything, _ = await svc.figures(u.session, None, None)
    assert by_deputy == {ids["da"]: svc.Figures(2, 15, 6), ids["db"]: svc.Figures(1, 2, 3)}
    assert by_station == {ids["s1"]: svc.Figures(1, 10, 3), ids["s2"]: svc.Figures(2, 7, 6)}
    assert everything[ids["db"]] == svc.Figures(2, 9, 6)


def naughty_notes() -> list[str]:
    corpus = json.loads(BLNS.read_text(encoding="utf-8"))
    assert isinstance(corpus, list) and len(corpus) > 500
    return [s for s in corpus if isinstance(s, str)]


async def test_every_naughty_string_is_stored_as_the_note(uow: Callable[[], UnitOfWork]) -> None:
    """Each BLNS string as a note: refused only when blank, else stored exactly as cleaned (trimmed)."""
    async with uow() as u:
        ids = await network(u.session)
        await u.commit()
    expected: dict[str, str] = {}
    async with uow() as u:
        for text in naughty_notes():
            form = ready(ids["da"], ids["s1"])
            form.change_note(NOW)
            result = form.type_note(text, NOW)
            if not text.replace("\x00", "").strip():
                assert problem(result) == Problem.EMPTY, repr(text)
                continue
            assert result is None, repr(text)
            row = await svc.record(u, form, person_id=ids["a"], telegram_id=201, today=TODAY)
            assert isinstance(row, Reception)
            expected[form.key] = text.strip()
        await u.commit()
    assert len(expected) > 500
    async with uow() as u:
        stored = dict((await u.session.execute(select(Reception.dialog_key, Reception.note))).all())
    wrong = {key: (expected[key], stored.get(key)) for key in expected if stored.get(key) != expected[key]}
    assert not wrong


class TestButtons:
    """The form's and the list's button kinds: round trips, and forged data parsing to nothing."""

    @pytest.mark.parametrize(
        ("press", "data"),
        [
            (views.FormPress(views.FormAction.SAVE, "0a1b2c3d"), "rc:ok:0a1b2c3d"),
            (views.FormPress(views.FormAction.SKIP_PAPER, "0a1b2c3d"), "rc:sp:0a1b2c3d"),
            (views.StationPress("0a1b2c3d", 12), "rc:st:0a1b2c3d:12"),
            (views.DayPress("0a1b2c3d", "2026-03-01"), "rc:day:0a1b2c3d:2026-03-01"),
            (views.ListPress(), "rc:ls"),
            (views.DeletePress(7), "rc:del:7"),
            (views.DeleteConfirm(7), "rc:dy:7"),
            (views.KeepPress(), "rc:dn"),
        ],
    )
    def test_round_trip(self, press: Button, data: str) -> None:
        assert press.pack() == data
        assert type(press).parse(data) == press

    @pytest.mark.parametrize(
        ("kind", "data"),
        [
            (views.FormPress, "rc:zz"),
            (views.FormPress, "rc:ok"),  # no key
            (views.FormPress, "rc:ok:k:extra"),
            (views.StationPress, "rc:st:k:abc"),
            (views.StationPress, "rc:st:k:-1"),
            (views.DeletePress, "rc:del:¹"),
            (views.DeleteConfirm, "rc:dy:abc"),
            (views.DeleteConfirm, "rc:dy"),
            (views.ListPress, "rc:ls:1"),
            (views.DayPress, "rc:day:k:2026/03/01"),
        ],
    )
    def test_forged_data_parses_to_nothing(self, kind: type[Button], data: str) -> None:
        assert kind.parse(data) is None

    def test_every_drawn_button_fits_and_parses(self) -> None:
        tr = translator("zh_Hans")
        form = Form(deputy_id=1, touched=NOW)
        stations = [Station(id=n, code=f"S{n}", name="站" * 60) for n in range(1, 12)]
        kinds = (views.FormPress, views.StationPress, views.DayPress, views.ListPress)
        for step in Step:
            form.step = step
            _, markup = views.prompt(tr, form, today=TODAY, stations=stations, station=stations[0])
            for row in markup.inline_keyboard:
                for key in row:
                    data = str(key.callback_data)
                    assert len(data.encode()) <= 64
                    # the first kind whose pattern matches, as in the wiring (the catch-all "rc" last)
                    kind = next(
                        k
                        for k in (*kinds[1:], kinds[0])
                        if data.startswith(k.prefix + ":") or data == k.prefix
                    )
                    assert kind.parse(data) is not None, data
        _, station_rows = views.station_prompt(tr, form, stations)
        assert len(station_rows) == views.MAX_STATION_BUTTONS + 1


class TestFormChat:
    """The form in the chat session: what it keeps of an opinion draft, and which presses reach it."""

    async def test_a_draft_is_kept_and_given_back(self, uow: Callable[[], UnitOfWork]) -> None:
        async with uow() as u:
            await u.chats.set(5, "draft", {"draft": {"parts": ["x"]}})
            chat = FormChat(u, 5, "draft")
            held = await chat.open(Form(deputy_id=1, touched=NOW, key="k1"))
            assert held.saved == {"state": "draft", "data": {"draft": {"parts": ["x"]}}}
            assert (await u.chats.get(5)).state == "rcp:station"
            again = await chat.open(Form(deputy_id=1, touched=NOW, key="k2"))  # a second /reception
            assert again.saved == held.saved
            assert (await chat.held()).form == again.form
            assert await chat.end(await chat.held()) is True
            session = await u.chats.get(5)
            assert (session.state, session.data) == ("draft", {"draft": {"parts": ["x"]}})

    async def test_other_dialogs_are_not_kept(self, uow: Callable[[], UnitOfWork]) -> None:
        async with uow() as u:
            await u.chats.set(6, "ask:42", {})
            chat = FormChat(u, 6, "draft")
            held = await chat.open(Form(deputy_id=1, touched=NOW))
            assert held.saved is None
            assert await chat.end(held) is False
            assert (await u.chats.get(6)).state is None

    async def test_damaged_or_foreign_forms_are_left(self, uow: Callable[[], UnitOfWork]) -> None:
        async with uow() as u:
            await u.chats.set(7, "rcp:people", {"form": {"deputy_id": 1, "key": "k", "step": "people"}})
            held = await FormChat(u, 7, "draft").held()
            assert held.form is None and not held.takes_message_of(1)
            await u.chats.set(8, "draft", {})
            assert (await FormChat(u, 8, "draft").held()).form is None

    def test_which_presses_reach_the_form(self) -> None:
        form = Form(deputy_id=1, touched=NOW, key="k")
        held = Held(form, None)
        assert held.for_press("k", 1, NOW) is form
        assert held.for_press("other", 1, NOW) is Stale.STALE
        assert held.for_press("k", 2, NOW) is Stale.STALE
        assert held.for_press("k", 1, NOW + svc.FORM_TTL + timedelta(seconds=1)) is Stale.EXPIRED
        assert Held(None, None).for_press("k", 1, NOW) is Stale.STALE
        assert held.takes_message_of(1) and not held.takes_message_of(2) and not held.takes_message_of(None)
