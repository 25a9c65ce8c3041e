"""Following another's opinion (#20 item 1): only the join the bot offered, only what the sender shares."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from bot.runtime.app import Runtime
from storage.models import AuditEntry
from tests.e2e.flows import TRACKING, opinion, started, submit
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]
TEXT = "村口路灯坏了很久没人修"


async def join_refusals(runtime: Runtime) -> list[AuditEntry]:
    async with runtime.services.uow() as uow:
        rows = await uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "opinion.join"))
        return list(rows)


async def followers(runtime: Runtime, opinion_id: int) -> list[int]:
    async with runtime.services.uow() as uow:
        return await uow.opinions.subscribers(opinion_id)


async def neighbour_at_v1(user: SandboxUser) -> None:
    await user.start(payload="s_V1")
    await user.receives(containing="您已关联联络站")


async def test_a_forged_join_from_a_stranger_at_the_same_station_is_refused_and_audited(
    network: Runtime, people: Make
) -> None:
    sender, deputy, stranger = people(301, "周小梅"), people(201, "孙建国"), people(412, "冯七")
    await started(sender, deputy)
    tracking = await submit(sender, TEXT, "城乡建设", lang="zh")
    await deputy.receives(containing=tracking)
    row = await opinion(network, tracking)
    await neighbour_at_v1(stranger)

    # No draft at all: the forged press is answered, audited, and follows nothing.
    press = await stranger.press(data=f"dr:join:{row.id}", forge=True)
    answer = await press.answer()
    assert answer["text"] == "您不能关注这条意见。" and answer["show_alert"]

    # An open draft on an unrelated matter, and the press forged on its current card.
    await stranger.send("学校门口早上堵车")
    card = await stranger.receives(containing="您的意见（草稿）")
    press = await stranger.press(data=f"dr:join:{row.id}", message_id=card["message_id"], forge=True)
    assert (await press.answer())["text"] == "您不能关注这条意见。"

    refused = await join_refusals(network)
    assert [(e.object_id, e.allowed, e.actor_person_id is not None) for e in refused] == [
        (str(row.id), False, True),
        (str(row.id), False, True),
    ]
    assert await followers(network, row.id) == []
    # The draft is still open, and the stranger hears nothing of the opinion.
    await deputy.press("✅ 受理")
    await sender.receives(containing="孙建国代表已受理")
    await stranger.receives_nothing()
    await stranger.press("交通出行", message_id=card["message_id"])  # its buttons still act
    chosen = await stranger.receives(containing="类别：交通出行")
    assert chosen["message_id"] == card["message_id"]


async def test_a_join_names_only_the_offered_opinion(network: Runtime, people: Make) -> None:
    """Offered A, the press is forged to name B (also open at the station): refused."""
    sender, deputy, neighbour = people(301, "周小梅"), people(201, "孙建国"), people(411, "马六")
    await started(sender, deputy)
    first = await submit(sender, TEXT, "城乡建设")
    other = await submit(sender, "河道里有人倾倒垃圾", "生态环境")
    other_row = await opinion(network, other)
    await neighbour_at_v1(neighbour)
    await neighbour.send("村口路灯坏了很久了")
    await neighbour.receives(containing="类别：城乡建设（根据内容推测")  # guessed: Submit offers at once
    await neighbour.press("📤 提交")
    hint = await neighbour.receives(containing="已有一件相似的事项")
    press = await neighbour.press(data=f"dr:join:{other_row.id}", message_id=hint["message_id"], forge=True)
    assert (await press.answer())["text"] == "您不能关注这条意见。"
    assert await followers(network, other_row.id) == []
    assert [e.object_id for e in await join_refusals(network)] == [str(other_row.id)]
    # The offered one still works.
    await neighbour.press("🤝 关注这条")
    await neighbour.receives(containing=f"您已关注 {first}")
    assert await followers(network, (await opinion(network, first)).id) != []


async def test_a_private_opinions_follower_hears_states_never_texts(network: Runtime, people: Make) -> None:
    sender, deputy, neighbour = people(301, "周小梅"), people(201, "孙建国"), people(411, "马六")
    await started(sender, deputy)
    tracking = await submit(sender, TEXT, "城乡建设")
    card = await deputy.receives(containing=tracking)
    row = await opinion(network, tracking)
    await neighbour_at_v1(neighbour)
    await neighbour.send("村口路灯坏了很久了")
    await neighbour.receives(containing="类别：城乡建设（根据内容推测")  # guessed: Submit offers at once
    await neighbour.press("📤 提交")
    hint = await neighbour.receives(containing="已有一件相似的事项（城乡建设，")
    assert TEXT not in hint["text"] and tracking not in hint["text"]
    await neighbour.press("🤝 关注这条")
    await neighbour.receives(containing=f"您已关注 {tracking}")

    await deputy.press("✅ 受理", message_id=card["message_id"])
    await deputy.receives(containing="办理中")
    await neighbour.receives(containing=f"您关注的意见 {tracking} 现在的状态：办理中")
    await deputy.press("❓ 询问", message_id=card["message_id"])
    await deputy.receives(containing="请用一条消息输入要问")
    await deputy.send("具体是哪几盏灯？")
    question = await sender.receives(containing="具体是哪几盏灯？")
    await sender.send("东头第三到第五盏", reply_to=question["message_id"])
    await deputy.receives(containing="东头第三到第五盏")
    await deputy.press("💬 答复", message_id=card["message_id"])
    await deputy.receives(containing="请用一条消息输入对")
    await deputy.send("已安排电工明天维修")
    await deputy.receives(containing="答复预览")
    await deputy.press("📤 发送")
    await sender.receives(containing="已安排电工明天维修")
    answered = await neighbour.receives(containing=f"您关注的意见 {tracking} 现在的状态：已答复")
    assert "已安排电工明天维修" not in answered["text"] and "孙建国" not in answered["text"]
    # The question never reached the follower.
    await neighbour.receives_nothing()

    # The follower's timeline: states and times only.
    press = await neighbour.press(data=f"my:{row.id}", forge=True)
    assert (await press.answer()).get("text") in (None, "")
    timeline = await neighbour.receives(containing="办理过程")
    for secret in (TEXT, "已安排电工明天维修", "具体是哪几盏灯", "东头", "孙建国", "周小梅"):
        assert secret not in timeline["text"], secret
    assert "已答复" in timeline["text"]
    # The sender's own timeline still has it all.
    await sender.press(data=f"my:{row.id}", forge=True)
    own = await sender.receives(containing="办理过程")
    assert TEXT in own["text"] and "已安排电工明天维修" in own["text"]


async def test_a_public_opinion_is_quoted_and_its_answer_reaches_followers(
    network: Runtime, people: Make
) -> None:
    sender, deputy, neighbour = people(301, "周小梅"), people(201, "孙建国"), people(411, "马六")
    await started(sender, deputy)
    await sender.send(TEXT)
    draft = await sender.receives(containing="公开（他人可查看并关注）：否")
    await sender.press("🔒 公开：关", message_id=draft["message_id"])
    await sender.receives(containing="公开（他人可查看并关注）：是")
    # Anonymous and public exclude each other.
    await sender.press("👤 匿名：关", message_id=draft["message_id"])
    both = await sender.receives(containing="匿名：是")
    assert "公开（他人可查看并关注）：否" in both["text"]
    await sender.press("🕶 匿名：开", message_id=draft["message_id"])
    await sender.receives(containing="匿名：否")
    await sender.press("🔒 公开：关", message_id=draft["message_id"])
    await sender.receives(containing="公开（他人可查看并关注）：是")
    assert "类别：城乡建设（根据内容推测" in draft["text"]
    await sender.press("📤 提交")
    done = await sender.receives(containing="已提交，编号")
    found = TRACKING.search(done["text"])
    assert found, done
    tracking = found.group(0)
    row = await opinion(network, tracking)
    assert row.public and not row.anonymous
    card = await deputy.receives(containing=tracking)

    await neighbour_at_v1(neighbour)
    await neighbour.send("村口路灯坏了很久了")
    await neighbour.receives(containing="类别：城乡建设（根据内容推测")  # guessed: Submit offers at once
    await neighbour.press("📤 提交")
    await neighbour.receives(containing=f"已有一条相似的意见正在办理：{tracking}“{TEXT}”")
    await neighbour.press("🤝 关注这条")
    await neighbour.receives(containing=f"您已关注 {tracking}")
    await deputy.press("✅ 受理", message_id=card["message_id"])
    await deputy.receives(containing="办理中")
    await neighbour.receives(containing="现在的状态：办理中")
    await deputy.press("💬 答复", message_id=card["message_id"])
    await deputy.receives(containing="请用一条消息输入对")
    await deputy.send("已安排电工明天维修")
    await deputy.receives(containing="答复预览")
    await deputy.press("📤 发送")
    answered = await neighbour.receives(containing=f"您关注的意见 {tracking} 已答复")
    assert "已安排电工明天维修" in answered["text"] and not answered["reply_markup"]
