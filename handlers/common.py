"""What every handler needs: who is writing, in which language, and where to answer."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update

from bot.context import LiaisonContext
from bot.i18n import Translator, translator
from bot.people import Account, identify, locale_of
from storage.models import Person


@dataclass
class Actor:
    person: Person
    account: Account
    tr: Translator
    chat_id: int


def account_of(update: Update) -> Account | None:
    user = update.effective_user
    if user is None:
        return None
    return Account(user.id, user.full_name, user.language_code, user.username)


async def actor(update: Update, context: LiaisonContext) -> Actor | None:
    """The person behind the update (created on first contact), or None for updates without a user."""
    account = account_of(update)
    chat = update.effective_chat
    if account is None or chat is None:
        return None
    settings = context.services.settings
    person = await identify(context.uow, account, settings)
    return Actor(person, account, translator(locale_of(person, account, settings)), chat.id)
