"""Every non-command message: to the step of the dialog the chat is in, else into the constituent's draft.

The dialogs' states and steps are declared by their modules (`DIALOG` tables); this module only joins
them and dispatches.
"""

from __future__ import annotations

import enum

from telegram import Message, MessageEntity, Update

from bot.kit.dialogs import Dialog, index
from bot.runtime.context import LiaisonContext
from handlers import (
    broadcast,
    constituent,
    deputy,
    duty,
    inspections,
    receptions,
    stations,
    suggestion_filing,
    suggestion_units,
    suggestions,
    supervise_suggestions,
)
from handlers.common import actor, brief_actor
from handlers.dialogs import Step

STEPS: dict[enum.StrEnum, Step] = {
    **deputy.DIALOG,
    **broadcast.DIALOG,
    **receptions.DIALOG,
    **stations.DIALOG,
    **inspections.DIALOG,
    **suggestions.DIALOG,
    **suggestion_filing.DIALOG,
    **supervise_suggestions.DIALOG,
    **suggestion_units.DIALOG,
    **duty.DIALOG,
    **constituent.DIALOG,
}
KNOWN = index(*{type(state) for state in STEPS})


async def on_message(update: Update, context: LiaisonContext) -> None:
    """Most messages are a constituent's draft, which reads who is writing as a brief; the dialogs
    that change the person or act for a deputy or staff member take the entity."""
    message, who = update.effective_message, await brief_actor(update, context)
    if message is None or who is None:
        return
    if message.contact is not None:
        full = await actor(update, context)  # binding by phone changes the person
        if full is not None:
            await constituent.contact_shared(context, full, message)
        return
    chat = await context.uow.chats.get(who.chat_id)
    dialog = Dialog.parse(chat.state, chat.data, KNOWN)
    step = STEPS.get(dialog.state) if dialog.state is not None else None
    if step is not None:
        full = await actor(update, context) if step.full else who
        if full is None or await step.handle(context, full, dialog, message) is not False:
            return
    await constituent.unprompted_message(context, who, message)


def is_command(message: Message) -> bool:
    """A message that starts with a /command, as Telegram marks it."""
    return any(e.type == MessageEntity.BOT_COMMAND and e.offset == 0 for e in message.entities or ())


async def on_edit(update: Update, context: LiaisonContext) -> None:
    """Every edited message, ahead of every feature in the table: an edited command never runs again;
    an edit of a draft's message updates the draft; an edit of a filed opinion's message goes to its
    holder as a note. Other edits are ignored."""
    message = update.edited_message
    if message is not None and not is_command(message):
        who = await brief_actor(update, context)
        if who is not None:
            await constituent.message_edited(context, who, message)
