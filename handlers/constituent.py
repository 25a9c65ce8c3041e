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
Dialog state lives in `chat_session`, so a restart resumes every draft.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import cache

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot.kit.callbacks import pack, unpack
from bot.kit.dialogs import Dialog
from bot.kit.i18n import Translator
from bot.kit.text_limits import MAX_INPUT, MESSAGE_LIMIT, cut, fit, utf16_len
from bot.opinions.drafts import CATEGORIES, Attachment, Draft
from bot.opinions.follow_up import record_follow_up
from bot.opinions.lifecycle import Action, Refusal, RefusalReason
from bot.opinions.service import AttachmentIn
from bot.opinions.similar import find_similar, joinable
from bot.opinions.views import MY, ROUTED_NOTICE, STATE_LABELS, ask_ref, category_label, too_long, when
from bot.people.binding import bind_by_payload, bind_to_station, match_phone
from bot.people.binding import bind_nearest as bind_nearest_station
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import answer_query, edit_message, edit_text, esc, remove_keyboard, reused, send_text
from handlers.common import Actor, actor, brief_actor, opinion_service, opinion_views, refusal_text
from handlers.dialogs import Step
from handlers.start import publish_menu
from storage.models import Opinion, Person

DRAFT = "dr"
STATION = "st"


class ConstituentDialog(StrEnum):
    DRAFT = "draft"  # the chat holds a draft (read by the draft's own handlers)
    INFO = "info"  # the next message answers the deputy's question on opinion <arg>


STATE_DRAFT, STATE_INFO = ConstituentDialog
VERDICTS = {
    "sat": Action.CONFIRM_SATISFIED,
    "basic": Action.CONFIRM_BASIC,
    "dis": Action.CONFIRM_DISSATISFIED,
}


# -- binding --------------------------------------------------------------------------------------


async def start(update: Update, context: LiaisonContext) -> None:
    """/start [payload]: greet; a deep link binds to a deputy or station; otherwise ask for the station."""
    who = await actor(update, context)
    if who is None:
        return
    _ = who.tr
    payload = context.args[0] if context.args else ""
    text = _(
        "Hello, {name}! I am Liaison, the assistant that connects you with your people's congress deputies.",
        name=esc(who.person.name),
    )
    if payload:
        bound = await bind_by_payload(context.uow, who.person, payload)
        if bound is None:
            text += "\n\n" + _("This link is not valid (any more). You can still write to me.")
        elif bound.deputy_name:
            text += "\n\n" + _(
                "You are now connected with deputy {deputy} ({station}).",
                deputy=esc(bound.deputy_name),
                station=esc(bound.station_name or "—"),
            )
        else:
            text += "\n\n" + _(
                "You are now connected with the station {station}.", station=esc(bound.station_name)
            )
    if who.person.deputy is not None:
        text += "\n\n" + _(
            "You are registered as a deputy. Opinions for you arrive here as task cards with buttons; "
            "/tasks lists the ones you are handling."
        )
    else:
        text += "\n\n" + _(
            "Write your opinion or suggestion here and I will pass it to the deputy responsible. "
            "Send /help to see what I can do."
        )
    left = await leave_dialog(context, who)
    if left is not None:
        text += "\n\n" + left
    await send_text(context.uow, who.chat_id, text)
    await publish_menu(context.uow, who.chat_id, who.person, who.tr)
    if who.person.station_id is None:
        await ask_station(context, who)


async def cancel(update: Update, context: LiaisonContext) -> None:
    """/cancel: the way out of a half-finished draft or a pending answer to a deputy's question."""
    who = await brief_actor(update, context)
    if who is None:
        return
    left = await leave_dialog(context, who, any_dialog=True)
    await send_text(context.uow, who.chat_id, left or who.tr("There is nothing to cancel."))


async def leave_dialog(context: LiaisonContext, who: Actor, *, any_dialog: bool = False) -> str | None:
    """Clear the constituent's draft or pending answer (and, for /cancel, any other dialog); returns
    what to tell them, or None when nothing was open."""
    session = await context.uow.chats.get(who.chat_id)
    kind = (session.state or "").partition(":")[0]
    if kind == STATE_DRAFT:
        draft = Draft.from_dict(session.data.get("draft"))
        if draft.card:  # the card loses its buttons, so nothing on it acts any more
            await edit_text(
                context.uow, who.chat_id, draft_ref(who.chat_id, draft.card), who.tr("🗑 Draft discarded.")
            )
        said = who.tr("Your unfinished draft is discarded.")
    elif kind == STATE_INFO:
        said = who.tr("Your answer to the deputy's question is cancelled; the question stays open.")
    elif kind and any_dialog:
        said = who.tr("Cancelled.")
    else:
        return None
    await context.uow.chats.set(who.chat_id, None)
    return said


async def ask_station(context: LiaisonContext, who: Actor) -> None:
    """Ask where the constituent lives: shared location (nearest station) or a list."""
    _ = who.tr
    keyboard = ReplyKeyboardMarkup(
        [
            [KeyboardButton(_("📍 Share my location"), request_location=True)],
            [KeyboardButton(_("📱 Share my phone number"), request_contact=True)],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await send_text(
        context.uow,
        who.chat_id,
        _(
            "Which liaison station is yours? Share your location and I will find the nearest one, "
            "share your phone number if the station registered you, or pick it from the list."
        ),
        markup=keyboard,
    )
    await send_text(
        context.uow, who.chat_id, _("Stations:"), markup=await station_keyboard(context, who, None)
    )


async def station_keyboard(
    context: LiaisonContext, who: Actor, parent_id: int | None
) -> InlineKeyboardMarkup:
    """One level of the station tree (homes, then their townships, then villages)."""
    rows = await context.uow.network.stations_under(parent_id, limit=60)
    buttons = [[InlineKeyboardButton(s.name, callback_data=pack(STATION, "open", s.id))] for s in rows]
    if parent_id is not None:
        buttons.insert(
            0, [InlineKeyboardButton(who.tr("✔️ This one"), callback_data=pack(STATION, "pick", parent_id))]
        )
    return InlineKeyboardMarkup(
        buttons or [[InlineKeyboardButton(who.tr("No stations yet"), callback_data=pack(STATION, "none"))]]
    )


async def station_pressed(update: Update, context: LiaisonContext) -> None:
    """Walk the station tree, or pick a station."""
    query, who = update.callback_query, await actor(update, context)
    if query is None or who is None:
        return
    parsed = unpack(query.data)
    station_id = parsed.int(1) if parsed else None
    station = await context.uow.network.station(station_id) if station_id else None
    if parsed is None or station is None or parsed.fields[0] not in ("open", "pick"):
        await answer_query(context.uow, who.chat_id, query.id, who.tr("This button is no longer valid."))
        return
    if parsed.fields[0] == "pick" and who.person.station_id == station.id:
        # Picked again (a double tap, or an older list): the message already says so, and editing
        # it to the same text is Telegram's 400 "message is not modified". Answer the press only.
        await answer_query(
            context.uow,
            who.chat_id,
            query.id,
            who.tr("You are already connected with the station {station}.", station=station.name),
        )
        return
    await answer_query(context.uow, who.chat_id, query.id)
    children = await station_keyboard(context, who, station.id)
    has_children = any(
        b.callback_data and str(b.callback_data).startswith("st:open")
        for row in children.inline_keyboard
        for b in row
    )
    if parsed.fields[0] == "open" and has_children and query.message is not None:
        await edit_message(
            context.uow,
            who.chat_id,
            query.message.message_id,
            who.tr("Stations in {name}:", name=esc(station.name)),
            markup=children,
        )
        return
    await bind_to_station(context.uow, who.person, station)
    text = who.tr("You are now connected with the station {station}.", station=esc(station.name))
    if query.message is not None:
        await edit_message(context.uow, who.chat_id, query.message.message_id, text)
    else:
        await send_text(context.uow, who.chat_id, text)


async def contact_shared(update: Update, context: LiaisonContext) -> None:
    """A shared phone number matches the constituent's imported record (own number only)."""
    message, who = update.effective_message, await actor(update, context)
    if message is None or who is None or message.contact is None:
        return
    if message.contact.user_id != who.account.telegram_id:
        await send_text(
            context.uow,
            who.chat_id,
            who.tr("Please share your own phone number."),
            markup=ReplyKeyboardRemove(),
        )
        return
    person = await match_phone(context.uow, who.person, message.contact.phone_number)
    person.phone_shared = True
    if person.id != who.person.id:
        text = who.tr("Thank you, {name}: I found you in the station's records.", name=esc(person.name))
    else:
        text = who.tr("Thank you, your phone number is saved. Deputies see it only on opinions you sign.")
    await send_text(context.uow, who.chat_id, text, markup=ReplyKeyboardRemove())


# -- the draft ------------------------------------------------------------------------------------


# Kept free on the draft card for what is appended to it (the receipt, a similar-opinion offer).
DRAFT_CARD_ROOM = 600


def draft_ref(chat_id: int, card: str) -> str:
    return f"draft:{chat_id}:{card}"


def draft_text(who: Actor, draft: Draft, *, hint: bool = True) -> str:
    _ = who.tr
    lines = [_("📝 <b>Your opinion (draft)</b>"), ""]
    lines.append("{text}" if draft.text else _("(no text yet)"))
    lines.append("")
    lines.append(
        _(
            "Category: {category}",
            category=category_label(who.tr, draft.category) if draft.category else _("not chosen"),
        )
    )
    extras = []
    if draft.attachments:
        extras.append(_("📎 {count} attachment(s)", count=len(draft.attachments)))
    if draft.location:
        extras.append(_("📍 location"))
    if extras:
        lines.append(" · ".join(extras))
    lines.append(_("Anonymous: {value}", value=_("yes") if draft.anonymous else _("no")))
    lines.append(
        _("Public (others may see and follow it): {value}", value=_("yes") if draft.public else _("no"))
    )
    if hint:
        lines += ["", _("Send more messages to add to it, or press Submit.")]
    if not draft.text:
        return "\n".join(lines)
    # The draft is capped below the limit; the cut guards what the cap cannot (an offer beside it).
    index = lines.index("{text}")

    def render(text: str) -> str:
        return "\n".join([*lines[:index], text, *lines[index + 1 :]])

    return fit(render, MESSAGE_LIMIT - DRAFT_CARD_ROOM, "…", text=draft.text).text


def draft_keyboard(who: Actor, draft: Draft) -> InlineKeyboardMarkup:
    return _draft_keyboard(who.tr, draft.anonymous, draft.public)


@cache
def _draft_keyboard(tr: Translator, anonymous: bool, public: bool) -> InlineKeyboardMarkup:
    """One per language, anonymity and publicity: the same buttons for every draft."""
    return reused(
        InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(tr("📂 Category"), callback_data=pack(DRAFT, "cats")),
                    InlineKeyboardButton(
                        tr("🕶 Anonymous: on") if anonymous else tr("👤 Anonymous: off"),
                        callback_data=pack(DRAFT, "anon"),
                    ),
                ],
                [
                    InlineKeyboardButton(
                        tr("👥 Public: on") if public else tr("🔒 Public: off"),
                        callback_data=pack(DRAFT, "pub"),
                    )
                ],
                [
                    InlineKeyboardButton(tr("📤 Submit"), callback_data=pack(DRAFT, "submit")),
                    InlineKeyboardButton(tr("🗑 Discard"), callback_data=pack(DRAFT, "discard")),
                ],
            ]
        )
    )


def category_keyboard(who: Actor, then_submit: bool) -> InlineKeyboardMarkup:
    return _category_keyboard(who.tr, then_submit)


@cache
def _category_keyboard(tr: Translator, then_submit: bool) -> InlineKeyboardMarkup:
    """One per language and variant: the categories are fixed while the bot runs."""
    action = "cs" if then_submit else "cat"
    buttons = [
        InlineKeyboardButton(tr(label), callback_data=pack(DRAFT, action, code))
        for code, label in CATEGORIES.items()
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([InlineKeyboardButton(tr("⬅️ Back"), callback_data=pack(DRAFT, "back"))])
    return reused(InlineKeyboardMarkup(rows))


async def show_draft(context: LiaisonContext, who: Actor, draft: Draft, *, fresh: bool) -> None:
    """Show the card at the bottom of the chat; the previous card keeps its text but loses its buttons."""
    if fresh:
        if draft.card:
            await edit_text(
                context.uow,
                who.chat_id,
                draft_ref(who.chat_id, draft.card),
                who.tr("📝 Draft continued below ⬇️"),
            )
        draft.card = secrets.token_hex(4)
        await send_text(
            context.uow,
            who.chat_id,
            draft_text(who, draft),
            markup=draft_keyboard(who, draft),
            ref=draft_ref(who.chat_id, draft.card),
        )
    else:
        await edit_text(
            context.uow,
            who.chat_id,
            draft_ref(who.chat_id, draft.card),
            draft_text(who, draft),
            markup=draft_keyboard(who, draft),
        )
    await context.uow.chats.set(who.chat_id, STATE_DRAFT, {"draft": draft.to_dict()})


async def add_to_draft(update: Update, context: LiaisonContext, who: Actor, message: Message) -> None:
    """Text, photo, voice, document or location: start a draft or join the open one."""
    session = await context.uow.chats.get(who.chat_id)
    draft = Draft.from_dict(session.data.get("draft") if session.state == STATE_DRAFT else None)
    ok = True
    if message.location is not None:
        if who.person.station_id is None:
            full = await actor(update, context)  # binding changes the person
            if full is not None:
                await bind_nearest(context, full, message.location.latitude, message.location.longitude)
            return
        draft.location = (message.location.latitude, message.location.longitude)
    elif message.photo:
        big = message.photo[-1]
        photo = Attachment("photo", big.file_id, big.file_unique_id, message.caption)
        ok = draft.add_attachment(photo, message.message_id)
    elif message.voice is not None:
        ok = draft.add_attachment(Attachment("voice", message.voice.file_id, message.voice.file_unique_id))
    elif message.document is not None:
        doc = message.document
        document = Attachment("document", doc.file_id, doc.file_unique_id, message.caption)
        ok = draft.add_attachment(document, message.message_id)
    elif message.text is not None:
        ok = draft.add_text(message.text, message.message_id)
    else:
        await send_text(
            context.uow,
            who.chat_id,
            who.tr("I can take text, photos, voice messages, documents and locations."),
        )
        return
    if not ok:
        # As Telegram counts (UTF-16 units): the writer learns it before anything is filed.
        grown = utf16_len(draft.text) + utf16_len(message.text or message.caption or "") + bool(draft.parts)
        await send_text(
            context.uow,
            who.chat_id,
            who.tr(
                "That message was not added: the draft would have {length} characters, and at most "
                "{limit} fit. Shorten it and send it again, or submit the draft as it is.",
                length=grown,
                limit=MAX_INPUT,
            )
            if grown > MAX_INPUT
            else who.tr(
                "The draft is full (3,000 characters, 10 attachments). Submit it, or start a new one "
                "after it."
            ),
        )
    await show_draft(context, who, draft, fresh=True)


async def message_edited(context: LiaisonContext, who: Actor, message: Message) -> None:
    """The constituent edited a message: in the open draft it replaces its part; in a filed
    opinion it becomes a note to the holder; anything else is left alone."""
    text = message.text or message.caption or ""
    session = await context.uow.chats.get(who.chat_id)
    if session.state == STATE_DRAFT:
        draft = Draft.from_dict(session.data.get("draft"))
        if draft.holds(message.message_id):
            if not draft.replace_text(message.message_id, text):
                await send_text(
                    context.uow,
                    who.chat_id,
                    who.tr("The corrected text does not fit in the draft; the draft keeps the old one."),
                )
                return
            draft.offered = None  # an offer made for the old text no longer holds
            await show_draft(context, who, draft, fresh=False)
            return
    if not text.strip():
        return
    service = opinion_service(context)
    opinion = await service.sender_message(who.person.id, message.message_id)
    if opinion is None:
        return
    outcome = await service.add_note(opinion, who.person.id, text)
    if outcome.refusal is not None:
        await send_text(
            context.uow,
            who.chat_id,
            who.tr(
                "Opinion <b>{tracking_no}</b> is closed, so your correction was not passed on. "
                "Write to me to start a new opinion.",
                tracking_no=esc(opinion.tracking_no),
            ),
        )
        return
    await send_text(
        context.uow,
        who.chat_id,
        who.tr(
            "Your correction to <b>{tracking_no}</b> was passed to {holder}.",
            tracking_no=esc(opinion.tracking_no),
            holder=await opinion_views(context).holder_name(opinion, who.tr),
        ),
    )
    await opinion_views(context).deliver(outcome.notifications, context.services.clock.now())


async def bind_nearest(
    context: LiaisonContext, who: Actor[Person], latitude: float, longitude: float
) -> None:
    """Bind to the station nearest a shared location; none near: say so and offer the list."""
    max_km = context.services.settings.station_max_km
    found = await bind_nearest_station(context.uow, who.person, latitude, longitude, max_km)
    if found is None:
        await send_text(
            context.uow,
            who.chat_id,
            who.tr("I know no stations with a location yet."),
            markup=ReplyKeyboardRemove(),
        )
        return
    if not found.within_reach:
        await send_text(
            context.uow,
            who.chat_id,
            who.tr(
                "No station is near that location (within {max_km:.0f} km). Please pick yours from the list.",
                max_km=max_km,
            ),
            markup=ReplyKeyboardRemove(),
        )
        await send_text(
            context.uow, who.chat_id, who.tr("Stations:"), markup=await station_keyboard(context, who, None)
        )
        return
    await send_text(
        context.uow,
        who.chat_id,
        who.tr(
            "The nearest station is {station} ({km:.1f} km away). You are now connected with it.",
            station=esc(found.station.name),
            km=found.km,
        ),
        markup=ReplyKeyboardRemove(),
    )


async def draft_pressed(update: Update, context: LiaisonContext) -> None:
    """Buttons of the draft card: category, anonymity, submit, discard, join a similar opinion."""
    query, who = update.callback_query, await brief_actor(update, context)
    if query is None or who is None:
        return
    parsed = unpack(query.data)
    op = parsed.fields[0] if parsed and parsed.fields else ""
    session = await context.uow.chats.get(who.chat_id)
    draft = Draft.from_dict(session.data.get("draft")) if session.state == STATE_DRAFT else None
    message_id = query.message.message_id if query.message else None
    if (
        parsed is None
        or draft is None
        or (message_id is not None and not await is_current_card(context, who, draft, message_id))
    ):
        if op == "join":  # a forged or stale follow request: refused like any other
            await refuse_join(
                context, who, query.id, parsed.int(1) if parsed else None, "no open draft or a stale card"
            )
            return
        await answer_query(context.uow, who.chat_id, query.id, who.tr("This draft is no longer open."))
        return
    args = parsed.fields[1:]
    if op == "join":
        await join_similar(context, who, query.id, draft, parsed.int(1))
        return
    await answer_query(context.uow, who.chat_id, query.id)
    if op != "new":
        draft.offered = None  # the offer's buttons are gone from the card
    if op == "anon":
        draft.set_anonymous(not draft.anonymous)
        await show_draft(context, who, draft, fresh=False)
    elif op == "pub":
        draft.set_public(not draft.public)
        await show_draft(context, who, draft, fresh=False)
    elif op in ("cats", "back"):
        markup = category_keyboard(who, then_submit=False) if op == "cats" else draft_keyboard(who, draft)
        await edit_text(
            context.uow,
            who.chat_id,
            draft_ref(who.chat_id, draft.card),
            draft_text(who, draft),
            markup=markup,
        )
    elif op in ("cat", "cs") and args and args[0] in CATEGORIES:
        draft.category = args[0]
        if op == "cs":
            await submit(context, who, draft, check_similar=True)
        else:
            await show_draft(context, who, draft, fresh=False)
    elif op == "submit":
        if draft.category is None:
            await edit_text(
                context.uow,
                who.chat_id,
                draft_ref(who.chat_id, draft.card),
                draft_text(who, draft) + "\n\n" + who.tr("Choose a category to submit:"),
                markup=category_keyboard(who, then_submit=True),
            )
        else:
            await submit(context, who, draft, check_similar=True)
    elif op == "new":
        await submit(context, who, draft, check_similar=False)
    elif op == "discard":
        await edit_text(
            context.uow, who.chat_id, draft_ref(who.chat_id, draft.card), who.tr("🗑 Draft discarded.")
        )
        await context.uow.chats.set(who.chat_id, None)


async def is_current_card(context: LiaisonContext, who: Actor, draft: Draft, message_id: int) -> bool:
    """Only the newest card's buttons act; older cards are stale."""
    ref = draft_ref(who.chat_id, draft.card)
    remembered = context.services.outbox_message_id
    known = remembered(ref) if remembered is not None else None
    if known is not None:
        return known == message_id
    row = await context.uow.outbox.last_sent_for(ref)
    return row is None or row.result_message_id == message_id


async def submit(context: LiaisonContext, who: Actor, draft: Draft, *, check_similar: bool) -> None:
    """Submit the draft (after offering to join a similar open opinion)."""
    if draft.empty:
        await edit_text(
            context.uow,
            who.chat_id,
            draft_ref(who.chat_id, draft.card),
            who.tr("The draft is empty: write your opinion first."),
        )
        await context.uow.chats.set(who.chat_id, None)
        return
    category = draft.category or "other"
    if check_similar:
        similar = await find_similar(context.uow, who.person.station_id, category, draft.text, who.person.id)
        if similar is not None:
            markup = InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            who.tr("🤝 Join it"), callback_data=pack(DRAFT, "join", similar.id)
                        )
                    ],
                    [InlineKeyboardButton(who.tr("📤 Submit mine"), callback_data=pack(DRAFT, "new"))],
                ]
            )
            await edit_text(
                context.uow,
                who.chat_id,
                draft_ref(who.chat_id, draft.card),
                draft_text(who, draft) + "\n\n" + similar_hint(context, who, similar),
                markup=markup,
            )
            draft.offered = similar.id  # the one id a join from this draft may name
            await context.uow.chats.set(who.chat_id, STATE_DRAFT, {"draft": draft.to_dict()})
            return
    service = opinion_service(context)
    outcome = await service.submit(
        who.person.id,
        category,
        draft.text,
        station_id=who.person.station_id,
        anonymous=draft.anonymous,
        public=draft.public,
        message_ids=draft.message_ids,
        latitude=draft.location[0] if draft.location else None,
        longitude=draft.location[1] if draft.location else None,
        attachments=[AttachmentIn(a.kind, a.file_id, a.file_unique_id, a.caption) for a in draft.attachments],
    )
    opinion = outcome.opinion
    assert opinion is not None
    views = opinion_views(context)
    # The sender's own "routed" notice is told in the receipt instead of a message of its own.
    others = [
        n
        for n in outcome.notifications
        if not (n.recipient_person_id == who.person.id and n.key == ROUTED_NOTICE)
    ]
    if len(others) < len(outcome.notifications):
        receipt = await views.receipt(opinion, who.tr)
    else:  # not routed (its first step refused): the number alone
        receipt = who.tr("✅ Submitted as <b>{tracking_no}</b>.", tracking_no=esc(opinion.tracking_no))
    await edit_text(
        context.uow,
        who.chat_id,
        draft_ref(who.chat_id, draft.card),
        draft_text(who, draft, hint=False) + "\n\n" + receipt,
    )
    await context.uow.chats.set(who.chat_id, None)
    await views.deliver(others, context.services.clock.now())


def similar_hint(context: LiaisonContext, who: Actor, similar: Opinion) -> str:
    """Only a public opinion is quoted; of a private one the neighbour learns its category and date."""
    if similar.public and not similar.anonymous:
        return who.tr(
            "A similar opinion is already open at your station: <b>{tracking_no}</b> "
            "“{snippet}”. Join it instead? You will hear how it goes.",
            tracking_no=esc(similar.tracking_no),
            snippet=esc(cut(similar.text, 200)),
        )
    return who.tr(
        "A similar matter ({category}, {date}) is already being handled at your station. Follow it? "
        "You will hear when its state changes.",
        category=category_label(who.tr, similar.category),
        date=similar.created_at.astimezone(context.services.settings.zone).strftime("%Y-%m-%d"),
    )


async def refuse_join(
    context: LiaisonContext, who: Actor, query_id: str, opinion_id: int | None, reason: str
) -> None:
    """A follow request the bot did not offer (forged, stale, or no longer alike): answered and audited."""
    await context.uow.audit.record(
        "opinion.join",
        actor_person_id=who.person.id,
        object_type="opinion",
        object_id=opinion_id,
        allowed=False,
        reason=reason,
    )
    await answer_query(
        context.uow, who.chat_id, query_id, who.tr("You cannot follow this opinion."), alert=True
    )


async def join_similar(
    context: LiaisonContext, who: Actor, query_id: str, draft: Draft, opinion_id: int | None
) -> None:
    """Follow the similar opinion the bot offered in this draft (and no other)."""
    opinion = await joinable(
        context.uow,
        opinion_id,
        offered=draft.offered,
        person_id=who.person.id,
        station_id=who.person.station_id,
        category=draft.category or "other",
        text=draft.text,
    )
    if opinion is None:
        reason = "not offered" if opinion_id != draft.offered or opinion_id is None else "no longer alike"
        await refuse_join(context, who, query_id, opinion_id, reason)
        return
    await answer_query(context.uow, who.chat_id, query_id)
    await context.uow.opinions.subscribe(opinion.id, who.person.id)
    await edit_text(
        context.uow,
        who.chat_id,
        draft_ref(who.chat_id, draft.card),
        who.tr(
            "🤝 You now follow <b>{tracking_no}</b>; you will hear how it goes.",
            tracking_no=esc(opinion.tracking_no),
        ),
    )
    await context.uow.chats.set(who.chat_id, None)


# -- following up ---------------------------------------------------------------------------------


async def my_opinions(update: Update, context: LiaisonContext) -> None:
    """/my: the sender's opinions with status and colour; a button opens each timeline.

    `/my LX-2026-000001` opens that one directly: what a cut notice points to for the full text.
    """
    who = await actor(update, context)
    if who is None:
        return
    if context.args:
        wanted = await context.uow.opinions.by_tracking_no(context.args[0].strip().upper()[:32])
        if await may_view(context, who, wanted, wanted.id if wanted else None):
            assert wanted is not None
            await show_opinion(context, who, wanted)
        else:
            await send_text(context.uow, who.chat_id, who.tr("You cannot act on this opinion."))
        return
    opinions = await context.uow.opinions.for_sender(who.person.id, limit=20)
    if not opinions:
        await send_text(
            context.uow, who.chat_id, who.tr("You have not sent any opinion yet. Just write it here.")
        )
        return
    views = opinion_views(context)
    now = context.services.clock.now()
    lines = [who.tr("Your opinions:")]
    buttons = []
    for opinion in opinions:
        lines.append(
            f"{views.colour_mark(opinion, now)} <b>{esc(opinion.tracking_no)}</b> · "
            f"{category_label(who.tr, opinion.category)} · {who.tr(STATE_LABELS[opinion.state])}"
        )
        buttons.append([InlineKeyboardButton(opinion.tracking_no, callback_data=pack(MY, opinion.id))])
    await send_text(context.uow, who.chat_id, "\n".join(lines), markup=InlineKeyboardMarkup(buttons[:20]))


async def my_pressed(update: Update, context: LiaisonContext) -> None:
    """Show one opinion's timeline to its sender or a follower."""
    query, who = update.callback_query, await actor(update, context)
    if query is None or who is None:
        return
    parsed = unpack(query.data)
    opinion_id = parsed.int(0) if parsed else None
    opinion = await context.uow.opinions.get(opinion_id) if opinion_id else None
    if not await may_view(context, who, opinion, opinion_id):
        await answer_query(context.uow, who.chat_id, query.id, who.tr("You cannot act on this opinion."))
        return
    assert opinion is not None
    await answer_query(context.uow, who.chat_id, query.id)
    await show_opinion(context, who, opinion)


async def may_view(
    context: LiaisonContext, who: Actor, opinion: Opinion | None, opinion_id: int | None
) -> bool:
    """Its sender and its followers may see an opinion; a refusal is audited."""
    if opinion is not None and (
        opinion.sender_person_id == who.person.id
        or who.person.id in await context.uow.opinions.subscribers(opinion.id)
    ):
        return True
    await context.uow.audit.record(
        "opinion.view",
        actor_person_id=who.person.id,
        object_type="opinion",
        object_id=opinion_id,
        allowed=False,
    )
    return False


async def show_opinion(context: LiaisonContext, who: Actor, opinion: Opinion) -> None:
    """The timeline; when it had to cut the text or the answer, they follow whole.

    A follower of a private opinion gets states and times only, and never the full text.
    """
    views = opinion_views(context)
    follower = opinion.sender_person_id != who.person.id
    timeline = await views.timeline_fitted(opinion, who.tr, context.services.clock.now(), follower=follower)
    await send_text(context.uow, who.chat_id, timeline.text)
    if timeline.cut and (not follower or (opinion.public and not opinion.anonymous)):
        await views.send_full_text(opinion, who.chat_id)


async def verdict_pressed(update: Update, context: LiaisonContext) -> None:
    """✅ / 🆗 / ❌ under an answer: close it, or reopen it to the same deputy."""
    query, who = update.callback_query, await actor(update, context)
    if query is None or who is None:
        return
    parsed = unpack(query.data)
    action = VERDICTS.get(parsed.fields[0]) if parsed and parsed.fields else None
    opinion_id = parsed.int(1) if parsed else None
    if action is None or opinion_id is None:
        await answer_query(context.uow, who.chat_id, query.id, who.tr("This button is no longer valid."))
        return
    outcome = await opinion_service(context).apply(opinion_id, action, who.person.id)
    if outcome.refusal is not None:
        await answer_query(
            context.uow, who.chat_id, query.id, refusal_text(who.tr, outcome.refusal), alert=True
        )
        return
    opinion = outcome.opinion
    assert opinion is not None
    await answer_query(context.uow, who.chat_id, query.id)
    views = opinion_views(context)
    thanks = {
        Action.CONFIRM_SATISFIED: who.tr("Thank you! Opinion <b>{tracking_no}</b> is closed: satisfied."),
        Action.CONFIRM_BASIC: who.tr(
            "Thank you! Opinion <b>{tracking_no}</b> is closed: basically satisfied."
        ),
        Action.CONFIRM_DISSATISFIED: who.tr(
            "Opinion <b>{tracking_no}</b> is reopened to deputy {holder}, and their "
            "supervisor is informed. You will hear again by {deadline}."
        ),
    }[action].format(
        tracking_no=esc(opinion.tracking_no),
        holder=await views.holder_name(opinion, who.tr),
        deadline=when(opinion.answer_deadline, views.zone),
    )
    if query.message is not None:
        await remove_keyboard(context.uow, who.chat_id, query.message.message_id)
    await send_text(context.uow, who.chat_id, thanks)
    now = context.services.clock.now()
    await views.deliver(outcome.notifications, now)
    await views.refresh_card(opinion, await views.holder_person(opinion), now)


async def info_pressed(update: Update, context: LiaisonContext) -> None:
    """'Answer' under a deputy's question: the next message goes to the deputy."""
    query, who = update.callback_query, await actor(update, context)
    if query is None or who is None:
        return
    parsed = unpack(query.data)
    opinion_id = parsed.int(0) if parsed else None
    checked = await opinion_service(context).may(opinion_id or 0, Action.INFO_RECEIVED, who.person.id)
    if isinstance(checked, Refusal):
        await answer_query(context.uow, who.chat_id, query.id, refusal_text(who.tr, checked), alert=True)
        return
    await answer_query(context.uow, who.chat_id, query.id)
    await context.uow.chats.set(who.chat_id, f"{STATE_INFO}:{opinion_id}")
    await send_text(context.uow, who.chat_id, who.tr("Send your answer in one message; I will pass it on."))


async def relay_info(context: LiaisonContext, who: Actor, opinion_id: int, message: Message) -> None:
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
        await send_text(
            context.uow,
            who.chat_id,
            refusal_text(who.tr, outcome.refusal or Refusal(RefusalReason.NOT_FOUND)),
        )
        return
    await send_text(context.uow, who.chat_id, who.tr("Your answer was passed to the deputy."))
    views = opinion_views(context)
    now = context.services.clock.now()
    await views.deliver(outcome.notifications, now)
    await views.refresh_card(outcome.opinion, await views.holder_person(outcome.opinion), now)


async def replied_question(context: LiaisonContext, who: Actor, message: Message) -> int | None:
    """The opinion whose question this message replies to, if it is one."""
    replied = message.reply_to_message
    if replied is None:
        return None
    for opinion in await context.uow.opinions.for_sender(who.person.id, open_only=True):
        row = await context.uow.outbox.last_sent_for(ask_ref(opinion.id, who.person.id))
        if row is not None and row.result_message_id == replied.message_id:
            return opinion.id
    return None


async def follow_up_pressed(update: Update, context: LiaisonContext) -> None:
    """👍 / 👎 under the follow-up: recorded once; a problem that came back starts a new draft."""
    query, who = update.callback_query, await actor(update, context)
    if query is None or who is None:
        return
    parsed = unpack(query.data)
    opinion_id = parsed.int(1) if parsed else None
    choice = parsed.fields[0] if parsed and parsed.fields else ""
    opinion = None
    if opinion_id is not None and choice in ("ok", "back"):
        opinion = await record_follow_up(
            context.uow, opinion_id, who.person.id, choice == "ok", context.services.clock.now()
        )
    if opinion is None:
        await answer_query(
            context.uow, who.chat_id, query.id, who.tr("This button is no longer valid."), alert=True
        )
        return
    await answer_query(context.uow, who.chat_id, query.id)
    if query.message is not None:
        await remove_keyboard(context.uow, who.chat_id, query.message.message_id)
    if choice == "ok":
        await send_text(context.uow, who.chat_id, who.tr("Thank you for telling us!"))
        return
    draft = Draft(category=opinion.category)
    draft.add_text(who.tr("The problem of {tracking_no} is back:", tracking_no=opinion.tracking_no))
    await send_text(
        context.uow,
        who.chat_id,
        who.tr("Sorry to hear that. Describe what is wrong now and submit it as a new opinion."),
    )
    await show_draft(context, who, draft, fresh=True)


async def _info_step(context: LiaisonContext, who: Actor, dialog: Dialog, message: Message) -> None:
    await relay_info(context, who, dialog.int_arg() or 0, message)


DIALOG = {ConstituentDialog.INFO: Step(_info_step, full=False)}


async def unprompted_message(update: Update, context: LiaisonContext, who: Actor, message: Message) -> None:
    """A message in no dialog: an answer to a deputy's question it replies to, else part of the draft."""
    replied = await replied_question(context, who, message)
    if replied is not None:
        await relay_info(context, who, replied, message)
        return
    await add_to_draft(update, context, who, message)
