"""监督 through the service, on both backends: the committee's view (its own committee's suggestions,
colours, overdue first), 督办 comments, reminders and escalation asks, staff 销号 with a reason and the
回头看 day it sets, the daily 回头看 job, the filer's confirm or reopen and the committee's conclusion;
each refused for the wrong role, the wrong committee and a stale state, and audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.kit.i18n import translator
from bot.suggestions.deadlines import WarningColour
from bot.suggestions.lifecycle import TRANSITIONS, Action, RefusalReason
from bot.suggestions.results import RecheckPolicy
from bot.suggestions.service import Notice, Outcome
from bot.suggestions.supervise import MAX_NOTE, SupervisionService
from bot.suggestions.supervise_views import supervision_notice
from bot.suggestions.views import NoticeContext
from storage.models import AuditEntry, Deputy, Opinion, PersonRole, Role
from storage.models.opinions import OpinionState
from storage.models.suggestions import Suggestion, SuggestionState
from storage.unit_of_work import UnitOfWork
from tests.suggestions import seed

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
S = SuggestionState


@dataclass
class World:
    filer: int  # deputy D1, files
    deputy: int  # another deputy
    member: int  # on the transport committee, which supervises transport suggestions
    other_member: int  # on the agriculture committee
    staff: int
    constituent: int
    officer: int  # of the lead unit
    co_officer: int
    lead: int
    co: int
    traf: int
    agri: int


async def world(u: UnitOfWork) -> World:
    ids = {
        name: await seed.person(u, label)
        for name, label in (
            ("filer", "孙建国"),
            ("deputy", "吴明"),
            ("member", "钱志强"),
            ("other_member", "赵立新"),
            ("staff", "办公室小张"),
            ("constituent", "周小梅"),
            ("officer", "王科长"),
            ("co_officer", "李科长"),
        )
    }
    u.session.add_all([Deputy(person_id=ids[n], level="county") for n in ("filer", "deputy", "member")])
    u.session.add(PersonRole(person_id=ids["staff"], role=Role.STAFF.value))
    await u.flush()
    agri = await seed.committee(u, "AGRI", "农业农村委员会", ["agriculture"], [ids["other_member"]])
    traf = await seed.committee(u, "TRAF", "交通委员会", ["transport"], [ids["member"]])
    lead = await seed.unit(u, "U1", "交通局", ids["officer"], ["transport", "agriculture"])
    co = await seed.unit(u, "U2", "公路局", ids["co_officer"], ["transport"])
    return World(**ids, lead=lead, co=co, traf=traf, agri=agri)


async def handling(u: UnitOfWork, w: World, at: datetime, **kw: object) -> Suggestion:
    s = await seed.published(u, w.filer, w.staff, w.lead, at, co_ids=[w.co], **kw)  # type: ignore[arg-type]
    return await seed.signed(u, s, w.officer, at + timedelta(days=1))


async def closed_a(u: UnitOfWork, w: World, at: datetime, title: str = "修缮村道") -> Suggestion:
    """Answered A and closed by the deputy's satisfied rating at `at` (its 回头看 six months on)."""
    s = await handling(u, w, at - timedelta(days=40), title=title)
    await seed.answered(u, s, w.officer, "A", at - timedelta(days=5))
    return await seed.rated(u, s, "satisfied", at)


def told(outcome: Outcome) -> set[tuple[int, str]]:
    return {(n.recipient_person_id, n.key) for n in outcome.notices}


def refused(outcome: Outcome) -> RefusalReason | None:
    return outcome.refusal.reason if outcome.refusal is not None else None


async def refusals(u: UnitOfWork, action: str) -> list[AuditEntry]:
    rows = await u.session.scalars(
        select(AuditEntry).where(AuditEntry.action == f"suggestion.{action}", AuditEntry.allowed.is_(False))
    )
    return list(rows.all())


async def test_the_view_is_the_committees_own_most_overdue_first(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        w = await world(u)
        green = await handling(u, w, NOW - timedelta(days=10), title="绿")
        red = await handling(u, w, NOW - timedelta(days=100), title="红")
        yellow = await handling(u, w, NOW - timedelta(days=80), title="黄")
        farm = await handling(u, w, NOW - timedelta(days=100), title="农", category="agriculture")
        answered = await handling(u, w, NOW - timedelta(days=30), title="已答复")
        await seed.answered(u, answered, w.officer, "A", NOW - timedelta(days=2))
        service = SupervisionService(u)

        board = await service.board(w.member, NOW)
        assert board is not None and not board.staff
        assert [i.suggestion.id for i in board.items] == [red.id, yellow.id, green.id]
        assert [i.colour for i in board.items] == [
            WarningColour.RED,
            WarningColour.YELLOW,
            WarningColour.GREEN,
        ]
        assert [i.lead_unit for i in board.items] == ["交通局"] * 3
        assert board.items[0].actions == (Action.COMMENT, Action.REMIND, Action.ASK_ESCALATION)
        assert red.committee_id == w.traf and farm.committee_id == w.agri

        other = await service.board(w.other_member, NOW)
        assert other is not None and [i.suggestion.id for i in other.items] == [farm.id]

        staff = await service.board(w.staff, NOW)
        assert staff is not None and staff.staff
        ids = [i.suggestion.id for i in staff.items]
        assert ids == [red.id, farm.id, yellow.id, green.id, answered.id]
        assert staff.items[0].actions == (Action.COMMENT, Action.REMIND)  # the office does not ask itself
        assert staff.items[-1].actions == (Action.CLOSE,) and staff.items[-1].colour is None

        for nobody in (w.constituent, w.officer, w.filer):
            assert await service.board(nobody, NOW) is None


async def test_comment_remind_and_ask_the_office(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        w = await world(u)
        s = await handling(u, w, NOW - timedelta(days=20))
        service = SupervisionService(u)

        done = await service.comment(s.id, w.member, "  请加快进度  ", NOW)
        assert done.ok and s.state == S.HANDLING
        assert told(done) == {(w.officer, "suggestion.comment")}
        assert done.notices[0].params["text"] == "请加快进度" and not done.notices[0].urgent
        events = await u.suggestions.events(s.id)
        assert (events[-1].action, events[-1].actor_kind, events[-1].note) == (
            "comment",
            "committee",
            "请加快进度",
        )
        assert (await service.comment(s.id, w.staff, "办公室意见", NOW)).ok

        # Wrong role, wrong committee, the filer themselves, a unit officer, a constituent, a forged id.
        assert refused(await service.comment(s.id, w.filer, "x", NOW)) is RefusalReason.NOT_PERMITTED
        for stranger in (w.deputy, w.other_member, w.officer, w.constituent):
            assert refused(await service.comment(s.id, stranger, "x", NOW)) is RefusalReason.NO_RELATION
        assert refused(await service.comment(99999, w.member, "x", NOW)) is RefusalReason.NO_RELATION
        blank = await service.comment(s.id, w.member, "   ", NOW)
        assert refused(blank) is RefusalReason.REASON_REQUIRED and blank.refusal.detail == "empty"  # type: ignore[union-attr]
        long = await service.comment(s.id, w.member, "长" * (MAX_NOTE + 1), NOW)
        assert long.refusal is not None and long.refusal.detail == "too_long"

        reminded = await service.remind(s.id, w.member, NOW)
        assert told(reminded) == {(w.officer, "suggestion.reminded")} and reminded.notices[0].urgent
        again = await service.remind(s.id, w.staff, NOW + timedelta(hours=1))
        assert refused(again) is RefusalReason.ALREADY_ASKED  # the unit is not pinged twice in 12 hours
        assert (await service.remind(s.id, w.staff, NOW + timedelta(hours=13))).ok
        assert (
            refused(await service.remind(s.id, w.officer, NOW + timedelta(days=1)))
            is RefusalReason.NO_RELATION
        )

        asked = await service.ask_escalation(s.id, w.member, "单位不回应", NOW + timedelta(days=2))
        assert told(asked) == {(w.staff, "suggestion.escalation_asked")}
        assert asked.notices[0].params["reason"] == "单位不回应" and asked.notices[0].urgent
        assert refused(await service.ask_escalation(s.id, w.staff, "x", NOW)) is RefusalReason.NOT_PERMITTED
        assert refused(await service.ask_escalation(s.id, w.member, "", NOW)) is RefusalReason.REASON_REQUIRED

        supervision = [e.action for e in await u.suggestions.events(s.id) if e.actor_kind != "lead_officer"]
        assert supervision[-5:] == ["comment", "comment", "remind", "remind", "ask_escalation"]
        assert len(await refusals(u, "comment")) == 8
        assert len(await refusals(u, "remind")) == 2
        assert len(await refusals(u, "ask_escalation")) == 2


async def test_staff_close_with_a_reason_sets_the_recheck_day(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        w = await world(u)
        a = await handling(u, w, NOW - timedelta(days=40), title="A")
        await seed.answered(u, a, w.officer, "A", NOW - timedelta(days=3))
        b = await handling(u, w, NOW - timedelta(days=40), title="B")
        await seed.answered(u, b, w.officer, "B", NOW - timedelta(days=3), planned_on=date(2026, 10, 1))
        c = await handling(u, w, NOW - timedelta(days=40), title="C")
        await seed.answered(u, c, w.officer, "C", NOW - timedelta(days=3), reason="资金不足")
        open_one = await handling(u, w, NOW - timedelta(days=40), title="办理中")
        service = SupervisionService(u, recheck=RecheckPolicy(a_after_months=3))

        assert refused(await service.close(a.id, w.member, "理由", NOW)) is RefusalReason.NOT_PERMITTED
        assert refused(await service.close(a.id, w.filer, "理由", NOW)) is RefusalReason.NOT_PERMITTED
        assert refused(await service.close(a.id, w.staff, " ", NOW)) is RefusalReason.REASON_REQUIRED
        assert refused(await service.close(open_one.id, w.staff, "理由", NOW)) is RefusalReason.STALE_STATE
        assert a.state == S.ANSWERED and a.closed_at is None

        done = await service.close(a.id, w.staff, "代表联系不上，经核实已解决", NOW)
        assert done.ok
        assert (a.state, a.closed_at, a.closing_action, a.closing_reason) == (
            S.CLOSED,
            NOW,
            "close",
            "代表联系不上，经核实已解决",
        )
        assert a.recheck_due_on == date(2026, 6, 1)  # A: the setting's three months from the local day
        assert told(done) == {
            (w.filer, "suggestion.closed_by_staff"),
            (w.officer, "suggestion.closed_by_staff"),
            (w.member, "suggestion.closed"),
        }
        assert all(n.params["reason"] == "代表联系不上，经核实已解决" for n in done.notices)
        assert refused(await service.close(a.id, w.staff, "again", NOW)) is RefusalReason.STALE_STATE

        assert (await service.close(b.id, w.staff, "按计划办理", NOW)).ok and b.recheck_due_on == date(
            2026, 10, 1
        )
        assert (await service.close(c.id, w.staff, "留作参考", NOW)).ok and c.recheck_due_on is None

        twice = await handling(u, w, NOW - timedelta(days=90), title="两次不满意")
        await seed.answered(u, twice, w.officer, "A", NOW - timedelta(days=60))
        await seed.rated(u, twice, "dissatisfied", NOW - timedelta(days=59))
        await seed.answered(u, twice, w.officer, "A", NOW - timedelta(days=20))
        await seed.rated(u, twice, "dissatisfied", NOW - timedelta(days=19))
        assert twice.state == S.STAFF_REVIEW
        assert (await service.close(twice.id, w.staff, "已尽力办理", NOW)).ok and twice.state == S.CLOSED
        events = await u.suggestions.events(twice.id)
        assert (events[-1].action, events[-1].from_state, events[-1].note) == (
            "close",
            "staff_review",
            "已尽力办理",
        )


async def test_the_daily_job_starts_each_recheck_on_its_local_day(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        w = await world(u)
        a = await closed_a(u, w, NOW, "A")  # closed on 1 March (local): re-checked on 1 September
        b = await handling(u, w, NOW - timedelta(days=40), title="B")
        await seed.answered(u, b, w.officer, "B", NOW - timedelta(days=3), planned_on=date(2026, 5, 20))
        await seed.rated(u, b, "basic", NOW)
        c = await handling(u, w, NOW - timedelta(days=40), title="C")
        await seed.answered(u, c, w.officer, "C", NOW - timedelta(days=3), reason="条件不具备")
        await seed.rated(u, c, "satisfied", NOW)
        assert (a.recheck_due_on, b.recheck_due_on, c.recheck_due_on) == (
            date(2026, 9, 1),
            date(2026, 5, 20),
            None,
        )
        service = SupervisionService(u)

        assert (
            await service.start_due_rechecks(datetime(2026, 5, 19, 15, 0, tzinfo=UTC)) == []
        )  # 23:00 on 19 May
        started = await service.start_due_rechecks(
            datetime(2026, 5, 19, 16, 30, tzinfo=UTC)
        )  # 00:30 on 20 May
        assert [o.suggestion.id for o in started if o.suggestion] == [b.id]
        assert b.state == S.RECHECK and told(started[0]) == {(w.filer, "suggestion.recheck")}
        assert started[0].notices[0].urgent
        events = await u.suggestions.events(b.id)
        assert (events[-1].action, events[-1].actor_kind, events[-1].actor_person_id) == (
            "start_recheck",
            "system",
            None,
        )

        assert await service.start_due_rechecks(datetime(2026, 8, 31, 15, 0, tzinfo=UTC)) == []
        started = await service.start_due_rechecks(datetime(2026, 8, 31, 16, 30, tzinfo=UTC))
        assert [o.suggestion.id for o in started if o.suggestion] == [a.id]
        assert await service.start_due_rechecks(datetime(2027, 3, 1, tzinfo=UTC)) == []  # C never; none twice
        assert c.state == S.CLOSED


async def test_the_filer_confirms_or_reopens_and_the_committee_concludes(
    uow: Callable[[], UnitOfWork],
) -> None:
    async with uow() as u:
        w = await world(u)
        kept = await closed_a(u, w, NOW, "保持")
        back = await closed_a(u, w, NOW, "反弹")
        service = SupervisionService(u)
        later = datetime(2026, 9, 2, 2, 0, tzinfo=UTC)
        # Not yet being re-checked: the filer cannot answer it.
        assert refused(await service.recheck_confirm(kept.id, w.filer, NOW)) is RefusalReason.STALE_STATE
        assert len(await service.start_due_rechecks(later)) == 2

        assert refused(await service.recheck_confirm(kept.id, w.deputy, later)) is RefusalReason.NO_RELATION
        assert refused(await service.recheck_confirm(kept.id, w.member, later)) is RefusalReason.NOT_PERMITTED
        confirmed = await service.recheck_confirm(kept.id, w.filer, later)
        assert confirmed.ok and kept.state == S.RECHECKED
        assert (kept.recheck_outcome, kept.rechecked_at) == ("confirmed", later)
        assert told(confirmed) == {
            (w.member, "suggestion.recheck_confirmed"),
            (w.officer, "suggestion.recheck_confirmed"),
        }
        assert refused(await service.recheck_confirm(kept.id, w.filer, later)) is RefusalReason.FINAL

        assert (
            refused(await service.recheck_reopen(back.id, w.filer, " ", later))
            is RefusalReason.REASON_REQUIRED
        )
        reopened = await service.recheck_reopen(back.id, w.filer, "路面又坏了", later)
        assert reopened.ok and back.state == S.RECHECK_REOPENED
        assert (back.recheck_outcome, back.rechecked_at) == ("reopened", None)
        assert told(reopened) == {
            (w.member, "suggestion.recheck_reopened"),
            (w.staff, "suggestion.recheck_reopened"),
            (w.officer, "suggestion.recheck_reopened"),
        }
        assert {n.params["reason"] for n in reopened.notices} == {"路面又坏了"}
        assert (
            refused(await service.recheck_reopen(back.id, w.filer, "again", later))
            is RefusalReason.STALE_STATE
        )
        # The committee may ask the office to step in on a reopened entry.
        assert (await service.ask_escalation(back.id, w.member, "请协调", later)).ok

        assert (
            refused(await service.conclude_recheck(back.id, w.filer, "x", later))
            is RefusalReason.NOT_PERMITTED
        )
        assert (
            refused(await service.conclude_recheck(back.id, w.other_member, "x", later))
            is RefusalReason.NO_RELATION
        )
        assert (
            refused(await service.conclude_recheck(back.id, w.member, "", later))
            is RefusalReason.REASON_REQUIRED
        )
        concluded = await service.conclude_recheck(back.id, w.member, "已督促重新修缮", later)
        assert concluded.ok and back.state == S.RECHECKED
        assert (back.recheck_outcome, back.rechecked_at) == ("concluded", later)
        assert told(concluded) == {
            (w.filer, "suggestion.recheck_concluded"),
            (w.officer, "suggestion.recheck_concluded"),
        }
        assert refused(await service.conclude_recheck(back.id, w.staff, "x", later)) is RefusalReason.FINAL
        actions = [e.action for e in await u.suggestions.events(back.id)]
        assert actions[-4:] == ["start_recheck", "recheck_reopen", "ask_escalation", "conclude_recheck"]
        assert len(await refusals(u, "recheck_confirm")) == 4
        assert len(await refusals(u, "conclude_recheck")) == 4


async def test_an_opinion_finds_the_suggestion_it_became(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        w = await world(u)
        holder = await u.people.deputy_of(w.filer)
        assert holder is not None
        opinion, other = (
            Opinion(
                tracking_no=f"LX-2026-00000{i}",
                sender_person_id=w.constituent,
                category="transport",
                text="路坏了",
                holder_deputy_id=holder.id,
                state=OpinionState.ACCEPTED.value,
            )
            for i in (1, 2)
        )
        u.session.add_all([opinion, other])
        await u.flush()
        s = await handling(u, w, NOW, opinion_ids=[opinion.id])
        service = SupervisionService(u)
        found = await service.made_from_opinion(opinion.id)
        assert found is not None and found.id == s.id
        assert await service.made_from_opinion(other.id) is None
        assert await service.made_from_opinion(99999) is None


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
async def test_every_supervision_notice_renders(uow: Callable[[], UnitOfWork], locale: str) -> None:
    """The keys of the supervision and re-check rules render, user text escaped; a close by rating does
    not (handling renders that one)."""
    keys = {
        n.key
        for rule in TRANSITIONS
        if rule.action
        in (
            Action.COMMENT,
            Action.REMIND,
            Action.ASK_ESCALATION,
            Action.CLOSE,
            Action.START_RECHECK,
            Action.RECHECK_CONFIRM,
            Action.RECHECK_REOPEN,
            Action.CONCLUDE_RECHECK,
        )
        for n in rule.notifies
    }
    async with uow() as u:
        w = await world(u)
        s = await closed_a(u, w, NOW, "<b>路</b>")
        tr = translator(locale)
        ctx = NoticeContext(s, "孙建国", "钱志强", ("交通局", []), w.filer)
        rated = supervision_notice(tr, Notice(w.member, "suggestion.closed", s.id, {"committee_id": 1}), ctx)
        assert rated is None
        s.closing_action = "close"
        for key in sorted(keys):
            params = {"text": "<script>", "reason": "<i>x</i>", "committee_id": 1}
            rendered = supervision_notice(tr, Notice(w.member, key, s.id, params), ctx)
            assert rendered is not None, key
            assert "<script>" not in rendered[0] and "<b>路</b>" not in rendered[0], key
        card = supervision_notice(tr, Notice(w.filer, "suggestion.recheck", s.id, {}), ctx)
        assert card is not None and card[1] is not None
        assert [b.callback_data for b in card[1].inline_keyboard[0]] == [
            f"sgv:rc:y:{s.id}",
            f"sgv:rc:n:{s.id}",
        ]


def test_the_view_pages_within_telegrams_limits() -> None:
    """Long titles full of markup, many suggestions: every page within 4096 visible UTF-16 units and a
    handful of items, each item on exactly one page, user text escaped."""
    from zoneinfo import ZoneInfo

    from bot.kit.text_limits import MESSAGE_LIMIT, visible_len
    from bot.suggestions.supervise import Board, Supervised
    from bot.suggestions.supervise_views import PAGE_ITEMS, board_page

    zone = ZoneInfo("Asia/Shanghai")
    items = tuple(
        Supervised(
            Suggestion(
                id=i,
                number=f"S-2026-{i:04d}",
                title="<b>&" + "路" * 200,
                state=S.HANDLING.value,
                due_on=date(2026, 6, 1),
            ),
            "交通局<" * 30,
            NOW,
            WarningColour.RED,
            (Action.COMMENT, Action.REMIND, Action.ASK_ESCALATION),
        )
        for i in range(1, 40)
    )
    board = Board(items, staff=False, cut=False)
    tr = translator("zh_Hans")
    seen: list[str] = []
    page = 0
    while True:
        text, markup = board_page(tr, board, page, zone)
        assert visible_len(text) <= MESSAGE_LIMIT and "<b>&" not in text
        assert markup is not None
        rows = markup.inline_keyboard
        numbers = [r[0].text.split()[-1] for r in rows if r[0].callback_data.startswith("sgv:a:")]
        assert 0 < len(numbers) <= PAGE_ITEMS
        seen += numbers
        nav = [b.callback_data for b in rows[-1]] if rows[-1][0].text in ("◀️", "▶️") else []
        if f"sgv:pg:{page + 1}" not in nav:
            break
        page += 1
    assert seen == [s.suggestion.number for s in items]
    assert board_page(tr, board, 999, zone)[0] == board_page(tr, board, page, zone)[0]  # clamped
