"""The constituent's ways out and wrong turns (#20 items 3 and 4): /cancel, far locations, repeated picks."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.runtime.app import Runtime
from bot.sandbox import Sandbox
from tests.e2e.flows import TRACKING, events, opinion, started
from tests.kit import SandboxUser, wait_idle

Make = Callable[..., SandboxUser]


async def person_station(runtime: Runtime, telegram_id: int) -> int | None:
    async with runtime.services.uow() as uow:
        person = await uow.people.by_telegram_id(telegram_id)
        assert person is not None
        return person.station_id


async def chat_state(runtime: Runtime, chat_id: int) -> str | None:
    async with runtime.services.uow() as uow:
        return (await uow.chats.get(chat_id)).state


async def test_cancel_discards_the_draft_and_its_card(network: Runtime, people: Make) -> None:
    sender = people(301, "周小梅")
    await started(sender)
    await sender.send("村口的路灯坏了")
    card = await sender.receives(containing="您的意见（草稿）")
    await sender.command("cancel")
    await sender.receives(containing="您未完成的草稿已放弃")
    gone = await sender.receives(containing="草稿已放弃", where=lambda m: m["edited"])
    assert gone["message_id"] == card["message_id"] and not gone["reply_markup"]
    assert await chat_state(network, 301) is None
    # The next message starts a new draft instead of joining the old one.
    await sender.send("学校门口堵车")
    fresh = await sender.receives(containing="您的意见（草稿）")
    assert "村口的路灯坏了" not in fresh["text"]
    await sender.command("cancel")
    await sender.receives(containing="您未完成的草稿已放弃")
    await sender.command("cancel")
    await sender.receives(containing="当前没有可取消的操作")


async def test_start_clears_a_half_finished_draft(network: Runtime, people: Make) -> None:
    sender = people(301, "Zhou", "en")
    await started(sender, lang="en")
    await sender.send("The street light is broken")
    await sender.receives(containing="Your opinion (draft)")
    await sender.start()
    hello = await sender.receives(containing="Hello")
    assert "Your unfinished draft is discarded." in hello["text"]
    assert await chat_state(network, 301) is None


async def test_cancel_leaves_a_pending_answer_to_the_deputy(network: Runtime, people: Make) -> None:
    sender, deputy = people(301, "周小梅"), people(201, "孙建国")
    await started(sender, deputy)
    await sender.send("村口的路灯坏了三个月")
    await sender.receives(containing="类别：城乡建设（根据内容推测")
    await sender.press("📤 提交")
    await sender.receives(containing="已提交，编号")
    card = await deputy.receives(containing="村口的路灯坏了三个月")
    await deputy.press("✅ 受理", message_id=card["message_id"])
    await deputy.receives(containing="办理中")
    await deputy.press("❓ 询问", message_id=card["message_id"])
    await deputy.receives(containing="请用一条消息输入要问")
    await deputy.send("具体是哪几盏灯？")
    await deputy.receives(containing="已发送给反映人")
    await deputy.receives(containing="等待反映人回复")  # the card, edited in place
    question = await sender.receives(containing="具体是哪几盏灯？")
    await sender.press("✍️ 回答", message_id=question["message_id"])
    await sender.receives(containing="请用一条消息")
    await sender.command("cancel")
    await sender.receives(containing="已取消回答代表的问题")
    # The next message is a new draft, not an answer passed to the deputy.
    await sender.send("另一件事：河道有垃圾")
    await sender.receives(containing="您的意见（草稿）")
    await deputy.receives_nothing()


async def test_cancel_is_in_the_command_menus(sandbox: Sandbox, network: Runtime, people: Make) -> None:
    sender = people(301, "Zhou", "en")
    await started(sender, lang="en")
    assert any(c["command"] == "cancel" for c in sandbox.commands(language_code="zh"))
    deadline = time.monotonic() + 5
    while not (menu := sandbox.commands("chat", chat_id=301)) and time.monotonic() < deadline:
        await sandbox.wait_for_change(0.1)  # the chat's menu follows the greeting through the outbox
    assert {c["command"]: c["description"] for c in menu}["cancel"] == "Cancel the unfinished draft or answer"


async def test_a_location_far_from_every_station_binds_to_none(network: Runtime, people: Make) -> None:
    walker = people(420, "Walker", "en")
    await started(walker, lang="en")
    await walker.receives(containing="Which liaison station is yours?")
    await walker.send_location(0.0, 0.0)  # 10,813 km from the nearest station
    await walker.receives(containing="No station is near that location (within 50 km)")
    await walker.receives(containing="Stations:", where=lambda m: bool(m["reply_markup"]))
    assert await person_station(network, 420) is None
    await walker.send_location(25.81, 98.81)  # next to V1
    await walker.receives(containing="The nearest station is 丙村人大代表联络站")
    assert await person_station(network, 420) is not None


async def test_picking_the_same_station_twice_answers_without_an_edit(
    sandbox: Sandbox, network: Runtime, people: Make
) -> None:
    walker = people(421, "Walker", "en")
    await started(walker, lang="en")
    await walker.receives(containing="Which liaison station is yours?")
    listing = await walker.receives(containing="Stations:", where=lambda m: bool(m["reply_markup"]))
    home = await walker.press("甲县人大代表之家", message_id=listing["message_id"])
    await home.answer()
    await walker.receives(containing="Stations in 甲县人大代表之家")
    pick = next(
        b["callback_data"]
        for row in (walker.last_bot_message() or {})["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "✔️ This one"
    )
    await walker.press(data=pick, message_id=listing["message_id"], forge=True)
    await walker.receives(containing="You are now connected with the station 甲县人大代表之家")
    await walker.receives(containing="Now write your opinion here")  # and the keyboard goes
    assert sandbox.state.chats[421].keyboard is None
    again = await walker.press(data=pick, message_id=listing["message_id"], forge=True)  # a double tap
    answer = await again.answer()
    assert answer["text"] == "You are already connected with the station 甲县人大代表之家."
    await walker.receives_nothing()
    refused = [v for v in sandbox.violations() if "not modified" in str(v)]
    assert refused == []


async def test_an_edited_command_does_not_run_again(network: Runtime, people: Make) -> None:
    deputy = people(201, "孙建国")
    await started(deputy)
    sent = await deputy.command("tasks")
    await deputy.receives(containing="没有待办事项")
    await deputy.edit(sent["message_id"], "/tasks ")
    await deputy.edit(sent["message_id"], "/my")
    await deputy.receives_nothing()


async def test_editing_a_drafts_message_updates_the_draft(network: Runtime, people: Make) -> None:
    sender, deputy = people(301, "周小梅"), people(201, "孙建国")
    await started(sender, deputy)
    first = await sender.send("村口的路灯坏了")
    card = await sender.receives(containing="您的意见（草稿）")
    await sender.send("晚上很危险")
    card = await sender.receives(containing="晚上很危险")
    await sender.edit(first["message_id"], "村口的路灯坏了五盏")
    edited = await sender.receives(containing="村口的路灯坏了五盏\n晚上很危险")
    assert edited["message_id"] == card["message_id"] and edited["edited"]
    assert "类别：城乡建设（根据内容推测" in edited["text"]  # guessed again from the corrected text
    await sender.press("📤 提交", message_id=card["message_id"])
    done = await sender.receives(containing="已提交，编号")
    tracking = TRACKING.search(done["text"]).group(0)  # type: ignore[union-attr]
    assert (await opinion(network, tracking)).text == "村口的路灯坏了五盏\n晚上很危险"


async def test_editing_a_filed_opinions_message_notes_it_to_the_holder(
    network: Runtime, people: Make
) -> None:
    sender, deputy = people(301, "周小梅"), people(201, "孙建国")
    await started(sender, deputy)
    sent = await sender.send("村口的路灯坏了")
    await sender.receives(containing="类别：城乡建设（根据内容推测")
    await sender.press("📤 提交")
    done = await sender.receives(containing="已提交，编号")
    tracking = TRACKING.search(done["text"]).group(0)  # type: ignore[union-attr]
    card = await deputy.receives(containing=tracking)

    await sender.edit(sent["message_id"], "村口的路灯坏了，是东头那五盏")
    await sender.receives(containing=f"您对 {tracking} 的修改已转交给孙建国")
    note = await deputy.receives(containing="村口的路灯坏了，是东头那五盏")
    assert tracking in note["text"] and note["message_id"] != card["message_id"]
    row = await opinion(network, tracking)
    assert row.text == "村口的路灯坏了"  # what the deputy first read stays on record
    noted = [e for e in await events(network, row.id) if e.action == "note"]
    assert [(e.note, e.to_state) for e in noted] == [("村口的路灯坏了，是东头那五盏", "routed")]
    await sender.press(data=f"my:{row.id}", forge=True)
    timeline = await sender.receives(containing="办理过程")
    assert "村口的路灯坏了，是东头那五盏" in timeline["text"]
    # Once closed, a correction is not passed on.
    await deputy.press("✅ 受理", message_id=card["message_id"])
    await deputy.receives(containing="办理中")
    await deputy.press("💬 答复", message_id=card["message_id"])
    await deputy.receives(containing="请用一条消息输入对")
    await deputy.send("已修好")
    await deputy.receives(containing="答复预览")
    await deputy.press("📤 发送")
    answer = await sender.receives(containing="已修好")
    await sender.press("✅ 满意", message_id=answer["message_id"])
    await sender.receives(containing="已办结：满意")
    await deputy.receives(containing="满意，已办结")
    await sender.edit(sent["message_id"], "其实还有一盏")
    await sender.receives(containing=f"意见 {tracking} 已办结，您的修改没有转交")
    await wait_idle(sender.sandbox)
    assert not any("其实还有一盏" in (m["text"] or "") for m in deputy.transcript())
