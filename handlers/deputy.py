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
```
"""

from __future__ import annotations

from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.kit.callbacks import pack, unpack
from bot.kit.dialogs import Dialog, at
from bot.kit.text_limits import MAX_INPUT, MESSAGE_LIMIT, cut, fit, utf16_len
from bot.opinions.candidates import CandidateService
from bot.opinions.lifecycle import Action, Refusal
from bot.opinions.views import ACTION_BY_CODE, OP, category_label, too_long
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import answer_query, edit_message, esc, send_text
from handlers.common import Actor, actor, opinion_service, opinion_views, refusal_text
from handlers.dialogs import Step
from storage.models import Opinion


class DeputyDialog(StrEnum):
    """What the deputy's next message is (the opinion's id follows the state)."""

    ASK = "ask"
    REPLY = "reply"
    PREVIEW = "preview"
    TRANSFER = "transfer"


STATE_ASK, STATE_REPLY, STATE_PREVIEW, STATE_TRANSFER = DeputyDialog


async def card_pressed(update: Update, context: LiaisonContext) -> None:
    """A button on a task card (or in a dialog): checked against the opinion's state and the presser."""
    query, who = update.callback_query, await actor(update, context)
    if query is None or who is None:
        return
    parsed = unpack(query.data)
    code = parsed.fields[0] if parsed and parsed.fields else ""
    opinion_id = parsed.int(1) if parsed else None
    if opinion_id is None:
        await refuse(context, who, query.id, None)
        return
    service = opinion_service(context)
    if code == "acc" or code == "esc":
        await apply_and_render(context, who, opinion_id, ACTION_BY_CODE[code], query_id=query.id)
    elif code in ("ask", "rep", "tr"):
        checked = await service.may(opinion_id, ACTION_BY_CODE[code], who.person.id)
        if isinstance(checked, Refusal):
            await refuse(context, who, query.id, checked)
            return
        await answer_query(context.uow, who.chat_id, query.id)
        if code == "ask":
            await context.uow.chats.set(who.chat_id, f"{STATE_ASK}:{opinion_id}")
            await send_text(
                context.uow,
                who.chat_id,
                who.tr(
                    "Type your question for the sender of {tracking_no} in one message.",
                    tracking_no=esc(checked.tracking_no),
                ),
            )
        elif code == "rep":
            await context.uow.chats.set(who.chat_id, f"{STATE_REPLY}:{opinion_id}")
            await send_text(
                context.uow,
                who.chat_id,
                who.tr(
                    "Type your answer to {tracking_no} in one message. You will see a preview first.",
                    tracking_no=esc(checked.tracking_no),
                ),
            )
        else:
            await offer_transfer(context, who, checked)
    elif code == "to":
        target = parsed.int(2) if parsed else None
        checked = await service.may(opinion_id, Action.TRANSFER, who.person.id)
        if isinstance(checked, Refusal) or target is None:
            await refuse(context, who, query.id, checked if isinstance(checked, Refusal) else None)
            return
        if target != 0 and not await offered_transfer(context, who, opinion_id, target):
            await refuse(context, who, query.id, None)
            return
        await answer_query(context.uow, who.chat_id, query.id)
        await context.uow.chats.set(who.chat_id, f"{STATE_TRANSFER}:{opinion_id}:{target}")
        await send_text(
            context.uow, who.chat_id, who.tr("Why are you transferring it? Send the reason in one message.")
        )
    elif code in ("send", "rew", "cancel"):
        await preview_pressed(context, who, query.id, code, opinion_id, query.message)
    elif code == "card":
        opinion = await context.uow.opinions.get(opinion_id)
        if opinion is None or not await holds(context, who, opinion):
            await refuse(context, who, query.id, None)
            return
        await answer_query(context.uow, who.chat_id, query.id)
        await opinion_views(context).send_card(
            opinion, who.person, context.services.clock.now(), full_text=True
        )
    else:
        await refuse(context, who, query.id, None)


async def holds(context: LiaisonContext, who: Actor, opinion: Opinion) -> bool:
    deputy = who.person.deputy
    return deputy is not None and opinion.holder_deputy_id == deputy.id


async def refuse(context: LiaisonContext, who: Actor, query_id: str, refusal: Refusal | None) -> None:
    """Answer a press that may not act (the service has audited refusals; unparseable data is audited here)."""
    if refusal is None:
        await context.uow.audit.record(
            "callback.refused",
            actor_telegram_id=who.account.telegram_id,
            actor_person_id=who.person.id,
            allowed=False,
        )
        text = who.tr("This button is no longer valid.")
    else:
        text = refusal_text(who.tr, refusal)
    await answer_query(context.uow, who.chat_id, query_id, text, alert=True)


async def apply_and_render(
    context: LiaisonContext,
    who: Actor,
    opinion_id: int,
    action: Action,
    *,
    query_id: str | None = None,
    **args: object,
) -> bool:
    """Apply one transition and render what follows: the answer, notices, and the refreshed cards."""
    outcome = await opinion_service(context).apply(opinion_id, action, who.person.id, **args)
    if outcome.refusal is not None or outcome.opinion is None:
        if query_id is not None:
            await refuse(context, who, query_id, outcome.refusal)
        else:
            await send_text(
                context.uow,
                who.chat_id,
                refusal_text(who.tr, outcome.refusal)
                if outcome.refusal
                else who.tr("This button is no longer valid."),
            )
        return False
    opinion = outcome.opinion
    done = {
        Action.ACCEPT: who.tr("Accepted. Please answer by the deadline on the card."),
        Action.ESCALATE: who.tr("Marked for a formal suggestion; the sender and your supervisor are told."),
        Action.ASK: who.tr("Your question was sent to the sender."),
        Action.ANSWER: who.tr("Your answer was sent to the sender."),
        Action.TRANSFER: who.tr("Transferred."),
    }[action]
    if query_id is not None:
        await answer_query(context.uow, who.chat_id, query_id, done)
    else:
        await send_text(context.uow, who.chat_id, done)
    views = opinion_views(context)
    now = context.services.clock.now()
    await views.deliver(outcome.notifications, now)
    await views.refresh_card(opinion, who.person, now)
    return True


async def offered_transfer(context: LiaisonContext, who: Actor, opinion_id: int, target: int) -> bool:
    """Whether the presser may hand an opinion to a pressed target (a colleague); audited when not."""
    deputy = who.person.deputy
    if deputy is not None and await CandidateService(context.uow).may_transfer(deputy.id, target):
        return True
    await context.uow.audit.record(
        "opinion.transfer_refused",
        actor_telegram_id=who.account.telegram_id,
        actor_person_id=who.person.id,
        object_type="opinion",
        object_id=opinion_id,
        allowed=False,
        reason="not_offered",
        to_deputy_id=target,
    )
    return False


async def offer_transfer(context: LiaisonContext, who: Actor, opinion: Opinion) -> None:
    """Deputies of the same stations or groups, best first, and the office."""
    deputy = who.person.deputy
    found = await CandidateService(context.uow).for_transfer(opinion, deputy.id) if deputy is not None else []
    buttons = [
        [InlineKeyboardButton(c.name, callback_data=pack(OP, "to", opinion.id, c.deputy_id))] for c in found
    ]
    buttons.append(
        [
            InlineKeyboardButton(
                who.tr("🏛 Back to the congress office"), callback_data=pack(OP, "to", opinion.id, 0)
            )
        ]
    )
    await send_text(
        context.uow,
        who.chat_id,
        who.tr("Transfer {tracking_no} to whom?", tracking_no=esc(opinion.tracking_no)),
        markup=InlineKeyboardMarkup(buttons),
    )


async def dialog_message(context: LiaisonContext, who: Actor, state: str, message: Message) -> None:
    """The message a deputy's dialog was waiting for: a question, an answer or a transfer reason."""
    kind, _sep, rest = state.partition(":")
    parts = rest.split(":")
    opinion_id = int(parts[0]) if parts and parts[0].isdigit() else 0
    text = message.text or message.caption
    if not text:
        await send_text(context.uow, who.chat_id, who.tr("Please send text."))
        return
    if kind in (STATE_ASK, STATE_REPLY, STATE_TRANSFER) and utf16_len(text) > MAX_INPUT:
        # Told before anything is relayed; the dialog stays open for the shorter version.
        await send_text(context.uow, who.chat_id, too_long(who.tr, text))
        return
    if kind == STATE_ASK:
        await context.uow.chats.set(who.chat_id, None)
        await apply_and_render(context, who, opinion_id, Action.ASK, note=text)
    elif kind == STATE_REPLY:
        await context.uow.chats.set(who.chat_id, f"{STATE_PREVIEW}:{opinion_id}", {"answer": text})
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(who.tr("📤 Send"), callback_data=pack(OP, "send", opinion_id)),
                    InlineKeyboardButton(who.tr("✏️ Rewrite"), callback_data=pack(OP, "rew", opinion_id)),
                    InlineKeyboardButton(who.tr("✖️ Cancel"), callback_data=pack(OP, "cancel", opinion_id)),
                ]
            ]
        )
        label = who.tr("Preview of your answer:")
        preview = fit(lambda answer: f"{label}\n\n{answer}", MESSAGE_LIMIT, "…", answer=text)
        await send_text(context.uow, who.chat_id, preview.text, markup=markup)
    elif kind == STATE_TRANSFER:
        target = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        await context.uow.chats.set(who.chat_id, None)
        if target == 0:
            await apply_and_render(context, who, opinion_id, Action.TRANSFER, to_staff=True, note=text)
        else:
            await apply_and_render(context, who, opinion_id, Action.TRANSFER, to_deputy_id=target, note=text)
    elif kind == STATE_PREVIEW:
        await send_text(context.uow, who.chat_id, who.tr("Press Send, Rewrite or Cancel under the preview."))


async def preview_pressed(
    context: LiaisonContext, who: Actor, query_id: str, code: str, opinion_id: int, message: object
) -> None:
    session = await context.uow.chats.get(who.chat_id)
    if session.state != f"{STATE_PREVIEW}:{opinion_id}":
        await refuse(context, who, query_id, None)
        return
    message_id = getattr(message, "message_id", None)
    if code == "send":
        answer = str(session.data.get("answer") or "")
        await context.uow.chats.set(who.chat_id, None)
        if await apply_and_render(
            context, who, opinion_id, Action.ANSWER, query_id=query_id, text=answer
        ) and (message_id is not None):
            label = who.tr("📤 Answer sent:")
            sent = fit(lambda answer: f"{label}\n\n{answer}", MESSAGE_LIMIT, "…", answer=answer)
            await edit_message(context.uow, who.chat_id, message_id, sent.text)
    elif code == "rew":
        await answer_query(context.uow, who.chat_id, query_id)
        await context.uow.chats.set(who.chat_id, f"{STATE_REPLY}:{opinion_id}")
        await send_text(context.uow, who.chat_id, who.tr("Type your answer again in one message."))
    else:
        await answer_query(context.uow, who.chat_id, query_id)
        await context.uow.chats.set(who.chat_id, None)
        if message_id is not None:
            await edit_message(context.uow, who.chat_id, message_id, who.tr("✖️ Answer cancelled."))


async def tasks(update: Update, context: LiaisonContext) -> None:
    """/tasks: the deputy's open opinions by deadline, with their colour."""
    who = await actor(update, context)
    if who is None:
        return
    deputy = who.person.deputy
    if deputy is None:
        await send_text(context.uow, who.chat_id, who.tr("Only deputies have tasks."))
        return
    opinions = await context.uow.opinions.open_for_holder(deputy.id)
    if not opinions:
        await send_text(context.uow, who.chat_id, who.tr("No open tasks. 🎉"))
        return
    views = opinion_views(context)
    now = context.services.clock.now()
    lines = [who.tr("Your open tasks:")]
    buttons = []
    for opinion in opinions[:30]:
        lines.append(
            f"{views.colour_mark(opinion, now)} <b>{esc(opinion.tracking_no)}</b> · "
            f"{category_label(who.tr, opinion.category)} · {esc(cut(opinion.text, 40))}"
        )
        buttons.append(
            [InlineKeyboardButton(opinion.tracking_no, callback_data=pack(OP, "card", opinion.id))]
        )
    await send_text(context.uow, who.chat_id, "\n".join(lines), markup=InlineKeyboardMarkup(buttons))


async def _step(context: LiaisonContext, who: Actor, dialog: Dialog, message: Message) -> None:
    assert dialog.state is not None
    await dialog_message(context, who, at(dialog.state, *dialog.args), message)


DIALOG = {state: Step(_step) for state in DeputyDialog}
