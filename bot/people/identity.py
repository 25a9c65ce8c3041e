"""Who is writing: find or create the person behind a Telegram account, and their language."""

from __future__ import annotations

from dataclasses import dataclass

from bot.kit.i18n import resolve_locale
from bot.runtime.settings import SUPPORTED_LOCALES, Settings
from storage.models import Person, Role
from storage.repos.people import PersonBrief
from storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Account:
    """The parts of a Telegram user the services need, without Telegram types."""

    telegram_id: int
    full_name: str
    language_code: str | None = None
    username: str | None = None


async def identify(uow: UnitOfWork, account: Account, settings: Settings) -> Person:
    """The person behind an account; a first-time writer becomes a constituent (admins from settings)."""
    person = await uow.people.by_telegram_id(account.telegram_id)
    if person is None:
        person = await uow.people.add(
            Person(name=account.full_name[:200] or str(account.telegram_id), telegram_id=account.telegram_id)
        )
        await uow.people.grant(person, Role.CONSTITUENT)
        await uow.session.refresh(person, ["roles", "deputy"])  # loaded now: no lazy IO later
        await uow.audit.record(
            "person.created",
            actor_telegram_id=account.telegram_id,
            actor_person_id=person.id,
            object_type="person",
            object_id=person.id,
        )
    if account.language_code and person.telegram_language != account.language_code[:16]:
        person.telegram_language = account.language_code[:16]
    if account.telegram_id in settings.admin_ids:
        for role in (Role.ADMIN, Role.STAFF):
            if await uow.people.grant(person, role):
                await uow.audit.record(
                    "role.granted",
                    actor_telegram_id=None,
                    object_type="person",
                    object_id=person.id,
                    role=role.value,
                    source="ADMIN_IDS",
                )
    return person


async def identify_brief(uow: UnitOfWork, account: Account, settings: Settings, chat_id: int) -> PersonBrief:
    """`identify`, for handlers that only read who is writing: the person as a brief.

    Loading the entity with its roles and deputy record cost more than the rest of handling a
    draft's message. The same statement reads the dialog state of `chat_id` (into `uow.chats`),
    which the handler reads next. When something must be written first (a first contact, a changed
    Telegram language, an admin from settings), `identify` runs and its entity is briefed.
    """
    if account.telegram_id not in settings.admin_ids:
        found = await uow.people.brief_in_chat(account.telegram_id, chat_id)
        language = account.language_code[:16] if account.language_code else None
        if found is not None:
            brief, chat = found
            uow.chats.remember(chat)
            if language in (None, brief.telegram_language):
                return brief
    return uow.people.brief_of(await identify(uow, account, settings))


def locale_of(person: Person | PersonBrief | None, account: Account | None, settings: Settings) -> str:
    """The saved choice, else Telegram's language (from this update, or as last seen), else the default."""
    code = account.language_code if account and account.language_code else None
    if code is None and person is not None:
        code = person.telegram_language
    return resolve_locale(person.language if person else None, code, settings.default_locale)


async def set_language(uow: UnitOfWork, person: Person, locale: str) -> bool:
    """Save a language choice; False for one we do not support."""
    if locale not in SUPPORTED_LOCALES:
        return False
    person.language = locale
    await uow.flush()
    return True
