"""Every length limit the sandbox enforces is counted as Telegram counts it: UTF-16 units of the
visible text (after entity parsing), with emoji (surrogate pairs) at the exact boundary.

A sandbox counting code points would accept the "one unit over" calls below (2,049 emoji are 2,049
code points) and let the bot's own overflow bugs through to production.
"""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.error import BadRequest

from bot.sandbox import Sandbox
from tests.kit import SandboxUser, assert_no_violations

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")

EMOJI = "😀"  # U+1F600: one code point, two UTF-16 units
PNG = b"\x89PNG fake"


async def test_text_limit_counts_emoji_as_two_units_on_send_and_edit(
    sandbox: Sandbox, bot: Bot, user: SandboxUser
) -> None:
    sent = await bot.send_message(user.id, EMOJI * 2048)  # 4,096 units: the most there is room for
    assert sent.text == EMOJI * 2048
    with (
        sandbox.expect_error("message is too long"),
        pytest.raises(BadRequest, match=r"(?i)too long"),
    ):
        await bot.send_message(user.id, "x" + EMOJI * 2048)  # 4,097 units, 2,049 code points
    with sandbox.expect_error("message is too long"), pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.edit_message_text("x" + EMOJI * 2048, user.id, sent.message_id)
    assert_no_violations(sandbox)


async def test_text_limit_applies_to_the_visible_text_after_html_parsing(
    sandbox: Sandbox, bot: Bot, user: SandboxUser
) -> None:
    # "&lt;" is one visible unit, tags none: 4,096 units visible in a 16 kB request.
    await bot.send_message(user.id, "<b>" + "&lt;" * 2048 + "</b>" + EMOJI * 1024, parse_mode="HTML")
    with sandbox.expect_error("message is too long"), pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(user.id, "<i>" + "&amp;" * 2049 + "</i>" + EMOJI * 1024, parse_mode="HTML")
    assert_no_violations(sandbox)


async def test_caption_limit_counts_units_on_photo_edit_and_album(
    sandbox: Sandbox, bot: Bot, user: SandboxUser
) -> None:
    sent = await bot.send_photo(user.id, PNG, caption=EMOJI * 512)  # 1,024 units
    with sandbox.expect_error("caption is too long"), pytest.raises(BadRequest, match=r"(?i)caption"):
        await bot.send_photo(user.id, PNG, caption=EMOJI * 512 + ".")
    with sandbox.expect_error("caption is too long"), pytest.raises(BadRequest, match=r"(?i)caption"):
        await bot.edit_message_caption(user.id, sent.message_id, caption="." + EMOJI * 512)
    with sandbox.expect_error("caption is too long"), pytest.raises(BadRequest, match=r"(?i)caption"):
        await bot.send_media_group(user.id, [InputMediaPhoto(PNG, caption=EMOJI * 513), InputMediaPhoto(PNG)])
    assert_no_violations(sandbox)


async def test_callback_answer_limit_counts_units(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton("A", callback_data="a")], [InlineKeyboardButton("B", callback_data="b")]]
    )
    await bot.send_message(user.id, "pick", reply_markup=markup)
    first = await user.press("A")
    assert await bot.answer_callback_query(first.query_id, EMOJI * 100)  # 200 units
    second = await user.press("B")
    with sandbox.expect_error("MESSAGE_TOO_LONG"), pytest.raises(BadRequest, match=r"(?i)message_too_long"):
        await bot.answer_callback_query(second.query_id, EMOJI * 100 + "!")
    assert_no_violations(sandbox)


async def test_callback_data_limit_counts_utf8_bytes(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data=EMOJI * 16)]])  # 64 bytes
    await bot.send_message(user.id, "pick", reply_markup=ok)
    over = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data=EMOJI * 16 + "x")]])
    with (
        sandbox.expect_error("BUTTON_DATA_INVALID"),
        pytest.raises(BadRequest, match=r"(?i)button_data_invalid"),
    ):
        await bot.send_message(user.id, "pick", reply_markup=over)
    assert_no_violations(sandbox)
