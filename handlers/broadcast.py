"""/broadcast (通知): staff send one notice to an audience, now or later, with progress and a report.

```mermaid
flowchart LR
    cmd["/broadcast (staff, admin)"] --> compose[text, photo or document with caption]
    compose --> audience{all deputies / level / station's deputies / group / special committee /
    committee / presidium / station's constituents / everyone}
    audience --> preview[preview + recipient count] -- Send now --> sending[progress message, Cancel]
    preview -- "Schedule…" --> when{in 1 h / tonight 20:00 / tomorrow 08:30 / typed time}
    when --> scheduled[scheduled message, Cancel] -- its time comes --> sending
    preview -- "Urgent (paid)" toggle --> preview
    sending --> report[report + CSV of the undelivered]
```
The draft lives in the chat session (a restart resumes it); every press is checked against the
presser's role and the draft's state, and refusals are audited. Audiences named by a station code
are typed; groups and special committees are picked from paged lists.
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, CommandHandler

from bot.broadcasts import service as svc
from bot.kit.callbacks import Parsed, pack, pattern, unpack
from bot.kit.dialogs import Dialog, at
from bot.kit.i18n import Translator
from bot.kit.text_limits import utf16_len
from bot.people.roles import is_staff
from bot.runtime.context import LiaisonApp, LiaisonContext
from bot.runtime.replies import answer_query, edit_message, esc, remove_keyboard, send_raw, send_text
from handlers.common import Actor, actor
from handlers.dialogs import Step
from storage.models import BroadcastStatus, DeputyGroup, SpecialCommittee

__all__ = ["GROUP", "STATE", "dialog_message", "register"]

log = logging.getLogger(__name__)

GROUP = -1


class BroadcastDialog(StrEnum):
    COMPOSING = "bcast"


STATE = BroadcastDialog.COMPOSING
COMPOSE = "bcast:compose"
STATION_ASK = "bcast:station"
SDEP_ASK = "bcast:sdep"
CONFIRM = "bcast:confirm"
WHEN_ASK = "bcast:when"

CB = svc.CALLBACK
AUD, LEVELS, STATION, SDEP, GROUPS, SCOMS, MENU = "a", "levels", "station", "sdep", "groups", "scoms", "menu"
OK, NO, LATER, AT, TYPE, BACK, PAID = "ok", "no", "later", "at", "type", "back", "paid"
PAGE = 8
LISTED = 10


async def refuse(context: LiaisonContext, who: Actor, stage: str) -> None:
    await context.uow.audit.record(
        "broadcast.refused",
        actor_telegram_id=who.account.telegram_id,
        actor_person_id=who.person.id,
        allowed=False,
        stage=stage,
    )


def _button(label: str, *fields: str | int) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(label[:64], callback_data=pack(CB, *fields))]


def audience_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            _button(tr("All deputies"), AUD, svc.DEPUTIES),
            _button(tr("Deputies by level…"), AUD, LEVELS),
            _button(tr("Deputies of a station…"), AUD, SDEP),
            _button(tr("A deputy group…"), AUD, GROUPS, 0),
            _button(tr("Deputies of a special committee…"), AUD, SCOMS, 0),
            _button(tr("Standing-committee members"), AUD, svc.COMMITTEE),
            _button(tr("Presidium"), AUD, svc.PRESIDIUM),
            _button(tr("Constituents of a station…"), AUD, STATION),
            _button(tr("Everyone with a Telegram account"), AUD, svc.ALL),
            _button(tr("Cancel"), NO),
        ]
    )


def levels_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    rows = [_button(tr(label), AUD, svc.LEVEL, level) for level, label in svc.LEVEL_LABELS.items()]
    rows.append(_button(tr("« Back"), AUD, MENU))
    return InlineKeyboardMarkup(rows)


def list_keyboard(
    tr: Translator, kind: str, listing: str, items: list[tuple[int, str]], page: int
) -> InlineKeyboardMarkup:
    """One page of groups or special committees (by id: codes may hold any character)."""
    pages = max(1, -(-len(items) // PAGE))
    page = min(max(page, 0), pages - 1)
    rows = [_button(name, AUD, kind, item_id) for item_id, name in items[page * PAGE : (page + 1) * PAGE]]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("«", callback_data=pack(CB, AUD, listing, page - 1)))
    if page < pages - 1:
        nav.append(InlineKeyboardButton("»", callback_data=pack(CB, AUD, listing, page + 1)))
    if nav:
        rows.append(nav)
    rows.append(_button(tr("« Back"), AUD, MENU))
    return InlineKeyboardMarkup(rows)


def confirm_keyboard(tr: Translator, paid_offer: bool, paid: bool, rate: float) -> InlineKeyboardMarkup:
    rows = [_button(tr("Confirm and send"), OK), _button(tr("Schedule for later…"), LATER)]
    if paid_offer:
        box = "☑" if paid else "☐"
        rows.append(_button(tr("{box} Urgent: paid tier, up to {rate}/s", box=box, rate=round(rate)), PAID))
    rows.append(_button(tr("Cancel"), NO))
    return InlineKeyboardMarkup(rows)


def when_keyboard(tr: Translator, context: LiaisonContext) -> InlineKeyboardMarkup:
    now, zone = context.services.clock.now(), context.services.settings.zone
    labels = {"h1": tr("In 1 hour"), "t20": tr("Tonight 20:00"), "m0830": tr("Tomorrow 08:30")}
    rows = [_button(labels[key], AT, key) for key in svc.PRESETS if svc.preset_time(key, now, zone)]
    rows.append(_button(tr("Type a date and time…"), TYPE))
    rows.append(_button(tr("« Back"), BACK))
    return InlineKeyboardMarkup(rows)


async def set_markup(context: LiaisonContext, chat_id: int, message_id: int | None, markup: Any) -> None:
    if message_id is not None:
        await send_raw(
            context.uow,
            chat_id,
            "editMessageReplyMarkup",
            {"message_id": message_id, "reply_markup": markup.to_dict()},
        )


async def broadcast_command(update: Update, context: LiaisonContext) -> None:
    who = await actor(update, context)
    if who is None:
        raise ApplicationHandlerStop
    if not is_staff(who.person):
        await refuse(context, who, "command")
        await send_text(
            context.uow, who.chat_id, who.tr("Sorry, notices can only be sent by congress staff.")
        )
        raise ApplicationHandlerStop
    await list_scheduled(context, who)
    await context.uow.chats.set(who.chat_id, COMPOSE)
    await send_text(
        context.uow,
        who.chat_id,
        who.tr("Send the text of the notice (or a photo or document with a caption)."),
    )
    raise ApplicationHandlerStop


async def list_scheduled(context: LiaisonContext, who: Actor) -> None:
    """The notices waiting for their time, each with a Cancel button (any staff member may cancel)."""
    uow, tr, zone = context.uow, who.tr, context.services.settings.zone
    waiting = await svc.scheduled(uow)
    if not waiting:
        return
    lines, rows = [tr("Scheduled notices:")], []
    for broadcast in waiting[:LISTED]:
        when = svc.local_time(broadcast.scheduled_for, zone) if broadcast.scheduled_for else "—"
        words = await svc.audience_words(uow, broadcast, tr)
        lines.append(f"#{broadcast.id} · {when} · {words}")
        rows.append(_button(tr("Cancel #{id}", id=broadcast.id), svc.CANCEL, broadcast.id))
    if len(waiting) > LISTED:
        lines.append(tr("…and {n} more.", n=len(waiting) - LISTED))
    await send_text(uow, who.chat_id, "\n".join(lines), markup=InlineKeyboardMarkup(rows))


def content_of(message: Message) -> tuple[str, str | None, str | None] | None:
    """(text, photo file_id, document file_id) of a message, or None for anything else."""
    if message.photo:
        return message.caption or "", message.photo[-1].file_id, None
    if message.document:
        return message.caption or "", None, message.document.file_id
    if message.text:
        return message.text, None, None
    return None


async def dialog_message(context: LiaisonContext, who: Actor, state: str, message: Message) -> None:
    """A message while composing: the notice itself, a station code, or the time to send it."""
    uow, tr = context.uow, who.tr
    if not is_staff(who.person):
        await refuse(context, who, "message")
        await uow.chats.set(who.chat_id, None)
        return
    session = await uow.chats.get(who.chat_id)
    data = dict(session.data or {})
    if state in (STATION_ASK, SDEP_ASK) and message.text:
        kind = svc.STATION if state == STATION_ASK else svc.STATION_DEPUTIES
        await choose(context, who, data, svc.Audience(kind, message.text.strip()[:32]))
        return
    if state == WHEN_ASK:
        await typed_time(context, who, data, message.text)
        return
    content = content_of(message)
    if content is None:
        await send_text(uow, who.chat_id, tr("Please send text, or a photo or document with a caption."))
        return
    text, photo, document = content
    limit = svc.MAX_CAPTION if photo or document else svc.MAX_TEXT
    if utf16_len(text) > limit:  # as Telegram counts: UTF-16 units of the visible (unescaped) text
        await send_text(uow, who.chat_id, tr("That is too long for one message; please shorten it."))
        return
    await uow.chats.set(who.chat_id, COMPOSE, {"text": text, "photo": photo, "document": document})
    await send_text(uow, who.chat_id, tr("Who should receive this notice?"), markup=audience_keyboard(tr))


async def choose(context: LiaisonContext, who: Actor, data: dict[str, Any], audience: svc.Audience) -> None:
    """Count the audience and show the preview with Send / Schedule / (Urgent) / Cancel."""
    uow, tr, settings = context.uow, who.tr, context.services.settings
    if audience.kind in (svc.STATION, svc.STATION_DEPUTIES):
        station = await svc.station_by_code(uow, audience.arg)
        if station is None:
            await send_text(uow, who.chat_id, tr("There is no station with this code; please try again."))
            return
        audience = svc.Audience(audience.kind, station.code)
    count = len(await svc.recipients(uow, audience))
    words = svc.describe(audience, tr, await svc.audience_name(uow, audience))
    if count == 0:
        await uow.chats.set(who.chat_id, COMPOSE, data)
        await send_text(
            uow,
            who.chat_id,
            tr("No one in “{audience}” has a Telegram account. Choose another audience:", audience=words),
            markup=audience_keyboard(tr),
        )
        return
    offer = svc.paid_offered(settings, count)
    await uow.chats.set(
        who.chat_id, CONFIRM, {**data, "audience": audience.key, "count": count, "paid": False}
    )
    method, payload = svc.preview_call(
        who.chat_id, data.get("text", ""), data.get("photo"), data.get("document")
    )
    payload.pop("chat_id")
    await send_raw(uow, who.chat_id, method, payload)
    await send_text(
        uow,
        who.chat_id,
        tr(
            "Above is the preview. Audience: {audience}. Recipients: {count} (people with a Telegram "
            "account). Send it?",
            audience=words,
            count=svc.num(count),
        ),
        markup=confirm_keyboard(tr, offer, False, settings.paid_broadcast_rate),
    )


async def pressed(update: Update, context: LiaisonContext) -> None:
    """Every button of the feature: audience lists, Send, Schedule, Urgent, Cancel (draft or notice)."""
    query, who = update.callback_query, await actor(update, context)
    if query is None or who is None:
        raise ApplicationHandlerStop
    uow, tr = context.uow, who.tr
    parsed = unpack(query.data)
    action = parsed.fields[0] if parsed and parsed.fields else ""
    if not is_staff(who.person):
        await refuse(context, who, f"button:{action}"[:40])
        await answer_query(
            uow, who.chat_id, query.id, tr("Sorry, notices are for congress staff only."), alert=True
        )
        raise ApplicationHandlerStop
    if parsed is not None and action == svc.CANCEL:
        await cancel_notice(context, who, query.id, parsed.int(1))
        raise ApplicationHandlerStop
    session = await uow.chats.get(who.chat_id)
    data = dict(session.data or {})
    state = session.state or ""
    if (
        parsed is None
        or state.partition(":")[0] != STATE
        or not any(data.get(k) for k in ("text", "photo", "document"))
    ):
        await answer_query(uow, who.chat_id, query.id, tr("This draft is no longer available."), alert=True)
        raise ApplicationHandlerStop
    message_id = query.message.message_id if query.message is not None else None
    if action == PAID and not (
        state == CONFIRM and svc.paid_offered(context.services.settings, int(data.get("count") or 0))
    ):
        await refuse(context, who, "button:paid")
        await answer_query(uow, who.chat_id, query.id, tr("The paid tier is not available here."), alert=True)
        raise ApplicationHandlerStop
    await answer_query(uow, who.chat_id, query.id)
    if action == NO:
        await uow.chats.set(who.chat_id, None)
        if message_id is not None:
            await remove_keyboard(uow, who.chat_id, message_id)
        await send_text(uow, who.chat_id, tr("The notice was not sent."))
    elif action == AUD:
        await audience_pressed(context, who, data, parsed, message_id)
    elif state in (CONFIRM, WHEN_ASK):
        await confirm_pressed(context, who, data, parsed, message_id)
    raise ApplicationHandlerStop


async def audience_pressed(
    context: LiaisonContext, who: Actor, data: dict[str, Any], parsed: Parsed, message_id: int | None
) -> None:
    uow, tr = context.uow, who.tr
    choice = parsed.fields[1] if len(parsed.fields) > 1 else ""
    if choice == MENU and message_id is not None:
        await edit_message(
            uow, who.chat_id, message_id, tr("Who should receive this notice?"), markup=audience_keyboard(tr)
        )
    elif choice == LEVELS and message_id is not None:
        await edit_message(
            uow, who.chat_id, message_id, tr("Deputies of which level?"), markup=levels_keyboard(tr)
        )
    elif choice in (STATION, SDEP):
        await uow.chats.set(who.chat_id, STATION_ASK if choice == STATION else SDEP_ASK, data)
        await send_text(uow, who.chat_id, tr("Type the code of the station (e.g. V1)."))
    elif choice in (GROUPS, SCOMS) and message_id is not None:
        if choice == GROUPS:
            items = [(g.id, g.name) for g in await svc.groups(uow)]
            kind, title = svc.GROUP, tr("Which deputy group?")
        else:
            items = [(c.id, c.name) for c in await svc.special_committees(uow)]
            kind, title = svc.SPECIAL, tr("The deputies in contact with which special committee?")
        if not items:
            await send_text(uow, who.chat_id, tr("There are none in the contact network yet."))
            return
        markup = list_keyboard(tr, kind, choice, items, parsed.int(2) or 0)
        await edit_message(uow, who.chat_id, message_id, title, markup=markup)
    elif choice in (svc.GROUP, svc.SPECIAL):
        model = DeputyGroup if choice == svc.GROUP else SpecialCommittee
        item_id = parsed.int(2)
        found = await uow.session.get(model, item_id) if item_id else None
        if found is None:
            await send_text(uow, who.chat_id, tr("This group or committee no longer exists."))
            return
        if message_id is not None:
            await remove_keyboard(uow, who.chat_id, message_id)
        await choose(context, who, data, svc.Audience(choice, found.code))
    elif (audience := svc.parse_audience(":".join(parsed.fields[1:]))) is not None and (
        audience.kind not in svc.NAMED
    ):
        if message_id is not None:
            await remove_keyboard(uow, who.chat_id, message_id)
        await choose(context, who, data, audience)


async def confirm_pressed(
    context: LiaisonContext, who: Actor, data: dict[str, Any], parsed: Parsed, message_id: int | None
) -> None:
    uow, tr, settings = context.uow, who.tr, context.services.settings
    action = parsed.fields[0]
    offer = svc.paid_offered(settings, int(data.get("count") or 0))
    if action == OK:
        await confirm(context, who, data, message_id)
    elif action == PAID:
        data["paid"] = not data.get("paid")
        await uow.chats.set(who.chat_id, CONFIRM, data)
        markup = confirm_keyboard(tr, offer, bool(data["paid"]), settings.paid_broadcast_rate)
        await set_markup(context, who.chat_id, message_id, markup)
    elif action == LATER:
        await set_markup(context, who.chat_id, message_id, when_keyboard(tr, context))
    elif action == BACK:
        await uow.chats.set(who.chat_id, CONFIRM, data)
        markup = confirm_keyboard(tr, offer, bool(data.get("paid")), settings.paid_broadcast_rate)
        await set_markup(context, who.chat_id, message_id, markup)
    elif action == TYPE:
        await uow.chats.set(who.chat_id, WHEN_ASK, data)
        example = svc.local_time(context.services.clock.now(), settings.zone)
        await send_text(
            uow,
            who.chat_id,
            tr(
                "Type the date and time to send it, as YYYY-MM-DD HH:MM in {zone} time (e.g. {example}).",
                zone=esc(settings.timezone),
                example=example,
            ),
        )
    elif action == AT:
        key = parsed.fields[1] if len(parsed.fields) > 1 else ""
        at = svc.preset_time(key, context.services.clock.now(), settings.zone)
        if at is None:
            await send_text(uow, who.chat_id, tr("That time has already passed. Please choose another."))
            await set_markup(context, who.chat_id, message_id, when_keyboard(tr, context))
            return
        await schedule(context, who, data, at, message_id)


async def typed_time(context: LiaisonContext, who: Actor, data: dict[str, Any], text: str | None) -> None:
    uow, tr, settings = context.uow, who.tr, context.services.settings
    when = svc.parse_when(text, context.services.clock.now(), settings.zone)
    if when.at is not None:
        await schedule(context, who, data, when.at, None)
        return
    problems = {
        "past": tr("That time has already passed. Please type a later one."),
        "far": tr("That is more than 90 days ahead. Please type an earlier time."),
    }
    example = svc.local_time(context.services.clock.now(), settings.zone)
    hint = tr(
        "Please type the date and time as YYYY-MM-DD HH:MM in {zone} time (e.g. {example}).",
        zone=esc(settings.timezone),
        example=example,
    )
    await send_text(uow, who.chat_id, problems.get(when.problem or "", hint))


def _content(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "text": str(data.get("text") or ""),
        "photo": data.get("photo") or None,
        "document": data.get("document") or None,
    }


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
        audience=audience,
        paid=bool(data.get("paid")),
        settings=context.services.settings,
        now=context.services.clock.now(),
        **_content(data),
    )
    await uow.chats.set(who.chat_id, None)
    if message_id is not None:
        await remove_keyboard(uow, who.chat_id, message_id)
    detail: dict[str, Any] = {"audience": audience.key, "total": broadcast.total}
    if broadcast.paid:
        detail["paid"] = True
    await uow.audit.record(
        "broadcast.created",
        actor_telegram_id=who.account.telegram_id,
        actor_person_id=who.person.id,
        object_type="broadcast",
        object_id=broadcast.id,
        **detail,
    )
    await svc.announce(uow, broadcast, tr)


async def schedule(
    context: LiaisonContext, who: Actor, data: dict[str, Any], at: datetime, message_id: int | None
) -> None:
    uow, tr, settings = context.uow, who.tr, context.services.settings
    audience = svc.parse_audience(data.get("audience"))
    if audience is None:
        await send_text(uow, who.chat_id, tr("This draft is no longer available."))
        return
    broadcast = await svc.schedule(
        uow,
        person=who.person,
        chat_id=who.chat_id,
        audience=audience,
        at=at,
        paid=bool(data.get("paid")),
        now=context.services.clock.now(),
        **_content(data),
    )
    await uow.chats.set(who.chat_id, None)
    if message_id is not None:
        await remove_keyboard(uow, who.chat_id, message_id)
    await uow.audit.record(
        "broadcast.scheduled",
        actor_telegram_id=who.account.telegram_id,
        actor_person_id=who.person.id,
        object_type="broadcast",
        object_id=broadcast.id,
        audience=audience.key,
        at=at.isoformat(),
        paid=broadcast.paid,
    )
    words = svc.describe(audience, tr, await svc.audience_name(uow, audience))
    markup = InlineKeyboardMarkup([_button(tr("Cancel the scheduled notice"), svc.CANCEL, broadcast.id)])
    await send_text(
        uow,
        who.chat_id,
        tr(
            "Notice #{id} is scheduled for {when} ({zone} time). Audience: {audience}; {count} recipients "
            "now (counted again when it starts).",
            id=broadcast.id,
            when=svc.local_time(at, settings.zone),
            zone=esc(settings.timezone),
            audience=words,
            count=svc.num(int(data.get("count") or 0)),
        ),
        markup=markup,
    )


async def cancel_notice(context: LiaisonContext, who: Actor, query_id: str, broadcast_id: int | None) -> None:
    """Cancel a scheduled notice, or the rest of one being sent."""
    uow, tr = context.uow, who.tr
    broadcast = await svc.get_for_change(uow, broadcast_id) if broadcast_id else None
    if broadcast is None or broadcast.status not in (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING):
        await answer_query(uow, who.chat_id, query_id, tr("This notice is no longer being sent."), alert=True)
        return
    detail: dict[str, Any]
    if broadcast.status == BroadcastStatus.SCHEDULED:
        await svc.unschedule(uow, broadcast)
        detail = {"scheduled": True}
        text = tr("The scheduled notice #{id} was cancelled; nothing was sent.", id=broadcast.id)
        await send_text(uow, who.chat_id, text)
    else:
        detail = {"cancelled": await svc.cancel(uow, broadcast, context.services.settings)}
        text = tr("The notice was cancelled.")
    await uow.audit.record(
        "broadcast.cancelled",
        actor_telegram_id=who.account.telegram_id,
        actor_person_id=who.person.id,
        object_type="broadcast",
        object_id=broadcast.id,
        **detail,
    )
    await answer_query(uow, who.chat_id, query_id, text)


def register(app: LiaisonApp) -> None:
    """Add /broadcast and its buttons in group -1 (call once, from bot/runtime/app.py's register_handlers)."""
    app.add_handler(CommandHandler("broadcast", broadcast_command), group=GROUP)
    app.add_handler(CallbackQueryHandler(pressed, pattern=pattern(CB)), group=GROUP)


async def _step(context: LiaisonContext, who: Actor, dialog: Dialog, message: Message) -> None:
    assert dialog.state is not None
    await dialog_message(context, who, at(dialog.state, *dialog.args), message)


DIALOG = {BroadcastDialog.COMPOSING: Step(_step)}
