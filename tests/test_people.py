"""Who is writing: `identify` (the entity) and `identify_brief` (a brief, for handlers that only read).

The brief must tell the same story as the entity, and whatever `identify` writes on the way (a first
contact, a changed Telegram language, an admin from settings) must still be written.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.people.identity import Account, identify, identify_brief
from bot.runtime.settings import Settings, load_settings
from storage.models import Person, Role
from storage.unit_of_work import UnitOfWork
from tests.kit.statements import count_fast_statements


def _settings(admins: str = "") -> Settings:
    return load_settings(
        bot_token="1:x", database_url="sqlite+aiosqlite://", admin_ids=admins, webhook_url=""
    )


async def test_a_known_person_is_briefed_without_loading_the_entity(
    uow: Callable[[], UnitOfWork], monkeypatch: pytest.MonkeyPatch
) -> None:
    account = Account(700_001, "王芳", "zh-hans")
    async with uow() as u:
        entity = await identify(u, account, _settings())
        await u.commit()
    async with uow() as u:
        brief = await identify_brief(u, account, _settings(), 55)
        assert not u.session.identity_map  # one statement, no entity
        assert brief == u.people.brief_of(entity)
        assert (brief.name, brief.telegram_language, brief.station_id) == ("王芳", "zh-hans", None)
        assert (await u.chats.get(55)).state is None  # no dialog yet
        await u.chats.set(55, "draft", {"text": "路灯"})
        await u.commit()
    async with uow() as u:
        statements = count_fast_statements(monkeypatch)
        await identify_brief(u, account, _settings(), 55)
        seen = len(statements)
        chat = await u.chats.get(55)  # read by the same statement
        assert (chat.state, chat.data, len(statements)) == ("draft", {"text": "路灯"}, seen)


async def test_what_identify_writes_is_still_written(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:  # a first contact becomes a constituent
        first = await identify_brief(u, Account(700_002, "Li", "en"), _settings(), 56)
        await u.commit()
    async with uow() as u:  # a new Telegram language is remembered
        again = await identify_brief(u, Account(700_002, "Li", "zh-hans"), _settings(), 56)
        await u.commit()
    async with uow() as u:  # an admin from settings gets the roles
        admin = await identify_brief(u, Account(700_002, "Li", None), _settings("700002"), 56)
        await u.commit()
    assert first.id == again.id == admin.id and again.telegram_language == "zh-hans"
    async with uow() as u:
        stored = await u.session.scalar(select(Person).where(Person.telegram_id == 700_002))
        assert stored is not None and stored.telegram_language == "zh-hans"
        assert stored.role_set == {Role.CONSTITUENT, Role.ADMIN, Role.STAFF}
