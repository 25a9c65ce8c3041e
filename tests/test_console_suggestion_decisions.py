"""The console's decisions on a suggestion after 交办, over HTTP on SQLite and PostgreSQL: merge a duplicate,
grant or refuse a unit's request for more time, reassign or keep it with the unit that said "not ours",
close (销号) with a reason, conclude a re-check — each with its refusals said on the page (422), CSRF
(403), the stale-page check (409) and the notices queued to the right people; the forms shown are those
the lifecycle lets staff ask for; and the 立项—督办—销号 ledger as XLSX, the same as `ledger.build`.

The world is tests/test_console_suggestions.py's (the e2e network, 交通局 U1 with 王科长 501, 公路局 U2 with
Officer Li 502 reading English, 水利局 U3 with 赵科长 503, the transport committee's member 钱志强 102; the
filer 孙建国 201); the suggestions are driven to their states through the chat's own services, so what the
console decides on is what the chat would. The console's clock stands at 10:00 Shanghai, 10 March 2026.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.console.web import ROOT
from bot.kit.i18n import translator
from bot.suggestions import ledger
from bot.suggestions.assign import AssignmentService
from bot.suggestions.handling import AnswerInput, HandlingService, Rating
from bot.suggestions.lifecycle import ActorKind, SuggestionState, allowed_actions
from bot.suggestions.results import RecheckPolicy
from bot.suggestions.service import Draft
from bot.suggestions.supervise import SupervisionService
from tests import test_console_suggestions as base
from tests.test_console_suggestions import (
    CO_TG,
    LEAD_TG,
    STAFF_TG,
    T0,
    WATER_TG,
    Console,
    Uow,
    World,
    assert_private,
    audit,
    outbox,
    row,
    seed,
)

# The console page's fixtures, shared: the signed-in staff member's browser, its world and clock.
clock, console, world = base.clock, base.console, base.world

S = SuggestionState
DAY = timedelta(days=1)
FILER_TG, COSIGNER_TG, D3_TG, MEMBER_TG, CONSTITUENT_TG = 201, 202, 203, 102, 301
START = T0 - timedelta(days=40)  # published on 1 February 2026 (a re-check's loop: START - 220 days)
ZONE = ZoneInfo("Asia/Shanghai")

# -- driving a suggestion through the chat's services -----------------------------------------------


async def filed_one(
    uow: Uow, world: World, title: str, *, filer: int | None = None, at: datetime = START, **draft: Any
) -> int:
    async with uow() as u:
        fields: dict[str, Any] = {"text": f"{title}：详情", "category": "transport", **draft}
        outcome = await AssignmentService(u).file(filer or world.d1, Draft(title, **fields), at)
        await u.commit()
    assert outcome.suggestion is not None, outcome.refusal
    return outcome.suggestion.id


async def driven(uow: Uow, world: World, title: str, state: S, *, from_opinion: bool = False) -> int:
    """A suggestion of 孙建国 (from C1's opinion when asked) taken to `state` as the chat takes it: 交通局
    leads, 公路局 co-handles, the transport committee supervises."""
    extra: dict[str, Any] = {}
    if from_opinion:
        async with uow() as u:
            opinion = await u.opinions.by_tracking_no(world.opinion_tracking)
            assert opinion is not None
            extra["source_opinion_ids"] = (opinion.id,)
    start = START - timedelta(days=220) if state is S.RECHECK_REOPENED else START  # closed 6 months ago
    sid = await filed_one(uow, world, title, at=start, **extra)
    at = start + DAY
    async with uow() as u:
        assign = AssignmentService(u)
        handling = HandlingService(u)
        u1, u2 = world.units["U1"], world.units["U2"]
        assert (await assign.prepare(sid, world.staff, u1, [u2], at)).ok
        assert all(o.ok for o in await assign.publish(world.staff, at + DAY))
        if state is S.REASSIGN_REQUESTED:
            assert (
                await assign.request_reassign(sid, world.lead_officer, "不属于本单位职责", at + 2 * DAY)
            ).ok
        else:
            assert (await handling.sign_for(sid, world.lead_officer, at + 2 * DAY)).ok
        if state is S.EXTENSION_REQUESTED:
            assert (
                await assign.request_extension(sid, world.lead_officer, "需要跨年度资金", at + 3 * DAY)
            ).ok
        if state in (S.ANSWERED, S.REANSWERED, S.STAFF_REVIEW, S.RECHECK_REOPENED):
            await answered_by_unit(handling, sid, world, at + 4 * DAY)
        if state in (S.REANSWERED, S.STAFF_REVIEW):
            await dissatisfied(u, handling, sid, world, at + 5 * DAY)
            await answered_by_unit(handling, sid, world, at + 6 * DAY)
        if state is S.STAFF_REVIEW:
            await dissatisfied(u, handling, sid, world, at + 7 * DAY)
        if state is S.RECHECK_REOPENED:
            supervision = SupervisionService(u, recheck=RecheckPolicy())
            assert (await supervision.close(sid, world.staff, "已解决", at + 5 * DAY)).ok
            started = await supervision.start_due_rechecks(T0 - DAY)
            assert [o.ok for o in started] == [True]
            assert (await supervision.recheck_reopen(sid, world.d1, "路又坏了", T0 - DAY)).ok
        await u.commit()
    assert (await row(uow, sid)).state == state
    return sid


async def answered_by_unit(handling: HandlingService, sid: int, world: World, at: datetime) -> None:
    assert (await handling.answer(sid, world.lead_officer, AnswerInput("A", "已修复村道。"), at)).ok


async def dissatisfied(u: Any, handling: HandlingService, sid: int, world: World, at: datetime) -> None:
    latest = (await u.suggestions.answers(sid))[-1]
    assert (await handling.rate(latest.id, world.d1, Rating.DISSATISFIED, at, "没有解决")).ok


async def told(uow: Uow, chat_ids: tuple[int, ...]) -> dict[int, int]:
    return {chat: len(await outbox(uow, chat)) for chat in chat_ids}


PEOPLE = (FILER_TG, COSIGNER_TG, D3_TG, LEAD_TG, CO_TG, WATER_TG, MEMBER_TG, STAFF_TG, CONSTITUENT_TG)


async def new_notices(uow: Uow, before: dict[int, int]) -> dict[int, list[str]]:
    """What each person was sent since `before` (only those sent something)."""
    now = {chat: await outbox(uow, chat) for chat in before}
    return {chat: texts[before[chat] :] for chat, texts in now.items() if texts[before[chat] :]}


def forms(page: str) -> set[str]:
    """The suggestion's forms on a page (not the language switch or the log-out)."""
    found = re.findall(
        r'<form method="post" action="/console/suggestions/\d+/[^"]+" [^>]*data-testid="([\w-]+)"', page
    )
    return set(found)


def error_of(page: str) -> str:
    found = re.search(r'data-testid="error" data-form="(\w*)">([^<]*)<', page)
    assert found is not None, "no error shown"
    return f"{found.group(1)}: {found.group(2)}"


# -- the forms the lifecycle allows ----------------------------------------------------------------

FORM_OF = {
    "return": "return-form",
    "prepare": "prepare-form",
    "merge": "merge-form",
    "grant_extension": "grant-form",
    "deny_extension": "deny-extension-form",
    "reassign": "reassign-form",
    "deny_reassign": "deny-reassign-form",
    "close": "close-form",
    "conclude_recheck": "conclude-form",
}


async def test_the_page_shows_the_forms_staff_may_use_in_each_state(
    console: Console, world: World, uow: Uow
) -> None:
    shown_somewhere: set[str] = set()
    for n, state in enumerate(s for s in S if s is not S.DRAFT):
        sid = await seed(
            uow,
            world.d1,
            f"S-2026-{n + 1:04d}",
            f"建议 {state.value}",
            state,
            lead_unit_id=world.units["U1"],
            term_months=3,
            assigned_at=T0 - timedelta(days=30),
            due_on=date(2026, 5, 1),
        )
        status, page = await console.get(f"/suggestions/{sid}")
        assert status == 200, state
        expected = {FORM_OF[a.value] for a in allowed_actions(state, {ActorKind.STAFF}) if a.value in FORM_OF}
        assert forms(page) == expected, state
        shown_somewhere |= expected
        if expected - {"return-form", "prepare-form"}:
            assert 'data-testid="decisions"' in page
    assert shown_somewhere == set(FORM_OF.values())  # every form appears in some state


async def test_a_six_month_term_cannot_be_extended_only_refused(
    console: Console, world: World, uow: Uow
) -> None:
    sid = await seed(
        uow, world.d1, "S-2026-0009", "六个月", S.EXTENSION_REQUESTED, lead_unit_id=world.units["U1"],
        term_months=6, term_reason="难", assigned_at=T0 - timedelta(days=30), due_on=date(2026, 8, 8),
    )  # fmt: skip
    _status, page = await console.get(f"/suggestions/{sid}")
    assert forms(page) == {"deny-extension-form"} and 'data-testid="no-longer-term"' in page


# -- more time --------------------------------------------------------------------------------------


async def test_grant_more_time_with_its_refusals_csrf_and_stale_page(
    console: Console, world: World, uow: Uow
) -> None:
    sid = await driven(uow, world, "修缮丙村村道", S.EXTENSION_REQUESTED)
    before_row = await row(uow, sid)
    assert before_row.term_months == 3 and before_row.due_on == date(2026, 4, 30)
    _status, page = await console.get(f"/suggestions/{sid}")
    assert forms(page) == {"grant-form", "deny-extension-form"}
    assert 'data-testid="asked" data-action="request_extension"' in page and "需要跨年度资金" in page
    grant = page.split('data-testid="grant-form"')[1].split("</form>")[0]
    assert re.findall(r'<option value="(\d)"', grant) == ["4", "5", "6"]
    assert 'name="state" value="extension_requested"' in grant
    before = await told(uow, PEOPLE)

    async def post(**fields: Any) -> tuple[int, str, str]:
        data = {"state": "extension_requested", **{k: str(v) for k, v in fields.items()}}
        return await console.post(f"/suggestions/{sid}/extension", data)

    status, _where, body = await post(months=5, reason="  ")
    assert (status, error_of(body)) == (422, "grant: 请填写理由：理由将记入台账，并随通知发出。")
    status, _where, body = await post(months=3, reason="资金到位需时间")
    assert (status, error_of(body)) == (422, "grant: 新的办理期限须长于现在的 3 个月，且不超过六个月。")
    assert "资金到位需时间" in body.split('data-testid="grant-form"')[1].split("</form>")[0]  # kept
    status, _where, body = await post(months=7, reason="资金到位需时间")
    assert status == 422 and "不超过六个月" in body
    status, _where, body = await post(months="x", reason="资金到位需时间")
    assert status == 422 and "不超过六个月" in body
    status, _where, body = await post(months=5, reason="长" * 501)
    assert (status, error_of(body)) == (422, "grant: 理由过长：最多 500 个字。")
    status, _where, _body = await post(months=5, reason="资金到位需时间", csrf="forged")
    assert status == 403
    assert await new_notices(uow, before) == {}
    assert (await row(uow, sid)).state == S.EXTENSION_REQUESTED

    status, where, _body = await post(months=5, reason="资金到位需时间")
    assert (status, where) == (303, f"{ROOT}/suggestions/{sid}?done=extension_granted")
    s = await row(uow, sid)
    assert (s.state, s.term_months, s.term_reason, s.due_on) == (
        S.HANDLING,
        5,
        "资金到位需时间",
        date(2026, 6, 30),
    )
    assert s.next_warning_at is not None and s.warned_rung == 0  # the reminder clock armed again
    sent = await new_notices(uow, before)
    assert set(sent) == {LEAD_TG, FILER_TG, MEMBER_TG}  # the unit, the deputy, the committee
    number = s.number or ""
    assert len(sent[LEAD_TG]) == 1 and "延期申请已批准" in sent[LEAD_TG][0] and number in sent[LEAD_TG][0]
    assert "资金到位需时间" in sent[LEAD_TG][0] and "2026-06-30" in sent[LEAD_TG][0]
    assert "已获准延期" in sent[FILER_TG][0] and number in sent[MEMBER_TG][0]
    _status, page = await console.get(f"/suggestions/{sid}?done=extension_granted")
    assert 'data-testid="flash"' in page and "已同意延期" in page
    assert 'data-action="grant_extension"' in page and "5 months: 资金到位需时间" in page  # the ledger
    assert forms(page) == set()  # handling: nothing for the office to decide

    # A second office page, still showing the request: refused as stale, nothing sent.
    status, _where, body = await post(months=6, reason="再延")
    assert status == 409 and "当前状态：办理中" in error_of(body)
    assert await new_notices(uow, before) == sent
    entries = await audit(uow, "console.suggestion.grant_extension")
    assert [(e.allowed, (e.detail or {}).get("reason")) for e in entries] == [
        (True, None),
        (False, "stale_state"),
    ]
    refused = [e for e in await audit(uow, "suggestion.grant_extension") if not e.allowed]
    assert [e.detail["reason"] for e in refused] == ["reason_required", "term_invalid", "term_invalid",
                                                     "term_invalid", "invalid_argument"]  # fmt: skip
    assert len(await audit(uow, "console.csrf_refused")) == 1


async def test_refuse_more_time_tells_the_unit_only(console: Console, world: World, uow: Uow) -> None:
    sid = await driven(uow, world, "修缮丙村村道", S.EXTENSION_REQUESTED)
    before = await told(uow, PEOPLE)
    path = f"/suggestions/{sid}/deny-extension"
    status, _where, body = await console.post(path, {"state": "extension_requested", "reason": ""})
    assert (status, error_of(body)) == (422, "deny_extension: 请填写理由：理由将记入台账，并随通知发出。")
    status, _where, _body = await console.post(
        path, {"state": "extension_requested", "reason": "x", "csrf": "forged"}
    )
    assert status == 403 and (await row(uow, sid)).state == S.EXTENSION_REQUESTED
    status, where, _body = await console.post(
        path, {"state": "extension_requested", "reason": "期限内可以完成"}
    )
    assert (status, where) == (303, f"{ROOT}/suggestions/{sid}?done=extension_denied")
    s = await row(uow, sid)
    assert (s.state, s.term_months, s.due_on) == (S.HANDLING, 3, date(2026, 4, 30))
    sent = await new_notices(uow, before)
    assert list(sent) == [LEAD_TG] and len(sent[LEAD_TG]) == 1
    assert "未批准" in sent[LEAD_TG][0] and "期限内可以完成" in sent[LEAD_TG][0]
    status, _where, body = await console.post(path, {"state": "extension_requested", "reason": "again"})
    assert status == 409 and await new_notices(uow, before) == sent


# -- "not ours": reassign, or keep it with the unit -------------------------------------------------


async def test_reassign_from_not_ours_with_its_refusals(console: Console, world: World, uow: Uow) -> None:
    sid = await driven(uow, world, "修缮丙村村道", S.REASSIGN_REQUESTED)
    u1, u2, u3 = (world.units[c] for c in ("U1", "U2", "U3"))
    _status, page = await console.get(f"/suggestions/{sid}")
    assert forms(page) == {"reassign-form", "deny-reassign-form"}
    assert 'data-action="request_reassign"' in page and "不属于本单位职责" in page
    form = page.split('data-testid="reassign-form"')[1].split("</form>")[0]
    # The 归口 proposal without the unit that said "not ours": 公路局 leads, no co-unit ticked.
    assert re.search(rf'<option value="{u2}" selected>U2 · 公路局', form)
    assert not re.search(r"checked", form) and '<option value="3" selected>' in form
    before = await told(uow, PEOPLE)

    async def post(lead: Any, co: list[int] = [], **fields: Any) -> tuple[int, str, str]:  # noqa: B006
        data = [("state", "reassign_requested"), ("lead", str(lead)), *(("co", str(c)) for c in co)]
        data += [(k, str(v)) for k, v in fields.items()]
        return await console.post(f"/suggestions/{sid}/reassign", data)

    status, _where, body = await post(u1, months=3)
    assert (status, error_of(body)) == (422, "reassign: 该单位已是主办单位，请选择其他主办单位。")
    status, _where, body = await post("", [u2], months=3)
    assert status == 422 and "不要同时勾选为协办单位" in body
    status, _where, body = await post(u3, [u3], months=3)
    assert status == 422 and "不要同时勾选为协办单位" in body
    assert re.search(rf'value="{u3}" data-testid="reassign-co-U3" checked', body)  # the choice kept
    status, _where, body = await post(99999, months=3)
    assert status == 422 and "所选承办单位不存在" in body
    status, _where, body = await post(u3, [u2], months=5, reason=" ")
    assert status == 422 and "办理期限超过三个月须说明理由" in body
    status, _where, _body = await post(u3, [u2], months=4, reason="水利局归口", csrf="forged")
    assert status == 403
    assert await new_notices(uow, before) == {} and (await row(uow, sid)).lead_unit_id == u1

    status, where, _body = await post(u3, [u2], months=4, reason="水利局归口")
    assert (status, where) == (303, f"{ROOT}/suggestions/{sid}?done=reassigned")
    s = await row(uow, sid)
    assert (s.state, s.lead_unit_id, s.co_unit_ids, s.term_months, s.assigned_at, s.due_on) == (
        S.ASSIGNED, u3, [u2], 4, T0, date(2026, 7, 10)
    )  # fmt: skip
    sent = await new_notices(uow, before)
    assert set(sent) == {WATER_TG, CO_TG, LEAD_TG, FILER_TG, MEMBER_TG}
    assert "新交办任务" in sent[WATER_TG][0] and "主办" in sent[WATER_TG][0]
    assert "your unit co-handles it" in sent[CO_TG][0]  # Officer Li reads English
    assert "贵单位不再主办" in sent[LEAD_TG][0] and "水利局" in sent[LEAD_TG][0]
    assert "已改由水利局主办" in sent[FILER_TG][0] and "水利局" in sent[MEMBER_TG][0]
    _status, page = await console.get(f"/suggestions/{sid}?done=reassigned")
    assert 'data-testid="lead-unit">水利局<' in page and "建议已改办" in page
    status, _where, body = await post(u2, months=3)
    assert status == 409 and "当前状态：已交办" in error_of(body)
    assert await new_notices(uow, before) == sent
    ok = [e for e in await audit(uow, "console.suggestion.reassign") if e.allowed]
    assert len(ok) == 1


async def test_keep_it_with_the_unit_that_said_not_ours(console: Console, world: World, uow: Uow) -> None:
    sid = await driven(uow, world, "修缮丙村村道", S.REASSIGN_REQUESTED)
    before = await told(uow, PEOPLE)
    path = f"/suggestions/{sid}/deny-reassign"
    status, _where, body = await console.post(path, {"state": "reassign_requested", "reason": "\n"})
    assert (status, error_of(body)) == (422, "deny_reassign: 请填写理由：理由将记入台账，并随通知发出。")
    status, _where, _body = await console.post(
        path, {"state": "reassign_requested", "reason": "x", "csrf": ""}
    )
    assert status == 403
    status, where, _body = await console.post(
        path, {"state": "reassign_requested", "reason": "道路养护归交通局"}
    )
    assert (status, where) == (303, f"{ROOT}/suggestions/{sid}?done=reassign_denied")
    s = await row(uow, sid)
    assert (s.state, s.lead_unit_id) == (S.HANDLING, world.units["U1"])
    sent = await new_notices(uow, before)
    assert (
        list(sent) == [LEAD_TG]
        and "仍由贵单位主办" in sent[LEAD_TG][0]
        and "道路养护归交通局" in sent[LEAD_TG][0]
    )
    status, _where, _body = await console.post(path, {"state": "reassign_requested", "reason": "again"})
    assert status == 409


async def test_reassign_after_a_staff_review(console: Console, world: World, uow: Uow) -> None:
    sid = await driven(uow, world, "修缮丙村村道", S.STAFF_REVIEW)
    _status, page = await console.get(f"/suggestions/{sid}")
    assert forms(page) == {"reassign-form", "close-form"}
    assert 'data-action="rate_dissatisfied"' in page and "没有解决" in page
    status, where, _body = await console.post(
        f"/suggestions/{sid}/reassign",
        [("state", "staff_review"), ("lead", str(world.units["U2"])), ("months", "3")],
    )
    assert (status, where) == (303, f"{ROOT}/suggestions/{sid}?done=reassigned")
    s = await row(uow, sid)
    assert (s.state, s.lead_unit_id, s.co_unit_ids) == (S.ASSIGNED, world.units["U2"], [])


# -- 销号 and 回头看 ------------------------------------------------------------------------------------


async def test_close_with_a_reason_tells_everyone_concerned(console: Console, world: World, uow: Uow) -> None:
    sid = await driven(uow, world, "关于建设村口候车亭的建议", S.ANSWERED, from_opinion=True)
    _status, page = await console.get(f"/suggestions/{sid}")
    assert forms(page) == {"close-form"} and 'maxlength="1000"' in page
    assert_private(page)
    before = await told(uow, PEOPLE)
    path = f"/suggestions/{sid}/close"
    status, _where, body = await console.post(path, {"state": "answered", "reason": "  "})
    assert (status, error_of(body)) == (422, "close: 请填写理由：理由将记入台账，并随通知发出。")
    status, _where, body = await console.post(path, {"state": "answered", "reason": "长" * 1001})
    assert (status, error_of(body)) == (422, "close: 理由过长：最多 1000 个字。")
    assert "长" * 1001 in body  # what was typed is kept
    status, _where, _body = await console.post(path, {"state": "answered", "reason": "x", "csrf": "forged"})
    assert status == 403 and await new_notices(uow, before) == {}

    status, where, _body = await console.post(
        path, {"state": "answered", "reason": "代表长期联系不上，已核实办结"}
    )
    assert (status, where) == (303, f"{ROOT}/suggestions/{sid}?done=closed")
    s = await row(uow, sid)
    assert (s.state, s.closing_action, s.closing_reason, s.closed_at) == (
        S.CLOSED, "close", "代表长期联系不上，已核实办结", T0
    )  # fmt: skip
    assert s.recheck_due_on == date(2026, 9, 10)  # an A answer: re-checked six months on
    sent = await new_notices(uow, before)
    assert set(sent) == {FILER_TG, LEAD_TG, MEMBER_TG, CONSTITUENT_TG}
    number = s.number or ""
    assert "您的建议" in sent[FILER_TG][0] and "已由人大工作人员销号" in sent[FILER_TG][0]
    assert "代表长期联系不上" in sent[FILER_TG][0] and number in sent[LEAD_TG][0]
    assert world.opinion_tracking in sent[CONSTITUENT_TG][0]  # the opinion's sender follows it
    _status, page = await console.get(f"/suggestions/{sid}?done=closed")
    assert "建议已销号" in page and 'data-testid="closed"' in page and forms(page) == set()
    assert_private(page)
    status, _where, body = await console.post(path, {"state": "answered", "reason": "again"})
    assert status == 409 and "当前状态：已销号" in error_of(body)
    entries = await audit(uow, "console.suggestion.close")
    assert [e.allowed for e in entries] == [True, False]


async def test_close_a_suggestion_the_deputy_rejected_twice(console: Console, world: World, uow: Uow) -> None:
    sid = await driven(uow, world, "修缮丙村村道", S.STAFF_REVIEW)
    status, _where, _body = await console.post(
        f"/suggestions/{sid}/close", {"state": "staff_review", "reason": "已尽力，列入明年计划"}
    )
    assert status == 303
    s = await row(uow, sid)
    assert (s.state, s.closing_reason) == (S.CLOSED, "已尽力，列入明年计划")


async def test_conclude_a_reopened_recheck(console: Console, world: World, uow: Uow) -> None:
    sid = await driven(uow, world, "修缮丙村村道", S.RECHECK_REOPENED)
    _status, page = await console.get(f"/suggestions/{sid}")
    assert forms(page) == {"conclude-form"}
    assert 'data-action="recheck_reopen"' in page and "路又坏了" in page
    before = await told(uow, PEOPLE)
    path = f"/suggestions/{sid}/conclude-recheck"
    status, _where, body = await console.post(path, {"state": "recheck_reopened", "reason": ""})
    assert (status, error_of(body)) == (422, "conclude: 请填写理由：理由将记入台账，并随通知发出。")
    status, _where, body = await console.post(path, {"state": "recheck_reopened", "reason": "长" * 1001})
    assert (status, error_of(body)) == (422, "conclude: 理由过长：最多 1000 个字。")
    status, _where, _body = await console.post(
        path, {"state": "recheck_reopened", "reason": "x", "csrf": "forged"}
    )
    assert status == 403
    status, where, _body = await console.post(path, {"state": "recheck_reopened", "reason": "已督促重新修复"})
    assert (status, where) == (303, f"{ROOT}/suggestions/{sid}?done=concluded")
    s = await row(uow, sid)
    assert (s.state, s.recheck_outcome, s.rechecked_at) == (S.RECHECKED, "concluded", T0)
    sent = await new_notices(uow, before)
    assert set(sent) == {FILER_TG, LEAD_TG}
    assert "回头看已由" in sent[FILER_TG][0] and "已督促重新修复" in sent[FILER_TG][0]
    status, _where, body = await console.post(path, {"state": "recheck_reopened", "reason": "again"})
    assert status == 409 and "当前状态：回头看已完成" in error_of(body)


# -- 合并 -------------------------------------------------------------------------------------------------


async def test_merge_a_duplicate_chosen_or_typed(console: Console, world: World, uow: Uow) -> None:
    target = await filed_one(uow, world, "村道硬化", filer=world.d3)  # S-2026-0001
    duplicate = await filed_one(uow, world, "村道硬化（重复）", cosigner_person_ids=())  # S-2026-0002
    water = await filed_one(uow, world, "灌溉渠", category="agriculture")  # S-2026-0003
    returned = await filed_one(uow, world, "被退回的")  # S-2026-0004
    async with uow() as u:
        assert (await AssignmentService(u).return_to_filer(returned, world.staff, "请补充", START)).ok
        await u.commit()
    numbers = {sid: (await row(uow, sid)).number for sid in (target, duplicate, water, returned)}
    _status, page = await console.get(f"/suggestions/{duplicate}")
    assert "merge-form" in forms(page)
    form = page.split('data-testid="merge-form"')[1].split("</form>")[0]
    assert re.findall(r'<option value="(\d+)">', form) == [str(target)]  # same category, open to join
    before = await told(uow, PEOPLE)
    path = f"/suggestions/{duplicate}/merge"

    async def post(**fields: Any) -> tuple[int, str, str]:
        return await console.post(path, {"state": "filed", **{k: str(v) for k, v in fields.items()}})

    status, _where, body = await post(target="", number="")
    assert (status, error_of(body)) == (422, "merge: 请选择要并入的建议，或输入其编号（如 S-2026-0003）。")
    status, _where, body = await post(number=numbers[duplicate].lower())  # type: ignore[union-attr]
    assert (status, error_of(body)) == (422, "merge: 建议不能并入它自己。")
    status, _where, body = await post(number="S-2026-9999")
    assert (status, error_of(body)) == (422, "merge: 没有这件建议：请从列表中选择，或核对输入的编号。")
    assert 'value="S-2026-9999"' in body  # kept
    status, _where, body = await post(target=99999)  # forged: the service asks for a target again
    assert status == 422 and "请选择要并入的建议" in error_of(body)
    status, _where, body = await post(number=numbers[returned])
    assert (status, error_of(body)) == (
        422,
        "merge: 只能并入已提出且仍在办理中的建议，不能并入已并案、已撤回或已退回的建议。",
    )
    status, _where, _body = await post(target=target, csrf="forged")
    assert status == 403
    assert await new_notices(uow, before) == {} and (await row(uow, duplicate)).state == S.FILED

    # A typed number wins over the list: here the list is left on the target, the number is the other.
    status, where, _body = await post(target=water, number=f" {numbers[target]} ")
    assert (status, where) == (303, f"{ROOT}/suggestions/{duplicate}?done=merged")
    s = await row(uow, duplicate)
    assert (s.state, s.merged_into_id) == (S.MERGED, target)
    sent = await new_notices(uow, before)
    assert set(sent) == {FILER_TG, D3_TG}  # its filer, and the filer of the one it joined
    assert numbers[target] in sent[FILER_TG][0] and numbers[duplicate] in sent[D3_TG][0]
    _status, page = await console.get(f"/suggestions/{duplicate}?done=merged")
    assert f'data-testid="merged-into">{numbers[target]}<' in page and forms(page) == set()
    _status, page = await console.get(f"/suggestions/{target}")
    assert 'data-action="joined"' in page
    assert re.search(r'data-testid="cosigner" data-state="confirmed"><td>孙建国<', page)
    status, _where, body = await post(target=target)
    assert status == 409 and "当前状态：已并案" in error_of(body)
    assert [e.allowed for e in await audit(uow, "console.suggestion.merge")] == [True, False]
    assert (await row(uow, water)).state == S.FILED


# -- CSRF on every decision ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tail", ["merge", "extension", "deny-extension", "reassign", "deny-reassign", "close", "conclude-recheck"]
)
async def test_every_decision_needs_the_form_token(
    console: Console, world: World, uow: Uow, tail: str
) -> None:
    sid = await seed(uow, world.d1, "S-2026-0001", "建议", S.FILED)
    status, _where, body = await console.post(
        f"/suggestions/{sid}/{tail}", {"state": "filed", "reason": "x", "csrf": "forged"}
    )
    assert status == 403 and "表单已过期或并非来自控制台" in body
    assert [e.detail["path"] for e in await audit(uow, "console.csrf_refused")] == [
        f"{ROOT}/suggestions/{sid}/{tail}"
    ]


# -- English --------------------------------------------------------------------------------------


async def test_the_decisions_speak_english(console: Console, world: World, uow: Uow) -> None:
    sid = await driven(uow, world, "Road repair", S.EXTENSION_REQUESTED)
    await console.post("/language", {"locale": "en", "next": f"{ROOT}/suggestions"})
    _status, page = await console.get(f"/suggestions/{sid}")
    assert "Decisions of the congress office" in page and "⏳ Grant more time" in page
    assert "✋ Refuse more time" in page and "New term, in months from assignment" in page
    assert "人大办公室的决定" not in page
    status, _where, body = await console.post(
        f"/suggestions/{sid}/extension", {"state": "extension_requested", "months": "3", "reason": "late"}
    )
    assert (status, error_of(body)) == (
        422,
        "grant: The new term must be longer than the current 3 months, and at most six.",
    )
    await console.post(
        f"/suggestions/{sid}/extension", {"state": "extension_requested", "months": "4", "reason": "late"}
    )
    _status, page = await console.get(f"/suggestions/{sid}?done=extension_granted")
    assert "More time was granted; the unit, the deputy and the committee have been told." in page


# -- the 立项—督办—销号 ledger ------------------------------------------------------------------------------


def sheet_values(body: bytes) -> dict[str, list[list[Any]]]:
    book = load_workbook(io.BytesIO(body))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}


def as_read(sheets: list[ledger.Sheet]) -> list[list[list[Any]]]:
    """The ledger's sheets as openpyxl reads them back (an empty text cell is None)."""
    return [[list(s.headers), *[[None if v == "" else v for v in r] for r in s.rows]] for s in sheets]


async def test_the_ledger_downloads_as_the_chats_ledger(console: Console, world: World, uow: Uow) -> None:
    closed = await driven(uow, world, "关于建设村口候车亭的建议", S.ANSWERED, from_opinion=True)
    await console.post(f"/suggestions/{closed}/close", {"state": "answered", "reason": "已办结"})
    asked = await driven(uow, world, "修缮丙村村道", S.EXTENSION_REQUESTED)
    await seed(uow, world.d2, "S-2025-0007", "去年的建议", S.FILED)
    await seed(uow, world.d2, "S-2026-0200", "会议期间的建议", S.FILED, series_session="17-3")
    _status, page = await console.get("/suggestions?year=2026")
    form = page.split('data-testid="ledger-form"')[1].split("</form>")[0]
    assert 'action="/console/suggestions/ledger"' in page
    assert '<option value="2026" selected>' in form and '<option value="2025">' in form
    assert '<option value="17-3">' in form

    tr = translator("zh_Hans")
    cases = {"": None, "year=2026": "S-2026-", "year=2025": "S-2025-"}
    for query, series in cases.items():
        body = await console.file(f"/suggestions/ledger?{query}")
        async with uow() as u:
            expected = as_read(ledger.sheets(tr, await ledger.build(u, series), ZONE))
        assert list(sheet_values(body).values()) == expected, query
    everything = sheet_values(await console.file("/suggestions/ledger"))
    suggestions, events = everything["代表建议"], everything["台账记录"]
    assert [r[0] for r in suggestions[1:]] == ["S-2025-0007", "S-2026-0001", "S-2026-0002", "S-2026-0200"]
    closing = dict(zip(suggestions[0], suggestions[2], strict=True))
    assert closing["销号方式"] == "人大工作人员决定" and closing["销号理由"] == "已办结"
    asked_number = (await row(uow, asked)).number
    assert any(r[3] == "申请延期" and r[0] == asked_number for r in events[1:])
    assert_private("\n".join(str(v) for r in suggestions + events for v in r))

    # A session's series, and the numbers issued between sessions.
    session = sheet_values(await console.file("/suggestions/ledger?year=2026&series=17-3"))
    assert [r[0] for r in next(iter(session.values()))[1:]] == ["S-2026-0200"]
    recess = sheet_values(await console.file("/suggestions/ledger?series=recess"))
    assert [r[0] for r in next(iter(recess.values()))[1:]] == ["S-2025-0007", "S-2026-0001", "S-2026-0002"]
    bad = sheet_values(await console.file("/suggestions/ledger?year=99999&series="))
    assert list(bad.values()) == list(everything.values())  # a bad year is dropped, never trusted

    # In English for an English page.
    await console.post("/language", {"locale": "en", "next": f"{ROOT}/suggestions"})
    english = sheet_values(await console.file("/suggestions/ledger?year=2026"))
    assert list(english) == ["Suggestions", "Ledger events"]
    assert english["Suggestions"][0][0] == "Suggestion number"
    exported = [e.detail for e in await audit(uow, "console.export")]
    assert [(d["list"], d["format"]) for d in exported] == [("ledger", "xlsx")] * 8
    assert exported[0]["rows"] == len(everything["代表建议"]) - 1 + len(everything["台账记录"]) - 1
