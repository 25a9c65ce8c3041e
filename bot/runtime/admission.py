"""Which updates the handlers ever see: a person's private chat with the bot, nothing else.

Checked by the inbox before dispatch, so no handler has to stop an update from a group, a channel
or another bot; such an update is marked handled and otherwise ignored, silently.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType


def admissible(update: Update) -> bool:
    chat, user = update.effective_chat, update.effective_user
    return chat is not None and chat.type == ChatType.PRIVATE and user is not None and not user.is_bot
