"""A real python-telegram-bot Application, long polling the sandbox, driven through the test kit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.sandbox import Sandbox
from tests.kit import SandboxUser, application_builder, assert_no_violations

Ctx = ContextTypes.DEFAULT_TYPE


async def on_start(update: Update, context: Ctx) -> None:
    assert update.effective_message is not None
    payload = " ".join(context.args or [])
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Confirm", callback_data="confirm")]])
    await update.effective_message.reply_html(
        f"<b>Welcome</b> ({payload or 'no payload'})", reply_markup=keyboard
    )


async def on_text(update: Update, context: Ctx) -> None:
    assert update.effective_message is not None and update.effective_message.text is not None
    await update.effective_message.reply_text(f"echo: {update.effective_message.text}")


async def on_location(update: Update, context: Ctx) -> None:
    loc = update.effective_message.location if update.effective_message else None
    assert loc is not None
    await update.effective_message.reply_text(f"at {loc.latitude:.1f},{loc.longitude:.1f}")  # type: ignore[union-attr]


async def on_contact(update: Update, context: Ctx) -> None:
    contact = update.effective_message.contact if update.effective_message else None
    assert contact is not None
    await update.effective_message.reply_text(f"phone {contact.phone_number}")  # type: ignore[union-attr]


async def on_photo(update: Update, context: Ctx) -> None:
    msg = update.effective_message
    assert msg is not None and msg.photo
    data = await (await msg.photo[-1].get_file()).download_as_bytearray()
    await msg.reply_text(f"photo {len(data)} bytes, caption {msg.caption}")


async def on_confirm(update: Update, context: Ctx) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Confirmed", show_alert=True)
    await query.edit_message_text("Confirmed ✅")


@pytest.fixture
async def running_bot(sandbox: Sandbox) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    app = application_builder(sandbox).build()
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(MessageHandler(filters.LOCATION, on_location))
    app.add_handler(MessageHandler(filters.CONTACT, on_contact))
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    app.add_handler(CallbackQueryHandler(on_confirm, pattern="^confirm$"))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        yield app
        await app.updater.stop()
        await app.stop()


async def test_conversation_through_the_kit(sandbox: Sandbox, running_bot: Application) -> None:  # type: ignore[type-arg]
    ann = SandboxUser.create(sandbox, first_name="Ann", language_code="zh")
    await ann.start(payload="station-7")
    welcome = await ann.receives(containing="Welcome")
    assert welcome["text"] == "Welcome (station-7)"
    assert welcome["entities"] == [{"type": "bold", "offset": 0, "length": 7}]
    pressed = await ann.press("Confirm")
    assert (await pressed.answer())["show_alert"] is True
    edited = await ann.receives(containing="Confirmed")
    assert edited["edited"] and edited["message_id"] == welcome["message_id"]
    await ann.send("路灯坏了")
    assert (await ann.receives(containing="echo:"))["text"] == "echo: 路灯坏了"
    await ann.send_location(30.61, 114.31)
    await ann.receives(containing="at 30.6,114.3")
    await ann.share_contact("+8613800000000")
    await ann.receives(containing="phone +8613800000000")
    await ann.send_photo(caption="pothole")
    await ann.receives(containing="caption pothole")
    await ann.receives_nothing(grace=0.2)
    assert len(ann.transcript()) == 10
    assert_no_violations(sandbox)


async def test_many_users_in_parallel(sandbox: Sandbox, running_bot: Application) -> None:  # type: ignore[type-arg]
    users = [SandboxUser.create(sandbox, first_name=f"U{i}") for i in range(5)]
    for u in users:
        await u.send(f"hello from {u.id}")
    for u in users:
        await u.receives(containing=f"echo: hello from {u.id}")
    assert_no_violations(sandbox)
