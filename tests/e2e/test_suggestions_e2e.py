"""/suggest through the sandbox: a deputy files a suggestion with co-signers, who confirm or decline on
their card; the filer gets the number; forged and stale presses are refused and audited.

Network (tests/data/network_e2e.yaml): D1 孙建国 (201), D2 Deputy Wu (202), D3 李秀英 (203); constituent
周小梅 (301); user 900001 is admin and staff.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.runtime.app import Runtime
from storage.models import AuditEntry
from storage.models.suggestions import Suggestion, SuggestionEvent
from tests.e2e.flows import opinion, started, submit
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]
NUMBER = re.compile(r"S-\d{4}-\d{4}")


@pytest.fixture
async def bot(network: Runtime) -> Runtime:
    """The bot as wired (bot/runtime/wiring.py lists /suggest, /suggestions and their buttons)."""
    return network


async def suggestions(runtime: Runtime) -> list[Suggestion]:
    async with runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(Suggestion).order_by(Suggestion.id)))


async def ledger(runtime: Runtime, suggestion_id: int) -> list[tuple[str, str]]:
    async with runtime.services.uow() as uow:
        rows = await uow.session.scalars(
            select(SuggestionEvent)
            .where(SuggestionEvent.suggestion_id == suggestion_id)
            .order_by(SuggestionEvent.id)
        )
        return [(e.action, e.actor_kind) for e in rows]


async def refusals(runtime: Runtime, action: str) -> list[dict[str, Any]]:
    async with runtime.services.uow() as uow:
        rows = await uow.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.allowed.is_(False))
            .order_by(AuditEntry.id)
        )
        return [{"person": e.actor_person_id, **(e.detail or {})} for e in rows]


async def alert(user: SandboxUser, data: str) -> str:
    answer = await (await user.press(data=data, forge=True)).answer()
    assert answer["show_alert"], answer
    return str(answer["text"])


async def test_zh_filing_with_co_signers_who_confirm_and_decline(bot: Runtime, people: Make) -> None:
    d1, d2, d3 = people(201, "孙建国"), people(202, "Deputy Wu", "en"), people(203, "李秀英")
    staff, constituent = people(900001, "办公室小张"), people(301, "周小梅")
    await started(d1, d3, staff, constituent)
    await started(d2, lang="en")
    await d1.command("suggest")
    opening = await d1.receives(containing="新建代表建议")
    assert "请输入建议的标题" in opening["text"]
    await d1.send("关于修缮丙村村道的建议")
    await d1.receives(containing="请输入建议的正文")
    await d1.send("丙村村道多处破损，雨天积水，建议列入明年道路养护计划。")
    await d1.receives(containing="请选择建议的类别")
    await d1.press("交通出行")
    await d1.receives(containing="附议/联名")
    await d1.send("D9")
    await d1.receives(containing="没有编号为 D9 的代表")
    await d1.send("D1")
    await d1.receives(containing="您不能附议自己的建议")
    await d1.send("D2，D3")
    await d1.receives(containing="附件（照片、文件、调研材料）")
    await d1.send_photo("村道照片")
    await d1.receives(containing="已添加附件（1）")
    await d1.press("➡️ 下一步")
    preview = await d1.receives(containing="请核对您的建议")
    assert "附议代表：Deputy Wu, 李秀英" in preview["text"] and "附件：1" in preview["text"]
    await d1.press("✅ 提交")
    await d1.receives(containing="正在等待附议代表答复：Deputy Wu, 李秀英")
    [suggestion] = await suggestions(bot)
    assert suggestion.state == "cosigning" and suggestion.number is None
    assert suggestion.attachments is not None and len(suggestion.attachments) == 1
    sid = suggestion.id

    card_en = await d2.receives(containing="Deputy 孙建国 invites you to co-sign")
    assert "丙村村道多处破损" in card_en["text"]
    await d3.receives(containing="孙建国 代表邀请您附议建议《关于修缮丙村村道的建议》")

    # Forged: someone not invited (a constituent, the filer) presses the card's data.
    assert await alert(constituent, f"sg:s:y:{sid}") == "这个按钮已失效。"
    await alert(d1, f"sg:s:y:{sid}")
    await d2.press("✅ Co-sign")
    await d2.receives(containing="You co-signed the suggestion")
    await d1.receives(containing="✅ Deputy Wu 已附议您的建议")
    # Stale: a second answer from the same co-signer.
    assert await alert(d2, f"sg:s:n:{sid}") == "This button is no longer valid."
    await d3.press("❌ 谢绝")
    await d3.receives(containing="您已谢绝附议建议")
    await d1.receives(containing="李秀英 谢绝附议您的建议")
    filed = await d1.receives(containing="已正式提交，编号")
    number = NUMBER.search(filed["text"])
    assert number is not None
    await d2.receives(containing=f"Suggestion {number.group(0)}")
    await staff.receives(containing=f"新建议 {number.group(0)}")
    # Stale: a late press once it is filed.
    await alert(d3, f"sg:s:y:{sid}")

    [suggestion] = await suggestions(bot)
    assert suggestion.state == "filed" and suggestion.number == number.group(0)
    assert await ledger(bot, sid) == [
        ("create", "filer"),
        ("invite_cosigners", "filer"),
        ("cosign", "cosigner"),
        ("decline_cosign", "cosigner"),
        ("file", "filer"),
    ]
    reasons = [r["reason"] for r in await refusals(bot, "suggestion.cosign")]
    assert reasons == ["no_relation", "no_relation", "stale_state"]
    assert [r["reason"] for r in await refusals(bot, "suggestion.decline_cosign")] == ["already_answered"]

    await d1.command("suggestions")
    listed = await d1.receives(containing="📋 您的建议")
    assert f"{number.group(0)} · 关于修缮丙村村道的建议 · 已提出，待审查" in listed["text"]


async def test_en_filing_alone_and_refusals(bot: Runtime, people: Make) -> None:
    d2, constituent = people(202, "Deputy Wu", "en"), people(301, "周小梅")
    await started(d2, lang="en")
    await started(constituent)
    await constituent.command("suggest")
    await constituent.receives(containing="只有人大代表可以提出建议")
    assert [r["reason"] for r in await refusals(bot, "suggestion.refused")] == ["not_deputy"]

    await d2.command("suggest")
    await d2.receives(containing="Type the suggestion's title")
    await d2.send("A <b>bus</b> stop & shelter")
    await d2.receives(containing="Type the suggestion's text")
    # A category press before the category step: the form's key is checked, the step too.
    key = await suggestions_form_key(bot, d2.id)
    assert await alert(d2, f"sg:c:{key}:transport") == "This button is no longer valid."
    assert await alert(d2, "sg:f:ok:deadbeef") == "This button is no longer valid."
    await d2.send("Villagers wait in the rain; build a shelter at the V1 stop.")
    await d2.receives(containing="Choose the suggestion's category")
    await d2.press("Transport")
    await d2.receives(containing="Co-signers")
    await d2.press("⏭ Skip")
    await d2.receives(containing="Attachments")
    await d2.send("not a file")
    await d2.receives(containing="waiting for a typed answer")
    await d2.press("➡️ Next")
    preview = await d2.receives(containing="Please check your suggestion")
    assert "A <b>bus</b> stop & shelter" in preview["text"]  # shown as typed, not as markup
    await d2.press("✅ File")
    done = await d2.receives(containing="filed: A <b>bus</b> stop & shelter")
    assert NUMBER.search(done["text"])
    # The form is gone: its File button again is refused (stale), and nothing is filed twice.
    assert await alert(d2, f"sg:f:ok:{key}") == "This button is no longer valid."
    assert len(await suggestions(bot)) == 1
    assert {r["reason"] for r in await refusals(bot, "suggestion.refused")} >= {"stale_form", "wrong_step"}

    await d2.command("suggestions")
    await d2.receives(containing="A <b>bus</b> stop & shelter · Filed, awaiting review")


async def suggestions_form_key(runtime: Runtime, chat_id: int) -> str:
    from storage.models import ChatSession

    async with runtime.services.uow() as uow:
        row = await uow.session.get(ChatSession, chat_id)
        assert row is not None and row.state == "sgf", row
        return str(row.data["form"]["key"])


async def test_escalate_opens_the_form_from_the_opinion_and_tells_its_sender(
    bot: Runtime, people: Make
) -> None:
    """⬆️ 转为建议 on a task card: the form is made from the opinion (its text kept, linked); once filed,
    the sender hears the suggestion's number, and the opinion stays on its clock (accepted, deadline
    kept) until staff accept the suggestion."""
    sender, d1, d2 = people(301, "周小梅"), people(201, "孙建国"), people(202, "Deputy Wu", "en")
    await started(sender, d1)
    await started(d2, lang="en")
    tracking = await submit(sender, "河道垃圾多，建议定期清理", "生态环境")
    card = await d1.receives(containing=tracking)
    await d1.press("✅ 受理", message_id=card["message_id"])
    await sender.receives(containing="已受理")
    row = await opinion(bot, tracking)
    assert row.state == "accepted" and row.answer_deadline is not None
    # Forged: a deputy who does not hold it.
    await alert(d2, f"op:esc:{row.id}")
    await d1.press("⬆️ 转为建议")
    opened = await d1.receives(containing=f"由意见 {tracking} 转为建议")
    assert "请输入建议的标题" in opened["text"]
    await d1.send("关于定期清理丙村河道的建议")
    text_step = await d1.receives(containing="意见原文（将作为建议正文提交）")
    assert "河道垃圾多，建议定期清理" in text_step["text"]
    await d1.press("✔️ 使用此正文")
    await d1.receives(containing="请选择建议的类别")
    await d1.press("生态环境")
    await d1.receives(containing="附议/联名")
    await d1.press("⏭ 跳过")
    await d1.receives(containing="附件（照片、文件、调研材料）")
    await d1.press("➡️ 下一步")
    await d1.receives(containing="请核对您的建议")
    await d1.press("✅ 提交")
    filed = await d1.receives(containing="已提交")
    number = NUMBER.search(filed["text"])
    assert number is not None
    await sender.receives(containing=f"您的意见 {tracking} 已转为代表建议 {number.group(0)}")
    [suggestion] = await suggestions(bot)
    assert suggestion.source_opinion_ids == [row.id] and suggestion.text == "河道垃圾多，建议定期清理"
    assert suggestion.category == "environment"
    after = await opinion(bot, tracking)
    assert after.state == "accepted" and after.answer_deadline == row.answer_deadline
    # Escalate again: the opinion is already that suggestion; no second form.
    await d1.press("⬆️ 转为建议")
    await d1.receives(containing=f"这条意见已是您的建议 {number.group(0)}《关于定期清理丙村河道的建议》")
    assert len(await suggestions(bot)) == 1


async def test_an_unsent_opinion_draft_survives_the_form(bot: Runtime, people: Make) -> None:
    """A deputy writing an opinion of their own opens /suggest: the draft is kept and comes back on
    Cancel, and the next message joins it, not the (closed) form."""
    d1 = people(201, "孙建国")
    await started(d1)
    await d1.send("村口路灯坏了")
    await d1.receives(containing="您的意见（草稿）")
    await d1.command("suggest")
    await d1.receives(containing="请输入建议的标题")
    await d1.send("关于路灯的建议")  # the form's title, not a line of the draft
    await d1.receives(containing="请输入建议的正文")
    await d1.press("✖️ 取消")
    await d1.receives(containing="您尚未提交的意见草稿已恢复")
    await d1.send("已经坏了一周")
    draft = await d1.receives(containing="您的意见（草稿）")
    assert "村口路灯坏了" in draft["text"] and "已经坏了一周" in draft["text"]
    assert "关于路灯的建议" not in draft["text"]
    assert await suggestions(bot) == []
