"""What every handler needs: who is writing, in which language, and where to answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from telegram import Update

from bot.kit.i18n import Translator, translator
from bot.opinions.refusal_views import REFUSALS, refusal_text
from bot.opinions.service import OpinionService
from bot.opinions.views import OpinionViews
from bot.people.entities import Person, PersonBrief
from bot.people.identity import Account, identify, identify_brief, locale_of
from bot.runtime.context import LiaisonContext

__all__ = [
    "REFUSALS",
    "Actor",
    "actor",
    "brief_actor",
    "entity_of",
    "opinion_service",
    "opinion_views",
    "refusal_text",
]

P = TypeVar("P", Person, PersonBrief)


@dataclass
class Actor(Generic[P]):
    """Who is writing: the person as an entity (`actor`) or as a brief (`brief_actor`)."""

    person: P
    account: Account
    tr: Translator
    chat_id: int


def account_of(update: Update) -> Account | None:
    user = update.effective_user
    if user is None:
        return None
    return Account(user.id, user.full_name, user.language_code, user.username)


async def actor(update: Update, context: LiaisonContext) -> Actor[Person] | None:
    """The person behind the update (created on first contact), or None for updates without a user."""
    account = account_of(update)
    chat = update.effective_chat
    if account is None or chat is None:
        return None
    settings = context.services.settings
    person = await identify(context.uow, account, settings)
    return Actor(person, account, translator(locale_of(person, account, settings)), chat.id)


async def brief_actor(update: Update, context: LiaisonContext) -> Actor[PersonBrief] | None:
    """As `actor`, for the handlers that only read who is writing (a constituent's draft, every
    message of it): the person as a brief, without loading the entity."""
    account = account_of(update)
    chat = update.effective_chat
    if account is None or chat is None:
        return None
    settings = context.services.settings
    person = await identify_brief(context.uow, account, settings, chat.id)
    return Actor(person, account, translator(locale_of(person, account, settings)), chat.id)


async def entity_of(context: LiaisonContext, who: Actor[PersonBrief]) -> Actor[Person]:
    """The same writer with the person as an entity: for the rare step of a draft that changes the
    person (binding to a station by a shared location)."""
    person = await identify(context.uow, who.account, context.services.settings)
    return Actor(person, who.account, who.tr, who.chat_id)


def opinion_service(context: LiaisonContext) -> OpinionService:
    services = context.services
    return OpinionService(
        context.uow,
        clock=services.clock,
        policy=services.policy,
        tracking_prefix=services.settings.tracking_prefix,
    )


def opinion_views(context: LiaisonContext) -> OpinionViews:
    return OpinionViews(context.uow, context.services.settings, context.services.policy)
