"""The daily digest: when it is due, what it says, and that a person gets it once per local day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from bot.kit.i18n import translator
from bot.opinions.digest import DIGEST_ACTION, StaffCounts, compose, digest_due, digest_moment, send_digests
from bot.opinions.sla import SlaPolicy
from bot.runtime.settings import load_settings
from storage.models import Person, Role
from storage.unit_of_work import UnitOfWork

POLICY = SlaPolicy()
# 2026-03-02 00:20 UTC is 08:20 in Shanghai; 00:30 UTC is 08:30.
BEFORE = datetime(2026, 3, 2, 0, 20, tzinfo=UTC)
AT = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)


def test_digest_moment_is_half_past_eight_local() -> None:
    moment = digest_moment(AT, POLICY)
    assert moment.astimezone(UTC) == AT
    # Late on the UTC evening it is already the next local day.
    assert digest_moment(datetime(2026, 3, 1, 20, 0, tzinfo=UTC), POLICY).date() == date(2026, 3, 2)


def test_compose_in_both_languages() -> None:
    counts = StaffCounts(new=3, triage=1, yellow=2, red=4, answered=5)
    en = compose(translator("en"), date(2026, 3, 2), counts, None)
    assert "Daily digest" in en and "New yesterday: 3" in en and "Overdue: 4" in en and "/queue" in en
    zh = compose(translator("zh_Hans"), date(2026, 3, 2), counts, [])
    assert "每日简报" in zh and "待分派：1" in zh and "昨日答复：5" in zh and "您联系的代表" in zh


async def test_due_only_after_half_past_eight_and_once(uow: Callable[[], UnitOfWork]) -> None:
    settings = load_settings(bot_token="123456:ABCDEF", webhook_url="", webhook_secret="")
    async with uow() as u:
        # Has written to the bot (Telegram language seen): gets the digest.
        staff = await u.people.add(
            Person(name="<b>Office</b>", telegram_id=900001, language="en", telegram_language="en")
        )
        await u.people.grant(staff, Role.STAFF)
        # On the roster with a Telegram id but never wrote: Telegram would refuse, so nothing is queued.
        silent = await u.people.add(Person(name="Silent", telegram_id=900002))
        await u.people.grant(silent, Role.STAFF)
        await u.commit()
        staff_id = staff.id
    async with uow() as u:
        assert not await digest_due(u, BEFORE, POLICY)
        assert await send_digests(u, settings, BEFORE, policy=POLICY) == 0
        assert await digest_due(u, AT, POLICY) and await digest_due(u, AT, POLICY, staff_id)
        assert await send_digests(u, settings, AT, policy=POLICY) == 1
        await u.commit()
    async with uow() as u:
        assert not await digest_due(u, AT, POLICY, staff_id)
        assert await send_digests(u, settings, AT.replace(hour=10), policy=POLICY) == 0
        rows = [r for r in await u.audit.recent() if r.action == DIGEST_ACTION]
        assert [r.object_id for r in rows] == [f"2026-03-02:{staff_id}"]
        queued = await u.outbox.due(AT.replace(hour=23))
        assert len(queued) == 1 and "Daily digest" in queued[0].payload["text"]
        # The next local day it is due again.
        assert await digest_due(u, AT.replace(day=3), POLICY, staff_id)
