"""/broadcast (通知): staff send one notice to an audience, now or later, with progress and a report.

```mermaid
flowchart LR
    cmd["/broadcast (staff, admin)"] --> compose[text, photo or document with caption]
    compose --> audience{all deputies / level / station's deputies / group / special committee /
    committee / presidium / station's constituents / everyone}
    audience --> preview[preview + recipient count] -- Send now --> sending[progress message, Cancel]
    preview -- "Schedule…" --> when{in 1 h / tonight 20:00 / tomorrow 08:30 / typed time}
    when --> scheduled[scheduled message, Cancel] -- its time comes --> sending
    preview -- "Urgent (paid)" / "Ask to confirm receipt" toggles --> preview
    sending --> report[report + CSV of the undelivered + CSV of those without Telegram]
    sending -- "asks for received" --> ack["recipients press ✅ (once); live count on the progress
    message; 📋 who has not confirmed; 🔔 remind them once"]
```
The draft lives in the chat session (a restart resumes it); every press is checked against the
presser's role and the draft's state, and refusals are audited ("broadcast.refused", with the
stage). Audiences named by a station code are typed; groups and special committees are picked
from paged lists. The preview says how many of the audience have no Telegram account yet. A
recipient's ✅ is checked by the service (only someone the notice was written to, once); the
list of the silent and the reminder are for staff. The rules and the notice itself live in
bot/broadcasts/.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update

from bot.broadcasts import service as svc
from bot.broadcasts import views
from bot.broadcasts.buttons import (
    Acknowledge,
    AskStation,
    AskStationDeputies,
    Back,
    CancelNotice,
    Discard,
    Later,
    Levels,
    Listing,
    Menu,
    Page,
    PaidToggle,
    PickCommittee,
    PickFixed,
    PickGroup,
    PickLevel,
    PresetTime,
    ReceiptToggle,
    Remind,
    Send,
    TypeTime,
    Unconfirmed,
)
from bot.kit.dialogs import Dialog, at, index
from bot.kit.text_limits import utf16_len
from bot.people.roles import is_staff
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import edit_message, remove_keyboard, send_raw, send_text
from handlers.buttons import Press, button
from handlers.common import Actor, actor
from handlers.dialogs import Step, StepHandler

__all__ = ["DIALOG", "BroadcastDialog", "broadcast_command"]

REFUSED = "broadcast.refused"


class BroadcastDialog(StrEnum):
    COMPOSE = "bc_compose"  # the next message is the notice: text, or a photo or document
    STATION = "bc_station"  # the next message is a station code: its constituents receive it
    STATION_DEPUTIES = "bc_sdep"  # the next message is a station code: its deputies receive it
    CONFIRM = "bc_confirm"  # the preview is shown; a new message replaces the notice
    WHEN = "bc_when"  # the next message is the date and time to send it


KNOWN = index(BroadcastDialog)
D = BroadcastDialog


@dataclass(frozen=True)
class Composing:
    """A staff member's draft, as a press finds it."""

    state: BroadcastDialog
    draft: svc.Draft


def _stage(press: Press[Any]) -> str:
    """The audited stage of a refused press: "button:ok", "button:x", "button:paid"…"""
    return ("button:" + type(press.data).prefix.removeprefix("bc:"))[:40]


async def _staff(press: Press[Any]) -> bool:
    """Notices are for congress staff only; anyone else's press is refused (and audited)."""
    if is_staff(press.who.person):
        return True
    text = press.who.tr("Sorry, notices are for congress staff only.")
    await press.refuse(text, reason="not_staff", stage=_stage(press))
    return False


async def _composing(press: Press[Any], *, answer: bool = True) -> Composing | None:
    """The presser's draft (staff only); refused when there is none (finished, or a forged press)."""
    if not await _staff(press):
        return None
    chat = await press.uow.chats.get(press.who.chat_id)
    dialog = Dialog.parse(chat.state, chat.data, KNOWN)
    draft = svc.Draft.of(dialog.data)
    if not isinstance(dialog.state, BroadcastDialog) or not draft.has_content:
        text = press.who.tr("This draft is no longer available.")
        await press.refuse(text, reason="no_draft", stage=_stage(press))
        return None
    if answer:
        await press.answer()
    return Composing(dialog.state, draft)


async def _confirming(press: Press[Any]) -> Composing | None:
    """The draft, when its preview is shown (Send, Schedule…); a press from earlier does nothing."""
    found = await _composing(press)
    return found if found is not None and found.state in (D.CONFIRM, D.WHEN) else None


async def _set_state(
    press: Press[Any] | LiaisonContext, chat_id: int, state: D | None, draft: svc.Draft
) -> None:
    context = press.context if isinstance(press, Press) else press
    await context.uow.chats.set(chat_id, at(state) if state else None, draft.data() if state else None)


async def _set_markup(press: Press[Any], markup: InlineKeyboardMarkup) -> None:
    if press.message_id is not None:
        payload = {"message_id": press.message_id, "reply_markup": markup.to_dict()}
        await send_raw(press.uow, press.who.chat_id, "editMessageReplyMarkup", payload)


async def _edit(press: Press[Any], text: str, markup: InlineKeyboardMarkup) -> None:
    if press.message_id is not None:
        await edit_message(press.uow, press.who.chat_id, press.message_id, text, markup=markup)


async def _close(press: Press[Any]) -> None:
    """Take the buttons off the pressed message."""
    if press.message_id is not None:
        await remove_keyboard(press.uow, press.who.chat_id, press.message_id)


def _confirm_markup(context: LiaisonContext, who: Actor[Any], draft: svc.Draft) -> InlineKeyboardMarkup:
    settings = context.services.settings
    offer = svc.paid_offered(settings, draft.count)
    return views.confirm_keyboard(who.tr, offer, draft.paid, settings.paid_broadcast_rate, draft.ack)


def _when_markup(press: Press[Any]) -> InlineKeyboardMarkup:
    services = press.context.services
    return views.when_keyboard(press.who.tr, services.clock.now(), services.settings.zone)


# ------------------------------------------------------------------------------------ the command


async def broadcast_command(update: Update, context: LiaisonContext) -> None:
    """Start a draft (staff only), after listing the notices waiting for their time."""
    who = await actor(update, context)
    if who is None:
        return
    uow, tr = context.uow, who.tr
    if not is_staff(who.person):
        await _refuse_message(context, who, "command")
        await send_text(uow, who.chat_id, tr("Sorry, notices can only be sent by congress staff."))
        return
    waiting = await svc.waiting(uow, tr)
    if waiting:
        text, markup = views.scheduled_list(tr, waiting, context.services.settings.zone)
        await send_text(uow, who.chat_id, text, markup=markup)
    await uow.chats.set(who.chat_id, at(D.COMPOSE))
    await send_text(
        uow, who.chat_id, tr("Send the text of the notice (or a photo or document with a caption).")
    )


async def _refuse_message(context: LiaisonContext, who: Actor[Any], stage: str) -> None:
    """Audit a command or message from someone who may not send notices."""
    await context.uow.audit.record(
        REFUSED,
        actor_telegram_id=who.account.telegram_id,
        actor_person_id=who.person.id,
        allowed=False,
        stage=stage,
    )


# ------------------------------------------------------------------------- the dialog's messages


def content_of(message: Message) -> tuple[str, str | None, str | None] | None:
    """(text, photo file_id, document file_id) of a message, or None for anything else."""
    if message.photo:
        return message.caption or "", message.photo[-1].file_id, None
    if message.document:
        return message.caption or "", None, message.document.file_id
    if message.text:
        return message.text, None, None
    return None


async def compose_step(context: LiaisonContext, who: Actor[Any], dialog: Dialog, message: Message) -> None:
    """The notice itself (again, if one was written already): then the audience is asked."""
    uow, tr = context.uow, who.tr
    content = content_of(message)
    if content is None:
        await send_text(uow, who.chat_id, tr("Please send text, or a photo or document with a caption."))
        return
    draft = svc.Draft(*content)
    if utf16_len(draft.text) > draft.room(context.services.settings):  # as Telegram counts: UTF-16 units
        await send_text(uow, who.chat_id, tr("That is too long for one message; please shorten it."))
        return
    await _set_state(context, who.chat_id, D.COMPOSE, draft)
    await send_text(
        uow, who.chat_id, tr("Who should receive this notice?"), markup=views.audience_keyboard(tr)
    )


async def confirm_step(context: LiaisonContext, who: Actor[Any], dialog: Dialog, message: Message) -> None:
    """A message while the preview is shown: it replaces the notice, and the audience is asked again."""
    await compose_step(context, who, dialog, message)


async def station_step(context: LiaisonContext, who: Actor[Any], dialog: Dialog, message: Message) -> None:
    """The code of the station whose constituents receive it (anything but text is a new notice)."""
    await _typed_station(context, who, dialog, message, svc.STATION)


async def station_deputies_step(
    context: LiaisonContext, who: Actor[Any], dialog: Dialog, message: Message
) -> None:
    """The code of the station whose deputies (and those of the stations below) receive it."""
    await _typed_station(context, who, dialog, message, svc.STATION_DEPUTIES)


async def _typed_station(
    context: LiaisonContext, who: Actor[Any], dialog: Dialog, message: Message, kind: str
) -> None:
    if not message.text:
        await compose_step(context, who, dialog, message)
        return
    audience = svc.Audience(kind, message.text.strip()[:32])
    await choose(context, who, svc.Draft.of(dialog.data), audience)


async def when_step(context: LiaisonContext, who: Actor[Any], dialog: Dialog, message: Message) -> None:
    """The date and time typed to send it at."""
    services = context.services
    now, zone = services.clock.now(), services.settings.zone
    when = svc.parse_when(message.text, now, zone)
    if when.at is None:
        text = views.time_problem(who.tr, when.problem, now, zone, services.settings.timezone)
        await send_text(context.uow, who.chat_id, text)
        return
    await schedule(context, who, svc.Draft.of(dialog.data), when.at, None)


def _staff_step(handle: StepHandler) -> Step:
    """A step that only staff may take: anyone else's message ends the dialog (audited)."""

    async def step(context: LiaisonContext, who: Actor[Any], dialog: Dialog, message: Message) -> bool | None:
        if not is_staff(who.person):
            await _refuse_message(context, who, "message")
            await context.uow.chats.set(who.chat_id, None)
            return None
        return await handle(context, who, dialog, message)

    return Step(step)


# --------------------------------------------------------------------- the audience, the preview


async def choose(context: LiaisonContext, who: Actor[Any], draft: svc.Draft, audience: svc.Audience) -> None:
    """Count the audience and show the preview with Send / Schedule / (Urgent) / Cancel."""
    uow, tr = context.uow, who.tr
    chosen = await svc.choose(uow, audience)
    if chosen is None:
        await send_text(uow, who.chat_id, tr("There is no station with this code; please try again."))
        return
    if chosen.count == 0:
        await _nobody(context, who, draft, chosen)
        return
    draft = dataclasses.replace(
        draft, audience=chosen.audience.key, count=chosen.count, paid=False, unreachable=chosen.unreachable
    )
    await _set_state(context, who.chat_id, D.CONFIRM, draft)
    head = svc.letterhead(tr, context.services.settings, context.services.clock.now())
    method, payload = svc.preview_call(who.chat_id, draft.text, draft.photo, draft.document, head)
    payload.pop("chat_id")
    await send_raw(uow, who.chat_id, method, payload)
    text = views.preview_prompt(tr, chosen.words(tr), chosen.count, chosen.unreachable)
    await send_text(uow, who.chat_id, text, markup=_confirm_markup(context, who, draft))


async def _nobody(context: LiaisonContext, who: Actor[Any], draft: svc.Draft, chosen: svc.Chosen) -> None:
    """No one in the audience can be reached: its members are listed (CSV), another audience asked."""
    uow, tr = context.uow, who.tr
    await _set_state(context, who.chat_id, D.COMPOSE, draft)
    text = tr(
        "No one in “{audience}” has a Telegram account. Choose another audience:", audience=chosen.words(tr)
    )
    await send_text(uow, who.chat_id, text, markup=views.audience_keyboard(tr))
    await svc.list_unreachable(uow, who.chat_id, tr, chosen.audience)


@button(Menu, audit=REFUSED)
async def menu_pressed(press: Press[Menu]) -> None:
    """Back to the audience menu."""
    if await _composing(press) is not None:
        tr = press.who.tr
        await _edit(press, tr("Who should receive this notice?"), views.audience_keyboard(tr))


@button(Levels, audit=REFUSED)
async def levels_pressed(press: Press[Levels]) -> None:
    """The five levels of deputies to pick from."""
    if await _composing(press) is not None:
        tr = press.who.tr
        await _edit(press, tr("Deputies of which level?"), views.levels_keyboard(tr))


@button(AskStation, audit=REFUSED)
async def station_pressed(press: Press[AskStation]) -> None:
    """The constituents of a station: its code is typed next."""
    await _ask_station(press, D.STATION)


@button(AskStationDeputies, audit=REFUSED)
async def station_deputies_pressed(press: Press[AskStationDeputies]) -> None:
    """The deputies of a station: its code is typed next."""
    await _ask_station(press, D.STATION_DEPUTIES)


async def _ask_station(press: Press[Any], state: D) -> None:
    found = await _composing(press)
    if found is not None:
        await _set_state(press.context, press.who.chat_id, state, found.draft)
        await press.say(press.who.tr("Type the code of the station (e.g. V1)."))


@button(Page, audit=REFUSED)
async def page_pressed(press: Press[Page]) -> None:
    """A page of deputy groups or special committees to pick from."""
    if await _composing(press) is None:
        return
    tr, listing = press.who.tr, press.data.listing
    found = await (svc.groups(press.uow) if listing == Listing.GROUPS else svc.special_committees(press.uow))
    if not found:
        await press.say(tr("There are none in the contact network yet."))
        return
    items = [(item.id, item.name) for item in found]
    await _edit(
        press, views.list_title(tr, listing), views.list_keyboard(tr, listing, items, press.data.page)
    )


@button(PickGroup, audit=REFUSED)
async def group_pressed(press: Press[PickGroup]) -> None:
    """A deputy group's members, picked from the list."""
    found = await _composing(press)
    if found is not None:
        await _pick_named(press, found.draft, await svc.pick_group(press.uow, press.data.group_id))


@button(PickCommittee, audit=REFUSED)
async def committee_pressed(press: Press[PickCommittee]) -> None:
    """The deputies a special committee contacts, picked from the list."""
    found = await _composing(press)
    if found is not None:
        await _pick_named(press, found.draft, await svc.pick_committee(press.uow, press.data.committee_id))


async def _pick_named(press: Press[Any], draft: svc.Draft, audience: svc.Audience | None) -> None:
    """A group or committee from a list: it may have gone since the list was drawn."""
    if audience is None:
        await press.say(press.who.tr("This group or committee no longer exists."))
        return
    await _close(press)
    await choose(press.context, press.who, draft, audience)


@button(PickLevel, audit=REFUSED)
async def level_pressed(press: Press[PickLevel]) -> None:
    """The deputies of one level."""
    found = await _composing(press)
    if found is not None:
        await _close(press)
        await choose(press.context, press.who, found.draft, svc.Audience(svc.LEVEL, press.data.level.value))


@button(PickFixed, audit=REFUSED)
async def fixed_pressed(press: Press[PickFixed]) -> None:
    """All deputies, the committee, the presidium or everyone."""
    found = await _composing(press)
    if found is not None:
        await _close(press)
        await choose(press.context, press.who, found.draft, svc.Audience(press.data.audience.value))


@button(Discard, audit=REFUSED)
async def discard_pressed(press: Press[Discard]) -> None:
    """Drop the draft."""
    if await _composing(press) is not None:
        await press.uow.chats.set(press.who.chat_id, None)
        await _close(press)
        await press.say(press.who.tr("The notice was not sent."))


# ------------------------------------------------------------------------ sending and scheduling


@button(Send, audit=REFUSED)
async def send_pressed(press: Press[Send]) -> None:
    """Confirm and send now: the rows and the progress message in the same commit."""
    found = await _confirming(press)
    if found is None:
        return
    who, services = press.who, press.context.services
    sent = await svc.send_draft(
        press.uow,
        found.draft,
        person=who.person,
        telegram_id=who.account.telegram_id,
        chat_id=who.chat_id,
        tr=who.tr,
        settings=services.settings,
        now=services.clock.now(),
    )
    if sent is None:
        await press.say(who.tr("This draft is no longer available."))
        return
    await press.uow.chats.set(who.chat_id, None)
    await _close(press)


@button(PaidToggle, audit=REFUSED)
async def paid_pressed(press: Press[PaidToggle]) -> None:
    """Tick or untick the paid tier, offered only for a large audience when the office enabled it."""
    found = await _composing(press, answer=False)
    if found is None:
        return
    offered = svc.paid_offered(press.context.services.settings, found.draft.count)
    if found.state != D.CONFIRM or not offered:
        text = press.who.tr("The paid tier is not available here.")
        await press.refuse(text, reason="paid_not_offered", stage=_stage(press))
        return
    await press.answer()
    draft = dataclasses.replace(found.draft, paid=not found.draft.paid)
    await _set_state(press.context, press.who.chat_id, D.CONFIRM, draft)
    await _set_markup(press, _confirm_markup(press.context, press.who, draft))


@button(ReceiptToggle, audit=REFUSED)
async def receipt_toggle_pressed(press: Press[ReceiptToggle]) -> None:
    """Tick or untick "ask recipients to confirm receipt" on the preview."""
    found = await _confirming(press)
    if found is not None:
        draft = dataclasses.replace(found.draft, ack=not found.draft.ack)
        await _set_state(press.context, press.who.chat_id, D.CONFIRM, draft)
        await _set_markup(press, _confirm_markup(press.context, press.who, draft))


@button(Later, audit=REFUSED)
async def later_pressed(press: Press[Later]) -> None:
    """The send-at choices, on the same message."""
    if await _confirming(press) is not None:
        await _set_markup(press, _when_markup(press))


@button(Back, audit=REFUSED)
async def back_pressed(press: Press[Back]) -> None:
    """From the send-at choices back to Send / Schedule (a typed time is no longer awaited)."""
    found = await _confirming(press)
    if found is not None:
        await _set_state(press.context, press.who.chat_id, D.CONFIRM, found.draft)
        await _set_markup(press, _confirm_markup(press.context, press.who, found.draft))


@button(TypeTime, audit=REFUSED)
async def type_time_pressed(press: Press[TypeTime]) -> None:
    """The date and time are typed next."""
    found = await _confirming(press)
    if found is not None:
        services = press.context.services
        await _set_state(press.context, press.who.chat_id, D.WHEN, found.draft)
        now, settings = services.clock.now(), services.settings
        await press.say(views.time_hint(press.who.tr, now, settings.zone, settings.timezone))


@button(PresetTime, audit=REFUSED)
async def preset_pressed(press: Press[PresetTime]) -> None:
    """In 1 hour, tonight 20:00 or tomorrow 08:30 (tonight may have passed since it was drawn)."""
    found = await _confirming(press)
    if found is None:
        return
    services = press.context.services
    when = svc.preset_time(press.data.preset, services.clock.now(), services.settings.zone)
    if when is None:
        await press.say(press.who.tr("That time has already passed. Please choose another."))
        await _set_markup(press, _when_markup(press))
        return
    await schedule(press.context, press.who, found.draft, when, press.message_id)


async def schedule(
    context: LiaisonContext, who: Actor[Any], draft: svc.Draft, when: datetime, message_id: int | None
) -> None:
    """Schedule the draft and say when it goes, with a Cancel button."""
    uow, tr, settings = context.uow, who.tr, context.services.settings
    made = await svc.schedule_draft(
        uow,
        draft,
        when,
        person=who.person,
        telegram_id=who.account.telegram_id,
        chat_id=who.chat_id,
        now=context.services.clock.now(),
    )
    if made is None:
        await send_text(uow, who.chat_id, tr("This draft is no longer available."))
        return
    await uow.chats.set(who.chat_id, None)
    if message_id is not None:
        await remove_keyboard(uow, who.chat_id, message_id)
    words = await svc.audience_words(uow, made, tr)
    text = views.scheduled_text(tr, made.id, when, settings.zone, settings.timezone, words, draft.count)
    await send_text(
        uow, who.chat_id, text, markup=views.cancel_keyboard(tr("Cancel the scheduled notice"), made.id)
    )


@button(CancelNotice, audit=REFUSED)
async def cancel_pressed(press: Press[CancelNotice]) -> None:
    """Cancel a scheduled notice, or the rest of one being sent (any staff member may)."""
    if not await _staff(press):
        return
    who = press.who
    outcome = await svc.cancel_by_staff(
        press.uow,
        press.data.broadcast_id,
        person=who.person,
        telegram_id=who.account.telegram_id,
        settings=press.context.services.settings,
    )
    if isinstance(outcome, svc.Refusal):
        text = who.tr("This notice is no longer being sent.")
        detail = {"object_type": "broadcast", "object_id": press.data.broadcast_id}
        await press.refuse(text, reason=outcome.reason, stage=_stage(press), **detail)
        return
    if outcome.was_scheduled:
        text = who.tr("The scheduled notice #{id} was cancelled; nothing was sent.", id=outcome.broadcast.id)
        await press.say(text)
        await press.answer(text)
    else:
        await press.answer(who.tr("The notice was cancelled."))


# ------------------------------------------------------------------- "received" (收到) and its list


async def _refuse_on(
    press: Press[Acknowledge] | Press[Unconfirmed] | Press[Remind], text: str, reason: str
) -> None:
    """Answer a refused press about one notice with an alert, audited with the notice and the stage."""
    detail = {"object_type": "broadcast", "object_id": press.data.broadcast_id}
    await press.refuse(text, reason=reason, stage=_stage(press), **detail)


@button(Acknowledge, audit=REFUSED)
async def acknowledge_pressed(press: Press[Acknowledge]) -> None:
    """A recipient confirms receipt: once, and only someone the notice was written to."""
    who, services = press.who, press.context.services
    outcome = await svc.acknowledge(
        press.uow,
        press.data.broadcast_id,
        person=who.person,
        telegram_id=who.account.telegram_id,
        now=services.clock.now(),
    )
    if isinstance(outcome, svc.Refusal):
        await _refuse_on(press, views.receipt_refusal(who.tr, outcome.reason), outcome.reason)
        return
    await press.answer(who.tr("Thank you: receipt confirmed."))
    label = svc.confirmed_label(who.tr, outcome.at, services.settings)
    await _set_markup(press, views.ack_keyboard(label, outcome.broadcast.id))


@button(Unconfirmed, audit=REFUSED)
async def unconfirmed_pressed(press: Press[Unconfirmed]) -> None:
    """The sender's list of recipients who have not confirmed receipt (staff only)."""
    if not await _staff(press):
        return
    listed = await svc.silent_list(press.uow, press.data.broadcast_id, press.who.tr)
    if isinstance(listed, svc.Refusal):
        await _refuse_on(press, views.receipt_refusal(press.who.tr, listed.reason), listed.reason)
        return
    await press.answer()
    await press.say(listed)


@button(Remind, audit=REFUSED)
async def remind_pressed(press: Press[Remind]) -> None:
    """Remind those who have not confirmed, once, after the notice is out (staff only)."""
    if not await _staff(press):
        return
    who, services = press.who, press.context.services
    outcome = await svc.remind(
        press.uow,
        press.data.broadcast_id,
        person=who.person,
        telegram_id=who.account.telegram_id,
        settings=services.settings,
        now=services.clock.now(),
    )
    if isinstance(outcome, svc.Refusal):
        await _refuse_on(press, views.remind_refusal(who.tr, outcome.reason), outcome.reason)
        return
    if outcome.count == 0:
        await press.answer(
            who.tr("Everyone who received notice #{id} has confirmed it.", id=outcome.broadcast.id)
        )
        return
    await press.answer(who.tr("Reminder sent to {n}.", n=svc.num(outcome.count)))


BUTTONS = (
    acknowledge_pressed,
    unconfirmed_pressed,
    remind_pressed,
    receipt_toggle_pressed,
    cancel_pressed,
    send_pressed,
    discard_pressed,
    later_pressed,
    back_pressed,
    type_time_pressed,
    preset_pressed,
    paid_pressed,
    menu_pressed,
    levels_pressed,
    level_pressed,
    fixed_pressed,
    station_pressed,
    station_deputies_pressed,
    page_pressed,
    group_pressed,
    committee_pressed,
)
"""Every button of the feature, for the wiring table."""

DIALOG = {
    D.COMPOSE: _staff_step(compose_step),
    D.STATION: _staff_step(station_step),
    D.STATION_DEPUTIES: _staff_step(station_deputies_step),
    D.CONFIRM: _staff_step(confirm_step),
    D.WHEN: _staff_step(when_step),
}
