"""Delivering the station notices: each rendered in its recipient's language, as the item's card with the
buttons that recipient may press, and queued — non-urgent ones wait out quiet hours (`deliver_at`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.kit.i18n import translator
from bot.opinions.sla import SlaPolicy, deliver_at
from bot.people.identity import locale_of
from bot.runtime.replies import send_text
from bot.runtime.settings import Settings
from bot.stations import views
from bot.stations.service import Notice, StationService, local_today
from storage.unit_of_work import UnitOfWork

__all__ = ["deliver"]


async def deliver(
    uow: UnitOfWork,
    notices: Iterable[Notice],
    settings: Settings,
    policy: SlaPolicy,
    now: datetime,
) -> int:
    """Queue each notice for its recipient (those without Telegram are skipped); returns how many."""
    service = StationService(uow, zone=settings.timezone)
    today = local_today(now, settings.timezone)
    sent = 0
    for notice in notices:
        person = await uow.people.get(notice.recipient_person_id)
        if person is None or person.telegram_id is None:
            continue
        view = await service.item_view(notice.item_id, person, today)
        if view is None:
            continue
        tr = translator(locale_of(person, None, settings))
        heading = views.notice_heading(tr, notice.key, view.item.due_on, today)
        if heading is None:
            continue
        station = await uow.stations.station(view.item.station_id)
        text, markup = views.item_card(tr, view, station, heading=heading)
        when = deliver_at(now, policy, urgent=notice.urgent)
        await send_text(uow, person.telegram_id, text, markup=markup, not_before=when)
        sent += 1
    return sent
