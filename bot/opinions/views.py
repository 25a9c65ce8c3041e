"""How opinions look in chat: notices, the deputy's task card, keyboards. Rendering only, no rules.

Services return domain notifications (recipient, key, params); `deliver` renders each one in the
recipient's language and puts it in the outbox, inside the transaction of the change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.callbacks import pack
from bot.kit.i18n import N_, Translator, translator
from bot.kit.text_limits import CAPTION_LIMIT, MAX_INPUT, MESSAGE_LIMIT, Fitted, chunks, cut, fit, utf16_len
from bot.kit.times import when
from bot.opinions.candidates import Candidate
from bot.opinions.card_buttons import (
    CancelAnswer,
    CardAction,
    CardPress,
    OpenCard,
    RewriteAnswer,
    SendAnswer,
    TransferTo,
)
from bot.opinions.drafts import CATEGORIES
from bot.opinions.entities import Opinion, OpinionAttachment, OpinionEvent, OpinionState
from bot.opinions.lifecycle import Action, ActorKind, allowed_actions
from bot.opinions.service import FOLLOWED, NOTE, SENDER_NOTE, Notification
from bot.opinions.sla import SlaPolicy, colour, running_clock
from bot.people.entities import Person, PersonBrief
from bot.people.identity import locale_of
from bot.runtime.context import UnitOfWork
from bot.runtime.replies import edit_text, esc, send_raw, send_text
from bot.runtime.settings import Settings

CONFIRM = "cf"  # the sender's verdict on an answer
INFO = "in"  # the sender answers a deputy's question
MY = "my"  # the sender opens one of their opinions
FOLLOW = "fu"  # the sender answers the follow-up
ROUTED_NOTICE = "opinion.routed"  # told to a Telegram submitter in the receipt (`receipt`)
TASKS_SHOWN = 30  # lines of /tasks
NOTE_UNITS = 3000  # a sender's correction as the holder reads it: room for the notice within 4096

STATE_LABELS: dict[str, str] = {
    OpinionState.SUBMITTED: N_("submitted"),
    OpinionState.ROUTED: N_("waiting to be accepted"),
    OpinionState.ACCEPTED: N_("being handled"),
    OpinionState.AWAITING_INFO: N_("waiting for the sender's answer"),
    OpinionState.ANSWERED: N_("answered"),
    OpinionState.CLOSED: N_("closed"),
    OpinionState.REOPENED: N_("reopened"),
    OpinionState.TRANSFERRED: N_("transferred, waiting to be accepted"),
    OpinionState.ESCALATED: N_("taken up as a formal suggestion"),
    OpinionState.REJECTED: N_("not taken up"),
    OpinionState.DUPLICATE: N_("joined to another opinion"),
}
COLOUR_MARKS = {"green": "🟢", "yellow": "🟡", "red": "🔴"}

# The task card's buttons, in the order the lifecycle lists the holder's actions.
ACTION_BUTTONS: dict[Action, tuple[CardAction, str]] = {
    Action.ACCEPT: (CardAction.ACCEPT, N_("✅ Accept")),
    Action.ASK: (CardAction.ASK, N_("❓ Ask")),
    Action.ANSWER: (CardAction.REPLY, N_("💬 Reply")),
    Action.TRANSFER: (CardAction.TRANSFER, N_("↪️ Transfer")),
    Action.ESCALATE: (CardAction.ESCALATE, N_("⬆️ Escalate")),
}
# What the deputy is told when an action of theirs went through.
DONE: dict[Action, str] = {
    Action.ACCEPT: N_("Accepted. Please answer by the deadline on the card."),
    Action.ESCALATE: N_("Marked for a formal suggestion; the sender and your supervisor are told."),
    Action.ASK: N_("Your question was sent to the sender."),
    Action.ANSWER: N_("Your answer was sent to the sender."),
    Action.TRANSFER: N_("Transferred."),
}

NOTICES: dict[str, str] = {
    "opinion.routed": N_(
        "Your opinion <b>{tracking_no}</b> is with deputy {holder} ({station}). "
        "They will accept it by {accept_deadline}."
    ),
    "opinion.routed.triage": N_(
        "Your opinion <b>{tracking_no}</b> is with the congress office, who will find the deputy responsible."
    ),
    "opinion.accepted": N_(
        "Deputy {holder} accepted your opinion <b>{tracking_no}</b> and will answer by {answer_deadline}."
    ),
    "opinion.info_requested": N_(
        "Deputy {holder} has a question about your opinion <b>{tracking_no}</b>:\n\n"
        "{question}\n\nReply to this message, or press Answer, to respond."
    ),
    "opinion.info_received": N_("The sender of <b>{tracking_no}</b> answered your question:\n\n{info}"),
    "opinion.transferred": N_(
        "Your opinion <b>{tracking_no}</b> was transferred to deputy {holder}. Reason: {reason}"
    ),
    "opinion.transferred.triage": N_(
        "Your opinion <b>{tracking_no}</b> was passed back to the congress "
        "office, who will find the deputy responsible. Reason: {reason}"
    ),
    "opinion.transferred_away": N_(
        "Opinion <b>{tracking_no}</b> is no longer with you: it went to {holder}."
    ),
    "opinion.escalated": N_(
        "Deputy {holder} is taking up your opinion <b>{tracking_no}</b> as a formal "
        "suggestion to the congress."
    ),
    "opinion.escalated_supervisor": N_(
        "Deputy {holder} escalated opinion <b>{tracking_no}</b> to a formal suggestion."
    ),
    "opinion.answered": N_(
        "Deputy {holder} answered your opinion <b>{tracking_no}</b>:\n\n{answer}\n\n"
        "Are you satisfied with the answer?"
    ),
    "opinion.closed_satisfied": N_(
        "The sender of <b>{tracking_no}</b> is satisfied with your answer. It is closed."
    ),
    "opinion.closed_basic": N_(
        "The sender of <b>{tracking_no}</b> is basically satisfied with your answer. It is closed."
    ),
    "opinion.reopened": N_(
        "The sender of <b>{tracking_no}</b> is not satisfied with the answer. It is "
        "reopened to you; please answer again by {answer_deadline}."
    ),
    "opinion.reopened_supervisor": N_(
        "Opinion <b>{tracking_no}</b>, held by deputy {holder}, was reopened: "
        "the sender is not satisfied with the answer."
    ),
    "opinion.reopened_ack": N_("Your opinion <b>{tracking_no}</b> is reopened to deputy {holder}."),
    "opinion.auto_closed": N_(
        "Opinion <b>{tracking_no}</b> was closed: there was no confirmation within 14 days of the answer."
    ),
    "opinion.rejected": N_(
        "Your opinion <b>{tracking_no}</b> was not taken up by the congress office. Reason: {reason}"
    ),
    "opinion.withdrawn": N_("Opinion <b>{tracking_no}</b> was withdrawn from you by the congress office."),
    "opinion.duplicate": N_(
        "Your opinion <b>{tracking_no}</b> was joined to <b>{duplicate_of}</b>, which is "
        "about the same matter. You will hear how it goes."
    ),
    # To followers: a private opinion's followers learn its state, never its texts or its sender.
    FOLLOWED: N_("Opinion <b>{tracking_no}</b>, which you follow, is now: {state}."),
    FOLLOWED + ".answered": N_("Opinion <b>{tracking_no}</b>, which you follow, was answered:\n\n{answer}"),
    # To the holder: the sender edited a message of the opinion after filing it.
    SENDER_NOTE: N_("✏️ The sender of <b>{tracking_no}</b> corrected their message:\n\n{note}"),
    "opinion.follow_up": N_(
        "A while ago your opinion <b>{tracking_no}</b> was closed as solved. Has it stayed solved?"
    ),
    "opinion.warning.yellow": N_(
        "🟡 Opinion <b>{tracking_no}</b> ({holder}): the deadline {deadline} is near."
    ),
    "opinion.warning.red": N_(
        "🔴 Opinion <b>{tracking_no}</b> ({holder}) is overdue: the deadline was {deadline}."
    ),
    # To members of the category's special committee: they supervise, the holder acts.
    "opinion.warning.red.cc": N_(
        "🔴 Copy for the special committee {committee}: opinion <b>{tracking_no}</b> "
        "({category} · {station} · held by {holder}) is {overdue} overdue; the deadline was {deadline}. "
        "For your supervision: the holder acts on it."
    ),
}


def category_label(tr: Translator, code: str | None) -> str:
    return tr(CATEGORIES[code]) if code in CATEGORIES else esc(code or "—")


def overdue_label(tr: Translator, seconds: int) -> str:
    """How long past the deadline, to the minute: a day-level figure alone hides a fresh breach."""
    minutes = max(seconds, 0) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return tr("{days} d {hours} h", days=days, hours=hours)
    if hours:
        return tr("{hours} h {minutes} min", hours=hours, minutes=minutes)
    return tr("{minutes} min", minutes=minutes)


# Those sent to the deputy who holds the opinion (the rest go to its sender): they get the deputy's tail.
DEPUTY_FACING = frozenset({"opinion.info_received"})


def sender_tail(tr: Translator, tracking_no: str) -> str:
    """Ends the sender's cut text: `/my N` shows the opinion with its full text."""
    return tr("… full text: /my {tracking_no}", tracking_no=tracking_no)


def deputy_tail(tr: Translator) -> str:
    """Ends a deputy's cut text: the opinion's button in /tasks sends the card and the full text."""
    return tr("… full text: /tasks, then the opinion's button")


def too_long(tr: Translator, text: str) -> str:
    """Why a question, answer or reply was not taken: its length as Telegram counts it, and the cap."""
    return tr(
        "That is {length} characters; at most {limit} fit. Nothing was sent: please shorten it and "
        "send it again in one message.",
        length=utf16_len(text),
        limit=MAX_INPUT,
    )


def card_ref(opinion_id: int, person_id: int) -> str:
    return f"card:{opinion_id}:{person_id}"


def ask_ref(opinion_id: int, person_id: int) -> str:
    return f"ask:{opinion_id}:{person_id}"


# -- the deputy's dialogs ----------------------------------------------------------------------


def transfer_offer(
    tr: Translator, opinion: Opinion, found: Sequence[Candidate]
) -> tuple[str, InlineKeyboardMarkup]:
    """The transfer list: colleagues best first, then the congress office."""
    buttons = [
        [InlineKeyboardButton(c.name, callback_data=TransferTo(opinion.id, c.deputy_id).pack())]
        for c in found
    ]
    office = tr("🏛 Back to the congress office")
    buttons.append([InlineKeyboardButton(office, callback_data=TransferTo(opinion.id, 0).pack())])
    text = tr("Transfer {tracking_no} to whom?", tracking_no=esc(opinion.tracking_no))
    return text, InlineKeyboardMarkup(buttons)


def answer_preview(tr: Translator, opinion_id: int, answer: str) -> tuple[str, InlineKeyboardMarkup]:
    """The deputy's answer as the sender will read it, cut to fit, with Send / Rewrite / Cancel."""
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(tr("📤 Send"), callback_data=SendAnswer(opinion_id).pack()),
                InlineKeyboardButton(tr("✏️ Rewrite"), callback_data=RewriteAnswer(opinion_id).pack()),
                InlineKeyboardButton(tr("✖️ Cancel"), callback_data=CancelAnswer(opinion_id).pack()),
            ]
        ]
    )
    label = tr("Preview of your answer:")
    return fit(lambda answer: f"{label}\n\n{answer}", MESSAGE_LIMIT, "…", answer=answer).text, markup


def answer_sent(tr: Translator, answer: str) -> str:
    """What the preview becomes once sent: the whole answer, as far as it fits."""
    label = tr("📤 Answer sent:")
    return fit(lambda answer: f"{label}\n\n{answer}", MESSAGE_LIMIT, "…", answer=answer).text


def held_since(moves: Sequence[OpinionEvent], holder_id: int | None) -> datetime | None:
    """When the opinion reached its current holder: the time of that event (routing, a transfer, an
    escalation), not of the holder's own later steps (accepting, asking, answering)."""
    reached: datetime | None = None
    for event in moves:
        handed = event.action == Action.ROUTE or event.from_holder_id != event.to_holder_id
        if handed and event.to_holder_id == holder_id:
            reached = event.at
    return reached


class OpinionViews:
    """Renders opinions for one request; caches what it loads (names, stations) for the request."""

    def __init__(self, uow: UnitOfWork, settings: Settings, policy: SlaPolicy) -> None:
        self.uow = uow
        self.settings = settings
        self.policy = policy
        self.zone = settings.zone
        # Holders looked up while rendering this update's notices: found by deputy id, which is a
        # query rather than an identity-map lookup, so each notice would otherwise run it again.
        self._holders: dict[int, Person | None] = {}
        self._station_names: dict[int, str | None] = {}  # a card and a notice name the same station

    # -- lookups ---------------------------------------------------------------------------------

    async def holder_person(self, opinion: Opinion) -> Person | None:
        deputy_id = opinion.holder_deputy_id
        if deputy_id is None:
            return None
        if deputy_id not in self._holders:
            with self.uow.session.no_autoflush:  # a deputy's record is not what an update changes
                self._holders[deputy_id] = await self.uow.people.of_deputy(deputy_id)
        return self._holders[deputy_id]

    async def brief(self, person_id: int) -> PersonBrief | None:
        """A recipient or sender (read once per unit of work: a submit names its sender twice)."""
        return await self.uow.people.brief(person_id)

    async def holder_name(self, opinion: Opinion, tr: Translator) -> str:
        deputy_id = opinion.holder_deputy_id
        name: str | None = None
        if deputy_id is not None:
            held = self._holders.get(deputy_id)
            if held is not None:
                name = held.name
            else:  # a name only: no entity to load
                name = await self.uow.people.name_of_deputy(deputy_id)
        return esc(name) if name is not None else tr("the congress office")

    async def station_name(self, opinion: Opinion, tr: Translator) -> str:
        station_id = opinion.station_id
        if station_id is not None and station_id not in self._station_names:
            self._station_names[station_id] = await self.uow.network.station_name(station_id)
        name = self._station_names.get(station_id) if station_id is not None else None
        return esc(name) if name is not None else tr("no station")

    async def receipt(self, opinion: Opinion, tr: Translator) -> str:
        """The answer to the sender's own Submit: the tracking number and who holds it now.

        It stands in for the sender's "routed" notice, so a submit answers in one message, not two.
        """
        if opinion.holder_deputy_id is None:
            return tr(
                "✅ Submitted as <b>{tracking_no}</b>. It is with the congress office, who will find "
                "the deputy responsible.",
                tracking_no=esc(opinion.tracking_no),
            )
        return tr(
            "✅ Submitted as <b>{tracking_no}</b>. It is with deputy {holder} ({station}), who will "
            "accept it by {accept_deadline}.",
            tracking_no=esc(opinion.tracking_no),
            holder=await self.holder_name(opinion, tr),
            station=await self.station_name(opinion, tr),
            accept_deadline=when(opinion.accept_deadline, self.zone),
        )

    def translator_for(self, person: Person | PersonBrief) -> Translator:
        return translator(locale_of(person, None, self.settings))

    def colour_mark(self, opinion: Opinion, now: datetime) -> str:
        running = running_clock(opinion.state, opinion.accept_deadline, opinion.answer_deadline)
        if running is None:
            return "⚪"
        kind, deadline = running
        window = (
            self.policy.accept_window(opinion.category)
            if kind.value == "accept"
            else self.policy.answer_window(opinion.category)
        )
        return COLOUR_MARKS[colour(deadline, window, now, self.policy.yellow_fraction).value]

    # -- the deputy's card -----------------------------------------------------------------------

    async def card_text(
        self,
        opinion: Opinion,
        tr: Translator,
        now: datetime,
        attachments: Sequence[OpinionAttachment] | None = None,
    ) -> str:
        return (await self.card_fitted(opinion, tr, now, attachments)).text

    async def card_fitted(
        self,
        opinion: Opinion,
        tr: Translator,
        now: datetime,
        attachments: Sequence[OpinionAttachment] | None = None,
    ) -> Fitted:
        """The card, its opinion text and answer cut so that it always fits one message."""
        sender = await self.brief(opinion.sender_person_id)
        if opinion.anonymous or sender is None:
            who = tr("anonymous")
        else:
            who = esc(sender.name)
            if sender.phone and sender.phone_shared:
                who += f" · {esc(sender.phone)}"
        running = running_clock(opinion.state, opinion.accept_deadline, opinion.answer_deadline)
        deadline = when(running[1], self.zone) if running else "—"
        if attachments is None:
            attachments = await self.uow.opinions.attachments(opinion)
        lines = [
            f"📝 <b>{esc(opinion.tracking_no)}</b> · {category_label(tr, opinion.category)}",
            f"{self.colour_mark(opinion, now)} {tr(STATE_LABELS[opinion.state])} · "
            + tr("deadline {deadline}", deadline=deadline),
            tr("Station: {station}", station=await self.station_name(opinion, tr)),
            tr("From: {sender}", sender=who),
        ]
        if opinion.latitude is not None and opinion.longitude is not None:
            lines.append(tr("📍 Location: {lat:.5f}, {lon:.5f}", lat=opinion.latitude, lon=opinion.longitude))
        if attachments:
            lines.append(tr("📎 Attachments: {count}", count=len(attachments)))
        head = "\n".join(lines)
        fields = {"text": opinion.text or ""}
        answered = bool(opinion.answer_text) and opinion.state in (OpinionState.ANSWERED, OpinionState.CLOSED)
        if answered:
            fields["answer"] = opinion.answer_text or ""
        no_text = tr("(no text)")

        def render(text: str, answer: str = "") -> str:
            out = f"{head}\n\n{text if opinion.text else no_text}"
            return out + f"\n\n{tr('Your answer:')}\n{answer}" if answered else out

        # The opinion first; the answer is the deputy's own, whole in their "Answer sent" message.
        tails = {"text": deputy_tail(tr), "answer": tr("… whole answer: your “📤 Answer sent” message")}
        return fit(render, MESSAGE_LIMIT, tails, in_order=True, **fields)

    def card_keyboard(self, opinion: Opinion, tr: Translator) -> InlineKeyboardMarkup | None:
        actions = [
            a for a in allowed_actions(opinion.state, frozenset({ActorKind.HOLDER})) if a in ACTION_BUTTONS
        ]
        if not actions:
            return None
        buttons = [
            InlineKeyboardButton(
                tr(ACTION_BUTTONS[a][1]), callback_data=CardPress(ACTION_BUTTONS[a][0], opinion.id).pack()
            )
            for a in actions
        ]
        return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])

    def tasks_list(
        self, opinions: Sequence[Opinion], tr: Translator, now: datetime
    ) -> tuple[str, InlineKeyboardMarkup]:
        """/tasks: the open opinions with their colour, each a button that sends its card."""
        lines = [tr("Your open tasks:")]
        buttons = []
        for opinion in opinions[:TASKS_SHOWN]:
            lines.append(
                f"{self.colour_mark(opinion, now)} <b>{esc(opinion.tracking_no)}</b> · "
                f"{category_label(tr, opinion.category)} · {esc(cut(opinion.text, 40))}"
            )
            buttons.append(
                [InlineKeyboardButton(opinion.tracking_no, callback_data=OpenCard(opinion.id).pack())]
            )
        return "\n".join(lines), InlineKeyboardMarkup(buttons)

    async def send_card(
        self, opinion: Opinion, person: Person | PersonBrief, now: datetime, *, full_text: bool = False
    ) -> None:
        """A new task card for the holder, then its attachments and location.

        With `full_text` (the card asked for from /tasks), a card that had to be cut is followed by
        the opinion's whole text and answer, in as many messages as they take.
        """
        if person.telegram_id is None:
            return
        tr = self.translator_for(person)
        chat = person.telegram_id
        attachments = await self.uow.opinions.attachments(opinion)
        card = await self.card_fitted(opinion, tr, now, attachments)
        await send_text(
            self.uow,
            chat,
            card.text,
            markup=self.card_keyboard(opinion, tr),
            ref=card_ref(opinion.id, person.id),
        )
        if full_text and card.cut:
            await self.send_full_text(opinion, chat)
        for item in attachments:
            method, field = {"photo": ("sendPhoto", "photo"), "voice": ("sendVoice", "voice")}.get(
                item.kind, ("sendDocument", "document")
            )
            payload: dict[str, object] = {field: item.file_id}
            if item.caption and method != "sendVoice":
                payload["caption"] = cut(item.caption, CAPTION_LIMIT)  # the card's text has it whole
            await send_raw(self.uow, chat, method, payload)
        if opinion.latitude is not None and opinion.longitude is not None:
            await send_raw(
                self.uow, chat, "sendLocation", {"latitude": opinion.latitude, "longitude": opinion.longitude}
            )

    async def send_full_text(self, opinion: Opinion, chat: int) -> None:
        """The opinion's text and answer whole, split into messages that fit (what a cut card points to)."""
        for body in (opinion.text, opinion.answer_text or ""):
            for piece in chunks(body) if body.strip() else []:
                await send_text(self.uow, chat, esc(piece))

    async def refresh_card(self, opinion: Opinion, person: Person | None, now: datetime) -> None:
        """Edit the holder's card in place to show the new state and the buttons that now apply."""
        if person is None or person.telegram_id is None:
            return
        tr = self.translator_for(person)
        held = (
            opinion.holder_deputy_id is not None
            and person.deputy is not None
            and (person.deputy.id == opinion.holder_deputy_id)
        )
        markup = self.card_keyboard(opinion, tr) if held else None
        await edit_text(
            self.uow,
            person.telegram_id,
            card_ref(opinion.id, person.id),
            await self.card_text(opinion, tr, now),
            markup=markup,
        )

    # -- notices ---------------------------------------------------------------------------------

    async def deliver(self, notifications: Iterable[Notification], now: datetime) -> None:
        """Render each notification for its recipient and queue it (the presser is never among them)."""
        for note in notifications:
            person = await self.brief(note.recipient_person_id)
            opinion = await self.uow.opinions.cached(note.opinion_id)  # no query when just loaded
            if person is None or opinion is None or person.telegram_id is None:
                continue
            await self._deliver_one(note, person, opinion, now)

    async def _deliver_one(
        self, note: Notification, person: PersonBrief, opinion: Opinion, now: datetime
    ) -> None:
        tr = self.translator_for(person)
        chat = person.telegram_id
        assert chat is not None
        if note.key == "opinion.assigned" and not note.params.get("triage"):
            await self.send_card(opinion, person, now)
            return
        params: dict[str, str] = {
            "tracking_no": esc(opinion.tracking_no),
            "holder": await self.holder_name(opinion, tr),
            "station": await self.station_name(opinion, tr),
            "accept_deadline": when(opinion.accept_deadline, self.zone),
            "answer_deadline": when(opinion.answer_deadline, self.zone),
            "deadline": when(note.params.get("deadline"), self.zone),
            "duplicate_of": esc(note.params.get("duplicate_of") or ""),
            "category": category_label(tr, opinion.category),
            "committee": esc(note.params.get("committee") or ""),
            "overdue": overdue_label(tr, int(note.params.get("overdue_seconds") or 0)),
            "state": tr(STATE_LABELS.get(opinion.state, opinion.state)),
            "note": esc(cut(str(note.params.get("note") or ""), NOTE_UNITS)),
        }
        key = note.key
        if key == FOLLOWED and note.params.get("public") and opinion.state == OpinionState.ANSWERED:
            key += ".answered"  # a public opinion's answer is for its followers too
        if key == "opinion.assigned":  # to staff: an opinion no rule could route
            text = tr(
                "📥 Opinion <b>{tracking_no}</b> ({category}) needs a deputy: no routing rule found one.",
                tracking_no=params["tracking_no"],
                category=category_label(tr, opinion.category),
            )
            await send_text(self.uow, chat, text, not_before=note.not_before)
            return
        if key in ("opinion.routed", "opinion.transferred") and opinion.holder_deputy_id is None:
            key += ".triage"
        template = NOTICES.get(key)
        if template is None:
            return
        plain = {  # user text: cut (unescaped) to fit, then escaped by `fit`
            "question": str(note.params.get("question") or ""),
            "info": str(note.params.get("info") or ""),
            "answer": str(note.params.get("answer") or opinion.answer_text or ""),
            "reason": str(note.params.get("reason") or tr("none given")),
        }
        fields = {k: v for k, v in plain.items() if "{" + k + "}" in template}
        tail = deputy_tail(tr) if key in DEPUTY_FACING else sender_tail(tr, opinion.tracking_no)
        text = fit(lambda **f: tr(template, **params, **f), MESSAGE_LIMIT, tail, **fields).text
        markup: InlineKeyboardMarkup | None = None
        ref: str | None = None
        if key == "opinion.answered":
            markup = self.confirm_keyboard(opinion, tr)
        elif key == "opinion.follow_up":
            markup = InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            tr("👍 Still solved"), callback_data=pack(FOLLOW, "ok", opinion.id)
                        ),
                        InlineKeyboardButton(
                            tr("👎 The problem is back"), callback_data=pack(FOLLOW, "back", opinion.id)
                        ),
                    ]
                ]
            )
        elif key == "opinion.info_requested":
            markup = InlineKeyboardMarkup(
                [[InlineKeyboardButton(tr("✍️ Answer"), callback_data=pack(INFO, opinion.id))]]
            )
            ref = ask_ref(opinion.id, person.id)
        await send_text(self.uow, chat, text, markup=markup, ref=ref, not_before=note.not_before)

    def confirm_keyboard(self, opinion: Opinion, tr: Translator) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(tr("✅ Satisfied"), callback_data=pack(CONFIRM, "sat", opinion.id)),
                    InlineKeyboardButton(
                        tr("🆗 Basically"), callback_data=pack(CONFIRM, "basic", opinion.id)
                    ),
                    InlineKeyboardButton(
                        tr("❌ Not satisfied"), callback_data=pack(CONFIRM, "dis", opinion.id)
                    ),
                ]
            ]
        )

    # -- the sender's view -----------------------------------------------------------------------

    async def timeline_text(
        self, opinion: Opinion, tr: Translator, now: datetime, *, follower: bool = False
    ) -> str:
        return (await self.timeline_fitted(opinion, tr, now, follower=follower)).text

    async def timeline_fitted(
        self,
        opinion: Opinion,
        tr: Translator,
        now: datetime,
        *,
        follower: bool = False,
        extra: Sequence[str] = (),
    ) -> Fitted:
        """Every hop of an opinion, who holds it now, since when, and the deadline (cut to fit).

        A follower of a private opinion sees its states and times only: no text, answer or names.
        `extra`: lines (HTML, escaped) under its state — the suggestion it became and how that goes.
        """
        events = await self.uow.opinions.events(opinion.id)
        running = running_clock(opinion.state, opinion.accept_deadline, opinion.answer_deadline)
        moves = [event for event in events if event.action != NOTE]  # a note moves no state
        since = held_since(moves, opinion.holder_deputy_id) or opinion.created_at
        if follower and not (opinion.public and not opinion.anonymous):
            lines = [
                f"📝 <b>{esc(opinion.tracking_no)}</b> · {category_label(tr, opinion.category)}",
                f"{self.colour_mark(opinion, now)} {tr(STATE_LABELS[opinion.state])}",
                *extra,
                tr("You follow this opinion; its content is its sender's alone."),
                "",
                tr("Timeline:"),
            ]
            lines += [
                f"• {when(event.at, self.zone)} {tr(STATE_LABELS.get(event.to_state, event.to_state))}"
                for event in moves
            ]
            return fit(lambda: "\n".join(lines), MESSAGE_LIMIT, "…")
        lines = [
            f"📝 <b>{esc(opinion.tracking_no)}</b> · {category_label(tr, opinion.category)}",
            f"{self.colour_mark(opinion, now)} {tr(STATE_LABELS[opinion.state])}",
            *extra,
            tr(
                "Held by {holder} since {since}",
                holder=await self.holder_name(opinion, tr),
                since=when(since, self.zone),
            ),
        ]
        if running:
            lines.append(tr("Deadline: {deadline}", deadline=when(running[1], self.zone)))
        steps = ["", tr("Timeline:")]
        for event in events:
            if event.action == NOTE:
                if not follower:  # the sender's own correction
                    note = tr("✏️ You corrected: {note}", note=esc(cut((event.note or ""), 200)))
                    steps.append(f"• {when(event.at, self.zone)} {note}")
                continue
            steps.append(
                f"• {when(event.at, self.zone)} {tr(STATE_LABELS.get(event.to_state, event.to_state))}"
                + (
                    f" → {await self._deputy_name(event.to_holder_id, tr)}"
                    if event.to_holder_id != event.from_holder_id or event.action == "route"
                    else ""
                )
            )
        fields = {"text": opinion.text}
        if opinion.answer_text:
            fields["answer"] = opinion.answer_text
        answer_label = tr("Answer:")

        def render(text: str, answer: str | None = None) -> str:
            parts = [*lines, "", text, *steps]
            if answer is not None:
                parts += ["", answer_label, answer]
            return "\n".join(parts)

        return fit(render, MESSAGE_LIMIT, "…", **fields)

    async def _deputy_name(self, deputy_id: int | None, tr: Translator) -> str:
        if deputy_id is None:
            return tr("the congress office")
        deputy = await self.uow.people.deputy(deputy_id)
        return esc(deputy.person.name) if deputy else "?"
