"""Telegram's limits counted as Telegram counts them (UTF-16 units), end to end through the sandbox.

Each case broke before: a 2,999-emoji opinion was filed while its draft card and the deputy's card
were refused "message is too long"; a 4,096-character answer broke the preview; a card holding a
3,000-unit opinion and a 3,000-unit answer could not be edited; a 600-emoji caption broke sendPhoto;
a card Telegram refused for good was swallowed. The sandbox refuses what Telegram refuses, and any
refusal not expected by a test fails it (tests/conftest.py), so "fits" is checked on every call.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.kit.text_limits import MESSAGE_LIMIT, utf16_len
from bot.runtime.app import Runtime
from bot.sandbox import Sandbox
from tests.e2e.flows import TRACKING, opinion, started, submit
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]
EMOJI = "😀"  # two UTF-16 units
TOO_LONG = "最多 3000 字"  # the writer is told, before anything is filed or relayed


def fits(message: dict[str, object]) -> bool:
    return utf16_len(str(message["text"] or "")) <= MESSAGE_LIMIT


async def test_a_2999_emoji_opinion_is_refused_before_filing_and_cards_fit(
    network: Runtime, people: Make, sandbox: Sandbox
) -> None:
    sender, deputy = people(301, "周小梅"), people(201, "孙建国")
    await started(sender, deputy)
    await sender.send(EMOJI * 1400)  # 2,800 units
    await sender.receives(containing="您的意见（草稿）")
    await sender.send(EMOJI * 1599)  # 2,999 emoji in all: 5,998 units, twice what a card carries
    told = await sender.receives(containing="这条消息没有加入草稿")
    assert "5999" in told["text"] and TOO_LONG in told["text"], told["text"]
    card = await sender.receives(containing="您的意见（草稿）")
    assert fits(card) and EMOJI * 1400 in card["text"] and EMOJI * 1401 not in card["text"]
    tracking = await submit(sender, EMOJI * 99, "其他")
    task = await deputy.receives(containing=tracking)
    assert fits(task)
    assert task["text"].endswith("\n\n" + EMOJI * 1400 + "\n" + EMOJI * 99)  # whole: it fit
    assert (await opinion(network, tracking)).text == EMOJI * 1400 + "\n" + EMOJI * 99
    assert not sandbox.violations()


async def answered(network: Runtime, people: Make) -> tuple[SandboxUser, SandboxUser, str, dict[str, object]]:
    """A 3,000-unit opinion, accepted; the deputy's card is returned."""
    sender, deputy = people(301, "周小梅"), people(201, "孙建国")
    await started(sender, deputy)
    tracking = await submit(sender, "灯" * 3000, "城乡建设")
    card = await deputy.receives(containing=tracking)
    await deputy.press("✅ 受理", message_id=card["message_id"])
    await deputy.receives(containing="办理中")
    await sender.receives(containing="已受理您的意见")
    return sender, deputy, tracking, card


async def test_a_4096_character_answer_is_refused_and_a_long_one_reaches_the_sender_with_buttons(
    network: Runtime, people: Make, sandbox: Sandbox
) -> None:
    sender, deputy, _tracking, card = await answered(network, people)
    await deputy.press("💬 答复", message_id=card["message_id"])
    await deputy.receives(containing="请用一条消息输入对")
    await deputy.send("答" * 4096)  # what Telegram lets a user send in one message
    told = await deputy.receives(containing=TOO_LONG)
    assert "4096" in told["text"]
    await sender.receives_nothing()  # nothing relayed
    answer = "好" + EMOJI * 1499  # 2,999 units: fits the cap, not with the opinion on one card
    await deputy.send(answer)
    preview = await deputy.receives(containing="答复预览")
    assert fits(preview) and answer in preview["text"]
    await deputy.press("📤 发送")
    notice = await sender.receives(containing=answer)  # whole, with the rating buttons under it
    assert fits(notice)
    edited = await deputy.receives(
        containing="完整答复见“📤 答复已发送”消息", where=lambda m: m["message_id"] == card["message_id"]
    )
    assert fits(edited) and "灯" * 3000 in edited["text"]  # the opinion whole, the answer cut
    await sender.press("✅ 满意", message_id=notice["message_id"])
    await sender.receives(containing="已办结：满意")
    assert not sandbox.violations()


async def test_a_cut_card_and_timeline_point_to_the_full_text(
    network: Runtime, people: Make, sandbox: Sandbox
) -> None:
    sender, deputy, tracking, card = await answered(network, people)
    await deputy.press("❓ 询问", message_id=card["message_id"])
    await deputy.receives(containing="请用一条消息输入要问")
    await deputy.send("问" * 3001)
    await deputy.receives(containing=TOO_LONG)
    await deputy.send("哪" * 3000)
    question = await sender.receives(containing="哪" * 3000)
    await sender.send("答" * 3001, reply_to=question["message_id"])
    await sender.receives(containing=TOO_LONG)
    await sender.send("东" * 3000, reply_to=question["message_id"])
    await sender.receives(containing="已转达给代表")
    relayed = await deputy.receives(containing="东" * 3000)
    assert fits(relayed)
    await deputy.press("💬 答复", message_id=card["message_id"])
    await deputy.receives(containing="请用一条消息输入对")
    await deputy.send("复" * 3000)
    await deputy.receives(containing="答复预览")
    await deputy.press("📤 发送")
    await sender.receives(containing="复" * 3000)
    # The sender's /my N: the timeline cut to fit, then the full text and answer.
    await sender.command("my", tracking)
    timeline = await sender.receives(containing=tracking)
    assert fits(timeline) and "…" in timeline["text"]
    await sender.receives(where=lambda m: m["text"] == "灯" * 3000)
    await sender.receives(where=lambda m: m["text"] == "复" * 3000)
    stranger = people(302, "路人")
    await started(stranger)
    await stranger.command("my", tracking)
    await stranger.receives(containing="您无权")
    assert not sandbox.violations()


async def test_tasks_button_sends_a_cut_card_then_the_full_text(
    network: Runtime, people: Make, sandbox: Sandbox
) -> None:
    sender, deputy = people(301, "周小梅"), people(201, "孙建国")
    await started(sender, deputy)
    long_text = "灯" * 3000
    tracking = await submit(sender, long_text, "城乡建设")
    await deputy.receives(containing=tracking)
    async with network.services.uow() as uow:  # an opinion filed before the cap, or by the console
        found = await uow.opinions.by_tracking_no(tracking)
        assert found is not None
        found.text = "路" * 5000
        await uow.commit()
    await deputy.command("tasks")
    await deputy.receives(containing="待办")
    await deputy.press(tracking)
    card = await deputy.receives(containing="全文：发送 /tasks")
    assert fits(card)
    first = await deputy.receives(where=lambda m: set(str(m["text"] or "")) == {"路"})
    second = await deputy.receives(where=lambda m: set(str(m["text"] or "")) == {"路"})
    assert len(first["text"]) + len(second["text"]) == 5000
    assert not sandbox.violations()


async def test_a_long_emoji_caption_is_cut_to_1024_units(
    network: Runtime, people: Make, sandbox: Sandbox
) -> None:
    sender, deputy = people(301, "周小梅"), people(201, "孙建国")
    await started(sender, deputy)
    await sender.send_photo(caption=EMOJI * 600)  # 1,200 units (the web chat does not stop it)
    await sender.receives(containing="1 个附件")
    await sender.press("📤 提交")  # no category guessed from emoji: filed under "other"
    done = await sender.receives(containing="已提交，编号")
    assert "类别：其他" in done["text"]
    found = TRACKING.search(done["text"])
    assert found
    await deputy.receives(containing=found.group(0))
    photo = await deputy.receives(where=lambda m: m["kind"] == "photo")
    assert utf16_len(photo["caption"]) <= 1024 and photo["caption"].startswith(EMOJI * 500)
    assert not sandbox.violations()


async def test_a_card_telegram_refuses_for_good_is_shown_in_the_queue(
    network: Runtime, people: Make, sandbox: Sandbox
) -> None:
    sender, deputy, staff = people(301, "周小梅"), people(201, "孙建国"), people(900001, "Staff")
    await started(sender, deputy, staff)
    await sender.send("村口的路灯坏了")
    await sender.receives(containing="类别：城乡建设（根据内容推测")
    sandbox.inject_fault("error", method="sendMessage", status=400)  # the deputy's card: refused for good
    await sender.press("📤 提交")
    done = await sender.receives(containing="已提交，编号")
    found = TRACKING.search(done["text"])
    assert found
    tracking = found.group(0)
    await deputy.receives_nothing()
    await staff.command("queue")
    shown = await staff.receives(containing="Telegram 拒收的任务卡片")
    assert tracking in shown["text"] and "孙建国" in shown["text"]
    await staff.press(f"↪️ 改派 {tracking}", message_id=shown["message_id"])  # staff can act on it
    picker = await staff.receives(containing=tracking)
    assert picker["reply_markup"], picker
    # Once a card with the same ref is delivered (the deputy opened it from /tasks), it is gone.
    await deputy.command("tasks")
    await deputy.receives(containing="待办")
    await deputy.press(tracking)
    await deputy.receives(containing=tracking)
    await staff.command("queue")
    empty = await staff.receives(containing="待分派队列")
    assert "Telegram 拒收" not in empty["text"]


async def test_a_broadcast_is_measured_as_telegram_measures_it(network: Runtime, people: Make) -> None:
    """2,049 emoji are 4,098 units (refused before the audience is asked); 3,000 "<" are 3,000, not 12,000."""
    staff = people(900001, "Office", "en")
    await staff.start()
    await staff.receives()
    await staff.command("broadcast")
    await staff.receives(containing="Send the text of the notice")
    await staff.send(EMOJI * 2049)
    await staff.receives(containing="That is too long for one message")
    await staff.command("broadcast")
    await staff.receives(containing="Send the text of the notice")
    await staff.send("<" * 3000)
    await staff.receives(containing="Who should receive this notice?")


async def test_tasks_previews_end_at_a_word_or_character_boundary(network: Runtime, people: Make) -> None:
    """/tasks cuts each preview to 40 UTF-16 units with "…": Latin at the last space (not "…has no
    shel"), Chinese at any character (not back at a comma far from the limit)."""
    sender, deputy = people(301, "Zhou", "en"), people(201, "孙建国")
    await started(sender, lang="en")
    await started(deputy)
    latin = "The bus stop at the east gate has no shelter from the rain"
    chinese = "路灯坏了，" + "村口的路灯坏了三个月晚上很危险" * 3
    for text in (latin, chinese):
        tracking = await submit(sender, text, "Other", lang="en")
        await deputy.receives(containing=tracking)
    await deputy.command("tasks")
    listing = str((await deputy.receives(containing="您的待办意见"))["text"])
    previews = [line.rsplit(" · ", 1)[1] for line in listing.splitlines()[1:]]
    assert len(previews) == 2
    for preview, text in zip(sorted(previews), sorted([latin, chinese]), strict=True):
        assert preview.endswith("…") and utf16_len(preview) <= 40
        kept = preview.removesuffix("…")
        assert text.startswith(kept)
        if text is latin:
            assert text[len(kept)] == " ", preview  # whole words only
        else:
            assert len(kept) == 39, preview  # every character that fits
