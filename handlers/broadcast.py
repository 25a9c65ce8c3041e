"""/broadcast (通知): staff send one notice to an audience, through the outbox, with progress and a report.

```mermaid
flowchart LR
    cmd["/broadcast (staff, admin)"] --> compose[text, or photo with caption]
    compose --> audience{all deputies / by level / committee / presidium / station code / everyone}
    audience --> preview[preview + recipient count] -- Confirm --> sending[progress message, Cancel]
    preview -- Cancel --> dropped
```
Dialog state lives in chat_session ("bcast:compose", "bcast:station", "bcast:confirm"); every button
is re-checked against the presser's role and the chat's state (callback data is never trusted).
`register(app)` adds the handlers in group -1, ahead of the unknown-command and stale-button fallbacks.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, CommandHandler

from bot import broadcasts as svc
from bot.callbacks import pack, pattern, unpack
from bot.context import LiaisonApp, LiaisonContext
from bot.i18n import Translator
from bot.replies import answer_query, edit_message, esc, remove_keyboard, send_raw, send_text
from handlers.common import Actor, actor
from storage.models import Broadcast, BroadcastStatus, Role

__all__ = ["GROUP", "STATE", "dialog_message", "register"]

GROUP = -1
STATE = "bcast"
COMPOSE = "bcast:compose"
STATION_ASK = "bcast:station"
CONFIRM = "bcast:confirm"
ALLOWED = frozenset({Role.STAFF, Role.ADMIN})

CB = svc.CALLBACK
AUD, LEVELS, STATION, OK, NO = "a", "levels", "station", "ok", "no"


def is_staff(who: Actor) -> bool:
    return bool(who.person.role_set & ALLOWED)


async def refuse(context: LiaisonContext, who: Actor, stage: str) -> None:
    await context.uow.audit.record(
        "broadcast.refused",
        actor_telegram_id=who.account.telegram_id,
        actor_person_id=who.person.id,
        allowed=False,
        stage=stage,
    )


def audience_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    def button(label: str, *fields: str) -> list[InlineKeyboardButton]:
        return [InlineKeyboardButton(label, callback_data=pack(CB, AUD, *fields))]

    return InlineKeyboardMarkup(
        [
            button(tr("All deputies"), svc.DEPUTIES),
            button(tr("Deputies by level…"), LEVELS),
            button(tr("Standing-committee members"), svc.COMMITTEE),
            button(tr("Presidium"), svc.PRESIDIUM),
            button(tr("Constituents of a station…"), STATION),
            button(tr("Everyone with a Telegram account"), svc.ALL),
            [InlineKeyboardButton(tr("Cancel"), callback_data=pack(CB, NO))],
        ]
    )


def levels_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(tr(label), callback_data=pack(CB, AUD, svc.LEVEL, level))]
        for level, label in svc.LEVEL_LABELS.items()
    ]
    rows.append([InlineKeyboardButton(tr("Cancel"), callback_data=pack(CB, NO))])
    return InlineKeyboardMarkup(rows)


async def broadcast_command(update: Update, context: LiaisonContext) -> None:
    who = await actor(update, context)
    if who is None:
        raise ApplicationHandlerStop
    if not is_staff(who):
        await refuse(context, who, "command")
        await send_text(
            context.uow, who.chat_id, who.tr("Sorry, notices can only be sent by congress staff.")
        )
        raise ApplicationHandlerStop
    await context.uow.chats.set(who.chat_id, COMPOSE)
    await send_text(
        context.uow,
        who.chat_id,
        who.tr("Send the text of the notice (or a photo with a caption)."),
    )
    raise ApplicationHandlerStop


def content_of(message: Message) -> tuple[str, str | None] | None:
    """(text, photo file_id) of a message, or None for anything else."""
    if message.photo:
        return message.caption or "", message.photo[-1].file_id
    if message.text:
        return message.text, None
    return None


async def dialog_message(context: LiaisonContext, who: Actor, state: str, message: Message) -> None:
    """A message while composing: the notice itself, or (after "station") the station code."""
    uow, tr = context.uow, who.tr
    if not is_staff(who):
        await refuse(context, who, "message")
        await uow.chats.set(who.chat_id, None)
        return
    session = await uow.chats.get(who.chat_id)
    if state == STATION_ASK and message.text:
        data = dict(session.data or {})
        await choose(context, who, data, svc.Audience(svc.STATION, message.text.strip()[:32]))
        return
    content = content_of(message)
    if content is None:
        await send_text(uow, who.chat_id, tr("Please send text, or a photo with a caption."))
        return
    text, photo = content
    limit = svc.MAX_CAPTION if photo else svc.MAX_TEXT
    if len(esc(text)) > limit:
        await send_text(uow, who.chat_id, tr("That is too long for one message; please shorten it."))
        return
    await uow.chats.set(who.chat_id, COMPOSE, {"text": text, "photo": photo})
    await send_text(uow, who.chat_id, tr("Who should receive this notice?"), markup=audience_keyboard(tr))


async def choose(context: LiaisonContext, who: Actor, data: dict[str, Any], audience: svc.Audience) -> None:
    """Count the audience and show the preview with Confirm / Cancel."""
    uow, tr = context.uow, who.tr
    name = None
    if audience.kind == svc.STATION:
        station = await uow.network.station_by_code(audience.arg)
        if station is None:
            station = await uow.network.station_by_code(audience.arg.upper())
        if station is None:
            await send_text(uow, who.chat_id, tr("There is no station with this code; please try again."))
            return
        audience, name = svc.Audience(svc.STATION, station.code), station.name
    count = len(await svc.recipients(uow, audience))
    words = svc.describe(audience, tr, name)
    if count == 0:
        await uow.chats.set(who.chat_id, COMPOSE, data)
        await send_text(
            uow,
            who.chat_id,
            tr("No one in “{audience}” has a Telegram account. Choose another audience:", audience=words),
            markup=audience_keyboard(tr),
        )
        return
    await uow.chats.set(who.chat_id, CONFIRM, {**data, "audience": audience.key})
    method, payload = svc.preview_call(who.chat_id, data.get("text", ""), data.get("photo"))
    payload.pop("chat_id")
    await send_raw(uow, who.chat_id, method, payload)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(tr("Confirm and send"), callback_data=pack(CB, OK)),
                InlineKeyboardButton(tr("Cancel"), callback_data=pack(CB, NO)),
            ]
        ]
    )
    await send_text(
        uow,
        who.chat_id,
        tr(
            "Above is the preview. Audience: {audience}. Recipients: {count} (people with a Telegram "
            "account). Send it?",
            audience=words,
            count=svc.num(count),
        ),
        markup=keyboard,
    )


async def pressed(update: Update, context: LiaisonContext) -> None:
    """Every button of the feature: audience, level, Confirm, Cancel (draft), Cancel (sending)."""
    query, who = update.callback_query, await actor(update, context)
    if query is None or who is None:
        raise ApplicationHandlerStop
    uow, tr = context.uow, who.tr
    parsed = unpack(query.data)
    action = parsed.fields[0] if parsed and parsed.fields else ""
    if not is_staff(who):
        await refuse(context, who, f"button:{action}"[:40])
        await answer_query(
            uow, who.chat_id, query.id, tr("Sorry, notices are for congress staff only."), alert=True
        )
        raise ApplicationHandlerStop
    if parsed is not None and action == svc.CANCEL:
        await cancel_sending(context, who, query.id, parsed.int(1))
        raise ApplicationHandlerStop
    session = await uow.chats.get(who.chat_id)
    data = dict(session.data or {})
    if (session.state or "").partition(":")[0] != STATE or not ("text" in data or data.get("photo")):
        await answer_query(uow, who.chat_id, query.id, tr("This draft is no longer available."), alert=True)
        raise ApplicationHandlerStop
    message_id = query.message.message_id if query.message is not None else None
    await answer_query(uow, who.chat_id, query.id)
    if action == NO:
        await uow.chats.set(who.chat_id, None)
        if message_id is not None:
            await remove_keyboard(uow, who.chat_id, message_id)
        await send_text(uow, who.chat_id, tr("The notice was not sent."))
    elif action == OK and session.state == CONFIRM:
        await confirm(context, who, data, message_id)
    elif action == AUD and parsed is not None:
        choice = ":".join(parsed.fields[1:])
        if choice == LEVELS and message_id is not None:
            await edit_message(
                uow, who.chat_id, message_id, tr("Deputies of which level?"), markup=levels_keyboard(tr)
            )
        elif choice == STATION:
            await uow.chats.set(who.chat_id, STATION_ASK, data)
            await send_text(uow, who.chat_id, tr("Type the code of the station (e.g. V1)."))
        elif (audience := svc.parse_audience(choice)) is not None and audience.kind != svc.STATION:
            if message_id is not None:
                await remove_keyboard(uow, who.chat_id, message_id)
            await choose(context, who, data, audience)
    raise ApplicationHandlerStop


async def confirm(context: LiaisonContext, who: Actor, data: dict[str, Any], message_id: int | None) -> None:
    uow, tr = context.uow, who.tr
    audience = svc.parse_audience(data.get("audience"))
    if audience is None:
        await send_text(uow, who.chat_id, tr("This draft is no longer available."))
        return
    broadcast = await svc.create(
        uow,
        person=who.person,
        chat_id=who.chat_id,
        text=str(data.get("text") or ""),
        photo=data.get("photo"),
        audience=audience,
        now=context.services.clock.now(),
    )
    await uow.chats.set(who.chat_id, None)
    if message_id is not None:
        await remove_keyboard(uow, who.chat_id, message_id)
    await uow.audit.record(
        "broadcast.created",
        actor_telegram_id=who.account.telegram_id,
        actor_person_id=who.person.id,
        object_type="broadcast",
        object_id=broadcast.id,
        audience=audience.key,
        total=broadcast.total,
    )
    await svc.announce(uow, broadcast, tr)


async def cancel_sending(
    context: LiaisonContext, who: Actor, query_id: str, broadcast_id: int | None
) -> None:
    uow, tr = context.uow, who.tr
    broadcast = await uow.session.get(Broadcast, broadcast_id) if broadcast_id else None
    if broadcast is None or broadcast.status != BroadcastStatus.SENDING:
        await answer_query(uow, who.chat_id, query_id, tr("This notice is no longer being sent."), alert=True)
        return
    cancelled = await svc.cancel(uow, broadcast, context.services.settings)
    await uow.audit.record(
        "broadcast.cancelled",
        actor_telegram_id=who.account.telegram_id,
        actor_person_id=who.person.id,
        object_type="broadcast",
        object_id=broadcast.id,
        cancelled=cancelled,
    )
    await answer_query(uow, who.chat_id, query_id, tr("The notice was cancelled."))


def register(app: LiaisonApp) -> None:
    """Add /broadcast and its buttons in group -1 (call once, from bot/app.py's register_handlers)."""
    app.add_handler(CommandHandler("broadcast", broadcast_command), group=GROUP)
    app.add_handler(CallbackQueryHandler(pressed, pattern=pattern(CB)), group=GROUP)
