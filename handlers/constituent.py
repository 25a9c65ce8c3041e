"""The constituent's side: binding to a deputy or station, the draft card, Submit, /my, verdicts, answers.

```mermaid
stateDiagram-v2
    [*] --> idle
    idle --> draft: text / photo / voice / document / location
    draft --> draft: more messages join the draft
    draft --> idle: Submit (tracking number) / Join similar / Discard / /cancel / /start
    idle --> info: Answer pressed under a deputy's question
    info --> idle: next message relayed to the deputy / /cancel / /start
```
Dialog state lives in `chat_session`, so a restart resumes every draft. The rules live in services
(bot/opinions/submission.py, sender.py, follow_up.py; bot/people/binding.py), the rendering in views
(bot/opinions/draft_views.py, sender_views.py; bot/people/views.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from telegram import InlineKeyboardMarkup, Message, ReplyKeyboardRemove, Update

from bot.kit import dialogs
from bot.kit.dialogs import Dialog
from bot.kit.text_limits import MAX_INPUT, utf16_len
from bot.kit.times import when
from bot.network.units import unit_names_of
from bot.opinions.buttons import (
    VERDICT_ACTIONS,
    FollowUpAnswer,
    FollowUpPress,
    InfoPress,
    MyPress,
    VerdictPress,
)
from bot.opinions.draft_views import (
    CategoryPress,
    CategorySubmitPress,
    DraftAction,
    DraftPress,
    JoinPress,
    draft_keyboard,
    draft_ref,
    draft_text,
    filed_title,
    not_added,
    similar_keyboard,
    similar_offer,
)
from bot.opinions.drafts import CATEGORIES, Attachment, Draft
from bot.opinions.entities import Opinion
from bot.opinions.follow_up import record_follow_up
from bot.opinions.lifecycle import Action, Refusal, RefusalReason
from bot.opinions.sender import replied_question, viewable_by_id, viewable_by_tracking_no
from bot.opinions.sender_views import MY_LIST, my_list, verdict_thanks
from bot.opinions.submission import JOIN_AUDIT, join_offered, submit_draft
from bot.opinions.views import ask_ref, too_long
from bot.people.binding import bind_by_payload, level_above, share_phone, stations_under, walk_stations
from bot.people.binding import bind_nearest as bind_nearest_station
from bot.people.entities import Person
from bot.people.views import (
    StationAction,
    StationPress,
    asks_for_station,
    share_keyboard,
    station_keyboard,
    station_level_text,
    welcome_text,
)
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import edit_message, edit_text, esc, remove_keyboard, send_text
from handlers.buttons import Press, button
from handlers.common import Actor, actor, brief_actor, entity_of, opinion_service, opinion_views, refusal_text
from handlers.dialogs import Step
from handlers.start import publish_menu
from handlers.supervise_suggestions import suggestion_progress


class ConstituentDialog(StrEnum):
    DRAFT = "draft"  # the chat holds a draft: the next message joins it
    INFO = "info"  # the next message answers the deputy's question on opinion <arg>


STATES = dialogs.index(ConstituentDialog)


# -- binding --------------------------------------------------------------------------------------


async def start(update: Update, context: LiaisonContext) -> None:
    """/start [payload]: greet by role; a deep link binds to a deputy or station; a constituent
    without a station is asked for it (officials are not)."""
    who = await actor(update, context)
    if who is None:
        return
    payload = context.args[0] if context.args else ""
    bound = await bind_by_payload(context.uow, who.person, payload) if payload else None
    units = await unit_names_of(context.uow, who.person)  # units (#23): the officer's greeting names them
    text = welcome_text(who.tr, who.person, linked=bool(payload), bound=bound, units=units)
    left = await leave_dialog(context, who)
    if left is not None:
        text += "\n\n" + left
    await publish_menu(context.uow, who.chat_id, who.person, who.tr)
    if asks_for_station(who.person):
        await send_text(context.uow, who.chat_id, text)
        await ask_station(context, who)
    else:  # a keyboard left from an earlier station question goes with the greeting
        await send_text(context.uow, who.chat_id, text, markup=ReplyKeyboardRemove())


async def cancel(update: Update, context: LiaisonContext) -> None:
    """/cancel: the way out of a half-finished draft or a pending answer to a deputy's question."""
    who = await brief_actor(update, context)
    if who is None:
        return
    left = await leave_dialog(context, who, any_dialog=True)
    await send_text(context.uow, who.chat_id, left or who.tr("There is nothing to cancel."))


async def leave_dialog(context: LiaisonContext, who: Actor[Any], *, any_dialog: bool = False) -> str | None:
    """Clear the constituent's draft or pending answer (and, for /cancel, any other dialog); returns
    what to tell them, or None when nothing was open."""
    session = await context.uow.chats.get(who.chat_id)
    dialog = Dialog.parse(session.state, session.data, STATES)
    if dialog.state is ConstituentDialog.DRAFT:
        draft = Draft.from_dict(dialog.data.get("draft"))
        if draft.card:  # the card loses its buttons, so nothing on it acts any more
            await edit_text(
                context.uow, who.chat_id, draft_ref(who.chat_id, draft.card), who.tr("🗑 Draft discarded.")
            )
        said = who.tr("Your unfinished draft is discarded.")
    elif dialog.state is ConstituentDialog.INFO:
        said = who.tr("Your answer to the deputy's question is cancelled; the question stays open.")
    elif session.state and any_dialog:
        said = who.tr("Cancelled.")
    else:
        return None
    await context.uow.chats.set(who.chat_id, None)
    return said


async def ask_station(context: LiaisonContext, who: Actor[Any]) -> None:
    """Ask where the constituent lives: shared location (nearest station), phone number, or a list."""
    question = who.tr(
        "Which liaison station is yours? Share your location and I will find the nearest one, "
        "share your phone number if the station registered you, or pick it from the list."
    )
    await send_text(context.uow, who.chat_id, question, markup=share_keyboard(who.tr))
    await send_stations(context, who)


async def send_stations(context: LiaisonContext, who: Actor[Any]) -> None:
    """The top level of the station picker."""
    markup = station_keyboard(who.tr, await stations_under(context.uow, None), None)
    await send_text(context.uow, who.chat_id, station_level_text(who.tr, None), markup=markup)


@button(StationPress)
async def station_pressed(press: Press[StationPress]) -> None:
    """Walk the station tree (down, or Back up), or pick a station."""
    who, data = press.who, press.data
    if data.station_id is None or data.action is StationAction.NONE:
        await press.refuse(reason="no_station")
        return
    if data.action is StationAction.BACK:
        await station_back(press, data.station_id)
        return
    step = await walk_stations(press.uow, who.person, data.station_id, pick=data.action is StationAction.PICK)
    if step is None:
        await press.refuse(reason="not_found", object_type="station", object_id=data.station_id)
        return
    if step.already:
        # Picked again (a double tap, or an older list): the message already says so, and editing
        # it to the same text is Telegram's 400 "message is not modified". Answer the press only.
        await press.answer(
            who.tr("You are already connected with the station {station}.", station=step.station.name)
        )
        return
    await press.answer()
    if step.children:
        text = station_level_text(who.tr, step.station)
        await show_on_press(press, text, station_keyboard(who.tr, step.children, step.station.id))
        return
    text = who.tr("You are now connected with the station {station}.", station=esc(step.station.name))
    await show_on_press(press, text, None)
    # The question's location/phone keyboard goes once it is answered (only a message can remove it).
    next_step = who.tr(
        "Now write your opinion here whenever you like: I will pass it to the deputy responsible."
    )
    await press.say(next_step, markup=ReplyKeyboardRemove())


async def station_back(press: Press[StationPress], station_id: int) -> None:
    """Back: the level the station is listed in (the top level under no station)."""
    level = await level_above(press.uow, station_id)
    if level is None:
        await press.refuse(reason="not_found", object_type="station", object_id=station_id)
        return
    await press.answer()
    parent_id = level.parent.id if level.parent is not None else None
    markup = station_keyboard(press.who.tr, level.stations, parent_id)
    await show_on_press(press, station_level_text(press.who.tr, level.parent), markup)


async def show_on_press(press: Press[Any], text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit the pressed message into `text` (a new message when it is too old to know)."""
    if press.message_id is not None:
        await edit_message(press.uow, press.who.chat_id, press.message_id, text, markup=markup)
    else:
        await press.say(text, markup=markup)


async def contact_shared(context: LiaisonContext, who: Actor[Person], message: Message) -> None:
    """A shared phone number matches the constituent's imported record (own number only)."""
    contact = message.contact
    if contact is None:
        return
    if contact.user_id != who.account.telegram_id:
        text = who.tr("Please share your own phone number.")
    else:
        person = await share_phone(context.uow, who.person, contact.phone_number)
        if person is None:
            text = who.tr("Sorry, that is not a phone number I can use, so it was not saved.")
        elif person.id != who.person.id:
            text = who.tr("Thank you, {name}: I found you in the station's records.", name=esc(person.name))
            await publish_menu(context.uow, who.chat_id, person, who.tr)  # the record's roles are theirs now
        else:
            text = who.tr("Thank you, your phone number is saved. Deputies see it only on opinions you sign.")
    await send_text(context.uow, who.chat_id, text, markup=ReplyKeyboardRemove())


async def bind_nearest(
    context: LiaisonContext, who: Actor[Person], latitude: float, longitude: float
) -> None:
    """Bind to the station nearest a shared location; none near: say so and offer the list."""
    max_km = context.services.settings.station_max_km
    found = await bind_nearest_station(context.uow, who.person, latitude, longitude, max_km)
    if found is None:
        text = who.tr("I know no stations with a location yet.")
    elif not found.within_reach:
        text = who.tr(
            "No station is near that location (within {max_km:.0f} km). Please pick yours from the list.",
            max_km=max_km,
        )
    else:
        text = who.tr(
            "The nearest station is {station} ({km:.1f} km away). You are now connected with it.",
            station=esc(found.station.name),
            km=found.km,
        )
    await send_text(context.uow, who.chat_id, text, markup=ReplyKeyboardRemove())
    if found is not None and not found.within_reach:
        await send_stations(context, who)


# -- the draft ------------------------------------------------------------------------------------


async def open_draft(context: LiaisonContext, who: Actor[Any]) -> Draft | None:
    """The chat's open draft, if it holds one."""
    session = await context.uow.chats.get(who.chat_id)
    dialog = Dialog.parse(session.state, session.data, STATES)
    return Draft.from_dict(dialog.data.get("draft")) if dialog.state is ConstituentDialog.DRAFT else None


async def save_draft(context: LiaisonContext, who: Actor[Any], draft: Draft) -> None:
    await context.uow.chats.set(who.chat_id, dialogs.at(ConstituentDialog.DRAFT), {"draft": draft.to_dict()})


async def show_draft(context: LiaisonContext, who: Actor[Any], draft: Draft, *, fresh: bool) -> None:
    """Show the card at the bottom of the chat; the previous card keeps its text but loses its buttons."""
    if not fresh:
        ref = draft_ref(who.chat_id, draft.card)
        await edit_text(
            context.uow, who.chat_id, ref, draft_text(who.tr, draft), markup=draft_keyboard(who.tr, draft)
        )
    else:
        if draft.card:
            ref = draft_ref(who.chat_id, draft.card)
            await edit_text(context.uow, who.chat_id, ref, who.tr("📝 Draft continued below ⬇️"))
        draft.card = secrets.token_hex(4)
        await send_text(
            context.uow,
            who.chat_id,
            draft_text(who.tr, draft),
            markup=draft_keyboard(who.tr, draft),
            ref=draft_ref(who.chat_id, draft.card),
        )
    await save_draft(context, who, draft)


def take(draft: Draft, message: Message) -> bool | None:
    """Add the message to the draft: False when it does not fit, None for a kind no draft holds."""
    if message.location is not None:
        draft.location = (message.location.latitude, message.location.longitude)
        return True
    if message.photo:
        big = message.photo[-1]
        return draft.add_attachment(
            Attachment("photo", big.file_id, big.file_unique_id, message.caption), message.message_id
        )
    if message.voice is not None:
        return draft.add_attachment(Attachment("voice", message.voice.file_id, message.voice.file_unique_id))
    if message.document is not None:
        doc = message.document
        return draft.add_attachment(
            Attachment("document", doc.file_id, doc.file_unique_id, message.caption), message.message_id
        )
    if message.text is not None:
        return draft.add_text(message.text, message.message_id)
    return None


async def draft_message(context: LiaisonContext, who: Actor[Any], draft: Draft, message: Message) -> None:
    """Text, photo, voice, document or location: start a draft or join the open one. A location from
    a constituent without a station answers the station question instead (binds to the nearest)."""
    location = message.location
    if location is not None and who.person.station_id is None:
        writer = await entity_of(context, who)
        if asks_for_station(writer.person):  # an official's location is part of their draft
            await bind_nearest(context, writer, location.latitude, location.longitude)
            return
    added = take(draft, message)
    if added is None:
        text = who.tr("I can take text, photos, voice messages, documents and locations.")
        await send_text(context.uow, who.chat_id, text)
        return
    if not added:  # the writer learns it before anything is filed
        await send_text(
            context.uow, who.chat_id, not_added(who.tr, draft, message.text or message.caption or "")
        )
    draft.guess_category()
    await show_draft(context, who, draft, fresh=True)


async def message_edited(context: LiaisonContext, who: Actor[Any], message: Message) -> None:
    """The constituent edited a message: in the open draft it replaces its part; in a filed
    opinion it becomes a note to the holder; anything else is left alone."""
    text = message.text or message.caption or ""
    draft = await open_draft(context, who)
    if draft is not None and draft.holds(message.message_id):
        if not draft.replace_text(message.message_id, text):
            told = who.tr("The corrected text does not fit in the draft; the draft keeps the old one.")
            await send_text(context.uow, who.chat_id, told)
            return
        draft.offered = None  # an offer made for the old text no longer holds
        draft.guess_category()
        await show_draft(context, who, draft, fresh=False)
    elif text.strip():
        await correct_opinion(context, who, message.message_id, text)


async def correct_opinion(context: LiaisonContext, who: Actor[Any], message_id: int, text: str) -> None:
    """An edit of a filed opinion's message goes to its holder as a note (not once it is closed)."""
    service = opinion_service(context)
    opinion = await service.sender_message(who.person.id, message_id)
    if opinion is None:
        return
    outcome = await service.add_note(opinion, who.person.id, text)
    tracking_no = esc(opinion.tracking_no)
    if outcome.refusal is not None:
        told = who.tr(
            "Opinion <b>{tracking_no}</b> is closed, so your correction was not passed on. "
            "Write to me to start a new opinion.",
            tracking_no=tracking_no,
        )
        await send_text(context.uow, who.chat_id, told)
        return
    views = opinion_views(context)
    holder = await views.holder_name(opinion, who.tr)
    told = who.tr(
        "Your correction to <b>{tracking_no}</b> was passed to {holder}.",
        tracking_no=tracking_no,
        holder=holder,
    )
    await send_text(context.uow, who.chat_id, told)
    await views.deliver(outcome.notifications, context.services.clock.now())


async def current_draft(press: Press[Any]) -> Draft | None:
    """The chat's open draft, when the press is on its newest card: older cards are stale."""
    draft = await open_draft(press.context, press.who)
    if draft is None or press.message_id is None:
        return draft
    ref = draft_ref(press.who.chat_id, draft.card)
    remembered = press.context.services.outbox_message_id
    known = remembered(ref) if remembered is not None else None
    if known is None:
        row = await press.uow.outbox.last_sent_for(ref)
        known = row.result_message_id if row is not None else press.message_id
    return draft if known == press.message_id else None


async def refuse_stale(press: Press[Any]) -> None:
    await press.refuse(press.who.tr("This draft is no longer open."), reason="stale_draft")


@button(DraftPress, brief=True)
async def draft_pressed(press: Press[DraftPress]) -> None:
    """Buttons of the draft card: anonymity, publicity, submit, discard (categories: `category_pressed`)."""
    draft = await current_draft(press)
    if draft is None:
        await refuse_stale(press)
        return
    await press.answer()
    action = press.data.action
    if action is not DraftAction.SUBMIT_ANYWAY:
        draft.offered = None  # the offer's buttons are gone from the card
    await DRAFT_ACTIONS[action](press.context, press.who, draft)


async def toggle_anonymous(context: LiaisonContext, who: Actor[Any], draft: Draft) -> None:
    draft.set_anonymous(not draft.anonymous)
    await show_draft(context, who, draft, fresh=False)


async def toggle_public(context: LiaisonContext, who: Actor[Any], draft: Draft) -> None:
    draft.set_public(not draft.public)
    await show_draft(context, who, draft, fresh=False)


async def back_to_card(context: LiaisonContext, who: Actor[Any], draft: Draft) -> None:
    """A card from before the categories were on it (its 📂 or ⬅️): show the card as it is now."""
    markup = draft_keyboard(who.tr, draft)
    await edit_text(
        context.uow, who.chat_id, draft_ref(who.chat_id, draft.card), draft_text(who.tr, draft), markup=markup
    )


async def submit_pressed(context: LiaisonContext, who: Actor[Any], draft: Draft) -> None:
    """Submit files at once: under the chosen or guessed category, else under "other"."""
    await submit(context, who, draft, check_similar=True)


async def submit_anyway(context: LiaisonContext, who: Actor[Any], draft: Draft) -> None:
    """Offered a similar opinion, the constituent submits their own all the same."""
    await submit(context, who, draft, check_similar=False)


async def discard(context: LiaisonContext, who: Actor[Any], draft: Draft) -> None:
    await edit_text(
        context.uow, who.chat_id, draft_ref(who.chat_id, draft.card), who.tr("🗑 Draft discarded.")
    )
    await context.uow.chats.set(who.chat_id, None)


DRAFT_ACTIONS: dict[DraftAction, Callable[[LiaisonContext, Actor[Any], Draft], Awaitable[None]]] = {
    DraftAction.CATEGORIES: back_to_card,
    DraftAction.ANONYMOUS: toggle_anonymous,
    DraftAction.PUBLIC: toggle_public,
    DraftAction.SUBMIT: submit_pressed,
    DraftAction.DISCARD: discard,
    DraftAction.BACK: back_to_card,
    DraftAction.SUBMIT_ANYWAY: submit_anyway,
}


@button(CategoryPress, brief=True)
async def category_pressed(press: Press[CategoryPress]) -> None:
    """A category on the draft card: it becomes the sender's choice (no guess replaces it)."""
    await choose_category(press, press.data.category, then_submit=False)


@button(CategorySubmitPress, brief=True)
async def category_submit_pressed(press: Press[CategorySubmitPress]) -> None:
    """A category asked for by Submit on a card from before one-tap filing: chosen, then submitted."""
    await choose_category(press, press.data.category, then_submit=True)


async def choose_category(press: Press[Any], category: str, *, then_submit: bool) -> None:
    draft = await current_draft(press)
    if draft is None:
        await refuse_stale(press)
        return
    if category not in CATEGORIES:
        await press.refuse(reason="unknown_category")
        return
    await press.answer()
    if not then_submit and draft.category == category and draft.category_picked:
        return  # already the card's choice: an edit to the same text is Telegram's 400 "not modified"
    draft.offered = None
    draft.pick_category(category)
    if then_submit:
        await submit(press.context, press.who, draft, check_similar=True)
    else:
        await show_draft(press.context, press.who, draft, fresh=False)


async def submit(context: LiaisonContext, who: Actor[Any], draft: Draft, *, check_similar: bool) -> None:
    """Submit the draft (after offering to join a similar open opinion)."""
    service = opinion_service(context)
    submitted = await submit_draft(
        service, who.person.id, who.person.station_id, draft, check_similar=check_similar
    )
    ref, tr = draft_ref(who.chat_id, draft.card), who.tr
    if submitted.similar is not None:
        offer = similar_offer(tr, submitted.similar, context.services.settings.zone)
        markup = similar_keyboard(tr, submitted.similar)
        await edit_text(context.uow, who.chat_id, ref, draft_text(tr, draft) + "\n\n" + offer, markup=markup)
        await save_draft(context, who, draft)  # it remembers the offer
        return
    await context.uow.chats.set(who.chat_id, None)
    if submitted.opinion is None:
        await edit_text(context.uow, who.chat_id, ref, tr("The draft is empty: write your opinion first."))
        return
    views = opinion_views(context)
    if submitted.in_receipt:
        receipt = await views.receipt(submitted.opinion, tr)
    else:  # not routed (its first step refused): the number alone
        receipt = tr("✅ Submitted as <b>{tracking_no}</b>.", tracking_no=esc(submitted.opinion.tracking_no))
    card = draft_text(tr, draft, hint=False, title=filed_title(tr, submitted.opinion))
    await edit_text(context.uow, who.chat_id, ref, card + "\n\n" + receipt)
    await views.deliver(submitted.notifications, context.services.clock.now())


@button(JoinPress, audit=JOIN_AUDIT, brief=True)
async def join_pressed(press: Press[JoinPress]) -> None:
    """Follow the similar opinion the bot offered in this draft (and no other)."""
    who, opinion_id = press.who, press.data.opinion_id
    cannot = who.tr("You cannot follow this opinion.")
    draft = await current_draft(press)
    if draft is None:  # a forged or stale follow request: refused like any other
        await press.refuse(
            cannot, reason="no open draft or a stale card", object_type="opinion", object_id=opinion_id
        )
        return
    opinion = await join_offered(
        press.uow, draft, opinion_id, person_id=who.person.id, station_id=who.person.station_id
    )
    if opinion is None:
        await press.refuse(cannot, audited=True)
        return
    await press.answer()
    followed = who.tr(
        "🤝 You now follow <b>{tracking_no}</b>; you will hear how it goes.",
        tracking_no=esc(opinion.tracking_no),
    )
    await edit_text(press.uow, who.chat_id, draft_ref(who.chat_id, draft.card), followed)
    await press.uow.chats.set(who.chat_id, None)


# -- following up ---------------------------------------------------------------------------------


async def my_opinions(update: Update, context: LiaisonContext) -> None:
    """/my: the sender's opinions with status and colour; a button opens each timeline.

    `/my LX-2026-000001` opens that one directly: what a cut notice points to for the full text.
    """
    who = await actor(update, context)
    if who is None:
        return
    if context.args:
        wanted = await viewable_by_tracking_no(context.uow, context.args[0], who.person.id)
        if wanted is not None:
            await show_opinion(context, who, wanted)
        else:
            await send_text(context.uow, who.chat_id, who.tr("You cannot act on this opinion."))
        return
    opinions = await context.uow.opinions.for_sender(who.person.id, limit=MY_LIST)
    if not opinions:
        text = who.tr("You have not sent any opinion yet. Just write it here.")
        await send_text(context.uow, who.chat_id, text)
        return
    text, markup = my_list(opinion_views(context), who.tr, opinions, context.services.clock.now())
    await send_text(context.uow, who.chat_id, text, markup=markup)


@button(MyPress)
async def my_pressed(press: Press[MyPress]) -> None:
    """Show one opinion's timeline to its sender or a follower."""
    opinion = await viewable_by_id(press.uow, press.data.opinion_id, press.who.person.id)
    if opinion is None:
        await press.refuse(press.who.tr("You cannot act on this opinion."), audited=True)
        return
    await press.answer()
    await show_opinion(press.context, press.who, opinion)


async def show_opinion(context: LiaisonContext, who: Actor[Any], opinion: Opinion) -> None:
    """The timeline; when it had to cut the text or the answer, they follow whole.

    A follower of a private opinion gets states and times only, and never the full text.
    """
    views = opinion_views(context)
    follower = opinion.sender_person_id != who.person.id
    extra = await suggestion_progress(context, opinion.id, who.tr)  # the suggestion it became, if any
    now = context.services.clock.now()
    timeline = await views.timeline_fitted(opinion, who.tr, now, follower=follower, extra=extra)
    await send_text(context.uow, who.chat_id, timeline.text)
    if timeline.cut and (not follower or (opinion.public and not opinion.anonymous)):
        await views.send_full_text(opinion, who.chat_id)


@button(VerdictPress)
async def verdict_pressed(press: Press[VerdictPress]) -> None:
    """✅ / 🆗 / ❌ under an answer: close it, or reopen it to the same deputy."""
    who, data = press.who, press.data
    outcome = await opinion_service(press.context).apply(
        data.opinion_id, VERDICT_ACTIONS[data.verdict], who.person.id
    )
    if outcome.refusal is not None or outcome.opinion is None:
        await press.refuse(
            refusal_text(who.tr, outcome.refusal or Refusal(RefusalReason.NOT_FOUND)), audited=True
        )
        return
    opinion = outcome.opinion
    await press.answer()
    views = opinion_views(press.context)
    thanks = verdict_thanks(
        who.tr,
        data.verdict,
        tracking_no=opinion.tracking_no,
        holder=await views.holder_name(opinion, who.tr),
        deadline=when(opinion.answer_deadline, views.zone),
    )
    if press.message_id is not None:
        await remove_keyboard(press.uow, who.chat_id, press.message_id)
    await press.say(thanks)
    now = press.context.services.clock.now()
    await views.deliver(outcome.notifications, now)
    await views.refresh_card(opinion, await views.holder_person(opinion), now)


@button(InfoPress)
async def info_pressed(press: Press[InfoPress]) -> None:
    """'Answer' under a deputy's question: the next message goes to the deputy."""
    who, opinion_id = press.who, press.data.opinion_id
    checked = await opinion_service(press.context).may(opinion_id, Action.INFO_RECEIVED, who.person.id)
    if isinstance(checked, Refusal):
        await press.refuse(refusal_text(who.tr, checked), audited=True)
        return
    await press.answer()
    await press.uow.chats.set(who.chat_id, dialogs.at(ConstituentDialog.INFO, opinion_id))
    await press.say(who.tr("Send your answer in one message; I will pass it on."))


async def relay_info(context: LiaisonContext, who: Actor[Any], opinion_id: int, message: Message) -> None:
    """Relay the sender's answer to the deputy, without revealing either Telegram account."""
    text = message.text or message.caption
    if not text:
        await send_text(context.uow, who.chat_id, who.tr("Please answer with a text message."))
        return
    if utf16_len(text) > MAX_INPUT:  # told before anything is relayed; the answer may be sent again
        await send_text(context.uow, who.chat_id, too_long(who.tr, text))
        return
    outcome = await opinion_service(context).apply(opinion_id, Action.INFO_RECEIVED, who.person.id, note=text)
    await context.uow.chats.set(who.chat_id, None)
    if outcome.refusal is not None or outcome.opinion is None:
        refusal = outcome.refusal or Refusal(RefusalReason.NOT_FOUND)
        await send_text(context.uow, who.chat_id, refusal_text(who.tr, refusal))
        return
    await send_text(context.uow, who.chat_id, who.tr("Your answer was passed to the deputy."))
    views = opinion_views(context)
    now = context.services.clock.now()
    await views.deliver(outcome.notifications, now)
    await views.refresh_card(outcome.opinion, await views.holder_person(outcome.opinion), now)


@button(FollowUpPress)
async def follow_up_pressed(press: Press[FollowUpPress]) -> None:
    """👍 / 👎 under the follow-up: recorded once; a problem that came back starts a new draft."""
    who, data = press.who, press.data
    solved = data.answer is FollowUpAnswer.SOLVED
    now = press.context.services.clock.now()
    opinion = await record_follow_up(press.uow, data.opinion_id, who.person.id, solved, now)
    if opinion is None:  # audited by record_follow_up
        await press.refuse(audited=True)
        return
    await press.answer()
    if press.message_id is not None:
        await remove_keyboard(press.uow, who.chat_id, press.message_id)
    if solved:
        await press.say(who.tr("Thank you for telling us!"))
        return
    draft = Draft(category=opinion.category, category_picked=True)
    draft.add_text(who.tr("The problem of {tracking_no} is back:", tracking_no=opinion.tracking_no))
    await press.say(who.tr("Sorry to hear that. Describe what is wrong now and submit it as a new opinion."))
    await show_draft(press.context, who, draft, fresh=True)


# -- the constituent's messages -------------------------------------------------------------------


async def draft_step(context: LiaisonContext, who: Actor[Any], dialog: Dialog, message: Message) -> None:
    """DRAFT: the message joins the open draft (unless it replies to a deputy's question)."""
    await unprompted_message(context, who, message, Draft.from_dict(dialog.data.get("draft")))


async def info_step(context: LiaisonContext, who: Actor[Any], dialog: Dialog, message: Message) -> None:
    """INFO: the message is the answer to the deputy's question on opinion <arg>."""
    await relay_info(context, who, dialog.int_arg() or 0, message)


DIALOG = {
    ConstituentDialog.DRAFT: Step(draft_step, full=False),
    ConstituentDialog.INFO: Step(info_step, full=False),
}


async def unprompted_message(
    context: LiaisonContext, who: Actor[Any], message: Message, draft: Draft | None = None
) -> None:
    """A message in no dialog (or in a draft): an answer to a deputy's question it replies to, else
    part of the draft (a new one when none is open). Without `draft` the chat's state is read again:
    a dialog that let the message through may have put a saved draft back (an expired reception form)."""
    replied = message.reply_to_message
    if replied is not None:
        opinion_id = await replied_question(
            context.uow, who.person.id, replied.message_id, ask_ref, context.services.outbox_message_id
        )
        if opinion_id is not None:
            await relay_info(context, who, opinion_id, message)
            return
    if draft is None:
        draft = await open_draft(context, who)
    await draft_message(context, who, draft or Draft(), message)
