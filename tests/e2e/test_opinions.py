"""The opinion loop end to end through the sandbox: submit, route, accept, ask, answer, verdicts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.sandbox import Sandbox
from storage.models import AuditEntry, Deputy, Person
from tests.e2e.flows import TRACKING, events, opinion, started, submit
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]


async def test_zh_full_loop_with_photo_location_ask_answer_and_satisfied(
    network: Runtime, people: Make
) -> None:
    sender, deputy = people(301, "周小梅"), people(201, "孙建国")
    await started(sender, deputy)
    await sender.send("村口的路灯坏了三个月，晚上很危险")
    await sender.receives(containing="您的意见（草稿）")
    await sender.send_photo(caption="路灯照片")
    await sender.receives(containing="1 个附件")
    await sender.send_location(25.8001, 98.8001)
    card = await sender.receives(containing="📍 位置")
    # The category is guessed from the text ("路灯") and ticked on the card: Submit is the one tap left.
    assert "类别：城乡建设（根据内容推测，可在下方更改）" in card["text"]
    assert any(b["text"] == "✓ 城乡建设" for row in card["reply_markup"]["inline_keyboard"] for b in row)
    await sender.press("📤 提交")
    done = await sender.receives(containing="已提交，编号")
    tracking = TRACKING.search(done["text"]).group(0)  # type: ignore[union-attr]
    # The card is now the filed opinion's: titled with its number and state, no longer a draft.
    assert done["text"].startswith(f"📨 {tracking} · 等待受理") and "草稿" not in done["text"]
    assert "类别：城乡建设\n" in done["text"] and not done["reply_markup"]
    assert f"已提交，编号 {tracking}。已交给孙建国代表（丙村人大代表联络站），将在" in done["text"]

    card = await deputy.receives(containing=tracking)
    assert "村口的路灯坏了三个月，晚上很危险\n路灯照片" in card["text"]
    assert "来自：周小梅" in card["text"] and "城乡建设" in card["text"]
    await deputy.receives(where=lambda m: m["kind"] == "photo")
    await deputy.receives(where=lambda m: m["kind"] == "location")
    row = await opinion(network, tracking)
    assert row.route_reason == "linked_contact" and row.state == "routed"

    await deputy.press("✅ 受理", message_id=card["message_id"])
    await deputy.receives(containing="办理中")  # the card, edited in place
    await sender.receives(containing="孙建国代表已受理您的意见")

    await deputy.press("❓ 询问", message_id=card["message_id"])
    await deputy.receives(containing="请用一条消息输入要问")
    await deputy.send("具体是哪几盏灯？")
    question = await sender.receives(containing="具体是哪几盏灯？")
    assert "孙建国代表对您的意见" in question["text"]
    await sender.send("东头第三到第五盏", reply_to=question["message_id"])
    await sender.receives(containing="已转达给代表")
    relayed = await deputy.receives(containing="东头第三到第五盏")
    assert "反映人回答了您的问题" in relayed["text"] and "周小梅" not in relayed["text"]

    await deputy.press("💬 答复", message_id=card["message_id"])
    await deputy.receives(containing="请用一条消息输入对")
    await deputy.send("已联系供电所，本周五前修好。")
    await deputy.receives(containing="答复预览")
    await deputy.press("📤 发送")
    await deputy.receives(containing="答复已发送")
    answer = await sender.receives(containing="已联系供电所，本周五前修好。")
    assert "您对答复满意吗" in answer["text"]
    await sender.press("✅ 满意", message_id=answer["message_id"])
    await sender.receives(containing="已办结：满意")
    await deputy.receives(containing="满意，已办结")
    row = await opinion(network, tracking)
    assert row.state == "closed" and row.satisfaction == "satisfied"
    steps = [e.action for e in await events(network, row.id)]
    assert steps == ["submit", "route", "accept", "ask", "info_received", "answer", "confirm_satisfied"]


async def test_en_dissatisfied_reopens_to_same_deputy_and_copies_supervisor(
    network: Runtime, people: Make
) -> None:
    sender, deputy, supervisor = (
        people(301, "Zhou", "en"),
        people(201, "Sun", "en"),
        people(102, "Qian", "en"),
    )
    await started(sender, deputy, supervisor, lang="en")
    tracking = await submit(sender, "The bus stop has no shelter", "Transport", lang="en")
    card = await deputy.receives(containing=tracking)
    await deputy.press("✅ Accept", message_id=card["message_id"])
    await sender.receives(containing="accepted your opinion")
    await deputy.receives(containing="being handled")
    await deputy.press("💬 Reply", message_id=card["message_id"])
    await deputy.receives(containing="Type your answer")
    await deputy.send("A shelter is planned for next year.")
    await deputy.receives(containing="Preview of your answer")
    await deputy.press("📤 Send")
    answer = await sender.receives(containing="A shelter is planned for next year.")
    await sender.press("❌ Not satisfied", message_id=answer["message_id"])
    await sender.receives(containing="is reopened to deputy 孙建国")
    await deputy.receives(containing="is not satisfied with the answer. It is reopened to you")
    await supervisor.receives(containing=f"Opinion {tracking}, held by deputy 孙建国, was reopened")
    row = await opinion(network, tracking)
    assert row.state == "reopened" and row.holder_deputy_id is not None
    assert row.satisfaction == "dissatisfied"


async def test_transfer_to_a_deputy_not_offered_is_refused_answered_and_audited(
    network: Runtime, people: Make
) -> None:
    """`op:to:<opinion>:<deputy>` is untrusted: D3 shares no station or group with D1, so is not offered."""
    sender, d1 = people(301, "周小梅"), people(201, "孙建国")
    await started(sender, d1)
    tracking = await submit(sender, "小学门口需要斑马线", "教育")
    card = await d1.receives(containing=tracking)
    await d1.press("↪️ 转交", message_id=card["message_id"])
    offer = await d1.receives(containing="转交给谁")
    async with network.services.uow() as uow:
        d3 = await uow.session.scalar(
            select(Deputy.id).join(Person, Person.id == Deputy.person_id).where(Person.code == "D3")
        )
    row = await opinion(network, tracking)
    forged = await d1.press(data=f"op:to:{row.id}:{d3}", message_id=offer["message_id"], forge=True)
    answer = await forged.answer()
    assert answer["show_alert"] and answer["text"] == "这个按钮已失效。"
    await d1.send("理由")  # not taken as a transfer reason: no transfer dialog was opened
    assert (await opinion(network, tracking)).holder_deputy_id == row.holder_deputy_id
    async with network.services.uow() as uow:
        refused = (
            await uow.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "opinion.transfer_refused")
            )
        ).all()
    assert [(e.object_id, e.allowed, e.detail["to_deputy_id"]) for e in refused] == [(str(row.id), False, d3)]
    assert not any(e.action == "transfer" for e in await events(network, row.id))


async def test_transfer_with_reason_to_another_deputy_of_the_station(network: Runtime, people: Make) -> None:
    sender, d1, d2 = people(301, "周小梅"), people(201, "孙建国"), people(202, "Wu", "en")
    await started(sender, d1)
    await started(d2, lang="en")
    tracking = await submit(sender, "小学门口需要斑马线", "教育")
    card = await d1.receives(containing=tracking)
    await d1.press("↪️ 转交", message_id=card["message_id"])
    await d1.receives(containing="转交给谁")
    await d1.press("Deputy Wu")
    await d1.receives(containing="转交的原因")
    await d1.send("吴代表负责交通")
    await d1.receives(containing="已转交")
    await sender.receives(containing="已转交Deputy Wu代表办理。原因：吴代表负责交通")
    new_card = await d2.receives(containing=tracking)
    assert "transferred, waiting to be accepted" in new_card["text"]
    await d2.press("✅ Accept", message_id=new_card["message_id"])
    await sender.receives(containing="Deputy Wu代表已受理")
    # The old holder's buttons are gone and a stale press is refused.
    old = await d1.press(
        data=f"op:acc:{(await opinion(network, tracking)).id}", message_id=card["message_id"], forge=True
    )
    assert "状态已经变化" in (await old.answer()).get("text", "") or "无权" in (await old.answer()).get(
        "text", ""
    )


async def test_forged_presses_change_nothing_and_are_audited(
    network: Runtime, people: Make, sandbox: Sandbox
) -> None:
    sender, d1, d2 = people(301, "周小梅"), people(201, "孙建国"), people(202, "Wu", "en")
    stranger = people(999, "Stranger", "en")
    await started(sender, d1)
    await started(d2, stranger, lang="en")
    tracking = await submit(sender, "河道垃圾多", "生态环境")
    await d1.receives(containing=tracking)
    row = await opinion(network, tracking)
    for user, data in [
        (d2, f"op:acc:{row.id}"),
        (sender, f"op:acc:{row.id}"),
        (stranger, f"op:esc:{row.id}"),
        (stranger, f"cf:sat:{row.id}"),
        (d2, f"op:rep:{row.id}"),
        (stranger, f"my:{row.id}"),
        (stranger, "op:acc:99999"),
        (stranger, "op:acc:abc"),
        (d2, "cf:zzz:1"),
    ]:
        press = await user.press(data=data, forge=True)
        answer = await press.answer()
        assert answer.get("text"), (data, answer)
    after = await opinion(network, tracking)
    assert after.state == "routed" and after.holder_deputy_id == row.holder_deputy_id
    async with network.services.uow() as uow:
        refusals = [e for e in await uow.audit.recent(50) if not e.allowed]
    assert len(refusals) >= 8


async def test_anonymous_opinion_hides_the_sender(network: Runtime, people: Make) -> None:
    sender, deputy = people(301, "周小梅"), people(201, "孙建国")
    await started(sender, deputy)
    await sender.send("反映村干部作风问题")
    await sender.receives(containing="您的意见（草稿）")
    await sender.press("👤 匿名：关")
    draft = await sender.receives(containing="匿名：是")
    assert "类别：未选择（提交时归入“其他”" in draft["text"]  # no keyword: no guess
    await sender.press("📤 提交")  # files at once, under "other"
    done = await sender.receives(containing="已提交，编号")
    assert "类别：其他" in done["text"]
    assert done["message_id"] == draft["message_id"]
    card = await deputy.receives(containing="反映村干部作风问题")
    assert "来自：匿名" in card["text"] and "周小梅" not in card["text"]


async def test_binding_by_deputy_link_station_link_and_location(network: Runtime, people: Make) -> None:
    newcomer = people(401, "陈新")
    await newcomer.start(payload="d_D3")
    await newcomer.receives(containing="您已与李秀英代表（丁村人大代表联络站）建立联系")
    visitor = people(402, "Visitor", "en")
    await visitor.start(payload="s_V1")
    await visitor.receives(containing="You are now connected with the station 丙村人大代表联络站")
    walker = people(403, "林走")
    await walker.start()
    await walker.receives(containing="您属于哪个联络站")
    await walker.send_location(26.49, 99.49)
    await walker.receives(containing="离您最近的联络站是戊村人大代表联络站")
    bad = people(404, "Bad", "en")
    await bad.start(payload="d_NOPE")
    await bad.receives(containing="This link is not valid")
    # The deputy-link binding routes the newcomer's opinion to that deputy.
    deputy = people(203, "李秀英")
    await started(deputy)
    tracking = await submit(newcomer, "希望增加公交班次", "交通出行")
    await deputy.receives(containing=tracking)
    assert (await opinion(network, tracking)).route_reason == "linked_contact"


async def test_phone_share_matches_the_imported_record(
    network: Runtime, people: Make, sandbox: Sandbox
) -> None:
    user = SandboxUser.create(
        sandbox, user_id=405, first_name="Wu", language_code="zh-hans", phone_number="8613900000002"
    )
    await user.start()
    await user.receives(containing="您属于哪个联络站")
    await user.share_contact()
    await user.receives(containing="已在联络站名册中找到您")
    async with network.services.uow() as uow:
        person = await uow.people.by_telegram_id(405)
        assert person is not None and person.code == "C2" and person.phone_shared


async def test_a_shared_number_that_is_no_phone_number_is_not_saved(
    network: Runtime, people: Make, sandbox: Sandbox
) -> None:
    user = SandboxUser.create(
        sandbox, user_id=406, first_name="Qian", language_code="zh-hans", phone_number="12345"
    )
    await user.start()
    await user.receives(containing="您属于哪个联络站")
    await user.share_contact()
    await user.receives(containing="不是有效的手机号码，未保存")
    async with network.services.uow() as uow:
        person = await uow.people.by_telegram_id(406)
        assert person is not None and person.phone is None and not person.phone_shared


async def test_my_lists_opinions_and_shows_the_timeline(network: Runtime, people: Make) -> None:
    sender, deputy = people(301, "周小梅"), people(201, "孙建国")
    await started(sender, deputy)
    tracking = await submit(sender, "垃圾清运不及时", "生态环境")
    await deputy.receives(containing=tracking)
    await sender.command("my")
    listing = await sender.receives(containing="我的意见")
    assert tracking in listing["text"] and "等待受理" in listing["text"]
    await sender.press(tracking)
    timeline = await sender.receives(containing="办理过程")
    assert "孙建国" in timeline["text"] and "期限" in timeline["text"]


async def test_my_timeline_shows_each_events_own_time(
    network: Runtime, people: Make, clock: ManualClock
) -> None:
    """Routed at 10:00, accepted two minutes later: "held since" is when it reached the deputy, and
    each step of the timeline carries its own time (issue #22: "自 20:41 起" for a 20:39 hand-over)."""
    sender, deputy = people(301, "周小梅"), people(201, "孙建国")
    await started(sender, deputy)
    tracking = await submit(sender, "垃圾清运不及时", "生态环境")
    card = await deputy.receives(containing=tracking)
    row = await opinion(network, tracking)
    zone = network.services.settings.zone
    routed_at = row.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    clock.advance(timedelta(minutes=2))
    await deputy.press("✅ 受理", message_id=card["message_id"])
    await sender.receives(containing="孙建国代表已受理")
    accepted = next(e for e in await events(network, row.id) if e.action == "accept")
    accepted_at = accepted.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    assert accepted_at != routed_at
    await sender.command("my", tracking)
    timeline = await sender.receives(containing="办理过程")
    assert f"自 {routed_at} 起由孙建国办理" in timeline["text"]
    assert f"• {routed_at} 等待受理" in timeline["text"] and f"• {accepted_at} 办理中" in timeline["text"]


async def test_similar_open_opinion_offers_to_join(network: Runtime, people: Make) -> None:
    first, second, deputy = people(301, "周小梅"), people(411, "马六"), people(201, "孙建国")
    await started(first, deputy)
    tracking = await submit(first, "村口路灯坏了很久没人修", "城乡建设")
    await deputy.receives(containing=tracking)
    await second.start(payload="s_V1")
    await second.receives(containing="您已关联联络站")
    await second.send("村口路灯坏了很久了")
    await second.receives(containing="类别：城乡建设（根据内容推测")  # guessed from "路灯"
    await second.press("📤 提交")
    # The first opinion is private (the default): its text is not quoted to a neighbour.
    hint = await second.receives(containing="已有一件相似的事项（城乡建设，")
    assert "村口路灯坏了很久没人修" not in hint["text"] and tracking not in hint["text"]
    await second.press("🤝 关注这条")
    await second.receives(containing=f"您已关注 {tracking}")
    # A follower of a private opinion hears its state, not what the sender hears.
    await deputy.press("✅ 受理")
    await first.receives(containing="孙建国代表已受理")
    followed = await second.receives(containing=f"您关注的意见 {tracking} 现在的状态：办理中")
    assert "孙建国" not in followed["text"]


async def test_follow_up_weeks_after_a_solved_opinion(
    network: Runtime, people: Make, clock: ManualClock
) -> None:
    sender, deputy = people(301, "周小梅"), people(201, "孙建国")
    await started(sender, deputy)
    tracking = await submit(sender, "排水沟堵了", "城乡建设")
    card = await deputy.receives(containing=tracking)
    await deputy.press("✅ 受理", message_id=card["message_id"])
    await deputy.receives(containing="办理中")
    await deputy.press("💬 答复", message_id=card["message_id"])
    await deputy.receives(containing="请用一条消息输入对")
    await deputy.send("已疏通。")
    await deputy.receives(containing="答复预览")
    await deputy.press("📤 发送")
    answer = await sender.receives(containing="已疏通。")
    await sender.press("✅ 满意", message_id=answer["message_id"])
    await sender.receives(containing="已办结：满意")
    clock.advance(timedelta(days=31))
    await network.sweep()
    ask = await sender.receives(containing="问题还保持解决吗")
    await network.sweep()  # asked once only
    await sender.press("👎 问题又出现了", message_id=ask["message_id"])
    await sender.receives(containing="作为一条新意见提交")
    draft = await sender.receives(containing=f"{tracking} 反映的问题又出现了")
    assert "类别：城乡建设" in draft["text"]
    again = await sender.press(
        data=f"fu:ok:{(await opinion(network, tracking)).id}", message_id=ask["message_id"], forge=True
    )
    assert "失效" in (await again.answer()).get("text", "")


async def test_role_menus_are_set_per_chat(network: Runtime, people: Make, sandbox: Sandbox) -> None:
    sender, deputy = people(301, "周小梅"), people(201, "Sun", "en")
    await started(sender)
    await started(deputy, lang="en")
    await sender.command("help")
    await sender.receives(containing="我能做的事")
    await deputy.command("help")
    await deputy.receives(containing="/tasks")  # per-chat order: the menu was set before this reply
    deputy_menu = sandbox.commands("chat", chat_id=201)
    sender_menu = sandbox.commands("chat", chat_id=301)
    assert [c["command"] for c in deputy_menu] == [
        "my",
        "tasks",
        "reception",
        "suggest",
        "suggestions",
        "station",
        "duty",
        "points",
        "cancel",
        "language",
        "help",
        "start",
    ]
    assert deputy_menu[1]["description"] == "Opinions I am handling"
    assert [c["command"] for c in sender_menu] == ["my", "duty", "cancel", "language", "help", "start"]
    assert sender_menu[0]["description"] == "我的意见"


async def test_a_quick_reply_to_a_question_reaches_the_deputy_before_its_id_is_committed(
    network: Runtime, people: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sender answers the moment the question arrives: the outbox has sent it but not yet committed
    its message id. The reply is still the answer, not a new draft."""
    sender, deputy = people(301, "周小梅"), people(201, "孙建国")
    await started(sender, deputy)
    tracking = await submit(sender, "村口的路灯坏了三个月", "城乡建设")
    card = await deputy.receives(containing=tracking)
    await deputy.press("✅ 受理", message_id=card["message_id"])
    await deputy.receives(containing="办理中")
    await deputy.press("❓ 询问", message_id=card["message_id"])
    await deputy.receives(containing="请用一条消息输入要问")

    sender_loop = network.sender
    flush = sender_loop.flush_results
    held: list[object] = []

    async def flush_all_but_the_question() -> None:
        """Commit every outcome except the question's, which stays unrecorded until the end."""
        results = sender_loop._results
        held.extend(r for r in results if (r.ref or "").startswith("ask:"))
        sender_loop._results = [r for r in results if not (r.ref or "").startswith("ask:")]
        await flush()

    monkeypatch.setattr(sender_loop, "flush_results", flush_all_but_the_question)
    try:
        await deputy.send("具体是哪几盏灯？")
        question = await sender.receives(containing="具体是哪几盏灯？")
        await sender.send("东头第三到第五盏", reply_to=question["message_id"])
        await sender.receives(containing="已转达给代表")
        relayed = await deputy.receives(containing="东头第三到第五盏")
        assert "反映人回答了您的问题" in relayed["text"]
        assert held, "the question's outcome was committed: this test proves nothing"
    finally:
        monkeypatch.undo()
        sender_loop._results.extend(held)  # type: ignore[arg-type]
