"""The deputy's side: the task card's buttons, the dialogs they open, and /tasks.

```mermaid
stateDiagram-v2
    [*] --> idle
    idle --> ask: ❓ Ask
    ask --> idle: next message relayed to the sender as a question
    ask --> ask: over 3,000 UTF-16 units (told, nothing relayed)
    idle --> reply: 💬 Reply
    reply --> preview: next message is the answer
    reply --> reply: over 3,000 UTF-16 units (told, no preview)
    preview --> idle: Send / Cancel
    preview --> reply: Rewrite
    idle --> transfer: ↪️ Transfer, then a deputy (or the office)
    transfer --> idle: next message is the reason
    idle --> suggest: ⬆️ Escalate (转为建议): the /suggest form, made from the opinion
```
Escalate no longer marks the opinion at once: it opens the suggestion form (handlers/suggestions.py)
with the opinion's text and category, linked to it; the opinion stays on its clock until staff accept
the suggestion, and its sender is told the suggestion's number when it is filed. Staff who are not
deputies (they file no suggestions) still mark it escalated at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from telegram import Message, Update

from bot.kit.dialogs import Dialog, at
from bot.kit.text_limits import MAX_INPUT, utf16_len
from bot.opinions import views
from bot.opinions.candidates import CandidateService
from bot.opinions.card_buttons import (
    CancelAnswer,
    CardAction,
    CardPress,
    OpenCard,
    RewriteAnswer,
    SendAnswer,
    TransferTo,
)
from bot.opinions.entities import Opinion
from bot.opinions.lifecycle import Action, Refusal
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import edit_message, esc, send_text
from bot.suggestions import views as suggestion_views
from bot.suggestions.forms import Form
from handlers import suggestions
from handlers.buttons import NO_LONGER_VALID, Press, button
from handlers.common import Actor, actor, opinion_service, opinion_views, refusal_text
from handlers.dialogs import Step

__all__ = [
    "DIALOG",
    "DeputyDialog",
    "cancel_pressed",
    "card_pressed",
    "open_card_pressed",
    "rewrite_pressed",
    "send_pressed",
    "tasks",
    "transfer_to_pressed",
]


class DeputyDialog(StrEnum):
    """What the deputy's next message is (the opinion's id follows the state; a transfer's target too)."""

    ASK = "ask"
    REPLY = "reply"
    PREVIEW = "preview"
    TRANSFER = "transfer"


# -- acting on an opinion -------------------------------------------------------------------------


async def apply_and_render(
    context: LiaisonContext,
    who: Actor[Any],
    opinion_id: int,
    action: Action,
    press: Press[Any] | None = None,
    **args: object,
) -> bool:
    """Apply one transition and render what follows: the answer (to the press, or a message), the
    notices, and the refreshed card."""
    outcome = await opinion_service(context).apply(opinion_id, action, who.person.id, **args)
    if outcome.refusal is not None or outcome.opinion is None:
        refused = outcome.refusal  # audited by the service
        if press is not None:
            await press.refuse(
                refusal_text(who.tr, refused) if refused else None, audited=refused is not None
            )
        else:
            text = refusal_text(who.tr, refused) if refused else who.tr(NO_LONGER_VALID)
            await send_text(context.uow, who.chat_id, text)
        return False
    done = who.tr(views.DONE[action])
    if press is not None:
        await press.answer(done)
    else:
        await send_text(context.uow, who.chat_id, done)
    rendering, now = opinion_views(context), context.services.clock.now()
    await rendering.deliver(outcome.notifications, now)
    await rendering.refresh_card(outcome.opinion, who.person, now)
    return True


# -- the card's buttons ---------------------------------------------------------------------------


@button(CardPress, audit="callback.refused")
async def card_pressed(press: Press[CardPress]) -> None:
    """A button on a task card, checked against the opinion's state and the presser: Accept acts at
    once (so does Escalate by staff); Ask, Reply, Transfer and a deputy's Escalate open a dialog."""
    action, opinion_id = press.data.action, press.data.opinion_id
    staff_escalates = action is CardAction.ESCALATE and press.who.person.deputy is None
    if action is CardAction.ACCEPT or staff_escalates:
        await apply_and_render(press.context, press.who, opinion_id, action.action, press)
        return
    checked = await opinion_service(press.context).may(opinion_id, action.action, press.who.person.id)
    if isinstance(checked, Refusal):  # audited by the service
        await press.refuse(refusal_text(press.who.tr, checked), audited=True)
        return
    await press.answer()
    await OPENS[action](press, checked)


async def ask_opened(press: Press[CardPress], opinion: Opinion) -> None:
    await press.uow.chats.set(press.who.chat_id, at(DeputyDialog.ASK, opinion.id))
    await press.say(
        press.who.tr(
            "Type your question for the sender of {tracking_no} in one message.",
            tracking_no=esc(opinion.tracking_no),
        )
    )


async def reply_opened(press: Press[CardPress], opinion: Opinion) -> None:
    await press.uow.chats.set(press.who.chat_id, at(DeputyDialog.REPLY, opinion.id))
    await press.say(
        press.who.tr(
            "Type your answer to {tracking_no} in one message. You will see a preview first.",
            tracking_no=esc(opinion.tracking_no),
        )
    )


async def transfer_opened(press: Press[CardPress], opinion: Opinion) -> None:
    """Deputies of the same stations or groups, best first, and the office."""
    deputy = press.who.person.deputy
    found = await CandidateService(press.uow).for_transfer(opinion, deputy.id) if deputy is not None else []
    text, markup = views.transfer_offer(press.who.tr, opinion, found)
    await press.say(text, markup=markup)


async def suggestion_opened(press: Press[CardPress], opinion: Opinion) -> None:
    """⬆️ Escalate (转为建议): the suggestion form, made from this opinion and linked to it (once)."""
    made = await suggestions.service(press.context).made_from(press.who.person.id, opinion.id)
    if made is not None:
        await press.say(suggestion_views.already_suggested(press.who.tr, made))
        return
    form = Form.from_opinion(
        press.who.person.id, press.context.services.clock.now(), opinion.id, opinion.text, opinion.category
    )
    intro = suggestion_views.opening(press.who.tr, opinion.tracking_no)
    await suggestions.open_form(press.context, press.who, form, intro)


OPENS: dict[CardAction, Callable[[Press[CardPress], Opinion], Awaitable[None]]] = {
    CardAction.ASK: ask_opened,
    CardAction.REPLY: reply_opened,
    CardAction.TRANSFER: transfer_opened,
    CardAction.ESCALATE: suggestion_opened,
}


@button(TransferTo, audit="callback.refused")
async def transfer_to_pressed(press: Press[TransferTo]) -> None:
    """A target in the transfer list (0: the office): the reason is asked next. The target is
    untrusted, so it must be a colleague the list could have offered."""
    opinion_id, target, who = press.data.opinion_id, press.data.deputy_id, press.who
    checked = await opinion_service(press.context).may(opinion_id, Action.TRANSFER, who.person.id)
    if isinstance(checked, Refusal):
        await press.refuse(refusal_text(who.tr, checked), audited=True)
        return
    deputy_id = who.person.deputy.id if who.person.deputy is not None else None
    if target != 0 and not await CandidateService(press.uow).offered(
        opinion_id, deputy_id, target, telegram_id=who.account.telegram_id, person_id=who.person.id
    ):
        await press.refuse(reason="not_offered")
        return
    await press.answer()
    await press.uow.chats.set(who.chat_id, at(DeputyDialog.TRANSFER, opinion_id, target))
    await press.say(who.tr("Why are you transferring it? Send the reason in one message."))


@button(OpenCard, audit="callback.refused")
async def open_card_pressed(press: Press[OpenCard]) -> None:
    """The card again, with its whole text (from /tasks or a staff reminder): for its holder only."""
    opinion = await opinion_service(press.context).held_by(press.data.opinion_id, press.who.person)
    if opinion is None:
        await press.refuse(reason="not_holder", object_type="opinion", object_id=press.data.opinion_id)
        return
    await press.answer()
    now = press.context.services.clock.now()
    await opinion_views(press.context).send_card(opinion, press.who.person, now, full_text=True)


# -- the answer's preview -------------------------------------------------------------------------


async def previewing(press: Press[Any], opinion_id: int) -> dict[str, Any] | None:
    """The preview's saved data when the chat still shows this opinion's preview; else refused."""
    chat = await press.uow.chats.get(press.who.chat_id)
    if chat.state != at(DeputyDialog.PREVIEW, opinion_id):
        await press.refuse(reason="no_preview", object_type="opinion", object_id=opinion_id)
        return None
    return dict(chat.data or {})


@button(SendAnswer, audit="callback.refused")
async def send_pressed(press: Press[SendAnswer]) -> None:
    """Send the previewed answer; the preview becomes the sent answer."""
    saved = await previewing(press, press.data.opinion_id)
    if saved is None:
        return
    answer = str(saved.get("answer") or "")
    await press.uow.chats.set(press.who.chat_id, None)
    sent = await apply_and_render(
        press.context, press.who, press.data.opinion_id, Action.ANSWER, press, text=answer
    )
    if sent and press.message_id is not None:
        text = views.answer_sent(press.who.tr, answer)
        await edit_message(press.uow, press.who.chat_id, press.message_id, text)


@button(RewriteAnswer, audit="callback.refused")
async def rewrite_pressed(press: Press[RewriteAnswer]) -> None:
    if await previewing(press, press.data.opinion_id) is None:
        return
    await press.answer()
    await press.uow.chats.set(press.who.chat_id, at(DeputyDialog.REPLY, press.data.opinion_id))
    await press.say(press.who.tr("Type your answer again in one message."))


@button(CancelAnswer, audit="callback.refused")
async def cancel_pressed(press: Press[CancelAnswer]) -> None:
    if await previewing(press, press.data.opinion_id) is None:
        return
    await press.answer()
    await press.uow.chats.set(press.who.chat_id, None)
    if press.message_id is not None:
        await edit_message(
            press.uow, press.who.chat_id, press.message_id, press.who.tr("✖️ Answer cancelled.")
        )


# -- the dialogs' steps ---------------------------------------------------------------------------


async def typed(context: LiaisonContext, who: Actor[Any], message: Message) -> str | None:
    """The message's text when it may be relayed; otherwise the deputy is told why, and the dialog
    stays open for the next try."""
    text = message.text or message.caption
    if not text:
        await send_text(context.uow, who.chat_id, who.tr("Please send text."))
        return None
    if utf16_len(text) > MAX_INPUT:  # told before anything is relayed
        await send_text(context.uow, who.chat_id, views.too_long(who.tr, text))
        return None
    return text


async def question_typed(context: LiaisonContext, who: Actor[Any], dialog: Dialog, message: Message) -> None:
    """ask: the message is relayed to the sender as a question."""
    text = await typed(context, who, message)
    if text is not None:
        await context.uow.chats.set(who.chat_id, None)
        await apply_and_render(context, who, dialog.int_arg(0) or 0, Action.ASK, note=text)


async def answer_typed(context: LiaisonContext, who: Actor[Any], dialog: Dialog, message: Message) -> None:
    """reply: the message is the answer; it is previewed before it goes."""
    text = await typed(context, who, message)
    if text is None:
        return
    opinion_id = dialog.int_arg(0) or 0
    await context.uow.chats.set(who.chat_id, at(DeputyDialog.PREVIEW, opinion_id), {"answer": text})
    preview, markup = views.answer_preview(who.tr, opinion_id, text)
    await send_text(context.uow, who.chat_id, preview, markup=markup)


async def while_previewing(
    context: LiaisonContext, who: Actor[Any], dialog: Dialog, message: Message
) -> None:
    """preview: a message now is not the answer; the buttons under the preview decide."""
    if message.text or message.caption:
        await send_text(context.uow, who.chat_id, who.tr("Press Send, Rewrite or Cancel under the preview."))
    else:
        await send_text(context.uow, who.chat_id, who.tr("Please send text."))


async def reason_typed(context: LiaisonContext, who: Actor[Any], dialog: Dialog, message: Message) -> None:
    """transfer: the message is the reason; the opinion goes to the chosen deputy (0: the office)."""
    text = await typed(context, who, message)
    if text is None:
        return
    opinion_id, target = dialog.int_arg(0) or 0, dialog.int_arg(1) or 0
    await context.uow.chats.set(who.chat_id, None)
    to: dict[str, object] = {"to_deputy_id": target} if target else {"to_staff": True}
    await apply_and_render(context, who, opinion_id, Action.TRANSFER, note=text, **to)


DIALOG = {
    DeputyDialog.ASK: Step(question_typed),
    DeputyDialog.REPLY: Step(answer_typed),
    DeputyDialog.PREVIEW: Step(while_previewing),
    DeputyDialog.TRANSFER: Step(reason_typed),
}


# -- /tasks ---------------------------------------------------------------------------------------


async def tasks(update: Update, context: LiaisonContext) -> None:
    """/tasks: the deputy's open opinions by deadline, with their colour."""
    who = await actor(update, context)
    if who is None:
        return
    deputy = who.person.deputy
    if deputy is None:
        await send_text(context.uow, who.chat_id, who.tr("Only deputies have tasks."))
        return
    opinions = await opinion_service(context).open_tasks(deputy.id)
    if not opinions:
        await send_text(context.uow, who.chat_id, who.tr("No open tasks. 🎉"))
        return
    now = context.services.clock.now()
    text, markup = opinion_views(context).tasks_list(opinions, who.tr, now)
    await send_text(context.uow, who.chat_id, text, markup=markup)
