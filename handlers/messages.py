"""Every non-command message: to the dialog the chat is in, else into the constituent's draft."""

from __future__ import annotations

from telegram import Message, MessageEntity, Update
from telegram.ext import ApplicationHandlerStop

from bot.context import LiaisonContext
from handlers import broadcast, constituent, deputy, receptions
from handlers.common import actor, brief_actor

DEPUTY_DIALOGS = (deputy.STATE_ASK, deputy.STATE_REPLY, deputy.STATE_PREVIEW, deputy.STATE_TRANSFER)


async def on_message(update: Update, context: LiaisonContext) -> None:
    """Most messages are a constituent's draft, which reads who is writing as a brief; the dialogs
    that change the person or act for a deputy or staff member take the entity."""
    message, who = update.effective_message, await brief_actor(update, context)
    if message is None or who is None:
        return
    if message.contact is not None:
        await constituent.contact_shared(update, context)
        return
    session = await context.uow.chats.get(who.chat_id)
    state = session.state or ""
    kind = state.partition(":")[0]
    if kind in DEPUTY_DIALOGS or kind in (broadcast.STATE, receptions.STATE):
        full = await actor(update, context)
        if full is None:
            return
        if kind in DEPUTY_DIALOGS:
            await deputy.dialog_message(context, full, state, message)
            return
        if kind == broadcast.STATE:
            await broadcast.dialog_message(context, full, state, message)
            return
        if await receptions.dialog_message(context, full, state, message):
            return
    if kind == constituent.STATE_INFO:
        opinion_id = state.partition(":")[2]
        await constituent.relay_info(context, who, int(opinion_id) if opinion_id.isdigit() else 0, message)
        return
    replied = await constituent.replied_question(context, who, message)
    if replied is not None:
        await constituent.relay_info(context, who, replied, message)
        return
    await constituent.add_to_draft(update, context, who, message)


def is_command(message: Message) -> bool:
    """A message that starts with a /command, as Telegram marks it."""
    return any(e.type == MessageEntity.BOT_COMMAND and e.offset == 0 for e in message.entities or ())


async def on_edit(update: Update, context: LiaisonContext) -> None:
    """Every edited message, before any feature (a negative group), and no further: an edited
    command never runs again; an edit of a draft's message updates the draft; an edit of a filed
    opinion's message goes to its holder as a note. Other edits are ignored, as before."""
    message = update.edited_message
    if message is not None and not is_command(message):
        who = await brief_actor(update, context)
        if who is not None:
            await constituent.message_edited(context, who, message)
    raise ApplicationHandlerStop
