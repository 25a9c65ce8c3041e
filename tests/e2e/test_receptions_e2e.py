"""/reception through the sandbox: deputies record receptions in Chinese and English, bad input is refused
with a helpful reply, forged presses are refused and audited, BLNS notes are shown and stored exactly,
and a constituent's message is never swallowed by a form.

Network (tests/data/network_e2e.yaml): D1 孙建国 (201) and D2 Deputy Wu (202) at V1 丙村人大代表联络站,
D3 李秀英 (203) at V2, P1 (101) and M1 (102) at H1; constituent 周小梅 (301).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.sandbox import Sandbox
from storage.models import AuditEntry, ChatSession, Reception
from tests.conftest import BLNS
from tests.e2e.flows import TEXTS
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]
V1 = "丙村人大代表联络站"


@pytest.fixture
async def bot(network: Runtime) -> Runtime:
    """The bot as wired (bot/runtime/wiring.py lists /reception and its buttons)."""
    return network


def local_today(clock: ManualClock) -> date:
    return clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()


async def receptions(runtime: Runtime) -> list[Reception]:
    async with runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(Reception).order_by(Reception.id)))


async def audit(runtime: Runtime, action: str) -> list[AuditEntry]:
    async with runtime.services.uow() as uow:
        rows = await uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return list(rows.all())


async def chat_state(runtime: Runtime, chat_id: int) -> tuple[str | None, dict[str, Any]]:
    async with runtime.services.uow() as uow:
        row = await uow.session.get(ChatSession, chat_id)
        return (row.state, row.data) if row is not None else (None, {})


def new(msg: dict[str, Any]) -> bool:
    """A message the bot sent, not an edit (a pressed keyboard is taken off its message by an edit)."""
    return not msg["edited"]


async def answered(press: Any) -> dict[str, Any]:
    return await press.answer()


async def record_zh(deputy: SandboxUser, people: str = "5", note: str | None = None) -> dict[str, Any]:
    """The shortest Chinese path: own station, today, people, no paper count; returns the saved card."""
    await deputy.command("reception")
    await deputy.receives(where=new, containing="您在哪个站点接待群众")
    await deputy.press(V1)
    await deputy.receives(where=new, containing="接待日期")
    await deputy.press(today_buttons(deputy)[0])
    await deputy.receives(where=new, containing="您接待了多少人")
    await deputy.send(people)
    await deputy.receives(where=new, containing="纸质方式")
    await deputy.press("跳过")
    await deputy.receives(where=new, containing="简短备注")
    if note is None:
        await deputy.press("跳过")
    else:
        await deputy.send(note)
    await deputy.receives(where=new, containing="请核对接待记录")
    await deputy.press("✅ 保存")
    return await deputy.receives(containing="✅ 接待记录已保存")


def today_buttons(user: SandboxUser) -> list[str]:
    """The texts of the day buttons on the newest message ("今天（…）", "昨天（…）")."""
    last = user.last_bot_message()
    assert last is not None and last["reply_markup"], last
    return [b["text"] for row in last["reply_markup"]["inline_keyboard"] for b in row if "（" in b["text"]]


async def test_zh_deputy_records_a_reception_refusing_bad_input(
    bot: Runtime, people: Make, clock: ManualClock
) -> None:
    d1 = people(201, "孙建国")
    today = local_today(clock)
    await d1.command("reception")
    ask = await d1.receives(where=new, containing="📒 新的接待记录")
    buttons = [b["text"] for row in ask["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == [V1, "其他站点…", "📋 我最近的接待记录", "✖️ 取消"]
    await d1.send("你好")  # not a station code
    await d1.receives(where=new, containing="没有代码为 你好 的站点")
    await d1.press(V1)
    await d1.receives(where=new, containing="接待日期")
    await d1.send(str(today + timedelta(days=1)))
    await d1.receives(where=new, containing=f"日期不能晚于今天（今天是 {today}）")
    await d1.send("明天")
    await d1.receives(where=new, containing="请按 YYYY-MM-DD 格式输入日期")
    await d1.press(f"今天（{today}）")
    await d1.receives(where=new, containing="您接待了多少人？请输入 1 到 500 之间的数字")
    for bad, reply in (
        ("十二", "这不是数字"),
        ("12.5", "这不是数字"),
        ("0", "请输入 1 到 500 之间的数字"),
        ("501", "请输入 1 到 500 之间的数字"),
        ("-4", "请输入 1 到 500 之间的数字"),
    ):
        await d1.send(bad)
        await d1.receives(where=new, containing=reply)
    await d1.send("１２")  # full-width digits, as a Chinese keyboard may type them
    await d1.receives(where=new, containing="纸质方式收集了多少条意见")
    await d1.send("1001")
    await d1.receives(where=new, containing="请输入 0 到 1000 之间的数字")
    await d1.send("3")
    await d1.receives(where=new, containing="请填写简短备注（不超过 300 个字）")
    await d1.send("x" * 301)
    await d1.receives(where=new, containing="备注有 301 个字，请控制在 300 个字以内")
    await d1.send("<b>路灯</b> & 水沟 </pre>")
    card = await d1.receives(where=new, containing="请核对接待记录")
    assert card["text"].endswith(
        f"站点：{V1}\n日期：{today}\n接待人数：12 人\n纸质收集意见：3 条\n备注：<b>路灯</b> & 水沟 </pre>"
    )
    await d1.send("好的")  # typed at the confirm step: a hint, nothing saved
    await d1.receives(where=new, containing="请点击上方记录下的")
    assert await receptions(bot) == []
    await d1.press("✅ 保存")
    saved = await d1.receives(containing="✅ 接待记录已保存")
    assert "备注：<b>路灯</b> & 水沟 </pre>" in saved["text"] and saved["reply_markup"] is None
    await d1.receives(where=new, containing="发送 /reception 再记录一次")

    [row] = await receptions(bot)
    assert (row.day, row.people, row.opinions_paper, row.note) == (today, 12, 3, "<b>路灯</b> & 水沟 </pre>")
    [entry] = await audit(bot, "reception.recorded")
    assert entry.actor_telegram_id == 201 and entry.object_id == str(row.id) and entry.detail["people"] == 12
    assert await chat_state(bot, 201) == (None, {})

    await d1.command("reception", "list")
    listed = await d1.receives(where=new, containing="您最近的接待记录")
    assert f"1. {today} · {V1} · 12 人 · 纸质意见 3 条\n    <b>路灯</b> & 水沟 </pre>" in listed["text"]


async def test_en_deputy_types_a_station_code_and_a_past_day_skips_and_changes_the_note(
    bot: Runtime, people: Make, clock: ManualClock
) -> None:
    wu = people(202, "Deputy Wu", "en")
    today = local_today(clock)
    await wu.command("reception")
    await wu.receives(where=new, containing="At which station did you receive constituents?")
    await wu.press("Another station…")
    await wu.receives(where=new, containing="Type the station's code")
    await wu.send("v2")  # another station than their own, by its code (any case)
    await wu.receives(where=new, containing="On which day?")
    await wu.send("2026-02-30")
    await wu.receives(where=new, containing="Please type the date as YYYY-MM-DD, for example")
    await wu.send(str(today - timedelta(days=400)))
    await wu.receives(where=new, containing="That is more than 366 days ago")
    await wu.send(str(today - timedelta(days=3)))
    await wu.receives(where=new, containing="How many people did you receive? Type a number from 1 to 500.")
    await wu.send("many")
    await wu.receives(where=new, containing="That is not a number. Please type a whole number from 1 to 500.")
    await wu.send("7")
    await wu.receives(where=new, containing="How many opinions did you collect on paper?")
    await wu.press("Skip")
    await wu.receives(where=new, containing="Add a short note (up to 300 characters), or press Skip.")
    await wu.send("é" * 301)
    await wu.receives(where=new, containing="The note has 301 characters; please keep it to 300.")
    await wu.press("Skip")
    card = await wu.receives(where=new, containing="Please check the reception record:")
    assert card["text"].endswith(
        f"Station: 丁村人大代表联络站\nDay: {today - timedelta(days=3)}\nPeople received: 7\n"
        "Opinions collected on paper: 0"
    )
    await wu.press("✏️ Change the note")
    await wu.receives(where=new, containing="Add a short note")
    await wu.send("Residents asked about the bus stop")
    card = await wu.receives(where=new, containing="Please check the reception record:")
    assert card["text"].endswith("Note: Residents asked about the bus stop")
    await wu.press("✅ Save")
    await wu.receives(containing="✅ Reception saved.")
    [row] = await receptions(bot)
    assert (row.day, row.people, row.opinions_paper, row.note) == (
        today - timedelta(days=3),
        7,
        0,
        "Residents asked about the bus stop",
    )
    async with bot.services.uow() as uow:
        station = await uow.network.station_by_code("V2")
    assert station is not None and row.station_id == station.id

    await wu.command("reception")
    await wu.receives(where=new, containing="At which station")
    await wu.press("📋 My recent receptions")
    listed = await wu.receives(where=new, containing="Your recent receptions:")
    assert (
        f"1. {today - timedelta(days=3)} · 丁村人大代表联络站 · 7 people · 0 opinions on paper"
        in listed["text"]
    )
    await wu.press("✖️ Cancel")
    await wu.receives(where=new, containing="Cancelled; nothing was saved.")
    assert len(await receptions(bot)) == 1


async def test_refusals_forged_presses_and_deleting(bot: Runtime, people: Make) -> None:
    d1, wu, c1 = people(201, "孙建国"), people(202, "Deputy Wu", "en"), people(301, "周小梅")
    await record_zh(d1, "9")
    [mine] = await receptions(bot)

    # A constituent: no diary, refused politely and audited (the command and a forged press)
    await c1.command("reception")
    await c1.receives(where=new, containing="抱歉，只有人大代表可以记录民情日记")
    press = await c1.press(data="rc:ls", forge=True)
    assert (await answered(press))["text"] == "抱歉，只有人大代表可以记录民情日记。"

    # Another deputy forges D1's delete buttons: refused, audited, nothing changes
    await wu.command("reception", "list")
    await wu.receives(where=new, containing="You have recorded no receptions yet.")
    for data in (f"rc:del:{mine.id}", f"rc:dy:{mine.id}", "rc:del:999999", "rc:dy:abc", "rc:del:¹", "rc:zz"):
        answer = await answered(await wu.press(data=data, forge=True))
        assert answer["show_alert"] and answer["text"], data
    # ... and the buttons of D1's open form, by its key
    await d1.command("reception")
    await d1.receives(where=new, containing="您在哪个站点接待群众")
    _, data = await chat_state(bot, 201)
    key = data["form"]["key"]
    d1_station = (await receptions(bot))[0].station_id
    for forged in (f"rc:ok:{key}", f"rc:st:{key}:{d1_station}", f"rc:x:{key}"):
        answer = await answered(await wu.press(data=forged, forge=True))
        assert answer["show_alert"] and answer["text"] == "This reception form is no longer open.", forged
    await wu.receives_nothing()
    # D1's form is untouched by all that; a station that is not theirs is refused even in their own form
    assert (await chat_state(bot, 201))[0] == "rcp:station"
    answer = await answered(await d1.press(data=f"rc:st:{key}:999", forge=True))
    assert answer["text"] == "这里只列出您所在的站点；其他站点请输入站点代码。"
    answer = await answered(await d1.press(data="rc:st:deadbeef:1", forge=True))  # an old form's key
    assert answer["text"] == "这份接待记录已关闭。"
    await d1.press("✖️ 取消")
    await d1.receives(where=new, containing="已取消，未保存任何内容")

    refusals = await audit(bot, "reception.refused")
    reasons = [(e.actor_telegram_id, e.detail["reason"]) for e in refusals]
    assert reasons == [
        (301, "not_deputy"),
        (301, "not_deputy"),
        (202, "not_owner"),
        (202, "not_owner"),
        (202, "not_found"),
        (202, "malformed"),  # "rc:dy:abc", "rc:del:¹" and "rc:zz" do not parse (@button refuses them)
        (202, "malformed"),
        (202, "malformed"),
        (202, "stale"),
        (202, "stale"),
        (202, "stale"),
        (201, "not_own_station"),
        (201, "stale"),
    ]
    assert all(not e.allowed for e in refusals)
    [still] = await receptions(bot)
    assert still.deleted_at is None

    # D1 deletes their own: asked once more, then stamped
    await d1.command("reception", "list")
    await d1.receives(where=new, containing="您最近的接待记录")
    await d1.press("🗑 1")
    await d1.receives(containing="删除这条接待记录？")
    await d1.press("↩️ 保留")
    back = await d1.receives(containing="您最近的接待记录")  # the list again, in place
    assert back["edited"] and back["reply_markup"]
    await d1.press("🗑 1")
    await d1.receives(containing="删除这条接待记录？")
    press = await d1.press("🗑 删除")
    assert (await answered(press))["text"] == "已删除。"
    await d1.receives(containing="🗑 已删除")
    [gone] = await receptions(bot)
    assert gone.deleted_at is not None and gone.deleted_by_person_id is not None
    [entry] = await audit(bot, "reception.deleted")
    assert entry.actor_telegram_id == 201 and entry.object_id == str(gone.id)
    await d1.command("reception", "list")
    await d1.receives(where=new, containing="您还没有接待记录")


async def test_a_constituents_message_is_never_swallowed(
    bot: Runtime, people: Make, clock: ManualClock, sandbox: Sandbox
) -> None:
    zh = TEXTS["zh"]
    d1, c1 = people(201, "孙建国"), people(301, "周小梅")
    # D1's own unsent opinion draft survives a reception form, and comes back after it
    await d1.send("村口路灯坏了")
    await d1.receives(where=new, containing=zh["draft"])
    await d1.command("reception")
    await d1.receives(where=new, containing="您尚未提交的意见草稿已保留")
    await d1.send_photo("一张照片")  # not what the form asks for: a hint, the form stays
    await d1.receives(where=new, containing="接待记录正在等待您输入文字")
    await d1.press("✖️ 取消")
    await d1.receives(where=new, containing="您尚未提交的意见草稿已恢复")
    await d1.send("已经一个月了")
    card = await d1.receives(where=new, containing=zh["draft"])
    assert "村口路灯坏了" in card["text"] and "已经一个月了" in card["text"]

    # A form left alone for over two hours lets the next message through to the draft
    await d1.command("reception")
    await d1.receives(where=new, containing="您在哪个站点接待群众")
    clock.advance(timedelta(hours=2, minutes=1))
    await d1.send("还有水沟堵了")
    await d1.receives(where=new, containing="超过两小时没有回复，已关闭")
    card = await d1.receives(where=new, containing=zh["draft"])
    assert "还有水沟堵了" in card["text"] and "村口路灯坏了" in card["text"]
    state, _ = await chat_state(bot, 201)
    assert state == "draft"

    # A chat left in a form that is not this person's (an account moved, damaged data): the message
    # goes on as a constituent's
    async with bot.services.uow() as uow:
        await uow.chats.set(301, "rcp:people", {"form": {"deputy_id": 1, "key": "k", "step": "people"}})
        await uow.commit()
    await c1.send("12号楼电梯坏了")
    card = await c1.receives(where=new, containing=zh["draft"])
    assert "12号楼电梯坏了" in card["text"]
    assert (await chat_state(bot, 301))[0] == "draft"
    assert await receptions(bot) == []


def naughty_notes() -> list[str]:
    """BLNS as a Telegram client sends it: trimmed, no blanks, no /commands."""
    corpus = json.loads(BLNS.read_text(encoding="utf-8"))
    assert isinstance(corpus, list) and len(corpus) > 500
    return [s.strip() for s in corpus if s.strip() and not s.strip().startswith("/")]


async def test_naughty_notes_are_shown_and_stored_exactly(
    bot: Runtime, people: Make, sandbox: Sandbox
) -> None:
    """Every BLNS string as the note: the check card shows it byte-exact (so it was escaped right) and,
    for every 20th, the saved reception holds it and the list shows it."""
    notes = naughty_notes()
    deputies = [people(uid, f"代表{uid}") for uid in (101, 102, 201, 202, 203)]
    failures: list[str] = []

    async def work(deputy: SandboxUser, items: list[tuple[int, str]]) -> None:
        async def to_note() -> None:
            await deputy.command("reception")
            ask = await deputy.receives(where=new, containing="您在哪个站点接待群众", timeout=10)
            station = ask["reply_markup"]["inline_keyboard"][0][0]["text"]
            await deputy.press(station)
            await deputy.receives(where=new, containing="接待日期", timeout=10)
            await deputy.press(today_buttons(deputy)[0])
            await deputy.receives(where=new, containing="您接待了多少人", timeout=10)
            await deputy.send("3")
            await deputy.receives(where=new, containing="纸质方式", timeout=10)
            await deputy.press("跳过")
            await deputy.receives(where=new, containing="简短备注", timeout=10)

        await to_note()
        for index, note in items:
            try:
                await deputy.send(note)
                card = await deputy.receives(where=new, containing="请核对接待记录", timeout=10)
                if not card["text"].endswith("\n备注：" + note):
                    failures.append(f"#{index} {note!r}: card shows {card['text']!r}")
                if index % 20 == 0:
                    await deputy.press("✅ 保存")
                    saved = await deputy.receives(containing="✅ 接待记录已保存", timeout=10)
                    if not saved["text"].endswith("\n备注：" + note):
                        failures.append(f"#{index} {note!r}: saved card shows {saved['text']!r}")
                    await deputy.receives(where=new, containing="发送 /reception", timeout=10)
                    await to_note()
                else:
                    await deputy.press("✏️ 修改备注")
                    await deputy.receives(where=new, containing="简短备注", timeout=10)
            except AssertionError as exc:
                failures.append(f"#{index} {note!r}: {str(exc)[:600]}")
                await to_note()

    indexed = list(enumerate(notes))
    await asyncio.gather(*(work(d, indexed[i :: len(deputies)]) for i, d in enumerate(deputies)))
    violations = [f"{v.method}: {v.description}" for v in sandbox.violations()]
    assert not failures and not violations, "\n".join(failures + violations)

    stored = sorted(r.note or "" for r in await receptions(bot))
    assert stored == sorted(note for index, note in indexed if index % 20 == 0)
    first = deputies[0]  # 101 saved notes #0, #20, #40 (…): the list shows the newest ten, cut to 60
    await first.command("reception", "list")
    listed = await first.receives(where=new, containing="您最近的接待记录")
    saved_by_first = [note for index, note in indexed[0::5] if index % 20 == 0]
    for number, note in enumerate(reversed(saved_by_first[-10:]), 1):
        shown = note if len(note) <= 60 else note[:59] + "…"
        assert f"{number}. " in listed["text"] and "\n    " + shown in listed["text"], note
